import type { MediaNode, MediaNodeEvents } from '../../media';
import type { ParticipantId, RoomId } from '../../schemas/ids';
import { startNode, waitFor } from './media.helpers';

describe('MediaNode worker death', () => {
  let node: MediaNode;
  let webRtcServerPort: number;

  beforeAll(async () => {
    ({ node, webRtcServerPort } = await startNode({ numWorkers: 1 }));
  });

  afterAll(async () => {
    await node?.close();
  });

  it('reports the dead worker with its rooms, replaces it on the same port and serves the room again', async () => {
    const roomId = 'doomed-room' as RoomId;
    const participantId = 'p1' as ParticipantId;
    const first = await node.createWebRtcTransport({ roomId, participantId, direction: 'send' });
    const { producerId } = await node.produce({
      transportId: first.id,
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 42 }] },
      source: 'microphone',
    });
    await node.createWebRtcTransport({ roomId: 'other-room' as RoomId, participantId, direction: 'recv' });

    const died: MediaNodeEvents['workerDied'][] = [];
    const replaced: MediaNodeEvents['workerReplaced'][] = [];
    const producerClosed: MediaNodeEvents['producerClosed'][] = [];
    node.on('workerDied', (e) => died.push(e));
    node.on('workerReplaced', (e) => replaced.push(e));
    node.on('producerClosed', (e) => producerClosed.push(e));

    const [pid] = node.workerPids();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => died.length > 0 || 'no workerDied yet', 5000, 'workerDied');
    expect(died[0].pid).toBe(pid);
    expect(died[0].roomIds.sort()).toEqual(['doomed-room', 'other-room']);
    expect(died[0].error).toContain('SIGKILL');
    expect(producerClosed).toEqual([{ roomId, participantId, producerId, reason: 'worker_died' }]);
    expect(node.stats()).toMatchObject({ rooms: 0, transports: 0, producers: 0 });
    await expect(node.connectTransport({ transportId: first.id, dtlsParameters: {} })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });

    // The next request for the room waits for the replacement and gets a new router there.
    const again = await node.createWebRtcTransport({ roomId, participantId, direction: 'send' });
    expect(replaced).toEqual([{ pid: expect.any(Number), previousPid: pid }]);
    const [newPid] = node.workerPids();
    expect(newPid).not.toBe(pid);
    expect(again.id).not.toBe(first.id);
    const candidates = again.iceCandidates as Array<{ port: number }>;
    expect(candidates.every((c) => c.port === webRtcServerPort)).toBe(true);
    expect(node.stats()).toMatchObject({ workers: 1, rooms: 1, transports: 1 });
  });
});
