import { startServer, type RunningServer } from '../../cli/server';
import { mergeConfig, type DeepPartial } from '../../config/load';
import type { Config } from '../../schemas/config';
import { freeUdpPortRange } from './ports';

export const TEST_API_KEY = { key: 'test-key', secret: 'test-api-secret' };

/**
 * A real single-node server for tests: free HTTP and RTC ports, one worker, an in-memory SQLite
 * database (unless the test names one), an API key pair, quiet logs.
 */
export async function startTestServer(overrides: DeepPartial<Config> = {}): Promise<RunningServer> {
  const rtc = await freeUdpPortRange(1);
  const base: DeepPartial<Config> = {
    http: { host: '127.0.0.1', port: 0 },
    auth: { mode: 'token', secret: 'cascade-test-secret', apiKeys: [TEST_API_KEY] },
    rtc: { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', port: rtc.min },
    mediasoup: { workers: 1 },
    database: { sqlitePath: ':memory:' },
    log: { level: 'warn' },
  };
  return startServer({ overrides: mergeConfig(base, overrides) });
}

/** fetch against the server's REST API with the test API key (or the given Authorization). */
export async function api(
  server: RunningServer,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; auth?: string | null } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? `Bearer ${TEST_API_KEY.key}:${TEST_API_KEY.secret}` : options.auth;
  if (auth) headers.authorization = auth;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
