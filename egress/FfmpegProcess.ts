import type { ChildProcess } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import { TypedEmitter } from '../media/TypedEmitter';
import { CascadeError } from '../schemas/errors';
import { guardedFfmpegPath, trackChild } from './children';
import { toArgs, type FfmpegSpec } from './commands';
import { parseStatsLine, type FfmpegStats } from './progress';
import { redactText } from './redact';

// fluent-ffmpeg sets `ffmpegProc` on the command between 'start' and the end of the run.
declare module 'fluent-ffmpeg' {
  interface FfmpegCommand {
    ffmpegProc?: ChildProcess;
  }
}

export type EgressLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stop() or kill() was called: the exit was asked for. */
  requested: boolean;
  /** Exit code 0: ffmpeg wrote its trailer (also after 'q' or SIGINT). */
  clean: boolean;
  /** Why, in words, from ffmpeg's last error lines; stream keys redacted. */
  reason: string;
}

export interface FfmpegProcessEvents {
  started: { pid: number; commandLine: string };
  progress: FfmpegStats;
  exit: FfmpegExit;
}

export interface FfmpegProcessOptions {
  spec: FfmpegSpec;
  /** Default 'ffmpeg' (from PATH). */
  ffmpegPath?: string;
  /** Strings never to print (stream keys); RTMP URLs are redacted anyway. */
  secrets?: readonly string[];
  /** stop(): 'q' at once, SIGINT at 1/5 and 2/5, SIGKILL at the end. Default 5000 ms. */
  stopTimeoutMs?: number;
  log?: EgressLogger;
  /** Prefix of log lines, e.g. the job id. */
  label?: string;
}

const ERROR_LINE = /\[(error|fatal)\]/;

/**
 * One ffmpeg run through fluent-ffmpeg: typed progress from the stats lines, the exit with its
 * code, signal and reason, and a stop that lets ffmpeg write its trailer before it is killed.
 * A run is one process; restarting means a new FfmpegProcess with the same spec.
 */
export class FfmpegProcess extends TypedEmitter<FfmpegProcessEvents> {
  readonly #options: FfmpegProcessOptions;
  readonly #lines: string[] = [];
  readonly #exited: Promise<FfmpegExit>;
  #resolveExit!: (exit: FfmpegExit) => void;
  #child: ChildProcess | undefined;
  #exit: FfmpegExit | undefined;
  #requested = false;
  #started = false;
  #lastStats: FfmpegStats | undefined;

  constructor(options: FfmpegProcessOptions) {
    super();
    this.#options = options;
    this.#exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#exit === undefined;
  }

  get exitInfo(): FfmpegExit | undefined {
    return this.#exit;
  }

  get lastStats(): FfmpegStats | undefined {
    return this.#lastStats;
  }

  /** The command line with secrets redacted. */
  get commandLine(): string {
    return this.#redact(['ffmpeg', ...toArgs(this.#options.spec)].map((a) => (/[\s;|[\]]/.test(a) ? `'${a}'` : a)).join(' '));
  }

