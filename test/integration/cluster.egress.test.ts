import { execFileSync } from 'node:child_process';
import { probe } from '../../egress/probe';
import { poll } from '../helpers/browser';
import { API_KEY, Cluster } from '../helpers/cluster';
import { ingest, WsParticipant, type Ingest } from '../helpers/clusterClients';

/**
 * Egress on another node than the media: a 3-node cluster of separate processes where only node3
 * runs the egress role. A publisher on node1 is recorded by a job that the room places on node3;
 * its tracks reach node3 through the room's pipes (one per track), ffmpeg there writes the file,
 * and the job's state and files are readable through any node's REST API (shared PostgreSQL).
 */

jest.setTimeout(180_000);

let cluster: Cluster;
const NO_EGRESS = { CASCADE_NODE_ROLES: 'gateway,media' };

beforeAll(async () => {
  cluster = await Cluster.start({
    size: 3,
    env: { CASCADE_EGRESS_CANVAS_WIDTH: '320', CASCADE_EGRESS_CANVAS_HEIGHT: '240', CASCADE_EGRESS_CANVAS_FPS: '15' },
    nodeEnv: [NO_EGRESS, NO_EGRESS, {}],
  });
});

afterAll(async () => {
  await cluster?.stopAll();
});

async function post(node: { url: string }, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY.key}:${API_KEY.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test('publisher on node1, recording job on node3: tracks piped to node3, the file has both', () =>
  cluster.guard(async () => {
    const [node1, node2, node3] = [cluster.node('node1'), cluster.node('node2'), cluster.node('node3')];
    const room = `egress-x-${cluster.runId}`;
    const alice = await WsParticipant.join(node1, cluster.token(room, 'alice', { role: 'host' }));
    expect(alice.nodeId).toBe(node1.id);
    let feed: Ingest | undefined;
    try {
      feed = await ingest(cluster, node1, alice);
      const tracks = [feed.videoProducerId, feed.audioProducerId].sort();

      // Asked through node2's gateway: the room's owner places the job on the only egress node.
      // (A node that has only just joined may not be known to the room's owner yet: 503, retried.)
      let started = await post(node2, `/rooms/${room}/recording/start`, { format: 'webm' });
      for (let i = 0; i < 20 && started.status === 503; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        started = await post(node2, `/rooms/${room}/recording/start`, { format: 'webm' });
      }
      expect(started).toMatchObject({ status: 201, body: { status: 'starting', node_id: node3.id } });
      const id = started.body.id as string;

      let job: any;
      await poll('five seconds recorded on node3', async () => {
        job = await cluster.api(node1, `/egress/${id}`);
        return { done: job.status === 'active' && job.duration_seconds >= 5, detail: `${job.status} ${job.duration_seconds} s ${job.error ?? ''}` };
      }, { timeoutMs: 60_000 });

      // One pipe from node1 to node3 carrying each track once; node2 holds nothing of the room.
      const [origin, egress] = await Promise.all([cluster.roomStats(node1, room), cluster.roomStats(node3, room)]);
      expect(origin.consumers.filter((c) => c.remoteNodeId === node3.id).map((c) => c.producerId).sort()).toEqual(tracks);
      expect(egress.producers.filter((p) => p.piped).map((p) => p.producerId).sort()).toEqual(tracks);
      expect((await cluster.roomStats(node2, room)).producers).toHaveLength(0);

      const stopped = await post(node1, `/rooms/${room}/recording/stop`, {});
      expect(stopped.body.egress).toEqual([expect.objectContaining({ id, status: 'stopping' })]);
      await poll('the job to complete', async () => {
        job = await cluster.api(node2, `/egress/${id}`);
        return { done: job.status === 'complete', detail: `${job.status} ${job.error ?? ''}` };
      }, { timeoutMs: 30_000 });
      expect(job.files).toHaveLength(1);
      const result = await probe(job.files[0].path, { countFrames: true });
      expect(result.streams.map((s) => s.codecName).sort()).toEqual(['opus', 'vp8']);
      expect(result.durationSeconds).toBeGreaterThanOrEqual(4);
      for (const stream of result.streams) expect(stream.frames).toBeGreaterThan(0);

      // With the job gone, nobody on node3 consumes the mirrors: the pipe closes.
      await poll('the pipe to node3 to close', async () => {
        const now = await cluster.roomStats(node1, room);
        const left = now.consumers.filter((c) => c.remoteNodeId === node3.id).length;
        return { done: left === 0, detail: `${left} pipe consumers left` };
      }, { timeoutMs: 15_000 });
    } finally {
      await feed?.stop();
      await alice.leave();
    }
  }));

test('the egress node dies mid-recording: a survivor fails its job (node_failed) and no ffmpeg is left', () =>
  cluster.guard(async () => {
    const [node1, node3] = [cluster.node('node1'), cluster.node('node3')];
    const room = `egress-kill-${cluster.runId}`;
    const alice = await WsParticipant.join(node1, cluster.token(room, 'alice', { role: 'host' }));
    let feed: Ingest | undefined;
    try {
      feed = await ingest(cluster, node1, alice);
      const started = await post(node1, `/rooms/${room}/recording/start`, {});
      expect(started).toMatchObject({ status: 201, body: { node_id: node3.id } });
      await poll('recording on node3', async () => {
        const job = await cluster.api<any>(node1, `/egress/${started.body.id}`);
        return { done: job.status === 'active', detail: job.status };
      }, { timeoutMs: 30_000 });
      const ffmpeg = ffmpegChildrenOf(node3.child.pid as number);
      expect(ffmpeg.length).toBeGreaterThan(0);

      await cluster.kill(node3);
      let job: any;
      await poll('a survivor to fail the job', async () => {
        job = await cluster.api(node1, `/egress/${started.body.id}`);
        return { done: job.status === 'failed', detail: `${job.status}` };
      }, { timeoutMs: 30_000 });
      expect(job).toMatchObject({ reason: 'node_failed', error: expect.stringContaining(node3.id) });
      // PR_SET_PDEATHSIG took ffmpeg along with its node.
      await poll('ffmpeg of the dead node to exit', async () => ({ done: ffmpeg.every((pid) => !alive(pid)), detail: ffmpeg.filter(alive).join(',') }), { timeoutMs: 5000 });
    } finally {
      await feed?.stop();
      await alice.leave();
    }
  }));

function ffmpegChildrenOf(parent: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
