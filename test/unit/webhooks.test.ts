import type { EgressInfo } from '../../schemas/egress';
import { emitWebhook, webhookEnvelope, type WebhookEmit } from '../../actors/webhooks/emitWebhook';
import { RoomWebhooks } from '../../actors/webhooks/RoomWebhooks';
import { signWebhook, verifyWebhookSignature } from '../../actors/webhooks/signature';
import { staticTargets } from '../../actors/webhooks/webhooks.service';
import { loadConfig } from '../../config/load';
import type { EgressId, NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import { CreateWebhookBodySchema } from '../../schemas/rest';
import { validator } from '../../schemas/validate';
import { WEBHOOK_EVENTS, WebhookBrokerEvent, WebhookEnvelopeSchema, type WebhookEnvelope } from '../../schemas/webhooks';

/** Webhook events derived from a room's ports, their envelopes and signatures (no network). */

const envelopeCheck = validator(WebhookEnvelopeSchema);
const ROOM = 'standup' as RoomId;
const pid = (s: string) => s as ParticipantId;
const NODE = 'node-1' as NodeId;

function recorder(): { emit: WebhookEmit; sent: WebhookEnvelope[] } {
  const sent: WebhookEnvelope[] = [];
  // Each event goes through the real envelope builder and is checked against the catalog.
  const emit: WebhookEmit = (event, payload) => {
    const envelope = webhookEnvelope(event, payload);
    if (!envelopeCheck.check(envelope)) throw new Error(`${event} envelope is invalid: ${JSON.stringify(envelopeCheck.errors(envelope))}`);
    sent.push(envelope as WebhookEnvelope);
  };
  return { emit, sent };
}

const join = (hooks: RoomWebhooks, id: string, role: 'host' | 'guest' | 'viewer' = 'guest') =>
  hooks.joined({ participantId: pid(id), identity: `${id}-identity`, name: id.toUpperCase(), role, nodeId: NODE, joinedAt: new Date('2024-05-01T10:00:00Z') });

const track = (producerId: string, participantId: string, kind: 'audio' | 'video', source: 'microphone' | 'camera') => ({
  producerId: producerId as ProducerId,
  participantId: pid(participantId),
  identity: `${participantId}-identity`,
  kind,
  source,
  muted: false,
});

describe('RoomWebhooks', () => {
  test('a room starts with its first participant and finishes when it closes; everyone in between is named', () => {
    const { emit, sent } = recorder();
    const hooks = new RoomWebhooks(ROOM, emit, () => ({ name: 'Daily standup', createdAt: '2024-05-01T09:59:00.000Z' }));
    join(hooks, 'ann', 'host');
    join(hooks, 'bob');
    join(hooks, 'vic', 'viewer');
    hooks.left({ participantId: pid('bob'), reason: 'client_left' });
    hooks.left({ participantId: pid('ann'), reason: 'room_closed' });
    hooks.left({ participantId: pid('vic'), reason: 'room_closed' });
    hooks.finished('closed_by_api');
    expect(sent.map((e) => e.event)).toEqual([
      'room.started',
      'participant.joined',
      'participant.joined',
      'participant.joined',
      'participant.left',
      'participant.left',
      'participant.left',
      'room.finished',
    ]);
    expect(sent.every((e) => e.roomId === ROOM)).toBe(true);
    expect(sent[0]).toMatchObject({ room: { id: ROOM, name: 'Daily standup', createdAt: '2024-05-01T09:59:00.000Z' } });
    expect(sent[1]).toMatchObject({ participant: { id: 'ann', identity: 'ann-identity', name: 'ANN', role: 'host', nodeId: NODE, joinedAt: '2024-05-01T10:00:00.000Z' } });
    expect(sent[3]).toMatchObject({ participant: { identity: 'vic-identity', role: 'viewer' } });
    expect(sent[4]).toMatchObject({ participant: { id: 'bob', identity: 'bob-identity', role: 'guest' }, reason: 'client_left' });
    expect(sent[7]).toMatchObject({ room: { id: ROOM, name: 'Daily standup' }, reason: 'closed_by_api' });
    expect(new Set(sent.map((e) => e.id)).size).toBe(sent.length);
  });

  test('a room nobody joined finishes silently; a participant left twice is reported once', () => {
    const { emit, sent } = recorder();
    const quiet = new RoomWebhooks(ROOM, emit, () => undefined);
    quiet.finished('empty_timeout');
    expect(sent).toEqual([]);
    const hooks = new RoomWebhooks(ROOM, emit, () => undefined);
    join(hooks, 'ann');
    hooks.left({ participantId: pid('ann'), reason: 'kicked' });
    hooks.left({ participantId: pid('ann'), reason: 'kicked' });
    expect(sent.map((e) => e.event)).toEqual(['room.started', 'participant.joined', 'participant.left']);
    expect(sent[0]).toMatchObject({ room: { id: ROOM, name: ROOM } });
  });

  test('track signals become track events; an unpublished track keeps its kind and source', () => {
    const { emit, sent } = recorder();
    const hooks = new RoomWebhooks(ROOM, emit, () => undefined);
    join(hooks, 'ann');
    hooks.signal({ except: [pid('ann')], event: 'track_published', data: track('pr_1', 'ann', 'video', 'camera') });
    hooks.signal({ event: 'chat', data: { text: 'not a webhook' } });
    hooks.signal({ event: 'track_published', data: { producerId: 'pr_bad' } });
    hooks.signal({ except: [pid('ann')], event: 'track_unpublished', data: { producerId: 'pr_1', participantId: 'ann', identity: 'ann-identity' } });
    hooks.signal({ event: 'track_unpublished', data: { producerId: 'pr_unknown', participantId: 'ann', identity: 'ann-identity' } });
    expect(sent.slice(2)).toEqual([
      expect.objectContaining({ event: 'track.published', track: track('pr_1', 'ann', 'video', 'camera') }),
      expect.objectContaining({ event: 'track.unpublished', track: { producerId: 'pr_1', participantId: 'ann', identity: 'ann-identity', kind: 'video', source: 'camera' } }),
      expect.objectContaining({ event: 'track.unpublished', track: { producerId: 'pr_unknown', participantId: 'ann', identity: 'ann-identity' } }),
    ]);
  });

  test('a room rebuilt after a failover does not start again; members lost with the node leave', () => {
    const { emit, sent } = recorder();
    const hooks = new RoomWebhooks(ROOM, emit, () => ({ name: 'Rebuilt', createdAt: new Date().toISOString() }));
    hooks.restored(
      [
        {
          participantId: pid('ann'),
          identity: 'ann-identity',
          name: 'ANN',
          role: 'host',
          mediaNodeId: 'node-2' as NodeId,
          gatewayNodeId: 'node-2' as NodeId,
          joinedAt: '2024-05-01T10:00:00.000Z',
          tracks: [track('pr_a', 'ann', 'audio', 'microphone')],
        },
      ],
      [{ participantId: pid('bob'), identity: 'bob-identity' }],
    );
    join(hooks, 'cat');
    hooks.signal({ event: 'track_unpublished', data: { producerId: 'pr_a', participantId: 'ann', identity: 'ann-identity' } });
    hooks.left({ participantId: pid('ann'), reason: 'client_left' });
    hooks.finished('empty_timeout');
    expect(sent.map((e) => e.event)).toEqual(['participant.left', 'participant.joined', 'track.unpublished', 'participant.left', 'room.finished']);
    expect(sent[0]).toMatchObject({ participant: { id: 'bob', identity: 'bob-identity' }, reason: 'node_failed' });
    expect(sent[2]).toMatchObject({ track: { kind: 'audio', source: 'microphone' } });
    expect(sent[3]).toMatchObject({ participant: { id: 'ann', identity: 'ann-identity', nodeId: 'node-2' } });
    expect(sent[4]).toMatchObject({ room: { name: 'Rebuilt' } });
  });
});

/** A job as the egress actor reports it. */
function egressInfo(id: string): EgressInfo {
  return {
    id: id as EgressId,
    roomId: ROOM,
    kind: 'recording',
    state: 'failed',
    composite: true,
    format: 'webm',
    progress: { durationSeconds: 1, bytesWritten: 10, bitrateKbps: 0.1, reconnects: 0 },
    files: [],
  };
}

describe('envelopes and emitting', () => {
  test('emitWebhook emits one balanced webhooks.event to the webhooks group, with a fresh id each time', () => {
    const calls: unknown[][] = [];
    const broker = { emit: (...args: unknown[]) => void calls.push(args) } as never;
    const a = emitWebhook(broker, 'egress.failed', { roomId: ROOM, egress: egressInfo('eg_1'), error: 'ffmpeg exited' });
    const b = emitWebhook(broker, 'egress.failed', { roomId: ROOM, egress: egressInfo('eg_1') });
    expect(calls).toEqual([
      [WebhookBrokerEvent, a, { groups: ['webhooks'] }],
      [WebhookBrokerEvent, b, { groups: ['webhooks'] }],
    ]);
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ event: 'egress.failed', roomId: ROOM, egress: { id: 'eg_1' }, error: 'ffmpeg exited' });
    expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false);
    expect(envelopeCheck.check(a)).toBe(true);
  });

  test('a broker that throws while stopping does not reach the emitter', () => {
    const broker = { emit: () => { throw new Error('broker stopped'); } } as never;
    expect(() => emitWebhook(broker, 'rtmp.stopped', { egress: egressInfo('eg_3') })).not.toThrow();
  });

  test('the catalog checks each payload: recording.ready needs path, duration and size', () => {
    const ready = webhookEnvelope('recording.ready', { roomId: ROOM, egress: egressInfo('eg_2'), path: 'recordings/a.webm', duration: 12.5, size: 4096 });
    expect(envelopeCheck.check(ready)).toBe(true);
    expect(envelopeCheck.check({ ...ready, size: undefined })).toBe(false);
    expect(envelopeCheck.check({ ...ready, event: 'recording.unknown' })).toBe(false);
    expect(envelopeCheck.check({ ...webhookEnvelope('room.started', { room: { id: ROOM, name: 'x' } }), room: undefined })).toBe(false);
  });

  test('REST subscriptions name known events or *', () => {
    const body = validator(CreateWebhookBodySchema);
    expect(body.check({ url: 'https://example.com/hook', events: ['*'] })).toBe(true);
    expect(body.check({ url: 'https://example.com/hook', events: [...WEBHOOK_EVENTS] })).toBe(true);
    expect(body.errors({ url: 'https://example.com/hook', events: ['room.exploded'] }).map((f) => f.path)).toContain('/events/0');
    expect(body.check({ url: 'ftp://example.com', events: ['*'] })).toBe(false);
    expect(body.check({ url: 'https://example.com/hook', events: [] })).toBe(false);
    expect(body.check({ url: 'https://example.com/hook', events: ['*'], secret: 'short' })).toBe(false);
  });
});

