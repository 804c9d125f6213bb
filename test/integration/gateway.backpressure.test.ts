import type { RunningServer } from '../../cli/server';
import { startTestServer } from '../helpers/server';
import { TestSignalingClient } from '../helpers/signalingClient';

/**
 * A client that stops reading its WebSocket must not make the server queue for it without bound:
 * once 4 × http.maxBufferedBytes are waiting for it, its session ends (it leaves the room as
 * disconnected) and its socket closes with 4008 slow_consumer, while the room goes on.
 */

jest.setTimeout(120_000);

const MAX_BUFFERED = 16 * 1024;
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ auth: { mode: 'open' }, http: { maxBufferedBytes: MAX_BUFFERED } });
});

afterAll(async () => {
  await server?.stop();
});

async function joined(room: string, identity: string): Promise<TestSignalingClient> {
  const url = new URL('/ws', server.url.replace(/^http/, 'ws'));
  url.search = new URLSearchParams({ room, identity }).toString();
  const client = await TestSignalingClient.connect(url.toString());
  const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  await client.call('join', { rtpCapabilities });
  return client;
}

test('a client that does not read is closed with 4008 and leaves; the others carry on', async () => {
  const alice = await joined('slow-room', 'alice');
  const bob = await joined('slow-room', 'bob');
  alice.pause();

  // Every chat goes to alice too. Far more than the kernel's socket buffers hold, as needed: the
  // loop ends when the room tells bob that alice is gone (a bounded number of tries, not a timer).
  const text = 'x'.repeat(4000);
  let sent = 0;
  const gone = () => bob.frames.some((f) => f.event === 'participant_left');
  while (!gone() && sent < 5000) {
    expect((await bob.request('chat', { text })).ok).toBe(true);
    sent++;
  }
  const left = await bob.nextEvent('participant_left');
  expect(left.data).toMatchObject({ identity: 'alice', reason: 'disconnected' });

  // Reading again, alice gets what was queued before the cut, then the close frame.
  alice.resume();
  expect(await alice.closed).toEqual({ code: 4008, reason: 'slow_consumer' });
  const received = alice.frames.filter((f) => f.event === 'chat').length;
  expect(received).toBeGreaterThan(0);
  expect(received).toBeLessThan(sent);

  // The room and bob's connection are fine.
  expect((await bob.request('chat', { text: 'still here' })).ok).toBe(true);
  await bob.close();
});
