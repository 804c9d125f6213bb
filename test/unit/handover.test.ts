import { chooseSuccessor } from '../../actors/cluster/Handover';
import { Room } from '../../actors/room/Room';
import type { RoomMessage } from '../../schemas/actors';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import { RecordingRoomPorts, roomSettings } from '../helpers/fakeRoomPorts';

/**
 * The pure parts of a graceful handover (the whole of it, across processes, is
 * test/integration/cluster.handover.test.ts): what the stopping owner's room tells whom, and which
 * node it picks to take over.
 */

const S = 'node-s' as NodeId;
const B = 'node-b' as NodeId;
const C = 'node-c' as NodeId;

function joinRequest(identity: string, role: Role): RoomMessage<'join'> {
  return { roomId: 'r1' as RoomId, identity, name: identity, role, gatewayNodeId: B, rtpCapabilities: {} };
}

async function join(room: Room, ports: RecordingRoomPorts, identity: string, role: Role, node: NodeId) {
  ports.nodeId = node;
  return room.join(joinRequest(identity, role));
}

describe('Room.handOver', () => {
  it('sends members whose media is on the stopping node, and lobby joiners, to reconnect; the others keep their media', async () => {
    const ports = new RecordingRoomPorts();
    const room = new Room('r1' as RoomId, roomSettings({ lobbyEnabled: true }), S, ports);
    const dora = await join(room, ports, 'dora', 'host', S);
    const alice = await join(room, ports, 'alice', 'host', B);
    const waiting = await join(room, ports, 'guest', 'guest', C);
    expect([dora.status, alice.status, waiting.status]).toEqual(['joined', 'joined', 'waiting']);
    ports.signals = [];

    room.handOver(S);

    const reconnects = ports.events('reconnect');
    expect(reconnects.map((s) => s.to)).toEqual([[waiting.participantId], [dora.participantId]]);
    for (const s of reconnects) expect(s).toMatchObject({ data: { reason: 'server_shutdown' }, disconnect: true });
    expect(ports.events('participant_left')).toEqual([
      { except: [dora.participantId], event: 'participant_left', data: { participantId: dora.participantId, identity: 'dora', reason: 'server_shutdown' } },
    ]);
    expect(ports.removed).toEqual([{ participantId: dora.participantId, reason: 'server_shutdown' }]);
    expect(ports.sessions.closed).toEqual([{ participantId: dora.participantId, reason: 'server_shutdown' }]);
    // The room itself goes on (at its next owner): not closed, not suspended, alice still in it.
    expect(room.closed).toBe(false);
    expect(ports.closedReason).toBeUndefined();
    expect(room.members().map((m) => m.id)).toEqual([alice.participantId as ParticipantId]);
    expect(room.info().mediaNodeIds).toEqual([B]);
  });
});

describe('chooseSuccessor', () => {
  const room = (id: string) => id as RoomId;

  it('prefers a live node that already serves members of the room', () => {
    expect(chooseSuccessor(room('r1'), [S, C], [B, C])).toBe(C);
    expect(chooseSuccessor(room('r1'), [S], [C, B])).toMatch(/^node-[bc]$/);
  });

  it('spreads rooms over the candidates, the same way on every call', () => {
    const picks = Array.from({ length: 40 }, (_, i) => chooseSuccessor(room(`room-${i}`), [], [B, C]));
    expect(new Set(picks)).toEqual(new Set([B, C]));
    expect(Array.from({ length: 40 }, (_, i) => chooseSuccessor(room(`room-${i}`), [], [C, B]))).toEqual(picks);
  });

  it('refuses when no live node is left', () => {
    expect(() => chooseSuccessor(room('r1'), [S], [])).toThrow(/no live node/);
  });
});
