import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CascadeError } from '../schemas/errors';
import { probe, runTool, type ProbeResult } from './probe';

/**
 * Turning what ffmpeg wrote into files that play everywhere:
 * - MP4 is recorded fragmented (so a killed ffmpeg leaves a readable file) and always remuxed
 *   into a plain MP4 with its index up front (+faststart);
 * - WebM written by an ffmpeg that did not exit cleanly lacks duration and cues: remuxed too;
 * - a composite recording restarted for a layout change is several segments: concatenated.
 * All stream copies (-c copy): no re-encoding, seconds for an hour of media.
 */
export interface FinalizeOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  timeoutMs?: number;
}

function containerArgs(path: string): string[] {
  const ext = extname(path).toLowerCase();
  if (ext === '.mp4') return ['-movflags', '+faststart', '-f', 'mp4'];
  if (ext === '.flv') return ['-f', 'flv'];
  return ['-f', 'webm'];
}

/** ffmpeg -i input -c copy output. Rejects when ffmpeg fails or the output holds no stream. */
export async function remux(input: string, output: string, options: FinalizeOptions = {}): Promise<void> {
  const args = ['-hide_banner', '-v', 'error', '-y', '-fflags', '+genpts', '-i', input, '-map', '0', '-c', 'copy', ...containerArgs(output), output];
  await runTool(options.ffmpegPath ?? 'ffmpeg', args, options.timeoutMs ?? 120000);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.size > 0,
    () => false,
  );
}

/**
 * Makes `path` playable in place (remuxing when needed) and probes it. `clean` = ffmpeg exited
 * with code 0 after writing its trailer.
 */
export async function finalizeRecording(path: string, clean: boolean, options: FinalizeOptions = {}): Promise<ProbeResult> {
  if (!(await exists(path))) throw new CascadeError('EGRESS_FAILED', `recording ${path} is missing or empty`);
  if (!clean || extname(path).toLowerCase() === '.mp4') {
    const fixed = `${path}.remux${extname(path)}`;
    try {
      await remux(path, fixed, options);
      await rename(fixed, path);
    } catch (error) {
      await rm(fixed, { force: true });
      throw new CascadeError('EGRESS_FAILED', `could not finalize ${path}: ${(error as Error).message}`);
    }
  }
  return probe(path, { ...(options.ffprobePath ? { ffprobePath: options.ffprobePath } : {}) });
}

/** Joins finished segments of one recording (same codecs and canvas) into `output`. */
export async function concatSegments(segments: readonly string[], output: string, options: FinalizeOptions = {}): Promise<void> {
  if (segments.length === 0) throw new CascadeError('EGRESS_FAILED', 'no segments to join');
  if (segments.length === 1) {
    await rename(segments[0] as string, output);
    return;
  }
  const list = `${output}.segments.txt`;
  await writeFile(list, segments.map((s) => `file '${s.replace(/'/g, `'\\''`)}'`).join('\n') + '\n');
  try {
    const args = ['-hide_banner', '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', ...containerArgs(output), output];
    await runTool(options.ffmpegPath ?? 'ffmpeg', args, options.timeoutMs ?? 120000);
    await Promise.all(segments.map((s) => rm(s, { force: true })));
  } finally {
    await rm(list, { force: true });
  }
}
