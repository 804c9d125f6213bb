import { EgressJob } from '../../egress/EgressJob';
import type { EgressMediaPort } from '../../egress/EgressMediaPort';
import type { EgressJobEvents, EgressJobOptions } from '../../egress/EgressTypes';
import type { EgressLogger } from '../../egress/FfmpegProcess';
import { redactRtmpUrl, redactText, rtmpSecrets } from '../../egress/redact';
import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import type { EgressEndReason, EgressInfo, EgressMessage, EgressTrack } from '../../schemas/egress';
import type { EgressId, NodeId, RoomId } from '../../schemas/ids';
import type { EgressRepository, RecordingRepository } from '../../store';
import type { WebhookEmit } from '../webhooks/emitWebhook';

/** What one egress actor needs from the outside world (the service passes broker-backed ones). */
export interface EgressActorDeps {
  nodeId: NodeId;
  config: Config['egress'];
  store: { egress: EgressRepository; recordings: RecordingRepository };
  media: EgressMediaPort;
  /** Tells the room's owner (and through it, the room's hosts). Fire-and-forget. */
  notifyRoom(info: EgressInfo): void;
  webhook: WebhookEmit;
  log: EgressLogger;
}

/** How often progress reaches the database and the room's hosts. */
const PROGRESS_EVERY_MS = 2000;

/**
 * One egress job as an actor: the EgressJob (ffmpeg side) plus what the rest of Cascade sees of
 * it, i.e. its row and files in the store, `egress_updated` for the room's hosts and the webhook
 * events. Writes go out in order on one chain, so a late progress write never overtakes the final
 * state. The job's own queue serializes its media work; this class only listens to it.
 */
export class EgressActor {
  readonly id: EgressId;
  readonly roomId: RoomId;
  readonly #deps: EgressActorDeps;
  readonly #job: EgressJob;
  readonly #createdAt = new Date().toISOString();
  #writes: Promise<unknown> = Promise.resolve();
  #lastProgressAt = 0;
  /** Parts of the RTMP URL (the stream key) to blank out of any text that leaves the job. */
  readonly #secrets: string[];
  /** Resolves once the job has ended and its final state is stored and announced. */
  readonly done: Promise<void>;

  private constructor(message: EgressMessage<'start'>, deps: EgressActorDeps) {
    this.id = message.egressId;
    this.roomId = message.roomId;
    this.#deps = deps;
    const { request } = message;
    this.#secrets = request.kind === 'rtmp' ? rtmpSecrets(request.url) : [];
    const c = deps.config;
    const options: EgressJobOptions = {
      id: message.egressId,
      roomId: message.roomId,
      kind: request.kind,
      media: deps.media,
      ffmpegPath: c.ffmpegPath,
      startTimeoutSeconds: c.startTimeoutSeconds,
      onFfmpegExit: c.onFfmpegExit,
      canvas: c.canvas,
      ...(request.kind === 'recording'
        ? { directory: c.directory, format: request.format ?? c.format, composite: request.composite ?? true }
        : { rtmpUrl: request.url }),
    };
    this.#job = new EgressJob(options, deps.log);
    for (const track of message.tracks) this.#job.addTrack(track);
    this.done = new Promise((resolve) => {
      this.#job.on('ended', (ended) => this.#onEnded(ended).then(resolve, resolve));
    });
    this.#job.on('stateChanged', (change) => this.#onStateChanged(change));
    this.#job.on('progress', () => this.#onProgress());
    this.#job.on('reconnecting', (attempt) => this.#onReconnecting(attempt));
    this.#job.on('fileFinished', (file) => this.#persist('recording row', () => deps.store.recordings.add({ egressId: this.id, roomId: this.roomId, ...file })));
  }

  /** Stores the job (state starting), then starts it. A job that cannot be stored does not run. */
  static async start(message: EgressMessage<'start'>, deps: EgressActorDeps): Promise<EgressActor> {
    const { request } = message;
    await deps.store.egress.create({
      id: message.egressId,
      roomId: message.roomId,
      kind: request.kind,
      format: request.kind === 'rtmp' ? 'flv' : (request.format ?? deps.config.format),
      composite: request.kind === 'rtmp' || (request.composite ?? true),
      nodeId: deps.nodeId,
      // The stream key stays in this process's memory only: never in the database or the logs.
      ...(request.kind === 'rtmp' ? { urlRedacted: redactRtmpUrl(request.url) } : {}),
    });
    let actor: EgressActor;
    try {
      actor = new EgressActor(message, deps);
      await actor.#job.start();
    } catch (error) {
      // Not started (its directory cannot be made, say): the stored job must not stay `starting`.
      const reason = (error as Error).message;
      await deps.store.egress.update(message.egressId, { status: 'failed', reason: 'media_error', error: reason }).catch(() => undefined);
      throw new CascadeError('EGRESS_FAILED', `Egress could not start: ${reason}`);
    }
    deps.log('info', `egress ${actor.id} (${request.kind}) started for room ${actor.roomId} on ${deps.nodeId}`);
    return actor;
  }

