import { verifyWebhookSignature } from '../../actors/webhooks/signature';
import { API_KEY, Cluster, type ClusterNode } from '../helpers/cluster';
import { WsParticipant } from '../helpers/clusterClients';
import { WebhookReceiver, type ReceivedHook } from '../helpers/webhookReceiver';

/**
 * Webhooks on a 2-node cluster (separate processes over NATS, shared PostgreSQL): every node runs
 * the `webhooks` service and emitters send balanced events, so each event reaches the receiver
 * exactly once, whichever node owns the room. (A broadcast would deliver every event twice.)
 */

jest.setTimeout(120_000);
let cluster: Cluster;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  cluster = await Cluster.start({ size: 2 });
});
afterAll(async () => {
  await cluster?.stopAll();
  await receiver?.close();
});

async function rest(node: ClusterNode, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY.key}:${API_KEY.secret}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Two participants join `room` (the first one's gateway node owns it), leave, and the API closes it. */
async function roomLife(room: string, first: ClusterNode, second: ClusterNode): Promise<void> {
  const a = await WsParticipant.join(first, cluster.token(room, `${room}-a`, { role: 'host' }));
  const b = await WsParticipant.join(second, cluster.token(room, `${room}-b`));
  await b.leave();
  await a.leave();
  expect((await rest(second, 'DELETE', `/rooms/${room}`)).status).toBe(204);
}

const ofRoom = (room: string) => (hooks: ReceivedHook[]) => hooks.filter((h) => h.body?.roomId === room);

test('each event is delivered exactly once, for rooms owned by either node', () =>
  cluster.guard(async () => {
    const [node1, node2] = [cluster.node('node1'), cluster.node('node2')];
    const hook = await rest(node1, 'POST', '/webhooks', { url: receiver.url, events: ['*'] });
    expect(hook.status).toBe(201);
    // The subscription is in the shared store: node2 serves it too.
    expect((await rest(node2, 'GET', `/webhooks/${hook.body.id}`)).status).toBe(200);

    const rooms = { [`wh-one-${cluster.runId}`]: node1, [`wh-two-${cluster.runId}`]: node2 };
    for (const [room, owner] of Object.entries(rooms)) await roomLife(room, owner, owner === node1 ? node2 : node1);
    for (const room of Object.keys(rooms)) {
      await receiver.waitFor((r) => ofRoom(room)(r).some((h) => h.body.event === 'room.finished'), `room.finished of ${room}`);
    }
    // A later room on each node: a second copy of the events above would have arrived before these.
    const later = { [`wh-later1-${cluster.runId}`]: node1, [`wh-later2-${cluster.runId}`]: node2 };
    for (const [room, owner] of Object.entries(later)) await roomLife(room, owner, owner);
    for (const room of Object.keys(later)) {
      await receiver.waitFor((r) => ofRoom(room)(r).some((h) => h.body.event === 'room.finished'), `room.finished of ${room}`);
    }

    for (const room of Object.keys(rooms)) {
      const seen = ofRoom(room)(receiver.received);
      expect(seen.map((h) => [h.body.event, h.body.participant?.identity])).toEqual([
        ['room.started', undefined],
        ['participant.joined', `${room}-a`],
        ['participant.joined', `${room}-b`],
        ['participant.left', `${room}-b`],
        ['participant.left', `${room}-a`],
        ['room.finished', undefined],
      ]);
      expect(new Set(seen.map((h) => h.body.id)).size).toBe(seen.length);
      expect(seen.every((h) => verifyWebhookSignature(hook.body.secret, h.raw, h.headers['x-cascade-signature'] as string))).toBe(true);
    }
    const ids = receiver.received.map((h) => h.body.id);
    expect(new Set(ids).size).toBe(ids.length);
  }));
