import { Type, type Static, type TObject } from '@sinclair/typebox';
import { EgressInfoSchema } from './egress';
import { IdentitySchema, NodeIdSchema, ParticipantIdSchema, ProducerIdSchema, RoomIdSchema, type RoomId } from './ids';
import { MediaKindSchema, TrackSourceSchema } from './media';
import { RoleSchema } from './roles';
import { LeaveReasonSchema, TrackInfoSchema } from './signaling';

/**
 * The webhook event catalog (LiveKit-style): what Cascade POSTs to operators' backends. Each
 * event's payload is merged into one envelope `{id, event, createdAt, roomId?, ...payload}`;
 * `id` is unique per event (receivers deduplicate retries on it). Field names are camelCase like
 * the signaling protocol (these are events, not REST resources).
 */

/** Moleculer event the webhook emitters send and exactly one `webhooks` service instance handles. */
export const WebhookBrokerEvent = 'webhooks.event';

export const WebhookRoomSchema = Type.Object({ id: RoomIdSchema, name: Type.String(), createdAt: Type.Optional(Type.String({ description: 'ISO 8601' })) });

export const WebhookParticipantSchema = Type.Object({
  id: ParticipantIdSchema,
  identity: IdentitySchema,
  name: Type.String(),
  role: RoleSchema,
  /** Media node the participant's transports live on. */
  nodeId: NodeIdSchema,
  joinedAt: Type.String({ description: 'ISO 8601' }),
});

/** A participant that left: after a node failure only its id and identity may be known. */
export const WebhookLeftParticipantSchema = Type.Composite([
  Type.Pick(WebhookParticipantSchema, ['id', 'identity']),
  Type.Partial(Type.Omit(WebhookParticipantSchema, ['id', 'identity'])),
]);

/** An unpublished track: kind and source are given when the room still knew the track. */
export const WebhookEndedTrackSchema = Type.Object({
  producerId: ProducerIdSchema,
  participantId: ParticipantIdSchema,
  identity: IdentitySchema,
  kind: Type.Optional(MediaKindSchema),
  source: Type.Optional(TrackSourceSchema),
});

/** An egress job as the egress actor reports it (schemas/egress.ts). */
export const WebhookEgressSchema = EgressInfoSchema;

export const WebhookPayloads = {
  /** A room's first participant joined (again after the room finished, or after a node restart). */
  'room.started': Type.Object({ room: WebhookRoomSchema }),
  /** The room closed (empty timeout, a host, the API). Not sent when a node merely shuts down. */
  'room.finished': Type.Object({ room: WebhookRoomSchema, reason: Type.String() }),
  'participant.joined': Type.Object({ participant: WebhookParticipantSchema }),
  'participant.left': Type.Object({ participant: WebhookLeftParticipantSchema, reason: LeaveReasonSchema }),
  'track.published': Type.Object({ track: TrackInfoSchema }),
  'track.unpublished': Type.Object({ track: WebhookEndedTrackSchema }),
  'recording.started': Type.Object({ egress: WebhookEgressSchema }),
  'recording.ready': Type.Object({
    egress: WebhookEgressSchema,
    path: Type.String(),
    duration: Type.Number({ minimum: 0, description: 'seconds' }),
    size: Type.Integer({ minimum: 0, description: 'bytes' }),
  }),
  'rtmp.started': Type.Object({ egress: WebhookEgressSchema }),
  'rtmp.stopped': Type.Object({ egress: WebhookEgressSchema }),
  /** The RTMP sink dropped or refused the stream: ffmpeg restarts after `delayMs` (attempt n of maxReconnects). */
  'rtmp.reconnecting': Type.Object({
    egress: WebhookEgressSchema,
    attempt: Type.Integer({ minimum: 1 }),
    delayMs: Type.Integer({ minimum: 0 }),
    error: Type.String(),
  }),
  'egress.failed': Type.Object({ egress: WebhookEgressSchema, error: Type.Optional(Type.String()) }),
} satisfies Record<string, TObject>;

export type WebhookEventName = keyof typeof WebhookPayloads;
export const WEBHOOK_EVENTS = Object.keys(WebhookPayloads) as WebhookEventName[];
export type WebhookPayload<E extends WebhookEventName> = Static<(typeof WebhookPayloads)[E]>;

export function isWebhookEventName(value: string): value is WebhookEventName {
  return Object.prototype.hasOwnProperty.call(WebhookPayloads, value);
}

const envelopeBase = <E extends WebhookEventName>(event: E) =>
  Type.Object({
    id: Type.String({ minLength: 1, maxLength: 64 }),
    event: Type.Literal(event),
    createdAt: Type.String({ description: 'ISO 8601' }),
    roomId: Type.Optional(RoomIdSchema),
  });

/** Every envelope the `webhooks` service accepts (the handler validates against it). */
export const WebhookEnvelopeSchema = Type.Union(WEBHOOK_EVENTS.map((event) => Type.Composite([envelopeBase(event), WebhookPayloads[event]])));

/** What receivers get as the JSON body, narrowed by `event`. */
export type WebhookEnvelope<E extends WebhookEventName = WebhookEventName> = {
  [K in E]: { id: string; event: K; createdAt: string; roomId?: RoomId } & WebhookPayload<K>;
}[E];

/** A subscription names events, or `*` for all of them. */
export const WebhookEventFilterSchema = Type.Union([...WEBHOOK_EVENTS.map((event) => Type.Literal(event)), Type.Literal('*')]);

/** Operator messages (REST API, CLI) for the `webhooks` service; any instance answers (shared store). */
export const WebhookActions = {
  create: 'webhooks.create',
  list: 'webhooks.list',
  get: 'webhooks.get',
  delete: 'webhooks.delete',
} as const;

export const WebhookMessages = {
  create: Type.Object(
    {
      url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://' }),
      events: Type.Array(WebhookEventFilterSchema, { minItems: 1, maxItems: 100 }),
      secret: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
    },
    { additionalProperties: false },
  ),
  list: Type.Object({}),
  get: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
  delete: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
};
export type WebhookMessage<M extends keyof typeof WebhookMessages> = Static<(typeof WebhookMessages)[M]>;

/** A subscription as the service returns it; `secret` only in the answer to create. */
export const WebhookInfoSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Type.String({ description: 'ISO 8601' }),
  secret: Type.Optional(Type.String()),
});
export type WebhookInfo = Static<typeof WebhookInfoSchema>;