  get info(): EgressInfo {
    const info: EgressInfo = { ...this.#job.info, nodeId: this.#deps.nodeId, createdAt: this.#createdAt };
    if (info.error) info.error = redactText(info.error, this.#secrets);
    return info;
  }

  get ended(): boolean {
    return this.#job.state === 'complete' || this.#job.state === 'failed';
  }

  addTrack(track: EgressTrack): void {
    this.#job.addTrack(track);
  }

  removeTrack(producerId: EgressTrack['producerId']): void {
    this.#job.removeTrack(producerId);
  }

  /** Asks the job to stop and returns at once (state `stopping`); `done` resolves when it ended. */
  stop(reason: EgressEndReason = 'stopped'): EgressInfo {
    void this.#job.stop(reason);
    return this.info;
  }

  roomClosed(): void {
    void this.#job.roomClosed();
  }

  #persist(what: string, write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).catch((err: Error) => this.#deps.log('warn', `egress ${this.id}: ${what} failed: ${err.message}`));
  }

  #onStateChanged(change: EgressJobEvents['stateChanged']): void {
    const { state } = change;
    // The final state is written by #onEnded, together with the totals and the files.
    if (state === 'complete' || state === 'failed') return;
    const progress = this.#job.progress;
    this.#persist('state', () =>
      this.#deps.store.egress.update(this.id, {
        status: state,
        ...(change.reason ? { reason: change.reason } : {}),
        durationSeconds: progress.durationSeconds,
        bytesWritten: progress.bytesWritten,
        reconnects: progress.reconnects,
      }),
    );
    this.#deps.notifyRoom(this.info);
    if (state === 'active' && change.previous === 'starting') {
      this.#deps.webhook(this.#job.info.kind === 'rtmp' ? 'rtmp.started' : 'recording.started', { roomId: this.roomId, egress: this.info });
    }
  }

  #onProgress(): void {
    if (Date.now() - this.#lastProgressAt < PROGRESS_EVERY_MS || this.ended) return;
    this.#lastProgressAt = Date.now();
    const p = this.#job.progress;
    this.#persist('progress', async () => {
      // A progress report racing the stop must not fail the chain: only live jobs take it.
      if (this.ended) return;
      await this.#deps.store.egress.update(this.id, { durationSeconds: p.durationSeconds, bytesWritten: p.bytesWritten, reconnects: p.reconnects });
    });
    this.#deps.notifyRoom(this.info);
  }

  #onReconnecting(attempt: EgressJobEvents['reconnecting']): void {
    this.#deps.log('warn', `egress ${this.id}: RTMP sink lost (${redactText(attempt.error, this.#secrets)}); reconnect ${attempt.attempt} in ${attempt.delayMs} ms`);
    this.#lastProgressAt = 0;
    this.#onProgress();
    const error = redactText(attempt.error, this.#secrets);
    this.#deps.webhook('rtmp.reconnecting', { roomId: this.roomId, egress: this.info, attempt: attempt.attempt, delayMs: Math.round(attempt.delayMs), error });
  }

  async #onEnded(ended: EgressJobEvents['ended']): Promise<void> {
    const { state, reason, error, files, progress } = ended;
    this.#persist('final state', () =>
      this.#deps.store.egress.update(this.id, {
        status: state,
        reason,
        error: error ? redactText(error, this.#secrets) : null,
        durationSeconds: progress.durationSeconds,
        bytesWritten: progress.bytesWritten,
        reconnects: progress.reconnects,
        ...(files[0] ? { filePath: files[0].path } : {}),
      }),
    );
    await this.#writes;
    const info = this.info;
    this.#deps.notifyRoom(info);
    const webhook = this.#deps.webhook;
    // A failed recording still has playable files (finalized): they are announced too.
    for (const file of files) {
      webhook('recording.ready', { roomId: this.roomId, egress: info, path: file.path, duration: file.durationSeconds, size: file.sizeBytes });
    }
    if (state === 'failed') webhook('egress.failed', { roomId: this.roomId, egress: info, ...(info.error ? { error: info.error } : {}) });
    else if (info.kind === 'rtmp') webhook('rtmp.stopped', { roomId: this.roomId, egress: info });
    this.#deps.log(state === 'failed' ? 'warn' : 'info', `egress ${this.id} ${state} (${reason}${info.error ? `: ${info.error}` : ''})`);
  }
}
