import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { ServiceBroker } from 'moleculer';
import { mintToken } from '../../gateway/auth/tokens';
import type { RoomMediaStats } from '../../media';
import type { Role } from '../../schemas/roles';
import { withPostgresSchema, type TestDatabase } from './db';
import { childPids, delayRelay, processAlive, ServerProcess, tail } from './clusterProcesses';
import { freePort, freeUdpPortRange } from './ports';

export { delayRelay, tail } from './clusterProcesses';

/**
 * A Cascade cluster for tests: N nodes as separate processes (`node dist/cli/cascade.js server`),
 * each with its own id, region and free ports, over a private NATS and a private Redis (real
 * nats-server and redis-server on 127.0.0.1, started for this run, so concurrent runs and the
 * shared services never see each other), sharing one fresh PostgreSQL schema. size 1 without
 * `clustered` is the embedded single-node mode (no transporter, in-memory state).
 *
 * A service-less "probe" broker joins the cluster from the test process to call `media.*` and
 * `room.*` actions on a chosen node (assertions from the mediasoup objects themselves).
 */

/** The checkout (where package.json is), from test/helpers or from dist/test/helpers (benchmarks). */
export const ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
const CLI = path.join(ROOT, 'dist', 'cli', 'cascade.js');
export const AUTH = { secret: 'cascade-cluster-test-secret', issuer: 'cascade', defaultTtlSeconds: 3600 };
export const API_KEY = { key: 'cluster-key', secret: 'cluster-api-secret' };
/** node1..3 regions and the round trips between them (as scripts/cluster-local.sh). */
export const REGIONS = ['eu', 'us', 'ap'];
export const REGION_DISTANCES = { eu: { us: 40, ap: 120 }, us: { ap: 80 } };

export interface ClusterNode {
  /** node1, node2, … */
  name: string;
  /** Moleculer node id (unique per run). */
  id: string;
  region: string;
  url: string;
  wsUrl: string;
  logFile: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  alive: boolean;
}

export interface ClusterOptions {
  size: number;
  /** Default: size > 1. false = embedded single node (no NATS, no Redis). */
  clustered?: boolean;
  heartbeatIntervalSeconds?: number;
  heartbeatTimeoutSeconds?: number;
  /**
   * One-way delay (ms) added to node i's NATS traffic (a relay in this process), to model a node
   * far from the others: every actor message between it and the rest then pays the round trip.
   */
  natsDelayMs?: number[];
  /** Extra CASCADE_* variables for every node. */
  env?: Record<string, string>;
  /** Extra CASCADE_* variables for node i (after `env`), e.g. its roles. */
  nodeEnv?: Record<string, string>[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds dist/ (server and browser client) when a source file is newer than the CLI. */
export function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let max = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) max = Math.max(max, newest(full));
      else if (entry.name.endsWith('.ts')) max = Math.max(max, statSync(full).mtimeMs);
    }
    return max;
  };
  const sources = Math.max(...['actors', 'cli', 'config', 'egress', 'gateway', 'media', 'schemas', 'store'].map((d) => newest(path.join(ROOT, d))));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= sources && existsSync(path.join(ROOT, 'dist', 'public', 'app.js'))) return;
  // Type errors elsewhere in the tree do not stop tsc from emitting: the CLI's existence is the check.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-client.mjs')], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(CLI)) throw new Error(`${CLI} missing after the build`);
}

