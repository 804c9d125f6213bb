import type { ServiceBroker } from 'moleculer';
import { NodeHeartbeat } from '../actors/cluster/NodeHeartbeat';
import { RedisNodeRegistry, registryTtlMs } from '../actors/cluster/NodeRegistry';
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
  /** Starts publishing this node's load (media nodes, when clustered). */
  start(broker: ServiceBroker, gatewayUrl: string): Promise<void>;
  /** Stops the heartbeat (peers stop placing participants here at once). */
  stop(): Promise<void>;
  /** Closes the shared-state connection, after the broker has stopped. */
  close(): Promise<void>;
}

export function clusterParts(config: Config): ClusterParts {
  const nodeId = config.node.id as NodeId;
  const redis = redisFromConfig(config);
  if (!redis) {
    // One node: every room is ours, every participant's media stays here.
    return {
      directory: new MemoryRoomDirectory(),
      placement: new LocalPlacement(nodeId, config.node.region),
      start: async () => undefined,
      stop: async () => undefined,
      close: async () => undefined,
    };
  }
  const registry = new RedisNodeRegistry(redis, { ttlMs: registryTtlMs(config.cluster) });
  let heartbeat: NodeHeartbeat | undefined;
  return {
    directory: new RedisRoomDirectory(redis, { leaseMs: roomLeaseMs(config.cluster) }),
    placement: RegionPlacement.fromConfig(registry, config),
    async start(broker, gatewayUrl) {
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
      await heartbeat?.stop();
    },
    async close() {
      await closeRedis(redis);
    },
  };
}
