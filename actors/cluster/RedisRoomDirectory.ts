import type { Redis } from 'ioredis';
import type { NodeId, RoomId } from '../../schemas/ids';
import { DEFAULT_KEY_PREFIX } from './redis';
import type { RoomDirectory } from './RoomDirectory';

/**
 * A room directory whose ownership is a lease: the owner must renew it, so a node that dies
 * stops owning its rooms by itself, and a live node can take them over at once without waiting
 * for the lease to run out.
 */
export interface LeasedRoomDirectory extends RoomDirectory {
  /** How long a claim lasts without renewal, ms. */
  readonly leaseMs: number;
  /**
   * Extends the leases of rooms `nodeId` hosts (call every lease/3). Returns the rooms it no
   * longer owns (lease ran out, or another node took them over): the caller must stop acting as
   * their owner.
   */
  renew(nodeId: NodeId, roomIds: readonly RoomId[]): Promise<RoomId[]>;
  /**
   * Moves a room from `deadNodeId` to `nodeId` if, and only if, the dead node still owns it (or
   * nobody does any more). Returns the owner after the call: `nodeId` when it won, else whoever
   * already owns the room (another survivor that was quicker, or the room's live owner).
   */
  takeOver(roomId: RoomId, deadNodeId: NodeId, nodeId: NodeId): Promise<NodeId>;
  /** Rooms `nodeId` claimed and has not released (what to take over when it dies). */
  roomsOf(nodeId: NodeId): Promise<RoomId[]>;
  /** release(), telling whether it happened (false: `nodeId` did not hold the room). */
  tryRelease(roomId: RoomId, nodeId: NodeId, options?: { keepSettings?: boolean }): Promise<boolean>;
  /** A small blob (the room's settings, JSON) a new owner needs to rebuild the room. */
  saveSettings(roomId: RoomId, json: string): Promise<void>;
  loadSettings(roomId: RoomId): Promise<string | undefined>;
}

export interface RedisRoomDirectoryOptions {
  /** How long a claim lasts without renewal, ms. Must exceed the time to detect a dead node. */
  leaseMs: number;
  /**
   * How long settings and the per-node room index outlive the owner key, ms (default: one
   * lease), so a survivor that notices a death only after the lease ran out can still rebuild.
   */
  graceMs?: number;
  /** Key prefix (default 'cascade:'). */
  prefix?: string;
}

// Every script sees the keys in this order: owner, settings, owner's room index[, other index].

/** ARGV: nodeId, leaseMs, graceTtlMs, roomId. Returns the owner after the call. */
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  cur = ARGV[1]
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return cur`;

/** ARGV: nodeId, roomId, keepSettings ('1'|'0'). Returns 1 when released, 0 when refused. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[3] ~= '1' then redis.call('DEL', KEYS[2]) end
redis.call('SREM', KEYS[3], ARGV[2])
return 1`;