describe('signatures and static receivers', () => {
  test('sha256=<hex HMAC-SHA256> of the raw body (the well-known HMAC example vector)', () => {
    const signature = signWebhook('key', 'The quick brown fox jumps over the lazy dog');
    expect(signature).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    expect(verifyWebhookSignature('key', 'The quick brown fox jumps over the lazy dog', signature)).toBe(true);
    expect(verifyWebhookSignature('key', 'The quick brown fox jumps over the lazy cat', signature)).toBe(false);
    expect(verifyWebhookSignature('key', 'x', undefined)).toBe(false);
    expect(verifyWebhookSignature('key', 'x', 'sha256=00')).toBe(false);
  });

  test('static URLs are signed with the first API key pair; without one the config is refused', () => {
    const base = { webhooks: { urls: ['http://127.0.0.1:9/a', 'https://hooks.example.com/b'] } };
    const withKeys = loadConfig({ env: {}, overrides: { ...base, auth: { apiKeys: [{ key: 'k1', secret: 'first-secret' }, { key: 'k2', secret: 'second-secret' }] } } });
    expect(staticTargets(withKeys)).toEqual([
      { id: 'static:http://127.0.0.1:9/a', url: 'http://127.0.0.1:9/a', secret: 'first-secret' },
      { id: 'static:https://hooks.example.com/b', url: 'https://hooks.example.com/b', secret: 'first-secret' },
    ]);
    expect(() => staticTargets(loadConfig({ env: {}, overrides: base }))).toThrow(/auth.apiKeys/);
    expect(staticTargets(loadConfig({ env: {} }))).toEqual([]);
  });
});
