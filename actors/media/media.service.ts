import { Type } from '@sinclair/typebox';
import type { Context, ServiceSchema } from 'moleculer';
import { RoomIdSchema } from '../../schemas/ids';
import type { Config } from '../../schemas/config';
import { MediaRequests, type MediaEvents } from '../../schemas/media';
import { MediaNode } from '../../media';

type MediaMethod = keyof typeof MediaRequests;

/**
 * The `media` service: this node's MediaNode behind Moleculer actions named after MediaRequests
 * (`media.createWebRtcTransport`, …). Callers address a node with `nodeID`. Media events are
 * broadcast with this node's id so the owning actors, wherever they run, can react.
 */
export function createMediaService(config: Config): ServiceSchema {
  let node: MediaNode | undefined;

  const required = (): MediaNode => {
    if (!node) throw new Error('media node not started');
    return node;
  };

  const actions: ServiceSchema['actions'] = {};
  for (const method of Object.keys(MediaRequests) as MediaMethod[]) {
    actions[method] = {
      params: MediaRequests[method],
      handler: async (ctx: Context<Record<string, unknown>>) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const result = await (required()[method] as (request: any) => unknown).call(node, ctx.params);
        return result ?? {};
      },
    };
  }
  actions.stats = { handler: async () => required().stats() };
  // Byte counters per producer, consumer and pipe (cascade tests, benchmarks, monitoring).
  actions.roomStats = {
    params: Type.Object({ roomId: Type.Optional(RoomIdSchema) }),
    handler: async (ctx: Context<{ roomId?: string }>) => required().roomStats(ctx.params),
  };

  return {
    name: 'media',
    actions,

    async started() {
      const nodeId = this.broker.nodeID;
      node = await MediaNode.create({
        workerBin: config.mediasoup.workerBin,
        numWorkers: config.mediasoup.workers,
        logLevel: config.mediasoup.logLevel,
        listenIp: config.rtc.listenIp,
        announcedIp: config.rtc.announcedIp,
        webRtcServerPort: config.rtc.port,
        enableTcp: config.rtc.enableTcp,
        rtcMinPort: config.rtc.minPort,
        rtcMaxPort: config.rtc.maxPort,
        codecs: config.codecs,
        initialOutgoingBitrate: config.mediasoup.initialOutgoingBitrate,
        activeSpeakerIntervalMs: config.room.activeSpeakerIntervalMs,
      });
      const forward = (event: string) => (payload: object) => void this.broker.broadcast(`media.${event}`, { ...payload, nodeId });
      node.on('consumerClosed', forward('consumerClosed'));
      node.on('producerClosed', forward('producerClosed'));
      node.on('activeSpeaker', forward('activeSpeaker'));
      node.on('mirrorIdle', forward('mirrorIdle'));
      node.on('pipeConsumerClosed', forward('pipeConsumerClosed'));
      node.on('workerDied', (payload: MediaEvents['workerDied']) => {
        this.logger.error(`mediasoup worker ${payload.pid} died (${payload.error}); rooms affected: ${payload.roomIds.length}`);
        forward('workerDied')(payload);
      });
    },

    async stopped() {
      await node?.close();
      node = undefined;
    },
  };
}
