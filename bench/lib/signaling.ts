import WebSocket from 'ws';
import { msSince } from './stats';

/**
 * The smallest signaling client that does what a real one does on join: requests matched by id,
 * events ignored (they are still received and parsed, as a browser would). No timeouts beyond
 * the one per request, no retries: a benchmark should fail loudly.
 */
export class BenchClient {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, { resolve: (data: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  events = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => this.#onMessage(raw.toString()));
    ws.on('close', (code, reason) => this.#failAll(new Error(`socket closed (${code} ${reason.toString()})`)));
  }

  static connect(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new BenchClient(ws)));
      ws.once('error', reject);
    });
  }

  request<T = Record<string, unknown>>(method: string, data?: unknown, timeoutMs = 15000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (d: unknown) => void, reject, timer });
      this.#ws.send(JSON.stringify(data === undefined ? { id, method } : { id, method, data }));
    });
  }

  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close();
    });
  }

  #onMessage(text: string): void {
    const frame = JSON.parse(text) as { id?: number; ok?: boolean; data?: unknown; error?: { code: string; message: string }; event?: string };
    if (frame.id === undefined) {
      this.events++;
      return;
    }
    const waiter = this.#pending.get(frame.id);
    if (!waiter) return;
    this.#pending.delete(frame.id);
    clearTimeout(waiter.timer);
    if (frame.ok) waiter.resolve(frame.data);
    else waiter.reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
  }

  #failAll(err: Error): void {
    for (const [id, waiter] of this.#pending) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
      this.#pending.delete(id);
    }
  }
}

/** The join steps, in the order a client runs them, and how long each one took. */
export const JOIN_STEPS = ['getRouterRtpCapabilities', 'join', 'createTransport send', 'createTransport recv'] as const;
export type JoinStep = (typeof JOIN_STEPS)[number];
export type JoinTiming = Record<JoinStep | 'total', number>;

/**
 * One participant joining and becoming ready to send: capabilities, join (with those
 * capabilities as the client's own, as mediasoup-demo's bots do), send and recv transports.
 */
export async function timedJoin(client: BenchClient, name: string): Promise<JoinTiming> {
  const start = process.hrtime.bigint();
  let t = start;
  const lap = (): number => {
    const ms = msSince(t);
    t = process.hrtime.bigint();
    return ms;
  };
  const caps = await client.request<{ rtpCapabilities: Record<string, unknown> }>('getRouterRtpCapabilities');
  const capsMs = lap();
  await client.request('join', { rtpCapabilities: caps.rtpCapabilities, name });
  const joinMs = lap();
  await client.request('createTransport', { direction: 'send' });
  const sendMs = lap();
  await client.request('createTransport', { direction: 'recv' });
  const recvMs = lap();
  return {
    getRouterRtpCapabilities: capsMs,
    join: joinMs,
    'createTransport send': sendMs,
    'createTransport recv': recvMs,
    total: msSince(start),
  };
}
