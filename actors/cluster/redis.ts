import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../schemas/config';
import type { NodeId } from '../../schemas/ids';

/**
 * The Redis client for shared cluster state (room owners, node registry). One client per node is
 * enough: every command here is short and ioredis pipelines them over one connection.
 */

/** Prefix of every key Cascade writes; tests pass their own so runs never collide. */
export const DEFAULT_KEY_PREFIX = 'cascade:';

export interface RedisClientOptions {
  /** Shown by `CLIENT LIST`: which node holds which connection. */
  connectionName?: string;
  /** Connect on first command instead of in the constructor (tests, CLI tools). */
  lazyConnect?: boolean;
}

/**
 * A client for `url` (redis://[:password@]host:port[/db]). Reconnects forever with a capped
 * backoff, but a command waiting through an outage fails after a few retries instead of hanging:
 * a heartbeat or a lease renewal that cannot reach Redis must surface as an error, so the caller
 * sees it and the lease simply runs out, rather than piling up behind a dead connection.
 */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(options.lazyConnect ? { lazyConnect: true } : {}),
  };
  return new Redis(url, redisOptions);
}

const NODE_CONNECTION_PREFIX = 'cascade:';

/**
 * The name a node's connection carries. Peers read it in CLIENT LIST to see a crashed node's
 * connection close (NodeConnectionWatch).
 */
export function connectionName(nodeId: string): string {
  return `${NODE_CONNECTION_PREFIX}${nodeId}`;
}

/** The node a connection name belongs to (connectionName's inverse), else undefined. */
export function nodeOfConnection(name: string): NodeId | undefined {
  return name.startsWith(NODE_CONNECTION_PREFIX) && name.length > NODE_CONNECTION_PREFIX.length ? (name.slice(NODE_CONNECTION_PREFIX.length) as NodeId) : undefined;
}

/** The cluster's client, or undefined on a single node (cluster.redisUrl empty = in-memory state). */
export function redisFromConfig(config: Config): Redis | undefined {
  if (!config.cluster.redisUrl) return undefined;
  return createRedis(config.cluster.redisUrl, { connectionName: connectionName(config.node.id) });
}

/** Closes politely (QUIT, so pending replies arrive), falling back to a hard disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
