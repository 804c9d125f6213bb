import type { MediaKind } from '../schemas/media';
import { gridLayout, type Canvas } from './layout';

/**
 * ffmpeg argument lists for the three egress shapes. Pure functions of their inputs, so every
 * choice (copy or transcode, grid, encoder settings) is unit-tested without running ffmpeg.
 *
 * Input i of the SDP is ffmpeg stream `0:i` (m-lines keep their order).
 */
export interface CommandInput {
  kind: MediaKind;
  /** rtpmap codec name: 'opus', 'VP8', 'VP9', 'H264'. */
  codec: string;
}

export interface FfmpegSpec {
  inputs: { args: string[]; source: string }[];
  filterComplex?: string;
  outputArgs: string[];
  output: string;
}

export type Container = 'webm' | 'mp4' | 'flv';

/** Stats once a second; `level` tags each log line ([error], [warning]) so exits can be explained. */
const GLOBAL_ARGS = ['-hide_banner', '-loglevel', 'level+info', '-stats', '-stats_period', '1'];

/**
 * Reading RTP from an SDP file. -listen_timeout -1: by default ffmpeg ends its input after 10 s
 * without packets (e.g. every track muted); the job decides when to stop, not ffmpeg.
 * -fpsprobesize 0 and a short analyzeduration keep the time to first output byte low.
 */
export function sdpInputArgs(listenIp: string): string[] {
  return [
    ...GLOBAL_ARGS,
    '-protocol_whitelist', 'file,udp,rtp',
    '-listen_timeout', '-1',
    '-localaddr', listenIp,
    '-buffer_size', '4194304',
    '-analyzeduration', '1500000',
    '-fpsprobesize', '0',
    '-f', 'sdp',
  ];
}

/**
 * Fragmented MP4 while recording: a killed ffmpeg leaves a file that still plays up to the last
 * fragment (a plain MP4 has its index only at the end). finalize.ts remuxes it to a plain MP4.
 */
const LIVE_MP4_ARGS = ['-movflags', '+empty_moov+default_base_moof+frag_keyframe', '-frag_duration', '1000000', '-f', 'mp4'];

/** Codecs each container takes as they arrive over RTP. */
const COPYABLE: Record<'webm' | 'mp4', ReadonlySet<string>> = {
  webm: new Set(['vp8', 'vp9', 'opus']),
  mp4: new Set(['h264', 'vp9', 'opus']),
};

export function canCopy(codec: string, container: 'webm' | 'mp4'): boolean {
  return COPYABLE[container].has(codec.toLowerCase());
}

export interface EncoderSettings {
  fps: number;
  videoKbps: number;
}

function videoEncoder(container: Container, settings: EncoderSettings): string[] {
  const gop = String(Math.max(1, Math.round(settings.fps * 2)));
  const rate = `${settings.videoKbps}k`;
  if (container === 'webm') {
    // A negative cpu-used is a fixed speed. A positive one lets VP8's realtime mode pick its
    // speed from the time it thinks it has per frame: on live input it chose slow settings and
    // fell behind (measured: 720p30 grid at 0.15-0.6x real time with 8, 1.0x with -8).
    return ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '-8', '-b:v', rate, '-g', gop, '-auto-alt-ref', '0'];
  }
  const args = ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', gop, '-b:v', rate];
  // RTMP sinks (YouTube, Twitch) want a constant key frame interval and a bounded rate.
  if (container === 'flv') args.push('-keyint_min', gop, '-sc_threshold', '0', '-maxrate', rate, '-bufsize', `${settings.videoKbps * 2}k`);
  return args;
}

function audioEncoder(container: Container): string[] {
  return container === 'webm' ? ['-c:a', 'libopus', '-b:a', '96k'] : ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000'];
}

/**
 * Files are flushed packet by packet and cut in ~1 s clusters/fragments: without that, ffmpeg's
 * 32 KB write buffer and 5 s clusters would take the last seconds with it when it is killed.
 */
const FLUSH_ARGS = ['-flush_packets', '1'];

function muxer(container: Container): string[] {
  if (container === 'mp4') return [...FLUSH_ARGS, ...LIVE_MP4_ARGS];
  if (container === 'flv') return ['-f', 'flv', '-flvflags', 'no_duration_filesize'];
  return [...FLUSH_ARGS, '-cluster_time_limit', '1000', '-f', 'webm'];
}

/**
 * One track into one file: copied when the container takes the codec (VP8/VP9/Opus in WebM,
 * H.264/VP9/Opus in MP4), else transcoded to the container's codec (VP8 or H.264).
 */
