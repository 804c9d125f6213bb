import type { ErrorBody } from '../../schemas/errors';
import type { ClientMethod, EventData, RequestData, ResponseData, ServerEvent } from '../../schemas/signaling';

/**
 * The browser side of the signaling protocol (docs/protocol.md): requests correlated by id,
 * typed from the same schemas the server validates with, and server notifications by name.
 */

export class SignalingError extends Error {
  readonly code: string;

  constructor(body: ErrorBody | { code: string; message: string }) {
    super(`${body.code}: ${body.message}`);
    this.name = 'SignalingError';
    this.code = body.code;
  }
}

/**
 * Ids are branded in the schemas (a RoomId is not a ProducerId) but are plain strings on the
 * wire; the browser gets them from mediasoup-client as strings, so requests take plain strings.
 */
export type Unbranded<T> = T extends string
  ? {} extends Omit<T, keyof string>
    ? T
    : string
  : T extends (infer U)[]
    ? Unbranded<U>[]
    : T extends object
      ? { [K in keyof T]: Unbranded<T[K]> }
      : T;

type EventHandler<E extends ServerEvent> = (data: EventData<E>) => void;
type AnyHandler = (data: unknown) => void;

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: number;
}

const REQUEST_TIMEOUT_MS = 15000;

export class SignalingClient {
  #ws?: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, Set<AnyHandler>>();
  #closeHandler?: (code: number, reason: string) => void;

  /** Opens the socket; resolves once it is open, rejects if it closes first. */
  connect(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.#ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = (ev: MessageEvent<string>) => this.#onMessage(ev.data);
      ws.onclose = (ev) => {
        this.#failPending(new SignalingError({ code: 'CLOSED', message: `connection closed (${ev.code} ${ev.reason})` }));
        if (!opened) reject(new SignalingError({ code: 'CONNECT_FAILED', message: `cannot connect (${ev.code})` }));
        else this.#closeHandler?.(ev.code, ev.reason);
      };
    });
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  request<M extends ClientMethod>(method: M, data: Unbranded<RequestData<M>>): Promise<ResponseData<M>> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new SignalingError({ code: 'CLOSED', message: 'not connected' }));
    const id = this.#nextId++;
    return new Promise<ResponseData<M>>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError({ code: 'TIMEOUT', message: `${method} timed out` }));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: (d) => resolve(d as ResponseData<M>), reject, timer });
      ws.send(JSON.stringify({ id, method, data }));
    });
  }

  on<E extends ServerEvent>(event: E, handler: EventHandler<E>): void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler as AnyHandler);
  }

  /** Every notification, whatever its name (for logs and test hooks). */
  onAny(handler: (event: string, data: unknown) => void): void {
    let set = this.#handlers.get('*');
    if (!set) this.#handlers.set('*', (set = new Set()));
    set.add((d) => {
      const { event, data } = d as { event: string; data: unknown };
      handler(event, data);
    });
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.#closeHandler = handler;
  }

  /** Closes without reporting to onClose (a deliberate local close). */
  close(): void {
    this.#closeHandler = undefined;
    this.#ws?.close(1000, 'client closed');
  }

  #onMessage(text: string): void {
    let msg: { id?: number; ok?: boolean; data?: unknown; error?: ErrorBody; event?: string };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      console.warn('signaling: ignored a non-JSON frame');
      return;
    }
    if (typeof msg.event === 'string') {
      for (const h of this.#handlers.get('*') ?? []) h({ event: msg.event, data: msg.data });
      for (const h of this.#handlers.get(msg.event) ?? []) {
        try {
          h(msg.data);
        } catch (err) {
          console.error(`signaling: ${msg.event} handler failed`, err);
        }
      }
      return;
    }
    if (typeof msg.id !== 'number') return;
    const pending = this.#pending.get(msg.id);
    if (!pending) return;
    this.#pending.delete(msg.id);
    window.clearTimeout(pending.timer);
    if (msg.ok) pending.resolve(msg.data);
    else pending.reject(new SignalingError(msg.error ?? { code: 'INTERNAL', message: 'error without body' }));
  }

  #failPending(err: Error): void {
    for (const p of this.#pending.values()) {
      window.clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
