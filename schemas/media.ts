import { Type, type Static } from '@sinclair/typebox';
import {
  ConsumerIdSchema,
  IdentitySchema,
  NodeIdSchema,
  ParticipantIdSchema,
  ProducerIdSchema,
  RoomIdSchema,
  TransportIdSchema,
} from './ids';

/**
 * Shapes that cross between actors and a media node. mediasoup's own parameter objects (RTP
 * capabilities, DTLS/ICE parameters, RTP parameters) are opaque here: mediasoup validates them
 * itself, and actors must not depend on their internals. We only check they are objects.
 */
export const Opaque = Type.Record(Type.String(), Type.Unknown());
export type Opaque = Static<typeof Opaque>;

export const MediaKindSchema = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
export type MediaKind = Static<typeof MediaKindSchema>;

/** What a track carries, independent of its codec: drives tiles, muting and recording layouts. */
export const TrackSourceSchema = Type.Union([
  Type.Literal('microphone'),
  Type.Literal('camera'),
  Type.Literal('screen'),
  Type.Literal('screen_audio'),
]);
export type TrackSource = Static<typeof TrackSourceSchema>;

export const DirectionSchema = Type.Union([Type.Literal('send'), Type.Literal('recv')]);
export type Direction = Static<typeof DirectionSchema>;

export const TransportParamsSchema = Type.Object({
  id: TransportIdSchema,
  iceParameters: Opaque,
  iceCandidates: Type.Array(Opaque),
  dtlsParameters: Opaque,
  sctpParameters: Type.Optional(Opaque),
});
export type TransportParams = Static<typeof TransportParamsSchema>;

export const ConsumerParamsSchema = Type.Object({
  id: ConsumerIdSchema,
  producerId: ProducerIdSchema,
  kind: MediaKindSchema,
  rtpParameters: Opaque,
  type: Type.String(),
  producerPaused: Type.Boolean(),
});
export type ConsumerParams = Static<typeof ConsumerParamsSchema>;

/**
 * Data messages (publishData): SCTP data channels on the WebRTC transports. Each message is framed
 * as [u16 big-endian header length][header, UTF-8 JSON][payload bytes]; the client sends
 * DataSendHeader, receivers get DataReceiveHeader (`from` is set by the server, never trusted).
 */
export const DataIdSchema = Type.String({ minLength: 1, maxLength: 128 });
export const DataTopicSchema = Type.String({ maxLength: 256 });
export const DataSendHeaderSchema = Type.Object(
  {
    topic: Type.Optional(DataTopicSchema),
    /** Destination identities; absent or empty = everyone else in the room. */
    to: Type.Optional(Type.Array(IdentitySchema, { maxItems: 128 })),
  },
  { additionalProperties: false },
);
export type DataSendHeader = Static<typeof DataSendHeaderSchema>;
export type DataReceiveHeader = { from: string; topic?: string };

export const DataConsumerParamsSchema = Type.Object({
  id: DataIdSchema,
  dataProducerId: DataIdSchema,
  sctpStreamParameters: Opaque,
  label: Type.String(),
  protocol: Type.String(),
});
export type DataConsumerParams = Static<typeof DataConsumerParamsSchema>;

/** One data message as it crosses to the other nodes of its room (payload in base64). */
export const DataMessageSchema = Type.Object({
  roomId: RoomIdSchema,
  participantId: ParticipantIdSchema,
  identity: IdentitySchema,
  topic: Type.Optional(DataTopicSchema),
  to: Type.Optional(Type.Array(IdentitySchema, { maxItems: 128 })),
  payload: Type.String(),
});
export type DataMessage = Static<typeof DataMessageSchema>;

