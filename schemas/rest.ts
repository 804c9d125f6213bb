import { Type, type Static } from '@sinclair/typebox';
import { EgressEndReasonSchema, EgressFormatSchema, EgressKindSchema, EgressStateSchema, RecordingFormatSchema } from './egress';
import { IdentitySchema, RoomIdSchema } from './ids';
import { RoleSchema } from './roles';
import { WebhookEventFilterSchema } from './webhooks';

/**
 * REST API shapes (snake_case on the wire, as operators' backends expect). The gateway validates
 * with these and /openapi.json is generated from them.
 */

export const CreateRoomBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    max_participants: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    lobby_enabled: Type.Optional(Type.Boolean()),
    recording_enabled: Type.Optional(Type.Boolean({ description: 'May the room be recorded or streamed (default true)' })),
    empty_timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 31_536_000, description: 'seconds' })),
  },
  { additionalProperties: false },
);
export type CreateRoomBody = Static<typeof CreateRoomBodySchema>;

export const RoomStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('closed')]);

export const RoomResponseSchema = Type.Object({
  id: RoomIdSchema,
  name: Type.String(),
  slug: Type.String(),
  status: RoomStatusSchema,
  max_participants: Type.Integer(),
  lobby_enabled: Type.Boolean(),
  recording_enabled: Type.Boolean(),
  locked: Type.Boolean(),
  has_password: Type.Boolean(),
  empty_timeout: Type.Number(),
  participant_count: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  closed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type RoomResponse = Static<typeof RoomResponseSchema>;

export const RoomListQuerySchema = Type.Object(
  {
    status: Type.Optional(RoomStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RoomListQuery = Static<typeof RoomListQuerySchema>;

export const RoomListResponseSchema = Type.Object({ rooms: Type.Array(RoomResponseSchema), total: Type.Integer() });

export const ParticipantResponseSchema = Type.Object({
  identity: IdentitySchema,
  name: Type.String(),
  role: RoleSchema,
  joined_at: Type.String({ format: 'date-time' }),
  tracks: Type.Object({ audio: Type.Boolean(), video: Type.Boolean(), screen: Type.Boolean() }),
});
export type ParticipantResponse = Static<typeof ParticipantResponseSchema>;
export const ParticipantListResponseSchema = Type.Object({ participants: Type.Array(ParticipantResponseSchema) });

export const KickBodySchema = Type.Object({ identity: IdentitySchema }, { additionalProperties: false });
export const TrackTypeSchema = Type.Union([Type.Literal('audio'), Type.Literal('video'), Type.Literal('screen')]);
export const MuteBodySchema = Type.Object({ identity: IdentitySchema, track_type: TrackTypeSchema }, { additionalProperties: false });

export const TokenBodySchema = Type.Object(
  {
    room: RoomIdSchema,
    identity: IdentitySchema,
    name: Type.Optional(Type.String({ maxLength: 128 })),
    role: Type.Optional(RoleSchema),
    region: Type.Optional(Type.String({ maxLength: 64 })),
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 24 * 3600, description: 'seconds' })),
  },
  { additionalProperties: false },
);
export const TokenResponseSchema = Type.Object({ token: Type.String() });

export const StatsResponseSchema = Type.Object({
  rooms: Type.Integer(),
  participants: Type.Integer(),
  tracks: Type.Object({ audio: Type.Integer(), video: Type.Integer() }),
  nodes: Type.Integer(),
  uptime_seconds: Type.Integer(),
  memory_mb: Type.Number(),
});
export type StatsResponse = Static<typeof StatsResponseSchema>;

export const HealthResponseSchema = Type.Object({ status: Type.String(), version: Type.String(), uptime_seconds: Type.Integer() });

export const ErrorResponseSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  }),
});

/** Claims of an admin JWT (REST API, CLI): signed with auth.secret like access tokens. */
export const AdminClaimsSchema = Type.Object({ admin: Type.Literal(true), sub: Type.Optional(Type.String()) });

export const CreateWebhookBodySchema = Type.Object(
  {
    url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://', description: 'Receiver; gets a signed POST per event' }),
    events: Type.Array(WebhookEventFilterSchema, { minItems: 1, maxItems: 100, description: 'Event names, or "*" for all' }),
    secret: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'HMAC key; generated (whsec_…) when omitted' })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;

export const WebhookResponseSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  /** Only in the answer to POST /webhooks: it is never shown again. */
  secret: Type.Optional(Type.String()),
});
export type WebhookResponse = Static<typeof WebhookResponseSchema>;
export const WebhookListResponseSchema = Type.Object({ webhooks: Type.Array(WebhookResponseSchema) });

export const RecordingStartBodySchema = Type.Object(
  {
    format: Type.Optional(RecordingFormatSchema),
    /** true (default): one grid file with all audio mixed; false: one file per track, not transcoded. */
    composite: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const RtmpStartBodySchema = Type.Object(
  { url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^rtmps?://', description: 'rtmp(s)://host/app/stream-key' }) },
  { additionalProperties: false },
);
export const EgressStopBodySchema = Type.Object(
  { egress_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'One job; all of the kind when omitted' })) },
  { additionalProperties: false },
);

export const EgressFileResponseSchema = Type.Object({
  path: Type.String(),
  layout: Type.Union([Type.Literal('composite'), Type.Literal('track')]),
  producer_id: Type.Optional(Type.String()),
  participant_id: Type.Optional(Type.String()),
  duration_seconds: Type.Number(),
  size_bytes: Type.Integer(),
  codecs: Type.Array(Type.String()),
});

export const EgressResponseSchema = Type.Object({
  id: Type.String(),
  room_id: RoomIdSchema,
  kind: EgressKindSchema,
  status: EgressStateSchema,
  composite: Type.Boolean(),
  format: EgressFormatSchema,
  node_id: Type.Union([Type.String(), Type.Null()]),
  /** RTMP: the URL without its stream key. */
  url: Type.Union([Type.String(), Type.Null()]),
  duration_seconds: Type.Number(),
  bytes_written: Type.Integer(),
  bitrate_kbps: Type.Number(),
  reconnects: Type.Integer(),
  files: Type.Array(EgressFileResponseSchema),
  reason: Type.Union([EgressEndReasonSchema, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  ended_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type EgressResponse = Static<typeof EgressResponseSchema>;
export const EgressListResponseSchema = Type.Object({ egress: Type.Array(EgressResponseSchema) });

export const EgressListQuerySchema = Type.Object(
  {
    room_id: Type.Optional(RoomIdSchema),
    status: Type.Optional(EgressStateSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
