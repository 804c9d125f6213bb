import { BenchClient, timedJoin, type JoinTiming } from './signaling';

/**
 * Child-process entry that holds the benchmark's signaling clients, so their sockets, parsing and
 * heap are not counted in the server's memory or event-loop time. Driven over IPC by
 * ClientProcess (clientProcess.ts); one command at a time.
 */

/** Where a group of clients joins: a server's WebSocket URL and a room on it. */
export interface JoinTarget {
  wsBase: string;
  room: string;
  group: string;
}

export interface GroupResult {
  timings: JoinTiming[];
  connectMs: number[];
  events: number;
}

export type ClientCommand = { type: 'join'; targets: JoinTarget[]; count: number } | { type: 'close'; group: string };

export type ClientReply =
  | { type: 'joined'; results: Record<string, GroupResult> }
  | { type: 'closed'; group: string }
  | { type: 'error'; message: string };

const groups = new Map<string, BenchClient[]>();

/**
 * `count` rounds; in each, one participant joins every target in turn. With two targets (say
 * Cascade and a baseline server) both rooms grow in step and share the machine's load of the
 * moment, which matters more than anything else on a busy 2-core box.
 */
async function join(cmd: Extract<ClientCommand, { type: 'join' }>): Promise<ClientReply> {
  const results: Record<string, GroupResult> = {};
  for (const target of cmd.targets) {
    if (!groups.has(target.group)) groups.set(target.group, []);
    results[target.group] = { timings: [], connectMs: [], events: 0 };
  }
  for (let i = 0; i < cmd.count; i++) {
    for (const target of cmd.targets) {
      const clients = groups.get(target.group)!;
      const result = results[target.group]!;
      const identity = `${target.group}-${clients.length}`;
      const url = new URL(target.wsBase);
      url.searchParams.set('room', target.room);
      url.searchParams.set('identity', identity);
      const t0 = process.hrtime.bigint();
      const client = await BenchClient.connect(url.toString());
      result.connectMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      clients.push(client);
      result.timings.push(await timedJoin(client, identity));
    }
  }
  for (const target of cmd.targets) results[target.group]!.events = groups.get(target.group)!.reduce((n, c) => n + c.events, 0);
  return { type: 'joined', results };
}

async function close(group: string): Promise<ClientReply> {
  const clients = groups.get(group) ?? [];
  groups.delete(group);
  await Promise.all(clients.map((c) => c.close()));
  return { type: 'closed', group };
}

if (require.main === module) {
  if (!process.send) throw new Error('clientMain runs as a forked child (see clientProcess.ts)');
  // Commands are handled strictly one after another, like a script would.
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (cmd: ClientCommand) => {
    queue = queue.then(async () => {
      let reply: ClientReply;
      try {
        reply = cmd.type === 'join' ? await join(cmd) : await close(cmd.group);
      } catch (err) {
        reply = { type: 'error', message: (err as Error).stack ?? String(err) };
      }
      process.send!(reply);
    });
  });
  // The parent going away (crash, Ctrl-C) must not leave us holding sockets.
  process.on('disconnect', () => process.exit(0));
}
