import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { clientNames, NodeConnectionWatch } from '../../actors/cluster/NodeConnectionWatch';
import { closeRedis, createRedis } from '../../actors/cluster/redis';
import type { NodeId } from '../../schemas/ids';
import { ROOT } from '../helpers/cluster';

/**
 * NodeConnectionWatch against the real Redis on 127.0.0.1:6379: a process that holds a named
 * connection is killed with SIGKILL, and the watch reports its node, because the kernel closed the
 * socket and Redis dropped the connection (nothing in the dead process said goodbye). Names carry a
 * random prefix, so other tests' connections are never mistaken for these.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let prefix: string;
let redis: Redis;

beforeEach(() => {
  prefix = `cascade-test-${randomBytes(6).toString('hex')}:`;
  redis = createRedis(REDIS_URL, { connectionName: `${prefix}node-a` });
});

afterEach(async () => {
  await closeRedis(redis);
});

/** A separate process holding one Redis connection named `name` until it is killed. */
async function holder(name: string): Promise<{ kill(): Promise<void> }> {
  const script = `
    const { Redis } = require('ioredis');
    const redis = new Redis(${JSON.stringify(REDIS_URL)}, { connectionName: ${JSON.stringify(name)} });
    redis.ping().then(() => console.log('ready'));
    setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before connecting`)));
  });
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('reports the node of a killed process whose connection Redis dropped, and only that one', async () => {
  const nodeB = await holder(`${prefix}node-b`);
  const closed: NodeId[] = [];
  const errors: Error[] = [];
  const watch = new NodeConnectionWatch({
    names: () => clientNames(redis),
    nodeOf: (name) => (name.startsWith(prefix) ? (name.slice(prefix.length) as NodeId) : undefined),
    onClosed: (nodeId) => closed.push(nodeId),
    intervalMs: 50,
    onError: (err) => errors.push(err),
  });
  try {
    await until('both connections listed', async () => (await watch.isOpen('node-a' as NodeId)) && (await watch.isOpen('node-b' as NodeId)));
    await watch.check(); // a look that has seen both
    await nodeB.kill();
    await until('node-b reported', async () => {
      await watch.check();
      return closed.length > 0;
    });
    expect(closed).toEqual(['node-b']);
    expect(await watch.isOpen('node-b' as NodeId)).toBe(false);
    expect(await watch.isOpen('node-a' as NodeId)).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await nodeB.kill();
  }
});

test('after a failed look (Redis away), the next one only learns: a Redis restart is not a wave of crashes', async () => {
  let names = new Set(['n:a', 'n:b', 'n:c']);
  let failing = false;
  const closed: string[] = [];
  const errors: Error[] = [];
  const watch = new NodeConnectionWatch({
    names: async () => {
      if (failing) throw new Error('connection refused');
      return names;
    },
    nodeOf: (name) => (name.startsWith('n:') ? (name.slice(2) as NodeId) : undefined),
    onClosed: (nodeId) => closed.push(nodeId),
    intervalMs: 1000,
    onError: (err) => errors.push(err),
  });
  await watch.check();
  failing = true;
  await watch.check();
  await watch.check();
  failing = false;
  names = new Set(['n:a']); // b and c have not reconnected yet
  await watch.check();
  expect(closed).toEqual([]);
  expect(errors.map((e) => e.message)).toEqual(['connection refused']); // once per outage
  names = new Set(['n:b', 'other']); // now a went away between two good looks
  await watch.check();
  expect(closed).toEqual(['a']);
});
