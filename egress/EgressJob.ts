import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypedEmitter } from '../media/TypedEmitter';
import { CascadeError } from '../schemas/errors';
import type { EgressId, ProducerId } from '../schemas/ids';
import { compositeCommand, trackCommand } from './commands';
import {
  EGRESS_JOB_DEFAULTS,
  EGRESS_TRANSITIONS,
  type EgressEndReason,
  type EgressFile,
  type EgressInfo,
  type EgressJobDefaults,
  type EgressJobEvents,
  type EgressJobOptions,
  type EgressProgress,
  type EgressState,
  type EgressTrack,
} from './EgressTypes';
import type { EgressLogger, FfmpegExit } from './FfmpegProcess';
import { COMPOSITE_GROUP, finalPath, finishGroup, finishSegment, groupOf, groupsProgress, segmentPath, type Group } from './outputs';
import { Pipeline } from './Pipeline';
import { ffprobePathFor } from './probe';
import type { FfmpegStats } from './progress';
import { redactRtmpUrl, rtmpSecrets } from './redact';

type Ended = EgressJobEvents['ended'];

/**
 * One egress job, no broker: the actor feeds it tracks (addTrack/removeTrack as they are
 * published, muted or left) and tells it when the room closed; it runs ffmpeg and reports state,
 * progress and reconnects as events. Every change goes through one queue, so a layout change, a
 * crash and a stop never interleave.
 *
 * starting: waiting for a track, then for ffmpeg's first output (fails after startTimeoutSeconds
 *   with start_timeout, never hangs); active: media is being written; stopping: ffmpeg asked to
 *   finish, files finalized; complete / failed: final, `ended` carries the files.
 * Composite: one ffmpeg over all tracks, restarted into a new segment when the track set
 * changes (debounced), segments joined at the end. Per-track: one ffmpeg per track.
 * RTMP: when ffmpeg exits (sink dropped or refused), it is restarted on the same consumers after
 * reconnectDelayMs * 2^n; maxReconnects failures in a row fail the job with sink_unreachable.
 * A/V sync comes from the senders' RTCP sender reports reaching ffmpeg (see sdp.ts).
 */
export class EgressJob extends TypedEmitter<EgressJobEvents> {
  readonly #o: EgressJobDefaults & EgressJobOptions;
  readonly #tracks = new Map<ProducerId, EgressTrack>();
  readonly #groups = new Map<string, Group>();
  readonly #files: EgressFile[] = [];
  readonly #log: EgressLogger;
  #state: EgressState = 'starting';
  #queue: Promise<void> = Promise.resolve();
  #ending: Promise<Ended> | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #started = false;
  #applyPending = false;
  #lastError: string | undefined;
  #reconnects = 0;
  #failuresInRow = 0;
  #restarts = 0;
  #segmentSeq = 0;
  #lastProgressAt = 0;
  #reason: EgressEndReason | undefined;
  #error: string | undefined;
  #startedAt: Date | undefined;
  #endedAt: Date | undefined;

