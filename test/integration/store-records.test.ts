import { openStore, type Store } from '../../store';
import { CascadeError } from '../../schemas/errors';
import type { EgressId, NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import { testDatabase, type TestDatabase, type TestDriver } from '../helpers/db';

/** Sessions, chat, egress jobs, webhooks and type round trips, on both drivers. */

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CascadeError);
  expect((err as CascadeError).code).toBe(code);
}

const ROUND_TRIP = {
  createdAt: new Date('2024-02-29T23:59:59.987Z'),
  closedAt: new Date('2038-01-19T03:14:08.001Z'), // past the 32-bit epoch limit
  startedAt: new Date('1999-12-31T23:59:59.999Z'),
  name: 'Ünïcødé 🎥 “quotes” \'single\' \\ back',
  bytes: Number.MAX_SAFE_INTEGER, // needs int8 on PostgreSQL, comes back as a string there
  duration: 3601.125,
};

/** What every driver must read back for the same writes (ids fixed so both compare equal). */
async function writeRoundTrip(store: Store): Promise<unknown> {
  const r = await store.rooms.create({
    id: 'rm_roundtr1' as RoomId,
    name: ROUND_TRIP.name,
    maxParticipants: 2_000_000 / 2,
    emptyTimeoutSeconds: 0.25,
    lobbyEnabled: true,
    locked: false,
    recordingEnabled: true,
    createdAt: ROUND_TRIP.createdAt,
  });
  const closed = await store.rooms.markClosed(r.id, ROUND_TRIP.closedAt);
  const job = await store.egress.create({ id: 'eg_roundtrip' as EgressId, roomId: r.id, kind: 'rtmp', format: 'flv', composite: true, destination: 'rtmp://127.0.0.1/live/SECRETKEY', createdAt: ROUND_TRIP.createdAt });
  const updated = await store.egress.update(job.id, {
    status: 'active',
    bytesWritten: ROUND_TRIP.bytes,
    durationSeconds: ROUND_TRIP.duration,
    startedAt: ROUND_TRIP.startedAt,
  });
  const session = await store.sessions.open({
    id: 'ps_roundtrip',
    roomId: r.id,
    participantId: 'pa_x' as ParticipantId,
    identity: 'ident-🙂',
    name: ROUND_TRIP.name,
    role: 'viewer',
    nodeId: 'node-1' as NodeId,
    joinedAt: ROUND_TRIP.createdAt,
  });
  const chat = await store.chat.append({ id: 'msg_roundtrip', roomId: r.id, fromIdentity: 'a', fromName: ROUND_TRIP.name, text: ROUND_TRIP.name, createdAt: ROUND_TRIP.startedAt });
  const hook = await store.webhooks.create({ id: 'wh_roundtrip', url: 'https://h.test/x', events: ['a', 'b', 'a'], secret: 'shh-secret', active: false, createdAt: ROUND_TRIP.createdAt });
  return { closed, updated, session, chat, hook };
}

const readBack = async (store: Store) => ({
  closed: await store.rooms.get('rm_roundtr1'),
  updated: await store.egress.get('eg_roundtrip'),
  session: await store.sessions.get('ps_roundtrip'),
  chat: (await store.chat.lastN('rm_roundtr1', 1))[0],
  hook: await store.webhooks.get('wh_roundtrip'),
});