export class Cluster {
  readonly runId = randomBytes(4).toString('hex');
  readonly nodes: ClusterNode[] = [];
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'cascade-cluster-'));
  readonly clustered: boolean;
  nats?: ServerProcess;
  redisServer?: ServerProcess;
  /** Test-side client of the cluster's Redis (the room directory, the node registry). */
  redis?: Redis;
  /** Test-side broker in the cluster (no services): calls actions on chosen nodes. */
  probe?: ServiceBroker;
  database?: TestDatabase;
  readonly #options: ClusterOptions;
  readonly #usedPorts: [number, number][] = [];
  readonly #relays: { close(): void }[] = [];

  private constructor(options: ClusterOptions) {
    this.#options = options;
    this.clustered = options.clustered ?? options.size > 1;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    ensureBuilt();
    const cluster = new Cluster(options);
    try {
      await cluster.#start();
    } catch (err) {
      const logs = cluster.logs();
      await cluster.stopAll();
      throw new Error(`${(err as Error).message}\n${logs}`);
    }
    return cluster;
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** An access token (placement hint `region` optional). */
  token(room: string, identity: string, options: { region?: string; role?: Role; name?: string } = {}): string {
    return mintToken(AUTH, { room, identity, role: options.role ?? 'guest', ...(options.name ? { name: options.name } : {}), ...(options.region ? { region: options.region } : {}) });
  }

  /** Calls an action on one node through the probe broker (clustered only). */
  /** One room's media objects on a node (producers, consumers, pipes with byte counters); empty when the node hosts none. */
  async roomStats(node: ClusterNode, roomId: string): Promise<RoomMediaStats> {
    const [stats] = await this.call<RoomMediaStats[]>(node, 'media.roomStats', { roomId });
    return stats ?? { roomId, producers: [], consumers: [], pipes: [] };
  }

  call<T>(node: ClusterNode | string, action: string, params: object = {}): Promise<T> {
    if (!this.probe) throw new Error('no probe broker: the single-node mode has no transporter');
    const nodeID = typeof node === 'string' ? this.node(node).id : node.id;
    return this.probe.call<T, object>(action, params, { nodeID });
  }

  /** GET with the API key (a request lost in a NATS outage must not hold a poll for requestTimeout). */
  async api<T>(node: ClusterNode, urlPath: string, timeoutMs = 3000): Promise<T> {
    const res = await fetch(`${node.url}${urlPath}`, {
      headers: { authorization: `Bearer ${API_KEY.key}:${API_KEY.secret}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`GET ${urlPath} on ${node.name}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The last lines of every node's log (failure messages). */
  logs(lines = 30): string {
    return this.nodes.map((n) => `----- ${n.name} (${n.id}, ${n.alive ? 'alive' : 'dead'}) ${n.logFile}\n${tail(n.logFile, lines)}`).join('\n');
  }

  /** Runs a test body; a failure carries the tails of the node logs. */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      error.message = `${error.message}\n\n${this.logs()}`;
      throw error;
    }
  }

  /** Sends a signal to a node; SIGKILL waits for the process and its mediasoup workers to be gone. */
  async kill(node: ClusterNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = node.child.pid;
    if (!node.alive || pid === undefined) return;
    const workers = childPids(pid);
    node.child.kill(signal);
    await node.exited;
    // A worker notices its parent's death through its closed channel; make sure it did.
    const deadline = Date.now() + 3000;
    while (workers.some(processAlive) && Date.now() < deadline) await sleep(50);
    for (const worker of workers.filter(processAlive)) process.kill(worker, 'SIGKILL');
  }

  /** Stops the private NATS server and starts it again on the same port. */
  async restartNats(downMs = 1000): Promise<void> {
    if (!this.nats) throw new Error('no private NATS');
    await this.nats.stop('SIGKILL');
    await sleep(downMs);
    await this.nats.start();
  }

  /** SIGTERM to every node (SIGKILL after 15 s), then the probe, NATS, Redis and the schema. */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.alive) return;
        const pid = node.child.pid as number;
        const workers = childPids(pid);
        node.child.kill('SIGTERM');
        const timer = setTimeout(() => node.child.kill('SIGKILL'), 15000);
        await node.exited;
        clearTimeout(timer);
        for (const worker of workers.filter(processAlive)) process.kill(worker, 'SIGKILL');
      }),
    );
    await this.probe?.stop().catch(() => undefined);
    for (const relay of this.#relays) relay.close();
    this.redis?.disconnect();
    await this.nats?.stop();
    await this.redisServer?.stop();
    await this.database?.cleanup().catch(() => undefined);
    if (!process.env.CLUSTER_KEEP_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }

  async #start(): Promise<void> {
    const { size } = this.#options;
    this.database = await withPostgresSchema();
    if (this.clustered) {
      const natsPort = await freePort();
      this.nats = new ServerProcess('nats-server', natsPort, ['-a', '127.0.0.1', '-p', String(natsPort)], path.join(this.dir, 'nats.log'));
      const redisPort = await freePort();
      this.redisServer = new ServerProcess(
        'redis-server',
        redisPort,
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        path.join(this.dir, 'redis.log'),
      );
      await Promise.all([this.nats.start(), this.redisServer.start()]);
      this.redis = new Redis(this.redisUrl);
      this.probe = new ServiceBroker({
        namespace: 'cascade',
        nodeID: `probe-${this.runId}`,
        transporter: { type: 'NATS', options: { url: this.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 500 } },
        logger: false,
        requestTimeout: 10000,
        heartbeatInterval: 1,
        heartbeatTimeout: 3,
      });
      await this.probe.start();
    }
    // One migration up front: nodes then open an up-to-date schema instead of racing to create it.
    const env = await Promise.all(Array.from({ length: size }, (_, i) => this.#nodeEnv(i)));
    const migrated = spawnSync(process.execPath, [CLI, 'migrate'], { cwd: ROOT, env: env[0], encoding: 'utf8' });
    if (migrated.status !== 0) throw new Error(`cascade migrate failed: ${migrated.stderr}`);
    for (let i = 0; i < size; i++) this.nodes.push(this.#spawn(i, env[i] as NodeJS.ProcessEnv));
    await this.waitForCluster();
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.nats?.port}`;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisServer?.port}`;
  }

  /**
   * Polls until every live node's /stats counts every live node, each media node heartbeats in
   * Redis, and the probe's own registry lists every live node (after a NATS outage the probe
   * rediscovers peers on its own schedule; calling through it before then finds no service).
   */
  async waitForCluster(timeoutMs = 60000): Promise<void> {
    const live = this.nodes.filter((n) => n.alive);
    const deadline = Date.now() + timeoutMs;
    let why = 'not checked';
    for (;;) {
      const seen = await Promise.all(
        live.map((n) =>
          this.api<{ nodes: number }>(n, '/stats').then(
            (s) => s.nodes,
            (err: Error) => err.message,
          ),
        ),
      );
      const registry = this.redis ? await this.redis.smembers('cascade:nodes') : live.map((n) => n.id);
      const inRegistry = live.filter((n) => registry.includes(n.id)).length;
      const probed = this.probe ? new Set(this.probe.registry.getNodeList({ onlyAvailable: true, withServices: false }).map((n) => n.id)) : undefined;
      const probeSees = probed ? live.filter((n) => probed.has(n.id)).length : live.length;
      if (seen.every((count) => count === live.length) && inRegistry === live.length && probeSees === live.length) return;
      why = `nodes seen: ${live.map((n, i) => `${n.name}=${String(seen[i])}`).join(', ')}; in the registry: ${inRegistry}/${live.length}; seen by the probe: ${probeSees}/${live.length}`;
      const dead = this.nodes.find((n) => !n.alive && live.includes(n));
      if (dead) throw new Error(`${dead.name} exited during start`);
      if (Date.now() > deadline) throw new Error(`cluster not ready after ${timeoutMs} ms: ${why}`);
      await sleep(200);
    }
  }

  async #freeRange(count: number): Promise<{ min: number; max: number }> {
    for (;;) {
      const range = await freeUdpPortRange(count);
      if (this.#usedPorts.every(([lo, hi]) => range.max < lo || range.min > hi)) {
        this.#usedPorts.push([range.min, range.max]);
        return range;
      }
    }
  }

  async #natsUrlFor(i: number): Promise<string> {
    const delay = this.#options.natsDelayMs?.[i] ?? 0;
    if (delay <= 0 || !this.nats) return this.natsUrl;
    const relay = await delayRelay(this.nats.port, delay);
    this.#relays.push(relay);
    return `nats://127.0.0.1:${relay.port}`;
  }

  async #nodeEnv(i: number): Promise<NodeJS.ProcessEnv> {
    const name = `node${i + 1}`;
    const rtc = await this.#freeRange(1);
    const pipes = await this.#freeRange(300);
    const httpPort = await freePort();
    const db = this.database?.cfg;
    // Only what the test decides: no CASCADE_* from the caller's environment leaks into a node.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CASCADE_')));
    Object.assign(env, {
      CASCADE_NODE_ID: `${name}-${this.runId}`,
      CASCADE_NODE_REGION: REGIONS[i % REGIONS.length],
      CASCADE_HTTP_HOST: '127.0.0.1',
      CASCADE_HTTP_PORT: String(httpPort),
      CASCADE_RTC_LISTEN_IP: '127.0.0.1',
      CASCADE_RTC_ANNOUNCED_IP: '127.0.0.1',
      CASCADE_RTC_PORT: String(rtc.min),
      CASCADE_RTC_MIN_PORT: String(pipes.min),
      CASCADE_RTC_MAX_PORT: String(pipes.max),
      CASCADE_MEDIASOUP_WORKERS: '1',
      CASCADE_AUTH_MODE: 'token',
      CASCADE_AUTH_SECRET: AUTH.secret,
      CASCADE_AUTH_API_KEYS: JSON.stringify([API_KEY]),
      CASCADE_DATABASE_URL: db?.url ?? '',
      CASCADE_DATABASE_SCHEMA: db?.schema ?? '',
      CASCADE_EGRESS_DIRECTORY: path.join(this.dir, `recordings-${name}`),
      CASCADE_LOG_LEVEL: 'info',
      ...(this.clustered
        ? {
            CASCADE_CLUSTER_TRANSPORTER: await this.#natsUrlFor(i),
            CASCADE_CLUSTER_REDIS_URL: this.redisUrl,
            CASCADE_CLUSTER_REGION_DISTANCES: JSON.stringify(REGION_DISTANCES),
            CASCADE_CLUSTER_HEARTBEAT_INTERVAL_SECONDS: String(this.#options.heartbeatIntervalSeconds ?? 1),
            CASCADE_CLUSTER_HEARTBEAT_TIMEOUT_SECONDS: String(this.#options.heartbeatTimeoutSeconds ?? 3),
          }
        : {}),
      ...this.#options.env,
      ...this.#options.nodeEnv?.[i],
    });
    return env;
  }

  #spawn(i: number, env: NodeJS.ProcessEnv): ClusterNode {
    const name = `node${i + 1}`;
    const logFile = path.join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [CLI, 'server'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const url = `http://127.0.0.1:${env.CASCADE_HTTP_PORT}`;
    const node: ClusterNode = {
      name,
      id: env.CASCADE_NODE_ID as string,
      region: env.CASCADE_NODE_REGION as string,
      url,
      wsUrl: `ws://127.0.0.1:${env.CASCADE_HTTP_PORT}/ws`,
      logFile,
      child,
      alive: true,
      exited: new Promise((resolve) =>
        child.once('exit', (code) => {
          node.alive = false;
          resolve(code);
        }),
      ),
    };
    return node;
  }
}
