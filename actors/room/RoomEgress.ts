import { CascadeError } from '../../schemas/errors';
import { isFinalEgressState, type EgressInfo, type EgressKind, type EgressRequest, type EgressTrack } from '../../schemas/egress';
import type { EgressId, NodeId, ProducerId, RoomId } from '../../schemas/ids';
import { newId } from '../../store/ids';
import type { RoomPorts } from './RoomTypes';

interface RunningEgress {
  id: EgressId;
  nodeId: NodeId;
  kind: EgressKind;
}

/**
 * The room's side of its egress jobs: which jobs run, on which node, and keeping them fed with
 * the room's tracks as they are published, muted and unpublished. The jobs themselves are
 * egress actors (actors/egress) on the chosen node; they report back through `updated`.
 */
export class RoomEgress {
  readonly #roomId: RoomId;
  readonly #ports: RoomPorts;
  readonly #jobs = new Map<EgressId, RunningEgress>();

  constructor(roomId: RoomId, ports: RoomPorts) {
    this.#roomId = roomId;
    this.#ports = ports;
  }

  get running(): EgressId[] {
    return [...this.#jobs.keys()];
  }

  /**
   * Starts a job on an egress node (preferably one that already holds the tracks, so nothing
   * has to be piped) with the tracks published so far. Returns at once: the job reports
   * `active` when media is written, or fails with start_timeout.
   */
  async start(request: EgressRequest, tracks: (EgressTrack & { nodeId: NodeId })[]): Promise<EgressInfo> {
    const nodeId = await this.#ports.placeEgress(tracks.map((t) => t.nodeId));
    const egressId = newId('eg', 12) as EgressId;
    const info = await this.#ports.egressCall(nodeId, 'start', {
      egressId,
      roomId: this.#roomId,
      request,
      tracks: tracks.map(({ producerId, participantId, kind }) => ({ producerId, participantId, kind })),
    });
    this.#jobs.set(egressId, { id: egressId, nodeId, kind: request.kind });
    return info;
  }

  /** Asks the running jobs of `kind` (or just `egressId`) to stop; they answer `stopping` at once. */
  async stop(kind: EgressKind, egressId?: EgressId): Promise<EgressInfo[]> {
    const targets = [...this.#jobs.values()].filter((job) => (egressId ? job.id === egressId : job.kind === kind));
    if (targets.length === 0) {
      throw new CascadeError('EGRESS_NOT_FOUND', egressId ? `Egress ${egressId} is not running in this room` : `No ${kind} is running in this room`);
    }
    return Promise.all(targets.map((job) => this.#ports.egressCall(job.nodeId, 'stop', { egressId: job.id })));
  }

  trackAdded(track: EgressTrack): void {
    for (const job of this.#jobs.values()) this.#ports.egressCast(job.nodeId, 'addTrack', { egressId: job.id, track });
  }

  trackRemoved(producerId: ProducerId): void {
    for (const job of this.#jobs.values()) this.#ports.egressCast(job.nodeId, 'removeTrack', { egressId: job.id, producerId });
  }

  /** A job reported a change; an ended one is forgotten. */
  updated(info: EgressInfo): void {
    if (isFinalEgressState(info.state)) this.#jobs.delete(info.id);
    else if (info.nodeId && !this.#jobs.has(info.id)) this.#jobs.set(info.id, { id: info.id, nodeId: info.nodeId, kind: info.kind });
  }

  /** The room closed: every job stops by itself, keeping what it recorded. */
  roomClosed(): void {
    for (const job of this.#jobs.values()) this.#ports.egressCast(job.nodeId, 'roomClosed', { egressId: job.id });
    this.#jobs.clear();
  }

  /** The room's owner is stopping: its jobs stop too, since nobody would feed them tracks. */
  suspended(): void {
    for (const job of this.#jobs.values()) this.#ports.egressCast(job.nodeId, 'stop', { egressId: job.id, reason: 'node_shutdown' });
    this.#jobs.clear();
  }

  /** After a failover: the jobs still running on live nodes. */
  restore(infos: EgressInfo[]): void {
    for (const info of infos) this.updated(info);
  }

  /** Jobs on a dead node are gone (a survivor marks them failed in the store). */
  nodeLost(nodeId: NodeId): void {
    for (const job of [...this.#jobs.values()]) if (job.nodeId === nodeId) this.#jobs.delete(job.id);
  }
}
