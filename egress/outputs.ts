import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EgressFile, EgressProgress, EgressTrack, RecordingFormat } from './EgressTypes';
import { concatSegments, finalizeRecording, type FinalizeOptions } from './finalize';
import type { Pipeline } from './Pipeline';
import { probe } from './probe';
import type { FfmpegStats } from './progress';

/**
 * Where a job's files go and how its pieces become files. A job writes "groups": the composite
 * (one group) or one group per track. Each ffmpeg run of a group writes a segment (a new one
 * after a layout change or a restart); a finished segment is made playable at once, so a job that
 * dies later still leaves good files; when the group ends its segments are joined into one file.
 */
export const COMPOSITE_GROUP = 'composite';

export interface Group {
  pipeline: Pipeline;
  /** Per-track groups: their track. */
  track?: EgressTrack;
  /** Output of the running ffmpeg (recordings). */
  current?: string;
  /** Finished, playable segments, in order. */
  segments: string[];
  /** Media time and bytes of the group's finished runs. */
  doneSeconds: number;
  doneBytes: number;
  /** The running ffmpeg's last stats. */
  stats?: FfmpegStats;
  /** Times its ports were found taken when ffmpeg tried to bind them. */
  portRetries?: number;
}

/** Duration: the longest group; bytes and bitrate: all groups together. */
export function groupsProgress(groups: readonly Group[]): Omit<EgressProgress, 'reconnects'> {
  const seconds = (g: Group) => g.doneSeconds + Math.max(0, g.stats?.timeSeconds ?? 0);
  // ffmpeg's bitrate is meaningless in its first second (a few bytes over a few ms).
  const bitrate = (g: Group) => (g.pipeline.process?.running && (g.stats?.timeSeconds ?? 0) >= 1 ? (g.stats?.bitrateKbps ?? 0) : 0);
  return {
    durationSeconds: Math.round(Math.max(0, ...groups.map(seconds)) * 100) / 100,
    bytesWritten: groups.reduce((sum, g) => sum + g.doneBytes + (g.stats?.sizeBytes ?? 0), 0),
    bitrateKbps: Math.round(groups.reduce((sum, g) => sum + bitrate(g), 0) * 10) / 10,
  };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);

export function groupOf(track: EgressTrack | undefined): string {
  return track ? `${safe(track.participantId)}_${track.kind}_${safe(track.producerId)}` : COMPOSITE_GROUP;
}

export function segmentPath(jobDir: string, group: string, seq: number, format: RecordingFormat): string {
  return join(jobDir, `${group}.part${String(seq).padStart(3, '0')}.${format}`);
}

export function finalPath(jobDir: string, group: string, format: RecordingFormat): string {
  return join(jobDir, `${group}.${format}`);
}

/** Makes one finished segment playable; undefined when it holds nothing (ffmpeg got no media). */
export async function finishSegment(path: string, clean: boolean, options: FinalizeOptions): Promise<string | undefined> {
  try {
    const result = await finalizeRecording(path, clean, options);
    if (result.streams.length > 0 && result.durationSeconds > 0) return path;
  } catch {
    // Empty or unreadable: nothing worth keeping.
  }
  await rm(path, { force: true });
  return undefined;
}

/** Joins a group's segments into its final file and describes it. */
export async function finishGroup(
  segments: readonly string[],
  output: string,
  describe: Pick<EgressFile, 'layout' | 'producerId' | 'participantId'>,
  options: FinalizeOptions,
): Promise<EgressFile> {
  await concatSegments(segments, output, options);
  const result = await probe(output, options.ffprobePath ? { ffprobePath: options.ffprobePath } : {});
  return {
    path: output,
    ...describe,
    durationSeconds: result.durationSeconds,
    sizeBytes: result.sizeBytes,
    codecs: result.streams.map((s) => s.codecName),
  };
}
