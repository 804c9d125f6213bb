import type { WebhookEnvelope, WebhookEventName } from '../../schemas/webhooks';
import { signWebhook } from './signature';
import { TargetQueue, type Delivery, type DeliveryReport } from './TargetQueue';

export type { DeliveryReport } from './TargetQueue';

/** Where one event goes: a stored subscription, or a static URL from the config. */
export interface WebhookTarget {
  /** Queue key (one queue, so one delivery in flight, per target): a hook id or `static:<url>`. */
  id: string;
  url: string;
  /** Key of the HMAC in X-Cascade-Signature. */
  secret: string;
}

export interface DispatcherLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

export interface WebhookDispatcherOptions {
  /** The targets subscribed to an event right now (store and config). */
  targets(event: WebhookEventName): Promise<WebhookTarget[]>;
  /** One POST's limit, ms. */
  timeoutMs: number;
  /** Attempts per event and target (first try included). */
  maxAttempts: number;
  /** Events waiting per target; beyond it the oldest waiting one is dropped. */
  maxQueue: number;
  /** First retry delay, ms; doubled per attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs?: number;
  logger: DispatcherLogger;
  /** Every outcome (delivered, failed, dropped): for logs, metrics and tests. */
  onReport?(report: DeliveryReport): void;
}

/**
 * Delivers webhook events over HTTP: per target a FIFO queue with one request in flight, so a
 * receiver sees a room's events in the order they happened; retries with exponential backoff on
 * network errors, timeouts, 5xx, 408 and 429 (any other answer is final); a bounded queue per
 * target, so a receiver that is down for long costs memory for `maxQueue` events, not more.
 * Plain class, no broker: the `webhooks` service feeds it, tests drive it directly.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #queues = new Map<string, TargetQueue>();
  readonly #abort = new AbortController();
  /** Target lookups are asynchronous: chained, so events enter the queues in arrival order. */
  #intake: Promise<void> = Promise.resolve();
  #pendingIntake = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Queues the event for every subscribed target; resolves once queued (not delivered). */
  dispatch(envelope: WebhookEnvelope): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.#pendingIntake++;
    this.#intake = this.#intake
      .then(() => this.#enqueue(envelope))
      .catch((err: Error) => this.#options.logger.warn(`webhook ${envelope.event} ${envelope.id} dropped: cannot list its targets:`, err.message))
      .finally(() => {
        this.#pendingIntake--;
        this.#checkIdle();
      });
    return this.#intake;
  }

  /** Resolves when every queued event has been delivered, has failed or was dropped. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Abandons what is queued and aborts requests in flight; resolves when every queue has let go. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([...this.#queues.values()].map((q) => q.stop()));
    this.#queues.clear();
    this.#checkIdle(true);
  }

  async #enqueue(envelope: WebhookEnvelope): Promise<void> {
    const targets = await this.#options.targets(envelope.event);
    if (this.stopped || targets.length === 0) return;
    const body = JSON.stringify(envelope);
    for (const target of targets) {
      const delivery: Delivery = {
        eventId: envelope.id,
        event: envelope.event,
        url: target.url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Cascade-Webhooks',
          'x-cascade-event': envelope.event,
          'x-cascade-delivery': envelope.id,
          'x-cascade-signature': signWebhook(target.secret, body),
        },
      };
      this.#queue(target.id).push(delivery);
    }
  }

  #queue(targetId: string): TargetQueue {
    let queue = this.#queues.get(targetId);
    if (!queue) {
      const { timeoutMs, maxAttempts, maxQueue, backoffMs } = this.#options;
      queue = new TargetQueue({
        targetId,
        timeoutMs,
        maxAttempts,
        maxQueue,
        backoffMs,
        maxBackoffMs: this.#options.maxBackoffMs ?? 60_000,
        signal: this.#abort.signal,
        report: (report) => this.#report(report),
        drained: () => {
          // An idle target costs nothing: its queue is made again by its next event.
          if (this.#queues.get(targetId) === queue) this.#queues.delete(targetId);
          this.#checkIdle();
        },
      });
      this.#queues.set(targetId, queue);
    }
    return queue;
  }

  #report(report: DeliveryReport): void {
    const { logger, onReport } = this.#options;
    if (report.outcome === 'failed') {
      logger.warn(`webhook ${report.event} ${report.eventId} to ${report.url} failed after ${report.attempts} attempt(s): ${report.error}`);
    } else if (report.outcome === 'dropped') {
      logger.warn(`webhook ${report.event} ${report.eventId} to ${report.url} dropped: ${report.error}`);
    }
    onReport?.(report);
  }

  #isIdle(): boolean {
    return this.#pendingIntake === 0 && this.#queues.size === 0;
  }

  #checkIdle(force = false): void {
    if (!force && !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
