import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * No ffmpeg outlives its job, its room, or this process:
 * - jobs stop their ffmpeg ('q', SIGINT, then SIGKILL);
 * - every child is tracked here and SIGKILLed when this process exits (process.exit, end of the
 *   event loop, an uncaught exception);
 * - where util-linux's setpriv exists, ffmpeg runs with PR_SET_PDEATHSIG=SIGKILL, so the kernel
 *   kills it even when this process is SIGKILLed or crashes without running exit handlers.
 */

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function trackChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', killAll);
  }
}

/** Children still running (tests assert this drops to 0). */
export function liveChildren(): number[] {
  return [...live].map((child) => child.pid ?? -1);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const wrappers = new Map<string, string>();
let setpriv: string | null | undefined;

/**
 * A path to run instead of `ffmpegPath` that execs it under `setpriv --pdeathsig KILL`
 * (fluent-ffmpeg spawns one executable with no prefix arguments, hence a tiny sh wrapper; exec
 * keeps the pid, so signals and stdin reach ffmpeg itself). Without setpriv: ffmpegPath as is.
 */
export function guardedFfmpegPath(ffmpegPath: string): string {
  if (process.platform !== 'linux') return ffmpegPath;
  if (setpriv === undefined) setpriv = onPath('setpriv') ?? null;
  if (!setpriv) return ffmpegPath;
  const cached = wrappers.get(ffmpegPath);
  if (cached) return cached;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const dir = join(tmpdir(), `cascade-egress-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hash = createHash('sha1').update(`${setpriv}\0${ffmpegPath}`).digest('hex').slice(0, 12);
  const wrapper = join(dir, `ffmpeg-${hash}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${quote(setpriv)} --pdeathsig KILL -- ${quote(ffmpegPath)} "$@"\n`, { mode: 0o700 });
  wrappers.set(ffmpegPath, wrapper);
  return wrapper;
}
