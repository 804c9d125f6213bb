import { IsNull, type DataSource, type Repository } from 'typeorm';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import type { TrackSource } from '../../schemas/media';
import type { Role } from '../../schemas/roles';
import type { LeaveReason } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { Entities, SessionRow } from '../entities';
import { newId } from '../ids';
import { NewSessionSchema, SessionCloseSchema, TrackListSchema, type NewSession } from '../inputs';
import type { SessionRecord } from '../records';
import { iso, isoOrNull, parseJsonArray, toMs } from '../time';

const newSession = validator(NewSessionSchema);
const sessionClose = validator(SessionCloseSchema);
const trackList = validator(TrackListSchema);

const isSource = (v: unknown): v is TrackSource => typeof v === 'string' && trackList.check([v]);
const uniqueSources = (sources: readonly TrackSource[]): TrackSource[] => [...new Set(sources)];

function newSessionRow(data: NewSession): SessionRow {
  return {
    id: data.id ?? newId('ps', 12),
    roomId: data.roomId,
    participantId: data.participantId,
    identity: data.identity,
    name: data.name,
    role: data.role,
    joinedAt: toMs(data.joinedAt),
    leftAt: null,
    leaveReason: null,
    tracks: JSON.stringify(uniqueSources(data.tracks ?? [])),
    nodeId: data.nodeId,
  };
}

export function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    roomId: row.roomId as RoomId,
    participantId: row.participantId as ParticipantId,
    identity: row.identity,
    name: row.name,
    role: row.role as Role,
    joinedAt: iso(row.joinedAt),
    leftAt: isoOrNull(row.leftAt),
    leaveReason: row.leaveReason as LeaveReason | null,
    tracks: parseJsonArray(row.tracks, isSource),
    nodeId: row.nodeId as NodeId,
  };
}

/** Rows per INSERT statement: far below either driver's limit on bound parameters. */
const MAX_ROWS_PER_INSERT = 200;

/** One row per stay of a participant in a room: opened on join, closed (never deleted) on leave. */
export class SessionRepository {
  readonly #dataSource: DataSource;
  readonly #repo: Repository<SessionRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#dataSource = dataSource;
    this.#repo = dataSource.getRepository(entities.Session);
  }

  /** ROOM_NOT_FOUND when the room was never stored; CONFLICT when the session id exists. */
  async open(input: NewSession): Promise<SessionRecord> {
    const [record] = await this.openMany([input]);
    return record!;
  }

  /**
   * Several sessions in one INSERT (a join writes one row; joins arriving together share the
   * statement). All or nothing, with the same errors as open().
   */
  async openMany(inputs: readonly NewSession[]): Promise<SessionRecord[]> {
    const rows = inputs.map((input) => newSessionRow(newSession.parse(input)));
    for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + MAX_ROWS_PER_INSERT);
      await mapDbErrors(() => this.#insert(chunk), { onForeignKey: 'ROOM_NOT_FOUND' });
    }
    return rows.map(toSessionRecord);
  }

  /**
   * A plain parameterized INSERT, values converted by the driver exactly as typeorm's own insert
   * converts them: the query builder costs several times the write itself on the join path.
   */
  async #insert(rows: SessionRow[]): Promise<void> {
    const { driver } = this.#dataSource;
    const meta = this.#repo.metadata;
    const columns = meta.columns;
    const table = meta.schema ? `${driver.escape(meta.schema)}.${driver.escape(meta.tableName)}` : driver.escape(meta.tableName);
    const params: unknown[] = [];
    const values = rows.map((row) => {
      const placeholders = columns.map((column) => {
        params.push(driver.preparePersistentValue(column.getEntityValue(row), column));
        return driver.createParameter(`p${params.length - 1}`, params.length - 1);
      });
      return `(${placeholders.join(', ')})`;
    });
    const names = columns.map((c) => driver.escape(c.databaseName)).join(', ');
    await this.#dataSource.query(`INSERT INTO ${table} (${names}) VALUES ${values.join(', ')}`, params);
  }

  async get(id: string): Promise<SessionRecord | null> {
    const row = await this.#repo.findOneBy({ id });
    return row ? toSessionRecord(row) : null;
  }

  /** Idempotent: the first close wins, so a later duplicate cannot rewrite why someone left. */
  async close(id: string, leftAt: Date, reason: LeaveReason): Promise<SessionRecord> {
    const data = sessionClose.parse({ leftAt, reason });
    await this.#repo.update({ id, leftAt: IsNull() }, { leftAt: toMs(data.leftAt), leaveReason: data.reason });
    return this.#require(id);
  }

  /**
   * Closes every session still open on a node, e.g. when that node restarts or is declared dead:
   * nobody is in a room of a process that no longer runs. Returns how many were closed.
   */
  async closeOpenOnNode(nodeId: string, leftAt: Date, reason: LeaveReason): Promise<number> {
    const data = sessionClose.parse({ leftAt, reason });
    const result = await this.#repo.update({ nodeId, leftAt: IsNull() }, { leftAt: toMs(data.leftAt), leaveReason: data.reason });
    return result.affected ?? 0;
  }

  /** In join order; `activeOnly` keeps sessions not yet closed. */
  async listByRoom(roomId: string, options: { activeOnly?: boolean } = {}): Promise<SessionRecord[]> {
    const rows = await this.#repo.find({
      where: options.activeOnly ? { roomId, leftAt: IsNull() } : { roomId },
      order: { joinedAt: 'ASC', id: 'ASC' },
    });
    return rows.map(toSessionRecord);
  }

  activeCountByRoom(roomId: string): Promise<number> {
    return this.#repo.count({ where: { roomId, leftAt: IsNull() } });
  }

  /** Replaces the published sources (deduplicated); allowed after close so a late report is not lost. */
  async updateTracks(id: string, sources: readonly TrackSource[]): Promise<SessionRecord> {
    const tracks = uniqueSources(trackList.parse([...sources]));
    await this.#repo.update({ id }, { tracks: JSON.stringify(tracks) });
    return this.#require(id);
  }

  /** Adds one source to the published set. */
  async addTrack(id: string, source: TrackSource): Promise<SessionRecord> {
    const session = await this.#require(id);
    return this.updateTracks(id, [...session.tracks, source]);
  }

  async #require(id: string): Promise<SessionRecord> {
    const session = await this.get(id);
    if (!session) throw new CascadeError('NOT_FOUND', `Session ${id} not found`);
    return session;
  }
}