describe.each<TestDriver>(['sqlite', 'postgres'])('records on %s', (driver) => {
  let db: TestDatabase;
  let store: Store;
  let roomId: RoomId;

  beforeEach(async () => {
    db = await testDatabase(driver);
    store = await openStore(db.cfg);
    roomId = (await store.rooms.create({ name: 'R', maxParticipants: 10, emptyTimeoutSeconds: 60 })).id;
  });

  afterEach(async () => {
    await store.close();
    await db.cleanup();
  });

  test('booleans, bigints, doubles, timestamps and unicode text round-trip exactly', async () => {
    const written = await writeRoundTrip(store);
    expect(await readBack(store)).toEqual(written);
    const read = await readBack(store);
    expect(typeof read.updated?.bytesWritten).toBe('number');
    expect(read.updated?.bytesWritten).toBe(ROUND_TRIP.bytes);
    expect(read.updated?.composite).toBe(true);
    expect(read.updated?.durationSeconds).toBe(ROUND_TRIP.duration);
    expect(read.updated?.startedAt).toBe(ROUND_TRIP.startedAt.toISOString());
    expect(read.closed).toMatchObject({ lobbyEnabled: true, locked: false, recordingEnabled: true, emptyTimeoutSeconds: 0.25, name: ROUND_TRIP.name });
    expect(read.closed?.createdAt).toBe(ROUND_TRIP.createdAt.toISOString());
    expect(read.closed?.closedAt).toBe(ROUND_TRIP.closedAt.toISOString());
    expect(read.hook).toMatchObject({ active: false, events: ['a', 'b'] });
  });

  test('sessions: open, tracks deduplicated, first close wins, active count, per-node close', async () => {
    const base = Date.parse('2025-03-01T10:00:00.000Z');
    const open = (identity: string, nodeId: string, offset: number) =>
      store.sessions.open({ roomId, participantId: `pa_${identity}` as ParticipantId, identity, name: identity.toUpperCase(), role: 'guest', nodeId: nodeId as NodeId, joinedAt: new Date(base + offset) });
    const a = await open('alice', 'node-a', 0);
    const b = await open('bob', 'node-b', 1000);
    const c = await open('carol', 'node-a', 2000);
    expect(a.id).toMatch(/^ps_[a-z0-9]{12}$/);
    expect(a).toMatchObject({ leftAt: null, leaveReason: null, tracks: [], joinedAt: new Date(base).toISOString() });

    expect((await store.sessions.updateTracks(a.id, ['camera', 'microphone', 'camera'])).tracks).toEqual(['camera', 'microphone']);
    expect((await store.sessions.addTrack(a.id, 'screen')).tracks).toEqual(['camera', 'microphone', 'screen']);
    await rejectsWith(store.sessions.updateTracks(a.id, ['webcam' as never]), 'VALIDATION_FAILED');
    expect((await store.sessions.get(a.id))?.tracks).toEqual(['camera', 'microphone', 'screen']);

    const leftAt = new Date(base + 5000);
    const closedB = await store.sessions.close(b.id, leftAt, 'kicked');
    expect(closedB).toMatchObject({ leftAt: leftAt.toISOString(), leaveReason: 'kicked' });
    expect(await store.sessions.close(b.id, new Date(), 'client_left')).toEqual(closedB);
    expect(await store.sessions.activeCountByRoom(roomId)).toBe(2);
    expect((await store.sessions.listByRoom(roomId)).map((s) => s.identity)).toEqual(['alice', 'bob', 'carol']);
    expect((await store.sessions.listByRoom(roomId, { activeOnly: true })).map((s) => s.identity)).toEqual(['alice', 'carol']);

    expect(await store.sessions.closeOpenOnNode('node-a', new Date(), 'node_failed')).toBe(2);
    expect(await store.sessions.activeCountByRoom(roomId)).toBe(0);
    expect((await store.sessions.get(c.id))?.leaveReason).toBe('node_failed');
    expect((await store.sessions.get(b.id))?.leaveReason).toBe('kicked');
  });

  test('sessions: openMany writes several rows in one call, all or nothing', async () => {
    const joinedAt = new Date('2025-03-02T10:00:00.123Z');
    const input = (identity: string, room: RoomId = roomId) =>
      ({ roomId: room, participantId: `pa_m_${identity}` as ParticipantId, identity, name: identity, role: 'guest', nodeId: 'node-m' as NodeId, joinedAt }) as const;
    const opened = await store.sessions.openMany([input('dave'), input('erin'), input('frank')]);
    expect(opened.map((s) => s.identity)).toEqual(['dave', 'erin', 'frank']);
    for (const session of opened) expect(await store.sessions.get(session.id)).toEqual(session);
    expect(opened[0]).toMatchObject({ joinedAt: joinedAt.toISOString(), leftAt: null, tracks: [] });
    await rejectsWith(store.sessions.openMany([input('gina'), input('hank', 'rm_nothere1' as RoomId)]), 'ROOM_NOT_FOUND');
    expect((await store.sessions.listByRoom(roomId)).map((s) => s.identity)).not.toContain('gina');
  });

  test('sessions and chat for a room never stored are ROOM_NOT_FOUND and write nothing', async () => {
    await rejectsWith(
      store.sessions.open({ roomId: 'rm_nothere1' as RoomId, participantId: 'p', identity: 'i', name: 'n', role: 'host', nodeId: 'n1' } as never),
      'ROOM_NOT_FOUND',
    );
    await rejectsWith(store.chat.append({ roomId: 'rm_nothere1' as RoomId, fromIdentity: 'i', fromName: 'n', text: 'hi' }), 'ROOM_NOT_FOUND');
    await rejectsWith(store.chat.append({ roomId, fromIdentity: 'i', fromName: 'n', text: '' }), 'VALIDATION_FAILED');
    await rejectsWith(store.chat.append({ roomId, fromIdentity: 'i', fromName: 'n', text: 'x'.repeat(4001) }), 'VALIDATION_FAILED');
    await rejectsWith(store.sessions.close('ps_missing', new Date(), 'kicked'), 'NOT_FOUND');
    expect(await store.chat.countByRoom('rm_nothere1')).toBe(0);
    expect(await store.chat.countByRoom(roomId)).toBe(0);
    expect(await store.sessions.listByRoom('rm_nothere1')).toEqual([]);
  });

  test('chat lastN: chronological, only the last n, same-millisecond ties in send order, private filter', async () => {
    const t0 = Date.parse('2025-04-01T09:00:00.000Z');
    const sent = [];
    for (let i = 0; i < 12; i++) {
      // Pairs share a millisecond: order must still follow insertion.
      const at = new Date(t0 + Math.floor(i / 2));
      const dm = i === 9 ? { toIdentity: 'bob' } : i === 10 ? { toIdentity: 'carol' } : {};
      sent.push(await store.chat.append({ roomId, fromIdentity: i % 2 ? 'alice' : 'bob', fromName: 'X', text: `m${i}`, createdAt: at, ...dm }));
    }
    const last5 = await store.chat.lastN(roomId, 5);
    expect(last5.map((m) => m.text)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(last5).toEqual(sent.slice(7));
    expect((await store.chat.lastN(roomId, 100)).map((m) => m.text)).toEqual(sent.map((m) => m.text));
    expect(await store.chat.lastN(roomId, 0)).toEqual([]);
    // carol sees public messages and the one sent to her, not alice's DM to bob (m9).
    expect((await store.chat.lastN(roomId, 4, { visibleTo: 'carol' })).map((m) => m.text)).toEqual(['m7', 'm8', 'm10', 'm11']);
    // alice sent m9 to bob, so she sees it; she does not see m10 (bob to carol).
    expect((await store.chat.lastN(roomId, 3, { visibleTo: 'alice' })).map((m) => m.text)).toEqual(['m8', 'm9', 'm11']);
    await rejectsWith(store.chat.append({ id: sent[0].id, roomId, fromIdentity: 'x', fromName: 'x', text: 'dup' }), 'CONFLICT');
    expect(await store.chat.countByRoom(roomId)).toBe(12);
  });

  test('egress: status machine, progress updates, redacted url, final states are final', async () => {
    const job = await store.egress.create({ roomId, kind: 'rtmp', format: 'flv', destination: 'rtmp://user:pw@127.0.0.1:1935/live/sk_live_123?token=abc' });
    expect(job).toMatchObject({ status: 'starting', bytesWritten: 0, reconnects: 0, startedAt: null, endedAt: null, composite: false });
    expect(job.urlRedacted).toBe('rtmp://user:***@127.0.0.1:1935/live/***?token=***');
    expect(job.urlRedacted).not.toContain('sk_live_123');

    const active = await store.egress.update(job.id, { status: 'active' });
    expect(active.startedAt).not.toBeNull();
    let last = active;
    for (let i = 1; i <= 3; i++) {
      last = await store.egress.update(job.id, { bytesWritten: i * 5_000_000_000, durationSeconds: i * 1.5, reconnects: i - 1 });
      expect(last).toMatchObject({ status: 'active', bytesWritten: i * 5_000_000_000, durationSeconds: i * 1.5, reconnects: i - 1 });
    }
    expect(last.startedAt).toBe(active.startedAt);
    const failed = await store.egress.update(job.id, { status: 'failed', error: 'E'.repeat(10_000) });
    expect(failed.endedAt).not.toBeNull();
    expect(failed.error).toHaveLength(4000);

    await rejectsWith(store.egress.update(job.id, { status: 'active' }), 'CONFLICT');
    await rejectsWith(store.egress.update(job.id, { bytesWritten: 1 }), 'CONFLICT');
    expect(await store.egress.get(job.id)).toEqual(failed);
    await rejectsWith(store.egress.update('eg_missing', { status: 'active' }), 'EGRESS_NOT_FOUND');
    await rejectsWith(store.egress.update(job.id, { bytesWritten: -1 }), 'VALIDATION_FAILED');

    const rec = await store.egress.create({ roomId, kind: 'recording', format: 'webm', composite: true, filePath: '/tmp/x.webm' });
    const done = await store.egress.update(rec.id, { status: 'complete', bytesWritten: 42 });
    expect(done.endedAt).not.toBeNull();
    expect((await store.egress.list(roomId)).map((j) => j.id).sort()).toEqual([job.id, rec.id].sort());
    expect((await store.egress.list(undefined, { statuses: ['complete'] })).map((j) => j.id)).toEqual([rec.id]);
    expect(await store.egress.list('rm_other001')).toEqual([]);
    await rejectsWith(store.egress.create({ roomId: 'rm_nothere1' as RoomId, kind: 'recording', format: 'webm' }), 'ROOM_NOT_FOUND');
  });

  test('webhooks: create with a generated secret, filter by event, update, delete', async () => {
    const t0 = Date.parse('2025-05-01T00:00:00.000Z');
    const a = await store.webhooks.create({ url: 'https://hooks.test/a', events: ['room.closed', 'participant.joined'], createdAt: new Date(t0) });
    const b = await store.webhooks.create({ url: 'http://hooks.test/b', events: ['*'], secret: 'given-secret', createdAt: new Date(t0 + 1) });
    expect(a.secret).toMatch(/^whsec_/);
    expect(a.active).toBe(true);
    expect((await store.webhooks.list({ event: 'room.closed' })).map((h) => h.id)).toEqual([a.id, b.id]);
    expect((await store.webhooks.list({ event: 'egress.ended' })).map((h) => h.id)).toEqual([b.id]);
    expect(await store.webhooks.update(b.id, { active: false, events: ['egress.ended'] })).toMatchObject({ active: false, events: ['egress.ended'], secret: 'given-secret' });
    expect((await store.webhooks.list({ activeOnly: true })).map((h) => h.id)).toEqual([a.id]);
    await rejectsWith(store.webhooks.create({ url: 'ftp://x.test/', events: [] }), 'VALIDATION_FAILED');
    await rejectsWith(store.webhooks.update('wh_missing', { active: true }), 'NOT_FOUND');
    expect(await store.webhooks.delete(a.id)).toBe(true);
    expect(await store.webhooks.delete(a.id)).toBe(false);
    expect((await store.webhooks.list()).map((h) => h.id)).toEqual([b.id]);
  });
});

test('the same writes read back identically on SQLite and PostgreSQL', async () => {
  const results: unknown[] = [];
  for (const driver of ['sqlite', 'postgres'] as const) {
    const db = await testDatabase(driver);
    const store = await openStore(db.cfg);
    try {
      await writeRoundTrip(store);
      results.push(await readBack(store));
    } finally {
      await store.close();
      await db.cleanup();
    }
  }
  expect(results[0]).toEqual(results[1]);
  expect(JSON.stringify(results[0])).toContain('"bytesWritten":9007199254740991');
});
