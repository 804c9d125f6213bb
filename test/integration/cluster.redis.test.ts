import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NodeHeartbeat } from '../../actors/cluster/NodeHeartbeat';
import { RedisNodeRegistry, type NodeInfo } from '../../actors/cluster/NodeRegistry';
import { RedisRoomDirectory, RoomLeaseKeeper, roomLeaseMs } from '../../actors/cluster/RedisRoomDirectory';
import { closeRedis, createRedis } from '../../actors/cluster/redis';
import type { NodeId, RoomId } from '../../schemas/ids';

/**
 * RedisRoomDirectory and RedisNodeRegistry against the real Redis on 127.0.0.1:6379, each test
 * under its own random key prefix, deleted afterwards. Two clients stand for two nodes.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const A = 'node-a' as NodeId;
const B = 'node-b' as NodeId;
const C = 'node-c' as NodeId;
const room = (name: string) => name as RoomId;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (which says why it is still waiting, or undefined when done) until done or timeout. */
async function waitFor(check: () => Promise<string | undefined>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason: string | undefined = 'not checked';
  while (Date.now() < deadline) {
    reason = await check();
    if (reason === undefined) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${reason}`);
}

let prefix: string;
let clients: Redis[];

function client(): Redis {
  const redis = createRedis(REDIS_URL);
  clients.push(redis);
  return redis;
}

async function keysUnderPrefix(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

beforeEach(() => {
  prefix = `cascade-test-${randomBytes(6).toString('hex')}:`;
  clients = [];
});

afterEach(async () => {
  const redis = client();
  const keys = await keysUnderPrefix(redis);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all(clients.map((c) => closeRedis(c)));
});

describe('RedisRoomDirectory', () => {
  const directory = (leaseMs = 10_000, graceMs?: number) =>
    new RedisRoomDirectory(client(), { leaseMs, prefix, ...(graceMs !== undefined ? { graceMs } : {}) });

  it('gives each room to exactly one of two nodes racing to claim it', async () => {
    const onA = directory();
    const onB = directory();
    const rooms = Array.from({ length: 50 }, (_, i) => room(`race-${i}`));
    const results = await Promise.all(rooms.map((id) => Promise.all([onA.claim(id, A), onB.claim(id, B)])));
    for (const [i, [seenByA, seenByB]] of results.entries()) {
      expect(seenByA).toBe(seenByB);
      expect([A, B]).toContain(seenByA);
      expect(await onA.owner(rooms[i] as RoomId)).toBe(seenByA);
    }
    // The owner's index lists exactly the rooms it won.
    const wonByA = results.filter(([owner]) => owner === A).length;
    expect((await onA.roomsOf(A)).length).toBe(wonByA);
    expect((await onB.roomsOf(B)).length).toBe(rooms.length - wonByA);
  });

  it('lets another node claim once the lease ran out, not before', async () => {
    const onA = directory(300);
    const onB = directory(300);
    const id = room('lease');
    expect(await onA.claim(id, A)).toBe(A);
    expect(await onB.claim(id, B)).toBe(A);
    await waitFor(async () => ((await onB.owner(id)) === undefined ? undefined : 'A still holds the lease'), 2000);
    expect(await onB.claim(id, B)).toBe(B);
    expect(await onA.claim(id, A)).toBe(B);
  });

  it('keeps the room while the owner renews, and reports rooms it lost', async () => {
    const onA = directory(300);
    const onB = directory(300);
    const kept = room('kept');
    const lost = room('lost');
    await onA.claim(kept, A);
    await onA.claim(lost, A);
    await onB.takeOver(lost, A, B);
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      expect(await onA.renew(A, [kept, lost])).toEqual([lost]);
    }
    // 600 ms > lease: only the renewals kept it.
    expect(await onB.claim(kept, B)).toBe(A);
    expect(await onA.roomsOf(A)).toEqual([kept]);
  });

  it('refuses a release by a node that does not hold the room', async () => {
    const onA = directory();
    const onB = directory();
    const id = room('release');
    await onA.claim(id, A);
    await onA.saveSettings(id, '{"maxParticipants":5}');
    expect(await onB.tryRelease(id, B)).toBe(false);
    expect(await onB.owner(id)).toBe(A);
    expect(await onB.loadSettings(id)).toBe('{"maxParticipants":5}');

    expect(await onA.tryRelease(id, A)).toBe(true);
    expect(await onB.owner(id)).toBeUndefined();
    expect(await onB.loadSettings(id)).toBeUndefined();
    expect(await onA.roomsOf(A)).toEqual([]);
    expect(await onB.claim(id, B)).toBe(B);
  });

  it('keeps the settings on a handover release', async () => {
    const onA = directory();
    const id = room('handover');
    await onA.claim(id, A);
    await onA.saveSettings(id, '{"locked":true}');
    expect(await onA.tryRelease(id, A, { keepSettings: true })).toBe(true);
    expect(await onA.loadSettings(id)).toBe('{"locked":true}');
  });

  it('takes over only from the named dead node', async () => {
    const onA = directory();
    const onB = directory();
    const onC = directory();
    const id = room('failover');
    await onA.claim(id, A);
    await onA.saveSettings(id, '{"name":"standup"}');

    // B wrongly believes C died: A keeps the room.
    expect(await onB.takeOver(id, C, B)).toBe(A);
    expect(await onC.owner(id)).toBe(A);

    // A died: B and C both react; exactly one wins and both learn who.
    const [byB, byC] = await Promise.all([onB.takeOver(id, A, B), onC.takeOver(id, A, C)]);
    expect(byB).toBe(byC);
    expect([B, C]).toContain(byB);
    const survivor = byB;
    expect(await onA.owner(id)).toBe(survivor);
    expect(await onA.roomsOf(A)).toEqual([]);
    expect(await onA.roomsOf(survivor)).toEqual([id]);
    // The new owner can rebuild the room.
    expect(await onB.loadSettings(id)).toBe('{"name":"standup"}');
    // The dead node, back from a pause, cannot release or renew what it lost.
    expect(await onA.tryRelease(id, A)).toBe(false);
    expect(await onA.renew(A, [id])).toEqual([id]);
    expect(await onA.owner(id)).toBe(survivor);
  });

  it('takes over a room whose lease already ran out', async () => {
    const onA = directory(200, 2000);
    const onB = directory(200, 2000);
    const id = room('expired');
    await onA.claim(id, A);
    await onA.saveSettings(id, '{"v":1}');
    await waitFor(async () => ((await onB.owner(id)) === undefined ? undefined : 'lease still held'), 2000);
    expect(await onA.roomsOf(A)).toEqual([id]);
    expect(await onB.loadSettings(id)).toBe('{"v":1}');
    expect(await onB.takeOver(id, A, B)).toBe(B);
  });

  it('lets settings expire with the lease plus its grace when nobody renews', async () => {
    const onA = directory(200, 200);
    const id = room('settings');
    await onA.claim(id, A);
    await onA.saveSettings(id, '{"x":1}');
    await sleep(250);
    expect(await onA.owner(id)).toBeUndefined();
    expect(await onA.loadSettings(id)).toBe('{"x":1}');
    await waitFor(async () => ((await onA.loadSettings(id)) === undefined ? undefined : 'settings still there'), 2000);
    expect(await onA.roomsOf(A)).toEqual([]);
  });
});

describe('RoomLeaseKeeper', () => {
  it('keeps the rooms a node owns past their lease and reports the ones taken from it', async () => {
    const onA = new RedisRoomDirectory(client(), { leaseMs: 300, prefix });
    const onB = new RedisRoomDirectory(client(), { leaseMs: 300, prefix });
    const kept = room('keeper-kept');
    const taken = room('keeper-taken');
    await onA.claim(kept, A);
    await onA.claim(taken, A);
    const owned = new Set<RoomId>([kept, taken]);
    const lost: RoomId[] = [];
    const keeper = new RoomLeaseKeeper({
      directory: onA,
      nodeId: A,
      rooms: () => [...owned],
      onLost: (ids) => ids.forEach((id) => (lost.push(id), owned.delete(id))),
    });
    keeper.start();
    try {
      expect(await onB.takeOver(taken, A, B)).toBe(B);
      await sleep(900); // three leases
      expect(await onB.owner(kept)).toBe(A);
      // A never renewed it back (B does not renew here, so its lease ran out too).
      expect(await onB.owner(taken)).toBeUndefined();
      expect(lost).toEqual([taken]);
    } finally {
      await keeper.stop();
      await keeper.stop();
    }
    await waitFor(async () => ((await onB.owner(kept)) === undefined ? undefined : 'lease still held after stop'), 2000);
  });

  it('derives the lease from the heartbeat timeout', () => {
    expect(roomLeaseMs({ heartbeatTimeoutSeconds: 3 })).toBe(9000);
    expect(roomLeaseMs({ heartbeatTimeoutSeconds: 0.5 })).toBe(3000);
  });
});

describe('RedisNodeRegistry', () => {
  const identity = (nodeId: NodeId, region: string): Omit<NodeInfo, 'load' | 'updatedAt'> => ({
    nodeId,
    region,
    roles: ['gateway', 'media'],
    announcedIp: '127.0.0.1',
  });

  it('lists heartbeating nodes with their load and drops one that stopped beating', async () => {
    const registryA = new RedisNodeRegistry(client(), { ttlMs: 300, prefix });
    const registryB = new RedisNodeRegistry(client(), { ttlMs: 300, prefix });
    const errors: Error[] = [];
    let consumers = 3;
    const beatA = new NodeHeartbeat({
      registry: registryA,
      identity: identity(A, 'eu'),
      intervalMs: 100,
      loadSource: () => ({ transports: 2, producers: 1, consumers }),
      onError: (e) => errors.push(e),
    });
    const beatB = new NodeHeartbeat({
      registry: registryB,
      identity: { ...identity(B, 'us'), gatewayUrl: 'http://127.0.0.1:7882' },
      intervalMs: 100,
      loadSource: async () => ({ transports: 0, producers: 0, consumers: 0, cpu: 0.25 }),
      removeOnStop: false,
      onError: (e) => errors.push(e),
    });
    try {
      await Promise.all([beatA.start(), beatB.start()]);
      const listed = await registryB.list();
      expect(listed.map((n) => [n.nodeId, n.region])).toEqual([
        [A, 'eu'],
        [B, 'us'],
      ]);
      expect(listed[0]?.load).toMatchObject({ transports: 2, producers: 1, consumers: 3 });
      expect(listed[0]?.load.cpu).toBeGreaterThanOrEqual(0);
      expect(listed[0]?.load.cpu).toBeLessThanOrEqual(1);
      expect(listed[1]?.load.cpu).toBe(0.25);
      expect(listed[1]?.gatewayUrl).toBe('http://127.0.0.1:7882');

      // Later beats carry the new load.
      consumers = 9;
      await waitFor(async () => {
        const a = await registryB.get(A);
        return a?.load.consumers === 9 ? undefined : `A reports ${a?.load.consumers} consumers`;
      });

      // B stops beating without removing itself (as if killed): it expires, A stays.
      await beatB.stop();
      await waitFor(async () => {
        const ids = (await registryA.list()).map((n) => n.nodeId);
        return ids.join() === A ? undefined : `listed: ${ids.join()}`;
      }, 3000);
      expect(await registryA.get(B)).toBeUndefined();
      // The expired id was pruned from the index too.
      expect(await clients[0]?.smembers(`${prefix}nodes`)).toEqual([A]);
      expect(errors).toEqual([]);
    } finally {
      await beatA.stop();
      await beatB.stop();
    }
    // A clean stop removes the entry at once.
    expect(await registryB.list()).toEqual([]);
  });

  it('removes a node on request and skips entries that are not valid node info', async () => {
    const redis = client();
    const registry = new RedisNodeRegistry(redis, { ttlMs: 10_000, prefix });
    const info: NodeInfo = { ...identity(A, 'eu'), load: { cpu: 0.1, transports: 0, producers: 0, consumers: 0 }, updatedAt: Date.now() };
    await registry.publish(info);
    await registry.publish({ ...info, nodeId: B });
    await redis.set(`${prefix}node:${C}`, '{"nodeId":"node-c","region":7}', 'PX', 10_000);
    await redis.sadd(`${prefix}nodes`, C);
    expect((await registry.list()).map((n) => n.nodeId)).toEqual([A, B]);
    await registry.remove(A);
    expect((await registry.list()).map((n) => n.nodeId)).toEqual([B]);
    await expect(registry.publish({ ...info, load: { ...info.load, consumers: -1 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reports a failed beat and keeps beating', async () => {
    const redis = client();
    const registry = new RedisNodeRegistry(redis, { ttlMs: 1000, prefix });
    const errors: Error[] = [];
    let fail = false;
    const beat = new NodeHeartbeat({
      registry,
      identity: identity(A, 'eu'),
      intervalMs: 50,
      loadSource: () => {
        if (fail) throw new Error('stats unavailable');
        return { transports: 0, producers: 0, consumers: 1 };
      },
      onError: (e) => errors.push(e),
    });
    await beat.start();
    fail = true;
    await waitFor(async () => (errors.length >= 2 ? undefined : `${errors.length} errors so far`));
    fail = false;
    const before = (await registry.get(A))?.updatedAt ?? 0;
    await waitFor(async () => (((await registry.get(A))?.updatedAt ?? 0) > before ? undefined : 'no fresh beat yet'));
    await beat.stop();
    await beat.stop();
    expect(errors[0]?.message).toBe('stats unavailable');
    expect(await registry.get(A)).toBeUndefined();
  });
});
