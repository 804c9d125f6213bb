import { setImmediate as nextTurn } from 'node:timers/promises';
import { TickBatch } from '../../actors/shared/TickBatch';

/** Writes made in one event-loop turn go out together; a bad item fails alone. */

describe('TickBatch', () => {
  test('items added in one turn are written in one call, in order; the next turn starts a new batch', async () => {
    const writes: number[][] = [];
    const batch = new TickBatch<number>(async (items) => void writes.push(items));
    const first = [batch.add(1), batch.add(2), batch.add(3)];
    expect(writes).toEqual([]);
    await Promise.all(first);
    expect(writes).toEqual([[1, 2, 3]]);
    await batch.add(4);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  test('a failed batch is retried item by item: only the bad item rejects', async () => {
    const writes: number[][] = [];
    const batch = new TickBatch<number>(async (items) => {
      writes.push(items);
      if (items.includes(13)) throw new Error('unlucky');
    });
    const results = await Promise.allSettled([batch.add(12), batch.add(13), batch.add(14)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(writes).toEqual([[12, 13, 14], [12], [13], [14]]);
    await expect(batch.add(13)).rejects.toThrow('unlucky');
    await nextTurn();
  });
});
