import jwt from 'jsonwebtoken';
import { startServer, type RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import { freeUdpPortRange } from '../helpers/ports';
import { TestSignalingClient } from '../helpers/signalingClient';

/**
 * The WebSocket protocol against the real server (real room/participant actors, a real mediasoup
 * worker) in token mode: bad tokens and bad input get their specific codes, and the same
 * connection then gets router capabilities, joins and creates transports.
 */

jest.setTimeout(60_000);

const SECRET = 'gateway-ws-integration-secret';
let server: RunningServer;

beforeAll(async () => {
  const rtc = await freeUdpPortRange(1);
  server = await startServer({
    overrides: {
      http: { host: '127.0.0.1', port: 0, maxMessageBytes: 8192 },
      auth: { mode: 'token', secret: SECRET, issuer: 'cascade' },
      rtc: { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', port: rtc.min },
      mediasoup: { workers: 1 },
      database: { sqlitePath: ':memory:' },
      log: { level: 'warn' },
    },
  });
});

afterAll(async () => {
  await server?.stop();
});

const auth = () => server.config.auth;
const url = (token?: string) => `ws://127.0.0.1:${server.port}/ws${token ? `?token=${token}` : ''}`;
const token = (identity: string, room = 'itest') => mintToken(auth(), { room, identity, name: identity, role: 'guest' });

describe('connecting', () => {
  test('no token → TOKEN_MISSING then close 4401', async () => {
    const client = await TestSignalingClient.connect(url());
    expect((await client.closed).code).toBe(4401);
    expect(client.frames[0]).toMatchObject({ event: 'error', data: { code: 'TOKEN_MISSING' } });
  });

  test('expired token → TOKEN_EXPIRED then close 4401', async () => {
    const expired = jwt.sign({ room: 'itest', identity: 'late', role: 'guest' }, SECRET, { algorithm: 'HS256', issuer: 'cascade', expiresIn: -30 });
    const client = await TestSignalingClient.connect(url(expired));
    expect((await client.closed).code).toBe(4401);
    expect(client.frames[0]).toMatchObject({ event: 'error', data: { code: 'TOKEN_EXPIRED' } });
  });

  test('forged token → TOKEN_INVALID then close 4401', async () => {
    const forged = mintToken({ ...auth(), secret: 'attacker-secret' }, { room: 'itest', identity: 'mallory', role: 'host' });
    const client = await TestSignalingClient.connect(url(forged));
    expect((await client.closed).code).toBe(4401);
    expect(client.frames[0]).toMatchObject({ event: 'error', data: { code: 'TOKEN_INVALID' } });
  });

  test('the server keeps serving after rejected connections', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });
});

describe('one connection: bad input, then the real flow', () => {
  test('each bad message gets its code and the connection keeps working', async () => {
    const alice = await TestSignalingClient.connect(url(token('alice')));
    let mark = alice.frames.length;
    alice.sendRaw('{"id": 1, "method": "join", ');
    expect((await alice.nextEvent('error', 5000, mark)).data).toMatchObject({ code: 'BAD_JSON' });

    expect((await alice.request('teleport', {})).error?.code).toBe('UNKNOWN_METHOD');
    const wrongTypes = await alice.request('setPreferredLayers', { consumerId: 5, spatialLayer: 'high' });
    expect(wrongTypes.error?.code).toBe('VALIDATION_FAILED');
    expect(wrongTypes.error?.fields?.map((f) => f.path)).toEqual(expect.arrayContaining(['/data/consumerId', '/data/spatialLayer']));
    expect((await alice.request('join', { rtpCapabilities: 'everything' })).error?.code).toBe('VALIDATION_FAILED');
    expect((await alice.request('createTransport', { direction: 'send' })).error?.code).toBe('NOT_JOINED');

    mark = alice.frames.length;
    alice.sendRaw(JSON.stringify({ id: 50, method: 'chat', data: { text: 'y'.repeat(9000) } }));
    expect((await alice.nextEvent('error', 5000, mark)).data).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });

    // Now the same connection does the real thing.
    const { rtpCapabilities } = await alice.call<{ rtpCapabilities: { codecs: { mimeType: string }[] } }>('getRouterRtpCapabilities');
    expect(rtpCapabilities.codecs.map((c) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']));
    const joined = await alice.call<{ status: string; self: { identity: string }; room: { id: string } }>('join', { rtpCapabilities });
    expect(joined).toMatchObject({ status: 'joined', self: { identity: 'alice' }, room: { id: 'itest' } });
    expect((await alice.request('join', { rtpCapabilities })).error?.code).toBe('ALREADY_JOINED');

    const send = await alice.call<{ id: string; iceCandidates: { ip?: string; address?: string; port: number }[] }>('createTransport', { direction: 'send' });
    expect(send.id).toEqual(expect.any(String));
    expect(send.iceCandidates.length).toBeGreaterThan(0);
    expect(send.iceCandidates.every((c) => (c.address ?? c.ip) === '127.0.0.1')).toBe(true);

    // Errors from the actors come back with their own codes, and the socket still works.
    expect((await alice.request('connectTransport', { transportId: 'no-such-transport', dtlsParameters: {} })).error?.code).toBe('TRANSPORT_NOT_FOUND');
    expect((await alice.request('consume', { producerId: 'no-such-producer' })).error?.code).toBe('TRANSPORT_NOT_FOUND');
    await alice.call('createTransport', { direction: 'recv' });
    expect((await alice.request('consume', { producerId: 'no-such-producer' })).error?.code).toBe('PRODUCER_NOT_FOUND');
    expect((await alice.request('kick', { identity: 'bob' })).error?.code).toBe('FORBIDDEN');

    const chat = await alice.call<{ id: string; ts: string }>('chat', { text: 'hello' });
    expect(chat.id).toEqual(expect.any(String));
    expect(alice.isOpen).toBe(true);
    await alice.close();
  });

  test('a second participant sees the first join, chat, and leave; leave closes with 1000', async () => {
    const carol = await TestSignalingClient.connect(url(token('carol', 'itest2')));
    const dave = await TestSignalingClient.connect(url(token('dave', 'itest2')));
    const caps = (await carol.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities')).rtpCapabilities;
    await carol.call('join', { rtpCapabilities: caps });
    const daveJoined = await dave.call<{ participants: { identity: string }[] }>('join', { rtpCapabilities: caps });
    expect(daveJoined.participants.map((p) => p.identity)).toEqual(['carol']);
    expect((await carol.nextEvent('participant_joined')).data).toMatchObject({ identity: 'dave', name: 'dave' });

    await dave.call('chat', { text: 'hi carol' });
    expect((await carol.nextEvent('chat')).data).toMatchObject({ text: 'hi carol', from: { identity: 'dave' } });

    expect(await dave.call('leave')).toEqual({});
    expect((await dave.closed).code).toBe(1000);
    expect((await carol.nextEvent('participant_left')).data).toMatchObject({ identity: 'dave', reason: 'client_left' });

    // A dropped socket counts as leaving too.
    const erin = await TestSignalingClient.connect(url(token('erin', 'itest2')));
    await erin.call('join', { rtpCapabilities: caps });
    await carol.waitFor((f) => f.event === 'participant_joined' && (f.data as { identity: string }).identity === 'erin', 'erin joined');
    await erin.close();
    const left = await carol.waitFor((f) => f.event === 'participant_left' && (f.data as { identity: string }).identity === 'erin', 'erin left');
    expect(left.data).toMatchObject({ reason: 'disconnected' });
    await carol.close();
  });
});
