import { execFile } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { CascadeError } from '../schemas/errors';
import { guardedFfmpegPath, trackChild } from './children';

/** ffprobe of a finished (or partial) file: what tests assert on and what fills recording rows. */
export interface ProbeStream {
  index: number;
  codecType: string;
  codecName: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /** Decoded frames (only with countFrames: ffprobe decodes the whole stream). */
  frames?: number;
  durationSeconds?: number;
  /** First timestamp, seconds: where the stream sits on the file's timeline. */
  startSeconds?: number;
}

export interface ProbeResult {
  formatName: string;
  durationSeconds: number;
  sizeBytes: number;
  bitRate?: number;
  streams: ProbeStream[];
}

/** ffprobe next to the given ffmpeg ('ffmpeg' -> 'ffprobe', '/opt/x/ffmpeg' -> '/opt/x/ffprobe'). */
export function ffprobePathFor(ffmpegPath: string): string {
  const name = basename(ffmpegPath).replace(/ffmpeg/, 'ffprobe');
  return ffmpegPath.includes('/') ? join(dirname(ffmpegPath), name) : name;
}

type RawStream = Record<string, string | number | undefined>;
interface RawProbe {
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
  streams?: RawStream[];
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Runs a tool to completion (tracked, so it dies with this process), resolving its stdout. */
export function runTool(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(guardedFfmpegPath(file), args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) reject(new CascadeError('EGRESS_FAILED', `${basename(file)} failed: ${String(stderr).trim().split('\n').slice(-2).join('; ') || error.message}`));
      else resolve(String(stdout));
    });
    trackChild(child);
  });
}

export async function probe(
  path: string,
  options: { ffprobePath?: string; countFrames?: boolean; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const args = ['-v', 'error', '-show_format', '-show_streams', '-of', 'json'];
  if (options.countFrames) args.push('-count_frames');
  const stdout = await runTool(options.ffprobePath ?? 'ffprobe', [...args, path], options.timeoutMs ?? 60000);
  const raw = JSON.parse(stdout) as RawProbe;
  const streams = (raw.streams ?? []).map((s): ProbeStream => {
    const stream: ProbeStream = { index: num(s.index) ?? 0, codecType: String(s.codec_type ?? ''), codecName: String(s.codec_name ?? '') };
    const fields: [keyof ProbeStream, unknown][] = [
      ['width', s.width],
      ['height', s.height],
      ['sampleRate', s.sample_rate],
      ['channels', s.channels],
      ['frames', s.nb_read_frames],
      ['durationSeconds', s.duration],
      ['startSeconds', s.start_time],
    ];
    for (const [key, value] of fields) {
      const n = num(value);
      if (n !== undefined) Object.assign(stream, { [key]: n });
    }
    return stream;
  });
  const bitRate = num(raw.format?.bit_rate);
  return {
    formatName: raw.format?.format_name ?? '',
    durationSeconds: num(raw.format?.duration) ?? Math.max(0, ...streams.map((s) => s.durationSeconds ?? 0)),
    sizeBytes: num(raw.format?.size) ?? 0,
    ...(bitRate !== undefined ? { bitRate } : {}),
    streams,
  };
}
