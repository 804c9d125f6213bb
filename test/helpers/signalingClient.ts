import WebSocket from 'ws';

/**
 * A signaling client for tests, on the `ws` package: raw sends, requests matched by id, and
 * waits for events or for the close, each failing with what it was still waiting for.
 */

export interface Frame {
  id?: number | string;
  ok?: boolean;
  data?: unknown;
  error?: { code: string; message: string; fields?: { path: string; message: string }[] };
  event?: string;
}

export class TestSignalingClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #ws: WebSocket;
  readonly #waiters = new Set<() => void>();
  #nextId = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of [...this.#waiters]) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.closed.then(() => [...this.#waiters].forEach((wake) => wake()));
  }

  static async connect(url: string): Promise<TestSignalingClient> {
    const ws = new WebSocket(url);
    const client = new TestSignalingClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Stops reading from the socket (a client whose tab hangs): what the server sends piles up. */
  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  sendRaw(data: string | Buffer): void {
    this.#ws.send(data);
  }

  /** Sends `{id, method, data}` and resolves with the response frame (ok or not). */
  async request(method: string, data?: unknown, timeoutMs = 10000): Promise<Frame> {
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify(data === undefined ? { id, method } : { id, method, data }));
    return this.waitFor((f) => f.id === id, `response to ${method} #${id}`, timeoutMs);
  }

  /** Like request, but throws unless ok and returns the data. */
  async call<T = Record<string, unknown>>(method: string, data?: unknown): Promise<T> {
    const frame = await this.request(method, data);
    if (!frame.ok) throw new Error(`${method} failed: ${JSON.stringify(frame.error)}`);
    return frame.data as T;
  }

  nextEvent(event: string, timeoutMs = 10000, after = 0): Promise<Frame> {
    return this.waitFor((f, i) => f.event === event && i >= after, `event ${event}`, timeoutMs);
  }

  /** Resolves with the first frame (already received or coming) that matches. */
  waitFor(match: (f: Frame, index: number) => boolean, what: string, timeoutMs = 10000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.find(match);
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.#ws.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const wake = () => void check();
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      if (!check()) this.#waiters.add(wake);
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.close();
    return this.closed;
  }
}
