import { Type, type Static } from '@sinclair/typebox';
import { RoomIdSchema, EgressIdSchema, NodeIdSchema, ParticipantIdSchema, IdentitySchema } from '../schemas/ids';
import { EgressEndReasonSchema, EgressFileSchema, EgressKindSchema, EgressStateSchema } from '../schemas/egress';
import { TrackSourceSchema } from '../schemas/media';
import { RoleSchema } from '../schemas/roles';
import { LeaveReasonSchema } from '../schemas/signaling';

/**
 * What the repositories accept, checked with schemas/validate.ts before anything reaches SQL: a
 * bad value is a VALIDATION_FAILED naming the field, on SQLite (which would store anything) and
 * on PostgreSQL (which would fail half-way) alike. Limits match the column sizes in the migration.
 */

const Name = Type.String({ minLength: 1, maxLength: 200 });
const When = Type.Optional(Type.Date());
export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';

export const NewRoomSchema = Type.Object(
  {
    id: Type.Optional(RoomIdSchema),
    name: Name,
    slug: Type.Optional(Type.String({ pattern: SLUG_PATTERN, maxLength: 64 })),
    maxParticipants: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    lobbyEnabled: Type.Optional(Type.Boolean()),
    locked: Type.Optional(Type.Boolean()),
    recordingEnabled: Type.Optional(Type.Boolean()),
    emptyTimeoutSeconds: Type.Number({ minimum: 0, maximum: 31_536_000 }),
    createdAt: When,
  },
  { additionalProperties: false },
);
export type NewRoom = Static<typeof NewRoomSchema>;

export const RoomPatchSchema = Type.Object(
  {
    name: Type.Optional(Name),
    maxParticipants: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** null removes the password. */
    password: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
    lobbyEnabled: Type.Optional(Type.Boolean()),
    locked: Type.Optional(Type.Boolean()),
    recordingEnabled: Type.Optional(Type.Boolean()),
    emptyTimeoutSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 31_536_000 })),
  },
  { additionalProperties: false },
);
export type RoomPatch = Static<typeof RoomPatchSchema>;

export const RoomListQuerySchema = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('closed')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RoomListQuery = Static<typeof RoomListQuerySchema>;

export const NewSessionSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    roomId: RoomIdSchema,
    participantId: ParticipantIdSchema,
    identity: IdentitySchema,
    name: Type.String({ maxLength: 200 }),
    role: RoleSchema,
    nodeId: NodeIdSchema,
    tracks: Type.Optional(Type.Array(TrackSourceSchema)),
    joinedAt: When,
  },
  { additionalProperties: false },
);
export type NewSession = Static<typeof NewSessionSchema>;

export const SessionCloseSchema = Type.Object({ leftAt: Type.Date(), reason: LeaveReasonSchema });
export const TrackListSchema = Type.Array(TrackSourceSchema, { maxItems: 64 });

export const NewChatSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    roomId: RoomIdSchema,
    fromIdentity: IdentitySchema,
    fromName: Type.String({ maxLength: 200 }),
    toIdentity: Type.Optional(Type.Union([IdentitySchema, Type.Null()])),
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    createdAt: When,
  },
  { additionalProperties: false },
);
export type NewChat = Static<typeof NewChatSchema>;

const HttpUrl = Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://' });
const EventList = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 });

export const NewWebhookSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    url: HttpUrl,
    events: EventList,
    secret: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
    active: Type.Optional(Type.Boolean()),
    createdAt: When,
  },
  { additionalProperties: false },
);
export type NewWebhook = Static<typeof NewWebhookSchema>;

export const WebhookPatchSchema = Type.Object(
  {
    url: Type.Optional(HttpUrl),
    events: Type.Optional(EventList),
    secret: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type WebhookPatch = Static<typeof WebhookPatchSchema>;

export const NewEgressSchema = Type.Object(
  {
    id: Type.Optional(EgressIdSchema),
    roomId: RoomIdSchema,
    kind: EgressKindSchema,
    format: Type.String({ minLength: 1, maxLength: 32 }),
    composite: Type.Optional(Type.Boolean()),
    destination: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    /** Stored instead of destination when the full URL (a stream key) must not be kept. */
    urlRedacted: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    filePath: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    nodeId: Type.Optional(NodeIdSchema),
    createdAt: When,
  },
  { additionalProperties: false },
);
export type NewEgress = Static<typeof NewEgressSchema>;

export const EgressPatchSchema = Type.Object(
  {
    status: Type.Optional(EgressStateSchema),
    reason: Type.Optional(EgressEndReasonSchema),
    filePath: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    durationSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    bytesWritten: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    reconnects: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
    /** Longer messages (ffmpeg stderr) are cut to ERROR_MAX_LENGTH rather than refused. */
    error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    startedAt: When,
    endedAt: When,
  },
  { additionalProperties: false },
);
export type EgressPatch = Static<typeof EgressPatchSchema>;

export const NewRecordingSchema = Type.Composite(
  [Type.Object({ egressId: EgressIdSchema, roomId: RoomIdSchema, createdAt: When }), EgressFileSchema],
  { additionalProperties: false },
);
export type NewRecording = Static<typeof NewRecordingSchema>;
