import { Participant } from '../../actors/participant/Participant';
import type { MediaPort, ParticipantPorts } from '../../actors/participant/ParticipantTypes';
import type { GatewaySignal } from '../../schemas/actors';
import type { NodeId, ParticipantId, ProducerId, RoomId, TransportId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';

/** A media port that hands out ids and records calls, like a media node would. */
function fakeMedia(calls: string[]): MediaPort {
  let n = 0;
  const record = (name: string) => async () => {
    calls.push(name);
  };
  return {
    createWebRtcTransport: async (_node, req) => {
      calls.push(`createWebRtcTransport:${req.direction}`);
      return { id: `t${++n}` as TransportId, iceParameters: {}, iceCandidates: [], dtlsParameters: {} };
    },
    connectTransport: record('connectTransport'),
    restartIce: async () => ({ iceParameters: { usernameFragment: 'x' } }),
    produce: async () => ({ producerId: `p${++n}` as ProducerId }),
    closeProducer: record('closeProducer'),
    pauseProducer: record('pauseProducer'),
    resumeProducer: record('resumeProducer'),
    consume: async (_node, req) => ({ id: `c${++n}`, producerId: req.producerId, kind: 'video', rtpParameters: {}, type: 'simulcast', producerPaused: false }) as never,
    resumeConsumer: record('resumeConsumer'),
    setConsumerPreferredLayers: record('setConsumerPreferredLayers'),
    closeParticipant: record('closeParticipant'),
    produceData: async (_node, req) => {
      calls.push(`produceData:${req.identity}`);
      return { dataProducerId: `dp${++n}`, maxMessageBytes: 65536 };
    },
    consumeData: async (_node, req) => {
      calls.push(`consumeData:${req.identity}`);
      return { id: `dc${++n}`, dataProducerId: `down${n}`, sctpStreamParameters: { streamId: 0 }, label: 'cascade-data', protocol: '' };
    },
  };
}

function make(role: Role = 'guest') {
  const calls: string[] = [];
  const signals: GatewaySignal[] = [];
  const roomCalls: string[] = [];
  const ports: ParticipantPorts = {
    media: fakeMedia(calls),
    room: {
      trackPublished: async (_r, _n, track) => void roomCalls.push(`published:${track.source}`),
      trackUnpublished: async (_r, _p, producerId) => void roomCalls.push(`unpublished:${producerId}`),
      trackMuted: async (_r, _p, producerId, muted) => void roomCalls.push(`muted:${producerId}:${muted}`),
      locateTrack: async (_r, producerId, nodeId) => ({ producerId, kind: 'video', nodeId }),
      leave: async (_r, _p, reason) => void roomCalls.push(`leave:${reason}`),
    },
    signal: (s) => void signals.push(s),
  };
  const participant = new Participant(
    { participantId: 'pa_1' as ParticipantId, roomId: 'r' as RoomId, identity: 'me', name: 'Me', role, mediaNodeId: 'n1' as NodeId, gatewayNodeId: 'g' as NodeId, joinedAt: new Date().toISOString(), rtpCapabilities: {} },
    ports,
  );
  return { participant, calls, signals, roomCalls };
}

describe('Participant', () => {
  it('publishes on its send transport and tells the room', async () => {
    const { participant, roomCalls } = make();
    const send = await participant.createTransport('send');
    const { producerId } = await participant.produce({ participantId: participant.id, transportId: send.id, kind: 'audio', rtpParameters: {}, source: 'microphone' });
    expect(roomCalls).toEqual(['published:microphone']);
    await participant.setMuted(producerId, true);
    expect(roomCalls).toContain(`muted:${producerId}:true`);
    await participant.closeProducer(producerId);
    expect(roomCalls).toContain(`unpublished:${producerId}`);
  });

  it('refuses a kind that does not match the source, and a second camera', async () => {
    const { participant } = make();
    const send = await participant.createTransport('send');
    await expect(participant.produce({ participantId: participant.id, transportId: send.id, kind: 'audio', rtpParameters: {}, source: 'camera' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await participant.produce({ participantId: participant.id, transportId: send.id, kind: 'video', rtpParameters: {}, source: 'camera' });
    await expect(participant.produce({ participantId: participant.id, transportId: send.id, kind: 'video', rtpParameters: {}, source: 'camera' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('lets a viewer subscribe but never publish', async () => {
    const { participant } = make('viewer');
    await expect(participant.createTransport('send')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await participant.createTransport('recv');
    const consumer = await participant.consume('p9' as ProducerId);
    expect(consumer.producerId).toBe('p9');
  });

  it('needs a recv transport to consume, and knows only its own ids', async () => {
    const { participant } = make();
    await expect(participant.consume('p9' as ProducerId)).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    await expect(participant.connectTransport('t-other' as TransportId, {})).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    await expect(participant.resumeConsumer('c-other' as never)).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
    await expect(participant.setMuted('p-other' as ProducerId, true)).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' });
  });

  it('tells its client when a consumer closes under it', async () => {
    const { participant, signals } = make();
    await participant.createTransport('recv');
    const consumer = await participant.consume('p9' as ProducerId);
    participant.consumerClosed(consumer.id, 'p9' as ProducerId);
    participant.consumerClosed(consumer.id, 'p9' as ProducerId);
    expect(signals).toEqual([{ roomId: 'r', to: ['pa_1'], event: 'consumer_closed', data: { consumerId: consumer.id, producerId: 'p9' } }]);
  });

  it('opens one data channel each way, stamped with its own identity', async () => {
    const { participant, calls } = make();
    const send = await participant.createTransport('send');
    await expect(participant.consumeData()).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    const recv = await participant.createTransport('recv');
    await expect(participant.produceData({ participantId: participant.id, transportId: recv.id, sctpStreamParameters: {} })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const produced = await participant.produceData({ participantId: participant.id, transportId: send.id, sctpStreamParameters: { streamId: 0 }, label: 'cascade-data' });
    expect(produced.maxMessageBytes).toBe(65536);
    await expect(participant.produceData({ participantId: participant.id, transportId: send.id, sctpStreamParameters: {} })).rejects.toMatchObject({ code: 'CONFLICT' });
    const consumer = await participant.consumeData();
    expect(consumer).toMatchObject({ label: 'cascade-data', sctpStreamParameters: { streamId: 0 } });
    await expect(participant.consumeData()).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls.filter((c) => c.includes('Data'))).toEqual(['produceData:me', 'consumeData:me']);
  });

  it('lets a viewer receive data but not send it', async () => {
    const { participant } = make('viewer');
    const recv = await participant.createTransport('recv');
    await expect(participant.produceData({ participantId: participant.id, transportId: recv.id, sctpStreamParameters: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(participant.consumeData()).resolves.toMatchObject({ label: 'cascade-data' });
  });

  it('tells its client when the media node refuses a data message', () => {
    const { participant, signals } = make();
    participant.dataRejected('MESSAGE_TOO_LARGE', 'Data payload is 70000 bytes; the limit is 65536');
    expect(signals).toEqual([
      { roomId: 'r', to: ['pa_1'], event: 'error', data: { code: 'MESSAGE_TOO_LARGE', message: 'Data payload is 70000 bytes; the limit is 65536' } },
    ]);
  });

  it('leaving releases media and the room once', async () => {
    const { participant, calls, roomCalls } = make();
    await participant.leave('client_left');
    await participant.leave('client_left');
    expect(calls.filter((c) => c === 'closeParticipant')).toHaveLength(1);
    expect(roomCalls).toEqual(['leave:client_left']);
    await expect(participant.createTransport('recv')).rejects.toMatchObject({ code: 'PARTICIPANT_NOT_FOUND' });
  });
});
