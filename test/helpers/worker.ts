import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/build-mediasoup-worker.sh caches the worker, keyed by mediasoup version. */
export const CACHED_WORKER_BIN = join(homedir(), '.cache', 'cascade', 'mediasoup-worker', '3.12.16', 'mediasoup-worker');

/**
 * The mediasoup-worker for tests: MEDIASOUP_WORKER_BIN if set, else the cached build. Throws a
 * message that says how to get one, instead of letting mediasoup fail with ENOENT.
 */
export function workerBin(): string {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  const path = fromEnv || CACHED_WORKER_BIN;
  if (!existsSync(path)) {
    throw new Error(
      `mediasoup-worker not found at ${path}${fromEnv ? ' (from MEDIASOUP_WORKER_BIN)' : ''}: run \`npm run setup\` (scripts/build-mediasoup-worker.sh) first`,
    );
  }
  return path;
}
