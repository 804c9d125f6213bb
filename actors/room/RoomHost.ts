import type { ServiceBroker } from 'moleculer';
import { GatewaySignalEvent, ParticipantActions, type GatewaySignal, type ParticipantSnapshot } from '../../schemas/actors';
import type { Config } from '../../schemas/config';
import { EgressActions, type EgressInfo } from '../../schemas/egress';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { LeaveReason } from '../../schemas/signaling';
import type { RoomDirectory } from '../cluster/RoomDirectory';
import type { PlacementPolicy } from '../cluster/Placement';
import type { TrackCascade } from '../cluster/TrackCascade';
import { EntityQueue } from '../shared/EntityQueue';
import { placeEgress } from '../egress/placeEgress';
import { webhookEmitter } from '../webhooks/emitWebhook';
import { RoomWebhooks } from '../webhooks/RoomWebhooks';
import { Room } from './Room';
import type { RoomCatalog } from './RoomCatalog';
import type { RoomPorts, RoomSettings } from './RoomTypes';

export interface RoomHostDeps {
  broker: ServiceBroker;
  config: Config;
  directory: RoomDirectory;
  catalog: RoomCatalog;
  placement: PlacementPolicy;
  cascade: TrackCascade;
}

/**
 * Hosts the rooms this node owns and routes each message to its room's queue. A message for a
 * room owned by another node is forwarded there (`forward`), so any gateway can take any call.
 */
export class RoomHost {
  readonly #deps: RoomHostDeps;
  readonly #rooms = new EntityQueue<RoomId, Room>();
  /** Rooms being created right now: a second join waits for the first instead of racing it. */
  readonly #creating = new Map<RoomId, Promise<Room>>();
  /**
   * Rooms being rebuilt after a failover: their messages wait until the surviving members are
   * restored, or a participant rejoining at once would find an empty room and never learn of
   * the others (restored members are not announced).
   */
  readonly #restoring = new Map<RoomId, Promise<void>>();
  /** Each hosted room's webhook events (room/participant/track), fed by its ports. */
  readonly #webhooks = new Map<RoomId, RoomWebhooks>();

  constructor(deps: RoomHostDeps) {
    this.#deps = deps;
  }

  get nodeId(): NodeId {
    return this.#deps.broker.nodeID as NodeId;
  }

  get rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  local(roomId: RoomId): Room | undefined {
    return this.#rooms.get(roomId);
  }

  /**
   * Runs `task` on the room if this node owns it; returns `{forward: owner}` when another node
   * does. `create` allows creating it (joins); other messages for an unknown room fail.
   */
  async run<T>(roomId: RoomId, task: (room: Room) => Promise<T> | T, create = false): Promise<{ value: T } | { forward: NodeId }> {
    if (!this.#rooms.has(roomId)) {
      const owner = await this.#deps.directory.owner(roomId);
      if (owner && owner !== this.nodeId) return { forward: owner };
      if (!owner && !create) throw new CascadeError('ROOM_NOT_FOUND');
      const claimed = create ? await this.#deps.directory.claim(roomId, this.nodeId) : owner;
      if (claimed !== this.nodeId) return { forward: claimed as NodeId };
      await this.#ensure(roomId);
    }
    await this.#restoring.get(roomId);
    const value = await this.#rooms.run(roomId, task, () => new CascadeError('ROOM_NOT_FOUND'));
    return { value };
  }

  /**
   * Hosts a room whose previous owner died (this node won the takeover): settings from the
   * catalog, members from the participant actors that survived on live nodes, and a
   * participant_left for everyone whose media was on the dead node. `handover`: the previous
   * owner is stopping and has already told everyone who left with it.
   */
  async adopt(roomId: RoomId, deadNodeId: NodeId, liveNodeIds: NodeId[], options: { handover?: boolean } = {}): Promise<void> {
    let restored = () => undefined as void;
    this.#restoring.set(roomId, new Promise<void>((resolve) => (restored = resolve)));
    try {
      await this.#rebuild(roomId, deadNodeId, liveNodeIds, options.handover ?? false);
    } finally {
      this.#restoring.delete(roomId);
      restored();
    }
  }

