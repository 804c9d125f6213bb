import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import { clientNames, NodeConnectionWatch } from '../actors/cluster/NodeConnectionWatch';
import { NODE_LOST_EVENT, NodeDeathWatch, type NodeLostPayload } from '../actors/cluster/NodeDeathWatch';
import { NodeHeartbeat } from '../actors/cluster/NodeHeartbeat';
import { RedisNodeRegistry, registryTtlMs, type NodeRegistry } from '../actors/cluster/NodeRegistry';
import { LocalPlacement, type PlacementPolicy } from '../actors/cluster/Placement';
import { closeRedis, nodeOfConnection, redisFromConfig } from '../actors/cluster/redis';
import { RedisRoomDirectory, roomLeaseMs } from '../actors/cluster/RedisRoomDirectory';
import { RegionPlacement } from '../actors/cluster/RegionPlacement';
import { MemoryRoomDirectory, type RoomDirectory } from '../actors/cluster/RoomDirectory';
import type { Config } from '../schemas/config';
import type { NodeId } from '../schemas/ids';
import type { MediaNodeStats } from '../schemas/media';

/** How rooms find their owner and participants their media node: in memory, or shared in Redis. */
export interface ClusterParts {
  directory: RoomDirectory;
  placement: PlacementPolicy;
  /**
   * Starts publishing this node's heartbeat (with its load on media nodes; when clustered) and
   * watching the other nodes: NODE_LOST_EVENT is broadcast locally once one is really gone (see
   * NodeDeathWatch).
   */
  start(broker: ServiceBroker, gatewayUrl: string): Promise<void>;
  /** Stops the heartbeat (peers stop placing participants here at once) and the watch. */
  stop(): Promise<void>;
  /** Closes the shared-state connection, after the broker has stopped. */
  close(): Promise<void>;
}

export function clusterParts(config: Config): ClusterParts {
  const nodeId = config.node.id as NodeId;
  const redis = redisFromConfig(config);
  if (!redis) {
    // One node: every room is ours, every participant's media stays here.
    let watch: { stop(): void } | undefined;
    return {
      directory: new MemoryRoomDirectory(),
      placement: new LocalPlacement(nodeId, config.node.region),
      start: async (broker) => {
        watch = watchNodes(broker);
      },
      stop: async () => watch?.stop(),
      close: async () => undefined,
    };
  }
  const registry = new RedisNodeRegistry(redis, { ttlMs: registryTtlMs(config.cluster) });
  let heartbeat: NodeHeartbeat | undefined;
  let watch: { stop(): void } | undefined;
  return {
    directory: new RedisRoomDirectory(redis, { leaseMs: roomLeaseMs(config.cluster) }),
    placement: RegionPlacement.fromConfig(registry, config),
    async start(broker, gatewayUrl) {
      watch = watchNodes(broker, { registry, redis });
      // Every node beats, not only media nodes (which report their load): its peers tell its
      // death from a NATS outage by the entry. Placement only considers media nodes.
      const media = config.node.roles.includes('media');
      heartbeat = new NodeHeartbeat({
        registry,
        identity: { nodeId, region: config.node.region, roles: config.node.roles, announcedIp: config.rtc.announcedIp, ...(gatewayUrl ? { gatewayUrl } : {}) },
        intervalMs: config.cluster.heartbeatIntervalSeconds * 1000,
        loadSource: media ? () => broker.call<MediaNodeStats, object>('media.stats', {}, { nodeID: nodeId }) : () => ({ transports: 0, producers: 0, consumers: 0 }),
        onError: (err) => broker.getLogger('cluster').warn('node heartbeat failed:', err.message),
      });
      await heartbeat.start();
    },
    async stop() {
      watch?.stop();
      await heartbeat?.stop();
    },
    async close() {
      await closeRedis(redis);
    },
  };
}

/** How often the peers' Redis connections are listed (a crash shows there within milliseconds). */
const CONNECTION_POLL_MS = 250;
/** How long a node whose Redis connection closed gets to answer a ping before it is declared dead. */
const PING_TIMEOUT_MS = 500;

/**
 * Broadcasts NODE_LOST_EVENT once a peer is known dead (NodeDeathWatch): its Redis connection
 * closed and it does not answer, or Moleculer lost it and its registry entry expired (without
 * Redis: Moleculer's node-disconnect alone). Before telling anyone, the node is dropped from
 * Moleculer's registry (calls to it fail at once instead of timing out) and from the shared
 * registry (no node places a rejoining participant back on it).
 */
function watchNodes(broker: ServiceBroker, shared?: { registry: NodeRegistry; redis: Redis }): { stop(): void } {
  const logger = broker.getLogger('cluster');
  const self = broker.nodeID as NodeId;
  const connections = shared
    ? new NodeConnectionWatch({
        names: () => clientNames(shared.redis),
        nodeOf: (name) => {
          const id = nodeOfConnection(name);
          return id === self ? undefined : id;
        },
        // Only nodes Moleculer still counts as up: a stopping node disconnects before it closes Redis.
        onClosed: (nodeId) => {
          if (broker.registry.nodes.get(nodeId)?.available) watch.connectionClosed(nodeId);
        },
        intervalMs: CONNECTION_POLL_MS,
        onError: (err) => logger.warn('listing the Redis connections failed (crashes are noticed by heartbeat expiry only):', err.message),
      })
    : undefined;
  const watch = new NodeDeathWatch({
    stillBeating: async (nodeId) => (shared ? (await shared.registry.get(nodeId)) !== undefined : false),
    ...(connections
      ? {
          connectionOpen: (nodeId: NodeId) => connections.isOpen(nodeId),
          answers: async (nodeId: NodeId) => {
            if (!broker.transit?.connected) return undefined;
            return (await broker.ping(nodeId, PING_TIMEOUT_MS)) != null;
          },
        }
      : {}),
    onLost: (nodeId, proof) => {
      const why = proof === 'heartbeat expired' ? 'disconnected, and its registry entry has expired' : 'its Redis connection closed and it does not answer';
      logger.warn(`node ${nodeId} is lost (${why})`);
      broker.registry.nodes.disconnected(nodeId, true);
      void Promise.resolve(shared?.registry.remove(nodeId))
        .catch((err: Error) => logger.warn(`removing ${nodeId} from the registry failed:`, err.message))
        .finally(() => void broker.broadcastLocal(NODE_LOST_EVENT, { nodeId } satisfies NodeLostPayload));
    },
    pollMs: 250,
    onError: (err) => logger.warn('node registry check failed:', err.message),
  });
  broker.localBus.on('$node.disconnected', ({ node }: { node: { id: string } }) => {
    if (node.id !== self) watch.disconnected(node.id as NodeId);
  });
  broker.localBus.on('$node.connected', ({ node }: { node: { id: string } }) => watch.connected(node.id as NodeId));
  connections?.start();
  return {
    stop: () => {
      connections?.stop();
      watch.stop();
    },
  };
}
