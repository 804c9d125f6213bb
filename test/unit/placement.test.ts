import { MemoryNodeRegistry, type NodeInfo, type NodeLoad } from '../../actors/cluster/NodeRegistry';
import {
  FAR_DISTANCE,
  RegionPlacement,
  chooseMediaNode,
  isOverLimit,
  loadScore,
  regionDistance,
  type PlacementInput,
} from '../../actors/cluster/RegionPlacement';
import type { NodeRole } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import type { NodeId } from '../../schemas/ids';
import { loadConfig } from '../../config/load';

const DISTANCES = { eu: { us: 40, ap: 120 }, us: { ap: 80 } };
const MAX = 100;

function node(nodeId: string, region: string, load: Partial<NodeLoad> = {}, roles: NodeRole[] = ['gateway', 'media']): NodeInfo {
  return {
    nodeId: nodeId as NodeId,
    region,
    roles,
    announcedIp: '127.0.0.1',
    load: { cpu: 0, transports: 0, producers: 0, consumers: 0, ...load },
    updatedAt: 1000,
  };
}

function choose(nodes: NodeInfo[], region?: string, self = { nodeId: 'gw' as NodeId, region: 'eu' }, extra: Partial<PlacementInput> = {}): string {
  return chooseMediaNode({ ...(region ? { region } : {}), self, nodes, regionDistances: DISTANCES, maxConsumersPerNode: MAX, ...extra }).nodeId;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof CascadeError ? err.code : `not a CascadeError: ${String(err)}`;
  }
  return undefined;
}

describe('regionDistance', () => {
  it('is zero within a region, reads either direction, and is far when nobody said', () => {
    expect(regionDistance(DISTANCES, 'eu', 'eu')).toBe(0);
    expect(regionDistance(DISTANCES, 'eu', 'us')).toBe(40);
    expect(regionDistance(DISTANCES, 'us', 'eu')).toBe(40);
    expect(regionDistance(DISTANCES, 'ap', 'us')).toBe(80);
    expect(regionDistance(DISTANCES, 'eu', 'mars')).toBe(FAR_DISTANCE);
    expect(regionDistance({}, 'eu', 'us')).toBe(FAR_DISTANCE);
  });

  it('keeps an asymmetric entry when both directions are given', () => {
    const table = { a: { b: 10 }, b: { a: 30 } };
    expect(regionDistance(table, 'a', 'b')).toBe(10);
    expect(regionDistance(table, 'b', 'a')).toBe(30);
  });
});

describe('load', () => {
  it('scores by the more saturated resource, CPU in 5% steps', () => {
    expect(loadScore(node('a', 'eu', { cpu: 0.5, consumers: 10 }), MAX)).toBeCloseTo(0.5);
    expect(loadScore(node('a', 'eu', { cpu: 0.1, consumers: 80 }), MAX)).toBeCloseTo(0.8);
    // 2% CPU jitter rounds to 0: an idle node is idle.
    expect(loadScore(node('a', 'eu', { cpu: 0.02 }), MAX)).toBe(0);
  });

  it('is over the limit at max consumers', () => {
    expect(isOverLimit(node('a', 'eu', { consumers: 99 }), MAX)).toBe(false);
    expect(isOverLimit(node('a', 'eu', { consumers: 100 }), MAX)).toBe(true);
  });
});

