import type { DataEndpoint, MediaNode, MediaNodeEvents } from '../../media';
import { decodeDataFrame, encodeDataFrame } from '../../schemas/dataFrame';
import type { ParticipantId, RoomId } from '../../schemas/ids';
import { startNode, waitFor } from './media.helpers';

/**
 * Data messages on a real worker. Browsers' SCTP data channels cannot be made from Node, so
 * server-side endpoints (a DataProducer and a DataConsumer on the room's DirectTransport) stand in
 * for them: their messages take the same uplink -> DirectTransport -> downlink path through the
 * worker. WebRTC transports are checked for the data producer/consumer they get.
 */

const roomId = 'data-room' as RoomId;
const MAX = 1024;

type Received = { from: string; topic?: string; text: string };

function record<K extends keyof MediaNodeEvents & string>(node: MediaNode, event: K): MediaNodeEvents[K][] {
  const seen: MediaNodeEvents[K][] = [];
  node.on(event, (payload) => seen.push(payload));
  return seen;
}

async function endpoint(node: MediaNode, identity: string): Promise<{ ep: DataEndpoint; got: Received[] }> {
  const ep = await node.openDataEndpoint({ roomId, participantId: `pa_${identity}`, identity });
  const got: Received[] = [];
  ep.onMessage((frame) => {
    const { header, payload } = decodeDataFrame(frame);
    got.push({ ...(header as { from: string; topic?: string }), text: Buffer.from(payload).toString() });
  });
  return { ep, got };
}

const frame = (header: object, text: string | Buffer) => encodeDataFrame(header, typeof text === 'string' ? Buffer.from(text) : text);
const texts = (got: Received[]) => got.map((m) => `${m.from}:${m.topic ?? '-'}:${m.text}`);