/** ARGV: deadNodeId, nodeId, leaseMs, graceTtlMs, roomId. Returns the owner after the call. */
const TAKE_OVER = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  cur = ARGV[2]
end
if cur == ARGV[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  redis.call('SREM', KEYS[3], ARGV[5])
  redis.call('SADD', KEYS[4], ARGV[5])
  redis.call('PEXPIRE', KEYS[4], ARGV[4])
end
return cur`;

/**
 * KEYS: node's room index, then (owner, settings) per room. ARGV: nodeId, leaseMs, graceTtlMs,
 * then the room ids. Returns the 1-based positions of rooms the node no longer owns.
 */
const RENEW = `
local lost = {}
local held = 0
for i = 1, #ARGV - 3 do
  local owner = KEYS[2 * i]
  if redis.call('GET', owner) == ARGV[1] then
    redis.call('PEXPIRE', owner, ARGV[2])
    redis.call('PEXPIRE', KEYS[2 * i + 1], ARGV[3])
    held = held + 1
  else
    redis.call('SREM', KEYS[1], ARGV[i + 3])
    lost[#lost + 1] = i
  end
end
if held > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return lost`;

export class RedisRoomDirectory implements LeasedRoomDirectory {
  readonly #redis: Redis;
  readonly #leaseMs: number;
  readonly #graceTtlMs: number;
  readonly #prefix: string;

  constructor(redis: Redis, options: RedisRoomDirectoryOptions) {
    if (!(options.leaseMs > 0)) throw new RangeError('leaseMs must be positive');
    this.#redis = redis;
    this.#leaseMs = Math.round(options.leaseMs);
    this.#graceTtlMs = this.#leaseMs + Math.round(options.graceMs ?? options.leaseMs);
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  async owner(roomId: RoomId): Promise<NodeId | undefined> {
    const owner = await this.#redis.get(this.#ownerKey(roomId));
    return (owner ?? undefined) as NodeId | undefined;
  }

  /** Atomic: of two nodes racing, one gets the room and both are told who. Re-claiming renews. */
  async claim(roomId: RoomId, nodeId: NodeId): Promise<NodeId> {
    const owner = await this.#redis.eval(
      CLAIM,
      3,
      this.#ownerKey(roomId),
      this.#settingsKey(roomId),
      this.#indexKey(nodeId),
      nodeId,
      this.#leaseMs,
      this.#graceTtlMs,
      roomId,
    );
    return owner as NodeId;
  }

  /**
   * Gives the room up; a no-op unless `nodeId` holds it, so a node that lost its lease
   * can never delete its successor's claim. Settings go too (the room is closing) unless
   * `keepSettings` (a handover: the next owner rebuilds from them).
   */
  async release(roomId: RoomId, nodeId: NodeId, options: { keepSettings?: boolean } = {}): Promise<void> {
    await this.tryRelease(roomId, nodeId, options);
  }

  /** release(), telling whether it happened. */
  async tryRelease(roomId: RoomId, nodeId: NodeId, options: { keepSettings?: boolean } = {}): Promise<boolean> {
    const released = await this.#redis.eval(
      RELEASE,
      3,
      this.#ownerKey(roomId),
      this.#settingsKey(roomId),
      this.#indexKey(nodeId),
      nodeId,
      roomId,
      options.keepSettings ? '1' : '0',
    );
    return released === 1;
  }

  async renew(nodeId: NodeId, roomIds: readonly RoomId[]): Promise<RoomId[]> {
    if (roomIds.length === 0) return [];
    const keys = [this.#indexKey(nodeId)];
    for (const roomId of roomIds) keys.push(this.#ownerKey(roomId), this.#settingsKey(roomId));
    const lost = (await this.#redis.eval(RENEW, keys.length, ...keys, nodeId, this.#leaseMs, this.#graceTtlMs, ...roomIds)) as number[];
    return lost.map((position) => roomIds[position - 1]).filter((id): id is RoomId => id !== undefined);
  }

  async takeOver(roomId: RoomId, deadNodeId: NodeId, nodeId: NodeId): Promise<NodeId> {
    const owner = await this.#redis.eval(
      TAKE_OVER,
      4,
      this.#ownerKey(roomId),
      this.#settingsKey(roomId),
      this.#indexKey(deadNodeId),
      this.#indexKey(nodeId),
      deadNodeId,
      nodeId,
      this.#leaseMs,
      this.#graceTtlMs,
      roomId,
    );
    return owner as NodeId;
  }

  async roomsOf(nodeId: NodeId): Promise<RoomId[]> {
    return (await this.#redis.smembers(this.#indexKey(nodeId))) as RoomId[];
  }

  /** Lives as long as the room's lease (plus the grace), renewed with it. */
  async saveSettings(roomId: RoomId, json: string): Promise<void> {
    const ownerTtl = await this.#redis.pttl(this.#ownerKey(roomId));
    const ttl = ownerTtl > 0 ? ownerTtl + this.#graceTtlMs - this.#leaseMs : this.#graceTtlMs;
    await this.#redis.set(this.#settingsKey(roomId), json, 'PX', ttl);
  }

  async loadSettings(roomId: RoomId): Promise<string | undefined> {
    return (await this.#redis.get(this.#settingsKey(roomId))) ?? undefined;
  }

  #ownerKey(roomId: RoomId): string {
    return `${this.#prefix}room:${roomId}:owner`;
  }

  #settingsKey(roomId: RoomId): string {
    return `${this.#prefix}room:${roomId}:settings`;
  }

  #indexKey(nodeId: NodeId): string {
    return `${this.#prefix}node:${nodeId}:rooms`;
  }
}

/** Lease length from the cluster config: three heartbeat timeouts (9 s by default), at least 3 s. */
export function roomLeaseMs(cluster: { heartbeatTimeoutSeconds: number }): number {
  return Math.max(3000, Math.round(3000 * cluster.heartbeatTimeoutSeconds));
}

export interface RoomLeaseKeeperOptions {
  directory: LeasedRoomDirectory;
  nodeId: NodeId;
  /** The rooms this node owns right now (read at each renewal). */
  rooms: () => readonly RoomId[];
  /** Rooms whose lease this node lost (expired while Redis was away, or taken over). */
  onLost: (roomIds: RoomId[]) => void;
  onError?: (error: Error) => void;
  /** Default: a third of the directory's lease, so two renewals may fail before it runs out. */
  intervalMs?: number;
}

/** Renews the leases of the rooms this node owns until stopped. */
export class RoomLeaseKeeper {
  readonly #options: RoomLeaseKeeperOptions;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(options: RoomLeaseKeeperOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? Math.max(100, Math.floor(options.directory.leaseMs / 3));
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#inFlight) return; // a slow Redis: skip a beat rather than pile renewals up
      this.#inFlight = this.renewNow().finally(() => (this.#inFlight = undefined));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One renewal now; lost rooms go to onLost, errors to onError. */
  async renewNow(): Promise<void> {
    const rooms = this.#options.rooms();
    if (rooms.length === 0) return;
    try {
      const lost = await this.#options.directory.renew(this.#options.nodeId, rooms);
      if (lost.length > 0) this.#options.onLost(lost);
    } catch (err) {
      this.#options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Idempotent; waits for a renewal in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }
}
