import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AccessClaims } from '../../schemas/auth';
import type { Config } from '../../schemas/config';
import { toCascadeError } from '../../schemas/errors';
import type { NodeId } from '../../schemas/ids';
import { authenticate } from '../auth/connect';
import type { RouterCapabilities } from '../routerCapabilities';
import { SessionRegistry } from '../SessionRegistry';
import { SignalingSession } from '../SignalingSession';
import { CloseCodes, type ActorClient, type GatewayLogger, type SessionSocket } from '../types';
import { errorEventFrame } from './frames';

/**
 * The WebSocket endpoint `/ws`: authenticates each connection from its URL, then gives it a
 * SignalingSession. Rejected connections are accepted first and closed with 4401 after an
 * `error` event, because a browser cannot read the status of a refused upgrade.
 */

export const WS_PATH = '/ws';
/** Dead peers (closed laptop lid, lost network) are found within two intervals. */
const PING_INTERVAL_MS = 15_000;

export interface SignalingServerOptions {
  auth: Config['auth'];
  maxMessageBytes: number;
  /** http.maxBufferedBytes: see SignalingSession. */
  maxBufferedBytes: number;
  routerCapabilities: RouterCapabilities;
  actors: ActorClient;
  gatewayNodeId: NodeId;
  logger: GatewayLogger;
}

export class SignalingServer {
  readonly registry = new SessionRegistry();
  readonly #options: SignalingServerOptions;
  readonly #wss: WebSocketServer;
  readonly #alive = new WeakSet<WebSocket>();
  readonly #pingTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: SignalingServerOptions) {
    this.#options = options;
    // ws drops frames above maxPayload with 1009; the margin lets us answer MESSAGE_TOO_LARGE instead.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes * 4, clientTracking: true });
    this.#wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.#onConnection(ws, req));
    this.#pingTimer = setInterval(() => this.#ping(), PING_INTERVAL_MS);
    this.#pingTimer.unref();
  }

  get connectionCount(): number {
    return this.#wss.clients.size;
  }

  /** For `server.on('upgrade')`. Returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH || this.#closed) return false;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
    return true;
  }

  /** Closes every connection (participants leave as 'disconnected') and stops accepting new ones. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    const sockets = [...this.#wss.clients];
    const gone = sockets.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))));
    for (const ws of sockets) ws.close(CloseCodes.goingAway, 'server shutting down');
    // A peer that does not answer the close handshake is cut off after a second.
    const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), 1000);
    await Promise.all(gone);
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    const { logger } = this.#options;
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('error', (err) => logger.debug(`ws error: ${err.message}`));

    let claims: AccessClaims;
    try {
      claims = authenticate(this.#options.auth, new URL(req.url ?? '/', 'http://localhost').searchParams);
    } catch (err) {
      const error = toCascadeError(err);
      logger.info(`ws connection from ${req.socket.remoteAddress} rejected: ${error.code}`);
      ws.send(errorEventFrame(error.toBody()));
      const code = error.code === 'VALIDATION_FAILED' ? CloseCodes.badRequest : CloseCodes.unauthorized;
      ws.close(code, error.code);
      return;
    }

    const socket: SessionSocket = {
      get isOpen() {
        return ws.readyState === WebSocket.OPEN;
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      // A Buffer holds UTF-8 JSON too: it goes out as a text frame.
      send: (data) => ws.send(data, { binary: false }),
      close: (code, reason) => ws.close(code, reason),
    };
    const session = new SignalingSession({
      claims,
      actors: this.#options.actors,
      socket,
      gatewayNodeId: this.#options.gatewayNodeId,
      maxMessageBytes: this.#options.maxMessageBytes,
      maxBufferedBytes: this.#options.maxBufferedBytes,
      routerCapabilities: this.#options.routerCapabilities,
      logger,
      onClosed: (s) => this.registry.remove(s),
    });
    this.registry.add(session);
    ws.on('message', (data) => void session.handleMessage(data));
    ws.on('close', (code) => {
      logger.debug(`ws ${claims.identity}@${claims.room} closed (${code})`);
      session.socketClosed();
    });
  }

  #ping(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }
}
