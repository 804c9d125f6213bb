import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { verifyWebhookSignature } from '../../actors/webhooks/signature';
import { ensureBuilt } from '../helpers/cluster';
import type { RunningServer } from '../../cli/server';
import { mintToken } from '../../gateway/auth/tokens';
import { validator } from '../../schemas/validate';
import { WebhookEnvelopeSchema } from '../../schemas/webhooks';
import { rtpParametersFor } from '../helpers/rtpSource';
import { api, startTestServer, TEST_API_KEY } from '../helpers/server';
import { TestSignalingClient } from '../helpers/signalingClient';
import { WebhookReceiver, type ReceivedHook } from '../helpers/webhookReceiver';

/**
 * Webhooks end to end on one real server: subscriptions through the REST API, then a room's life
 * (joins, a published track, a leave, the API closing it) arriving at local HTTP receivers as
 * signed, ordered, schema-valid events; static URLs from the config signed with the API secret.
 */

jest.setTimeout(60_000);
const envelopeCheck = validator(WebhookEnvelopeSchema);
let server: RunningServer;
let receiver: WebhookReceiver;
let staticReceiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  staticReceiver = await WebhookReceiver.start();
  server = await startTestServer({ webhooks: { urls: [staticReceiver.url], backoffMs: 50 } });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await staticReceiver?.close();
});

