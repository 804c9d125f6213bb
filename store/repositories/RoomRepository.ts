import { Like, type DataSource, type Repository } from 'typeorm';
import { CascadeError } from '../../schemas/errors';
import type { RoomId } from '../../schemas/ids';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { Entities, RoomRow } from '../entities';
import { newId } from '../ids';
import { NewRoomSchema, RoomListQuerySchema, RoomPatchSchema, type NewRoom, type RoomListQuery, type RoomPatch } from '../inputs';
import { hashPassword } from '../password';
import type { RoomRecord, RoomStatus } from '../records';
import { iso, isoOrNull, toMs } from '../time';

const newRoom = validator(NewRoomSchema);
const roomPatch = validator(RoomPatchSchema);
const listQuery = validator(RoomListQuerySchema);

/** Attempts at a free generated slug/id before giving up (only concurrent creates collide). */
const MAX_ATTEMPTS = 10;

/** `My Room!` -> `my-room`; accents are folded, anything else becomes a single dash. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'room';
}

export function toRoomRecord(row: RoomRow): RoomRecord {
  return {
    id: row.id as RoomId,
    name: row.name,
    slug: row.slug,
    status: row.status as RoomStatus,
    maxParticipants: row.maxParticipants,
    passwordHash: row.passwordHash,
    hasPassword: row.passwordHash !== null,
    lobbyEnabled: row.lobbyEnabled,
    locked: row.locked,
    recordingEnabled: row.recordingEnabled,
    emptyTimeoutSeconds: row.emptyTimeoutSeconds,
    createdAt: iso(row.createdAt),
    closedAt: isoOrNull(row.closedAt),
  };
}

export class RoomRepository {
  readonly #repo: Repository<RoomRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#repo = dataSource.getRepository(entities.Room);
  }

  /**
   * Inserts a room. A slug derived from the name gets `-2`, `-3`… when taken; an explicit slug or
   * id that is taken is a CONFLICT (the existing room is left untouched).
   */
  async create(input: NewRoom): Promise<RoomRecord> {
    const data = newRoom.parse(input);
    const passwordHash = data.password !== undefined ? await hashPassword(data.password) : null;
    for (let attempt = 1; ; attempt++) {
      const row: RoomRow = {
        id: data.id ?? newId('rm'),
        name: data.name,
        slug: data.slug ?? (await this.#freeSlug(slugify(data.name))),
        status: 'active',
        maxParticipants: data.maxParticipants,
        passwordHash,
        lobbyEnabled: data.lobbyEnabled ?? false,
        locked: data.locked ?? false,
        recordingEnabled: data.recordingEnabled ?? true,
        emptyTimeoutSeconds: data.emptyTimeoutSeconds,
        createdAt: toMs(data.createdAt),
        closedAt: null,
      };
      try {
        await mapDbErrors(() => this.#repo.insert(row));
        return toRoomRecord(row);
      } catch (err) {
        if (!(err instanceof CascadeError && err.code === 'CONFLICT')) throw err;
        // Which unique key was hit? A given id or slug that exists is the caller's conflict; a
        // generated one lost a race with a concurrent create and is simply drawn again.
        if (data.id !== undefined && (await this.#repo.existsBy({ id: data.id }))) throw new CascadeError('CONFLICT', `Room ${data.id} exists`);
        if (data.slug !== undefined && (await this.#repo.existsBy({ slug: data.slug }))) throw new CascadeError('CONFLICT', `Slug "${data.slug}" is taken`);
        if (attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  async get(id: string): Promise<RoomRecord | null> {
    const row = await this.#repo.findOneBy({ id });
    return row ? toRoomRecord(row) : null;
  }

  /** Like get(), but a missing room is ROOM_NOT_FOUND. */
  async require(id: string): Promise<RoomRecord> {
    const room = await this.get(id);
    if (!room) throw new CascadeError('ROOM_NOT_FOUND', `Room ${id} not found`);
    return room;
  }

  async getBySlug(slug: string): Promise<RoomRecord | null> {
    const row = await this.#repo.findOneBy({ slug });
    return row ? toRoomRecord(row) : null;
  }

  /** Newest first; ties broken by id so pages never overlap or skip. */
  async list(query: RoomListQuery = {}): Promise<{ rooms: RoomRecord[]; total: number }> {
    const q = listQuery.parse(query);
    const [rows, total] = await this.#repo.findAndCount({
      where: q.status ? { status: q.status } : {},
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: q.offset ?? 0,
      take: q.limit ?? 50,
    });
    return { rooms: rows.map(toRoomRecord), total };
  }

  /** Idempotent: a room already closed keeps its first closed_at. */
  async markClosed(id: string, at?: Date): Promise<RoomRecord> {
    await this.#repo.update({ id, status: 'active' }, { status: 'closed', closedAt: toMs(at) });
    return this.require(id);
  }

  /**
   * Opens a closed room again. Only auto-created rooms (config room.autoCreate) are reopened by
   * a later join, so a room named in a link keeps working after its empty timeout.
   */
  async reopen(id: string): Promise<RoomRecord> {
    await this.#repo.update({ id, status: 'closed' }, { status: 'active', closedAt: null });
    return this.require(id);
  }

  /** Changes settings of an active room; ROOM_CLOSED for a closed one. */
  async update(id: string, patch: RoomPatch): Promise<RoomRecord> {
    const data = roomPatch.parse(patch);
    const changes: Partial<RoomRow> = {};
    if (data.name !== undefined) changes.name = data.name;
    if (data.maxParticipants !== undefined) changes.maxParticipants = data.maxParticipants;
    if (data.lobbyEnabled !== undefined) changes.lobbyEnabled = data.lobbyEnabled;
    if (data.locked !== undefined) changes.locked = data.locked;
    if (data.recordingEnabled !== undefined) changes.recordingEnabled = data.recordingEnabled;
    if (data.emptyTimeoutSeconds !== undefined) changes.emptyTimeoutSeconds = data.emptyTimeoutSeconds;
    if (data.password !== undefined) changes.passwordHash = data.password === null ? null : await hashPassword(data.password);
    if (Object.keys(changes).length > 0) {
      const result = await this.#repo.update({ id, status: 'active' }, changes);
      if (result.affected === 0) {
        const room = await this.require(id);
        if (room.status === 'closed') throw new CascadeError('ROOM_CLOSED');
      }
    }
    return this.require(id);
  }

  setLocked(id: string, locked: boolean): Promise<RoomRecord> {
    return this.update(id, { locked });
  }

  /** The base slug if free, else the first free `base-N`. A race is caught by the unique index. */
  async #freeSlug(base: string): Promise<string> {
    const taken = new Set((await this.#repo.find({ select: { slug: true }, where: { slug: Like(`${base}%`) } })).map((r) => r.slug));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) {
      const candidate = `${base}-${n}`;
      if (!taken.has(candidate)) return candidate;
    }
  }
}
