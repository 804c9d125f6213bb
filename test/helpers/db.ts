import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Config } from '../../schemas/config';

/**
 * Databases for store tests: a fresh SQLite file in a temp directory, or a fresh schema
 * `cascade_test_<random>` in the real PostgreSQL on 127.0.0.1:5432 (database `test`, trust auth).
 * Each test file gets its own, and removes it in teardown.
 */

export type DatabaseConfig = Config['database'];
export type TestDriver = 'sqlite' | 'postgres';

export interface TestDatabase {
  driver: TestDriver;
  cfg: DatabaseConfig;
  /** Drops the schema / deletes the file. Safe to call twice. */
  cleanup(): Promise<void>;
}

const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_DATABASE = 'test';

let pgUser: Promise<string> | undefined;

/** An admin connection (typeorm: `pg` ships no types of its own). */
async function connect(user: string): Promise<DataSource> {
  const ds = new DataSource({ type: 'postgres', host: PG_HOST, port: PG_PORT, database: PG_DATABASE, username: user, connectTimeoutMS: 5000, extra: { max: 1 } });
  return ds.initialize();
}

/** The first of `postgres`, then the OS user, that the server lets in. */
function findPgUser(): Promise<string> {
  pgUser ??= (async () => {
    const candidates = [...new Set(['postgres', os.userInfo().username])];
    const failures: string[] = [];
    for (const user of candidates) {
      try {
        await (await connect(user)).destroy();
        return user;
      } catch (err) {
        failures.push(`${user}: ${(err as Error).message}`);
      }
    }
    throw new Error(`PostgreSQL at ${PG_HOST}:${PG_PORT}/${PG_DATABASE} refused every user (${failures.join('; ')}); is it running? (pg_isready -h ${PG_HOST})`);
  })();
  return pgUser;
}

export async function postgresUrl(): Promise<string> {
  return `postgres://${encodeURIComponent(await findPgUser())}@${PG_HOST}:${PG_PORT}/${PG_DATABASE}`;
}

async function withAdmin<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await connect(await findPgUser());
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/**
 * A new, empty schema name (created by the store itself on open, which is part of what is
 * tested) and a cleanup that drops it with everything inside.
 */
export async function withPostgresSchema(): Promise<TestDatabase> {
  const schema = `cascade_test_${randomBytes(6).toString('hex')}`;
  const url = await postgresUrl();
  let dropped = false;
  return {
    driver: 'postgres',
    cfg: { url, schema, sqlitePath: '' },
    async cleanup() {
      if (dropped) return;
      dropped = true;
      await withAdmin((ds) => ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}

/** A path inside a new temp directory (the file itself does not exist yet). */
export function tempSqlitePath(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cascade-store-'));
  return { path: path.join(dir, 'nested', 'cascade.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function testDatabase(driver: TestDriver): Promise<TestDatabase> {
  if (driver === 'postgres') return withPostgresSchema();
  const tmp = tempSqlitePath();
  return {
    driver,
    cfg: { url: '', schema: '', sqlitePath: tmp.path },
    cleanup: async () => tmp.cleanup(),
  };
}

/** Whether a schema exists (to check that cleanup really dropped it). */
export function postgresSchemaExists(schema: string): Promise<boolean> {
  return withAdmin(async (ds) => ((await ds.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])) as unknown[]).length === 1);
}
