import type { EgressEndReason, EgressFile, EgressKind, EgressState as EgressStatus } from '../schemas/egress';
import type { EgressId, NodeId, ParticipantId, RoomId } from '../schemas/ids';
import type { TrackSource } from '../schemas/media';
import type { Role } from '../schemas/roles';
import type { LeaveReason } from '../schemas/signaling';

/**
 * What the repositories return: plain objects with ISO-8601 timestamps, never typeorm entity
 * instances, so callers can serialize them and cannot write through them by accident.
 */

export type RoomStatus = 'active' | 'closed';

export interface RoomRecord {
  id: RoomId;
  name: string;
  slug: string;
  status: RoomStatus;
  maxParticipants: number;
  /** scrypt hash (see store/password.ts); for verifyPassword() only, never sent to a client. */
  passwordHash: string | null;
  hasPassword: boolean;
  lobbyEnabled: boolean;
  locked: boolean;
  recordingEnabled: boolean;
  emptyTimeoutSeconds: number;
  createdAt: string;
  closedAt: string | null;
}

export interface SessionRecord {
  id: string;
  roomId: RoomId;
  participantId: ParticipantId;
  identity: string;
  name: string;
  role: Role;
  joinedAt: string;
  leftAt: string | null;
  leaveReason: LeaveReason | null;
  /** Sources this participant published during the session, each once. */
  tracks: TrackSource[];
  nodeId: NodeId;
}

export interface ChatRecord {
  id: string;
  roomId: RoomId;
  fromIdentity: string;
  fromName: string;
  /** Set for a private message. */
  toIdentity: string | null;
  text: string;
  createdAt: string;
}

export interface WebhookRecord {
  id: string;
  url: string;
  events: string[];
  /** HMAC key for signing deliveries; it has to be readable to sign, so it is stored as given. */
  secret: string;
  createdAt: string;
  active: boolean;
}

export type { EgressKind, EgressState as EgressStatus } from '../schemas/egress';

export interface EgressRecord {
  id: EgressId;
  roomId: RoomId;
  kind: EgressKind;
  status: EgressStatus;
  format: string;
  composite: boolean;
  /** Full destination URL (may hold a stream key): for the egress worker only, never logged. */
  destination: string | null;
  /** redactUrl(destination): what logs, REST and the CLI show. */
  urlRedacted: string | null;
  filePath: string | null;
  durationSeconds: number | null;
  bytesWritten: number;
  reconnects: number;
  error: string | null;
  /** The node running (or that ran) the job. */
  nodeId: NodeId | null;
  reason: EgressEndReason | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

/** One finished file of an egress job. */
export interface RecordingRecord extends EgressFile {
  id: string;
  egressId: EgressId;
  roomId: RoomId;
  createdAt: string;
}
