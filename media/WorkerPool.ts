import type { types as ms } from 'mediasoup';
import { CascadeError } from '../schemas/errors';
import { TypedEmitter } from './TypedEmitter';
import type { PooledWorker, WorkerPoolEvents, WorkerPoolOptions } from './WorkerPoolTypes';

type Slot = {
  readonly index: number;
  live?: PooledWorker & { routers: number };
  /** Set while the slot has no live worker: resolves when it has one again (or the pool closed). */
  pending?: Promise<void>;
};

/**
 * A fixed number of mediasoup workers, each with its WebRtcServer on its own port. A worker
 * that dies is replaced in the same slot, so the port stays the one clients and firewalls know.
 */
export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[];
  #closed = false;

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.numWorkers) || options.numWorkers < 1) {
      throw new TypeError(`numWorkers must be a positive integer (got ${options.numWorkers})`);
    }
    const pool = new WorkerPool(options);
    const started = await Promise.allSettled(pool.#slots.map(async (slot) => pool.#start(slot)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      pool.close();
      throw failed.reason;
    }
    return pool;
  }

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#slots = Array.from({ length: options.numWorkers }, (_, index) => ({ index }));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Live workers (a slot being replaced is not counted). */
  get size(): number {
    return this.#slots.filter((s) => s.live).length;
  }

  pids(): number[] {
    return this.#slots.flatMap((s) => (s.live ? [s.live.pid] : []));
  }

  /**
   * The live worker with the fewest routers (rooms). When every slot is being replaced, waits
   * for the first replacement instead of failing the request.
   */
  async leastLoaded(): Promise<PooledWorker> {
    for (;;) {
      if (this.#closed) throw new CascadeError('NODE_UNAVAILABLE', 'media node is closed');
      let best: Slot['live'];
      for (const slot of this.#slots) {
        if (slot.live && (!best || slot.live.routers < best.routers)) best = slot.live;
      }
      if (best) return best;
      const pending = this.#slots.flatMap((s) => (s.pending ? [s.pending] : []));
      if (pending.length === 0) throw new CascadeError('NODE_UNAVAILABLE', 'no mediasoup worker is running');
      await Promise.race(pending);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.live?.worker.close();
      slot.live = undefined;
    }
  }

  async #start(slot: Slot): Promise<PooledWorker> {
    const o = this.#options;
    const worker = await o.mediasoup.createWorker({
      logLevel: o.logLevel,
      rtcMinPort: o.rtcMinPort,
      rtcMaxPort: o.rtcMaxPort,
      appData: { slot: slot.index },
    });
    const port = o.webRtcServerPort + slot.index;
    let webRtcServer: ms.WebRtcServer;
    try {
      const protocols: ms.TransportProtocol[] = o.enableTcp ? ['udp', 'tcp'] : ['udp'];
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: protocols.map((protocol) => ({ protocol, ip: o.listenIp, announcedIp: o.announcedIp, port })),
      });
    } catch (error) {
      worker.close();
      throw new CascadeError('MEDIA_ERROR', `cannot listen on ${o.listenIp}:${port} for WebRTC: ${String(error)}`);
    }
    if (this.#closed) {
      worker.close();
      throw new CascadeError('NODE_UNAVAILABLE', 'media node closed while starting a worker');
    }
    const live = { slot: slot.index, pid: worker.pid, worker, webRtcServer, routers: 0 };
    // Load is counted per worker object, so a replaced worker's late router closes cannot skew
    // the new worker's count.
    worker.observer.on('newrouter', (router: ms.Router) => {
      live.routers++;
      router.observer.once('close', () => live.routers--);
    });
    worker.once('died', (error: Error) => this.#onDied(slot, live, error));
    slot.live = live;
    return live;
  }

  #onDied(slot: Slot, dead: PooledWorker, error: Error): void {
    if (slot.live === dead) slot.live = undefined;
    if (this.#closed) return;
    this.safeEmit('workerDied', { slot: slot.index, pid: dead.pid, error });
    slot.pending = this.#replace(slot, dead.pid).finally(() => {
      slot.pending = undefined;
    });
  }

  async #replace(slot: Slot, previousPid: number): Promise<void> {
    const base = this.#options.replaceRetryMs ?? 500;
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const live = await this.#start(slot);
        this.safeEmit('workerReplaced', { slot: slot.index, pid: live.pid, previousPid });
        return;
      } catch (error) {
        if (this.#closed) return;
        this.safeEmit('workerReplaceFailed', { slot: slot.index, attempt, error: error as Error });
        await new Promise((resolve) => setTimeout(resolve, Math.min(base * attempt, 5000)));
      }
    }
  }
}