describe('MediaNode data messages', () => {
  let node: MediaNode;

  beforeAll(async () => {
    ({ node } = await startNode({ maxDataMessageBytes: MAX }));
  });

  afterAll(async () => {
    await node?.close();
  });

  it('routes a message to every other receiver, stamped with the sender; `to` narrows it', async () => {
    const messages = record(node, 'dataMessage');
    const alice = await endpoint(node, 'alice');
    const bob = await endpoint(node, 'bob');
    const carol = await endpoint(node, 'carol');

    alice.ep.send(frame({ topic: 'greeting' }, 'hello all'));
    await waitFor(() => (bob.got.length === 1 && carol.got.length === 1) || `bob ${bob.got.length}, carol ${carol.got.length}`, 5000, 'both to receive');
    expect(texts(bob.got)).toEqual(['alice:greeting:hello all']);
    expect(texts(carol.got)).toEqual(['alice:greeting:hello all']);

    // Only carol; then one for everyone: once bob has that one, the first was never his (one ordered path).
    alice.ep.send(frame({ to: ['carol'] }, 'for carol'));
    alice.ep.send(frame({ to: [] }, 'second to all'));
    bob.ep.send(frame({ topic: 'reply', to: ['alice'] }, 'hi alice'));
    await waitFor(() => (bob.got.length === 2 && carol.got.length === 3 && alice.got.length === 1) || `bob ${bob.got.length}, carol ${carol.got.length}, alice ${alice.got.length}`, 5000, 'the rest');
    expect(texts(bob.got)).toEqual(['alice:greeting:hello all', 'alice:-:second to all']);
    expect(texts(carol.got)).toEqual(['alice:greeting:hello all', 'alice:-:for carol', 'alice:-:second to all']);
    // The sender never gets its own messages back.
    expect(texts(alice.got)).toEqual(['bob:reply:hi alice']);

    // Each message is reported once for the other nodes, with its destinations and payload.
    expect(messages.map((m) => [m.identity, m.topic, m.to, Buffer.from(m.payload, 'base64').toString()])).toEqual([
      ['alice', 'greeting', undefined, 'hello all'],
      ['alice', undefined, ['carol'], 'for carol'],
      ['alice', undefined, undefined, 'second to all'],
      ['bob', 'reply', ['alice'], 'hi alice'],
    ]);
    expect(messages[0]).toMatchObject({ roomId, participantId: 'pa_alice' });

    // A message from another node reaches the local receivers it names, and is not reported again.
    await node.deliverData({ roomId, participantId: 'pa_xavier' as ParticipantId, identity: 'xavier', topic: 'remote', to: ['bob', 'carol'], payload: Buffer.from('from afar').toString('base64') });
    await node.deliverData({ roomId, participantId: 'pa_xavier' as ParticipantId, identity: 'xavier', to: ['bob'], payload: Buffer.from('bob only').toString('base64') });
    await waitFor(() => (bob.got.length === 4 && carol.got.length === 4) || `bob ${bob.got.length}, carol ${carol.got.length}`, 5000, 'relayed messages');
    expect(texts(bob.got).slice(2)).toEqual(['xavier:remote:from afar', 'xavier:-:bob only']);
    expect(texts(carol.got).slice(3)).toEqual(['xavier:remote:from afar']);
    expect(messages).toHaveLength(4);
    // A room this node does not serve: nothing to do, and no room is created for it.
    await node.deliverData({ roomId: 'elsewhere' as RoomId, participantId: 'pa_x' as ParticipantId, identity: 'x', payload: '' });
    expect(await node.dataStats({ roomId: 'elsewhere' })).toBeUndefined();

    expect(await node.dataStats({ roomId })).toMatchObject({ uplinks: 3, downlinks: 3, received: 4, relayed: 2, delivered: 9, rejected: 0 });
    for (const p of [alice, bob, carol]) p.ep.close();
  });

  it('refuses oversized and malformed messages, tells the sender, and delivers nothing', async () => {
    const rejected = record(node, 'dataRejected');
    const sender = await endpoint(node, 'sender');
    const receiver = await endpoint(node, 'receiver');

    sender.ep.send(frame({ topic: 'big' }, Buffer.alloc(MAX + 1, 120)));
    sender.ep.send(Buffer.from([0, 5, 1, 2]));
    sender.ep.send(frame({ topic: 'x', colour: 'red' }, 'extra field'));
    sender.ep.send(frame({ to: 'receiver' }, 'to must be a list'));
    sender.ep.send(frame({ topic: 'ok' }, Buffer.alloc(MAX, 121)));
    await waitFor(() => receiver.got.length === 1 || `receiver got ${receiver.got.length}`, 5000, 'the one valid message');
    expect(receiver.got[0]).toMatchObject({ from: 'sender', topic: 'ok' });
    expect(receiver.got[0]?.text).toHaveLength(MAX);

    expect(rejected.map((r) => [r.participantId, r.code])).toEqual([
      ['pa_sender', 'MESSAGE_TOO_LARGE'],
      ['pa_sender', 'VALIDATION_FAILED'],
      ['pa_sender', 'VALIDATION_FAILED'],
      ['pa_sender', 'VALIDATION_FAILED'],
    ]);
    expect(rejected[0]?.message).toBe(`Data payload is ${MAX + 1} bytes; the limit is ${MAX}`);
    expect(rejected[2]?.message).toMatch(/colour/);
    // From another node the same limit holds, as an error to the caller.
    await expect(
      node.deliverData({ roomId, participantId: 'pa_y' as ParticipantId, identity: 'y', payload: Buffer.alloc(MAX + 1).toString('base64') }),
    ).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    sender.ep.close();
    receiver.ep.close();
  });

  it('gives WebRTC transports with sctp one data producer and one data consumer, and cleans up', async () => {
    const dave = 'pa_dave' as ParticipantId;
    const send = await node.createWebRtcTransport({ roomId, participantId: dave, direction: 'send', sctp: true });
    const recv = await node.createWebRtcTransport({ roomId, participantId: dave, direction: 'recv', sctp: true });
    const plain = await node.createWebRtcTransport({ roomId, participantId: dave, direction: 'recv' });

    const produced = await node.produceData({ transportId: send.id, identity: 'dave', sctpStreamParameters: { streamId: 0, ordered: true }, label: 'cascade-data' });
    expect(produced).toEqual({ dataProducerId: expect.any(String), maxMessageBytes: MAX });
    const consumer = await node.consumeData({ transportId: recv.id, identity: 'dave' });
    expect(consumer).toMatchObject({ label: 'cascade-data', protocol: '', sctpStreamParameters: { streamId: expect.any(Number), ordered: true } });
    await expect(node.consumeData({ transportId: recv.id, identity: 'dave' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(node.consumeData({ transportId: plain.id, identity: 'dave' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(node.produceData({ transportId: plain.id, identity: 'dave', sctpStreamParameters: { streamId: 1 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(node.consumeData({ transportId: 'nope' as never, identity: 'dave' })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });

    const erin = await endpoint(node, 'erin');
    const frank = await endpoint(node, 'frank');
    // Per endpoint: uplink + its direct consumer, downlink + its direct consumer. Dave: the
    // direct consumer of his uplink, and his downlink (its consumer is on his recv transport).
    expect(await node.dataStats({ roomId })).toMatchObject({ uplinks: 3, downlinks: 3, directDataProducers: 5, directDataConsumers: 5 });

    // Dave's downlink is a real receiver: erin's message is sent down it too.
    const before = (await node.dataStats({ roomId }))?.delivered ?? 0;
    erin.ep.send(frame({}, 'to frank and dave'));
    await waitFor(() => frank.got.length === 1 || 'frank has nothing yet', 5000, 'frank');
    expect((await node.dataStats({ roomId }))?.delivered).toBe(before + 2);

    // Leaving closes dave's data objects with his transports.
    await node.closeParticipant({ roomId, participantId: dave });
    expect(await node.dataStats({ roomId })).toMatchObject({ uplinks: 2, downlinks: 2, directDataProducers: 4, directDataConsumers: 4 });
    // An endpoint's participant leaving closes the endpoint; closing twice is harmless.
    await node.closeParticipant({ roomId, participantId: 'pa_erin' as ParticipantId });
    expect(erin.ep.closed).toBe(true);
    erin.ep.close();
    frank.ep.close();
    frank.ep.close();
    expect(await node.dataStats({ roomId })).toMatchObject({ uplinks: 0, downlinks: 0, directDataProducers: 0, directDataConsumers: 0 });

    // The room's end takes everything with it.
    const ghost = await endpoint(node, 'ghost');
    await node.closeRoom({ roomId });
    expect(ghost.ep.closed).toBe(true);
    expect(await node.dataStats({ roomId })).toBeUndefined();
  });
});
