import { existsSync } from 'node:fs';
import { CascadeError } from '../schemas/errors';

/**
 * The one place that loads mediasoup. mediasoup 3.12 reads MEDIASOUP_WORKER_BIN once, when its
 * module is first evaluated (Worker.ts: `export const workerBin = process.env...`), so the
 * variable must be set before the first `require('mediasoup')` and cannot change afterwards.
 * Everything else in media/ imports mediasoup only as types (`import type`), which is erased.
 */
type Mediasoup = typeof import('mediasoup');

let loaded: { mediasoup: Mediasoup; workerBin: string } | undefined;

export function loadMediasoup(workerBin: string): Mediasoup {
  if (loaded) {
    if (loaded.workerBin !== workerBin) {
      throw new CascadeError(
        'MEDIA_ERROR',
        `mediasoup is already loaded with worker ${loaded.workerBin}; one process can use only one worker binary (asked for ${workerBin})`,
      );
    }
    return loaded.mediasoup;
  }
  if (!workerBin || !existsSync(workerBin)) {
    throw new CascadeError(
      'MEDIA_ERROR',
      `mediasoup-worker not found at "${workerBin}": run \`npm run setup\` to build it, or set mediasoup.workerBin`,
    );
  }
  process.env.MEDIASOUP_WORKER_BIN = workerBin;
  // Lazy on purpose: a static import would load mediasoup before the variable above is set.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mediasoup = require('mediasoup') as Mediasoup;
  if (mediasoup.workerBin !== workerBin) {
    throw new CascadeError(
      'MEDIA_ERROR',
      `mediasoup was loaded elsewhere before media/ set its worker (uses ${mediasoup.workerBin})`,
    );
  }
  loaded = { mediasoup, workerBin };
  return mediasoup;
}
