import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { mintToken } from '../../gateway/auth/tokens';
import { GatewayServer } from '../../gateway/GatewayServer';
import type { ActorClient, GatewayLogger } from '../../gateway/types';
import type { JoinResult } from '../../schemas/actors';
import { ConfigSchema, type Config } from '../../schemas/config';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import { TestSignalingClient } from '../helpers/signalingClient';

/**
 * The gateway's HTTP server and WebSocket endpoint over real sockets, with scripted actors (the
 * real actors are exercised in gateway.ws.test.ts and the e2e test).
 */

jest.setTimeout(30_000);

const silent: GatewayLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function testConfig(mode: Config['auth']['mode']): Config {
  const config = Value.Default(ConfigSchema, {}) as Config;
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.http.maxMessageBytes = 1024;
  config.auth.mode = mode;
  config.auth.secret = 'gateway-server-test-secret';
  return config;
}

const PID = 'pa-1' as ParticipantId;
const calls: { action: string; params: unknown; nodeID?: string }[] = [];
const actors: ActorClient = {
  async call<T>(action: string, params: object, opts?: { nodeID?: string }): Promise<T> {
    calls.push({ action, params, ...(opts?.nodeID ? { nodeID: opts.nodeID } : {}) });
    if (action === 'media.getRouterRtpCapabilities') return { rtpCapabilities: { codecs: [] } } as T;
    if (action === 'room.join') {
      const result: JoinResult = {
        status: 'joined',
        participantId: PID,
        participantNodeId: 'node-a' as NodeId,
        joined: {
          room: { id: 'r1' as RoomId, name: 'r1' },
          self: { id: PID, identity: 'alice', name: 'alice', role: 'guest', joinedAt: new Date().toISOString(), tracks: [] },
          participants: [],
          node: { id: 'node-a' as NodeId, region: 'local' },
          chatHistory: [],
        },
      };
      return result as T;
    }
    return {} as T;
  },
};

let publicDir: string;
let tokenServer: GatewayServer;
let openServer: GatewayServer;

beforeAll(async () => {
  publicDir = mkdtempSync(path.join(os.tmpdir(), 'cascade-public-'));
  writeFileSync(path.join(publicDir, 'index.html'), '<!doctype html><title>Cascade</title>');
  writeFileSync(path.join(publicDir, 'app.js'), 'console.log(1)');
  writeFileSync(path.join(publicDir, 'style.css'), 'body{}');
  mkdirSync(path.join(publicDir, 'sub'));
  writeFileSync(path.join(publicDir, 'sub', 'index.html'), 'sub index');
  writeFileSync(path.join(path.dirname(publicDir), 'cascade-secret.txt'), 'outside the public dir');
  const common = { publicDir, actors, gatewayNodeId: 'gw-test' as NodeId, logger: silent };
  tokenServer = new GatewayServer({ ...common, config: testConfig('token') });
  openServer = new GatewayServer({ ...common, config: testConfig('open') });
  await Promise.all([tokenServer.listen(), openServer.listen()]);
});

afterAll(async () => {
  await Promise.all([tokenServer?.close(), openServer?.close()]);
  rmSync(publicDir, { recursive: true, force: true });
  rmSync(path.join(path.dirname(publicDir), 'cascade-secret.txt'), { force: true });
});

