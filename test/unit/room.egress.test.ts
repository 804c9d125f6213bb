import { chooseEgressNode } from '../../actors/egress/placeEgress';
import { Room } from '../../actors/room/Room';
import type { RoomMessage } from '../../schemas/actors';
import type { EgressInfo } from '../../schemas/egress';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import type { TrackInfo } from '../../schemas/signaling';
import { RecordingRoomPorts, roomSettings } from '../helpers/fakeRoomPorts';

/**
 * The room's side of egress, without a broker: who may start it, which tracks the job is given
 * and told about as they come, mute and go, and that closing or suspending the room ends its jobs.
 */

const api = { kind: 'api' } as const;

function joinRequest(identity: string, role: Role): RoomMessage<'join'> {
  return { roomId: 'r1' as RoomId, identity, name: identity, role, gatewayNodeId: 'gw' as NodeId, rtpCapabilities: {} };
}

async function joined(room: Room, identity: string, role: Role = 'guest'): Promise<ParticipantId> {
  const result = await room.join(joinRequest(identity, role));
  if (result.status !== 'joined') throw new Error('expected joined');
  return result.participantId;
}

function track(participantId: ParticipantId, producerId: string, kind: 'audio' | 'video', muted = false): TrackInfo {
  return { producerId: producerId as ProducerId, participantId, identity: 'x', kind, source: kind === 'audio' ? 'microphone' : 'camera', muted };
}

describe('Room egress', () => {
  let ports: RecordingRoomPorts;
  let room: Room;
  beforeEach(() => {
    ports = new RecordingRoomPorts();
    room = new Room('r1' as RoomId, roomSettings(), 'owner' as NodeId, ports);
  });

  it('starts a job on the chosen node with the unmuted tracks, then keeps it fed', async () => {
    const alice = await joined(room, 'alice', 'host');
    room.trackPublished('node-a' as NodeId, track(alice, 'cam', 'video'));
    room.trackPublished('node-a' as NodeId, track(alice, 'mic', 'audio', true));
    const info = await room.startEgress(api, { kind: 'recording', format: 'mp4' });
    expect(info.state).toBe('starting');
    expect(ports.egress[0]).toEqual([
      'node-a',
      'start',
      { egressId: info.id, roomId: 'r1', request: { kind: 'recording', format: 'mp4' }, tracks: [{ producerId: 'cam', participantId: alice, kind: 'video' }] },
    ]);

    const bob = await joined(room, 'bob');
    room.trackPublished('node-a' as NodeId, track(bob, 'bob-cam', 'video'));
    room.trackMuted(alice, 'mic' as ProducerId, false);
    room.trackMuted(alice, 'cam' as ProducerId, true);
    room.leave(bob, 'client_left');
    expect(ports.egress.slice(1).map(([, action, m]) => `${action} ${(m.track as { producerId?: string })?.producerId ?? m.producerId}`)).toEqual([
      'addTrack bob-cam',
      'addTrack mic',
      'removeTrack cam',
      'removeTrack bob-cam',
    ]);
  });

  it('only roles allowed to record may start or stop; a disabled room refuses everyone', async () => {
    const guest = await joined(room, 'gus', 'guest');
    await expect(room.startEgress({ kind: 'participant', participantId: guest }, { kind: 'recording' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(room.startEgress({ kind: 'token', identity: 'v', role: 'viewer' }, { kind: 'recording' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(room.startEgress({ kind: 'token', identity: 'h', role: 'co_host' }, { kind: 'rtmp', url: 'rtmp://sink/live/key' })).resolves.toMatchObject({
      kind: 'rtmp',
    });
    await expect(room.stopEgress(api, 'recording')).rejects.toMatchObject({ code: 'EGRESS_NOT_FOUND' });

    const closed = new Room('r2' as RoomId, roomSettings({ recordingEnabled: false }), 'owner' as NodeId, ports);
    await expect(closed.startEgress(api, { kind: 'recording' })).rejects.toMatchObject({ code: 'RECORDING_DISABLED' });
  });

  it('stops by kind or id, forgets ended jobs, and tells hosts of every change', async () => {
    await joined(room, 'alice', 'host');
    await joined(room, 'gus', 'guest');
    const rec = await room.startEgress(api, { kind: 'recording' });
    const rtmp = await room.startEgress(api, { kind: 'rtmp', url: 'rtmp://sink/live/key' });
    const stopped = await room.stopEgress(api, 'rtmp');
    expect(stopped.map((i) => i.id)).toEqual([rtmp.id]);

    const ended: EgressInfo = { ...rec, state: 'complete', reason: 'stopped' };
    room.egressUpdated(ended);
    const told = ports.events('egress_updated');
    expect(told).toHaveLength(1);
    expect(told[0]?.to).toHaveLength(1); // the host, not the guest
    await expect(room.stopEgress(api, 'recording', rec.id)).rejects.toMatchObject({ code: 'EGRESS_NOT_FOUND' });
  });

  it('closing the room ends its jobs; suspending stops them as node_shutdown', async () => {
    await joined(room, 'alice', 'host');
    const rec = await room.startEgress(api, { kind: 'recording' });
    room.shutdown('closed_by_api');
    expect(ports.egress.at(-1)).toEqual(['node-a', 'roomClosed', { egressId: rec.id }]);

    const other = new Room('r3' as RoomId, roomSettings(), 'owner' as NodeId, ports);
    const job = await other.startEgress(api, { kind: 'recording' });
    other.suspend();
    expect(ports.egress.at(-1)).toEqual(['node-a', 'stop', { egressId: job.id, reason: 'node_shutdown' }]);
  });
});

describe('chooseEgressNode', () => {
  const node = (id: string, roles: string[], extra: { available?: boolean; local?: boolean } = {}) => ({
    id,
    available: extra.available ?? true,
    local: extra.local ?? false,
    metadata: { roles },
  });
  const both = ['media', 'egress'];

  it('prefers the egress node already holding most of the tracks, then this node, then by id', () => {
    const nodes = [node('a', both, { local: true }), node('b', both), node('c', ['media'])];
    expect(chooseEgressNode(nodes, ['b', 'b', 'a'] as NodeId[])).toBe('b');
    expect(chooseEgressNode(nodes, ['c', 'c'] as NodeId[])).toBe('a');
    expect(chooseEgressNode([node('b', both), node('a', both)], [])).toBe('a');
  });

  it('skips dead nodes and nodes without both roles; none left is EGRESS_UNAVAILABLE', () => {
    expect(chooseEgressNode([node('a', both, { available: false }), node('b', both)], ['a'] as NodeId[])).toBe('b');
    expect(() => chooseEgressNode([node('a', ['egress']), node('b', ['media'])], [])).toThrow(expect.objectContaining({ code: 'EGRESS_UNAVAILABLE' }));
  });
});
