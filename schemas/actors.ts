import { Type, type Static, type TObject } from '@sinclair/typebox';
import { EgressInfoSchema, EgressKindSchema, EgressRequestSchema } from './egress';
import { EgressIdSchema, IdentitySchema, NodeIdSchema, ParticipantIdSchema, ProducerIdSchema, RoomIdSchema } from './ids';
import { MediaKindSchema, Opaque, TrackSourceSchema } from './media';
import { RoleSchema } from './roles';
import { ClientRequests, JoinedDataSchema, LeaveReasonSchema, TrackInfoSchema } from './signaling';

/**
 * Actor messages (Moleculer action params). Actions are imperative (`room.join`), events past
 * tense (`participant.left`). Names are constants so callers never spell them by hand.
 */
export const RoomActions = {
  join: 'room.join',
  leave: 'room.leave',
  chat: 'room.chat',
  kick: 'room.kick',
  muteParticipant: 'room.muteParticipant',
  close: 'room.close',
  get: 'room.get',
  members: 'room.members',
  setLocked: 'room.setLocked',
  lobbyAdmit: 'room.lobbyAdmit',
  lobbyReject: 'room.lobbyReject',
  lobbyAdmitAll: 'room.lobbyAdmitAll',
  trackPublished: 'room.trackPublished',
  trackUnpublished: 'room.trackUnpublished',
  trackMuted: 'room.trackMuted',
  locateTrack: 'room.locateTrack',
  startEgress: 'room.startEgress',
  stopEgress: 'room.stopEgress',
  egressUpdated: 'room.egressUpdated',
  /** Node to node: a stopping owner hands a room over to the node it calls (actors/cluster/Handover.ts). */
  adopt: 'room.adopt',
} as const;

export const ParticipantActions = {
  create: 'participant.create',
  createTransport: 'participant.createTransport',
  connectTransport: 'participant.connectTransport',
  restartIce: 'participant.restartIce',
  produce: 'participant.produce',
  closeProducer: 'participant.closeProducer',
  setMuted: 'participant.setMuted',
  consume: 'participant.consume',
  resumeConsumer: 'participant.resumeConsumer',
  setPreferredLayers: 'participant.setPreferredLayers',
  produceData: 'participant.produceData',
  consumeData: 'participant.consumeData',
  leave: 'participant.leave',
  listByRoom: 'participant.listByRoom',
} as const;

/** What a participant actor reports so a new room owner can rebuild the room after a failover. */
export const ParticipantSnapshotSchema = Type.Object({
  participantId: ParticipantIdSchema,
  identity: IdentitySchema,
  name: Type.String(),
  role: RoleSchema,
  mediaNodeId: NodeIdSchema,
  gatewayNodeId: NodeIdSchema,
  joinedAt: Type.String(),
  tracks: Type.Array(TrackInfoSchema),
});
export type ParticipantSnapshot = Static<typeof ParticipantSnapshotSchema>;

/**
 * Who asked: a participant in the room, the REST API (an operator), or the bearer of a verified
 * access token for the room who need not be connected (REST calls a host makes, e.g. recording).
 */
export const ActorSchema = Type.Union([
  Type.Object({ kind: Type.Literal('participant'), participantId: ParticipantIdSchema }),
  Type.Object({ kind: Type.Literal('api') }),
  Type.Object({ kind: Type.Literal('token'), identity: IdentitySchema, role: RoleSchema }),
]);
export type Actor = Static<typeof ActorSchema>;

const withParticipant = <T extends TObject>(data: T) =>
  Type.Composite([Type.Object({ participantId: ParticipantIdSchema }), data]);

export const RoomMessages = {
  join: Type.Object({
    roomId: RoomIdSchema,
    identity: IdentitySchema,
    name: Type.String({ maxLength: 128 }),
    role: RoleSchema,
    region: Type.Optional(Type.String()),
    /** The gateway node holding this participant's signaling connection. */
    gatewayNodeId: NodeIdSchema,
    rtpCapabilities: Opaque,
    password: Type.Optional(Type.String()),
  }),
  leave: Type.Object({ roomId: RoomIdSchema, participantId: ParticipantIdSchema, reason: LeaveReasonSchema }),
  chat: Type.Object({
    roomId: RoomIdSchema,
    participantId: ParticipantIdSchema,
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    to: Type.Optional(IdentitySchema),
  }),
  kick: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, identity: IdentitySchema }),
  muteParticipant: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, identity: IdentitySchema, source: TrackSourceSchema }),
  close: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, reason: Type.Optional(Type.String()) }),
  get: Type.Object({ roomId: RoomIdSchema }),
  members: Type.Object({ roomId: RoomIdSchema }),
  setLocked: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, locked: Type.Boolean() }),
  lobbyAdmit: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, identity: IdentitySchema }),
  lobbyReject: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, identity: IdentitySchema, reason: Type.Optional(Type.String()) }),
  lobbyAdmitAll: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema }),
  trackPublished: Type.Object({ roomId: RoomIdSchema, nodeId: NodeIdSchema, track: TrackInfoSchema }),
  trackUnpublished: Type.Object({ roomId: RoomIdSchema, participantId: ParticipantIdSchema, producerId: ProducerIdSchema }),
  trackMuted: Type.Object({
    roomId: RoomIdSchema,
    participantId: ParticipantIdSchema,
    producerId: ProducerIdSchema,
    muted: Type.Boolean(),
    by: Type.Optional(IdentitySchema),
  }),
  locateTrack: Type.Object({ roomId: RoomIdSchema, producerId: ProducerIdSchema, nodeId: NodeIdSchema }),
  startEgress: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, request: EgressRequestSchema }),
  /** Stops the room's running jobs of `kind` (all of them), or only `egressId`. */
  stopEgress: Type.Object({ roomId: RoomIdSchema, actor: ActorSchema, kind: EgressKindSchema, egressId: Type.Optional(EgressIdSchema) }),
  /** From the egress actor: the job changed state (hosts are told; ended jobs are forgotten). */
  egressUpdated: Type.Object({ roomId: RoomIdSchema, info: EgressInfoSchema }),
  adopt: Type.Object({ roomId: RoomIdSchema, fromNodeId: NodeIdSchema }),
} as const;
export type RoomMessage<M extends keyof typeof RoomMessages> = Static<(typeof RoomMessages)[M]>;