/** A raw GET, so paths like /../x reach the server unnormalized (fetch would resolve them). */
function get(server: GatewayServer, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.address.port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const wsUrl = (server: GatewayServer, query: string) => `ws://127.0.0.1:${server.address.port}/ws${query}`;

describe('HTTP', () => {
  test('GET /health answers status, version and uptime', async () => {
    const res = await get(tokenServer, '/health');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { status: string; version: string; uptime_seconds: number };
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptime_seconds).toBe('number');
  });

  test('GET /client-config.json tells the client the auth mode', async () => {
    expect(JSON.parse((await get(openServer, '/client-config.json')).body)).toEqual({ authMode: 'open' });
    expect(JSON.parse((await get(tokenServer, '/client-config.json')).body)).toEqual({ authMode: 'token' });
  });

  test('/ inlines the client config: auth mode and the routers\' capabilities (asked of the media service once)', async () => {
    const asked = () => calls.filter((c) => c.action === 'media.getRouterRtpCapabilities').length;
    const before = asked();
    for (const server of [openServer, openServer]) {
      const page = await get(server, '/');
      const block = /<script id="cascade-config" type="application\/json">(.*?)<\/script>/.exec(page.body);
      expect(JSON.parse(block?.[1] ?? 'null')).toEqual({ authMode: 'open', rtpCapabilities: { codecs: [] } });
      expect(page.body).toContain('<title>Cascade</title>');
    }
    expect(asked() - before).toBe(1);
    expect((await get(tokenServer, '/index.html')).body).toContain('{"authMode":"token"');
  });

  test('static files with their content types; / is index.html', async () => {
    const index = await get(tokenServer, '/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(index.body).toContain('<title>Cascade</title>');
    expect((await get(tokenServer, '/app.js')).type).toBe('text/javascript; charset=utf-8');
    expect((await get(tokenServer, '/style.css')).type).toBe('text/css; charset=utf-8');
    expect((await get(tokenServer, '/sub/')).body).toBe('sub index');
  });

  test('unknown paths are 404 NOT_FOUND and nothing outside the public dir is served', async () => {
    const missing = await get(tokenServer, '/nope.js');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    for (const p of ['/../cascade-secret.txt', '/%2e%2e/cascade-secret.txt', '/sub/..%2f..%2fcascade-secret.txt', '/..%5ccascade-secret.txt']) {
      const res = await get(tokenServer, p);
      expect(res.body).not.toContain('outside the public dir');
      expect(res.status).toBe(404);
    }
  });

  test('a WebSocket upgrade on another path is refused', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${tokenServer.address.port}/other`);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).toMatch(/404/);
  });
});

describe('WebSocket authentication', () => {
  test('no token in token mode: error event TOKEN_MISSING, then close 4401', async () => {
    const client = await TestSignalingClient.connect(wsUrl(tokenServer, ''));
    const closed = await client.closed;
    expect(client.frames).toEqual([{ event: 'error', data: { code: 'TOKEN_MISSING', message: expect.any(String) } }]);
    expect(closed).toEqual({ code: 4401, reason: 'TOKEN_MISSING' });
  });

  test('forged token: TOKEN_INVALID and 4401; expired token: TOKEN_EXPIRED and 4401', async () => {
    const forged = mintToken({ secret: 'not-the-secret', issuer: 'cascade', defaultTtlSeconds: 60 }, { room: 'r1', identity: 'mallory' });
    const a = await TestSignalingClient.connect(wsUrl(tokenServer, `?token=${forged}`));
    expect((await a.closed).code).toBe(4401);
    expect(a.frames[0]).toMatchObject({ event: 'error', data: { code: 'TOKEN_INVALID' } });

    const auth = testConfig('token').auth;
    const expired = jwt.sign({ room: 'r1', identity: 'late', role: 'guest' }, auth.secret, { algorithm: 'HS256', issuer: auth.issuer, expiresIn: -5 });
    const b = await TestSignalingClient.connect(wsUrl(tokenServer, `?token=${expired}`));
    expect((await b.closed).code).toBe(4401);
    expect(b.frames[0]).toMatchObject({ event: 'error', data: { code: 'TOKEN_EXPIRED' } });
  });

  test('a valid token connects and joins with its claims', async () => {
    const token = mintToken(testConfig('token').auth, { room: 'r1', identity: 'alice', role: 'host' });
    const client = await TestSignalingClient.connect(wsUrl(tokenServer, `?token=${token}`));
    const joined = await client.call<{ status: string }>('join', { rtpCapabilities: {} });
    expect(joined.status).toBe('joined');
    expect(calls.filter((c) => c.action === 'room.join').pop()?.params).toMatchObject({ roomId: 'r1', identity: 'alice', role: 'host', gatewayNodeId: 'gw-test' });
    expect(tokenServer.registry.size).toBe(1);
    await client.close();
    // The dropped socket makes the participant leave as 'disconnected'.
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.filter((c) => c.action === 'participant.leave').pop()).toEqual({
      action: 'participant.leave',
      params: { participantId: PID, reason: 'disconnected' },
      nodeID: 'node-a',
    });
    expect(tokenServer.registry.size).toBe(0);
  });

  test('open mode: bad query is VALIDATION_FAILED and close 4400', async () => {
    const client = await TestSignalingClient.connect(wsUrl(openServer, '?room=has%20space'));
    expect((await client.closed).code).toBe(4400);
    expect(client.frames[0]).toMatchObject({ event: 'error', data: { code: 'VALIDATION_FAILED' } });
  });
});

describe('WebSocket bad input keeps the connection usable', () => {
  test('each bad message gets its code; valid requests on the same socket still work', async () => {
    const client = await TestSignalingClient.connect(wsUrl(openServer, '?room=r1&identity=bob'));
    client.sendRaw('{not json');
    expect((await client.nextEvent('error')).data).toMatchObject({ code: 'BAD_JSON' });
    expect((await client.request('fly', {})).error?.code).toBe('UNKNOWN_METHOD');
    expect((await client.request('createTransport', { direction: 1 })).error?.code).toBe('VALIDATION_FAILED');
    expect((await client.request('createTransport', { direction: 'send' })).error?.code).toBe('NOT_JOINED');
    const before = client.frames.length;
    client.sendRaw(JSON.stringify({ id: 99, method: 'chat', data: { text: 'x'.repeat(2000) } }));
    expect((await client.nextEvent('error', 5000, before)).data).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(await client.call('getRouterRtpCapabilities')).toEqual({ rtpCapabilities: { codecs: [] } });
    expect((await client.call<{ status: string }>('join', { rtpCapabilities: {} })).status).toBe('joined');
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  test('a frame far above the limit (beyond ws maxPayload) closes with 1009', async () => {
    const client = await TestSignalingClient.connect(wsUrl(openServer, '?room=r1'));
    client.sendRaw('x'.repeat(1024 * 4 + 1));
    expect((await client.closed).code).toBe(1009);
  });
});

describe('signals from actors', () => {
  test('deliver reaches joined sockets of the room; disconnect closes them with 4000', async () => {
    const client = await TestSignalingClient.connect(wsUrl(openServer, '?room=r1&identity=carol'));
    await client.call('join', { rtpCapabilities: {} });
    const leavesBefore = calls.filter((c) => c.action === 'participant.leave').length;
    expect(openServer.deliver({ roomId: 'r1' as RoomId, event: 'room_closed', data: { reason: 'host' }, disconnect: true })).toBe(1);
    expect((await client.nextEvent('room_closed')).data).toEqual({ reason: 'host' });
    expect(await client.closed).toEqual({ code: 4000, reason: 'room_closed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.filter((c) => c.action === 'participant.leave').length).toBe(leavesBefore);
  });
});
