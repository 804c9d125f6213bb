import { Participant } from '../../actors/participant/Participant';
import type { ParticipantPorts } from '../../actors/participant/ParticipantTypes';
import { Room } from '../../actors/room/Room';
import type { NodeId, ParticipantId, ProducerId, RoomId, TransportId } from '../../schemas/ids';
import { ROLES, can, type Permission, type Role } from '../../schemas/roles';
import { RecordingRoomPorts, roomSettings } from '../helpers/fakeRoomPorts';

/**
 * Every role against every action, through the actors that enforce them (not the gateway):
 * the expected outcome is written out, not derived from the permission table under test.
 */
const EXPECTED: Record<Role, Record<string, boolean>> = {
  host: { publish: true, subscribe: true, kick: true, mute_others: true, close_room: true, admit_lobby: true, lock_room: true, chat: true, record: true, publish_data: true },
  co_host: { publish: true, subscribe: true, kick: true, mute_others: true, close_room: false, admit_lobby: true, lock_room: true, chat: true, record: true, publish_data: true },
  guest: { publish: true, subscribe: true, kick: false, mute_others: false, close_room: false, admit_lobby: false, lock_room: false, chat: true, record: false, publish_data: true },
  viewer: { publish: false, subscribe: true, kick: false, mute_others: false, close_room: false, admit_lobby: false, lock_room: false, chat: true, record: false, publish_data: false },
};

type Attempt = (role: Role) => Promise<void>;

function participantPorts(): ParticipantPorts {
  let n = 0;
  const ok = async () => undefined;
  return {
    media: {
      createWebRtcTransport: async () => ({ id: `t${++n}` as TransportId, iceParameters: {}, iceCandidates: [], dtlsParameters: {} }),
      connectTransport: ok,
      restartIce: async () => ({ iceParameters: {} }),
      produce: async () => ({ producerId: `p${++n}` as ProducerId }),
      closeProducer: ok,
      pauseProducer: ok,
      resumeProducer: ok,
      consume: async (_n, r) => ({ id: `c${++n}`, producerId: r.producerId, kind: 'audio', rtpParameters: {}, type: 'simple', producerPaused: false }) as never,
      resumeConsumer: ok,
      setConsumerPreferredLayers: ok,
      closeParticipant: ok,
      produceData: async () => ({ dataProducerId: `dp${++n}`, maxMessageBytes: 65536 }),
      consumeData: async () => ({ id: `dc${++n}`, dataProducerId: `d${n}`, sctpStreamParameters: {}, label: '', protocol: '' }),
    },
    room: {
      trackPublished: ok,
      trackUnpublished: ok,
      trackMuted: ok,
      locateTrack: async (_r, producerId, nodeId) => ({ producerId, kind: 'audio', nodeId }),
      leave: ok,
    },
    signal: () => undefined,
  };
}

function participant(role: Role): Participant {
  return new Participant(
    { participantId: 'pa_x' as ParticipantId, roomId: 'r' as RoomId, identity: 'x', name: 'X', role, mediaNodeId: 'n' as NodeId, gatewayNodeId: 'g' as NodeId, joinedAt: new Date().toISOString(), rtpCapabilities: {} },
    participantPorts(),
  );
}

/** A room with the actor (role under test) and a guest target publishing a microphone. */
async function roomWith(role: Role, settings = roomSettings()) {
  const room = new Room('r' as RoomId, settings, 'n' as NodeId, new RecordingRoomPorts());
  const join = async (identity: string, r: Role) => {
    const result = await room.join({ roomId: 'r' as RoomId, identity, name: identity, role: r, gatewayNodeId: 'g' as NodeId, rtpCapabilities: {} });
    return result.participantId;
  };
  const actor = await join('actor', role);
  const target = await join('target', 'guest');
  room.trackPublished('n' as NodeId, { producerId: 'mic' as ProducerId, participantId: target, identity: 'target', kind: 'audio', source: 'microphone', muted: false });
  return { room, actor: { kind: 'participant' as const, participantId: actor }, actorId: actor };
}

const attempts: Record<string, Attempt> = {
  publish: async (role) => {
    const p = participant(role);
    const send = await p.createTransport('send');
    await p.produce({ participantId: p.id, transportId: send.id, kind: 'audio', rtpParameters: {}, source: 'microphone' });
  },
  subscribe: async (role) => {
    const p = participant(role);
    await p.createTransport('recv');
    await p.consume('p-remote' as ProducerId);
  },
  kick: async (role) => {
    const { room, actor } = await roomWith(role);
    room.kick(actor, 'target');
  },
  mute_others: async (role) => {
    const { room, actor } = await roomWith(role);
    await room.muteParticipant(actor, 'target', 'microphone');
  },
  close_room: async (role) => {
    const { room, actor } = await roomWith(role);
    room.close(actor);
  },
  admit_lobby: async (role) => {
    const room = new Room('r' as RoomId, roomSettings({ lobbyEnabled: true }), 'n' as NodeId, new RecordingRoomPorts());
    const join = (identity: string, r: Role) =>
      room.join({ roomId: 'r' as RoomId, identity, name: identity, role: r, gatewayNodeId: 'g' as NodeId, rtpCapabilities: {} });
    const host = { kind: 'participant' as const, participantId: (await join('host', 'host')).participantId };
    // The actor gets in first (a host lets guests and viewers in), then someone else waits.
    const actor = { kind: 'participant' as const, participantId: (await join('actor', role)).participantId };
    if (role === 'guest' || role === 'viewer') await room.lobbyAdmit(host, 'actor');
    await join('waiting', 'guest');
    await room.lobbyAdmit(actor, 'waiting');
  },
  lock_room: async (role) => {
    const { room, actor } = await roomWith(role);
    room.setLocked(actor, true);
  },
  chat: async (role) => {
    const { room, actorId } = await roomWith(role);
    room.chat(actorId, 'hello');
  },
  publish_data: async (role) => {
    const p = participant(role);
    // Permission comes before the transport check (a viewer has no send transport to try with),
    // so an unknown transport tells the two apart: FORBIDDEN, or else TRANSPORT_NOT_FOUND.
    const error = await p.produceData({ participantId: p.id, transportId: 't-unknown' as TransportId, sctpStreamParameters: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if ((error as { code?: string } | undefined)?.code !== 'TRANSPORT_NOT_FOUND') throw error;
  },
  // Recording is enforced by the egress actor with the same table; checked at the table here.
  record: async (role) => {
    if (!can(role, 'record' as Permission)) throw Object.assign(new Error('FORBIDDEN'), { code: 'FORBIDDEN' });
  },
};

describe.each(ROLES)('role %s', (role) => {
  test.each(Object.keys(attempts))('%s', async (action) => {
    const run = attempts[action]!(role);
    if (EXPECTED[role][action]) await expect(run).resolves.toBeUndefined();
    else await expect(run).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
