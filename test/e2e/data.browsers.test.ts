import type { Browser } from 'playwright-core';
import type { RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import type { Role } from '../../schemas/roles';
import { buildClient, launchChromium, openPage, poll, type ClientPage } from '../helpers/browser';
import { describeData, pageErrors, sendData, waitForData, waitForDataReady } from '../helpers/dataPages';
import { startTestServer } from '../helpers/server';

/**
 * Data messages between real Chromium pages through the real server (one node): each page's
 * data channels (SCTP over its WebRTC transports) carry messages with a topic and optional
 * destinations; receivers learn the sender's identity from the server. A viewer receives but
 * cannot send; an oversized message is refused before it leaves, a malformed one by the server.
 */

jest.setTimeout(120_000);

let server: RunningServer;
let browser: Browser;
const pages: ClientPage[] = [];

beforeAll(async () => {
  buildClient();
  [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
});

afterAll(async () => {
  for (const p of pages) await p.context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

async function open(room: string, identity: string, role: Role): Promise<ClientPage> {
  const token = mintToken(server.config.auth, { room, identity, name: identity, role });
  const p = await openPage(browser, `${server.url}/?token=${encodeURIComponent(token)}&autojoin=1`);
  pages.push(p);
  return p;
}

test('two pages exchange data messages with topics and destinations; a viewer only listens', async () => {
  const room = `data-${Date.now().toString(36)}`;
  const alice = await open(room, 'alice', 'guest');
  const bob = await open(room, 'bob', 'guest');
  const victor = await open(room, 'victor', 'viewer');
  await waitForDataReady({ alice, bob, victor });

  expect(await sendData(alice.page, 'hello from alice', { topic: 'greeting' })).toBe('sent');
  expect(await sendData(bob.page, 'just for alice', { topic: 'private', to: ['alice'] })).toBe('sent');
  // 60000 bytes (under the 65536 limit) arrive whole.
  expect(await sendData(bob.page, 'b'.repeat(60000), { topic: 'bulk' })).toBe('sent');

  const atAlice = await waitForData('alice', alice, 2);
  const atVictor = await waitForData('victor', victor, 2);
  const atBob = await waitForData('bob', bob, 1);
  expect(atAlice.map((m) => [m.from, m.topic, m.bytes])).toEqual([['bob', 'private', 14], ['bob', 'bulk', 60000]]);
  expect(atAlice[0]?.text).toBe('just for alice');
  expect(atAlice[1]?.text).toBe('b'.repeat(60000));
  // bob's private message went to alice only; the bulk one after it reached victor, on the same ordered channel.
  expect(atVictor.map((m) => `${m.from}:${m.topic}:${m.bytes}`)).toEqual(['alice:greeting:16', 'bob:bulk:60000']);
  expect(describeData(atBob)).toEqual(['alice:greeting:hello from alice']);

  // A viewer may not send; an oversized message never leaves the page.
  expect(await sendData(victor.page, 'may I?')).toBe('FORBIDDEN');
  expect(await sendData(alice.page, 'x'.repeat(65537))).toBe('MESSAGE_TOO_LARGE');

  // A header the server refuses (topic over 256 characters): alice gets an error event, nobody the message.
  expect(await sendData(alice.page, 'bad topic', { topic: 't'.repeat(300) })).toBe('sent');
  await poll('alice to be told her message was refused', async () => {
    const errors = await pageErrors(alice.page);
    return { done: errors.some((e) => e.code === 'VALIDATION_FAILED'), detail: JSON.stringify(errors) };
  });
  expect(await sendData(alice.page, 'still works', { topic: 'after' })).toBe('sent');
  const later = await waitForData('bob', bob, 2);
  expect(describeData(later)).toEqual(['alice:greeting:hello from alice', 'alice:after:still works']);
  expect((await waitForData('victor', victor, 3)).map((m) => m.topic)).toEqual(['greeting', 'bulk', 'after']);
});
