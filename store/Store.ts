import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations, type DatabaseConfig } from './dataSource';
import type { DriverKind, Entities } from './entities';
import { ChatRepository } from './repositories/ChatRepository';
import { EgressRepository } from './repositories/EgressRepository';
import { RecordingRepository } from './repositories/RecordingRepository';
import { RoomRepository } from './repositories/RoomRepository';
import { SessionRepository } from './repositories/SessionRepository';
import { WebhookRepository } from './repositories/WebhookRepository';

/** The persistence facade the rest of Cascade holds: one repository per table, and close(). */
export class Store {
  readonly driver: DriverKind;
  readonly rooms: RoomRepository;
  readonly sessions: SessionRepository;
  readonly chat: ChatRepository;
  readonly webhooks: WebhookRepository;
  readonly egress: EgressRepository;
  readonly recordings: RecordingRepository;
  /** Migrations applied when this store was opened (empty when the schema was current). */
  readonly appliedMigrations: readonly string[];
  readonly #dataSource: DataSource;
  #closing: Promise<void> | undefined;

  private constructor(dataSource: DataSource, driver: DriverKind, entities: Entities, applied: string[]) {
    this.#dataSource = dataSource;
    this.driver = driver;
    this.appliedMigrations = applied;
    this.rooms = new RoomRepository(dataSource, entities);
    this.sessions = new SessionRepository(dataSource, entities);
    this.chat = new ChatRepository(dataSource, entities);
    this.webhooks = new WebhookRepository(dataSource, entities);
    this.egress = new EgressRepository(dataSource, entities);
    this.recordings = new RecordingRepository(dataSource, entities);
  }

  /** Connects, applies pending migrations and returns the store. The connection is closed again if that fails. */
  static async open(cfg: DatabaseConfig): Promise<Store> {
    const { dataSource, driver, entities } = createDataSource(cfg);
    await dataSource.initialize();
    try {
      const applied = await runMigrations(dataSource, cfg);
      return new Store(dataSource, driver, entities, applied);
    } catch (err) {
      await dataSource.destroy().catch(() => undefined);
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** For tests and diagnostics (raw SQL); application code goes through the repositories. */
  get dataSource(): DataSource {
    return this.#dataSource;
  }

  /** Safe to call twice: both calls wait for the same disconnect. */
  close(): Promise<void> {
    this.#closing ??= this.#dataSource.isInitialized ? this.#dataSource.destroy() : Promise.resolve();
    return this.#closing;
  }
}

export function openStore(cfg: DatabaseConfig): Promise<Store> {
  return Store.open(cfg);
}

/** `cascade migrate`: applies pending migrations and disconnects; returns the names applied. */
export async function migrate(cfg: DatabaseConfig): Promise<string[]> {
  const store = await Store.open(cfg);
  await store.close();
  return [...store.appliedMigrations];
}
