import { webhookEnvelope } from '../../actors/webhooks/emitWebhook';
import { verifyWebhookSignature } from '../../actors/webhooks/signature';
import { WebhookDispatcher, type DeliveryReport, type WebhookDispatcherOptions, type WebhookTarget } from '../../actors/webhooks/WebhookDispatcher';
import type { RoomId } from '../../schemas/ids';
import type { WebhookEnvelope } from '../../schemas/webhooks';
import { freePort } from '../helpers/ports';
import { WebhookReceiver } from '../helpers/webhookReceiver';

/**
 * WebhookDispatcher against a real HTTP receiver on 127.0.0.1 (no broker): signed requests,
 * retries on 5xx / timeouts / refused connections but not on 4xx, per-target order, the bounded
 * queue, and independent targets.
 */

jest.setTimeout(30_000);
const SECRET = 'whsec_dispatcher-test';
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher | undefined;
let reports: DeliveryReport[];
const warnings: string[] = [];
const logger = { info: () => undefined, warn: (...args: unknown[]) => void warnings.push(args.join(' ')) };

beforeEach(async () => {
  receiver = await WebhookReceiver.start();
  reports = [];
  warnings.length = 0;
});
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
  await receiver.close();
});

function start(targets: WebhookTarget[], options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  dispatcher = new WebhookDispatcher({
    targets: async () => targets,
    timeoutMs: 2000,
    maxAttempts: 4,
    maxQueue: 100,
    backoffMs: 5,
    logger,
    onReport: (r) => reports.push(r),
    ...options,
  });
  return dispatcher;
}

const target = (): WebhookTarget => ({ id: 'wh_test', url: receiver.url, secret: SECRET });
const joined = (identity: string): WebhookEnvelope =>
  webhookEnvelope('participant.joined', {
    roomId: 'room-1' as RoomId,
    participant: { id: `pa_${identity}` as never, identity, name: identity, role: 'guest', nodeId: 'node-1' as never, joinedAt: new Date().toISOString() },
  });

test('a POST with JSON, event and delivery headers, and a signature of the raw body', async () => {
  const d = start([target()]);
  const envelope = joined('ann');
  await d.dispatch(envelope);
  await d.idle();
  expect(receiver.received).toHaveLength(1);
  const [hook] = receiver.received;
  expect(hook!.method).toBe('POST');
  expect(hook!.headers).toMatchObject({
    'content-type': 'application/json',
    'x-cascade-event': 'participant.joined',
    'x-cascade-delivery': envelope.id,
    'x-cascade-attempt': '1',
  });
  expect(hook!.body).toEqual(envelope);
  expect(verifyWebhookSignature(SECRET, hook!.raw, hook!.headers['x-cascade-signature'] as string)).toBe(true);
  expect(verifyWebhookSignature('another-secret', hook!.raw, hook!.headers['x-cascade-signature'] as string)).toBe(false);
  expect(verifyWebhookSignature(SECRET, hook!.raw.replace('ann', 'bob'), hook!.headers['x-cascade-signature'] as string)).toBe(false);
  expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 1, status: 200, eventId: envelope.id })]);
});

test('5xx and 429 are retried with the same delivery id and body until a 2xx', async () => {
  const statuses = [503, 500, 429, 204];
  receiver.respond = (_hook, i) => statuses[i] ?? 200;
  const d = start([target()]);
  const envelope = joined('ann');
  await d.dispatch(envelope);
  await d.idle();
  expect(receiver.received.map((h) => h.headers['x-cascade-attempt'])).toEqual(['1', '2', '3', '4']);
  expect(new Set(receiver.received.map((h) => h.headers['x-cascade-delivery']))).toEqual(new Set([envelope.id]));
  expect(new Set(receiver.received.map((h) => h.raw)).size).toBe(1);
  expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 4, status: 204 })]);
});

test('a 4xx is final: one request, reported failed', async () => {
  receiver.respond = () => 400;
  const d = start([target()]);
  await d.dispatch(joined('ann'));
  await d.idle();
  expect(receiver.received).toHaveLength(1);
  expect(reports).toEqual([expect.objectContaining({ outcome: 'failed', attempts: 1, status: 400, error: 'HTTP 400' })]);
  expect(warnings.join('\n')).toMatch(/failed after 1 attempt/);
});

