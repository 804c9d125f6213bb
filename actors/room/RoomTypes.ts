import type { GatewaySignal, ParticipantMessage } from '../../schemas/actors';
import type { EgressInfo, EgressMessage, EgressMessages } from '../../schemas/egress';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { ChatMessage, LeaveReason } from '../../schemas/signaling';
import type { Role } from '../../schemas/roles';

/** Settings a room is created with (REST or auto-creation from config defaults). */
export interface RoomSettings {
  name: string;
  maxParticipants: number;
  /** scrypt hash; undefined = no password. */
  passwordHash?: string;
  lobbyEnabled: boolean;
  locked: boolean;
  recordingEnabled: boolean;
  emptyTimeoutSeconds: number;
  chatHistory: number;
}

/** Where a participant's media goes. */
export interface Placement {
  nodeId: NodeId;
  region: string;
}

/**
 * Everything a Room does outside itself. The Moleculer shell implements these with broker calls;
 * unit tests implement them with plain objects. The room never awaits a participant actor (the
 * participant awaits the room), so these calls into participants are fire-and-forget.
 */
export interface RoomPorts {
  /** Send a notification to clients, through every gateway node. */
  signal(signal: Omit<GatewaySignal, 'roomId'>): void;
  /** Choose the media node for a joiner (no region hint: the region of its gateway node). */
  place(request: { region?: string; identity: string; gatewayNodeId?: NodeId }): Promise<Placement>;
  createParticipant(message: ParticipantMessage<'create'>): Promise<void>;
  /** Ask a participant actor to leave (kick, room close, duplicate identity). Not awaited. */
  removeParticipant(participantId: ParticipantId, nodeId: NodeId, reason: LeaveReason): void;
  /** Pause/resume a producer on its node (host muting someone else). */
  setProducerPaused(nodeId: NodeId, producerId: ProducerId, paused: boolean): Promise<void>;
  /** Make a producer on `from` consumable on `to` (cascade); no-op on one node. */
  ensureTrackOnNode(producerId: ProducerId, from: NodeId, to: NodeId): Promise<void>;
  /** Choose the node to run an egress job: one holding most of these tracks' nodes, if it can. */
  placeEgress(trackNodes: NodeId[]): Promise<NodeId>;
  /** A message to the egress actor on `nodeId`, awaited (start, stop). */
  egressCall<M extends 'start' | 'stop'>(nodeId: NodeId, action: M, message: EgressMessage<M>): Promise<EgressInfo>;
  /** A message to the egress actor on `nodeId`, not awaited; failures are logged. */
  egressCast<M extends keyof typeof EgressMessages>(nodeId: NodeId, action: M, message: EgressMessage<M>): void;
  /** Release the room's media on these nodes. */
  closeMedia(nodeIds: NodeId[]): Promise<void>;
  /** Persistence hooks (no-ops in memory). */
  sessionOpened(info: { participantId: ParticipantId; identity: string; name: string; role: Role; nodeId: NodeId; joinedAt: Date }): void;
  sessionClosed(info: { participantId: ParticipantId; reason: LeaveReason; leftAt: Date; sources: string[] }): void;
  chatSaved(message: ChatMessage): void;
  /** The empty-room timer fired or the room was closed: the host forgets it. */
  closed(roomId: RoomId, reason: string): void;
  /** The node is stopping: the host forgets the room without closing it. */
  suspended(roomId: RoomId): void;
  now(): Date;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}