export function trackCommand(options: {
  sdpPath: string;
  listenIp: string;
  input: CommandInput;
  container: 'webm' | 'mp4';
  output: string;
  fps?: number;
}): FfmpegSpec & { transcoded: boolean } {
  const { input, container } = options;
  const copy = canCopy(input.codec, container);
  const stream = input.kind === 'video' ? 'v' : 'a';
  // Transcoded video gets an explicit rate (-r): RTP input has none (ffmpeg sees 90k tbr), and
  // the encoder would otherwise plan for 90000 fps (MP4: emit them; x264: starve each frame).
  const fps = options.fps ?? 30;
  const codecArgs = copy
    ? [`-c:${stream}`, 'copy']
    : input.kind === 'video'
      ? [...videoEncoder(container, { fps, videoKbps: 1000 }), '-r', String(fps)]
      : audioEncoder(container);
  return {
    inputs: [{ args: sdpInputArgs(options.listenIp), source: options.sdpPath }],
    outputArgs: ['-map', '0:0', ...codecArgs, '-max_muxing_queue_size', '1024', ...muxer(container)],
    output: options.output,
    transcoded: !copy,
  };
}

/** A sensible bitrate for the canvas: ~0.1 bit per pixel per frame, at least 300 kb/s. */
export function defaultVideoKbps(canvas: Canvas): number {
  return Math.max(300, Math.round((canvas.width * canvas.height * canvas.fps * 0.1) / 1000));
}

/**
 * Every video in a grid over the canvas and every audio mixed. Video tiles are scaled to fit
 * (aspect kept, black bars) and resampled to the canvas rate; audio inputs go through
 * aresample=async so gaps (DTX, loss) become silence on the RTCP-derived timeline instead of
 * pulling later audio early. The output always has one video and one audio stream: with no
 * video a black canvas is generated in real time, with no audio silence. RTMP sinks need both,
 * and segments of one recording (the layout changes as people come and go) must have the same
 * streams to be joined.
 */
export function compositeCommand(options: {
  sdpPath: string;
  listenIp: string;
  inputs: CommandInput[];
  container: Container;
  output: string;
  canvas: Canvas;
  videoKbps?: number;
}): FfmpegSpec {
  const { canvas, container } = options;
  const videos = options.inputs.map((input, index) => ({ ...input, index })).filter((i) => i.kind === 'video');
  const audios = options.inputs.map((input, index) => ({ ...input, index })).filter((i) => i.kind === 'audio');
  const inputs: FfmpegSpec['inputs'] = [{ args: sdpInputArgs(options.listenIp), source: options.sdpPath }];
  const filters: string[] = [];
  const maps: string[] = [];
  const encoders: string[] = [];
  const settings = { fps: canvas.fps, videoKbps: options.videoKbps ?? defaultVideoKbps(canvas) };
  const size = `${canvas.width}x${canvas.height}`;

  if (videos.length > 0) {
    const tiles = gridLayout(videos.length, canvas);
    videos.forEach((video, i) => {
      const tile = tiles[i] ?? { width: canvas.width, height: canvas.height };
      const w = tile.width;
      const h = tile.height;
      const label = videos.length === 1 ? 'grid' : `v${i}`;
      filters.push(
        `[0:${video.index}]scale=${w}:${h}:force_original_aspect_ratio=decrease,` +
          `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=${canvas.fps},format=yuv420p[${label}]`,
      );
    });
    if (videos.length > 1) {
      const layout = tiles.map((t) => `${t.x}_${t.y}`).join('|');
      filters.push(`${videos.map((_, i) => `[v${i}]`).join('')}xstack=inputs=${videos.length}:layout=${layout}:fill=black[grid]`);
    }
    // Tiles are rounded down to even sizes: pad the grid back to the exact canvas.
    filters.push(`[grid]pad=${canvas.width}:${canvas.height}:(ow-iw)/2:(oh-ih)/2:color=black[vout]`);
    maps.push('-map', '[vout]');
  } else {
    inputs.push({ args: ['-re', '-f', 'lavfi'], source: `color=c=black:s=${size}:r=${canvas.fps}` });
    maps.push('-map', `${inputs.length - 1}:v`);
  }
  encoders.push(...videoEncoder(container, settings));

  if (audios.length > 0) {
    audios.forEach((audio, i) => filters.push(`[0:${audio.index}]aresample=async=1000[a${i}]`));
    if (audios.length === 1) {
      filters.push('[a0]anull[aout]');
    } else {
      filters.push(
        `${audios.map((_, i) => `[a${i}]`).join('')}amix=inputs=${audios.length}:duration=longest:dropout_transition=0:normalize=0[aout]`,
      );
    }
    maps.push('-map', '[aout]');
  } else {
    inputs.push({ args: ['-re', '-f', 'lavfi'], source: 'anullsrc=r=48000:cl=stereo' });
    maps.push('-map', `${inputs.length - 1}:a`);
  }
  encoders.push(...audioEncoder(container));

  return {
    inputs,
    ...(filters.length > 0 ? { filterComplex: filters.join(';') } : {}),
    outputArgs: [...maps, ...encoders, '-max_muxing_queue_size', '1024', ...muxer(container)],
    output: options.output,
  };
}

/** The whole argument list, as ffmpeg receives it (for logs and tests; redact before logging). */
export function toArgs(spec: FfmpegSpec): string[] {
  return [
    ...spec.inputs.flatMap((input) => [...input.args, '-i', input.source]),
    ...(spec.filterComplex ? ['-filter_complex', spec.filterComplex] : []),
    ...spec.outputArgs,
    spec.output,
  ];
}
