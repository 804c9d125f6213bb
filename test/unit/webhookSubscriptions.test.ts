import { Subscriptions } from '../../actors/webhooks/Subscriptions';
import type { WebhookRecord } from '../../store';

const hook = (id: string, events: string[]): WebhookRecord => ({ id, url: `http://h/${id}`, events, secret: 's', createdAt: '', active: true });

test('reads the store once, filters per event, reads again after invalidate or on age', async () => {
  let reads = 0;
  let rows = [hook('a', ['room.started']), hook('b', ['*'])];
  const subs = new Subscriptions(async () => (reads++, rows), 60_000);
  expect((await subs.forEvent('room.started')).map((h) => h.id)).toEqual(['a', 'b']);
  expect((await subs.forEvent('participant.joined')).map((h) => h.id)).toEqual(['b']);
  expect(reads).toBe(1);

  rows = [hook('c', ['participant.joined'])];
  subs.invalidate();
  expect((await subs.forEvent('participant.joined')).map((h) => h.id)).toEqual(['c']);
  expect(reads).toBe(2);

  const aged = new Subscriptions(async () => (reads++, rows), 0);
  await aged.forEvent('x');
  await new Promise((resolve) => setTimeout(resolve, 5));
  await aged.forEvent('x');
  expect(reads).toBe(4);
});

test('a failed read is not kept: the next event reads again', async () => {
  let fail = true;
  const subs = new Subscriptions(async () => {
    if (fail) throw new Error('db down');
    return [hook('a', ['*'])];
  }, 60_000);
  await expect(subs.forEvent('room.started')).rejects.toThrow('db down');
  fail = false;
  expect(await subs.forEvent('room.started')).toHaveLength(1);
});
