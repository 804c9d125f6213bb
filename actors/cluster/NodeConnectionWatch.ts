import type { Redis } from 'ioredis';
import type { NodeId } from '../../schemas/ids';

/**
 * Which nodes hold their connection to the shared Redis, from `CLIENT LIST`: each node names its
 * connection (`cascade:<nodeId>`, see redis.ts connectionName). When a process dies the kernel
 * closes its sockets, so Redis drops a crashed node's connection within milliseconds, seconds
 * before a heartbeat could be missed; a node that is alive but slow keeps its socket open. A
 * closed connection is only a suspicion (Redis restarts, networks blip): NodeDeathWatch confirms.
 */

/** Names of the client connections Redis holds now (CLIENT LIST), without the unnamed ones. */
export async function clientNames(redis: Redis): Promise<Set<string>> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
  const names = new Set<string>();
  for (const line of list.split('\n')) {
    const name = / name=(\S+)/.exec(line)?.[1];
    if (name) names.add(name);
  }
  return names;
}

export interface NodeConnectionWatchOptions {
  /** The names Redis holds now (clientNames, or a stand-in in tests). */
  names: () => Promise<Set<string>>;
  /** Connection name → node id, undefined for connections that are not a node's. */
  nodeOf: (name: string) => NodeId | undefined;
  /** A node's connection was there at the previous look and is gone now. */
  onClosed: (nodeId: NodeId) => void;
  intervalMs: number;
  onError?: (err: Error) => void;
}

/**
 * Polls the connection list and reports the nodes whose connection disappeared since the previous
 * look. After a failed look (Redis away) the next one only learns, so the reconnect storm of a
 * Redis restart is not mistaken for a dozen crashes.
 */
export class NodeConnectionWatch {
  readonly #options: NodeConnectionWatchOptions;
  #seen: Set<NodeId> | undefined;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: NodeConnectionWatchOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Whether `nodeId`'s connection is open right now (a fresh look). */
  async isOpen(nodeId: NodeId): Promise<boolean> {
    return (await this.#nodes()).has(nodeId);
  }

  /** One look now: reports connections gone since the previous one. */
  async check(): Promise<void> {
    let now: Set<NodeId>;
    try {
      now = await this.#nodes();
    } catch (err) {
      // Reported once per outage, not at every look.
      if (!this.#failing) this.#options.onError?.(err instanceof Error ? err : new Error(String(err)));
      this.#failing = true;
      this.#seen = undefined;
      return;
    }
    this.#failing = false;
    const before = this.#seen;
    this.#seen = now;
    if (!before) return;
    for (const nodeId of before) if (!now.has(nodeId)) this.#options.onClosed(nodeId);
  }

  async #nodes(): Promise<Set<NodeId>> {
    const nodes = new Set<NodeId>();
    for (const name of await this.#options.names()) {
      const nodeId = this.#options.nodeOf(name);
      if (nodeId) nodes.add(nodeId);
    }
    return nodes;
  }

  #schedule(delay: number): void {
    if (!this.#running) return;
    // Chained, not an interval: a slow Redis never stacks looks up.
    this.#timer = setTimeout(() => void this.check().finally(() => this.#schedule(this.#options.intervalMs)), delay);
    this.#timer.unref();
  }
}
