import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EgressInfoSchema } from './egress';
import {
  ConsumerIdSchema,
  IdentitySchema,
  NodeIdSchema,
  ParticipantIdSchema,
  ProducerIdSchema,
  RoomIdSchema,
  TransportIdSchema,
} from './ids';
import {
  ConsumerParamsSchema,
  DataConsumerParamsSchema,
  DataIdSchema,
  DirectionSchema,
  MediaKindSchema,
  Opaque,
  TrackSourceSchema,
  TransportParamsSchema,
} from './media';
import { RoleSchema } from './roles';

/**
 * The WebSocket signaling protocol, defined once. Client requests are
 * `{id, method, data}`; the server answers `{id, ok: true, data}` or
 * `{id, ok: false, error: {code, message, fields?}}`; server notifications are `{event, data}`.
 * docs/protocol.md documents the same catalog.
 */

export const TrackInfoSchema = Type.Object({
  producerId: ProducerIdSchema,
  participantId: ParticipantIdSchema,
  identity: IdentitySchema,
  kind: MediaKindSchema,
  source: TrackSourceSchema,
  muted: Type.Boolean(),
});
export type TrackInfo = Static<typeof TrackInfoSchema>;

export const ParticipantInfoSchema = Type.Object({
  id: ParticipantIdSchema,
  identity: IdentitySchema,
  name: Type.String(),
  role: RoleSchema,
  joinedAt: Type.String(),
  tracks: Type.Array(TrackInfoSchema),
});
export type ParticipantInfo = Static<typeof ParticipantInfoSchema>;

export const ChatMessageSchema = Type.Object({
  id: Type.String(),
  from: Type.Object({ identity: IdentitySchema, name: Type.String() }),
  to: Type.Optional(IdentitySchema),
  text: Type.String(),
  ts: Type.String(),
});
export type ChatMessage = Static<typeof ChatMessageSchema>;

export const JoinedDataSchema = Type.Object({
  room: Type.Object({ id: RoomIdSchema, name: Type.String() }),
  self: ParticipantInfoSchema,
  participants: Type.Array(ParticipantInfoSchema),
  node: Type.Object({ id: NodeIdSchema, region: Type.String() }),
  chatHistory: Type.Array(ChatMessageSchema),
});
export type JoinedData = Static<typeof JoinedDataSchema>;

/** Why a participant left. Logged on every disconnect and sent in participant_left. */
export const LeaveReasonSchema = Type.Union([
  Type.Literal('client_left'),
  Type.Literal('disconnected'),
  Type.Literal('kicked'),
  Type.Literal('room_closed'),
  Type.Literal('duplicate_identity'),
  Type.Literal('node_failed'),
  Type.Literal('worker_died'),
  Type.Literal('lobby_rejected'),
  Type.Literal('server_shutdown'),
]);
export type LeaveReason = Static<typeof LeaveReasonSchema>;

const Empty = Type.Object({});
const TextSchema = Type.String({ minLength: 1, maxLength: 4000 });

function method<Req extends TSchema, Res extends TSchema>(request: Req, response: Res) {
  return { request, response };
}

