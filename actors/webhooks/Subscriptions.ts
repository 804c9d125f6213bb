import type { WebhookRecord } from '../../store';

/**
 * The active subscriptions, read from the store once and then served from memory: every room
 * event looks them up, and a query per event cost 0.3–0.5 ms per join (bench/RESULTS.md). A
 * change made through any node invalidates every node's copy (`webhooks.changed`); the age limit
 * only covers a change made behind the API's back (SQL, another tool).
 */
export class Subscriptions {
  readonly #load: () => Promise<WebhookRecord[]>;
  readonly #maxAgeMs: number;
  #cached: Promise<WebhookRecord[]> | undefined;
  #loadedAt = 0;

  constructor(load: () => Promise<WebhookRecord[]>, maxAgeMs = 5000) {
    this.#load = load;
    this.#maxAgeMs = maxAgeMs;
  }

  async forEvent(event: string): Promise<WebhookRecord[]> {
    if (!this.#cached || Date.now() - this.#loadedAt > this.#maxAgeMs) {
      this.#loadedAt = Date.now();
      const loading = this.#load();
      this.#cached = loading;
      // A failed read is not kept: the next event tries again.
      loading.catch(() => {
        if (this.#cached === loading) this.#cached = undefined;
      });
    }
    const hooks = await this.#cached;
    return hooks.filter((h) => h.events.includes(event) || h.events.includes('*'));
  }

  invalidate(): void {
    this.#cached = undefined;
  }
}
