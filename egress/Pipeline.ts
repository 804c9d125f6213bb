import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TypedEmitter } from '../media/TypedEmitter';
import type { RoomId } from '../schemas/ids';
import type { CommandInput, FfmpegSpec } from './commands';
import type { EgressMediaPort, PlainConsumerInfo } from './EgressMediaPort';
import type { EgressTrack } from './EgressTypes';
import { FfmpegProcess, type EgressLogger, type FfmpegExit } from './FfmpegProcess';
import { allocatePortPairs, releasePorts, waitUntilListening, type PortPair, type PortRange } from './ports';
import type { FfmpegStats } from './progress';
import { sendRtcpByes } from './rtcpBye';
import { buildSdp, codecName, mediaCodec, mediaSsrc } from './sdp';

/**
 * One ffmpeg fed by a fixed set of tracks: the ports it listens on, the plain consumers sending
 * there, the SDP describing them, and the ffmpeg run(s) reading it. The order matters:
 *   1. ports reserved, consumers created toward them (their rtpParameters give the SDP),
 *   2. SDP written, ffmpeg started,
 *   3. once ffmpeg holds the UDP ports, consumers resumed with a key frame request,
 * so the first packets ffmpeg reads start with a decodable picture. A run can be repeated on the
 * same inputs (RTMP reconnect, restart after a crash): step 3 asks for a key frame again.
 * A stop asks ffmpeg to quit and also ends each RTP stream with an RTCP BYE (see rtcpBye.ts), so
 * ffmpeg finishes its file cleanly even when no packet comes any more; ffmpeg is stopped before
 * the consumers are closed.
 */
export interface PipelineInput {
  track: EgressTrack;
  ports: PortPair;
  consumer: PlainConsumerInfo;
  codec: string;
  ssrc: number;
}

export interface PipelineOptions {
  name: string;
  holder: string;
  roomId: RoomId;
  tracks: EgressTrack[];
  media: EgressMediaPort;
  listenIp: string;
  portRange?: PortRange;
  /** Where the SDP file goes. */
  workDir: string;
  /** The ffmpeg command for run number `run` (0, 1, ...) reading sdpPath. */
  build: (inputs: CommandInput[], sdpPath: string, run: number) => FfmpegSpec;
  ffmpegPath?: string;
  secrets?: readonly string[];
  stopTimeoutMs?: number;
  listenTimeoutMs?: number;
  log?: EgressLogger;
}

export interface PipelineEvents {
  progress: FfmpegStats;
  /** The current run ended without being asked to (crash, sink gone). */
  unexpectedExit: FfmpegExit;
}

export class Pipeline extends TypedEmitter<PipelineEvents> {
  readonly #options: PipelineOptions;
  readonly #inputs: PipelineInput[] = [];
  #ports: PortPair[] = [];
  #sdpPath: string | undefined;
  #process: FfmpegProcess | undefined;
  #runs = 0;
  #closed = false;

  constructor(options: PipelineOptions) {
    super();
    this.#options = options;
  }

  get inputs(): readonly PipelineInput[] {
    return this.#inputs;
  }

