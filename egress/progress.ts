/**
 * ffmpeg's stats line (printed to stderr every -stats_period), e.g.
 *   frame=   76 fps= 24 q=-1.0 size=      86kB time=00:00:05.01 bitrate= 140.2kbits/s speed=1.61x
 * Audio-only outputs have no frame=; sizes are kB (ffmpeg 5) or KiB (ffmpeg 6+); time and
 * bitrate may be N/A before the first packet, and time may be negative right at the start.
 */
export interface FfmpegStats {
  frames?: number;
  /** Bytes written to the output(s). */
  sizeBytes?: number;
  /** Position of the output, seconds. */
  timeSeconds?: number;
  bitrateKbps?: number;
  speed?: number;
}

const UNITS: Record<string, number> = { B: 1, kB: 1024, KiB: 1024, MB: 1024 * 1024, MiB: 1024 * 1024, GB: 1024 ** 3, GiB: 1024 ** 3 };

export function parseTimemark(value: string): number | undefined {
  const match = /^(-)?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4]);
  return match[1] ? -seconds : seconds;
}

/** The stats of one line, or undefined when the line is not a stats line. */
export function parseStatsLine(line: string): FfmpegStats | undefined {
  if (!/\btime=/.test(line) || !/\bsize=|\bLsize=/.test(line)) return undefined;
  const stats: FfmpegStats = {};
  const frames = /\bframe=\s*(\d+)/.exec(line);
  if (frames?.[1]) stats.frames = Number(frames[1]);
  const size = /\bL?size=\s*(\d+(?:\.\d+)?)\s*(B|kB|KiB|MB|MiB|GB|GiB)\b/.exec(line);
  if (size?.[1] && size[2]) stats.sizeBytes = Math.round(Number(size[1]) * (UNITS[size[2]] ?? 1));
  const time = /\btime=\s*(-?[\d:.]+)/.exec(line);
  const seconds = time?.[1] ? parseTimemark(time[1]) : undefined;
  if (seconds !== undefined) stats.timeSeconds = seconds;
  const bitrate = /\bbitrate=\s*(\d+(?:\.\d+)?)kbits\/s/.exec(line);
  if (bitrate?.[1]) stats.bitrateKbps = Number(bitrate[1]);
  const speed = /\bspeed=\s*(\d+(?:\.\d+)?)x/.exec(line);
  if (speed?.[1]) stats.speed = Number(speed[1]);
  return stats;
}
