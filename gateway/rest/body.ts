import type { IncomingMessage } from 'node:http';
import { CascadeError } from '../../schemas/errors';

/** Reads a JSON request body, refusing more than `limit` bytes before buffering them. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new CascadeError('MESSAGE_TOO_LARGE', `Body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new CascadeError('MESSAGE_TOO_LARGE', `Body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CascadeError('BAD_JSON', 'Request body is not valid JSON');
  }
}

/** Query string → object, turning integer-looking values of integer fields into numbers. */
export function readQuery(url: URL, integerFields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    out[key] = integerFields.includes(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}