export const JoinResultSchema = Type.Union([
  Type.Object({
    status: Type.Literal('joined'),
    participantId: ParticipantIdSchema,
    /** The node hosting the participant actor (its media node): address participant.* calls there. */
    participantNodeId: NodeIdSchema,
    joined: JoinedDataSchema,
  }),
  /** In the lobby; the `joined` event (JoinedData, whose node.id hosts the participant) follows admission. */
  Type.Object({ status: Type.Literal('waiting'), participantId: ParticipantIdSchema }),
]);
export type JoinResult = Static<typeof JoinResultSchema>;

export const LocatedTrackSchema = Type.Object({
  producerId: ProducerIdSchema,
  kind: MediaKindSchema,
  nodeId: NodeIdSchema,
});
export type LocatedTrack = Static<typeof LocatedTrackSchema>;

export const ParticipantMessages = {
  create: Type.Object({
    participantId: ParticipantIdSchema,
    roomId: RoomIdSchema,
    identity: IdentitySchema,
    name: Type.String({ maxLength: 128 }),
    role: RoleSchema,
    mediaNodeId: NodeIdSchema,
    /** Its signaling connection's node: if that node dies, nobody will send this participant's leave. */
    gatewayNodeId: NodeIdSchema,
    joinedAt: Type.String(),
    rtpCapabilities: Opaque,
  }),
  listByRoom: Type.Object({ roomId: RoomIdSchema }),
  createTransport: withParticipant(ClientRequests.createTransport.request),
  connectTransport: withParticipant(ClientRequests.connectTransport.request),
  restartIce: withParticipant(ClientRequests.restartIce.request),
  produce: withParticipant(ClientRequests.produce.request),
  closeProducer: withParticipant(ClientRequests.closeProducer.request),
  setMuted: withParticipant(
    Type.Object({ producerId: ProducerIdSchema, muted: Type.Boolean(), by: Type.Optional(IdentitySchema) }),
  ),
  consume: withParticipant(ClientRequests.consume.request),
  resumeConsumer: withParticipant(ClientRequests.resumeConsumer.request),
  setPreferredLayers: withParticipant(ClientRequests.setPreferredLayers.request),
  produceData: withParticipant(ClientRequests.produceData.request),
  consumeData: withParticipant(ClientRequests.consumeData.request),
  leave: withParticipant(Type.Object({ reason: LeaveReasonSchema })),
} as const;
export type ParticipantMessage<M extends keyof typeof ParticipantMessages> = Static<(typeof ParticipantMessages)[M]>;

/** Room summary for REST and CLI. */
export const RoomInfoSchema = Type.Object({
  id: RoomIdSchema,
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('closed')]),
  participantCount: Type.Integer(),
  locked: Type.Boolean(),
  ownerNodeId: NodeIdSchema,
  mediaNodeIds: Type.Array(NodeIdSchema),
  createdAt: Type.String(),
});
export type RoomInfo = Static<typeof RoomInfoSchema>;

/**
 * Signals from actors to the clients. Broadcast to every gateway node; each one delivers to the
 * sockets it holds. `to` limits delivery to some participants, `except` skips some.
 */
export const GatewaySignalEvent = 'gateway.signal';
export const GatewaySignalSchema = Type.Object({
  roomId: RoomIdSchema,
  to: Type.Optional(Type.Array(ParticipantIdSchema)),
  except: Type.Optional(Type.Array(ParticipantIdSchema)),
  /** Only participants whose role is announced-to (non-viewers) when true. */
  event: Type.String(),
  data: Type.Unknown(),
  /** After delivering, close these participants' sockets (kick, room close). */
  disconnect: Type.Optional(Type.Boolean()),
});
export type GatewaySignal = Static<typeof GatewaySignalSchema>;

/** Operator messages (REST API, CLI) for the room service. */
export const RoomAdminActions = {
  create: 'room.create',
  find: 'room.find',
  close: 'room.closeStored',
  list: 'room.listStored',
  participants: 'room.participants',
  stats: 'room.stats',
  localStats: 'room.localStats',
} as const;

export const RoomAdminMessages = {
  create: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 200 }),
    maxParticipants: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    lobbyEnabled: Type.Optional(Type.Boolean()),
    recordingEnabled: Type.Optional(Type.Boolean()),
    emptyTimeoutSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 31_536_000 })),
  }),
  find: Type.Object({ roomId: RoomIdSchema }),
  close: Type.Object({ roomId: RoomIdSchema }),
  list: Type.Object({
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('closed')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  participants: Type.Object({ roomId: RoomIdSchema }),
  stats: Type.Object({}),
  localStats: Type.Object({}),
} as const;
export type RoomAdminMessage<M extends keyof typeof RoomAdminMessages> = Static<(typeof RoomAdminMessages)[M]>;

/** One node's share of the cluster statistics. */
export interface LocalRoomStats {
  rooms: number;
  participants: number;
  tracks: { audio: number; video: number };
}
