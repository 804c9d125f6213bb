import type { BrokerOptions } from 'moleculer';
import { TypeBoxValidator } from './actors/shared/TypeBoxValidator';
import type { Config } from './schemas/config';

/**
 * Broker options from the one typed config. Single node: no transporter, everything in-process.
 * Clustered: NATS, with heartbeats and timeouts set on purpose (Moleculer's defaults notice a
 * killed node only after 30–60 s and let calls to it hang: see docs/operations.md).
 */
export function brokerOptions(config: Config): BrokerOptions {
  const clustered = config.cluster.transporter !== '';
  return {
    namespace: 'cascade',
    nodeID: config.node.id,
    ...(clustered
      ? {
          transporter: {
            type: 'NATS' as const,
            // A NATS restart must not drop the cluster: keep reconnecting forever.
            options: { url: config.cluster.transporter, maxReconnectAttempts: -1, reconnectTimeWait: 500 },
          },
        }
      : {}),
    logger: { type: 'Console', options: { level: config.log.level, formatter: 'short', colors: false, moduleColors: false } },
    logLevel: config.log.level,
    validator: new TypeBoxValidator(),
    requestTimeout: config.cluster.requestTimeoutMs,
    heartbeatInterval: config.cluster.heartbeatIntervalSeconds,
    heartbeatTimeout: config.cluster.heartbeatTimeoutSeconds,
    retryPolicy: { enabled: false },
    metadata: { region: config.node.region, roles: config.node.roles },
    tracking: { enabled: true, shutdownTimeout: 5000 },
    // cli/cascade.ts handles SIGINT/SIGTERM itself (one orderly stop, then exit).
    skipProcessEventRegistration: true,
  };
}
