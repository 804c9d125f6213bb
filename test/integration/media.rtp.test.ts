import type { MediaNode } from '../../media';
import type { ParticipantId, RoomId } from '../../schemas/ids';
import {
  opusArgs,
  opusRtpParameters,
  OPUS_PT,
  rtpSink,
  startFfmpeg,
  startNode,
  vp8Args,
  vp8RtpParameters,
  VP8_PT,
  waitFor,
  type Ffmpeg,
  type RtpSink,
} from './media.helpers';

/**
 * Real RTP through a real worker: ffmpeg -> PlainTransport producer -> router -> PlainTransport
 * consumer -> a UDP socket in this test.
 */
describe('MediaNode plain RTP in and out', () => {
  const roomId = 'rtp-room' as RoomId;
  const participantId = 'ffmpeg-sender' as ParticipantId;
  let node: MediaNode;
  const senders: Ffmpeg[] = [];
  const sinks: RtpSink[] = [];

  beforeAll(async () => {
    ({ node } = await startNode({ codecs: ['opus', 'VP8'] }));
  });

  afterAll(async () => {
    await Promise.all(senders.map((f) => f.stop()));
    await Promise.all(sinks.map((s) => s.close()));
    await node?.close();
  });

  it.each([
    { kind: 'video' as const, source: 'camera' as const, ssrc: 11111111, pt: VP8_PT, rtp: vp8RtpParameters, args: vp8Args },
    { kind: 'audio' as const, source: 'microphone' as const, ssrc: 22222222, pt: OPUS_PT, rtp: opusRtpParameters, args: opusArgs },
  ])('forwards $kind from ffmpeg to a plain consumer with the router payload type', async ({ kind, source, ssrc, pt, rtp, args }) => {
    const producer = await node.createPlainProducer({ roomId, participantId, kind, rtpParameters: rtp(ssrc), source });
    expect(producer.localIp).toBe('127.0.0.1');
    expect(producer.localRtcpPort).not.toBe(producer.localRtpPort);

    const sender = startFfmpeg(args(ssrc, producer.localIp, producer.localRtpPort, producer.localRtcpPort));
    senders.push(sender);

    const rtpOut = await rtpSink();
    const rtcpOut = await rtpSink();
    sinks.push(rtpOut, rtcpOut);
    const consumer = await node.createPlainConsumer({
      roomId,
      producerId: producer.producerId,
      remoteIp: '127.0.0.1',
      remoteRtpPort: rtpOut.port,
      remoteRtcpPort: rtcpOut.port,
    });
    expect(consumer.kind).toBe(kind);
    const codecs = consumer.rtpParameters.codecs as Array<{ payloadType: number; mimeType: string }>;
    const consumerPt = codecs[0].payloadType;
    expect(codecs[0].mimeType).toBe(kind === 'video' ? 'video/VP8' : 'audio/opus');
    // ffmpeg's payload type is deliberately not the router's: the test proves mediasoup rewrote it.
    expect(consumerPt).not.toBe(pt);

    await waitFor(
      () => {
        if (sender.process.exitCode !== null) return `ffmpeg exited: ${sender.stderr()}`;
        const seen = rtpOut.packets.get(consumerPt) ?? 0;
        return seen >= 20 || `${seen} packets with pt ${consumerPt} so far (all: ${JSON.stringify([...rtpOut.packets])})`;
      },
      15000,
      `${kind} RTP at the consumer's socket`,
    );
    expect(rtpOut.packets.get(pt) ?? 0).toBe(0);

    const producerStats = await node.producerStats(producer.producerId);
    expect(producerStats.byteCount).toBeGreaterThan(0);
    expect(producerStats.packetCount).toBeGreaterThan(0);
    const consumerStats = await node.consumerStats(consumer.consumerId);
    expect(consumerStats.byteCount).toBeGreaterThan(0);
    const transportStats = await node.transportStats(consumer.transportId);
    expect(transportStats.rtpBytesSent).toBeGreaterThan(0);

    // Closing the consumer closes its plain transport too.
    const before = node.stats().transports;
    await node.closeConsumer({ consumerId: consumer.consumerId });
    expect(node.stats().transports).toBe(before - 1);
    await expect(node.transportStats(consumer.transportId)).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
  });
});
