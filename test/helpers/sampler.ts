import { setTimeout as sleep } from 'node:timers/promises';
import { poll } from './browser';

/**
 * Counters read at a fixed interval in the background while something happens to the cluster (a
 * node killed or stopped), to tell whether a stream kept flowing through it: the longest time a
 * counter did not grow.
 */
export class Sampler<S extends object> {
  readonly samples: (S & { t: number })[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(read: () => Promise<S>, intervalMs: number) {
    this.#loop = (async () => {
      while (this.#running) {
        this.samples.push({ ...(await read()), t: Date.now() });
        await sleep(intervalMs);
      }
    })();
  }

  /** The samples from 1 s before `at` on. */
  since(at: number): (S & { t: number })[] {
    return this.samples.filter((s) => s.t >= at - 1000);
  }

  /** Waits until there are samples more than `afterMs` past `at`, and more than `count` of them since(at). */
  async waitPast(event: string, at: number, afterMs: number, count: number): Promise<void> {
    await poll(
      `${afterMs / 1000} s and ${count} samples after ${event}`,
      async () => {
        const after = this.since(at);
        return { done: (after.at(-1)?.t ?? 0) > at + afterMs && after.length > count, detail: `${after.length} samples` };
      },
      { timeoutMs: 15000 },
    );
  }

  /** Stops sampling; rejects if a read failed. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

/** The longest time, in ms, within `window` during which `pick` did not grow. */
export function longestStall<S extends { t: number }>(window: readonly S[], pick: (s: S) => number): number {
  let longest = 0;
  let lastGrowth = window[0]?.t ?? 0;
  for (let i = 1; i < window.length; i++) {
    const [prev, cur] = [window[i - 1] as S, window[i] as S];
    if (pick(cur) > pick(prev)) lastGrowth = cur.t;
    longest = Math.max(longest, cur.t - lastGrowth);
  }
  return longest;
}
