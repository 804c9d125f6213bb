import type { MediaNode } from '../../media';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import { rtpSink, startFfmpeg, startNode, vp8Args, vp8RtpParameters, waitFor, type Ffmpeg, type RtpSink } from './media.helpers';

/** Two nodes in one process stand for two machines: a producer on A is consumed on B. */
describe('MediaNode pipe between two nodes', () => {
  const roomId = 'pipe-room' as RoomId;
  const participantId = 'sender' as ParticipantId;
  let a: MediaNode;
  let b: MediaNode;
  let sender: Ffmpeg | undefined;
  const sinks: RtpSink[] = [];

  beforeAll(async () => {
    [{ node: a }, { node: b }] = await Promise.all([startNode(), startNode()]);
  });

  afterAll(async () => {
    await sender?.stop();
    await Promise.all(sinks.map((s) => s.close()));
    await Promise.all([a?.close(), b?.close()]);
  });

  it('pipes a producer from A to B where a plain consumer receives its RTP', async () => {
    const ssrc = 33333333;
    const producer = await a.createPlainProducer({ roomId, participantId, kind: 'video', rtpParameters: vp8RtpParameters(ssrc), source: 'camera' });
    sender = startFfmpeg(vp8Args(ssrc, producer.localIp, producer.localRtpPort, producer.localRtcpPort));

    // Concurrent requests for the same pair share one pipe transport.
    const [pipeA, pipeAagain] = await Promise.all([
      a.createPipeTransport({ roomId, remoteNodeId: 'node-b' as NodeId }),
      a.createPipeTransport({ roomId, remoteNodeId: 'node-b' as NodeId }),
    ]);
    expect(pipeAagain.transportId).toBe(pipeA.transportId);
    const pipeB = await b.createPipeTransport({ roomId, remoteNodeId: 'node-a' as NodeId });
    expect(pipeA.srtpParameters).toHaveProperty('keyBase64');
    await a.connectPipeTransport({ transportId: pipeA.transportId, ip: pipeB.ip, port: pipeB.port, srtpParameters: pipeB.srtpParameters });
    await b.connectPipeTransport({ transportId: pipeB.transportId, ip: pipeA.ip, port: pipeA.port, srtpParameters: pipeA.srtpParameters });
    // Repeating a connect is harmless; connecting elsewhere is a conflict.
    await a.connectPipeTransport({ transportId: pipeA.transportId, ip: pipeB.ip, port: pipeB.port, srtpParameters: pipeB.srtpParameters });
    await expect(a.connectPipeTransport({ transportId: pipeA.transportId, ip: pipeB.ip, port: pipeB.port + 1 })).rejects.toMatchObject({ code: 'CONFLICT' });

    const [pipeConsumer, sameConsumer] = await Promise.all([
      a.pipeConsume({ transportId: pipeA.transportId, producerId: producer.producerId }),
      a.pipeConsume({ transportId: pipeA.transportId, producerId: producer.producerId }),
    ]);
    expect(sameConsumer.consumerId).toBe(pipeConsumer.consumerId);
    expect(pipeConsumer).toMatchObject({ producerId: producer.producerId, kind: 'video', paused: false, source: 'camera', participantId });

    const mirrored = await b.pipeProduce({ transportId: pipeB.transportId, ...pipeConsumer });
    expect(mirrored.producerId).toBe(producer.producerId);
    await expect(b.pipeProduce({ transportId: pipeB.transportId, ...pipeConsumer })).resolves.toEqual(mirrored);

    const rtpOut = await rtpSink();
    const rtcpOut = await rtpSink();
    sinks.push(rtpOut, rtcpOut);
    const consumer = await b.createPlainConsumer({
      roomId,
      producerId: producer.producerId,
      remoteIp: '127.0.0.1',
      remoteRtpPort: rtpOut.port,
      remoteRtcpPort: rtcpOut.port,
    });
    const pt = (consumer.rtpParameters.codecs as Array<{ payloadType: number }>)[0].payloadType;
    await waitFor(
      () => {
        if (sender && sender.process.exitCode !== null) return `ffmpeg exited: ${sender.stderr()}`;
        return (rtpOut.packets.get(pt) ?? 0) >= 20 || `packets so far: ${JSON.stringify([...rtpOut.packets])}`;
      },
      15000,
      'RTP from node A at the consumer on node B',
    );
    expect((await b.producerStats(producer.producerId)).byteCount).toBeGreaterThan(0);
    expect((await a.transportStats(pipeA.transportId)).rtpBytesSent).toBeGreaterThan(0);

    // Closing the origin producer closes the pipe consumer on A; the caller then closes the mirror on B.
    const pipeClosed = new Promise((resolve) => a.once('pipeConsumerClosed', resolve));
    const consumerClosed = new Promise((resolve) => b.once('consumerClosed', resolve));
    await a.closeProducer({ producerId: producer.producerId });
    await expect(pipeClosed).resolves.toMatchObject({ consumerId: pipeConsumer.consumerId, remoteNodeId: 'node-b' as NodeId, reason: 'producer_closed' });
    await b.closeProducer({ producerId: producer.producerId });
    await expect(consumerClosed).resolves.toMatchObject({ consumerId: consumer.consumerId, reason: 'producer_closed' });
  });
});
