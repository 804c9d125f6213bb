import type { RunningServer } from '../../cli/server';
import { mintAdminToken } from '../../gateway/rest/apiAuth';
import { mintToken } from '../../gateway/auth/tokens';
import { TestSignalingClient } from '../helpers/signalingClient';
import { api, startTestServer } from '../helpers/server';

/**
 * Contract tests of the REST API against the real server: every endpoint, every error status it
 * documents, and effects that reach the media and the participants.
 */

jest.setTimeout(60_000);
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ http: { maxMessageBytes: 16384 } });
});
afterAll(async () => {
  await server?.stop();
});

async function join(roomId: string, identity: string, role: 'host' | 'guest' | 'viewer' = 'guest'): Promise<TestSignalingClient> {
  const token = mintToken(server.config.auth, { room: roomId, identity, name: identity, role });
  const client = await TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`);
  const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  await client.call('join', { rtpCapabilities });
  return client;
}

describe('auth', () => {
  test('health needs no auth', async () => {
    const res = await api(server, 'GET', '/health', { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', version: expect.any(String), uptime_seconds: expect.any(Number) });
  });

  test('missing, malformed and wrong credentials → 401; a participant token → 403; an admin token works', async () => {
    expect((await api(server, 'GET', '/rooms', { auth: null })).status).toBe(401);
    expect((await api(server, 'GET', '/rooms', { auth: 'Basic abc' })).status).toBe(401);
    const wrong = await api(server, 'GET', '/rooms', { auth: 'Bearer test-key:nope' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    const participant = mintToken(server.config.auth, { room: 'x', identity: 'p', role: 'host' });
    expect(await api(server, 'GET', '/rooms', { auth: `Bearer ${participant}` })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await api(server, 'GET', '/rooms', { auth: `Bearer ${mintAdminToken(server.config.auth)}` })).status).toBe(200);
  });
});

describe('rooms', () => {
  test('POST /rooms creates a room with an rm_ id and a slug', async () => {
    const res = await api(server, 'POST', '/rooms', { body: { name: 'Weekly Sync', max_participants: 5, lobby_enabled: true } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^rm_[a-z0-9]{8}$/), name: 'Weekly Sync', slug: 'weekly-sync', max_participants: 5, lobby_enabled: true, status: 'active' });
    expect(Date.parse(res.body.created_at)).not.toBeNaN();
    const got = await api(server, 'GET', `/rooms/${res.body.id}`);
    expect(got).toMatchObject({ status: 200, body: { id: res.body.id, participant_count: 0 } });
  });

  test('bad bodies: field errors (400), bad JSON (400), oversized (413); nothing stored', async () => {
    const before = (await api(server, 'GET', '/rooms')).body.total;
    const bad = await api(server, 'POST', '/rooms', { body: { name: 7, max_participants: 'many', extra: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['/name', '/max_participants']));
    expect(await api(server, 'POST', '/rooms', { rawBody: '{"name":' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_JSON' } } });
    expect(await api(server, 'POST', '/rooms', { body: { name: 'x'.repeat(20000) } })).toMatchObject({ status: 413, body: { error: { code: 'MESSAGE_TOO_LARGE' } } });
    expect((await api(server, 'GET', '/rooms')).body.total).toBe(before);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  test('GET /rooms paginates and filters by status', async () => {
    for (const name of ['p1', 'p2', 'p3']) await api(server, 'POST', '/rooms', { body: { name } });
    const page = await api(server, 'GET', '/rooms?limit=2&offset=0');
    expect(page.body.rooms).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(3);
    expect((await api(server, 'GET', '/rooms?limit=0')).status).toBe(400);
    expect((await api(server, 'GET', '/rooms?status=weird')).status).toBe(400);
    const closed = await api(server, 'GET', '/rooms?status=closed');
    expect(closed.body.rooms.every((r: { status: string }) => r.status === 'closed')).toBe(true);
  });

  test('unknown room → 404 on every room route', async () => {
    for (const [method, path, body] of [
      ['GET', '/rooms/rm_nothere'],
      ['DELETE', '/rooms/rm_nothere'],
      ['GET', '/rooms/rm_nothere/participants'],
      ['POST', '/rooms/rm_nothere/kick', { identity: 'a' }],
      ['POST', '/rooms/rm_nothere/mute', { identity: 'a', track_type: 'audio' }],
    ] as const) {
      const res = await api(server, method, path, body ? { body } : {});
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'ROOM_NOT_FOUND']);
    }
  });

  test('participants, kick and DELETE reach the connected clients', async () => {
    const room = (await api(server, 'POST', '/rooms', { body: { name: 'Live' } })).body;
    const alice = await join(room.id, 'alice', 'host');
    const bob = await join(room.id, 'bob');
    const list = await api(server, 'GET', `/rooms/${room.id}/participants`);
    expect(list.body.participants.map((p: { identity: string }) => p.identity).sort()).toEqual(['alice', 'bob']);
    expect(list.body.participants[0]).toMatchObject({ role: expect.any(String), joined_at: expect.any(String), tracks: { audio: false, video: false, screen: false } });
    expect((await api(server, 'GET', `/rooms/${room.id}`)).body.participant_count).toBe(2);

    expect(await api(server, 'POST', `/rooms/${room.id}/kick`, { body: { identity: 'nobody' } })).toMatchObject({ status: 404, body: { error: { code: 'PARTICIPANT_NOT_FOUND' } } });
    expect((await api(server, 'POST', `/rooms/${room.id}/kick`, { body: { identity: 'bob' } })).status).toBe(200);
    await bob.waitFor((f) => f.event === 'kicked', 'kicked');
    expect(bob.frames.find((f) => f.event === 'kicked')?.data).toMatchObject({ by: 'api' });
    expect((await bob.closed).code).toBe(4000);
    await alice.waitFor((f) => f.event === 'participant_left', 'participant_left');

    expect(await api(server, 'POST', `/rooms/${room.id}/mute`, { body: { identity: 'alice', track_type: 'audio' } })).toMatchObject({ status: 404, body: { error: { code: 'PRODUCER_NOT_FOUND' } } });

    expect((await api(server, 'DELETE', `/rooms/${room.id}`)).status).toBe(204);
    await alice.waitFor((f) => f.event === 'room_closed', 'room_closed');
    await alice.closed;
    expect((await api(server, 'GET', `/rooms/${room.id}`)).body.status).toBe('closed');
  });
});

describe('tokens and stats', () => {
  test('POST /tokens mints a token that joins; full rooms → 409; bad roles → 400', async () => {
    const room = (await api(server, 'POST', '/rooms', { body: { name: 'Tiny', max_participants: 1 } })).body;
    const res = await api(server, 'POST', '/tokens', { body: { room: room.id, identity: 'carol', name: 'Carol', role: 'guest', ttl: 60 } });
    expect(res.status).toBe(201);
    const client = await TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${res.body.token}`);
    const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
    expect(await client.call('join', { rtpCapabilities })).toMatchObject({ status: 'joined' });
    expect(await api(server, 'POST', '/tokens', { body: { room: room.id, identity: 'dave' } })).toMatchObject({ status: 409, body: { error: { code: 'ROOM_FULL' } } });
    expect((await api(server, 'POST', '/tokens', { body: { room: room.id, identity: 'x', role: 'king' } })).status).toBe(400);
    client.sendRaw(JSON.stringify({ id: 99, method: 'leave' }));
    await client.closed;
  });

  test('GET /stats counts rooms, participants and tracks', async () => {
    const res = await api(server, 'GET', '/stats');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rooms: expect.any(Number), participants: expect.any(Number), tracks: { audio: expect.any(Number), video: expect.any(Number) }, nodes: 1 });
    expect(res.body.memory_mb).toBeGreaterThan(10);
  });

  test('GET /openapi.json documents every route with its schemas', async () => {
    const res = await api(server, 'GET', '/openapi.json', { auth: null });
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/rooms', '/rooms/{id}', '/rooms/{id}/kick', '/rooms/{id}/mute', '/tokens', '/stats', '/health']));
    expect(res.body.paths['/rooms'].post.requestBody.content['application/json'].schema.properties.max_participants.type).toBe('integer');
    expect(res.body.paths['/rooms/{id}'].get.responses['404']).toBeDefined();
  });
});