/** Client → server requests: method name → request data schema and response data schema. */
export const ClientRequests = {
  getRouterRtpCapabilities: method(Empty, Type.Object({ rtpCapabilities: Opaque })),
  join: method(
    Type.Object({
      rtpCapabilities: Opaque,
      name: Type.Optional(Type.String({ maxLength: 128 })),
      password: Type.Optional(Type.String({ maxLength: 256 })),
    }),
    Type.Union([
      Type.Composite([Type.Object({ status: Type.Literal('joined') }), JoinedDataSchema]),
      Type.Object({ status: Type.Literal('waiting') }),
    ]),
  ),
  leave: method(Empty, Empty),
  createTransport: method(
    Type.Object({ direction: DirectionSchema, sctp: Type.Optional(Type.Boolean()) }),
    TransportParamsSchema,
  ),
  connectTransport: method(Type.Object({ transportId: TransportIdSchema, dtlsParameters: Opaque }), Empty),
  restartIce: method(Type.Object({ transportId: TransportIdSchema }), Type.Object({ iceParameters: Opaque })),
  produce: method(
    Type.Object({
      transportId: TransportIdSchema,
      kind: MediaKindSchema,
      rtpParameters: Opaque,
      source: TrackSourceSchema,
      paused: Type.Optional(Type.Boolean()),
    }),
    Type.Object({ producerId: ProducerIdSchema }),
  ),
  closeProducer: method(Type.Object({ producerId: ProducerIdSchema }), Empty),
  mute: method(Type.Object({ producerId: ProducerIdSchema }), Empty),
  unmute: method(Type.Object({ producerId: ProducerIdSchema }), Empty),
  consume: method(Type.Object({ producerId: ProducerIdSchema }), ConsumerParamsSchema),
  resumeConsumer: method(Type.Object({ consumerId: ConsumerIdSchema }), Empty),
  setPreferredLayers: method(
    Type.Object({
      consumerId: ConsumerIdSchema,
      spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }),
      temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
    }),
    Empty,
  ),
  produceData: method(
    Type.Object({
      transportId: TransportIdSchema,
      sctpStreamParameters: Opaque,
      label: Type.Optional(Type.String({ maxLength: 128 })),
      protocol: Type.Optional(Type.String({ maxLength: 128 })),
    }),
    Type.Object({ dataProducerId: DataIdSchema, maxMessageBytes: Type.Integer() }),
  ),
  consumeData: method(Empty, DataConsumerParamsSchema),
  chat: method(
    Type.Object({ text: TextSchema, to: Type.Optional(IdentitySchema) }),
    Type.Object({ id: Type.String(), ts: Type.String() }),
  ),
  kick: method(Type.Object({ identity: IdentitySchema }), Empty),
  muteParticipant: method(Type.Object({ identity: IdentitySchema, source: TrackSourceSchema }), Empty),
  closeRoom: method(Empty, Empty),
  lobby_admit: method(Type.Object({ identity: IdentitySchema }), Empty),
  lobby_reject: method(Type.Object({ identity: IdentitySchema, reason: Type.Optional(Type.String({ maxLength: 256 })) }), Empty),
  lobby_admit_all: method(Empty, Type.Object({ admitted: Type.Integer() })),
  lock: method(Empty, Empty),
  unlock: method(Empty, Empty),
} as const;

export type ClientMethod = keyof typeof ClientRequests;
export type RequestData<M extends ClientMethod> = Static<(typeof ClientRequests)[M]['request']>;
export type ResponseData<M extends ClientMethod> = Static<(typeof ClientRequests)[M]['response']>;

export const ClientEnvelopeSchema = Type.Object({
  id: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 64 })]),
  method: Type.String({ maxLength: 64 }),
  data: Type.Optional(Type.Unknown()),
});
export type ClientEnvelope = Static<typeof ClientEnvelopeSchema>;

/** Server → client notifications. */
export const ServerEvents = {
  joined: JoinedDataSchema,
  participant_joined: ParticipantInfoSchema,
  participant_left: Type.Object({ participantId: ParticipantIdSchema, identity: IdentitySchema, reason: LeaveReasonSchema }),
  track_published: TrackInfoSchema,
  track_unpublished: Type.Object({ producerId: ProducerIdSchema, participantId: ParticipantIdSchema, identity: IdentitySchema }),
  consumer_closed: Type.Object({ consumerId: ConsumerIdSchema, producerId: ProducerIdSchema }),
  active_speaker: Type.Object({ participantId: ParticipantIdSchema, identity: IdentitySchema }),
  muted: Type.Object({
    participantId: ParticipantIdSchema,
    identity: IdentitySchema,
    producerId: ProducerIdSchema,
    track: TrackSourceSchema,
    muted: Type.Boolean(),
    by: Type.Optional(IdentitySchema),
  }),
  chat: ChatMessageSchema,
  kicked: Type.Object({ by: IdentitySchema, reason: Type.Optional(Type.String()) }),
  room_closed: Type.Object({ reason: Type.String() }),
  /** The media serving this participant is gone (worker or node died): rejoin from scratch. */
  reconnect: Type.Object({ reason: LeaveReasonSchema }),
  lobby_waiting: Type.Object({ position: Type.Integer() }),
  lobby_request: Type.Object({ identity: IdentitySchema, name: Type.String() }),
  lobby_rejected: Type.Object({ reason: Type.Optional(Type.String()) }),
  room_locked: Type.Object({ locked: Type.Boolean(), by: IdentitySchema }),
  /** To hosts and co-hosts: a recording or RTMP job of the room started, progressed or ended. */
  egress_updated: EgressInfoSchema,
  error: Type.Object({ code: Type.String(), message: Type.String() }),
} as const;

export type ServerEvent = keyof typeof ServerEvents;
export type EventData<E extends ServerEvent> = Static<(typeof ServerEvents)[E]>;