describe('chooseMediaNode', () => {
  const cluster = [node('eu1', 'eu'), node('us1', 'us'), node('ap1', 'ap')];

  it('places a participant in its own region', () => {
    expect(choose(cluster, 'eu')).toBe('eu1');
    expect(choose(cluster, 'us')).toBe('us1');
    expect(choose(cluster, 'ap')).toBe('ap1');
  });

  it("falls back to the gateway's region without a hint", () => {
    expect(choose(cluster, undefined, { nodeId: 'us1' as NodeId, region: 'us' })).toBe('us1');
    expect(choose(cluster, '  ', { nodeId: 'ap1' as NodeId, region: 'ap' })).toBe('ap1');
  });

  it('picks the least-loaded node of the region', () => {
    const nodes = [node('eu1', 'eu', { consumers: 50 }), node('eu2', 'eu', { consumers: 10 }), node('eu3', 'eu', { cpu: 0.6 }), node('us1', 'us')];
    expect(choose(nodes, 'eu')).toBe('eu2');
  });

  it('goes to the nearest region when every node of its own is over the limit', () => {
    const nodes = [node('eu1', 'eu', { consumers: 100 }), node('eu2', 'eu', { consumers: 150 }), node('us1', 'us', { consumers: 90 }), node('ap1', 'ap')];
    // us (40) is nearer to eu than ap (120), even though ap is idle.
    expect(choose(nodes, 'eu')).toBe('us1');
    // From ap: us (80) before eu (120).
    const apFull = [node('ap1', 'ap', { consumers: 100 }), node('eu1', 'eu'), node('us1', 'us')];
    expect(choose(apFull, 'ap')).toBe('us1');
  });

  it('skips full nodes of the nearest region too and takes the next region', () => {
    const nodes = [node('eu1', 'eu', { consumers: 100 }), node('us1', 'us', { consumers: 100 }), node('ap1', 'ap', { consumers: 99 })];
    expect(choose(nodes, 'eu')).toBe('ap1');
  });

  it('picks the least-loaded node of the nearest region', () => {
    const nodes = [node('eu1', 'eu', { consumers: 100 }), node('us1', 'us', { consumers: 60 }), node('us2', 'us', { consumers: 20 }), node('ap1', 'ap')];
    expect(choose(nodes, 'eu')).toBe('us2');
  });

  it('goes to the nearest region when its own has no media node', () => {
    expect(choose([node('us1', 'us'), node('ap1', 'ap')], 'eu')).toBe('us1');
    expect(choose([node('eu1', 'eu'), node('ap1', 'ap')], 'us')).toBe('eu1');
    expect(choose([node('eu1', 'eu'), node('us1', 'us')], 'ap')).toBe('us1');
  });

  it('still places when every node is full: the least-loaded in the nearest region', () => {
    const nodes = [node('eu1', 'eu', { consumers: 130 }), node('eu2', 'eu', { consumers: 120 }), node('us1', 'us', { consumers: 100 })];
    expect(choose(nodes, 'eu')).toBe('eu2');
  });

  it('only considers media nodes', () => {
    const nodes = [node('eu-gw', 'eu', {}, ['gateway']), node('eu-egress', 'eu', {}, ['egress']), node('us1', 'us', { consumers: 70 })];
    expect(choose(nodes, 'eu')).toBe('us1');
  });

  it('refuses with NODE_UNAVAILABLE when no media node is alive', () => {
    expect(errorCode(() => choose([], 'eu'))).toBe('NODE_UNAVAILABLE');
    expect(errorCode(() => choose([node('gw', 'eu', {}, ['gateway', 'egress'])], 'eu'))).toBe('NODE_UNAVAILABLE');
  });

  it("resolves an unknown region hint to the node nearest the gateway's region", () => {
    expect(choose(cluster, 'mars', { nodeId: 'gw' as NodeId, region: 'ap' })).toBe('ap1');
    expect(choose([node('us1', 'us'), node('ap1', 'ap')], 'mars', { nodeId: 'gw' as NodeId, region: 'eu' })).toBe('us1');
  });

  it("breaks ties with fewer transports, then the gateway's own node, then the id", () => {
    const tied = [node('eu-b', 'eu'), node('eu-a', 'eu'), node('eu-c', 'eu')];
    expect(choose(tied, 'eu')).toBe('eu-a');
    expect(choose(tied, 'eu', { nodeId: 'eu-c' as NodeId, region: 'eu' })).toBe('eu-c');
    const transports = [node('eu-a', 'eu', { transports: 5 }), node('eu-b', 'eu', { transports: 2 })];
    expect(choose(transports, 'eu', { nodeId: 'eu-a' as NodeId, region: 'eu' })).toBe('eu-b');
  });

  it('does not depend on the order of the registry snapshot', () => {
    const nodes = [node('eu1', 'eu', { consumers: 100 }), node('us1', 'us', { consumers: 30 }), node('us2', 'us', { consumers: 30 }), node('ap1', 'ap')];
    const picks = new Set([nodes, [...nodes].reverse(), [nodes[2], nodes[0], nodes[3], nodes[1]] as NodeInfo[]].map((n) => choose(n, 'eu')));
    expect([...picks]).toEqual(['us1']);
  });

  it('reads the distance table from the config format (region -> region -> distance)', () => {
    const config = loadConfig({ env: {}, overrides: { cluster: { regionDistances: { eu: { ap: 10 } } } } });
    const nodes = [node('eu1', 'eu', { consumers: 100 }), node('us1', 'us'), node('ap1', 'ap')];
    // With this table us is unknown (far) and ap near.
    expect(choose(nodes, 'eu', undefined, { regionDistances: config.cluster.regionDistances })).toBe('ap1');
  });
});

