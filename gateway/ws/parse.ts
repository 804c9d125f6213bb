import { CascadeError } from '../../schemas/errors';
import { ClientEnvelopeSchema, ClientRequests, type ClientMethod, type RequestData } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import { extractId, toText, type RequestId } from './frames';

/**
 * Untrusted text → a typed request, checked in a fixed order: JSON, envelope, method, data.
 * (Size is checked by the caller before any decoding.) The first failure wins and says which
 * request id it belongs to when that much could be read.
 */

export type ParsedRequest = { [M in ClientMethod]: { id: RequestId; method: M; data: RequestData<M> } }[ClientMethod];

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; id?: RequestId; error: CascadeError };

const envelope = validator(ClientEnvelopeSchema);
const requestValidators = new Map(Object.entries(ClientRequests).map(([method, { request }]) => [method, validator(request)]));

export function isClientMethod(method: string): method is ClientMethod {
  return requestValidators.has(method);
}

export function parseRequest(raw: Buffer | ArrayBuffer | Buffer[] | string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : toText(raw));
  } catch (err) {
    return { ok: false, error: new CascadeError('BAD_JSON', `Message is not valid JSON: ${(err as Error).message}`) };
  }
  if (!envelope.check(value)) {
    const fields = envelope.errors(value);
    const error = new CascadeError('VALIDATION_FAILED', 'Message must be {id, method, data}', fields);
    const id = extractId(value);
    return id === undefined ? { ok: false, error } : { ok: false, id, error };
  }
  const { id, method } = value;
  const check = requestValidators.get(method);
  if (!isClientMethod(method) || !check) {
    return { ok: false, id, error: new CascadeError('UNKNOWN_METHOD', `Unknown method "${method.slice(0, 64)}"`) };
  }
  const data = value.data ?? {};
  if (!check.check(data)) {
    const fields = check.errors(data).map((f) => ({ path: `/data${f.path === '/' ? '' : f.path}`, message: f.message }));
    const names = [...new Set(fields.map((f) => f.path))].join(', ');
    return { ok: false, id, error: new CascadeError('VALIDATION_FAILED', `Invalid ${method} data: ${names}`, fields) };
  }
  // The validator of exactly this method accepted `data`, so the pairing holds.
  return { ok: true, request: { id, method, data } as ParsedRequest };
}
