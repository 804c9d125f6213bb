import type { NodeInfo, NodeLoad, NodeRegistry } from './NodeRegistry';

/** What the node reports each beat; `cpu` overrides the process meter (e.g. mediasoup workers' usage). */
export type LoadSample = Omit<NodeLoad, 'cpu'> & { cpu?: number };

/** CPU of this process as a fraction of one core since the previous sample, from process.cpuUsage. */
export class CpuMeter {
  #lastUsage = process.cpuUsage();
  #lastTime = process.hrtime.bigint();

  sample(): number {
    const usage = process.cpuUsage(this.#lastUsage);
    const now = process.hrtime.bigint();
    const elapsedMicros = Number(now - this.#lastTime) / 1000;
    this.#lastUsage = process.cpuUsage();
    this.#lastTime = now;
    if (elapsedMicros <= 0) return 0;
    return clamp01((usage.user + usage.system) / elapsedMicros);
  }
}

const clamp01 = (n: number): number => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);

export interface NodeHeartbeatOptions {
  registry: NodeRegistry;
  /** Everything in the entry but the load and the time. */
  identity: Omit<NodeInfo, 'load' | 'updatedAt'>;
  intervalMs: number;
  /** Counts at this moment (MediaNode.stats() fits); called once per beat. */
  loadSource: () => LoadSample | Promise<LoadSample>;
  /** A failed beat (Redis away): reported, and the loop goes on; the entry expires if it lasts. */
  onError?: (error: Error) => void;
  /** Remove the entry on stop() so peers stop placing here at once (default true). */
  removeOnStop?: boolean;
}

/**
 * Publishes this node's entry every interval until stopped. Beats are chained (the next is
 * scheduled when the previous finishes), so a slow Redis never stacks publishes up.
 */
export class NodeHeartbeat {
  readonly #options: NodeHeartbeatOptions;
  readonly #cpu = new CpuMeter();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #running = false;

  constructor(options: NodeHeartbeatOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.#options = options;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Publishes once (awaited, so the node is listed when start resolves; errors throw), then loops. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.beat();
    } catch (err) {
      this.#running = false;
      throw err;
    }
    this.#schedule();
  }

  /** One publish now. */
  async beat(): Promise<void> {
    const sample = await this.#options.loadSource();
    const meter = this.#cpu.sample();
    const info: NodeInfo = {
      ...this.#options.identity,
      load: {
        cpu: sample.cpu === undefined ? meter : clamp01(sample.cpu),
        transports: sample.transports,
        producers: sample.producers,
        consumers: sample.consumers,
      },
      updatedAt: Date.now(),
    };
    await this.#options.registry.publish(info);
  }

  /** Stops the loop, waits for a beat in flight, then (by default) removes the entry. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    if (this.#options.removeOnStop ?? true) {
      try {
        await this.#options.registry.remove(this.#options.identity.nodeId);
      } catch (err) {
        this.#report(err);
      }
    }
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#inFlight = this.beat()
        .catch((err: unknown) => this.#report(err))
        .finally(() => {
          this.#inFlight = undefined;
          this.#schedule();
        });
    }, this.#options.intervalMs);
    // The broker keeps a server alive; the heartbeat alone must not (tests, CLI tools).
    this.#timer.unref();
  }

  #report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.#options.onError) this.#options.onError(error);
  }
}