describe('RegionPlacement', () => {
  it('places from the registry and answers {nodeId, region}', async () => {
    const registry = new MemoryNodeRegistry({ ttlMs: 10_000 });
    for (const n of [node('eu1', 'eu'), node('us1', 'us'), node('ap1', 'ap')]) await registry.publish(n);
    const placement = new RegionPlacement(registry, { nodeId: 'eu1' as NodeId, region: 'eu', regionDistances: DISTANCES, maxConsumersPerNode: MAX });
    await expect(placement.place({ region: 'ap', identity: 'alice' })).resolves.toEqual({ nodeId: 'ap1', region: 'ap' });
    await expect(placement.place({ identity: 'bob' })).resolves.toEqual({ nodeId: 'eu1', region: 'eu' });
  });

  it('fails with NODE_UNAVAILABLE once the only media node expired from the registry', async () => {
    let now = 0;
    const registry = new MemoryNodeRegistry({ ttlMs: 3000, now: () => now });
    await registry.publish(node('eu1', 'eu'));
    const placement = new RegionPlacement(registry, { nodeId: 'gw' as NodeId, region: 'eu', regionDistances: {}, maxConsumersPerNode: MAX });
    await expect(placement.place({ identity: 'a' })).resolves.toEqual({ nodeId: 'eu1', region: 'eu' });
    now = 3000;
    await expect(placement.place({ identity: 'b' })).rejects.toMatchObject({ code: 'NODE_UNAVAILABLE' });
  });

  it('spreads a burst of joins between two idle nodes before their next heartbeat', async () => {
    const registry = new MemoryNodeRegistry({ ttlMs: 10_000 });
    await registry.publish(node('eu1', 'eu'));
    await registry.publish(node('eu2', 'eu'));
    const placement = new RegionPlacement(registry, { nodeId: 'gw' as NodeId, region: 'eu', regionDistances: {}, maxConsumersPerNode: MAX });
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) picks.push((await placement.place({ identity: `p${i}` })).nodeId);
    expect(picks.filter((p) => p === 'eu1')).toHaveLength(3);
    expect(picks.filter((p) => p === 'eu2')).toHaveLength(3);

    // A fresh beat replaces the estimate with the node's real count.
    await registry.publish({ ...node('eu1', 'eu', { consumers: 0 }), updatedAt: 2000 });
    await registry.publish({ ...node('eu2', 'eu', { consumers: 40 }), updatedAt: 2000 });
    await expect(placement.place({ identity: 'q' })).resolves.toEqual({ nodeId: 'eu1', region: 'eu' });
  });
});
