import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Cascade's version from the nearest package.json (works from sources and from dist/). */
let cached: string | undefined;

export function packageVersion(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cascade' && pkg.version) return (cached = pkg.version);
    } catch {
      // Not here: keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cached = '0.0.0');
    dir = parent;
  }
}
