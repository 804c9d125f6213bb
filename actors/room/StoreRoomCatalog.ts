import type { Config } from '../../schemas/config';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import type { ChatMessage, LeaveReason } from '../../schemas/signaling';
import type { TrackSource } from '../../schemas/media';
import { toChatMessage, type NewSession, type Store } from '../../store';
import { TickBatch } from '../shared/TickBatch';
import type { RoomCatalog } from './RoomCatalog';
import type { RoomSettings } from './RoomTypes';

/**
 * RoomCatalog over the typeorm store: rooms created through the API keep their settings, and
 * sessions and chat outlive a restart. A participant's session row uses the participant id.
 */
export class StoreRoomCatalog implements RoomCatalog {
  readonly #store: Store;
  readonly #config: Config;
  /** Session rows of the joins of one event-loop turn, in every room, go out as one INSERT. */
  readonly #opens: TickBatch<NewSession>;

  constructor(store: Store, config: Config) {
    this.#store = store;
    this.#config = config;
    this.#opens = new TickBatch((sessions) => store.sessions.openMany(sessions));
  }

  async find(roomId: RoomId): Promise<{ settings: RoomSettings; chatHistory: ChatMessage[]; closed: boolean } | undefined> {
    let room = await this.#store.rooms.get(roomId);
    if (!room) return undefined;
    if (room.status === 'closed' && this.#config.room.autoCreate && room.name === roomId) {
      // An auto-created room (its name is its id) comes back on the next join.
      room = await this.#store.rooms.reopen(roomId);
    }
    const history = await this.#store.chat.lastN(roomId, this.#config.room.chatHistory);
    return {
      closed: room.status === 'closed',
      chatHistory: history.filter((m) => !m.toIdentity).map(toChatMessage),
      settings: {
        name: room.name,
        maxParticipants: room.maxParticipants,
        ...(room.passwordHash ? { passwordHash: room.passwordHash } : {}),
        lobbyEnabled: room.lobbyEnabled,
        locked: room.locked,
        recordingEnabled: room.recordingEnabled,
        emptyTimeoutSeconds: room.emptyTimeoutSeconds,
        chatHistory: this.#config.room.chatHistory,
      },
    };
  }

  async created(roomId: RoomId, settings: RoomSettings): Promise<void> {
    await this.#store.rooms.create({
      id: roomId,
      name: settings.name,
      maxParticipants: settings.maxParticipants,
      emptyTimeoutSeconds: settings.emptyTimeoutSeconds,
      lobbyEnabled: settings.lobbyEnabled,
      locked: settings.locked,
      recordingEnabled: settings.recordingEnabled,
    });
  }

  async closed(roomId: RoomId): Promise<void> {
    await this.#store.rooms.markClosed(roomId);
  }

  async sessionOpened(roomId: RoomId, info: { participantId: ParticipantId; identity: string; name: string; role: Role; nodeId: NodeId; joinedAt: Date }): Promise<void> {
    await this.#opens.add({ id: info.participantId, roomId, ...info });
  }

  async sessionClosed(_roomId: RoomId, info: { participantId: ParticipantId; reason: LeaveReason; leftAt: Date; sources: string[] }): Promise<void> {
    if (info.sources.length > 0) await this.#store.sessions.updateTracks(info.participantId, info.sources as TrackSource[]);
    await this.#store.sessions.close(info.participantId, info.leftAt, info.reason);
  }

  async lostSessions(roomId: RoomId, nodeId: NodeId): Promise<{ participantId: ParticipantId; identity: string }[]> {
    const open = (await this.#store.sessions.listByRoom(roomId, { activeOnly: true })).filter((s) => s.nodeId === nodeId);
    const now = new Date();
    for (const session of open) await this.#store.sessions.close(session.id, now, 'node_failed');
    return open.map((s) => ({ participantId: s.participantId, identity: s.identity }));
  }

  async chatSaved(roomId: RoomId, message: ChatMessage): Promise<void> {
    await this.#store.chat.append({
      id: message.id,
      roomId,
      fromIdentity: message.from.identity,
      fromName: message.from.name,
      toIdentity: message.to ?? null,
      text: message.text,
      createdAt: new Date(message.ts),
    });
  }
}
