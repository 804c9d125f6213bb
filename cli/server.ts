import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ServiceBroker } from 'moleculer';
import { PipeCascade } from '../actors/cluster/PipeCascade';
import { createEgressService } from '../actors/egress/egress.service';
import { createMediaService } from '../actors/media/media.service';
import { createParticipantService } from '../actors/participant/participant.service';
import { StoreRoomCatalog } from '../actors/room/StoreRoomCatalog';
import { openStore, type Store } from '../store';
import { createRoomService } from '../actors/room/room.service';
import { createWebhooksService } from '../actors/webhooks/webhooks.service';
import { loadConfig, type DeepPartial } from '../config/load';
import { createGatewayService } from '../gateway/gateway.service';
import { brokerOptions } from '../moleculer.config';
import { clusterParts } from './cluster';
import type { Config } from '../schemas/config';

export interface StartOptions {
  /** YAML config file (else $CASCADE_CONFIG). */
  configFile?: string;
  overrides?: DeepPartial<Config>;
}

export interface RunningServer {
  broker: ServiceBroker;
  store: Store;
  config: Config;
  /** http://host:port of the gateway, when this node runs one. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The checkout's root (where package.json is), from source or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root');
    dir = parent;
  }
  return dir;
}

/** Composition root: one node with the roles its config names. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig({ ...(options.configFile ? { file: options.configFile } : {}), ...(options.overrides ? { overrides: options.overrides } : {}) });
  const store = await openStore(config.database);
  const broker = new ServiceBroker(brokerOptions(config));
  const roles = new Set(config.node.roles);
  const cluster = clusterParts(config);

  if (roles.has('media')) broker.createService(createMediaService(config));
  broker.createService(
    createRoomService({
      config,
      store,
      directory: cluster.directory,
      catalog: new StoreRoomCatalog(store, config),
      placement: cluster.placement,
      cascade: new PipeCascade((nodeId, method, request) => broker.call(`media.${method}`, request, { nodeID: nodeId })),
    }),
  );
  broker.createService(createParticipantService());
  // Everywhere (job reads, failing a dead node's jobs); jobs run only with the media role too,
  // since ffmpeg reads RTP from this node's own routers.
  broker.createService(createEgressService({ config, store, runsJobs: roles.has('egress') && roles.has('media') }));
  // On every node: events are emitted balanced, so one instance in the cluster delivers each.
  broker.createService(createWebhooksService({ config, store }));
  if (roles.has('gateway')) broker.createService(createGatewayService({ config, publicDir: path.join(projectRoot(), 'dist', 'public') }));

  try {
    await broker.start();
  } catch (err) {
    await cluster.close();
    await store.close();
    throw err;
  }
  let url = '';
  let port = 0;
  if (roles.has('gateway')) {
    ({ url, port } = await broker.call<{ url: string; port: number }, Record<string, never>>('gateway.address', {}, { nodeID: broker.nodeID }));
  }
  await cluster.start(broker, url);
  const stop = async () => {
    await cluster.stop();
    await broker.stop();
    await cluster.close();
    await store.close();
  };
  return { broker, store, config, url, port, stop };
}
