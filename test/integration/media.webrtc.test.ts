import { createSocket } from 'node:dgram';
import type { MediaNode, MediaNodeEvents } from '../../media';
import type { ConsumerId, ParticipantId, ProducerId, RoomId, TransportId } from '../../schemas/ids';
import type { ConsumerParams } from '../../schemas/media';
import { startNode, waitFor } from './media.helpers';

const roomId = 'webrtc-room' as RoomId;
const alice = 'alice' as ParticipantId;
const bob = 'bob' as ParticipantId;

/** What a browser's send transport would declare for a VP8 camera and an Opus microphone. */
const vp8 = (ssrc: number) => ({
  mid: '0',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
  encodings: [{ ssrc }],
});
const opus = (ssrc: number) => ({
  mid: '1',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc }],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 1 }],
});

function record<K extends keyof MediaNodeEvents & string>(node: MediaNode, event: K): MediaNodeEvents[K][] {
  const seen: MediaNodeEvents[K][] = [];
  node.on(event, (payload) => seen.push(payload));
  return seen;
}

describe('MediaNode WebRTC transports, produce and consume', () => {
  let node: MediaNode;
  let webRtcServerPort: number;

  beforeAll(async () => {
    ({ node, webRtcServerPort } = await startNode());
  });

  afterAll(async () => {
    await node?.close();
  });

  it('offers ICE candidates on the announced IP and the WebRtcServer port, UDP and TCP', async () => {
    const params = await node.createWebRtcTransport({ roomId, participantId: alice, direction: 'send', sctp: true });
    const candidates = params.iceCandidates as Array<{ ip: string; port: number; protocol: string }>;
    expect(candidates.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);
    for (const c of candidates) {
      expect(c.ip).toBe('127.0.0.1');
      expect(c.port).toBe(webRtcServerPort);
    }
    expect(params.iceParameters).toHaveProperty('usernameFragment');
    expect(params.dtlsParameters).toHaveProperty('fingerprints');
    expect(params.sctpParameters).toHaveProperty('port');
    expect(node.getRouterRtpCapabilities()).toEqual(node.getRouterRtpCapabilities());
    const restarted = await node.restartIce({ transportId: params.id });
    expect(restarted.iceParameters.usernameFragment).not.toBe((params.iceParameters as { usernameFragment: string }).usernameFragment);
  });

  it('rejects unknown ids with their codes and incompatible capabilities with CANNOT_CONSUME', async () => {
    const send = await node.createWebRtcTransport({ roomId, participantId: alice, direction: 'send' });
    const recv = await node.createWebRtcTransport({ roomId, participantId: bob, direction: 'recv' });
    const { producerId } = await node.produce({ transportId: send.id, kind: 'video', rtpParameters: vp8(1234), source: 'camera' });

    const h264Only = {
      codecs: [{ kind: 'video', mimeType: 'video/H264', clockRate: 90000, preferredPayloadType: 102, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }],
      headerExtensions: [],
    };
    await expect(node.consume({ transportId: recv.id, producerId, rtpCapabilities: h264Only })).rejects.toMatchObject({ code: 'CANNOT_CONSUME' });
    const caps = node.getRouterRtpCapabilities();
    await expect(node.consume({ transportId: 'nope' as TransportId, producerId, rtpCapabilities: caps })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    await expect(node.consume({ transportId: recv.id, producerId: 'nope' as ProducerId, rtpCapabilities: caps })).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' });
    await expect(node.resumeConsumer({ consumerId: 'nope' as ConsumerId })).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
    await expect(node.closeProducer({ producerId: 'nope' as ProducerId })).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' });
    await expect(node.connectTransport({ transportId: 'nope' as TransportId, dtlsParameters: {} })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    await expect(node.produce({ transportId: send.id, kind: 'video', rtpParameters: { codecs: [] }, source: 'camera' })).rejects.toMatchObject({ code: 'MEDIA_ERROR' });

    // A producer of another room on the same node is not consumable from this room.
    const other = await node.createWebRtcTransport({ roomId: 'other-room' as RoomId, participantId: bob, direction: 'recv' });
    await expect(node.consume({ transportId: other.id, producerId, rtpCapabilities: caps })).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' });
    expect(node.stats().rooms).toBe(2);
    await node.closeRoom({ roomId: 'other-room' as RoomId });
    expect(node.stats().rooms).toBe(1);

    const consumer = await node.consume({ transportId: recv.id, producerId, rtpCapabilities: caps });
    expect(consumer).toMatchObject({ producerId, kind: 'video', type: 'simple', producerPaused: false });
    await node.pauseProducer({ producerId });
    await node.resumeConsumer({ consumerId: consumer.id });
    await node.setConsumerPreferredLayers({ consumerId: consumer.id, spatialLayer: 0 });
    await node.closeConsumer({ consumerId: consumer.id });
    await expect(node.consumerStats(consumer.id)).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
  });

  it('closeParticipant closes its transports and reports what others lose', async () => {
    const room = 'leave-room' as RoomId;
    const aliceSend = await node.createWebRtcTransport({ roomId: room, participantId: alice, direction: 'send' });
    const aliceRecv = await node.createWebRtcTransport({ roomId: room, participantId: alice, direction: 'recv' });
    const bobSend = await node.createWebRtcTransport({ roomId: room, participantId: bob, direction: 'send' });
    const bobRecv = await node.createWebRtcTransport({ roomId: room, participantId: bob, direction: 'recv' });
    const caps = node.getRouterRtpCapabilities();

    const aliceVideo = await node.produce({ transportId: aliceSend.id, kind: 'video', rtpParameters: vp8(1001), source: 'camera' });
    const aliceAudio = await node.produce({ transportId: aliceSend.id, kind: 'audio', rtpParameters: opus(1002), source: 'microphone' });
    const bobVideo = await node.produce({ transportId: bobSend.id, kind: 'video', rtpParameters: vp8(2001), source: 'camera' });
    const bobGetsVideo = await node.consume({ transportId: bobRecv.id, producerId: aliceVideo.producerId, rtpCapabilities: caps });
    const bobGetsAudio = await node.consume({ transportId: bobRecv.id, producerId: aliceAudio.producerId, rtpCapabilities: caps });
    const aliceGetsBob = await node.consume({ transportId: aliceRecv.id, producerId: bobVideo.producerId, rtpCapabilities: caps });

    const consumerClosed = record(node, 'consumerClosed');
    const producerClosed = record(node, 'producerClosed');
    const before = node.stats();
    await node.closeParticipant({ roomId: room, participantId: alice });

    // Bob's consumers of Alice's tracks close when the worker reports her producers closed.
    const bobLost = (c: ConsumerParams) => consumerClosed.some((e) => e.consumerId === c.id && e.participantId === bob && e.reason === 'producer_closed');
    await waitFor(() => (bobLost(bobGetsVideo) && bobLost(bobGetsAudio)) || JSON.stringify(consumerClosed), 5000, "bob's consumers to close");
    expect(consumerClosed).toContainEqual({ roomId: room, participantId: alice, consumerId: aliceGetsBob.id, producerId: bobVideo.producerId, reason: 'transport_closed' });
    expect(producerClosed.map((e) => e.producerId).sort()).toEqual([aliceVideo.producerId, aliceAudio.producerId].sort());
    expect(producerClosed.every((e) => e.participantId === alice && e.reason === 'transport_closed')).toBe(true);

    const after = node.stats();
    expect(after.transports).toBe(before.transports - 2);
    expect(after.producers).toBe(before.producers - 2);
    expect(after.consumers).toBe(before.consumers - 3);
    await expect(node.resumeConsumer({ consumerId: bobGetsVideo.id })).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });
    // Bob is untouched.
    await expect(node.producerStats(bobVideo.producerId)).resolves.toMatchObject({ streams: expect.any(Number) });

    await node.closeRoom({ roomId: room });
    expect(consumerClosed.length).toBe(3);
    expect(producerClosed).toContainEqual({ roomId: room, participantId: bob, producerId: bobVideo.producerId, reason: 'router_closed' });
  });

  it('reports the dominant speaker with its participant', async () => {
    const room = 'speaker-room' as RoomId;
    const ssrc = 5150;
    const plain = await node.createPlainProducer({ roomId: room, participantId: alice, kind: 'audio', rtpParameters: opus(ssrc), source: 'microphone' });
    const speakers = record(node, 'activeSpeaker');

    // Loud voice packets carrying the ssrc-audio-level extension (ffmpeg does not send it).
    const socket = createSocket('udp4');
    let seq = 0;
    const send = () => {
      const packet = Buffer.alloc(12 + 8 + 20);
      packet[0] = 0x90; // V=2, X=1
      packet[1] = 111;
      packet.writeUInt16BE(seq++ & 0xffff, 2);
      packet.writeUInt32BE((seq * 960) >>> 0, 4);
      packet.writeUInt32BE(ssrc, 8);
      packet.writeUInt16BE(0xbede, 12);
      packet.writeUInt16BE(1, 14); // one 32-bit word of extensions
      packet[16] = (1 << 4) | 0; // id 1, length 1 byte
      packet[17] = 0x80 | 10; // voice, -10 dBov
      socket.send(packet, plain.localRtpPort, plain.localIp);
    };
    const timer = setInterval(send, 20);
    try {
      await waitFor(() => speakers.length > 0 || 'no activeSpeaker yet', 8000, 'activeSpeaker');
    } finally {
      clearInterval(timer);
      socket.close();
    }
    expect(speakers[0]).toEqual({ roomId: room, producerId: plain.producerId, participantId: alice });
  });
});
