import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ClientCommand, ClientReply, GroupResult, JoinTarget } from './clientMain';

/**
 * The parent's handle on the child process that holds signaling clients (clientMain.ts). Keeping
 * clients out of the server's process means the server's RSS and heap are the server's alone, and
 * the clients' JSON work does not queue behind (or in front of) the server's on one event loop.
 */
export class ClientProcess {
  readonly #child: ChildProcess;
  #waiter?: { resolve: (reply: ClientReply) => void; reject: (err: Error) => void };

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: ClientReply) => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.reject(new Error(`client process exited (${code ?? signal})`));
    });
  }

  static start(): ClientProcess {
    // Compiled next to this file (dist/bench/lib/clientMain.js).
    const child = fork(path.join(__dirname, 'clientMain.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    return new ClientProcess(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** `count` participants join `room` one after another; resolves with each one's timings. */
  async join(wsBase: string, room: string, group: string, count: number): Promise<GroupResult> {
    return (await this.joinEach([{ wsBase, room, group }], count))[group]!;
  }

  /** `count` rounds of one join into each target in turn (see clientMain.ts), results by group. */
  async joinEach(targets: JoinTarget[], count: number): Promise<Record<string, GroupResult>> {
    const reply = await this.#send({ type: 'join', targets, count });
    if (reply.type !== 'joined') throw new Error(`unexpected reply ${reply.type}`);
    return reply.results;
  }

  async close(group: string): Promise<void> {
    await this.#send({ type: 'close', group });
  }

  /** Disconnects the IPC channel; the child exits on its own (its sockets close with it). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.disconnect();
    await exited;
  }

  #send(cmd: ClientCommand): Promise<ClientReply> {
    if (this.#waiter) throw new Error('one client command at a time');
    return new Promise<ClientReply>((resolve, reject) => {
      this.#waiter = {
        resolve: (reply) => (reply.type === 'error' ? reject(new Error(`client process: ${reply.message}`)) : resolve(reply)),
        reject,
      };
      this.#child.send(cmd);
    });
  }
}