test('gives up after maxAttempts of 5xx', async () => {
  receiver.respond = () => 502;
  const d = start([target()], { maxAttempts: 3 });
  await d.dispatch(joined('ann'));
  await d.idle();
  expect(receiver.received).toHaveLength(3);
  expect(reports).toEqual([expect.objectContaining({ outcome: 'failed', attempts: 3, status: 502 })]);
});

test('a refused connection is retried, then reported with its cause', async () => {
  const closedPort = await freePort();
  const d = start([{ id: 'wh_down', url: `http://127.0.0.1:${closedPort}/hooks`, secret: SECRET }], { maxAttempts: 3 });
  await d.dispatch(joined('ann'));
  await d.idle();
  expect(reports).toEqual([expect.objectContaining({ outcome: 'failed', attempts: 3, error: 'ECONNREFUSED' })]);
});

test('a receiver that does not answer in time is retried', async () => {
  receiver.respond = (_hook, i) => (i === 0 ? 'hang' : 200);
  const d = start([target()], { timeoutMs: 300 });
  await d.dispatch(joined('ann'));
  await d.idle();
  expect(receiver.received).toHaveLength(2);
  expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 2 })]);
});

test('per target, events arrive in order: the next waits while one is retried', async () => {
  // The first event fails twice before it is accepted; the others queue behind it.
  receiver.respond = (hook) => (hook.body.participant.identity === 'p0' && hook.headers['x-cascade-attempt'] !== '3' ? 503 : 200);
  const d = start([target()]);
  const envelopes = Array.from({ length: 6 }, (_, i) => joined(`p${i}`));
  for (const e of envelopes) void d.dispatch(e);
  await d.idle();
  const arrivals = receiver.received.map((h) => h.body.participant.identity as string);
  expect(arrivals).toEqual(['p0', 'p0', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  expect(reports.map((r) => r.eventId)).toEqual(envelopes.map((e) => e.id));
});

test('a full queue drops its oldest waiting event with a warning; the one in flight is kept', async () => {
  let release!: () => void;
  const gate = new Promise<number>((resolve) => (release = () => resolve(200)));
  receiver.respond = (_hook, i) => (i === 0 ? gate : 200);
  const d = start([target()], { maxQueue: 2 });
  const envelopes = Array.from({ length: 5 }, (_, i) => joined(`p${i}`));
  await d.dispatch(envelopes[0]!);
  await receiver.waitFor((r) => r.length === 1, 'the first event in flight');
  for (const e of envelopes.slice(1)) await d.dispatch(e);
  release();
  await d.idle();
  expect(receiver.received.map((h) => h.body.participant.identity)).toEqual(['p0', 'p3', 'p4']);
  expect(reports.filter((r) => r.outcome === 'dropped').map((r) => r.eventId)).toEqual([envelopes[1]!.id, envelopes[2]!.id]);
  expect(warnings.filter((w) => w.includes('queue full'))).toHaveLength(2);
});

test('a target that hangs holds only its own queue', async () => {
  const other = await WebhookReceiver.start();
  try {
    receiver.respond = () => 'hang';
    const d = start([target(), { id: 'wh_other', url: other.url, secret: SECRET }], { timeoutMs: 10_000 });
    for (const name of ['a', 'b', 'c']) await d.dispatch(joined(name));
    await other.waitFor((r) => r.length === 3, 'three events at the healthy receiver');
    expect(other.received.map((h) => h.body.participant.identity)).toEqual(['a', 'b', 'c']);
    expect(receiver.received).toHaveLength(1);
  } finally {
    await dispatcher?.stop();
    await other.close();
  }
});

test('an event whose targets cannot be listed is dropped with a warning; the next one goes out', async () => {
  let calls = 0;
  const d = start([], {
    targets: async () => {
      if (calls++ === 0) throw new Error('database is down');
      return [target()];
    },
  });
  await d.dispatch(joined('lost'));
  await d.dispatch(joined('kept'));
  await d.idle();
  expect(receiver.received.map((h) => h.body.participant.identity)).toEqual(['kept']);
  expect(warnings.join('\n')).toMatch(/cannot list its targets: database is down/);
});

test('stop() abandons queued events and aborts the request in flight', async () => {
  receiver.respond = () => 'hang';
  const d = start([target()], { timeoutMs: 60_000 });
  for (const name of ['a', 'b']) await d.dispatch(joined(name));
  await receiver.waitFor((r) => r.length === 1, 'the first request');
  await d.stop();
  await d.idle();
  await d.dispatch(joined('after'));
  expect(receiver.received).toHaveLength(1);
  expect(reports).toEqual([]);
});
