import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import type { NodeId } from '../../schemas/ids';
import type { Placement } from '../room/RoomTypes';
import type { NodeInfo, NodeRegistry } from './NodeRegistry';
import type { PlacementPolicy, PlacementRequest } from './Placement';

/**
 * Region-aware placement: a participant's media goes to a media node in its own region, the
 * least loaded one; when none there can take more (or none exists), to the least-loaded node of
 * the nearest region. The choice is a pure function of the registry snapshot, tested on its own.
 */

/** Distance between two regions nobody described: far, but still reachable. */
export const FAR_DISTANCE = 1_000_000;

/**
 * CPU is compared in steps of this size: the process meter jitters by a few percent between
 * beats, and that noise must not outweigh real differences in consumers.
 */
export const CPU_STEP = 0.05;

export type RegionDistances = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** table[a][b], else table[b][a] (distances are symmetric unless both are given), else far. */
export function regionDistance(table: RegionDistances, from: string, to: string): number {
  if (from === to) return 0;
  return table[from]?.[to] ?? table[to]?.[from] ?? FAR_DISTANCE;
}

/** A node at or above the consumer limit takes no one while another node can. */
export function isOverLimit(node: NodeInfo, maxConsumersPerNode: number): boolean {
  return node.load.consumers >= maxConsumersPerNode;
}

/** How busy a node is, 0..1+: its more saturated resource (CPU, or consumers against the limit). */
export function loadScore(node: NodeInfo, maxConsumersPerNode: number): number {
  const cpu = Math.round(node.load.cpu / CPU_STEP) * CPU_STEP;
  return Math.max(cpu, node.load.consumers / maxConsumersPerNode);
}

export interface PlacementInput {
  /** The participant's region (token claim or join hint); absent = the gateway's region. */
  region?: string;
  /** The gateway deciding: its region is the fallback, its own node wins ties (no extra hop). */
  self: { nodeId: NodeId; region: string };
  /** Live nodes (any roles; only media nodes are candidates). */
  nodes: readonly NodeInfo[];
  regionDistances: RegionDistances;
  maxConsumersPerNode: number;
}

/** Picks the media node for one participant; NODE_UNAVAILABLE when no media node is alive. */
export function chooseMediaNode(input: PlacementInput): NodeInfo {
  const media = input.nodes.filter((node) => node.roles.includes('media'));
  if (media.length === 0) throw new CascadeError('NODE_UNAVAILABLE', 'No live media node in the cluster');

  const target = input.region?.trim() || input.self.region;
  const max = input.maxConsumersPerNode;
  const underLimit = media.filter((node) => !isOverLimit(node, max));
  // Everyone full: still place (a soft limit), as near as possible, rather than refuse the join.
  const pool = underLimit.length > 0 ? underLimit : media;

  const rank = (node: NodeInfo): number[] => [
    regionDistance(input.regionDistances, target, node.region),
    // A region nobody described (unknown hint) ties at FAR: then nearest to the gateway wins.
    regionDistance(input.regionDistances, input.self.region, node.region),
    loadScore(node, max),
    node.load.transports,
    node.nodeId === input.self.nodeId ? 0 : 1,
  ];
  let best = pool[0] as NodeInfo;
  let bestRank = rank(best);
  for (const node of pool.slice(1)) {
    const nodeRank = rank(node);
    const order = compareRanks(nodeRank, bestRank) || (node.nodeId < best.nodeId ? -1 : 1);
    if (order < 0) {
      best = node;
      bestRank = nodeRank;
    }
  }
  return best;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export interface RegionPlacementOptions {
  /** The gateway's own node and region (fallback region, tie-break). */
  nodeId: NodeId;
  region: string;
  regionDistances: RegionDistances;
  maxConsumersPerNode: number;
}

/**
 * The PlacementPolicy a clustered gateway uses: reads the registry on each join. Between two
 * heartbeats the registry's load is stale, so joins this gateway placed since a node's last
 * beat are counted as one consumer each: a burst of joins spreads instead of piling onto the
 * node that looked idlest a second ago.
 */
export class RegionPlacement implements PlacementPolicy {
  readonly #registry: NodeRegistry;
  readonly #options: RegionPlacementOptions;
  /** nodeId -> joins placed there since its entry stamped `updatedAt`. */
  readonly #pending = new Map<NodeId, { updatedAt: number; joins: number }>();

  constructor(registry: NodeRegistry, options: RegionPlacementOptions) {
    this.#registry = registry;
    this.#options = options;
  }

  static fromConfig(registry: NodeRegistry, config: Config): RegionPlacement {
    return new RegionPlacement(registry, {
      nodeId: config.node.id as NodeId,
      region: config.node.region,
      regionDistances: config.cluster.regionDistances,
      maxConsumersPerNode: config.cluster.maxConsumersPerNode,
    });
  }

  async place(request: PlacementRequest): Promise<Placement> {
    const nodes = (await this.#registry.list()).map((node) => this.#withPending(node));
    const chosen = chooseMediaNode({
      ...(request.region ? { region: request.region } : {}),
      self: request.gateway ?? { nodeId: this.#options.nodeId, region: this.#options.region },
      nodes,
      regionDistances: this.#options.regionDistances,
      maxConsumersPerNode: this.#options.maxConsumersPerNode,
    });
    const pending = this.#pending.get(chosen.nodeId);
    this.#pending.set(chosen.nodeId, { updatedAt: chosen.updatedAt, joins: (pending?.updatedAt === chosen.updatedAt ? pending.joins : 0) + 1 });
    return { nodeId: chosen.nodeId, region: chosen.region };
  }

  #withPending(node: NodeInfo): NodeInfo {
    const pending = this.#pending.get(node.nodeId);
    if (!pending) return node;
    if (pending.updatedAt !== node.updatedAt) {
      // A fresh beat already counts those joins.
      this.#pending.delete(node.nodeId);
      return node;
    }
    return { ...node, load: { ...node.load, consumers: node.load.consumers + pending.joins } };
  }
}