  async #rebuild(roomId: RoomId, deadNodeId: NodeId, liveNodeIds: NodeId[], handover: boolean): Promise<void> {
    // All at once: participants rejoining right after a failure wait for this.
    const [room, snapshots, egress, closed] = await Promise.all([
      this.#ensure(roomId),
      Promise.all(
        liveNodeIds.map((nodeID) =>
          this.#deps.broker.call<ParticipantSnapshot[], { roomId: RoomId }>(ParticipantActions.listByRoom, { roomId }, { nodeID }).catch(() => []),
        ),
      ),
      Promise.all(
        liveNodeIds.map((nodeID) => this.#deps.broker.call<EgressInfo[], { roomId: RoomId }>(EgressActions.listByRoom, { roomId }, { nodeID }).catch(() => [])),
      ),
      this.#deps.catalog.lostSessions(roomId, deadNodeId),
    ]);
    // A stopping node handing the room over has announced its own participants' departure itself
    // (the sessions are closed here all the same, in case its writes did not make it).
    const lost = handover ? [] : closed;
    await this.#rooms.run(
      roomId,
      () => {
        room.restore(snapshots.flat());
        room.restoreEgress(egress.flat());
        room.forget(lost, 'node_failed');
        this.#webhooks.get(roomId)?.restored(snapshots.flat(), lost);
      },
      () => new CascadeError('ROOM_NOT_FOUND'),
    );
  }

  /** Stops hosting a room another node now owns (our lease was lost), without telling anyone. */
  drop(roomId: RoomId): void {
    this.#rooms.delete(roomId);
    this.#webhooks.delete(roomId);
  }

  /** Node shutdown: every room is suspended (clients reconnect later; nothing is closed). */
  suspendAll(): void {
    for (const room of this.#rooms.values()) room.suspend();
  }

  async #ensure(roomId: RoomId): Promise<Room> {
    const existing = this.#rooms.get(roomId);
    if (existing) return existing;
    let pending = this.#creating.get(roomId);
    if (!pending) {
      pending = this.#create(roomId).finally(() => this.#creating.delete(roomId));
      this.#creating.set(roomId, pending);
    }
    return pending;
  }

  async #create(roomId: RoomId): Promise<Room> {
    const { catalog, config } = this.#deps;
    const known = await catalog.find(roomId);
    if (known?.closed) {
      await this.#deps.directory.release(roomId, this.nodeId);
      throw new CascadeError('ROOM_CLOSED');
    }
    if (!known && !config.room.autoCreate) {
      await this.#deps.directory.release(roomId, this.nodeId);
      throw new CascadeError('ROOM_NOT_FOUND');
    }
    const settings: RoomSettings = known?.settings ?? {
      name: roomId,
      maxParticipants: config.room.maxParticipants,
      lobbyEnabled: false,
      locked: false,
      recordingEnabled: true,
      emptyTimeoutSeconds: config.room.emptyTimeoutSeconds,
      chatHistory: config.room.chatHistory,
    };
    if (config.auth.mode === 'lobby') settings.lobbyEnabled = true;
    const room = new Room(roomId, settings, this.nodeId, this.#ports(roomId));
    if (known) room.loadChatHistory(known.chatHistory);
    else await catalog.created(roomId, settings);
    this.#rooms.add(roomId, room);
    return room;
  }

  #ports(roomId: RoomId): RoomPorts {
    const { broker, catalog, placement, cascade } = this.#deps;
    const logger = broker.getLogger('room');
    const logFailure = (what: string) => (err: unknown) => logger.warn(`${what} failed in room ${roomId}:`, (err as Error).message);
    // History writes of one room go out in order (a session's close never overtakes its open),
    // without making the room wait for the database.
    let writes: Promise<unknown> = Promise.resolve();
    const persist = (what: string, write: () => Promise<unknown>) => {
      writes = writes.then(write).catch(logFailure(what));
    };
    const webhooks = new RoomWebhooks(roomId, webhookEmitter(broker), () => this.#rooms.get(roomId)?.info());
    this.#webhooks.set(roomId, webhooks);
    return {
      signal: (signal: Omit<GatewaySignal, 'roomId'>) => {
        void broker.broadcast(GatewaySignalEvent, { ...signal, roomId }, { groups: ['gateway'] });
        webhooks.signal(signal);
      },
      place: ({ gatewayNodeId, ...request }) => {
        // The room's owner places for every gateway: the joiner's region defaults to its gateway's.
        const region: unknown = gatewayNodeId ? broker.registry.nodes.get(gatewayNodeId)?.metadata?.region : undefined;
        return placement.place({ ...request, ...(gatewayNodeId && typeof region === 'string' ? { gateway: { nodeId: gatewayNodeId, region } } : {}) });
      },
      // A participant actor lives on its media node: its media calls stay local, and it dies with
      // its media, not with the room's owner.
      createParticipant: async (message) => {
        await broker.call(ParticipantActions.create, message, { nodeID: message.mediaNodeId });
      },
      removeParticipant: (participantId: ParticipantId, nodeId: NodeId, reason: LeaveReason) => {
        broker.call(ParticipantActions.leave, { participantId, reason }, { nodeID: nodeId }).catch(logFailure('participant.leave'));
      },
      setProducerPaused: async (nodeId: NodeId, producerId: ProducerId, paused: boolean) => {
        await broker.call(paused ? 'media.pauseProducer' : 'media.resumeProducer', { producerId }, { nodeID: nodeId });
      },
      ensureTrackOnNode: (producerId, from, to) => cascade.ensure(roomId, producerId, from, to),
      placeEgress: async (trackNodes) => placeEgress(broker, trackNodes),
      egressCall: (nodeId, action, message) => broker.call(EgressActions[action], message, { nodeID: nodeId }),
      egressCast: (nodeId, action, message) => {
        broker.call(EgressActions[action], message, { nodeID: nodeId }).catch(logFailure(EgressActions[action]));
      },
      closeMedia: async (nodeIds: NodeId[]) => {
        cascade.roomClosed(roomId);
        await Promise.allSettled(nodeIds.map((nodeID) => broker.call('media.closeRoom', { roomId }, { nodeID })));
      },
      sessionOpened: (info) => {
        logger.info(`room ${roomId}: ${info.identity} joined as ${info.role} on ${info.nodeId} (${info.participantId})`);
        persist('session save', () => catalog.sessionOpened(roomId, info));
        webhooks.joined(info);
      },
      sessionClosed: (info) => {
        logger.info(`room ${roomId}: ${info.participantId} left (${info.reason})`);
        persist('session close', () => catalog.sessionClosed(roomId, info));
        webhooks.left(info);
      },
      chatSaved: (message) => persist('chat save', () => catalog.chatSaved(roomId, message)),
      closed: (id: RoomId, reason: string) => {
        this.#rooms.delete(id);
        logger.info(`room ${id} closed (${reason})`);
        persist('room close', () => catalog.closed(id, reason));
        webhooks.finished(reason);
        this.#webhooks.delete(id);
        void this.#deps.directory.release(id, this.nodeId).catch(logFailure('release'));
      },
      suspended: (id: RoomId) => {
        this.#rooms.delete(id);
        this.#webhooks.delete(id);
        void this.#deps.directory.release(id, this.nodeId).catch(logFailure('release'));
      },
      now: () => new Date(),
      setTimer: (fn: () => void, ms: number) => {
        const timer = setTimeout(() => {
          // The timer's work is a room message too: run it in the room's queue.
          void this.#rooms.run(roomId, () => fn(), () => new CascadeError('ROOM_NOT_FOUND')).catch(() => undefined);
        }, ms);
        timer.unref();
        return { cancel: () => clearTimeout(timer) };
      },
    };
  }
}
