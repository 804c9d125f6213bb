import type { RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import type { Role } from '../../schemas/roles';
import { startTestServer } from '../helpers/server';
import { TestSignalingClient } from '../helpers/signalingClient';

/**
 * produceData / consumeData through the real server (gateway, participant actor, mediasoup
 * worker): who may open data channels, on which transports, and the error codes for the rest.
 * Messages themselves need SCTP, which only a browser speaks: see test/e2e/data.browsers.test.ts
 * and test/integration/media.data.test.ts.
 */

jest.setTimeout(60_000);

let server: RunningServer;
const clients: TestSignalingClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ room: { maxDataMessageBytes: 4096 } });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.stop();
});

async function join(identity: string, role: Role): Promise<TestSignalingClient> {
  const token = mintToken(server.config.auth, { room: 'data-itest', identity, name: identity, role });
  const client = await TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`);
  clients.push(client);
  const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  await client.call('join', { rtpCapabilities });
  return client;
}

const stream = { streamId: 0, ordered: true };

test('a guest opens one data channel each way, on transports made with sctp', async () => {
  const alice = await join('alice', 'guest');
  expect((await alice.request('consumeData', {})).error?.code).toBe('TRANSPORT_NOT_FOUND');

  const plainSend = await alice.call<{ id: string; sctpParameters?: object }>('createTransport', { direction: 'send' });
  expect(plainSend.sctpParameters).toBeUndefined();
  expect((await alice.request('produceData', { transportId: plainSend.id, sctpStreamParameters: stream })).error?.code).toBe('VALIDATION_FAILED');

  const send = await alice.call<{ id: string; sctpParameters?: object }>('createTransport', { direction: 'send', sctp: true });
  expect(send.sctpParameters).toMatchObject({ port: 5000 });
  const recv = await alice.call<{ id: string }>('createTransport', { direction: 'recv', sctp: true });
  expect((await alice.request('produceData', { transportId: recv.id, sctpStreamParameters: stream })).error?.code).toBe('VALIDATION_FAILED');

  const produced = await alice.call('produceData', { transportId: send.id, sctpStreamParameters: stream, label: 'cascade-data' });
  expect(produced).toEqual({ dataProducerId: expect.any(String), maxMessageBytes: 4096 });
  expect((await alice.request('produceData', { transportId: send.id, sctpStreamParameters: { streamId: 1 } })).error?.code).toBe('CONFLICT');

  const consumer = await alice.call('consumeData', {});
  expect(consumer).toMatchObject({ id: expect.any(String), dataProducerId: expect.any(String), label: 'cascade-data', sctpStreamParameters: { streamId: expect.any(Number) } });
  expect((await alice.request('consumeData', {})).error?.code).toBe('CONFLICT');
});

test('a viewer may receive data but not send it; malformed requests fail validation', async () => {
  const victor = await join('victor', 'viewer');
  const recv = await victor.call<{ id: string }>('createTransport', { direction: 'recv', sctp: true });
  const refused = await victor.request('produceData', { transportId: recv.id, sctpStreamParameters: stream });
  expect(refused.error).toMatchObject({ code: 'FORBIDDEN', message: 'Role viewer may not publish_data' });
  expect(await victor.call('consumeData', {})).toMatchObject({ label: 'cascade-data' });

  const bob = await join('bob', 'guest');
  const send = await bob.call<{ id: string }>('createTransport', { direction: 'send', sctp: true });
  const missing = await bob.request('produceData', { transportId: send.id });
  expect(missing.error?.code).toBe('VALIDATION_FAILED');
  expect(missing.error?.fields?.map((f) => f.path)).toContain('/data/sctpStreamParameters');
  const longLabel = await bob.request('produceData', { transportId: send.id, sctpStreamParameters: stream, label: 'x'.repeat(200) });
  expect(longLabel.error?.fields?.map((f) => f.path)).toContain('/data/label');
  expect((await bob.request('produceData', { transportId: 'not-mine', sctpStreamParameters: stream })).error?.code).toBe('TRANSPORT_NOT_FOUND');
});

test("a refused message reaches only its sender's socket, as an error event", async () => {
  const carol = await join('carol', 'guest');
  const dave = await join('dave', 'guest');
  const carolId = (carol.frames.find((f) => f.id !== undefined && (f.data as { status?: string })?.status === 'joined')?.data as { self: { id: string } }).self.id;
  // What the media service broadcasts when its node refuses one of carol's messages.
  await server.broker.broadcast('media.dataRejected', { roomId: 'data-itest', participantId: carolId, code: 'MESSAGE_TOO_LARGE', message: 'Data payload is 5000 bytes; the limit is 4096', nodeId: server.broker.nodeID });
  const event = await carol.nextEvent('error');
  expect(event.data).toEqual({ code: 'MESSAGE_TOO_LARGE', message: 'Data payload is 5000 bytes; the limit is 4096' });
  // dave got nothing: a chat after it arrives, and no error before it.
  await carol.call('chat', { text: 'after' });
  await dave.nextEvent('chat');
  expect(dave.frames.filter((f) => f.event === 'error')).toEqual([]);
});
