import { resolve } from 'node:path';
import type { EgressMediaPort } from '../../egress/EgressMediaPort';
import type { EgressLogger } from '../../egress/FfmpegProcess';
import type { Config } from '../../schemas/config';
import type { EgressEndReason, EgressInfo, EgressMessage } from '../../schemas/egress';
import { CascadeError, toCascadeError } from '../../schemas/errors';
import type { EgressId, NodeId, RoomId } from '../../schemas/ids';
import type { EgressRecord, Store } from '../../store';
import type { WebhookEmit } from '../webhooks/emitWebhook';
import { EgressActor } from './EgressActor';
import { egressInfoOf } from './egressInfo';

export interface EgressHostDeps {
  nodeId: NodeId;
  config: Config['egress'];
  store: Pick<Store, 'egress' | 'recordings'>;
  media: EgressMediaPort;
  notifyRoom(info: EgressInfo): void;
  webhook: WebhookEmit;
  log: EgressLogger;
}

const LIVE: EgressRecord['status'][] = ['starting', 'active', 'stopping'];

/**
 * The egress jobs running on this node, by id. Each job is an EgressActor; this class routes the
 * room's messages to them, forgets them when they end, and cleans up after nodes (this one after
 * a crash, or a peer) that died with jobs running.
 */
export class EgressHost {
  readonly #deps: EgressHostDeps;
  readonly #jobs = new Map<EgressId, EgressActor>();
  #stopping = false;

  constructor(deps: EgressHostDeps) {
    // Paths in events and rows are absolute, whatever directory the node was started from.
    this.#deps = { ...deps, config: { ...deps.config, directory: resolve(deps.config.directory) } };
  }

  get size(): number {
    return this.#jobs.size;
  }

  async start(message: EgressMessage<'start'>): Promise<EgressInfo> {
    if (this.#stopping) throw new CascadeError('EGRESS_UNAVAILABLE', 'This node is shutting down');
    const actor = await EgressActor.start(message, this.#deps);
    this.#jobs.set(actor.id, actor);
    void actor.done.then(() => this.#jobs.delete(actor.id));
    return actor.info;
  }

  stop(egressId: EgressId, reason?: EgressEndReason): EgressInfo {
    return this.#job(egressId).stop(reason);
  }

  addTrack(message: EgressMessage<'addTrack'>): void {
    this.#jobs.get(message.egressId)?.addTrack(message.track);
  }

  removeTrack(message: EgressMessage<'removeTrack'>): void {
    this.#jobs.get(message.egressId)?.removeTrack(message.producerId);
  }

  roomClosed(egressId: EgressId): void {
    this.#jobs.get(egressId)?.roomClosed();
  }

  listByRoom(roomId: RoomId): EgressInfo[] {
    return [...this.#jobs.values()].filter((job) => job.roomId === roomId && !job.ended).map((job) => job.info);
  }

  /** Node shutdown: every job stops, ffmpeg finishes its files, rows get their final state. */
  async stopAll(reason: EgressEndReason = 'node_shutdown'): Promise<void> {
    this.#stopping = true;
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.stop(reason);
    await Promise.all(jobs.map((job) => job.done));
  }

  /**
   * Jobs that a node was running when it died can never report again: mark them failed. Several
   * survivors may try at once; the store's conditional update lets exactly one win, and only the
   * winner tells the room and the webhooks. Also run at start for this node's own id, for jobs
   * left over from a crash of this very node.
   */
  async failOrphans(deadNodeId: NodeId, error: string): Promise<EgressInfo[]> {
    const orphans = await this.#deps.store.egress.list(undefined, { statuses: LIVE, nodeId: deadNodeId });
    const failed: EgressInfo[] = [];
    for (const orphan of orphans) {
      if (this.#jobs.has(orphan.id)) continue;
      try {
        const record = await this.#deps.store.egress.update(orphan.id, { status: 'failed', reason: 'node_failed', error });
        const files = await this.#deps.store.recordings.listByEgress([record.id]);
        const info = egressInfoOf(record, files);
        failed.push(info);
        this.#deps.notifyRoom(info);
        this.#deps.webhook('egress.failed', { roomId: info.roomId, egress: info, error });
      } catch (err) {
        if (toCascadeError(err).code !== 'CONFLICT') throw err;
      }
    }
    return failed;
  }

  #job(egressId: EgressId): EgressActor {
    const job = this.#jobs.get(egressId);
    if (!job) throw new CascadeError('EGRESS_NOT_FOUND', `Egress ${egressId} is not running on this node`);
    return job;
  }
}
