import type { ErrorBody } from '../../schemas/errors';
import type { EventData, ServerEvent } from '../../schemas/signaling';

/**
 * The three frame shapes the server sends. Kept in one place so the wire format cannot drift
 * between responses, errors and notifications.
 */

export type RequestId = number | string;

export interface OkFrame {
  id: RequestId;
  ok: true;
  data: unknown;
}

export interface ErrorFrame {
  id: RequestId;
  ok: false;
  error: ErrorBody;
}

export interface EventFrame {
  event: string;
  data: unknown;
}

export function okFrame(id: RequestId, data: unknown): string {
  return JSON.stringify({ id, ok: true, data: data ?? {} } satisfies OkFrame);
}

export function errorFrame(id: RequestId, error: ErrorBody): string {
  return JSON.stringify({ id, ok: false, error } satisfies ErrorFrame);
}

/** A typed notification (events this gateway originates itself). */
export function eventFrame<E extends ServerEvent>(event: E, data: EventData<E>): string {
  return JSON.stringify({ event, data } satisfies EventFrame);
}

/** A notification relayed from an actor: its name and data were chosen there. */
export function relayedEventFrame(event: string, data: unknown): string {
  return JSON.stringify({ event, data: data ?? {} } satisfies EventFrame);
}

const signalFrames = new WeakMap<object, Buffer>();

/**
 * A relayed signal as the bytes of its frame, serialized and UTF-8 encoded once per signal
 * however many sessions of the room it goes to (a join is announced to everyone in the room).
 */
export function signalFrame(signal: { event: string; data?: unknown }): Buffer {
  let frame = signalFrames.get(signal);
  if (!frame) {
    frame = Buffer.from(relayedEventFrame(signal.event, signal.data));
    signalFrames.set(signal, frame);
  }
  return frame;
}

/** The `error` event for failures that cannot be tied to a request id. */
export function errorEventFrame(error: ErrorBody): string {
  return eventFrame('error', { code: error.code, message: error.message });
}

/** Byte length of a ws message without copying it. */
export function byteLength(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

export function toText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Best effort: the request id of a parsed message that failed envelope validation. */
export function extractId(value: unknown): RequestId | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const id = (value as { id?: unknown }).id;
  if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && id.length <= 64) return id;
  return undefined;
}
