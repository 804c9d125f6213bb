import type { RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import type { DeepPartial } from '../../config/load';
import type { Config } from '../../schemas/config';
import { tempSqlitePath, withPostgresSchema } from '../helpers/db';
import { api, startTestServer } from '../helpers/server';
import { TestSignalingClient } from '../helpers/signalingClient';

/**
 * Rooms, participant sessions and chat history survive a restart of the server, on the
 * embedded SQLite file and on PostgreSQL; the joiner after the restart gets the chat history.
 */
jest.setTimeout(90_000);

async function join(server: RunningServer, room: string, identity: string): Promise<{ client: TestSignalingClient; joined: Record<string, unknown> }> {
  const token = mintToken(server.config.auth, { room, identity, name: identity, role: 'guest' });
  const client = await TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`);
  const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  const joined = await client.call('join', { rtpCapabilities });
  return { client, joined };
}

describe.each(['sqlite', 'postgres'] as const)('restart on %s', (driver) => {
  let database: DeepPartial<Config['database']>;
  let cleanup: () => Promise<void> | void;

  beforeAll(async () => {
    if (driver === 'sqlite') {
      const file = tempSqlitePath();
      database = { sqlitePath: file.path };
      cleanup = () => file.cleanup();
    } else {
      const db = await withPostgresSchema();
      database = db.cfg;
      cleanup = () => db.cleanup();
    }
  });
  afterAll(async () => {
    await cleanup?.();
  });

  test('rooms, sessions and chat are still there, and joiners get the history', async () => {
    let server = await startTestServer({ database });
    const room = (await api(server, 'POST', '/rooms', { body: { name: `Persist ${driver}`, max_participants: 7 } })).body;
    const { client } = await join(server, room.id, 'alice');
    await client.call('chat', { text: 'before the restart' });
    await client.call('chat', { text: 'second message' });
    client.sendRaw(JSON.stringify({ id: 50, method: 'leave' }));
    await client.closed;
    await server.stop();

    server = await startTestServer({ database });
    try {
      const got = await api(server, 'GET', `/rooms/${room.id}`);
      expect(got.body).toMatchObject({ id: room.id, name: `Persist ${driver}`, max_participants: 7, status: 'active' });
      const sessions = await server.store.sessions.listByRoom(room.id);
      expect(sessions).toEqual([expect.objectContaining({ identity: 'alice', leaveReason: 'client_left' })]);
      expect(sessions[0]!.leftAt).not.toBeNull();

      const { client: bob, joined } = await join(server, room.id, 'bob');
      expect((joined.chatHistory as { text: string }[]).map((m) => m.text)).toEqual(['before the restart', 'second message']);
      bob.sendRaw(JSON.stringify({ id: 51, method: 'leave' }));
      await bob.closed;
    } finally {
      await server.stop();
    }
  });
});
