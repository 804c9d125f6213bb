import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/**
 * A real RTMP sink for tests: Debian's nginx with libnginx-mod-rtmp, own prefix and config in a
 * temporary directory, listening on 127.0.0.1:<free port>, recording every published stream to
 * <dir>/rec/<stream>.flv. nginx's worker runs as `nobody`, so the record directory is made
 * world-writable (otherwise nginx accepts the push and silently records nothing).
 */
const MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export class RtmpSink {
  readonly dir: string;
  readonly port: number;
  readonly recordDir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  log = '';

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
    this.recordDir = join(dir, 'rec');
  }

  static async start(): Promise<RtmpSink> {
    const dir = await mkdtemp(join(tmpdir(), 'cascade-rtmp-'));
    await chmod(dir, 0o755);
    const sink = new RtmpSink(dir, await freePort());
    await mkdir(sink.recordDir);
    await chmod(sink.recordDir, 0o777);
    await mkdir(join(dir, 'logs'));
    await writeFile(
      join(dir, 'nginx.conf'),
      [
        `load_module ${MODULE};`,
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'logs', 'error.log')} info;`,
        'events { worker_connections 64; }',
        'rtmp {',
        '  server {',
        `    listen 127.0.0.1:${sink.port};`,
        '    application live {',
        '      live on;',
        '      record all;',
        `      record_path ${sink.recordDir};`,
        '      record_unique on;',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    await sink.resume();
    return sink;
  }

  /** rtmp://127.0.0.1:<port>/live/<key> */
  url(key: string): string {
    return `rtmp://127.0.0.1:${this.port}/live/${key}`;
  }

  get running(): boolean {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** (Re)starts nginx on the same port and waits until it accepts connections. */
  async resume(): Promise<void> {
    if (this.running) return;
    const child = spawn('nginx', ['-p', this.dir, '-e', join(this.dir, 'logs', 'error.log'), '-c', join(this.dir, 'nginx.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 5000;
    while (!(await this.#accepts())) {
      if (!this.running) throw new Error(`nginx exited: ${this.log}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${this.port}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Fast shutdown (SIGTERM): open RTMP connections are cut, as when a sink drops. */
  async halt(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGTERM');
    await this.#exited;
  }

  async stop(): Promise<void> {
    await this.halt();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** FLV files recorded so far, with sizes. */
  async recordings(): Promise<{ path: string; size: number }[]> {
    const names = await readdir(this.recordDir).catch(() => [] as string[]);
    return Promise.all(
      names.filter((n) => n.endsWith('.flv')).map(async (n) => ({ path: join(this.recordDir, n), size: (await stat(join(this.recordDir, n))).size })),
    );
  }

  async errorLog(): Promise<string> {
    return readFile(join(this.dir, 'logs', 'error.log'), 'utf8').catch(() => '');
  }

  #accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
