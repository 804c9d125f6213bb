import { In, type DataSource, type Repository } from 'typeorm';
import { CascadeError } from '../../schemas/errors';
import type { EgressEndReason } from '../../schemas/egress';
import type { EgressId, NodeId, RoomId } from '../../schemas/ids';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { EgressRow, Entities } from '../entities';
import { newId } from '../ids';
import { EgressPatchSchema, NewEgressSchema, type EgressPatch, type NewEgress } from '../inputs';
import type { EgressKind, EgressRecord, EgressStatus } from '../records';
import { redactUrl } from '../redact';
import { iso, isoOrNull, toMs } from '../time';

const newEgress = validator(NewEgressSchema);
const egressPatch = validator(EgressPatchSchema);

export const ERROR_MAX_LENGTH = 4000;

/** Which status may follow which. complete and failed are final: a late report cannot revive a job. */
const NEXT: Readonly<Record<EgressStatus, readonly EgressStatus[]>> = {
  starting: ['starting', 'active', 'stopping', 'complete', 'failed'],
  active: ['active', 'stopping', 'complete', 'failed'],
  stopping: ['stopping', 'complete', 'failed'],
  complete: [],
  failed: [],
};

export function isFinalEgressStatus(status: EgressStatus): boolean {
  return NEXT[status].length === 0;
}

export function toEgressRecord(row: EgressRow): EgressRecord {
  return {
    id: row.id as EgressId,
    roomId: row.roomId as RoomId,
    kind: row.kind as EgressKind,
    status: row.status as EgressStatus,
    format: row.format,
    composite: row.composite,
    destination: row.destination,
    urlRedacted: row.urlRedacted,
    filePath: row.filePath,
    durationSeconds: row.durationSeconds,
    bytesWritten: row.bytesWritten,
    reconnects: row.reconnects,
    error: row.error,
    nodeId: row.nodeId as NodeId | null,
    reason: row.reason as EgressEndReason | null,
    createdAt: iso(row.createdAt),
    startedAt: isoOrNull(row.startedAt),
    endedAt: isoOrNull(row.endedAt),
  };
}

/** Recording and RTMP jobs with their progress, kept after they end. */
export class EgressRepository {
  readonly #repo: Repository<EgressRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#repo = dataSource.getRepository(entities.Egress);
  }

  /** Starts in `starting`. ROOM_NOT_FOUND when the room was never stored; CONFLICT for a taken id. */
  async create(input: NewEgress): Promise<EgressRecord> {
    const data = newEgress.parse(input);
    const row: EgressRow = {
      id: data.id ?? newId('eg', 12),
      roomId: data.roomId,
      kind: data.kind,
      status: 'starting',
      format: data.format,
      composite: data.composite ?? false,
      destination: data.destination ?? null,
      urlRedacted: data.urlRedacted ?? (data.destination !== undefined ? redactUrl(data.destination) : null),
      filePath: data.filePath ?? null,
      durationSeconds: null,
      bytesWritten: 0,
      reconnects: 0,
      error: null,
      nodeId: data.nodeId ?? null,
      reason: null,
      createdAt: toMs(data.createdAt),
      startedAt: null,
      endedAt: null,
    };
    await mapDbErrors(() => this.#repo.insert(row), { onForeignKey: 'ROOM_NOT_FOUND' });
    return toEgressRecord(row);
  }

  async get(id: string): Promise<EgressRecord | null> {
    const row = await this.#repo.findOneBy({ id });
    return row ? toEgressRecord(row) : null;
  }

  async require(id: string): Promise<EgressRecord> {
    const job = await this.get(id);
    if (!job) throw new CascadeError('EGRESS_NOT_FOUND', `Egress ${id} not found`);
    return job;
  }

  /** Newest first; all rooms when roomId is omitted. */
  async list(roomId?: string, options: { statuses?: EgressStatus[]; nodeId?: string; limit?: number } = {}): Promise<EgressRecord[]> {
    const rows = await this.#repo.find({
      where: {
        ...(roomId !== undefined ? { roomId } : {}),
        ...(options.statuses ? { status: In(options.statuses) } : {}),
        ...(options.nodeId !== undefined ? { nodeId: options.nodeId } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      ...(options.limit !== undefined ? { take: options.limit } : {}),
    });
    return rows.map(toEgressRecord);
  }

  /**
   * Records progress and status. EGRESS_NOT_FOUND for an unknown job; CONFLICT for a change the
   * status machine forbids, including any update to a complete/failed job. Becoming active stamps
   * started_at, ending stamps ended_at, unless given. The write is conditional on the status read,
   * so two concurrent updates cannot both move the job on from the same state.
   */
  async update(id: string, patch: EgressPatch): Promise<EgressRecord> {
    const data = egressPatch.parse(patch);
    const current = await this.require(id);
    const status = data.status ?? current.status;
    if (!NEXT[current.status].includes(status)) {
      throw new CascadeError('CONFLICT', `Egress ${id} is ${current.status}; cannot become ${status}`);
    }
    const changes: Partial<EgressRow> = { status };
    if (data.filePath !== undefined) changes.filePath = data.filePath;
    if (data.durationSeconds !== undefined) changes.durationSeconds = data.durationSeconds;
    if (data.bytesWritten !== undefined) changes.bytesWritten = data.bytesWritten;
    if (data.reconnects !== undefined) changes.reconnects = data.reconnects;
    if (data.reason !== undefined) changes.reason = data.reason;
    if (data.error !== undefined) changes.error = data.error === null ? null : data.error.slice(0, ERROR_MAX_LENGTH);
    if (data.startedAt !== undefined) changes.startedAt = toMs(data.startedAt);
    else if (status === 'active' && current.startedAt === null) changes.startedAt = toMs(undefined);
    if (data.endedAt !== undefined) changes.endedAt = toMs(data.endedAt);
    else if (isFinalEgressStatus(status) && current.endedAt === null) changes.endedAt = toMs(undefined);

    const result = await this.#repo.update({ id, status: current.status }, changes);
    if (result.affected === 0) {
      const now = await this.require(id);
      throw new CascadeError('CONFLICT', `Egress ${id} changed to ${now.status} meanwhile`);
    }
    return this.require(id);
  }
}
