import { migrate, openStore, verifyPassword, type RoomRecord, type Store } from '../../store';
import { MIGRATIONS_TABLE } from '../../store/dataSource';
import { MIGRATIONS } from '../../store/migrations';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId } from '../../schemas/ids';
import { postgresSchemaExists, testDatabase, type TestDatabase, type TestDriver } from '../helpers/db';

/**
 * Store lifecycle and rooms against both drivers: real better-sqlite3 files and the real
 * PostgreSQL server, each test in its own new file / schema.
 */

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<CascadeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CascadeError);
  expect((err as CascadeError).code).toBe(code);
  return err as CascadeError;
}

const room = (name: string, extra: Record<string, unknown> = {}) => ({ name, maxParticipants: 10, emptyTimeoutSeconds: 300, ...extra });

describe.each<TestDriver>(['sqlite', 'postgres'])('store on %s', (driver) => {
  let db: TestDatabase;
  let store: Store | undefined;

  beforeEach(async () => {
    db = await testDatabase(driver);
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await db.cleanup();
  });

  async function countMigrationRows(s: Store): Promise<number> {
    const table = driver === 'postgres' ? `"${db.cfg.schema}"."${MIGRATIONS_TABLE}"` : `"${MIGRATIONS_TABLE}"`;
    const rows = (await s.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number | string }[];
    return Number(rows[0].n);
  }

  test('migrations apply once; running them again is a no-op', async () => {
    store = await openStore(db.cfg);
    expect(store.driver).toBe(driver);
    expect(store.appliedMigrations).toEqual(MIGRATIONS.map((m) => m.name));
    const created = await store.rooms.create(room('Before re-migrate'));
    await store.close();

    expect(await migrate(db.cfg)).toEqual([]);
    store = await openStore(db.cfg);
    expect(store.appliedMigrations).toEqual([]);
    expect(await countMigrationRows(store)).toBe(MIGRATIONS.length);
    // The data written before is still there: re-running did not recreate tables.
    expect(await store.rooms.get(created.id)).toEqual(created);
  });

  test('close() is idempotent and a closed store refuses queries', async () => {
    store = await openStore(db.cfg);
    await Promise.all([store.close(), store.close()]);
    expect(store.closed).toBe(true);
    await expect(store.rooms.list()).rejects.toThrow();
  });

  test('rooms, sessions, chat, egress and webhooks survive a restart', async () => {
    store = await openStore(db.cfg);
    const r = await store.rooms.create(room('Weekly sync', { password: 'hunter22', lobbyEnabled: true, recordingEnabled: true }));
    const closed = await store.rooms.markClosed((await store.rooms.create(room('Old'))).id);
    const s1 = await store.sessions.open({ roomId: r.id, participantId: 'pa_1' as ParticipantId, identity: 'alice', name: 'Alice', role: 'host', nodeId: 'node-a' as NodeId, tracks: ['microphone', 'camera'], joinedAt: new Date(Date.now() - 1000) });
    const s2 = await store.sessions.close(
      (await store.sessions.open({ roomId: r.id, participantId: 'pa_2' as ParticipantId, identity: 'bob', name: 'Bob', role: 'guest', nodeId: 'node-a' as NodeId })).id,
      new Date(),
      'kicked',
    );
    const chat = [
      await store.chat.append({ roomId: r.id, fromIdentity: 'alice', fromName: 'Alice', text: 'hello' }),
      await store.chat.append({ roomId: r.id, fromIdentity: 'bob', fromName: 'Bob', toIdentity: 'alice', text: 'psst' }),
    ];
    const job = await store.egress.update((await store.egress.create({ roomId: r.id, kind: 'recording', format: 'webm', filePath: '/rec/a.webm' })).id, {
      status: 'active',
      bytesWritten: 12345,
    });
    const hook = await store.webhooks.create({ url: 'https://example.test/hook', events: ['room.closed'] });
    await store.close();

    store = await openStore(db.cfg);
    expect(await store.rooms.get(r.id)).toEqual(r);
    expect(await store.rooms.get(closed.id)).toEqual(closed);
    expect(await store.sessions.listByRoom(r.id)).toEqual([s1, s2]);
    expect(await store.sessions.activeCountByRoom(r.id)).toBe(1);
    expect(await store.chat.lastN(r.id, 50)).toEqual(chat);
    expect(await store.egress.get(job.id)).toEqual(job);
    expect(await store.webhooks.get(hook.id)).toEqual(hook);
    expect(await verifyPassword('hunter22', (await store.rooms.require(r.id)).passwordHash)).toBe(true);
  });

  test('create: id rm_<8>, slug from the name, password stored only as a scrypt hash', async () => {
    store = await openStore(db.cfg);
    const r = await store.rooms.create(room('  Café Ünïcode Room!! ', { password: 'open sesame' }));
    expect(r.id).toMatch(/^rm_[a-z0-9]{8}$/);
    expect(r.slug).toBe('cafe-unicode-room');
    expect(r.status).toBe('active');
    expect(r.hasPassword).toBe(true);
    expect(r.passwordHash).toMatch(/^scrypt\$/);
    const raw = JSON.stringify(await store.dataSource.query(`SELECT * FROM ${driver === 'postgres' ? `"${db.cfg.schema}".` : ''}rooms`));
    expect(raw).not.toContain('open sesame');
    expect(await verifyPassword('open sesame', r.passwordHash)).toBe(true);
    expect(await verifyPassword('open sesam', r.passwordHash)).toBe(false);
    expect((await store.rooms.create(room('!!!'))).slug).toBe('room');
  });

  test('the same name gets distinct slugs, also when created concurrently', async () => {
    store = await openStore(db.cfg);
    const s = store;
    const first = await s.rooms.create(room('Team'));
    const others = await Promise.all([1, 2, 3, 4, 5].map(() => s.rooms.create(room('Team'))));
    const slugs = [first, ...others].map((x) => x.slug);
    expect(first.slug).toBe('team');
    expect(new Set(slugs).size).toBe(6);
    for (const slug of slugs) expect(slug).toMatch(/^team(-\d+)?$/);
    expect((await s.rooms.list()).total).toBe(6);
  });

  test('a duplicate explicit slug or id is CONFLICT and leaves the stored room intact', async () => {
    store = await openStore(db.cfg);
    const original = await store.rooms.create(room('Original', { slug: 'standup', id: 'rm_fixed001' }));
    const err = await rejectsWith(store.rooms.create(room('Intruder', { slug: 'standup' })), 'CONFLICT');
    expect(err.status).toBe(409);
    await rejectsWith(store.rooms.create(room('Intruder', { id: 'rm_fixed001' })), 'CONFLICT');
    expect(await store.rooms.get(original.id)).toEqual(original);
    expect(await store.rooms.getBySlug('standup')).toEqual(original);
    expect((await store.rooms.list()).total).toBe(1);
  });

  test('bad input is VALIDATION_FAILED naming the field, and nothing is written', async () => {
    store = await openStore(db.cfg);
    const err = await rejectsWith(store.rooms.create(room('', { maxParticipants: 0 })), 'VALIDATION_FAILED');
    expect(err.fields?.map((f) => f.path).sort()).toEqual(['/maxParticipants', '/name']);
    await rejectsWith(store.rooms.create(room('x'.repeat(201))), 'VALIDATION_FAILED');
    await rejectsWith(store.rooms.create(room('ok', { slug: 'Not A Slug' })), 'VALIDATION_FAILED');
    await rejectsWith(store.rooms.create({ name: 'ok', maxParticipants: 1, emptyTimeoutSeconds: 1, extra: 1 } as never), 'VALIDATION_FAILED');
    await rejectsWith(store.rooms.list({ limit: 0 }), 'VALIDATION_FAILED');
    expect((await store.rooms.list()).total).toBe(0);
  });

  test('list: status filter, total, newest first, pages neither overlap nor skip', async () => {
    store = await openStore(db.cfg);
    const base = Date.parse('2025-01-01T00:00:00.000Z');
    const created: RoomRecord[] = [];
    for (let i = 0; i < 7; i++) created.push(await store.rooms.create(room(`Room ${i}`, { createdAt: new Date(base + (i % 4) * 1000) })));
    for (const i of [1, 4, 6]) await store.rooms.markClosed(created[i].id);

    const active = await store.rooms.list({ status: 'active' });
    expect(active.total).toBe(4);
    expect(active.rooms.every((x) => x.status === 'active')).toBe(true);
    const closedList = await store.rooms.list({ status: 'closed' });
    expect(closedList.total).toBe(3);
    expect(closedList.rooms.map((x) => x.id).sort()).toEqual([1, 4, 6].map((i) => created[i].id).sort());

    const all = await store.rooms.list({ limit: 100 });
    expect(all.total).toBe(7);
    const times = all.rooms.map((x) => Date.parse(x.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const paged: string[] = [];
    for (let offset = 0; offset < 7; offset += 3) {
      const page = await store.rooms.list({ limit: 3, offset });
      expect(page.total).toBe(7);
      paged.push(...page.rooms.map((x) => x.id));
    }
    expect(paged).toEqual(all.rooms.map((x) => x.id));
    expect((await store.rooms.list({ limit: 3, offset: 7 })).rooms).toEqual([]);
  });

  test('markClosed is idempotent; a closed room refuses settings; lock and password updates', async () => {
    store = await openStore(db.cfg);
    const r = await store.rooms.create(room('Lockable', { password: 'first-pass' }));
    const locked = await store.rooms.setLocked(r.id, true);
    expect(locked.locked).toBe(true);
    const changed = await store.rooms.update(r.id, { maxParticipants: 3, lobbyEnabled: true, password: null, emptyTimeoutSeconds: 0.5 });
    expect(changed).toMatchObject({ maxParticipants: 3, lobbyEnabled: true, hasPassword: false, passwordHash: null, emptyTimeoutSeconds: 0.5, locked: true });

    const closedAt = new Date('2025-06-01T12:00:00.123Z');
    const closed = await store.rooms.markClosed(r.id, closedAt);
    expect(closed.status).toBe('closed');
    expect(closed.closedAt).toBe(closedAt.toISOString());
    expect((await store.rooms.markClosed(r.id, new Date())).closedAt).toBe(closedAt.toISOString());
    await rejectsWith(store.rooms.update(r.id, { locked: false }), 'ROOM_CLOSED');
    await rejectsWith(store.rooms.markClosed('rm_missing1'), 'ROOM_NOT_FOUND');
    await rejectsWith(store.rooms.require('rm_missing1'), 'ROOM_NOT_FOUND');
    expect(await store.rooms.get('rm_missing1')).toBeNull();
  });
});

describe('driver specifics', () => {
  test("SQLite ':memory:' works (and keeps nothing)", async () => {
    const cfg = { url: '', schema: '', sqlitePath: ':memory:' };
    const store = await openStore(cfg);
    try {
      const r = await store.rooms.create(room('Ephemeral'));
      expect(await store.rooms.get(r.id)).toEqual(r);
    } finally {
      await store.close();
    }
    const again = await openStore(cfg);
    try {
      expect(again.appliedMigrations).toHaveLength(MIGRATIONS.length);
      expect((await again.rooms.list()).total).toBe(0);
    } finally {
      await again.close();
    }
  });

  test('a bad database url is refused before connecting', async () => {
    await expect(openStore({ url: 'mysql://127.0.0.1/x', schema: '', sqlitePath: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  test('tables live in the configured schema, which teardown drops', async () => {
    const db = await testDatabase('postgres');
    const store = await openStore(db.cfg);
    try {
      const rows = (await store.dataSource.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [
        db.cfg.schema,
      ])) as { table_name: string }[];
      expect(rows.map((r) => r.table_name)).toEqual(['cascade_migrations', 'chat_messages', 'egress_jobs', 'participant_sessions', 'recordings', 'rooms', 'webhooks']);
    } finally {
      await store.close();
      await db.cleanup();
    }
    expect(await postgresSchemaExists(db.cfg.schema)).toBe(false);
  });

  test('two nodes opening a new schema at once: one migrates, both work', async () => {
    const db = await testDatabase('postgres');
    // allSettled: when one open fails, the other store must still be closed and the schema dropped.
    const settled = await Promise.allSettled([openStore(db.cfg), openStore(db.cfg)]);
    const stores = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
      expect(stores.map((s) => s.appliedMigrations.length).sort()).toEqual([0, MIGRATIONS.length]);
      const r = await stores[0].rooms.create(room('Shared'));
      expect(await stores[1].rooms.get(r.id)).toEqual(r);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.cleanup();
    }
  });
});
