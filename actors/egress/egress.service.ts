import type { Context, ServiceSchema } from 'moleculer';
import { RoomActions } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import type { Config } from '../../schemas/config';
import { EgressMessages, isFinalEgressState, type EgressInfo, type EgressMessage } from '../../schemas/egress';
import type { NodeId } from '../../schemas/ids';
import type { Store } from '../../store';
import { NODE_LOST_EVENT, type NodeLostPayload } from '../cluster/NodeDeathWatch';
import { webhookEmitter } from '../webhooks/emitWebhook';
import { brokerEgressPort } from './brokerEgressPort';
import { EgressHost } from './EgressHost';
import { egressInfoOf } from './egressInfo';

/**
 * The `egress` service, on every node: reads of stored jobs for the REST API, and failing the
 * jobs of a node that died, need no ffmpeg and must work when every egress node is gone. Jobs
 * themselves run only where `runsJobs` (the egress and media roles: ffmpeg reads RTP from this
 * node's routers; tracks published elsewhere are piped here by the room). Placement picks those
 * nodes by their roles, and `start` refuses anywhere else.
 */
export function createEgressService(deps: { config: Config; store: Store; runsJobs: boolean }): ServiceSchema {
  let host: EgressHost;

  const action = <M extends keyof typeof EgressMessages>(message: M, handler: (ctx: Context<EgressMessage<M>>) => Promise<unknown> | unknown) => ({
    params: EgressMessages[message],
    handler,
  });

  return {
    name: 'egress',
    ...(deps.runsJobs ? { dependencies: ['media'] } : {}),

    actions: {
      start: action('start', (ctx) => {
        if (!deps.runsJobs) throw new CascadeError('EGRESS_UNAVAILABLE', 'This node does not run egress jobs (it needs the egress and media roles)');
        return host.start(ctx.params);
      }),
      stop: action('stop', (ctx) => host.stop(ctx.params.egressId, ctx.params.reason)),
      addTrack: action('addTrack', (ctx) => void host.addTrack(ctx.params)),
      removeTrack: action('removeTrack', (ctx) => void host.removeTrack(ctx.params)),
      roomClosed: action('roomClosed', (ctx) => void host.roomClosed(ctx.params.egressId)),
      listByRoom: action('listByRoom', (ctx) => host.listByRoom(ctx.params.roomId)),
      find: action('find', async (ctx) => {
        const record = await deps.store.egress.require(ctx.params.egressId);
        return egressInfoOf(record, await deps.store.recordings.listByEgress([record.id]));
      }),
      list: action('list', async (ctx) => {
        const { roomId, state, limit } = ctx.params;
        const records = await deps.store.egress.list(roomId, { ...(state ? { statuses: [state] } : {}), limit: limit ?? 100 });
        const files = await deps.store.recordings.listByEgress(records.map((r) => r.id));
        return records.map((record) => egressInfoOf(record, files));
      }),
    },

    events: {
      [NODE_LOST_EVENT](ctx: Context<NodeLostPayload>) {
        const dead = ctx.params.nodeId;
        void host.failOrphans(dead, `node ${dead} running the job died`).catch((err: Error) => this.logger.warn('failing egress jobs of a dead node failed:', err.message));
      },
    },

    created() {
      const logger = this.broker.getLogger('egress');
      host = new EgressHost({
        nodeId: this.broker.nodeID as NodeId,
        config: deps.config.egress,
        store: deps.store,
        media: brokerEgressPort(this.broker),
        notifyRoom: (info: EgressInfo) => {
          this.broker.call(RoomActions.egressUpdated, { roomId: info.roomId, info }).catch((err: unknown) => {
            // A closed room has nobody left to tell; anything else is worth a line.
            const code = (err as { type?: string }).type;
            if (!isFinalEgressState(info.state) || (code !== 'ROOM_NOT_FOUND' && code !== 'ROOM_CLOSED')) logger.debug(`egress ${info.id}: room not told: ${(err as Error).message}`);
          });
        },
        webhook: webhookEmitter(this.broker),
        log: (level, message) => logger[level](message),
      });
    },

    async started() {
      // Jobs this node was running when it last died (same node id) can never finish: fail them.
      await host.failOrphans(this.broker.nodeID as NodeId, 'the node running the job restarted').catch((err: Error) =>
        this.logger.warn('failing orphaned egress jobs failed:', err.message),
      );
    },

    async stopped() {
      await host.stopAll('node_shutdown');
    },
  };
}
