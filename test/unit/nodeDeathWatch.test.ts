import { NodeDeathWatch, type DeathProof } from '../../actors/cluster/NodeDeathWatch';
import type { NodeId } from '../../schemas/ids';

/**
 * NodeDeathWatch's rules with stand-ins for the registry, Redis's connection list and the ping.
 * "Not lost" is checked after the watch has looked at the node several times (counted), never
 * after a fixed wait.
 */

const N = 'node-2' as NodeId;

class World {
  beating = true;
  connectionOpen = true;
  /** What a ping says: true answered, false silent, undefined this node cannot tell. */
  answers: boolean | undefined = true;
  /** Reopen the connection while the ping waits (a Redis blip). */
  reconnectDuringPing = false;
  looks = 0;
  readonly lost: [NodeId, DeathProof][] = [];
  readonly #waiters: (() => void)[] = [];

  readonly watch = new NodeDeathWatch({
    stillBeating: async () => {
      this.#looked();
      return this.beating;
    },
    connectionOpen: async () => {
      this.#looked();
      return this.connectionOpen;
    },
    answers: async () => {
      if (this.reconnectDuringPing) this.connectionOpen = true;
      return this.answers;
    },
    onLost: (nodeId, proof) => {
      this.lost.push([nodeId, proof]);
      this.#wake();
    },
    pollMs: 1,
  });

  /** Resolves once the watch has looked at the registry or the connection list `count` times in all. */
  async looked(count: number): Promise<void> {
    while (this.looks < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once `count` losses have been reported in all. */
  async lostOnce(count = 1): Promise<void> {
    while (this.lost.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #looked(): void {
    this.looks++;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.watch.stop());

describe('a node Moleculer reports disconnected', () => {
  it('is lost once its registry entry has expired', async () => {
    world.watch.disconnected(N);
    await world.looked(5);
    expect(world.lost).toEqual([]);
    world.beating = false;
    await world.lostOnce();
    expect(world.lost).toEqual([[N, 'heartbeat expired']]);
  });

  it('is not lost while it keeps beating with its connection open (a NATS outage), and the watch ends when it is back', async () => {
    world.answers = false; // NATS is down: no ping gets through either
    world.watch.disconnected(N);
    await world.looked(20);
    world.watch.connected(N);
    world.beating = false;
    const looks = world.looks;
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.lost).toEqual([]);
    expect(world.looks - looks).toBeLessThanOrEqual(2); // at most the look already under way
  });

  it('is lost at once when its connection is gone too and it does not answer', async () => {
    world.connectionOpen = false;
    world.answers = false;
    world.watch.disconnected(N);
    await world.lostOnce();
    expect(world.lost).toEqual([[N, 'connection closed']]);
  });
});

describe('a node whose Redis connection closed', () => {
  it('is lost when it does not answer and its connection stays closed, although its heartbeat has not expired', async () => {
    world.connectionOpen = false;
    world.answers = false;
    world.watch.connectionClosed(N);
    await world.lostOnce();
    expect(world.lost).toEqual([[N, 'connection closed']]);
    expect(world.watch.isLost(N)).toBe(true);
  });

  it('is not lost when it answers (Redis dropped the connection, the node is fine)', async () => {
    world.connectionOpen = false;
    world.answers = true;
    world.watch.connectionClosed(N);
    await world.looked(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.lost).toEqual([]);
    // The watch ended: a new suspicion starts a new one, which can conclude.
    world.answers = false;
    world.watch.connectionClosed(N);
    await world.lostOnce();
    expect(world.lost).toEqual([[N, 'connection closed']]);
  });

  it('is not lost when its connection came back while the ping waited', async () => {
    world.connectionOpen = false;
    world.answers = false;
    world.reconnectDuringPing = true;
    world.watch.connectionClosed(N);
    await world.looked(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.lost).toEqual([]);
  });

  it('is not judged while this node cannot ping, and is once it can', async () => {
    world.connectionOpen = false;
    world.answers = undefined;
    world.watch.connectionClosed(N);
    await world.looked(10);
    expect(world.lost).toEqual([]);
    world.answers = false;
    await world.lostOnce();
    expect(world.lost).toEqual([[N, 'connection closed']]);
  });

  it('is never suspected while its connection is open, however silent it is (alive but slow)', async () => {
    world.answers = false;
    world.watch.connectionClosed(N);
    await world.looked(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.lost).toEqual([]);
  });
});

describe('reporting', () => {
  it('reports a node once, and again only after it came back', async () => {
    world.connectionOpen = false;
    world.answers = false;
    world.watch.connectionClosed(N);
    await world.lostOnce();
    world.watch.disconnected(N); // Moleculer catching up (or told by onLost): nothing new
    world.watch.connectionClosed(N);
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.lost).toHaveLength(1);
    world.watch.connected(N);
    expect(world.watch.isLost(N)).toBe(false);
    world.watch.disconnected(N);
    await world.lostOnce(2);
    expect(world.lost).toEqual([
      [N, 'connection closed'],
      [N, 'connection closed'],
    ]);
  });
});
