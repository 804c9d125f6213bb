import { EntitySchema, type EntitySchemaColumnOptions, type ValueTransformer } from 'typeorm';

/**
 * Table mappings as EntitySchema (no decorators, so no reflect-metadata at our level). The
 * migrations own the real DDL; these only tell typeorm how to read and write rows, so they must
 * use the same names and types. Column types differ per driver for timestamps only.
 */

export type DriverKind = 'sqlite' | 'postgres';

export interface RoomRow {
  id: string;
  name: string;
  slug: string;
  status: string;
  maxParticipants: number;
  passwordHash: string | null;
  lobbyEnabled: boolean;
  locked: boolean;
  recordingEnabled: boolean;
  emptyTimeoutSeconds: number;
  createdAt: Date;
  closedAt: Date | null;
}

export interface SessionRow {
  id: string;
  roomId: string;
  participantId: string;
  identity: string;
  name: string;
  role: string;
  joinedAt: Date;
  leftAt: Date | null;
  leaveReason: string | null;
  tracks: string;
  nodeId: string;
}

export interface ChatRow {
  /** Insertion order: breaks ties between messages sent in the same millisecond. */
  seq: number;
  id: string;
  roomId: string;
  fromIdentity: string;
  fromName: string;
  toIdentity: string | null;
  text: string;
  createdAt: Date;
}

export interface WebhookRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  createdAt: Date;
  active: boolean;
}

export interface EgressRow {
  id: string;
  roomId: string;
  kind: string;
  status: string;
  format: string;
  composite: boolean;
  destination: string | null;
  urlRedacted: string | null;
  filePath: string | null;
  durationSeconds: number | null;
  bytesWritten: number;
  reconnects: number;
  error: string | null;
  nodeId: string | null;
  reason: string | null;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

export interface RecordingRow {
  id: string;
  egressId: string;
  roomId: string;
  path: string;
  layout: string;
  producerId: string | null;
  participantId: string | null;
  durationSeconds: number;
  sizeBytes: number;
  /** JSON array of codec names. */
  codecs: string;
  createdAt: Date;
}

/** pg returns int8 as a string (it may exceed 2^53); byte counts stay far below, so a number is safe. */
const bigintAsNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};

export interface Entities {
  Room: EntitySchema<RoomRow>;
  Session: EntitySchema<SessionRow>;
  Chat: EntitySchema<ChatRow>;
  Webhook: EntitySchema<WebhookRow>;
  Egress: EntitySchema<EgressRow>;
  Recording: EntitySchema<RecordingRow>;
}

export function buildEntities(driver: DriverKind): Entities {
  const timestamp = driver === 'postgres' ? 'timestamptz' : 'datetime';
  const col = (name: string, type: EntitySchemaColumnOptions['type'], extra: Partial<EntitySchemaColumnOptions> = {}): EntitySchemaColumnOptions => ({
    name,
    type,
    ...extra,
  });
  const str = (name: string, length: number, nullable = false) => col(name, 'varchar', { length, nullable });
  const time = (name: string, nullable = false) => col(name, timestamp, { nullable });

  const Room = new EntitySchema<RoomRow>({
    name: 'Room',
    tableName: 'rooms',
    columns: {
      id: { ...str('id', 128), primary: true },
      name: str('name', 200),
      slug: str('slug', 64),
      status: str('status', 16),
      maxParticipants: col('max_participants', 'integer'),
      passwordHash: col('password_hash', 'text', { nullable: true }),
      lobbyEnabled: col('lobby_enabled', 'boolean'),
      locked: col('locked', 'boolean'),
      recordingEnabled: col('recording_enabled', 'boolean'),
      emptyTimeoutSeconds: col('empty_timeout_seconds', 'double precision'),
      createdAt: time('created_at'),
      closedAt: time('closed_at', true),
    },
  });

  const Session = new EntitySchema<SessionRow>({
    name: 'Session',
    tableName: 'participant_sessions',
    columns: {
      id: { ...str('id', 64), primary: true },
      roomId: str('room_id', 128),
      participantId: str('participant_id', 128),
      identity: str('identity', 128),
      name: str('name', 200),
      role: str('role', 16),
      joinedAt: time('joined_at'),
      leftAt: time('left_at', true),
      leaveReason: str('leave_reason', 32, true),
      tracks: col('tracks', 'text'),
      nodeId: str('node_id', 128),
    },
  });

  const Chat = new EntitySchema<ChatRow>({
    name: 'Chat',
    tableName: 'chat_messages',
    columns: {
      seq: { ...col('seq', 'integer'), primary: true, generated: 'increment' },
      id: str('id', 64),
      roomId: str('room_id', 128),
      fromIdentity: str('from_identity', 128),
      fromName: str('from_name', 200),
      toIdentity: str('to_identity', 128, true),
      text: col('text', 'text'),
      createdAt: time('created_at'),
    },
  });

  const Webhook = new EntitySchema<WebhookRow>({
    name: 'Webhook',
    tableName: 'webhooks',
    columns: {
      id: { ...str('id', 64), primary: true },
      url: col('url', 'text'),
      events: col('events', 'text'),
      secret: str('secret', 256),
      createdAt: time('created_at'),
      active: col('active', 'boolean'),
    },
  });

  const Egress = new EntitySchema<EgressRow>({
    name: 'Egress',
    tableName: 'egress_jobs',
    columns: {
      id: { ...str('id', 128), primary: true },
      roomId: str('room_id', 128),
      kind: str('kind', 16),
      status: str('status', 16),
      format: str('format', 32),
      composite: col('composite', 'boolean'),
      destination: col('destination', 'text', { nullable: true }),
      urlRedacted: col('url_redacted', 'text', { nullable: true }),
      filePath: col('file_path', 'text', { nullable: true }),
      durationSeconds: col('duration_seconds', 'double precision', { nullable: true }),
      bytesWritten: col('bytes_written', 'bigint', { transformer: bigintAsNumber }),
      reconnects: col('reconnects', 'integer'),
      error: col('error', 'text', { nullable: true }),
      nodeId: str('node_id', 128, true),
      reason: str('reason', 32, true),
      createdAt: time('created_at'),
      startedAt: time('started_at', true),
      endedAt: time('ended_at', true),
    },
  });

  const Recording = new EntitySchema<RecordingRow>({
    name: 'Recording',
    tableName: 'recordings',
    columns: {
      id: { ...str('id', 64), primary: true },
      egressId: str('egress_id', 128),
      roomId: str('room_id', 128),
      path: col('path', 'text'),
      layout: str('layout', 16),
      producerId: str('producer_id', 128, true),
      participantId: str('participant_id', 128, true),
      durationSeconds: col('duration_seconds', 'double precision'),
      sizeBytes: col('size_bytes', 'bigint', { transformer: bigintAsNumber }),
      codecs: col('codecs', 'text'),
      createdAt: time('created_at'),
    },
  });

  return { Room, Session, Chat, Webhook, Egress, Recording };
}
