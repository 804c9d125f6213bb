import { mintAdminToken } from '../gateway/rest/apiAuth';
import type { Config } from '../schemas/config';

/**
 * The CLI's way into a running server: its REST API, authenticated with a short-lived admin token
 * signed with the same auth.secret (so the CLI needs the server's config, not a stored key).
 */
export async function restCall<T>(config: Config, baseUrl: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const base = baseUrl ?? `http://127.0.0.1:${config.http.port}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${mintAdminToken(config.auth, 60, 'cli')}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch((err: Error) => {
    throw new Error(`cannot reach ${base}: ${err.message} (is the server running? --url sets its address)`);
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const error = (parsed as { error?: { code: string; message: string } } | undefined)?.error;
    throw new Error(`${method} ${path}: ${res.status} ${error ? `${error.code}: ${error.message}` : text}`);
  }
  return parsed as T;
}