  get process(): FfmpegProcess | undefined {
    return this.#process;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reserves ports and creates one consumer per track. A track whose consumer cannot be created
   * (producer gone, codec ffmpeg cannot read) is left out and reported in `skipped`.
   */
  async open(): Promise<{ skipped: { track: EgressTrack; error: string }[] }> {
    const o = this.#options;
    this.#ports = await allocatePortPairs(o.tracks.length, o.listenIp, o.portRange);
    const skipped: { track: EgressTrack; error: string }[] = [];
    // Side by side: each consumer may need a pipe from another node first (a round trip or two).
    const opened = await Promise.all(
      o.tracks.map(async (track, i) => {
        const ports = this.#ports[i] as PortPair;
        try {
          const consumer = await o.media.createPlainConsumer({
            roomId: o.roomId,
            producerId: track.producerId,
            remoteIp: o.listenIp,
            remoteRtpPort: ports.rtpPort,
            remoteRtcpPort: ports.rtcpPort,
            holder: o.holder,
          });
          try {
            const codec = codecName(mediaCodec(consumer.rtpParameters));
            return { track, ports, consumer, codec, ssrc: mediaSsrc(consumer.rtpParameters) };
          } catch (error) {
            await o.media.closeConsumer(consumer.consumerId).catch(() => undefined);
            throw error;
          }
        } catch (error) {
          skipped.push({ track, error: (error as Error).message });
          return undefined;
        }
      }),
    );
    for (const input of opened) {
      if (!input) continue;
      // Closed meanwhile: what was opened is closed again, in order.
      if (this.#closed) await o.media.closeConsumer(input.consumer.consumerId).catch(() => undefined);
      else this.#inputs.push(input);
    }
    if (this.#inputs.length > 0) {
      this.#sdpPath = join(o.workDir, `${o.name}.sdp`);
      const sdp = buildSdp({
        ip: o.listenIp,
        tracks: this.#inputs.map((input) => ({
          kind: input.track.kind,
          rtpParameters: input.consumer.rtpParameters,
          rtpPort: input.ports.rtpPort,
          rtcpPort: input.ports.rtcpPort,
        })),
      });
      await writeFile(this.#sdpPath, sdp);
    }
    return { skipped };
  }

  /** Starts a new ffmpeg run on the opened inputs; resolves once media flows toward it. */
  async run(): Promise<FfmpegProcess> {
    const o = this.#options;
    if (this.#closed) throw new Error('pipeline closed');
    if (!this.#sdpPath || this.#inputs.length === 0) throw new Error('pipeline has no inputs');
    const run = this.#runs++;
    const spec = o.build(
      this.#inputs.map((input) => ({ kind: input.track.kind, codec: input.codec })),
      this.#sdpPath,
      run,
    );
    const process = new FfmpegProcess({
      spec,
      label: `${o.holder}/${o.name}#${run}`,
      ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}),
      ...(o.secrets ? { secrets: o.secrets } : {}),
      ...(o.stopTimeoutMs ? { stopTimeoutMs: o.stopTimeoutMs } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    this.#process = process;
    process.on('progress', (stats) => this.safeEmit('progress', stats));
    // Before run() resolves, a failed start is reported by run() rejecting; after, by this event.
    let live = false;
    process.on('exit', (exit) => {
      if (live && !exit.requested && this.#process === process && !this.#closed) this.safeEmit('unexpectedExit', exit);
    });
    try {
      const pid = await process.start();
      await waitUntilListening(
        pid,
        this.#inputs.flatMap((input) => [input.ports.rtpPort, input.ports.rtcpPort]),
        { timeoutMs: o.listenTimeoutMs ?? 5000, isAlive: () => process.running },
      );
      await Promise.all(this.#inputs.map((input) => o.media.resumeConsumer(input.consumer.consumerId)));
    } catch (error) {
      // ffmpeg died (its exit reason says why), or never listened, or a resume failed.
      const died = process.exitInfo;
      if (!died) await process.kill();
      throw new Error(died && !died.requested ? died.reason : (error as Error).message);
    }
    if (process.exitInfo) throw new Error(process.exitInfo.reason);
    live = true;
    return process;
  }

  /** Stops the current run gracefully (the file gets its trailer). */
  async stopRun(): Promise<FfmpegExit | undefined> {
    const process = this.#process;
    if (!process) return undefined;
    // stop() first: an exit the BYEs bring about is then one that was asked for.
    const exit = process.stop();
    if (process.running) {
      const streams = this.#inputs.map((input) => ({ ssrc: input.ssrc, rtcpPort: input.ports.rtcpPort }));
      await sendRtcpByes(this.#options.listenIp, streams);
    }
    return exit;
  }

  /** Stops ffmpeg, then closes consumers and frees ports. Idempotent. */
  async close(options: { kill?: boolean } = {}): Promise<FfmpegExit | undefined> {
    if (this.#closed) return this.#process?.exitInfo;
    this.#closed = true;
    const exit = options.kill ? await this.#process?.kill() : await this.stopRun();
    await Promise.all(this.#inputs.map((input) => this.#options.media.closeConsumer(input.consumer.consumerId).catch(() => undefined)));
    releasePorts(this.#ports);
    if (this.#sdpPath) await rm(this.#sdpPath, { force: true });
    return exit;
  }
}
