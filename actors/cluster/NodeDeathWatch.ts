import type { NodeId } from '../../schemas/ids';

/**
 * Local event, broadcast on this node only, once another node is known dead: Moleculer lost it
 * (`$node.disconnected`) AND its heartbeat in the shared registry has expired. Failover and the
 * participant service act on this, not on `$node.disconnected` alone.
 */
export const NODE_LOST_EVENT = 'cluster.nodeLost';
export type NodeLostPayload = { nodeId: NodeId };

export interface NodeDeathWatchOptions {
  /**
   * Whether the node still heartbeats in the registry (Redis). Without a registry: always false,
   * and Moleculer's verdict stands alone.
   */
  stillBeating(nodeId: NodeId): Promise<boolean>;
  onLost(nodeId: NodeId): void;
  /** How often a disconnected node's registry entry is checked again, ms. */
  pollMs: number;
  onError?(err: Error): void;
}

/**
 * Tells a dead node from a NATS outage. Moleculer reports every peer disconnected when the
 * transporter is away longer than the heartbeat timeout (a NATS restart, a partition), although
 * they all still run and serve their media; acting on that would make every node take over every
 * room and tell every client to reconnect. A dead node also stops writing its registry entry, which
 * expires about three heartbeats later (by then Moleculer has usually noticed too), while a live
 * node cut off from NATS keeps it fresh. So a node is lost when both agree; if it reconnects first
 * (`$node.connected`), nothing happened.
 */
export class NodeDeathWatch {
  readonly #options: NodeDeathWatchOptions;
  readonly #watching = new Map<NodeId, { cancelled: boolean }>();

  constructor(options: NodeDeathWatchOptions) {
    this.#options = options;
  }

  /** Moleculer lost the node: confirm through the registry, then report it lost. */
  disconnected(nodeId: NodeId): void {
    if (this.#watching.has(nodeId)) return;
    const watch = { cancelled: false };
    this.#watching.set(nodeId, watch);
    void this.#confirm(nodeId, watch);
  }

  /** The node is back (or new): a pending confirmation is dropped. */
  connected(nodeId: NodeId): void {
    const watch = this.#watching.get(nodeId);
    if (!watch) return;
    watch.cancelled = true;
    this.#watching.delete(nodeId);
  }

  stop(): void {
    for (const nodeId of [...this.#watching.keys()]) this.connected(nodeId);
  }

  async #confirm(nodeId: NodeId, watch: { cancelled: boolean }): Promise<void> {
    for (;;) {
      let beating: boolean;
      try {
        beating = await this.#options.stillBeating(nodeId);
      } catch (err) {
        // The registry is unreachable: Moleculer's verdict is all there is.
        this.#options.onError?.(err instanceof Error ? err : new Error(String(err)));
        beating = false;
      }
      if (watch.cancelled) return;
      if (!beating) {
        this.#watching.delete(nodeId);
        this.#options.onLost(nodeId);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs).unref());
      if (watch.cancelled) return;
    }
  }
}
