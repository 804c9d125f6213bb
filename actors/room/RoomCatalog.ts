import type { ChatMessage } from '../../schemas/signaling';
import type { RoomId } from '../../schemas/ids';
import type { Role } from '../../schemas/roles';
import type { LeaveReason } from '../../schemas/signaling';
import type { NodeId, ParticipantId } from '../../schemas/ids';
import type { RoomSettings } from './RoomTypes';

/**
 * Where rooms' settings come from and where their history goes. The in-memory catalog knows
 * nothing (rooms are created on join from config defaults); the persistent one (store/) knows
 * rooms created through the REST API and keeps sessions and chat across restarts.
 */
export interface RoomCatalog {
  /** Settings of a room created earlier (API), or undefined when unknown. */
  find(roomId: RoomId): Promise<{ settings: RoomSettings; chatHistory: ChatMessage[]; closed: boolean } | undefined>;
  /** A room was created on first join (auto-create). */
  created(roomId: RoomId, settings: RoomSettings): Promise<void>;
  closed(roomId: RoomId, reason: string): Promise<void>;
  sessionOpened(roomId: RoomId, info: { participantId: ParticipantId; identity: string; name: string; role: Role; nodeId: NodeId; joinedAt: Date }): Promise<void>;
  sessionClosed(roomId: RoomId, info: { participantId: ParticipantId; reason: LeaveReason; leftAt: Date; sources: string[] }): Promise<void>;
  chatSaved(roomId: RoomId, message: ChatMessage): Promise<void>;
  /** Open sessions of a room on a node that died: closed now (node_failed) and returned. */
  lostSessions(roomId: RoomId, nodeId: NodeId): Promise<{ participantId: ParticipantId; identity: string }[]>;
}

export class MemoryRoomCatalog implements RoomCatalog {
  async find(): Promise<undefined> {
    return undefined;
  }
  async created(): Promise<void> {}
  async closed(): Promise<void> {}
  async sessionOpened(): Promise<void> {}
  async sessionClosed(): Promise<void> {}
  async chatSaved(): Promise<void> {}
  async lostSessions(): Promise<[]> {
    return [];
  }
}
