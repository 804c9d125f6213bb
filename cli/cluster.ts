import type { ServiceBroker } from 'moleculer';
import { NODE_LOST_EVENT, NodeDeathWatch, type NodeLostPayload } from '../actors/cluster/NodeDeathWatch';
import { NodeHeartbeat } from '../actors/cluster/NodeHeartbeat';
import { RedisNodeRegistry, registryTtlMs, type NodeRegistry } from '../actors/cluster/NodeRegistry';
import { LocalPlacement, type PlacementPolicy } from '../actors/cluster/Placement';
import { closeRedis, redisFromConfig } from '../actors/cluster/redis';
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
   * Starts publishing this node's load (media nodes, when clustered) and watching the other
   * nodes: NODE_LOST_EVENT is broadcast locally once one is really gone (see NodeDeathWatch).
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
    let watch: NodeDeathWatch | undefined;
    return {
      directory: new MemoryRoomDirectory(),
      placement: new LocalPlacement(nodeId, config.node.region),
      start: async (broker) => {
        watch = watchNodes(broker, undefined);
      },
      stop: async () => watch?.stop(),
      close: async () => undefined,
    };
  }
  const registry = new RedisNodeRegistry(redis, { ttlMs: registryTtlMs(config.cluster) });
  let heartbeat: NodeHeartbeat | undefined;
  let watch: NodeDeathWatch | undefined;
  return {
    directory: new RedisRoomDirectory(redis, { leaseMs: roomLeaseMs(config.cluster) }),
    placement: RegionPlacement.fromConfig(registry, config),
    async start(broker, gatewayUrl) {
      watch = watchNodes(broker, registry);
      if (!config.node.roles.includes('media')) return;
      heartbeat = new NodeHeartbeat({
        registry,
        identity: { nodeId, region: config.node.region, roles: config.node.roles, announcedIp: config.rtc.announcedIp, ...(gatewayUrl ? { gatewayUrl } : {}) },
        intervalMs: config.cluster.heartbeatIntervalSeconds * 1000,
        loadSource: () => broker.call<MediaNodeStats, object>('media.stats', {}, { nodeID: nodeId }),
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

/** Turns Moleculer's node-disconnect into NODE_LOST_EVENT once the registry agrees (or at once without one). */
function watchNodes(broker: ServiceBroker, registry: NodeRegistry | undefined): NodeDeathWatch {
  const logger = broker.getLogger('cluster');
  const watch = new NodeDeathWatch({
    stillBeating: async (nodeId) => (registry ? (await registry.get(nodeId)) !== undefined : false),
    onLost: (nodeId) => {
      logger.warn(`node ${nodeId} is lost (disconnected, and its registry entry has expired)`);
      void broker.broadcastLocal(NODE_LOST_EVENT, { nodeId } satisfies NodeLostPayload);
    },
    pollMs: 250,
    onError: (err) => logger.warn('node registry check failed:', err.message),
  });
  broker.localBus.on('$node.disconnected', ({ node }: { node: { id: string } }) => {
    if (node.id !== broker.nodeID) watch.disconnected(node.id as NodeId);
  });
  broker.localBus.on('$node.connected', ({ node }: { node: { id: string } }) => watch.connected(node.id as NodeId));
  return watch;
}
