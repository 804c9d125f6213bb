import { Type } from '@sinclair/typebox';
import type { Context, ServiceSchema } from 'moleculer';
import { RoomIdSchema } from '../../schemas/ids';
import type { Config } from '../../schemas/config';
import { DataMessageSchema, MediaRequests, type DataMessage, type MediaEvents } from '../../schemas/media';
import { validator } from '../../schemas/validate';
import { MediaNode } from '../../media';

type MediaMethod = keyof typeof MediaRequests;
const dataMessageValidator = validator(DataMessageSchema);

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
  // Data routing counters of one room on this node (tests, monitoring).
  actions.dataStats = {
    params: Type.Object({ roomId: RoomIdSchema }),
    handler: async (ctx: Context<{ roomId: string }>) => (await required().dataStats(ctx.params)) ?? null,
  };

  return {
    name: 'media',
    actions,

    events: {
      /**
       * A data message sent on another node: each node delivers it to its own receivers in the
       * room, so a message crosses to each other node once whatever the number of receivers.
       */
      'media.dataMessage'(ctx: Context<DataMessage & { nodeId: string }>) {
        const message: unknown = ctx.params;
        if (!node || ctx.params.nodeId === this.broker.nodeID) return;
        if (!dataMessageValidator.check(message)) {
          this.logger.warn(`media: malformed dataMessage from ${ctx.params.nodeId}`, dataMessageValidator.errors(message));
          return;
        }
        node.deliverData(message).catch((error: unknown) => this.logger.warn(`media: data message not delivered: ${String(error)}`));
      },
    },

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
        maxDataMessageBytes: config.room.maxDataMessageBytes,
      });
      const forward = (event: string) => (payload: object) => void this.broker.broadcast(`media.${event}`, { ...payload, nodeId });
      node.on('consumerClosed', forward('consumerClosed'));
      node.on('producerClosed', forward('producerClosed'));
      node.on('activeSpeaker', forward('activeSpeaker'));
      node.on('mirrorIdle', forward('mirrorIdle'));
      node.on('pipeConsumerClosed', forward('pipeConsumerClosed'));
      node.on('dataMessage', forward('dataMessage'));
      node.on('dataRejected', forward('dataRejected'));
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
