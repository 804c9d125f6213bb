import type { EgressId, RoomId } from '../schemas/ids';
import type {
  EgressEndReason,
  EgressFile,
  EgressKind,
  EgressProgress,
  EgressState,
  RecordingFormat,
} from '../schemas/egress';
import type { EgressMediaPort } from './EgressMediaPort';

/** Shapes of an egress job. The ones that travel live in schemas/egress.ts; these are egress/'s own. */
export type {
  EgressEndReason,
  EgressFile,
  EgressInfo,
  EgressKind,
  EgressProgress,
  EgressState,
  EgressTrack,
  RecordingFormat,
} from '../schemas/egress';

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