  /** The last stderr lines (redacted), for errors and debugging. */
  recentLog(): string[] {
    return [...this.#lines];
  }

  /** Spawns ffmpeg; resolves with its pid. Rejects if it could not be spawned. */
  start(): Promise<number> {
    if (this.#started) throw new CascadeError('INTERNAL', 'an FfmpegProcess runs once');
    this.#started = true;
    const { spec } = this.#options;
    const command = ffmpeg();
    command.setFfmpegPath(guardedFfmpegPath(this.#options.ffmpegPath ?? 'ffmpeg'));
    for (const input of spec.inputs) command.input(input.source).inputOptions(input.args);
    if (spec.filterComplex) command.complexFilter(spec.filterComplex);
    command.output(spec.output).outputOptions(spec.outputArgs);

    return new Promise((resolve, reject) => {
      command.on('start', () => {
        const child = command.ffmpegProc;
        if (!child?.pid) return;
        this.#child = child;
        trackChild(child);
        child.stdin?.on('error', () => undefined);
        // 'close', not 'exit': by then stderr is drained, so the reason includes the last lines.
        child.once('close', (code, signal) => this.#onExit(code, signal));
        if (this.#requested) child.kill('SIGKILL');
        this.#log('info', `started pid ${child.pid}: ${this.commandLine}`);
        this.safeEmit('started', { pid: child.pid, commandLine: this.commandLine });
        resolve(child.pid);
      });
      command.on('stderr', (line) => this.#onLine(line));
      // Exits are handled from the child's 'exit'; this catches failures before a child exists.
      command.on('error', (error: Error) => {
        if (this.#child) return;
        const reason = this.#redact(error.message);
        this.#finish({ code: null, signal: null, requested: this.#requested, clean: false, reason });
        reject(new CascadeError('EGRESS_FAILED', `ffmpeg could not start: ${reason}`));
      });
      command.on('end', () => undefined);
      command.run();
    });
  }

  /** Resolves when ffmpeg has exited (at once if it already has). */
  exited(): Promise<FfmpegExit> {
    return this.#exited;
  }

  /**
   * Asks ffmpeg to finish its file: 'q' on stdin, then SIGINT twice (the first SIGINT is only
   * seen between packets; the second also interrupts a read blocked on a silent RTP input),
   * then SIGKILL. Safe to call more than once.
   */
  async stop(): Promise<FfmpegExit> {
    const child = this.#child;
    if (this.#exit) return this.#exited;
    this.#requested = true;
    if (!this.#started) {
      this.#finish({ code: null, signal: null, requested: true, clean: false, reason: 'stopped before start' });
      return this.#exited;
    }
    // Still spawning: the 'start' handler kills it as soon as it exists (nothing written yet).
    if (!child) return this.#exited;
    const total = this.#options.stopTimeoutMs ?? 5000;
    const timers = [
      setTimeout(() => this.#signal('SIGINT'), total / 5),
      setTimeout(() => this.#signal('SIGINT'), (2 * total) / 5),
      setTimeout(() => {
        this.#log('warn', `pid ${child.pid} did not stop in ${total} ms: SIGKILL`);
        this.#signal('SIGKILL');
      }, total),
    ];
    try {
      child.stdin?.write('q');
    } catch {
      // stdin already closed: the signals follow.
    }
    const exit = await this.#exited;
    timers.forEach(clearTimeout);
    return exit;
  }

  /** Kills at once (no trailer). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<FfmpegExit> {
    if (this.#exit || !this.#started) return this.stop();
    this.#requested = true;
    this.#signal(signal);
    return this.#exited;
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      this.#child?.kill(signal);
    } catch {
      // Already gone.
    }
  }

  #onLine(raw: string): void {
    const stats = parseStatsLine(raw);
    if (stats) {
      this.#lastStats = stats;
      this.safeEmit('progress', stats);
      return;
    }
    const line = this.#redact(raw.trimEnd());
    if (!line) return;
    this.#lines.push(line);
    if (this.#lines.length > 60) this.#lines.shift();
    this.#log(ERROR_LINE.test(line) ? 'warn' : 'debug', line);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    // Lines ffmpeg tagged [error]/[fatal] (-loglevel level+...); else its last words, untagged
    // (as when it dies before parsing options, or setpriv cannot exec it).
    const tagged = this.#lines.filter((l) => ERROR_LINE.test(l));
    const candidates = tagged.length > 0 ? tagged : this.#lines.filter((l) => !/\[(info|verbose|debug)\]/.test(l)).slice(-2);
    const detail = [...new Set(candidates.map((l) => l.replace(/^(\[[^\]]*\]\s*)+/, '').trim()))].slice(-2).join('; ');
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const reason = code === 0 ? 'ffmpeg finished' : `ffmpeg ${how}${detail ? `: ${detail}` : ''}`;
    this.#finish({ code, signal, requested: this.#requested, clean: code === 0, reason });
  }

  #finish(exit: FfmpegExit): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#log(exit.clean || exit.requested ? 'info' : 'warn', `pid ${this.#child?.pid ?? '-'}: ${exit.reason}`);
    this.#resolveExit(exit);
    this.safeEmit('exit', exit);
  }

  #redact(text: string): string {
    return redactText(text, this.#options.secrets);
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.#options.log?.(level, `${this.#options.label ? `[${this.#options.label}] ` : ''}${message}`);
  }
}
