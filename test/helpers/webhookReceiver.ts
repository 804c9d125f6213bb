import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request (raw
 * body, for signature checks) and answers what `respond` says: a status, or `hang` (no answer
 * until the receiver closes: a timeout for the sender).
 */

export interface ReceivedHook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

export type Responder = (hook: ReceivedHook, index: number) => number | 'hang' | Promise<number | 'hang'>;

export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  respond: Responder = () => 200;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = undefined;
        }
        const hook: ReceivedHook = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body };
        const index = this.received.push(hook) - 1;
        for (const wake of [...this.#waiters]) wake();
        void Promise.resolve(this.respond(hook, index)).then((status) => {
          if (status !== 'hang') res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
        });
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookReceiver(server);
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('receiver is not listening');
    return `http://127.0.0.1:${address.port}/hooks`;
  }

  /** Events received (every request's body.event), in arrival order. */
  events(): string[] {
    return this.received.map((h) => h.body?.event as string);
  }

  /** Resolves when `done(received)` holds; fails after `timeoutMs` naming what arrived. */
  async waitFor(done: (received: ReceivedHook[]) => boolean, what: string, timeoutMs = 20000): Promise<void> {
    if (done(this.received)) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!done(this.received)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; received: ${this.events().join(', ') || 'nothing'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
