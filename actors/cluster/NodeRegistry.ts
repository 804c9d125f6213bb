import { Type, type Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { NodeRoleSchema } from '../../schemas/config';
import { NodeIdSchema, type NodeId } from '../../schemas/ids';
import { validator } from '../../schemas/validate';
import { DEFAULT_KEY_PREFIX } from './redis';

/**
 * Which nodes are alive, where, doing what, and how busy. Each node publishes its entry every
 * heartbeat (NodeHeartbeat.ts) with an expiry of about three heartbeats, so a node that dies
 * drops out of `list()` by itself; Moleculer's node-disconnect usually notices first.
 */

export const NodeLoadSchema = Type.Object(
  {
    /** This node's process CPU, 0..1 of one core (mediasoup workers report through loadSource). */
    cpu: Type.Number({ minimum: 0, maximum: 1 }),
    transports: Type.Integer({ minimum: 0 }),
    producers: Type.Integer({ minimum: 0 }),
    consumers: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type NodeLoad = Static<typeof NodeLoadSchema>;

export const NodeInfoSchema = Type.Object(
  {
    nodeId: NodeIdSchema,
    region: Type.String({ minLength: 1 }),
    roles: Type.Array(NodeRoleSchema),
    /** The IP clients and other nodes reach this node's media at (rtc.announcedIp). */
    announcedIp: Type.String(),
    /** Where clients reach this node's gateway (http[s]://host:port), when it runs one. */
    gatewayUrl: Type.Optional(Type.String()),
    load: NodeLoadSchema,
    /** ms since the epoch, by the publishing node's clock. */
    updatedAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type NodeInfo = Static<typeof NodeInfoSchema>;

const nodeInfo = validator(NodeInfoSchema);

export interface NodeRegistry {
  /** Writes (or refreshes) the node's entry; it expires unless published again in time. */
  publish(info: NodeInfo): Promise<void>;
  /** Live, unexpired nodes, sorted by id. */
  list(): Promise<NodeInfo[]>;
  get(nodeId: NodeId): Promise<NodeInfo | undefined>;
  /** Drops the entry at once (clean shutdown, or a node known dead). */
  remove(nodeId: NodeId): Promise<void>;
}

export interface NodeRegistryOptions {
  /** An entry lives this long after its last publish, ms: about three heartbeats. */
  ttlMs: number;
}

/** Entry lifetime from the cluster config: three heartbeats, and never less than the timeout. */
export function registryTtlMs(cluster: { heartbeatIntervalSeconds: number; heartbeatTimeoutSeconds: number }): number {
  return Math.round(1000 * Math.max(3 * cluster.heartbeatIntervalSeconds, cluster.heartbeatTimeoutSeconds));
}

const byId = (a: NodeInfo, b: NodeInfo): number => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);

/** One process (single node, unit tests): the same expiry rules, kept in a Map. */
export class MemoryNodeRegistry implements NodeRegistry {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<NodeId, { info: NodeInfo; expiresAt: number }>();

  constructor(options: NodeRegistryOptions & { now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  async publish(info: NodeInfo): Promise<void> {
    const checked = nodeInfo.parse(info);
    this.#entries.set(checked.nodeId, { info: structuredClone(checked), expiresAt: this.#now() + this.#ttlMs });
  }

  async list(): Promise<NodeInfo[]> {
    const now = this.#now();
    const live: NodeInfo[] = [];
    for (const [nodeId, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(nodeId);
      else live.push(structuredClone(entry.info));
    }
    return live.sort(byId);
  }

  async get(nodeId: NodeId): Promise<NodeInfo | undefined> {
    const entry = this.#entries.get(nodeId);
    if (!entry || entry.expiresAt <= this.#now()) return undefined;
    return structuredClone(entry.info);
  }

  async remove(nodeId: NodeId): Promise<void> {
    this.#entries.delete(nodeId);
  }
}

/**
 * Redis: one JSON key per node (`cascade:node:<id>`, PX = ttl) plus a set of ids
 * (`cascade:nodes`) to enumerate them without SCAN. Redis's expiry is the clock, so nodes with
 * skewed clocks still agree on who is alive; ids whose key has expired are pruned from the set
 * on read.
 */
export class RedisNodeRegistry implements NodeRegistry {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  readonly #prefix: string;

  constructor(redis: Redis, options: NodeRegistryOptions & { prefix?: string }) {
    this.#redis = redis;
    this.#ttlMs = Math.round(options.ttlMs);
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  }

  async publish(info: NodeInfo): Promise<void> {
    const checked = nodeInfo.parse(info);
    await this.#redis
      .multi()
      .set(this.#key(checked.nodeId), JSON.stringify(checked), 'PX', this.#ttlMs)
      .sadd(this.#indexKey(), checked.nodeId)
      .exec();
  }

  async list(): Promise<NodeInfo[]> {
    const ids = await this.#redis.smembers(this.#indexKey());
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#key(id)));
    const live: NodeInfo[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      const info = value === null ? undefined : this.#parse(value);
      if (info) live.push(info);
      else expired.push(ids[i] as string);
    });
    if (expired.length > 0) await this.#pruneIndex(expired);
    return live.sort(byId);
  }

  async get(nodeId: NodeId): Promise<NodeInfo | undefined> {
    const value = await this.#redis.get(this.#key(nodeId));
    return value === null ? undefined : this.#parse(value);
  }

  async remove(nodeId: NodeId): Promise<void> {
    await this.#redis.multi().del(this.#key(nodeId)).srem(this.#indexKey(), nodeId).exec();
  }

  /** Drops ids from the set only if their key is still absent: the node may have come back. */
  async #pruneIndex(ids: string[]): Promise<void> {
    const script = `
for i, id in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[1] .. id) == 0 then redis.call('SREM', KEYS[2], id) end
end
return 0`;
    await this.#redis.eval(script, 2, `${this.#prefix}node:`, this.#indexKey(), ...ids);
  }

  /** An entry written by another version or by hand is skipped, not trusted. */
  #parse(value: string): NodeInfo | undefined {
    try {
      const parsed: unknown = JSON.parse(value);
      return nodeInfo.check(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  #key(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}`;
  }

  #indexKey(): string {
    return `${this.#prefix}nodes`;
  }
}
