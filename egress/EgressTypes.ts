import { Type, type Static } from '@sinclair/typebox';
import type { EgressId, ParticipantId, ProducerId, RoomId } from '../schemas/ids';
import type { MediaKind } from '../schemas/media';
import type { EgressMediaPort } from './EgressMediaPort';

/**
 * Shapes of an egress job. The ones that travel (state, progress, reasons, file info) are TypeBox
 * schemas so the actor and REST layers can validate and re-export them; the rest are plain types.
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

/**
 * Allowed transitions; anything else is a bug and throws. Every end goes through stopping (ffmpeg
 * stopped, files finalized), then complete or failed, both final.
 */
export const EGRESS_TRANSITIONS: Readonly<Record<EgressState, readonly EgressState[]>> = {
  starting: ['active', 'stopping'],
  active: ['stopping'],
  stopping: ['complete', 'failed'],
  complete: [],
  failed: [],
};

export const RecordingFormatSchema = Type.Union([Type.Literal('webm'), Type.Literal('mp4')]);
export type RecordingFormat = Static<typeof RecordingFormatSchema>;

export const EgressProgressSchema = Type.Object({
  /** Seconds of media written (sum of finished segments plus the running one). */
  durationSeconds: Type.Number(),
  bytesWritten: Type.Integer(),
  bitrateKbps: Type.Number(),
  /** RTMP: times ffmpeg was restarted because the sink dropped or refused the stream. */
  reconnects: Type.Integer(),
});
export type EgressProgress = Static<typeof EgressProgressSchema>;

/** Why a job ended (or is reconnecting). A closed set, logged and stored as is. */
export const EgressEndReasonSchema = Type.Union([
  Type.Literal('stopped'),
  Type.Literal('room_closed'),
  Type.Literal('start_timeout'),
  Type.Literal('ffmpeg_exited'),
  Type.Literal('sink_unreachable'),
  Type.Literal('media_error'),
  Type.Literal('finalize_failed'),
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

/** A track the job records or streams. The actor tells the job about tracks as they come and go. */
export interface EgressTrack {
  producerId: ProducerId;
  participantId: ParticipantId;
  kind: MediaKind;
}

export interface EgressJobOptions {
  id: EgressId;
  roomId: RoomId;
  kind: EgressKind;
  media: EgressMediaPort;
  /** Recording: one grid file (true, default) or one file per track (false). RTMP is always composite. */
  composite?: boolean;
  /** Recording container. Default 'webm'. RTMP is always FLV (H.264/AAC). */
  format?: RecordingFormat;
  /** Where recordings go (a sub-directory per job is created). Required for recordings. */
  directory?: string;
  /** rtmp:// or rtmps:// URL including the stream key. Required for RTMP. */
  rtmpUrl?: string;
  /** Default 'ffmpeg'; ffprobe is looked up next to it. */
  ffmpegPath?: string;
  /** IP ffmpeg listens on and the media node sends to. Default '127.0.0.1'. */
  listenIp?: string;
  /** No track, or no media written, by then: the job fails with start_timeout. Default 20. */
  startTimeoutSeconds?: number;
  /** Recording: what an unexpected ffmpeg exit does. Default 'fail'. RTMP always reconnects. */
  onFfmpegExit?: 'fail' | 'restart';
  /** Recording with onFfmpegExit 'restart': restarts allowed before failing. Default 3. */
  maxRestarts?: number;
  /** RTMP: consecutive failed attempts before failing. Default 5. */
  maxReconnects?: number;
  /** RTMP: first reconnect delay, doubled per attempt up to maxReconnectDelayMs. Default 500 / 8000. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Composite canvas. Default 1280x720 at 30 fps. */
  canvas?: { width: number; height: number; fps: number };
  /** ms between 'q' / SIGINT / SIGKILL when stopping ffmpeg. Default 5000 in total. */
  stopTimeoutMs?: number;
  /** UDP port range for ffmpeg's inputs. Default 20000..29999 (below the kernel's ephemeral range). */
  portRange?: { min: number; max: number };
}

export type EgressJobDefaults = Required<Omit<EgressJobOptions, 'id' | 'roomId' | 'kind' | 'media' | 'directory' | 'rtmpUrl' | 'portRange'>>;

export const EGRESS_JOB_DEFAULTS: Readonly<EgressJobDefaults> = {
  composite: true,
  format: 'webm',
  ffmpegPath: 'ffmpeg',
  listenIp: '127.0.0.1',
  startTimeoutSeconds: 20,
  onFfmpegExit: 'fail',
  maxRestarts: 3,
  maxReconnects: 5,
  reconnectDelayMs: 500,
  maxReconnectDelayMs: 8000,
  canvas: { width: 1280, height: 720, fps: 30 },
  stopTimeoutMs: 5000,
};

export interface EgressJobEvents {
  stateChanged: { state: EgressState; previous: EgressState; reason?: EgressEndReason; error?: string };
  progress: EgressProgress;
  reconnecting: { attempt: number; delayMs: number; error: string };
  /** A segment or per-track file was finished (ffmpeg restarted, track left, or job stopped). */
  fileFinished: EgressFile;
  ended: {
    state: 'complete' | 'failed';
    reason: EgressEndReason;
    error?: string;
    files: EgressFile[];
    progress: EgressProgress;
  };
}

/** Snapshot for REST and persistence; the RTMP URL appears only redacted. */
export interface EgressInfo {
  id: EgressId;
  roomId: RoomId;
  kind: EgressKind;
  state: EgressState;
  composite: boolean;
  format: RecordingFormat | 'flv';
  urlRedacted?: string;
  progress: EgressProgress;
  files: EgressFile[];
  reason?: EgressEndReason;
  error?: string;
  startedAt?: Date;
  endedAt?: Date;
}
