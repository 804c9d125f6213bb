import type { JoinResult } from '../../schemas/actors';
import type { AccessClaims } from '../../schemas/auth';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import { SessionRegistry } from '../../gateway/SessionRegistry';
import { SignalingSession } from '../../gateway/SignalingSession';
import type { ActorClient, GatewayLogger, SessionSocket } from '../../gateway/types';

/** Drives a SignalingSession with a fake socket and a scripted ActorClient: no broker, no network. */

interface Call {
  action: string;
  params: Record<string, unknown>;
  nodeID?: string;
}

export type Reply = (params: Record<string, unknown>) => unknown;

export class FakeActors implements ActorClient {
  readonly calls: Call[] = [];
  readonly replies = new Map<string, Reply>();

  async call<T>(action: string, params: object, opts?: { nodeID?: string }): Promise<T> {
    const p = params as Record<string, unknown>;
    this.calls.push({ action, params: p, ...(opts?.nodeID ? { nodeID: opts.nodeID } : {}) });
    const reply = this.replies.get(action);
    if (!reply) throw Object.assign(new Error(`Service '${action}' is not found.`), { type: 'SERVICE_NOT_FOUND' });
    return (await reply(p)) as T;
  }

  of(action: string): Call[] {
    return this.calls.filter((c) => c.action === action);
  }
}

export class FakeSocket implements SessionSocket {
  isOpen = true;
  /** What the client has not read yet; tests set it to play a slow client. */
  bufferedAmount = 0;
  readonly sent: Record<string, unknown>[] = [];
  /** What send() was given, as given (a string, or a Buffer shared by a room's sessions). */
  readonly raw: (string | Buffer)[] = [];
  closedWith?: { code: number; reason: string };

  send(data: string | Buffer): void {
    this.raw.push(data);
    this.sent.push(JSON.parse(data.toString()) as Record<string, unknown>);
  }

  close(code: number, reason: string): void {
    this.isOpen = false;
    this.closedWith = { code, reason };
  }

  last(): Record<string, unknown> {
    return this.sent[this.sent.length - 1] ?? {};
  }
}

const silent: GatewayLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
export const ROOM = 'room1' as RoomId;
export const PID = 'p-alice' as ParticipantId;
export const OWNER = 'media-node-1' as NodeId;

export const joinedData = {
  room: { id: ROOM, name: 'room1' },
  self: { id: PID, identity: 'alice', name: 'Alice', role: 'guest' as const, joinedAt: '2024-01-01T00:00:00Z', tracks: [] },
  participants: [],
  node: { id: OWNER, region: 'local' },
  chatHistory: [],
};

export function setupSession(options: { claims?: Partial<AccessClaims>; maxMessageBytes?: number; maxBufferedBytes?: number; join?: Reply; registry?: SessionRegistry } = {}) {
  const actors = new FakeActors();
  const socket = new FakeSocket();
  const registry = options.registry ?? new SessionRegistry();
  actors.replies.set('media.getRouterRtpCapabilities', () => ({ rtpCapabilities: { codecs: [{ mimeType: 'audio/opus' }] } }));
  actors.replies.set(
    'room.join',
    options.join ?? ((): JoinResult => ({ status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData })),
  );
  actors.replies.set('participant.createTransport', (p) => ({ id: `t-${String(p.direction)}`, iceParameters: {}, iceCandidates: [], dtlsParameters: {} }));
  actors.replies.set('participant.leave', () => ({}));
  actors.replies.set('participant.setMuted', () => ({}));
  actors.replies.set('room.chat', () => ({ id: 'c1', ts: '2024-01-01T00:00:00Z', extra: 'not forwarded' }));
  const session = new SignalingSession({
    claims: { room: ROOM, identity: 'alice', name: 'Alice', role: 'guest', ...options.claims },
    actors,
    socket,
    gatewayNodeId: 'gw-1' as NodeId,
    maxMessageBytes: options.maxMessageBytes ?? 1024,
    ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
    logger: silent,
    onClosed: (s) => registry.remove(s),
  });
  registry.add(session);
  const send = async (message: unknown) => {
    await session.handleMessage(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
    return socket.last();
  };
  return { actors, socket, session, registry, send };
}

export const errorCode = (frame: Record<string, unknown>) => (frame.error as { code?: string } | undefined)?.code;
export const eventCode = (frame: Record<string, unknown>) => (frame.data as { code?: string } | undefined)?.code;
