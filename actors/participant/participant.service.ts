import type { Context, ServiceSchema } from 'moleculer';
import { GatewaySignalEvent, ParticipantMessages, RoomActions, type ParticipantMessage } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import type { ConsumerId, ParticipantId, ProducerId } from '../../schemas/ids';
import type { MediaEvents } from '../../schemas/media';
import { NODE_LOST_EVENT, type NodeLostPayload } from '../cluster/NodeDeathWatch';
import { brokerMediaPort } from '../media/brokerMediaPort';
import { EntityQueue } from '../shared/EntityQueue';
import { Participant } from './Participant';
import type { ParticipantPorts } from './ParticipantTypes';

/**
 * The `participant` service: hosts the participant actors of the rooms this node owns. Each
 * message runs in that participant's queue; callers address the owner node (`nodeID`).
 */
export function createParticipantService(): ServiceSchema {
  const participants = new EntityQueue<ParticipantId, Participant>();
  let ports: ParticipantPorts;

  function onParticipant<T>(ctx: Context<{ participantId: ParticipantId }>, task: (p: Participant) => Promise<T> | T): Promise<T> {
    return participants.run(ctx.params.participantId, task, () => new CascadeError('PARTICIPANT_NOT_FOUND'));
  }

  const action = <M extends keyof typeof ParticipantMessages>(
    message: M,
    handler: (ctx: Context<ParticipantMessage<M>>) => Promise<unknown>,
  ) => ({ params: ParticipantMessages[message], handler });

  return {
    name: 'participant',

    actions: {
      create: action('create', async (ctx) => {
        participants.add(ctx.params.participantId, new Participant(ctx.params, ports));
      }),
      createTransport: action('createTransport', (ctx) => onParticipant(ctx, (p) => p.createTransport(ctx.params.direction, ctx.params.sctp))),
      connectTransport: action('connectTransport', (ctx) =>
        onParticipant(ctx, async (p) => {
          await p.connectTransport(ctx.params.transportId, ctx.params.dtlsParameters);
          return {};
        }),
      ),
      restartIce: action('restartIce', (ctx) => onParticipant(ctx, (p) => p.restartIce(ctx.params.transportId))),
      produce: action('produce', (ctx) => onParticipant(ctx, (p) => p.produce(ctx.params))),
      closeProducer: action('closeProducer', (ctx) =>
        onParticipant(ctx, async (p) => {
          await p.closeProducer(ctx.params.producerId);
          return {};
        }),
      ),
      setMuted: action('setMuted', (ctx) =>
        onParticipant(ctx, async (p) => {
          await p.setMuted(ctx.params.producerId, ctx.params.muted);
          return {};
        }),
      ),
      consume: action('consume', (ctx) => onParticipant(ctx, (p) => p.consume(ctx.params.producerId))),
      resumeConsumer: action('resumeConsumer', (ctx) =>
        onParticipant(ctx, async (p) => {
          await p.resumeConsumer(ctx.params.consumerId);
          return {};
        }),
      ),
      setPreferredLayers: action('setPreferredLayers', (ctx) =>
        onParticipant(ctx, async (p) => {
          await p.setPreferredLayers(ctx.params.consumerId, ctx.params.spatialLayer, ctx.params.temporalLayer);
          return {};
        }),
      ),
      produceData: action('produceData', (ctx) => onParticipant(ctx, (p) => p.produceData(ctx.params))),
      consumeData: action('consumeData', (ctx) => onParticipant(ctx, (p) => p.consumeData())),
      listByRoom: action('listByRoom', async (ctx) =>
        [...participants.values()].filter((p) => p.roomId === ctx.params.roomId && !p.closed).map((p) => p.snapshot()),
      ),
      leave: action('leave', async (ctx) => {
        // Leaving an unknown participant is not an error: it already left.
        if (!participants.has(ctx.params.participantId)) return {};
        await onParticipant(ctx, (p) => p.leave(ctx.params.reason));
        participants.delete(ctx.params.participantId);
        return {};
      }),
    },

    events: {
      /** Their signaling node died: nobody will ever send these participants' leave. */
      [NODE_LOST_EVENT](ctx: Context<NodeLostPayload>) {
        const dead = ctx.params.nodeId;
        for (const p of [...participants.values()]) {
          if (p.gatewayNodeId !== dead) continue;
          void participants
            .run(p.id, (q) => q.leave('disconnected'), () => new Error('gone'))
            .then(() => participants.delete(p.id))
            .catch(() => undefined);
        }
      },
      'media.consumerClosed'(ctx: Context<MediaEvents['consumerClosed']>) {
        const id = ctx.params.participantId as ParticipantId;
        if (!participants.has(id)) return;
        void participants
          .run(id, (p) => p.consumerClosed(ctx.params.consumerId as ConsumerId, ctx.params.producerId as ProducerId), () => new Error('gone'))
          .catch(() => undefined);
      },
      'media.dataRejected'(ctx: Context<MediaEvents['dataRejected']>) {
        const id = ctx.params.participantId as ParticipantId;
        if (!participants.has(id)) return;
        void participants.run(id, (p) => p.dataRejected(ctx.params.code, ctx.params.message), () => new Error('gone')).catch(() => undefined);
      },
      'media.producerClosed'(ctx: Context<MediaEvents['producerClosed']>) {
        const id = ctx.params.participantId as ParticipantId;
        if (!participants.has(id)) return;
        void participants.run(id, (p) => p.producerClosed(ctx.params.producerId as ProducerId), () => new Error('gone')).catch(() => undefined);
      },
    },

    created() {
      const broker = this.broker;
      ports = {
        media: brokerMediaPort(broker),
        room: {
          trackPublished: async (roomId, nodeId, track) => {
            await broker.call(RoomActions.trackPublished, { roomId, nodeId, track });
          },
          trackUnpublished: async (roomId, participantId, producerId) => {
            await broker.call(RoomActions.trackUnpublished, { roomId, participantId, producerId });
          },
          trackMuted: async (roomId, participantId, producerId, muted) => {
            await broker.call(RoomActions.trackMuted, { roomId, participantId, producerId, muted });
          },
          locateTrack: (roomId, producerId, nodeId) => broker.call(RoomActions.locateTrack, { roomId, producerId, nodeId }),
          leave: async (roomId, participantId, reason) => {
            await broker.call(RoomActions.leave, { roomId, participantId, reason });
          },
        },
        signal: (signal) => void broker.broadcast(GatewaySignalEvent, signal, { groups: ['gateway'] }),
      };
    },

    async stopped() {
      // Their media goes with this node: their clients rejoin on another one at once, while the
      // room (kept by its owner, or handed over if that is this node) keeps everyone else.
      for (const p of participants.values()) {
        if (!p.closed) ports.signal({ roomId: p.roomId, to: [p.id], event: 'reconnect', data: { reason: 'server_shutdown' }, disconnect: true });
      }
      await Promise.allSettled([...participants.values()].map((p) => p.leave('server_shutdown')));
    },
  };
}
