#!/usr/bin/env node
/**
 * The `cascade` executable. Cascade needs Node ≥ 22 (moleculer 0.15 and mediasoup 3.32 declare it);
 * the machines it is set up on often ship an older system Node. `npm run setup` caches Node 24
 * outside the checkout and records its path in `node_modules/.cascade-node`; when this file is
 * started by an older Node it re-runs itself on that runtime, so `node dist/cli/cascade.js …`
 * works whichever `node` the user typed. Nothing else may load before this check: the program's
 * dependencies are what need the newer runtime.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const MIN_NODE_MAJOR = 22;

function cachedRuntime(): string | undefined {
  const marker = path.join(__dirname, '..', '..', 'node_modules', '.cascade-node');
  if (!existsSync(marker)) return undefined;
  const bin = readFileSync(marker, 'utf8').trim();
  return bin && existsSync(bin) ? bin : undefined;
}

function reexec(nodeBin: string): void {
  const child = spawn(nodeBin, process.argv.slice(1), { stdio: 'inherit' });
  // Signals sent to this process (a supervisor's SIGTERM) reach the real server.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal (so a supervisor sees it): without our forwarding handler.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

const major = Number(process.versions.node.split('.')[0]);
if (major >= MIN_NODE_MAJOR) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./program');
} else {
  const runtime = cachedRuntime();
  if (runtime) {
    reexec(runtime);
  } else {
    process.stderr.write(`cascade: Node ${process.versions.node} is too old (need ≥ ${MIN_NODE_MAJOR}); run \`npm run setup\`, which installs Node 24\n`);
    process.exit(1);
  }
}
