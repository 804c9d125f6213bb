import { In, type DataSource, type Repository } from 'typeorm';
import type { EgressId, RoomId } from '../../schemas/ids';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { Entities, RecordingRow } from '../entities';
import { newId } from '../ids';
import { NewRecordingSchema, type NewRecording } from '../inputs';
import type { RecordingRecord } from '../records';
import { iso, parseJsonArray, toMs } from '../time';

const newRecording = validator(NewRecordingSchema);
const isString = (v: unknown): v is string => typeof v === 'string';

function toRecordingRecord(row: RecordingRow): RecordingRecord {
  return {
    id: row.id,
    egressId: row.egressId as EgressId,
    roomId: row.roomId as RoomId,
    path: row.path,
    layout: row.layout === 'track' ? 'track' : 'composite',
    ...(row.producerId !== null ? { producerId: row.producerId } : {}),
    ...(row.participantId !== null ? { participantId: row.participantId } : {}),
    durationSeconds: row.durationSeconds,
    sizeBytes: row.sizeBytes,
    codecs: parseJsonArray(row.codecs, isString),
    createdAt: iso(row.createdAt),
  };
}

/** Finished files of egress jobs: what was recorded, where, how long and how big. */
export class RecordingRepository {
  readonly #repo: Repository<RecordingRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#repo = dataSource.getRepository(entities.Recording);
  }

  /** EGRESS_NOT_FOUND when the job was never stored. */
  async add(input: NewRecording): Promise<RecordingRecord> {
    const data = newRecording.parse(input);
    const row: RecordingRow = {
      id: newId('rec', 12),
      egressId: data.egressId,
      roomId: data.roomId,
      path: data.path,
      layout: data.layout,
      producerId: data.producerId ?? null,
      participantId: data.participantId ?? null,
      durationSeconds: data.durationSeconds,
      sizeBytes: data.sizeBytes,
      codecs: JSON.stringify(data.codecs),
      createdAt: toMs(data.createdAt),
    };
    await mapDbErrors(() => this.#repo.insert(row), { onForeignKey: 'EGRESS_NOT_FOUND' });
    return toRecordingRecord(row);
  }

  /** The files of these jobs, oldest first. */
  async listByEgress(egressIds: string[]): Promise<RecordingRecord[]> {
    if (egressIds.length === 0) return [];
    const rows = await this.#repo.find({ where: { egressId: In(egressIds) }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toRecordingRecord);
  }
}
