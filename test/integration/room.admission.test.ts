import type { RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import type { Role } from '../../schemas/roles';
import { api, startTestServer } from '../helpers/server';
import { TestSignalingClient } from '../helpers/signalingClient';

/** Capacity under concurrency, and the lobby flow, over the real WebSocket. */
jest.setTimeout(60_000);
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

async function connect(room: string, identity: string, role: Role): Promise<TestSignalingClient> {
  const token = mintToken(server.config.auth, { room, identity, name: identity, role });
  return TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`);
}

test('12 concurrent joins to a room with max_participants=5 admit exactly 5', async () => {
  const room = (await api(server, 'POST', '/rooms', { body: { name: 'Small', max_participants: 5 } })).body;
  const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => connect(room.id, `p${i}`, 'guest')));
  const { rtpCapabilities } = await clients[0]!.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  const answers = await Promise.all(clients.map((c) => c.request('join', { rtpCapabilities })));
  expect(answers.filter((a) => a.ok)).toHaveLength(5);
  expect(answers.filter((a) => !a.ok).map((a) => a.error?.code)).toEqual(Array(7).fill('ROOM_FULL'));
  expect((await api(server, 'GET', `/rooms/${room.id}`)).body.participant_count).toBe(5);
  for (const c of clients) c.sendRaw(JSON.stringify({ id: 99, method: 'leave' }));
});

test('lobby: the guest waits, the host is asked, admits one and rejects another', async () => {
  const room = (await api(server, 'POST', '/rooms', { body: { name: 'Gated', lobby_enabled: true } })).body;
  const host = await connect(room.id, 'host', 'host');
  const { rtpCapabilities } = await host.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  expect(await host.call('join', { rtpCapabilities })).toMatchObject({ status: 'joined' });

  const guest = await connect(room.id, 'guest', 'guest');
  expect(await guest.call('join', { rtpCapabilities })).toEqual({ status: 'waiting' });
  await guest.waitFor((f) => f.event === 'lobby_waiting', 'lobby_waiting');
  expect((await guest.request('createTransport', { direction: 'recv' })).error?.code).toBe('IN_LOBBY');
  await host.waitFor((f) => f.event === 'lobby_request' && (f.data as { identity: string }).identity === 'guest', 'lobby_request');

  const intruder = await connect(room.id, 'intruder', 'guest');
  expect(await intruder.call('join', { rtpCapabilities })).toEqual({ status: 'waiting' });
  expect((await guest.request('lobby_admit', { identity: 'intruder' })).error?.code).toBe('IN_LOBBY');

  await host.call('lobby_admit', { identity: 'guest' });
  await guest.waitFor((f) => f.event === 'joined', 'joined');
  const transport = await guest.call<{ id: string }>('createTransport', { direction: 'recv' });
  expect(transport.id).toEqual(expect.any(String));
  await host.waitFor((f) => f.event === 'participant_joined' && (f.data as { identity: string }).identity === 'guest', 'participant_joined');

  await host.call('lobby_reject', { identity: 'intruder', reason: 'not invited' });
  await intruder.waitFor((f) => f.event === 'lobby_rejected', 'lobby_rejected');
  expect((await intruder.closed).code).toBe(4000);
  expect((await host.request('lobby_admit', { identity: 'intruder' })).error?.code).toBe('PARTICIPANT_NOT_FOUND');
});
