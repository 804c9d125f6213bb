/**
 * What the gateway's plain classes need from the outside world, as interfaces so unit tests can
 * drive them without a Moleculer broker or a real socket.
 */

/** Calls an actor action; `nodeID` pins the call to the node that owns the entity. */
export interface ActorClient {
  call<T = unknown>(action: string, params: object, opts?: { nodeID?: string }): Promise<T>;
}

/** The part of a WebSocket a session writes to. */
export interface SessionSocket {
  readonly isOpen: boolean;
  /** Bytes accepted by send() but not yet handed to the kernel: grows while the client does not read. */
  readonly bufferedAmount: number;
  /** A text frame; a Buffer is UTF-8 JSON encoded once for many sockets (room signals). */
  send(data: string | Buffer): void;
  close(code: number, reason: string): void;
}

export interface GatewayLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** WebSocket close codes the gateway uses (4000–4999 are free for applications). */
export const CloseCodes = {
  normal: 1000,
  goingAway: 1001,
  /** Closed by the room: kicked, room closed, lobby rejected. The reason names the event. */
  closedByRoom: 4000,
  /** The client stopped reading: its queue passed 4 × http.maxBufferedBytes. Reason `slow_consumer`. */
  slowConsumer: 4008,
  badRequest: 4400,
  unauthorized: 4401,
} as const;