  constructor(options: EgressJobOptions, log?: EgressLogger) {
    super();
    if (options.kind === 'rtmp' && !/^rtmps?:\/\//i.test(options.rtmpUrl ?? ''))
      throw new CascadeError('VALIDATION_FAILED', 'an RTMP job needs an rtmp:// or rtmps:// URL');
    if (options.kind === 'recording' && !options.directory) throw new CascadeError('VALIDATION_FAILED', 'a recording needs a directory');
    this.#o = { ...EGRESS_JOB_DEFAULTS, ...options };
    this.#log = log ?? (() => undefined);
  }

  get id(): EgressId {
    return this.#o.id;
  }

  get state(): EgressState {
    return this.#state;
  }

  get progress(): EgressProgress {
    return { ...groupsProgress([...this.#groups.values()]), reconnects: this.#reconnects };
  }

  get info(): EgressInfo {
    return {
      id: this.#o.id,
      roomId: this.#o.roomId,
      kind: this.#o.kind,
      state: this.#state,
      composite: this.#composite,
      format: this.#o.kind === 'rtmp' ? 'flv' : this.#o.format,
      ...(this.#o.rtmpUrl ? { urlRedacted: redactRtmpUrl(this.#o.rtmpUrl) } : {}),
      progress: this.progress,
      files: [...this.#files],
      ...(this.#reason ? { reason: this.#reason } : {}),
      ...(this.#error ? { error: this.#error } : {}),
      ...(this.#startedAt ? { startedAt: this.#startedAt.toISOString() } : {}),
      ...(this.#endedAt ? { endedAt: this.#endedAt.toISOString() } : {}),
    };
  }

  get #composite(): boolean {
    return this.#o.kind === 'rtmp' || this.#o.composite;
  }

  /** Recordings: <directory>/<job id>; RTMP has no files but its SDPs, in a temporary directory. */
  get #jobDir(): string {
    return this.#o.directory ? join(this.#o.directory, this.#o.id) : join(tmpdir(), `cascade-egress-${this.#o.id}`);
  }

  /** Arms the start timeout and starts on the tracks known so far (if any). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await mkdir(this.#jobDir, { recursive: true });
    this.#timer(this.#o.startTimeoutSeconds * 1000, () => {
      if (this.#state !== 'starting') return;
      const why = this.#tracks.size === 0 ? 'no track was published' : `no media arrived from ${this.#tracks.size} track(s)`;
      const last = this.#lastError ? ` (last error: ${this.#lastError})` : '';
      void this.#end('failed', 'start_timeout', `${why} within ${this.#o.startTimeoutSeconds} s${last}`);
    });
    if (this.#tracks.size > 0) this.#scheduleApply(0);
  }

  /** A track to include (published, unmuted). Layout changes are debounced. */
  addTrack(track: EgressTrack): void {
    if (this.#ending || this.#tracks.has(track.producerId)) return;
    this.#tracks.set(track.producerId, track);
    this.#scheduleApply();
  }

  /** A track to drop (unpublished, muted, its participant left). */
  removeTrack(producerId: ProducerId): void {
    if (this.#ending || !this.#tracks.delete(producerId)) return;
    this.#scheduleApply();
  }

  /** Stops and finalizes. Resolves when the job is complete or failed. Idempotent. */
  stop(reason: EgressEndReason = 'stopped'): Promise<Ended> {
    return this.#end('complete', reason);
  }

  /** The room closed: the job stops by itself, keeping what was recorded. */
  roomClosed(): Promise<Ended> {
    return this.#end('complete', 'room_closed');
  }

  #setState(state: EgressState, reason?: EgressEndReason, error?: string): void {
    const previous = this.#state;
    if (previous === state) return;
    if (!EGRESS_TRANSITIONS[previous].includes(state)) throw new CascadeError('INTERNAL', `egress ${previous} -> ${state} is not allowed`);
    this.#state = state;
    if (state === 'active') this.#startedAt = new Date();
    this.#log('info', `egress ${this.#o.id}: ${previous} -> ${state}${reason ? ` (${reason}${error ? `: ${error}` : ''})` : ''}`);
    this.safeEmit('stateChanged', { state, previous, ...(reason ? { reason } : {}), ...(error ? { error } : {}) });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task).catch((error: unknown) => {
      this.#log('error', `egress ${this.#o.id}: ${(error as Error).message}`);
      void this.#end('failed', 'media_error', (error as Error).message);
    });
    this.#queue = next;
    return next;
  }

  #timer(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #scheduleApply(delayMs = 300): void {
    if (this.#applyPending || this.#ending || !this.#started) return;
    this.#applyPending = true;
    this.#timer(delayMs, () => {
      this.#applyPending = false;
      void this.#enqueue(() => this.#applyTracks());
    });
  }

  /** Brings the pipelines in line with the wanted tracks. */
  async #applyTracks(): Promise<void> {
    if (this.#ending) return;
    const wanted = [...this.#tracks.values()];
    if (this.#composite) {
      const current = this.#groups.get(COMPOSITE_GROUP);
      const same =
        current &&
        current.pipeline.inputs.length === wanted.length &&
        wanted.every((t) => current.pipeline.inputs.some((i) => i.track.producerId === t.producerId));
      if (same) return;
      if (current) await this.#closeGroupPipeline(current);
      if (wanted.length > 0) await this.#openGroup(COMPOSITE_GROUP, wanted, current);
      return;
    }
    // A removed track's file is joined at the end: if it comes back (unmuted), it goes on in
    // a new segment of the same file.
    for (const group of this.#groups.values()) {
      if (group.track && !this.#tracks.has(group.track.producerId) && !group.pipeline.closed) await this.#closeGroupPipeline(group);
    }
    // New tracks start side by side, so their files start (nearly) together.
    const added = wanted.filter((track) => this.#groups.get(groupOf(track))?.pipeline.closed ?? true);
    await Promise.all(added.map((track) => this.#openGroup(groupOf(track), [track], this.#groups.get(groupOf(track)))));
  }

  async #openGroup(name: string, tracks: EgressTrack[], previous?: Group): Promise<void> {
    const o = this.#o;
    const pipeline = new Pipeline({
      name,
      holder: o.id,
      roomId: o.roomId,
      tracks,
      media: o.media,
      listenIp: o.listenIp,
      workDir: this.#jobDir,
      ffmpegPath: o.ffmpegPath,
      stopTimeoutMs: o.stopTimeoutMs,
      log: this.#log,
      ...(o.portRange ? { portRange: o.portRange } : {}),
      ...(o.rtmpUrl ? { secrets: rtmpSecrets(o.rtmpUrl) } : {}),
      build: (inputs, sdpPath) => {
        const common = { sdpPath, listenIp: o.listenIp };
        if (o.kind === 'rtmp') return compositeCommand({ ...common, inputs, container: 'flv', output: o.rtmpUrl ?? '', canvas: o.canvas });
        const output = segmentPath(this.#jobDir, name, this.#segmentSeq++, o.format);
        group.current = output;
        const input = inputs[0];
        if (this.#composite || !input) return compositeCommand({ ...common, inputs, container: o.format, output, canvas: o.canvas });
        return trackCommand({ ...common, input, container: o.format, output, fps: o.canvas.fps });
      },
    });
    const group: Group = {
      pipeline,
      ...(tracks.length === 1 && !this.#composite ? { track: tracks[0] as EgressTrack } : {}),
      segments: previous?.segments ?? [],
      doneSeconds: previous?.doneSeconds ?? 0,
      doneBytes: previous?.doneBytes ?? 0,
      ...(previous?.portRetries ? { portRetries: previous.portRetries } : {}),
    };
    this.#groups.set(name, group);
    pipeline.on('progress', (stats) => this.#onStats(group, stats));
    pipeline.on('unexpectedExit', (exit) => void this.#enqueue(() => this.#onRunFailed(name, group, exit.reason, exit)));
    const { skipped } = await pipeline.open();
    for (const { track, error } of skipped) {
      this.#log('warn', `egress ${o.id}: track ${track.producerId} left out: ${error}`);
      this.#tracks.delete(track.producerId);
      this.#lastError = error;
    }
    if (pipeline.inputs.length === 0) {
      await pipeline.close();
      return;
    }
    await this.#startRun(name, group);
  }

  async #startRun(name: string, group: Group): Promise<void> {
    if (this.#ending || group.pipeline.closed) return;
    try {
      await group.pipeline.run();
    } catch (error) {
      const message = (error as Error).message;
      // Another process took a port between our check and ffmpeg's bind: new ports, new consumers.
      if (/address already in use/i.test(message) && (group.portRetries ?? 0) < 3) {
        this.#log('warn', `egress ${this.#o.id}: ${message}; retrying ${name} on other ports`);
        const tracks = group.pipeline.inputs.map((input) => input.track);
        await group.pipeline.close({ kill: true });
        await this.#endRun(group, undefined);
        await this.#openGroup(name, tracks, { ...group, portRetries: (group.portRetries ?? 0) + 1 });
        return;
      }
      await this.#onRunFailed(name, group, message);
    }
  }

  #onStats(group: Group, stats: FfmpegStats): void {
    group.stats = stats;
    const writing = (stats.timeSeconds ?? 0) > 0;
    if (writing && this.#state === 'starting' && !this.#ending) this.#setState('active');
    if (writing) this.#failuresInRow = 0;
    if (Date.now() - this.#lastProgressAt >= 900) {
      this.#lastProgressAt = Date.now();
      this.safeEmit('progress', this.progress);
    }
  }

  /** The group's ffmpeg died or could not start: keep its partial file, then retry or fail. */
  async #onRunFailed(name: string, group: Group, reason: string, exit?: FfmpegExit): Promise<void> {
    if (this.#ending || group.pipeline.closed) return;
    this.#lastError = reason;
    await this.#endRun(group, exit ?? group.pipeline.process?.exitInfo);
    if (this.#o.kind === 'rtmp') {
      this.#failuresInRow++;
      if (this.#failuresInRow > this.#o.maxReconnects) {
        void this.#end('failed', 'sink_unreachable', `gave up after ${this.#o.maxReconnects} reconnects: ${reason}`);
        return;
      }
      this.#reconnects++;
      const delayMs = Math.min(this.#o.maxReconnectDelayMs, this.#o.reconnectDelayMs * 2 ** (this.#failuresInRow - 1));
      this.safeEmit('reconnecting', { attempt: this.#failuresInRow, delayMs, error: reason });
      this.safeEmit('progress', this.progress);
      this.#timer(delayMs, () => void this.#enqueue(() => this.#startRun(name, group)));
      return;
    }
    if (this.#o.onFfmpegExit === 'restart' && this.#restarts < this.#o.maxRestarts) {
      this.#restarts++;
      this.#log('warn', `egress ${this.#o.id}: restarting ffmpeg (${this.#restarts}/${this.#o.maxRestarts}): ${reason}`);
      await this.#startRun(name, group);
      return;
    }
    void this.#end('failed', 'ffmpeg_exited', reason);
  }

  /** Books the finished run's time and bytes and makes its segment playable. */
  async #endRun(group: Group, exit: FfmpegExit | undefined): Promise<void> {
    group.doneSeconds += Math.max(0, group.stats?.timeSeconds ?? 0);
    group.doneBytes += group.stats?.sizeBytes ?? 0;
    delete group.stats;
    const path = group.current;
    if (!path) return;
    delete group.current;
    const ffmpegPath = this.#o.ffmpegPath;
    const kept = await finishSegment(path, exit?.clean ?? false, { ffmpegPath, ffprobePath: ffprobePathFor(ffmpegPath) });
    if (kept) group.segments.push(kept);
  }

  async #closeGroupPipeline(group: Group): Promise<void> {
    const exit = await group.pipeline.close();
    await this.#endRun(group, exit);
  }

  async #finishGroupFile(name: string, group: Group): Promise<void> {
    if (group.segments.length === 0) return;
    const ffmpegPath = this.#o.ffmpegPath;
    const file = await finishGroup(
      group.segments.splice(0),
      finalPath(this.#jobDir, name, this.#o.format),
      group.track ? { layout: 'track', producerId: group.track.producerId, participantId: group.track.participantId } : { layout: 'composite' },
      { ffmpegPath, ffprobePath: ffprobePathFor(ffmpegPath) },
    );
    this.#files.push(file);
    this.safeEmit('fileFinished', file);
  }

  /** The one way out: stop every ffmpeg, finalize files, then complete or failed. Idempotent. */
  #end(state: 'complete' | 'failed', reason: EgressEndReason, error?: string): Promise<Ended> {
    if (this.#ending) return this.#ending;
    this.#reason = reason;
    if (error) this.#error = error;
    this.#timers.forEach(clearTimeout);
    this.#timers.clear();
    this.#setState('stopping', reason, error);
    const teardown = async (): Promise<Ended> => {
      let final = state;
      const failed = (finalizeError: unknown) => {
        final = 'failed';
        if (state === 'complete') this.#reason = 'finalize_failed';
        this.#error ??= (finalizeError as Error).message;
      };
      // Every ffmpeg at once: per-track files end together, and a stop takes one ffmpeg's time.
      const open = [...this.#groups.values()].filter((group) => !group.pipeline.closed);
      await Promise.all(open.map((group) => this.#closeGroupPipeline(group).catch(failed)));
      if (this.#o.kind === 'recording') {
        for (const [name, group] of this.#groups) await this.#finishGroupFile(name, group).catch(failed);
      }
      if (!this.#o.directory) await rm(this.#jobDir, { recursive: true, force: true }).catch(() => undefined);
      this.#endedAt = new Date();
      this.#setState(final, this.#reason, this.#error);
      const ended: Ended = {
        state: final,
        reason: this.#reason ?? reason,
        ...(this.#error ? { error: this.#error } : {}),
        files: [...this.#files],
        progress: this.progress,
      };
      this.safeEmit('ended', ended);
      return ended;
    };
    // Queued, so it runs after the task in progress; tasks check #ending and return early.
    this.#ending = new Promise<Ended>((resolve, reject) => {
      this.#queue = this.#queue.then(() => teardown().then(resolve, reject));
    });
    return this.#ending;
  }
}
