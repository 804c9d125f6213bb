import type { NodeId } from '../../schemas/ids';

/**
 * Local event, broadcast on this node only, once another node is known dead (see NodeDeathWatch
 * for what "known" means). Failover and the participant service act on this, not on
 * `$node.disconnected` alone.
 */
export const NODE_LOST_EVENT = 'cluster.nodeLost';
export type NodeLostPayload = { nodeId: NodeId };

/** How a death was confirmed (for the log). */
export type DeathProof = 'heartbeat expired' | 'connection closed';

export interface NodeDeathWatchOptions {
  /**
   * Whether the node still heartbeats in the registry (Redis). Without a registry: always false,
   * and Moleculer's verdict stands alone.
   */
  stillBeating(nodeId: NodeId): Promise<boolean>;
  /**
   * Whether the node's own connection to the registry is open right now (Redis CLIENT LIST). With
   * `answers`, this confirms a crash within a second; without either, only the expiry counts.
   */
  connectionOpen?(nodeId: NodeId): Promise<boolean>;
  /**
   * Whether the node answers over the transporter within a short time (a Moleculer ping);
   * undefined when this node cannot tell (its own transporter is down).
   */
  answers?(nodeId: NodeId): Promise<boolean | undefined>;
  onLost(nodeId: NodeId, proof: DeathProof): void;
  /** How often a suspect's state is checked again, ms. */
  pollMs: number;
  onError?(err: Error): void;
}

interface Watch {
  cancelled: boolean;
  /** Moleculer reported it disconnected (missed heartbeats), not only its connection closing. */
  disconnected: boolean;
}

type Verdict = 'dead' | 'alive' | 'unsure';

/**
 * Tells a dead node from a NATS outage and from a node that is only slow, on two kinds of proof:
 *
 * - Crash (kill -9, OOM, a panic) on a live host: the kernel closes the process's sockets, so
 *   Redis drops the node's named connection within milliseconds. A node whose connection is gone
 *   AND which does not answer a ping over NATS (and whose connection has not come back meanwhile,
 *   as it would after a Redis blip) is dead. A node that is alive but slow (event loop blocked,
 *   GC pause) keeps its socket open and is never suspected this way, however long it stalls.
 * - Anything else (host gone, partition): Moleculer's node-disconnect (missed heartbeats) AND the
 *   node's registry entry expired. Moleculer reports every peer disconnected when the transporter
 *   is away longer than the heartbeat timeout (a NATS restart), although they all still run and
 *   serve their media; acting on that alone would make every node take over every room and tell
 *   every client to reconnect. A live node cut off from NATS keeps its registry entry fresh.
 *
 * A node reported lost is not reported again until Moleculer sees it again (`connected`).
 */
export class NodeDeathWatch {
  readonly #options: NodeDeathWatchOptions;
  readonly #watching = new Map<NodeId, Watch>();
  readonly #lost = new Set<NodeId>();

  constructor(options: NodeDeathWatchOptions) {
    this.#options = options;
  }

  /** Moleculer lost the node: confirm, then report it lost. */
  disconnected(nodeId: NodeId): void {
    if (this.#lost.has(nodeId)) return;
    const watch = this.#watching.get(nodeId);
    if (watch) {
      watch.disconnected = true;
      return;
    }
    this.#watch(nodeId, { cancelled: false, disconnected: true });
  }

  /** The node's registry connection closed (it may have crashed): confirm, then report it lost. */
  connectionClosed(nodeId: NodeId): void {
    if (this.#lost.has(nodeId) || this.#watching.has(nodeId)) return;
    this.#watch(nodeId, { cancelled: false, disconnected: false });
  }

  /** The node is back (or new): a pending confirmation is dropped, a past loss forgotten. */
  connected(nodeId: NodeId): void {
    this.#lost.delete(nodeId);
    const watch = this.#watching.get(nodeId);
    if (!watch) return;
    watch.cancelled = true;
    this.#watching.delete(nodeId);
  }

  /** Whether the node was reported lost (and has not come back). */
  isLost(nodeId: NodeId): boolean {
    return this.#lost.has(nodeId);
  }

  stop(): void {
    for (const watch of this.#watching.values()) watch.cancelled = true;
    this.#watching.clear();
  }

  #watch(nodeId: NodeId, watch: Watch): void {
    this.#watching.set(nodeId, watch);
    void this.#confirm(nodeId, watch);
  }

  async #confirm(nodeId: NodeId, watch: Watch): Promise<void> {
    for (;;) {
      const [verdict, proof] = await this.#verdict(nodeId, watch);
      if (watch.cancelled) return;
      if (verdict === 'dead') {
        this.#watching.delete(nodeId);
        this.#lost.add(nodeId);
        this.#options.onLost(nodeId, proof);
        return;
      }
      if (verdict === 'alive' && !watch.disconnected) {
        // Only its connection blipped, and it answers: nothing happened.
        this.#watching.delete(nodeId);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs).unref());
      if (watch.cancelled) return;
    }
  }

  async #verdict(nodeId: NodeId, watch: Watch): Promise<[Verdict, DeathProof]> {
    const { stillBeating, connectionOpen, answers } = this.#options;
    if (watch.disconnected) {
      let beating: boolean;
      try {
        beating = await stillBeating(nodeId);
      } catch (err) {
        // The registry is unreachable: Moleculer's verdict is all there is.
        this.#report(err);
        beating = false;
      }
      if (!beating) return ['dead', 'heartbeat expired'];
    }
    if (!connectionOpen || !answers) return ['unsure', 'connection closed'];
    try {
      if (await connectionOpen(nodeId)) return ['alive', 'connection closed'];
      const answered = await answers(nodeId);
      if (answered !== false) return [answered ? 'alive' : 'unsure', 'connection closed'];
      // A live node whose connection only dropped has reconnected while the ping waited.
      return [(await connectionOpen(nodeId)) ? 'alive' : 'dead', 'connection closed'];
    } catch (err) {
      this.#report(err);
      return ['unsure', 'connection closed'];
    }
  }

  #report(err: unknown): void {
    this.#options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}
