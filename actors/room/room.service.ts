import type { Context, ServiceSchema } from 'moleculer';
import { RoomActions, RoomAdminMessages, RoomMessages, type RoomAdminMessage, type RoomMessage } from '../../schemas/actors';
import type { Store } from '../../store';
import { RoomAdmin } from './RoomAdmin';
import { Failover } from '../cluster/Failover';
import { Handover } from '../cluster/Handover';
import { NODE_LOST_EVENT, type NodeLostPayload } from '../cluster/NodeDeathWatch';
import { RoomLeaseKeeper, type LeasedRoomDirectory } from '../cluster/RedisRoomDirectory';
import type { RoomDirectory } from '../cluster/RoomDirectory';

function isLeased(directory: RoomDirectory): directory is LeasedRoomDirectory {
  return 'takeOver' in directory && 'roomsOf' in directory;
}
import type { MediaEvents } from '../../schemas/media';
import type { NodeId, ProducerId, RoomId } from '../../schemas/ids';
import { RoomHost, type RoomHostDeps } from './RoomHost';
import type { Room } from './Room';

/**
 * How long a call waits, in all, for a dead or stopping owner's room to move: 30 × 100 ms. Short
 * steps: a participant told to reconnect rejoins within milliseconds, while the takeover runs.
 */
const OWNER_GONE_RETRIES = 30;
const OWNER_GONE_RETRY_MS = 100;

/** The forward failed because the owner node itself is gone (not because of what it answered). */
function ownerGone(err: unknown, owner: NodeId): boolean {
  const e = err as { type?: string; data?: { nodeID?: string } };
  return (e.type === 'SERVICE_NOT_FOUND' || e.type === 'SERVICE_NOT_AVAILABLE') && e.data?.nodeID === owner;
}

/**
 * The `room` service: a thin Moleculer shell around RoomHost/Room. Each action validates its
 * params (TypeBox schema from schemas/actors.ts), then runs in the room's queue on its owner node.
 */