async function join(roomId: string, identity: string, role: 'host' | 'guest' = 'guest'): Promise<{ client: TestSignalingClient; participantId: string }> {
  const token = mintToken(server.config.auth, { room: roomId, identity, name: identity.toUpperCase(), role });
  const client = await TestSignalingClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`);
  const { rtpCapabilities } = await client.call<{ rtpCapabilities: object }>('getRouterRtpCapabilities');
  const joined = await client.call<{ self: { id: string } }>('join', { rtpCapabilities });
  return { client, participantId: joined.self.id };
}

describe('REST /webhooks', () => {
  test('create answers 201 with the secret once; list and get never show it; delete answers 204, then 404', async () => {
    const created = await api(server, 'POST', '/webhooks', { body: { url: 'https://hooks.example.com/cascade', events: ['room.started', 'room.finished'] } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^wh_[a-z0-9]{12}$/),
      url: 'https://hooks.example.com/cascade',
      events: ['room.started', 'room.finished'],
      active: true,
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_/),
    });
    const id = created.body.id as string;
    const chosen = await api(server, 'POST', '/webhooks', { body: { url: 'http://127.0.0.1:9/x', events: ['*'], secret: 'my-own-secret' } });
    expect(chosen).toMatchObject({ status: 201, body: { secret: 'my-own-secret', events: ['*'] } });

    const list = await api(server, 'GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.webhooks.map((h: { id: string }) => h.id)).toEqual(expect.arrayContaining([id, chosen.body.id]));
    expect(JSON.stringify(list.body)).not.toContain('secret');
    const one = await api(server, 'GET', `/webhooks/${id}`);
    expect(one).toMatchObject({ status: 200, body: { id, url: 'https://hooks.example.com/cascade' } });
    expect(one.body.secret).toBeUndefined();

    expect((await api(server, 'DELETE', `/webhooks/${id}`)).status).toBe(204);
    expect(await api(server, 'DELETE', `/webhooks/${id}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api(server, 'GET', `/webhooks/${id}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await api(server, 'DELETE', `/webhooks/${chosen.body.id}`)).status).toBe(204);
  });

  test('bad bodies are refused with field errors; nothing is stored; auth is required', async () => {
    const before = (await api(server, 'GET', '/webhooks')).body.webhooks.length;
    const unknownEvent = await api(server, 'POST', '/webhooks', { body: { url: 'https://x.example.com/h', events: ['room.exploded'] } });
    expect(unknownEvent).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(unknownEvent.body.error.fields.map((f: { path: string }) => f.path)).toContain('/events/0');
    const badUrl = await api(server, 'POST', '/webhooks', { body: { url: 'ftp://x.example.com', events: [], extra: 1 } });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['/url', '/events']));
    expect(await api(server, 'POST', '/webhooks', { body: { url: 'https://x.example.com/h', events: ['*'], secret: 'short' } })).toMatchObject({ status: 400 });
    expect(await api(server, 'POST', '/webhooks', { rawBody: '{"url":' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_JSON' } } });
    expect((await api(server, 'POST', '/webhooks', { body: { url: 'https://x.example.com/h', events: ['*'] }, auth: null })).status).toBe(401);
    expect((await api(server, 'GET', '/webhooks', { auth: null })).status).toBe(401);
    expect((await api(server, 'GET', '/webhooks')).body.webhooks).toHaveLength(before);
  });

  test('/openapi.json documents the webhook routes', async () => {
    const doc = await api(server, 'GET', '/openapi.json', { auth: null });
    expect(doc.body.paths['/webhooks']).toHaveProperty('post');
    expect(doc.body.paths['/webhooks']).toHaveProperty('get');
    expect(doc.body.paths['/webhooks/{id}']).toHaveProperty('delete');
  });
});

describe('delivery', () => {
  test("a room's life arrives signed, in order and valid at every subscribed receiver", async () => {
    const all = await api(server, 'POST', '/webhooks', { body: { url: `${receiver.url}?all`, events: ['*'] } });
    const some = await api(server, 'POST', '/webhooks', { body: { url: `${receiver.url}?some`, events: ['participant.left', 'room.finished'], secret: 'some-secret-123' } });
    expect([all.status, some.status]).toEqual([201, 201]);
    const room = (await api(server, 'POST', '/rooms', { body: { name: 'Webhook Room' } })).body.id as string;
    const forRoom = (hooks: ReceivedHook[], query: string) => hooks.filter((h) => h.path.endsWith(query) && h.body?.roomId === room);

    const { client: alice } = await join(room, 'alice', 'host');
    const { client: bob, participantId: bobId } = await join(room, 'bob');
    const producer = await server.broker.call<{ producerId: string }, object>('media.createPlainProducer', {
      roomId: room,
      participantId: bobId,
      kind: 'audio',
      rtpParameters: rtpParametersFor('opus', 100, 12345678),
      source: 'microphone',
    });
    await server.broker.call('room.trackPublished', {
      roomId: room,
      nodeId: server.broker.nodeID,
      track: { producerId: producer.producerId, participantId: bobId, identity: 'bob', kind: 'audio', source: 'microphone', muted: false },
    });
    await bob.call('leave', {});
    await bob.close();
    expect((await api(server, 'DELETE', `/rooms/${room}`)).status).toBe(204);
    await alice.closed;

    await receiver.waitFor((r) => forRoom(r, '?all').some((h) => h.body.event === 'room.finished'), 'room.finished at the * hook');
    await receiver.waitFor((r) => forRoom(r, '?some').some((h) => h.body.event === 'room.finished'), 'room.finished at the filtered hook');
    await staticReceiver.waitFor((r) => forRoom(r, '').some((h) => h.body.event === 'room.finished'), 'room.finished at the static URL');

    const seen = forRoom(receiver.received, '?all');
    expect(seen.map((h) => [h.body.event, h.body.participant?.identity ?? h.body.track?.identity ?? h.body.room?.name, h.body.reason])).toEqual([
      ['room.started', 'Webhook Room', undefined],
      ['participant.joined', 'alice', undefined],
      ['participant.joined', 'bob', undefined],
      ['track.published', 'bob', undefined],
      ['track.unpublished', 'bob', undefined],
      ['participant.left', 'bob', 'client_left'],
      ['participant.left', 'alice', 'room_closed'],
      ['room.finished', 'Webhook Room', 'closed_by_api'],
    ]);
    expect(seen[1]!.body.participant).toMatchObject({ role: 'host', name: 'ALICE', nodeId: server.broker.nodeID });
    expect(seen[4]!.body.track).toEqual({ producerId: producer.producerId, participantId: bobId, identity: 'bob', kind: 'audio', source: 'microphone' });
    for (const hook of seen) {
      expect(verifyWebhookSignature(all.body.secret, hook.raw, hook.headers['x-cascade-signature'] as string)).toBe(true);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['x-cascade-event']).toBe(hook.body.event);
      expect(hook.headers['x-cascade-delivery']).toBe(hook.body.id);
      expect(envelopeCheck.errors(hook.body)).toEqual([]);
    }
    expect(new Set(seen.map((h) => h.body.id)).size).toBe(seen.length);

    const filtered = forRoom(receiver.received, '?some');
    expect(filtered.map((h) => h.body.event)).toEqual(['participant.left', 'participant.left', 'room.finished']);
    expect(filtered.every((h) => verifyWebhookSignature('some-secret-123', h.raw, h.headers['x-cascade-signature'] as string))).toBe(true);
    expect(filtered.map((h) => h.body.id)).toEqual(seen.slice(5).map((h) => h.body.id));

    // The static URL gets every event too, signed with the API key pair's secret.
    const fixed = forRoom(staticReceiver.received, '');
    expect(fixed.map((h) => h.body.id)).toEqual(seen.map((h) => h.body.id));
    expect(fixed.every((h) => verifyWebhookSignature(TEST_API_KEY.secret, h.raw, h.headers['x-cascade-signature'] as string))).toBe(true);
  });

  test('a deleted subscription receives nothing more', async () => {
    const hook = await api(server, 'POST', '/webhooks', { body: { url: `${receiver.url}?deleted`, events: ['*'] } });
    expect((await api(server, 'DELETE', `/webhooks/${hook.body.id}`)).status).toBe(204);
    const room = (await api(server, 'POST', '/rooms', { body: { name: 'After delete' } })).body.id as string;
    const { client: carol } = await join(room, 'carol');
    await carol.call('leave', {});
    await carol.close();
    // The static receiver sees every event: once it has carol's leave, the deleted hook would have too.
    await staticReceiver.waitFor((r) => r.some((h) => h.body?.roomId === room && h.body.event === 'participant.left'), "carol's leave at the static URL");
    expect(receiver.received.filter((h) => h.path.endsWith('?deleted'))).toEqual([]);
  });
});

test('the cascade CLI creates, lists and deletes subscriptions', async () => {
  ensureBuilt();
  const run = promisify(execFile);
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'cascade.js');
  const configFile = path.join(mkdtempSync(path.join(tmpdir(), 'cascade-wh-cli-')), 'cascade.yaml');
  writeFileSync(configFile, `auth:\n  secret: ${server.config.auth.secret}\nhttp:\n  port: ${server.port}\n`);
  const created = await run('node', [cli, 'webhooks:create', '--target', 'https://cli.example.com/h', '--events', 'room.started,room.finished', '--config', configFile]);
  const [id, secretLine] = created.stdout.trim().split('\n');
  expect(id).toMatch(/^wh_/);
  expect(secretLine).toMatch(/^secret: whsec_/);
  const listed = await run('node', [cli, 'webhooks', '--config', configFile]);
  expect(listed.stdout).toContain(`${id}\tactive\troom.started,room.finished\thttps://cli.example.com/h`);
  await run('node', [cli, 'webhooks:delete', id!, '--config', configFile]);
  expect((await api(server, 'GET', `/webhooks/${id}`)).status).toBe(404);
  await expect(run('node', [cli, 'webhooks:create', '--target', 'https://cli.example.com/h', '--events', 'nope', '--config', configFile])).rejects.toMatchObject({
    stderr: expect.stringContaining('400 VALIDATION_FAILED'),
  });
});
