import type { IncomingMessage, ServerResponse } from 'node:http';
import { CascadeError, toCascadeError } from '../../schemas/errors';
import type { GatewayLogger } from '../types';

/**
 * A small method + path router. Patterns are literal segments and `:name` captures
 * (`/api/rooms/:roomId`); the first match wins; anything unmatched goes to the fallback (static
 * files). Errors thrown by handlers become `{error: {code, message, fields?}}` with the code's
 * HTTP status, never a stack trace.
 */

export type RouteParams = Record<string, string>;
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: RouteParams, url: URL) => void | Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

export class Router {
  readonly #routes: Route[] = [];
  readonly #logger: GatewayLogger;
  #fallback: RouteHandler = () => {
    throw new CascadeError('NOT_FOUND');
  };

  constructor(logger: GatewayLogger) {
    this.#logger = logger;
  }

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  get(pattern: string, handler: RouteHandler): this {
    return this.add('GET', pattern, handler);
  }

  post(pattern: string, handler: RouteHandler): this {
    return this.add('POST', pattern, handler);
  }

  delete(pattern: string, handler: RouteHandler): this {
    return this.add('DELETE', pattern, handler);
  }

  fallback(handler: RouteHandler): this {
    this.#fallback = handler;
    return this;
  }

  /** Entry point for `http.createServer`. Never rejects. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const found = this.#match(method, url.pathname);
      if (found) await found.route.handler(req, res, found.params, url);
      else await this.#fallback(req, res, {}, url);
    } catch (err) {
      const error = toCascadeError(err);
      if (error.code === 'INTERNAL') this.#logger.error(`http ${req.method} ${req.url} failed`, err);
      if (!res.headersSent) sendJson(res, error.status, { error: error.toBody() });
      else res.destroy();
    }
  }

  #match(method: string, pathname: string): { route: Route; params: RouteParams } | undefined {
    const segments = split(pathname);
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: RouteParams = {};
      const ok = route.segments.every((pattern, i) => {
        const actual = segments[i] ?? '';
        if (pattern.startsWith(':')) {
          params[pattern.slice(1)] = safeDecode(actual);
          return true;
        }
        return pattern === actual;
      });
      if (ok) return { route, params };
    }
    return undefined;
  }
}

function split(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new CascadeError('NOT_FOUND', 'Malformed URL');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Reads a JSON request body of at most `maxBytes` (for the REST API). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  // Refuse a declared oversize body before reading a byte of it.
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw new CascadeError('MESSAGE_TOO_LARGE', `Body exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new CascadeError('MESSAGE_TOO_LARGE', `Body exceeds ${maxBytes} bytes`);
    chunks.push(buf);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CascadeError('BAD_JSON');
  }
}
