import { setTimeout as delay } from 'node:timers/promises';
import type { WebhookEventName } from '../../schemas/webhooks';

/** One event for one target, ready to POST (body and signature made once). */
export interface Delivery {
  eventId: string;
  event: WebhookEventName;
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryReport {
  targetId: string;
  url: string;
  eventId: string;
  event: WebhookEventName;
  /** delivered: a 2xx; failed: a final answer or attempts exhausted; dropped: pushed out of a full queue. */
  outcome: 'delivered' | 'failed' | 'dropped';
  attempts: number;
  /** HTTP status of the last answer, if any. */
  status?: number;
  error?: string;
}

export interface TargetQueueOptions {
  targetId: string;
  timeoutMs: number;
  maxAttempts: number;
  maxQueue: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Aborted when the dispatcher stops: requests in flight and backoff waits end at once. */
  signal: AbortSignal;
  report(report: DeliveryReport): void;
  /** Nothing waits any more (the run loop has ended). */
  drained(): void;
}

type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; status?: number; error: string };

/** A retry may help: the receiver is down, overloaded or slow. Any other non-2xx is its final word. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * One target's deliveries, strictly in order with one request in flight: the next event waits
 * until the current one is delivered or given up on (a receiver never sees `participant.left`
 * before the `participant.joined` it follows).
 */
export class TargetQueue {
  readonly #options: TargetQueueOptions;
  readonly #waiting: Delivery[] = [];
  #run: Promise<void> | undefined;

  constructor(options: TargetQueueOptions) {
    this.#options = options;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  push(delivery: Delivery): void {
    const { maxQueue, targetId, report } = this.#options;
    if (this.#waiting.length >= maxQueue) {
      const oldest = this.#waiting.shift()!;
      report({
        targetId,
        url: oldest.url,
        eventId: oldest.eventId,
        event: oldest.event,
        outcome: 'dropped',
        attempts: 0,
        error: `queue full (${maxQueue} waiting): the receiver is down or too slow`,
      });
    }
    this.#waiting.push(delivery);
    this.#run ??= this.#loop();
  }

  /** Resolves when the run loop has ended (the dispatcher aborted the signal first). */
  async stop(): Promise<void> {
    this.#waiting.length = 0;
    await this.#run;
  }

  async #loop(): Promise<void> {
    for (;;) {
      const next = this.#options.signal.aborted ? undefined : this.#waiting.shift();
      if (!next) break;
      await this.#deliver(next);
    }
    // No await between the last empty check and here, so a push cannot slip in unseen.
    this.#run = undefined;
    this.#options.drained();
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const { maxAttempts, backoffMs, maxBackoffMs, signal, targetId, report } = this.#options;
    const base = { targetId, url: delivery.url, eventId: delivery.eventId, event: delivery.event };
    for (let attempt = 1; ; attempt++) {
      const result = await this.#post(delivery, attempt);
      if (result.ok) {
        report({ ...base, outcome: 'delivered', attempts: attempt, status: result.status });
        return;
      }
      if (signal.aborted) return;
      if (!result.retry || attempt >= maxAttempts) {
        report({ ...base, outcome: 'failed', attempts: attempt, error: result.error, ...(result.status !== undefined ? { status: result.status } : {}) });
        return;
      }
      const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      await delay(wait, undefined, { signal, ref: false }).catch(() => undefined);
      if (signal.aborted) return;
    }
  }

  async #post(delivery: Delivery, attempt: number): Promise<Attempt> {
    const { timeoutMs, signal } = this.#options;
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: { ...delivery.headers, 'x-cascade-attempt': String(attempt) },
        body: delivery.body,
        // A redirected POST would turn into a GET elsewhere: a 3xx is an answer, not a delivery.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      // The answer's body is of no interest; reading it to the end frees the connection.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      return { ok: false, retry: retryable(res.status), status: res.status, error: `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, retry: true, error: describe(err, timeoutMs) };
    }
  }
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
