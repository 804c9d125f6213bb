import { Room } from '../../actors/room/Room';
import { hashPassword } from '../../store';
import type { RoomMessage } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import { RecordingRoomPorts, roomSettings } from '../helpers/fakeRoomPorts';

const api = { kind: 'api' } as const;
const as = (participantId: ParticipantId) => ({ kind: 'participant', participantId }) as const;

function joinRequest(identity: string, role: Role = 'guest', extra: Partial<RoomMessage<'join'>> = {}): RoomMessage<'join'> {
  return { roomId: 'r1' as RoomId, identity, name: identity.toUpperCase(), role, gatewayNodeId: 'gw' as NodeId, rtpCapabilities: {}, ...extra };
}

async function joined(room: Room, identity: string, role: Role = 'guest'): Promise<ParticipantId> {
  const result = await room.join(joinRequest(identity, role));
  if (result.status !== 'joined') throw new Error('expected joined');
  return result.participantId;
}

async function rejects(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  const run = typeof promise === 'function' ? Promise.resolve().then(promise) : promise;
  await expect(run).rejects.toMatchObject({ code });
}

describe('Room', () => {
  let ports: RecordingRoomPorts;
  let room: Room;
  beforeEach(() => {
    ports = new RecordingRoomPorts();
    room = new Room('r1' as RoomId, roomSettings(), 'owner' as NodeId, ports);
  });

  it('admits a joiner, creates its participant actor and announces it to the others', async () => {
    const alice = await joined(room, 'alice', 'host');
    const result = await room.join(joinRequest('bob'));
    expect(result.status).toBe('joined');
    if (result.status !== 'joined') return;
    expect(result.joined.participants.map((p) => p.identity)).toEqual(['alice']);
    expect(result.joined.self.identity).toBe('bob');
    expect(result.joined.node).toEqual({ id: 'node-a', region: 'eu' });
    expect(ports.created.map((c) => c.identity)).toEqual(['alice', 'bob']);
    const announce = ports.events('participant_joined');
    expect(announce).toHaveLength(2);
    expect(announce[1]).toMatchObject({ except: [result.participantId], data: { identity: 'bob' } });
    expect(room.participantCount).toBe(2);
    expect(alice).toMatch(/^pa_/);
  });

  it('does not announce viewers, nor list them to joiners', async () => {
    await joined(room, 'host', 'host');
    await joined(room, 'viewer1', 'viewer');
    expect(ports.events('participant_joined').map((s) => (s.data as { identity: string }).identity)).toEqual(['host']);
    const result = await room.join(joinRequest('guest'));
    expect(result.status === 'joined' && result.joined.participants.map((p) => p.identity)).toEqual(['host']);
  });

  it('refuses the joiner past max participants with ROOM_FULL', async () => {
    room = new Room('r1' as RoomId, roomSettings({ maxParticipants: 2 }), 'owner' as NodeId, ports);
    await joined(room, 'a');
    await joined(room, 'b');
    await rejects(room.join(joinRequest('c')), 'ROOM_FULL');
  });

  it('replaces an older session of the same identity', async () => {
    const first = await joined(room, 'alice');
    const second = await joined(room, 'alice');
    expect(second).not.toBe(first);
    expect(room.participantCount).toBe(1);
    expect(ports.removed).toEqual([{ participantId: first, reason: 'duplicate_identity' }]);
    expect(ports.events('kicked')[0]).toMatchObject({ to: [first], disconnect: true });
  });

  it('checks the password for guests but not for hosts', async () => {
    room = new Room('r1' as RoomId, roomSettings({ passwordHash: await hashPassword('s3cret') }), 'owner' as NodeId, ports);
    await rejects(room.join(joinRequest('g')), 'WRONG_PASSWORD');
    await rejects(room.join(joinRequest('g', 'guest', { password: 'nope' })), 'WRONG_PASSWORD');
    expect((await room.join(joinRequest('g', 'guest', { password: 's3cret' }))).status).toBe('joined');
    expect((await room.join(joinRequest('h', 'host'))).status).toBe('joined');
  });

  it('keeps guests out of a locked room; only moderators may lock', async () => {
    const host = await joined(room, 'host', 'host');
    const guest = await joined(room, 'guest');
    await rejects(() => room.setLocked(as(guest), true), 'FORBIDDEN');
    room.setLocked(as(host), true);
    await rejects(room.join(joinRequest('late')), 'ROOM_LOCKED');
    expect((await room.join(joinRequest('cohost', 'co_host'))).status).toBe('joined');
  });

  it('tells everyone when a participant leaves, with its tracks', async () => {
    const alice = await joined(room, 'alice');
    await joined(room, 'bob');
    room.trackPublished('node-a' as NodeId, { producerId: 'p1' as ProducerId, participantId: alice, identity: 'alice', kind: 'audio', source: 'microphone', muted: false });
    room.leave(alice, 'client_left');
    expect(ports.events('track_unpublished')[0]).toMatchObject({ data: { producerId: 'p1', identity: 'alice' } });
    expect(ports.events('participant_left')[0]).toMatchObject({ data: { identity: 'alice', reason: 'client_left' } });
    expect(ports.sessions.closed).toEqual([{ participantId: alice, reason: 'client_left' }]);
    room.leave(alice, 'client_left');
    expect(ports.events('participant_left')).toHaveLength(1);
  });

  it('closes itself when empty for the timeout, not before someone joins', async () => {
    const alice = await joined(room, 'alice');
    room.leave(alice, 'disconnected');
    expect(room.closed).toBe(false);
    ports.fireTimer();
    expect(room.closed).toBe(true);
    expect(ports.closedReason).toBe('empty_timeout');
    await rejects(room.join(joinRequest('late')), 'ROOM_CLOSED');
  });

  it('cancels the empty timer when someone joins', async () => {
    expect(ports.timers.filter((t) => !t.cancelled)).toHaveLength(1);
    await joined(room, 'alice');
    expect(ports.timers.filter((t) => !t.cancelled)).toHaveLength(0);
  });

  it('lets a host kick and mute; refuses guests', async () => {
    const host = await joined(room, 'host', 'host');
    const guest = await joined(room, 'guest');
    room.trackPublished('node-a' as NodeId, { producerId: 'mic' as ProducerId, participantId: guest, identity: 'guest', kind: 'audio', source: 'microphone', muted: false });
    await rejects(() => room.kick(as(guest), 'host'), 'FORBIDDEN');
    await rejects(room.muteParticipant(as(guest), 'host', 'microphone'), 'FORBIDDEN');
    await rejects(room.muteParticipant(as(host), 'host', 'camera'), 'PRODUCER_NOT_FOUND');
    await room.muteParticipant(as(host), 'guest', 'microphone');
    expect(ports.paused).toEqual([{ nodeId: 'node-a', producerId: 'mic', paused: true }]);
    expect(ports.events('muted')[0]).toMatchObject({ data: { identity: 'guest', track: 'microphone', muted: true, by: 'host' } });
    room.kick(as(host), 'guest');
    expect(ports.events('kicked')[0]).toMatchObject({ to: [guest], data: { by: 'host' }, disconnect: true });
    expect(ports.removed).toContainEqual({ participantId: guest, reason: 'kicked' });
    expect(room.participantCount).toBe(1);
    await rejects(() => room.kick(api, 'nobody'), 'PARTICIPANT_NOT_FOUND');
  });

  it('holds lobby joiners until a host admits or rejects them', async () => {
    room = new Room('r1' as RoomId, roomSettings({ lobbyEnabled: true }), 'owner' as NodeId, ports);
    const host = await joined(room, 'host', 'host');
    const waiting = await room.join(joinRequest('guest'));
    expect(waiting.status).toBe('waiting');
    expect(ports.events('lobby_request')[0]).toMatchObject({ to: [host], data: { identity: 'guest' } });
    expect(room.participantCount).toBe(1);
    await room.lobbyAdmit(as(host), 'guest');
    expect(ports.events('joined')[0]).toMatchObject({ to: [waiting.participantId] });
    expect(room.participantCount).toBe(2);

    const other = await room.join(joinRequest('other'));
    room.lobbyReject(as(host), 'other', 'no');
    expect(ports.events('lobby_rejected')[0]).toMatchObject({ to: [other.participantId], disconnect: true });
    await rejects(room.lobbyAdmit(as(host), 'other'), 'PARTICIPANT_NOT_FOUND');
  });

  it('admits everyone waiting with lobby_admit_all, up to capacity', async () => {
    room = new Room('r1' as RoomId, roomSettings({ lobbyEnabled: true, maxParticipants: 3 }), 'owner' as NodeId, ports);
    const host = await joined(room, 'host', 'host');
    for (const who of ['a', 'b', 'c']) await room.join(joinRequest(who));
    expect(await room.lobbyAdmitAll(as(host))).toBe(2);
    expect(room.participantCount).toBe(3);
  });

  it('sends chat to all or to one identity and keeps the last N public messages', async () => {
    const a = await joined(room, 'a');
    const b = await joined(room, 'b');
    for (const text of ['1', '2', '3', '4']) room.chat(a, text);
    room.chat(a, 'secret', 'b');
    expect(ports.events('chat').at(-1)).toMatchObject({ to: [a, b], data: { text: 'secret', to: 'b' } });
    const late = await room.join(joinRequest('late'));
    expect(late.status === 'joined' && late.joined.chatHistory.map((m) => m.text)).toEqual(['2', '3', '4']);
    expect(() => room.chat(a, 'x', 'ghost')).toThrow(CascadeError);
  });

  it('asks for a pipe when a track lives on another node', async () => {
    const a = await joined(room, 'a');
    room.trackPublished('node-b' as NodeId, { producerId: 'v' as ProducerId, participantId: a, identity: 'a', kind: 'video', source: 'camera', muted: false });
    const located = await room.locateTrack('v' as ProducerId, 'node-a' as NodeId);
    expect(located).toEqual({ producerId: 'v', kind: 'video', nodeId: 'node-b' });
    expect(ports.ensured).toEqual([{ producerId: 'v', from: 'node-b', to: 'node-a' }]);
    await rejects(room.locateTrack('nope' as ProducerId, 'node-a' as NodeId), 'PRODUCER_NOT_FOUND');
  });

  it('sends participants whose media died to reconnect', async () => {
    const a = await joined(room, 'a');
    const lost = room.mediaLost('node-a' as NodeId, 'worker_died');
    expect(lost).toEqual([a]);
    expect(ports.events('reconnect')[0]).toMatchObject({ to: [a], data: { reason: 'worker_died' }, disconnect: true });
    expect(room.participantCount).toBe(0);
  });

  it('closing disconnects everyone and releases media once', async () => {
    const host = await joined(room, 'host', 'host');
    const guest = await joined(room, 'guest');
    await rejects(() => room.close(as(guest)), 'FORBIDDEN');
    room.close(as(host));
    room.shutdown('again');
    expect(ports.events('room_closed')).toHaveLength(1);
    expect(ports.removed.map((r) => r.reason)).toEqual(['room_closed', 'room_closed']);
    expect(ports.closedMedia).toEqual([['node-a']]);
  });
});

describe('Room on node shutdown', () => {
  it('tells clients to reconnect and ends sessions without closing the room', async () => {
    const ports = new RecordingRoomPorts();
    const room = new Room('r1' as RoomId, roomSettings(), 'owner' as NodeId, ports);
    const a = await joined(room, 'a');
    room.suspend();
    expect(ports.events('reconnect')[0]).toMatchObject({ data: { reason: 'server_shutdown' }, disconnect: true });
    expect(ports.events('room_closed')).toHaveLength(0);
    expect(ports.sessions.closed).toEqual([{ participantId: a, reason: 'server_shutdown' }]);
    expect(ports.closedReason).toBe('suspended');
  });
});
