import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../schemas/config';
import { CascadeError } from '../schemas/errors';
import { buildEntities, type DriverKind, type Entities } from './entities';
import { MIGRATIONS } from './migrations';

export type DatabaseConfig = Config['database'];

export const MIGRATIONS_TABLE = 'cascade_migrations';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function driverOf(cfg: DatabaseConfig): DriverKind {
  if (cfg.url === '') return 'sqlite';
  if (/^postgres(ql)?:\/\//i.test(cfg.url)) return 'postgres';
  throw new CascadeError('VALIDATION_FAILED', 'database.url must be empty (SQLite) or postgres://…', [
    { path: '/database/url', message: 'expected postgres:// or postgresql://' },
  ]);
}

/**
 * An uninitialized DataSource for the configured database, with our entities and migrations and
 * never `synchronize`. SQLite: the file's directory is created (unless `:memory:`), WAL lets
 * readers run during a write. PostgreSQL: every table lives in `cfg.schema` when given.
 */
export function createDataSource(cfg: DatabaseConfig): { dataSource: DataSource; driver: DriverKind; entities: Entities } {
  const driver = driverOf(cfg);
  const entities = buildEntities(driver);
  const common = {
    entities: Object.values(entities),
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  if (driver === 'sqlite') {
    const file = cfg.sqlitePath;
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const dataSource = new DataSource({ ...common, type: 'better-sqlite3', database: file, enableWAL: file !== ':memory:' });
    return { dataSource, driver, entities };
  }
  if (cfg.schema !== '' && !SCHEMA_NAME.test(cfg.schema)) {
    throw new CascadeError('VALIDATION_FAILED', 'database.schema must be a plain identifier', [
      { path: '/database/schema', message: `must match ${SCHEMA_NAME.source}` },
    ]);
  }
  const dataSource = new DataSource({
    ...common,
    type: 'postgres',
    url: cfg.url,
    ...(cfg.schema !== '' ? { schema: cfg.schema } : {}),
    // Fail fast instead of hanging when the server is down.
    connectTimeoutMS: 10_000,
  });
  return { dataSource, driver, entities };
}

/** 32-bit FNV-1a, as a signed int for pg_advisory_lock. */
function lockKey(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text)) h = Math.imul(h ^ ch, 0x01000193);
  return h | 0;
}
const LOCK_NAMESPACE = 0x63617363; // 'casc'

/**
 * Creates the schema if missing and applies pending migrations; returns the names applied.
 * On PostgreSQL an advisory lock serializes nodes that start together, so two of them never race
 * to create the same tables; the second finds nothing pending.
 */
export async function runMigrations(dataSource: DataSource, cfg: DatabaseConfig): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, lockKey(cfg.schema || 'public')]);
    try {
      if (cfg.schema !== '') await lock.query(`CREATE SCHEMA IF NOT EXISTS "${cfg.schema}"`);
      return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, lockKey(cfg.schema || 'public')]);
    }
  } finally {
    await lock.release();
  }
}