export function createRoomService(deps: Omit<RoomHostDeps, 'broker'> & { store: Store }): ServiceSchema {
  let host: RoomHost;
  let roomAdmin: RoomAdmin;
  let failover: Failover;
  let handover: Handover | undefined;
  let leases: RoomLeaseKeeper | undefined;

  /**
   * Run on the owner; forward the same action there when another node owns the room. An owner
   * that has just died still holds the room in the directory until a survivor takes it over
   * (Failover, within milliseconds of the node-disconnect): ask the directory again meanwhile.
   */
  async function onRoom<T>(ctx: Context<{ roomId: RoomId }>, task: (room: Room) => Promise<T> | T, create = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const result = await host.run(ctx.params.roomId, task, create);
      if ('value' in result) return result.value;
      try {
        return await ctx.call<T, unknown>(ctx.action!.name!, ctx.params, { nodeID: result.forward });
      } catch (err) {
        if (attempt >= OWNER_GONE_RETRIES || !ownerGone(err, result.forward)) throw err;
        await new Promise((resolve) => setTimeout(resolve, OWNER_GONE_RETRY_MS));
      }
    }
  }

  const action = <M extends keyof typeof RoomMessages>(
    message: M,
    handler: (ctx: Context<RoomMessage<M>>) => Promise<unknown>,
  ) => ({ params: RoomMessages[message], handler });

  const admin = <M extends keyof typeof RoomAdminMessages>(
    message: M,
    handler: (ctx: Context<RoomAdminMessage<M>>) => Promise<unknown>,
  ) => ({ params: RoomAdminMessages[message], handler });

  return {
    name: 'room',

    actions: {
      join: action('join', (ctx) => onRoom(ctx, (room) => room.join(ctx.params), true)),
      leave: action('leave', (ctx) => onRoom(ctx, (room) => room.leave(ctx.params.participantId, ctx.params.reason))),
      chat: action('chat', (ctx) => onRoom(ctx, (room) => room.chat(ctx.params.participantId, ctx.params.text, ctx.params.to))),
      kick: action('kick', (ctx) => onRoom(ctx, (room) => room.kick(ctx.params.actor, ctx.params.identity))),
      muteParticipant: action('muteParticipant', (ctx) =>
        onRoom(ctx, (room) => room.muteParticipant(ctx.params.actor, ctx.params.identity, ctx.params.source)),
      ),
      close: action('close', (ctx) => onRoom(ctx, (room) => room.close(ctx.params.actor, ctx.params.reason))),
      get: action('get', (ctx) => onRoom(ctx, (room) => room.info())),
      members: action('members', (ctx) => onRoom(ctx, (room) => room.members().map((m) => m.info()))),
      create: admin('create', (ctx) => roomAdmin.create(ctx.params)),
      find: admin('find', (ctx) => roomAdmin.find(ctx.params.roomId)),
      closeStored: admin('close', (ctx) => roomAdmin.closeStored(ctx.params.roomId)),
      listStored: admin('list', (ctx) => roomAdmin.list(ctx.params)),
      participants: admin('participants', (ctx) => roomAdmin.participants(ctx.params.roomId)),
      stats: admin('stats', () => roomAdmin.clusterStats()),
      localStats: admin('localStats', async () => roomAdmin.localStats()),
      setLocked: action('setLocked', (ctx) => onRoom(ctx, (room) => room.setLocked(ctx.params.actor, ctx.params.locked))),
      lobbyAdmit: action('lobbyAdmit', (ctx) => onRoom(ctx, (room) => room.lobbyAdmit(ctx.params.actor, ctx.params.identity))),
      lobbyReject: action('lobbyReject', (ctx) =>
        onRoom(ctx, (room) => room.lobbyReject(ctx.params.actor, ctx.params.identity, ctx.params.reason)),
      ),
      lobbyAdmitAll: action('lobbyAdmitAll', (ctx) => onRoom(ctx, async (room) => ({ admitted: await room.lobbyAdmitAll(ctx.params.actor) }))),
      trackPublished: action('trackPublished', (ctx) => onRoom(ctx, (room) => room.trackPublished(ctx.params.nodeId, ctx.params.track))),
      trackUnpublished: action('trackUnpublished', (ctx) =>
        onRoom(ctx, (room) => room.trackUnpublished(ctx.params.participantId, ctx.params.producerId)),
      ),
      trackMuted: action('trackMuted', (ctx) =>
        onRoom(ctx, (room) => room.trackMuted(ctx.params.participantId, ctx.params.producerId, ctx.params.muted, ctx.params.by)),
      ),
      locateTrack: action('locateTrack', (ctx) => onRoom(ctx, (room) => room.locateTrack(ctx.params.producerId, ctx.params.nodeId))),
      // Addressed to this node by a stopping owner: not routed to the room's owner like the rest.
      adopt: action('adopt', (ctx) => failover.adopt(ctx.params.roomId, ctx.params.fromNodeId)),
      // A stored room nobody has joined yet can be recorded: the job waits for its first track.
      startEgress: action('startEgress', (ctx) => onRoom(ctx, (room) => room.startEgress(ctx.params.actor, ctx.params.request), true)),
      stopEgress: action('stopEgress', (ctx) => onRoom(ctx, (room) => room.stopEgress(ctx.params.actor, ctx.params.kind, ctx.params.egressId))),
      egressUpdated: action('egressUpdated', (ctx) => onRoom(ctx, (room) => room.egressUpdated(ctx.params.info))),
    },

    events: {
      [NODE_LOST_EVENT](ctx: Context<NodeLostPayload>) {
        void failover.nodeLost(ctx.params.nodeId).catch((err: Error) => this.logger.error('failover failed:', err.message));
      },
      'media.activeSpeaker'(ctx: Context<MediaEvents['activeSpeaker']>) {
        const room = host.local(ctx.params.roomId as RoomId);
        if (room) void host.run(room.id, (r) => r.activeSpeaker(ctx.params.producerId as ProducerId)).catch(() => undefined);
      },
      'media.mirrorIdle'(ctx: Context<MediaEvents['mirrorIdle'] & { nodeId: NodeId }>) {
        const roomId = ctx.params.roomId as RoomId;
        if (host.local(roomId)) void host.run(roomId, () => deps.cascade.release(roomId, ctx.params.producerId as ProducerId, ctx.params.nodeId)).catch(() => undefined);
      },
      'media.pipeConsumerClosed'(ctx: Context<{ roomId: string; producerId: string; remoteNodeId: string }>) {
        const roomId = ctx.params.roomId as RoomId;
        if (host.local(roomId))
          void host.run(roomId, () => deps.cascade.originClosed(roomId, ctx.params.producerId as ProducerId, ctx.params.remoteNodeId as NodeId)).catch(() => undefined);
      },
      'media.workerDied'(ctx: Context<MediaEvents['workerDied'] & { nodeId: NodeId }>) {
        for (const roomId of ctx.params.roomIds) {
          if (host.local(roomId as RoomId)) void host.run(roomId as RoomId, (r) => r.mediaLost(ctx.params.nodeId, 'worker_died')).catch(() => undefined);
        }
      },
    },

    created() {
      host = new RoomHost({ ...deps, broker: this.broker });
      roomAdmin = new RoomAdmin(deps.store, deps.config, host, this.broker);
      const leased = isLeased(deps.directory) ? deps.directory : undefined;
      failover = new Failover(this.broker, host, leased, deps.cascade);
      if (leased) {
        handover = new Handover(this.broker, host, () => failover.liveNodes());
        leases = new RoomLeaseKeeper({
          directory: leased,
          nodeId: this.broker.nodeID as NodeId,
          rooms: () => host.rooms.map((room) => room.id),
          onLost: (lost) => {
            for (const roomId of lost) {
              this.logger.warn(`lost the lease of room ${roomId}: another node owns it now`);
              host.drop(roomId);
            }
          },
          onError: (err) => this.logger.warn('room lease renewal failed:', (err as Error).message),
        });
      }
    },

    started() {
      leases?.start();
    },

    async stopped() {
      await leases?.stop();
      // Clustered: live nodes adopt this node's rooms; whatever none took is suspended.
      await handover?.all();
      host.suspendAll();
    },
  };
}

export { RoomActions };
