import { Type, type Static } from '@sinclair/typebox';
import { EgressIdSchema, NodeIdSchema, ParticipantIdSchema, ProducerIdSchema, RoomIdSchema } from './ids';
import { MediaKindSchema } from './media';

/**
 * Egress jobs (recordings and RTMP streams): their states, progress and files, and the messages
 * of the `egress` actor. egress/ (the ffmpeg side), store/, the actors, REST and WebSocket events
 * all take these shapes from here.
 */

export const EgressKindSchema = Type.Union([Type.Literal('recording'), Type.Literal('rtmp')]);
export type EgressKind = Static<typeof EgressKindSchema>;

export const EgressStateSchema = Type.Union([
  Type.Literal('starting'),
  Type.Literal('active'),
  Type.Literal('stopping'),
  Type.Literal('complete'),
  Type.Literal('failed'),
]);
export type EgressState = Static<typeof EgressStateSchema>;

export const RecordingFormatSchema = Type.Union([Type.Literal('webm'), Type.Literal('mp4')]);
export type RecordingFormat = Static<typeof RecordingFormatSchema>;
export const EgressFormatSchema = Type.Union([RecordingFormatSchema, Type.Literal('flv')]);
export type EgressFormat = Static<typeof EgressFormatSchema>;

export const EgressProgressSchema = Type.Object({
  /** Seconds of media written (sum of finished segments plus the running one). */
  durationSeconds: Type.Number(),
  bytesWritten: Type.Integer(),
  bitrateKbps: Type.Number(),
  /** RTMP: times ffmpeg was restarted because the sink dropped or refused the stream. */
  reconnects: Type.Integer(),
});
export type EgressProgress = Static<typeof EgressProgressSchema>;

/** Why a job ended. A closed set, logged, stored and sent as is. */
export const EgressEndReasonSchema = Type.Union([
  Type.Literal('stopped'),
  Type.Literal('room_closed'),
  Type.Literal('start_timeout'),
  Type.Literal('ffmpeg_exited'),
  Type.Literal('sink_unreachable'),
  Type.Literal('media_error'),
  Type.Literal('finalize_failed'),
  /** The node running the job is shutting down: ffmpeg is stopped and files finalized first. */
  Type.Literal('node_shutdown'),
  /** The node running the job died: nothing could be finalized there. */
  Type.Literal('node_failed'),
]);
export type EgressEndReason = Static<typeof EgressEndReasonSchema>;

export const EgressFileSchema = Type.Object({
  path: Type.String(),
  /** 'composite': the room's grid; 'track': one producer's media. */
  layout: Type.Union([Type.Literal('composite'), Type.Literal('track')]),
  producerId: Type.Optional(Type.String()),
  participantId: Type.Optional(Type.String()),
  durationSeconds: Type.Number(),
  sizeBytes: Type.Integer(),
  /** Codec names ffprobe found, e.g. ['vp8', 'opus']. */
  codecs: Type.Array(Type.String()),
});
export type EgressFile = Static<typeof EgressFileSchema>;

/** A job as the actors, REST and clients see it. The RTMP URL appears only redacted. */
export const EgressInfoSchema = Type.Object({
  id: EgressIdSchema,
  roomId: RoomIdSchema,
  kind: EgressKindSchema,
  state: EgressStateSchema,
  composite: Type.Boolean(),
  format: EgressFormatSchema,
  /** The node running the job. */
  nodeId: Type.Optional(NodeIdSchema),
  urlRedacted: Type.Optional(Type.String()),
  progress: EgressProgressSchema,
  files: Type.Array(EgressFileSchema),
  reason: Type.Optional(EgressEndReasonSchema),
  error: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String()),
  startedAt: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
});
export type EgressInfo = Static<typeof EgressInfoSchema>;

/** A track a job records or streams, and the node its producer lives on. */
export const EgressTrackSchema = Type.Object({
  producerId: ProducerIdSchema,
  participantId: ParticipantIdSchema,
  kind: MediaKindSchema,
});
export type EgressTrack = Static<typeof EgressTrackSchema>;

/** What a client or the API asks for. */
export const EgressRequestSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('recording'),
    format: Type.Optional(RecordingFormatSchema),
    composite: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    kind: Type.Literal('rtmp'),
    url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^rtmps?://' }),
  }),
]);
export type EgressRequest = Static<typeof EgressRequestSchema>;

export const EgressActions = {
  start: 'egress.start',
  stop: 'egress.stop',
  addTrack: 'egress.addTrack',
  removeTrack: 'egress.removeTrack',
  roomClosed: 'egress.roomClosed',
  listByRoom: 'egress.listByRoom',
  find: 'egress.find',
  list: 'egress.list',
} as const;

export const EgressMessages = {
  /** From the room's owner to the chosen egress node: run this job on these tracks. */
  start: Type.Object({
    egressId: EgressIdSchema,
    roomId: RoomIdSchema,
    request: EgressRequestSchema,
    tracks: Type.Array(EgressTrackSchema),
  }),
  /** Returns at once with the job `stopping`; `reason` defaults to 'stopped'. */
  stop: Type.Object({ egressId: EgressIdSchema, reason: Type.Optional(EgressEndReasonSchema) }),
  addTrack: Type.Object({ egressId: EgressIdSchema, track: EgressTrackSchema }),
  removeTrack: Type.Object({ egressId: EgressIdSchema, producerId: ProducerIdSchema }),
  roomClosed: Type.Object({ egressId: EgressIdSchema }),
  /** The jobs of a room running on this node (a new room owner rebuilds from them after a failover). */
  listByRoom: Type.Object({ roomId: RoomIdSchema }),
  /** Stored jobs (any node answers: they read the shared store). */
  find: Type.Object({ egressId: EgressIdSchema }),
  list: Type.Object({
    roomId: Type.Optional(RoomIdSchema),
    state: Type.Optional(EgressStateSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  }),
} as const;
export type EgressMessage<M extends keyof typeof EgressMessages> = Static<(typeof EgressMessages)[M]>;

/** Final states: a job never leaves them. */
export function isFinalEgressState(state: EgressState): boolean {
  return state === 'complete' || state === 'failed';
}