/** Requests a media node serves. Each names its room so a node can host many rooms. */
export const MediaRequests = {
  getRouterRtpCapabilities: Type.Object({ roomId: Type.Optional(RoomIdSchema) }),
  createWebRtcTransport: Type.Object({
    roomId: RoomIdSchema,
    participantId: ParticipantIdSchema,
    direction: DirectionSchema,
    sctp: Type.Optional(Type.Boolean()),
  }),
  connectTransport: Type.Object({ transportId: TransportIdSchema, dtlsParameters: Opaque }),
  restartIce: Type.Object({ transportId: TransportIdSchema }),
  produce: Type.Object({
    transportId: TransportIdSchema,
    kind: MediaKindSchema,
    rtpParameters: Opaque,
    source: TrackSourceSchema,
    paused: Type.Optional(Type.Boolean()),
  }),
  closeProducer: Type.Object({ producerId: ProducerIdSchema }),
  pauseProducer: Type.Object({ producerId: ProducerIdSchema }),
  resumeProducer: Type.Object({ producerId: ProducerIdSchema }),
  consume: Type.Object({
    transportId: TransportIdSchema,
    producerId: ProducerIdSchema,
    rtpCapabilities: Opaque,
  }),
  resumeConsumer: Type.Object({ consumerId: ConsumerIdSchema }),
  closeConsumer: Type.Object({ consumerId: ConsumerIdSchema }),
  setConsumerPreferredLayers: Type.Object({
    consumerId: ConsumerIdSchema,
    spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }),
    temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
  }),
  closeParticipant: Type.Object({ roomId: RoomIdSchema, participantId: ParticipantIdSchema }),
  closeRoom: Type.Object({ roomId: RoomIdSchema }),

  // Data messages: one uplink DataProducer per sender, one downlink DataConsumer per receiver.
  produceData: Type.Object({
    transportId: TransportIdSchema,
    /** The sender's identity, stamped as `from` on every message it sends. */
    identity: IdentitySchema,
    sctpStreamParameters: Opaque,
    label: Type.Optional(Type.String({ maxLength: 128 })),
    protocol: Type.Optional(Type.String({ maxLength: 128 })),
  }),
  consumeData: Type.Object({ transportId: TransportIdSchema, identity: IdentitySchema }),
  /** A message sent on another node (or by the server): delivered to this node's receivers in the room. */
  deliverData: DataMessageSchema,

  // Cascade: a track crossing from one node to another over a PipeTransport pair (SRTP).
  createPipeTransport: Type.Object({ roomId: RoomIdSchema, remoteNodeId: NodeIdSchema }),
  connectPipeTransport: Type.Object({
    transportId: TransportIdSchema,
    ip: Type.String(),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    srtpParameters: Type.Optional(Opaque),
  }),
  pipeConsume: Type.Object({ transportId: TransportIdSchema, producerId: ProducerIdSchema }),
  pipeProduce: Type.Object({
    transportId: TransportIdSchema,
    /** The origin producer's id: the mirror takes the same id. */
    producerId: ProducerIdSchema,
    kind: MediaKindSchema,
    rtpParameters: Opaque,
    paused: Type.Boolean(),
    source: TrackSourceSchema,
    participantId: ParticipantIdSchema,
  }),
  /** Close this room's pipes to a node (it died, or the room left it); omit roomId for all rooms. */
  closePipeTransports: Type.Object({ roomId: Type.Optional(RoomIdSchema), remoteNodeId: NodeIdSchema }),

  // Egress and ingest: RTP to and from local processes (ffmpeg) over PlainTransports.
  createPlainConsumer: Type.Object({
    roomId: RoomIdSchema,
    producerId: ProducerIdSchema,
    remoteIp: Type.String(),
    remoteRtpPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    remoteRtcpPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    rtpCapabilities: Type.Optional(Opaque),
    /** Who holds the consumer (egress passes its job id); reported in consumerClosed. */
    participantId: Type.Optional(Type.String({ maxLength: 128 })),
  }),
  createPlainProducer: Type.Object({
    roomId: RoomIdSchema,
    participantId: ParticipantIdSchema,
    kind: MediaKindSchema,
    rtpParameters: Opaque,
    source: TrackSourceSchema,
    paused: Type.Optional(Type.Boolean()),
  }),
} as const;
export type MediaRequest<M extends keyof typeof MediaRequests> = Static<(typeof MediaRequests)[M]>;

/** Why a media object went away without being asked to: sent up so actors can tell clients. */
export const MediaCloseReasonSchema = Type.Union([
  Type.Literal('producer_closed'),
  Type.Literal('transport_closed'),
  Type.Literal('router_closed'),
  Type.Literal('worker_died'),
]);
export type MediaCloseReason = Static<typeof MediaCloseReasonSchema>;

/** Events a media node reports. */
export interface MediaEvents {
  consumerClosed: { roomId: string; participantId: string; consumerId: string; producerId: string; reason: MediaCloseReason };
  producerClosed: { roomId: string; participantId: string; producerId: string; reason: MediaCloseReason };
  activeSpeaker: { roomId: string; producerId: string; participantId: string };
  /** The last consumer of a mirrored (piped-in) producer closed: the pipe can be released. */
  mirrorIdle: { roomId: string; producerId: string };
  /** A worker died: its routers (one per listed room) are gone; participants there must reconnect. */
  workerDied: { pid: number; roomIds: string[]; error: string };
  /** A participant here sent a data message: the other nodes of the room deliver it (deliverData). */
  dataMessage: DataMessage;
  /** A participant's data message was refused (too large, bad header): tell that participant. */
  dataRejected: { roomId: string; participantId: string; code: 'MESSAGE_TOO_LARGE' | 'VALIDATION_FAILED'; message: string };
}

export interface MediaNodeStats {
  workers: number;
  rooms: number;
  transports: number;
  producers: number;
  consumers: number;
}
