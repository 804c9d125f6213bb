import type { GatewaySignal, JoinResult } from '../../schemas/actors';
import type { AccessClaims } from '../../schemas/auth';
import { CascadeError } from '../../schemas/errors';
import type { NodeId, ParticipantId, RoomId } from '../../schemas/ids';
import { RouterCapabilities } from '../../gateway/routerCapabilities';
import { SessionRegistry } from '../../gateway/SessionRegistry';
import { SignalingSession } from '../../gateway/SignalingSession';
import type { ActorClient, GatewayLogger, SessionSocket } from '../../gateway/types';

/** Drives a SignalingSession with a fake socket and a scripted ActorClient: no broker, no network. */

interface Call {
  action: string;
  params: Record<string, unknown>;
  nodeID?: string;
}

type Reply = (params: Record<string, unknown>) => unknown;

class FakeActors implements ActorClient {
  readonly calls: Call[] = [];
  readonly replies = new Map<string, Reply>();

  async call<T>(action: string, params: object, opts?: { nodeID?: string }): Promise<T> {
    const p = params as Record<string, unknown>;
    this.calls.push({ action, params: p, ...(opts?.nodeID ? { nodeID: opts.nodeID } : {}) });
    const reply = this.replies.get(action);
    if (!reply) throw Object.assign(new Error(`Service '${action}' is not found.`), { type: 'SERVICE_NOT_FOUND' });
    return (await reply(p)) as T;
  }

  of(action: string): Call[] {
    return this.calls.filter((c) => c.action === action);
  }
}

class FakeSocket implements SessionSocket {
  isOpen = true;
  /** What the client has not read yet; tests set it to play a slow client. */
  bufferedAmount = 0;
  readonly sent: Record<string, unknown>[] = [];
  /** What send() was given, as given (a string, or a Buffer shared by a room's sessions). */
  readonly raw: (string | Buffer)[] = [];
  closedWith?: { code: number; reason: string };

  send(data: string | Buffer): void {
    this.raw.push(data);
    this.sent.push(JSON.parse(data.toString()) as Record<string, unknown>);
  }

  close(code: number, reason: string): void {
    this.isOpen = false;
    this.closedWith = { code, reason };
  }

  last(): Record<string, unknown> {
    return this.sent[this.sent.length - 1] ?? {};
  }
}

const silent: GatewayLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const ROOM = 'room1' as RoomId;
const PID = 'p-alice' as ParticipantId;
const OWNER = 'media-node-1' as NodeId;

const joinedData = {
  room: { id: ROOM, name: 'room1' },
  self: { id: PID, identity: 'alice', name: 'Alice', role: 'guest' as const, joinedAt: '2024-01-01T00:00:00Z', tracks: [] },
  participants: [],
  node: { id: OWNER, region: 'local' },
  chatHistory: [],
};

function setup(options: { claims?: Partial<AccessClaims>; maxMessageBytes?: number; maxBufferedBytes?: number; join?: Reply; registry?: SessionRegistry } = {}) {
  const actors = new FakeActors();
  const socket = new FakeSocket();
  const registry = options.registry ?? new SessionRegistry();
  actors.replies.set('media.getRouterRtpCapabilities', () => ({ rtpCapabilities: { codecs: [{ mimeType: 'audio/opus' }] } }));
  actors.replies.set(
    'room.join',
    options.join ?? ((): JoinResult => ({ status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData })),
  );
  actors.replies.set('participant.createTransport', (p) => ({ id: `t-${String(p.direction)}`, iceParameters: {}, iceCandidates: [], dtlsParameters: {} }));
  actors.replies.set('participant.leave', () => ({}));
  actors.replies.set('participant.setMuted', () => ({}));
  actors.replies.set('room.chat', () => ({ id: 'c1', ts: '2024-01-01T00:00:00Z', extra: 'not forwarded' }));
  const session = new SignalingSession({
    claims: { room: ROOM, identity: 'alice', name: 'Alice', role: 'guest', ...options.claims },
    actors,
    socket,
    gatewayNodeId: 'gw-1' as NodeId,
    maxMessageBytes: options.maxMessageBytes ?? 1024,
    ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
    logger: silent,
    onClosed: (s) => registry.remove(s),
  });
  registry.add(session);
  const send = async (message: unknown) => {
    await session.handleMessage(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
    return socket.last();
  };
  return { actors, socket, session, registry, send };
}

const errorCode = (frame: Record<string, unknown>) => (frame.error as { code?: string } | undefined)?.code;
const eventCode = (frame: Record<string, unknown>) => (frame.data as { code?: string } | undefined)?.code;

describe('SignalingSession: bad input gets a specific code and the connection stays usable', () => {
  test('malformed JSON → error event BAD_JSON, then a valid request works', async () => {
    const { send } = setup();
    const bad = await send('{"id":1,"method":');
    expect(bad.event).toBe('error');
    expect(eventCode(bad)).toBe('BAD_JSON');
    const ok = await send({ id: 2, method: 'getRouterRtpCapabilities' });
    expect(ok).toEqual({ id: 2, ok: true, data: { rtpCapabilities: { codecs: [{ mimeType: 'audio/opus' }] } } });
  });

  test('unknown method → UNKNOWN_METHOD with the request id', async () => {
    const { send } = setup();
    const res = await send({ id: 'a1', method: 'selfDestruct', data: {} });
    expect(res).toMatchObject({ id: 'a1', ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect((await send({ id: 'a2', method: 'getRouterRtpCapabilities' })).ok).toBe(true);
  });

  test('a bad envelope → VALIDATION_FAILED; answered by id when the id is readable, else as an error event', async () => {
    const { send } = setup();
    expect(await send({ id: 7, method: 42 })).toMatchObject({ id: 7, ok: false, error: { code: 'VALIDATION_FAILED' } });
    const noId = await send({ method: 'join' });
    expect(noId.event).toBe('error');
    expect(eventCode(noId)).toBe('VALIDATION_FAILED');
    expect(eventCode(await send([1, 2, 3]))).toBe('VALIDATION_FAILED');
    expect(eventCode(await send('null'))).toBe('VALIDATION_FAILED');
  });

  test('wrong field types → VALIDATION_FAILED naming the fields', async () => {
    const { send } = setup();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    const res = await send({ id: 2, method: 'createTransport', data: { direction: 'sideways', sctp: 'yes' } });
    expect(res).toMatchObject({ id: 2, ok: false, error: { code: 'VALIDATION_FAILED' } });
    const paths = ((res.error as { fields: { path: string }[] }).fields ?? []).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/data/direction', '/data/sctp']));
    const chat = await send({ id: 3, method: 'chat', data: { text: 123 } });
    expect(errorCode(chat)).toBe('VALIDATION_FAILED');
    expect((await send({ id: 4, method: 'createTransport', data: { direction: 'send' } })).ok).toBe(true);
  });

  test('oversized message → MESSAGE_TOO_LARGE error event without parsing it', async () => {
    const { send, actors } = setup({ maxMessageBytes: 300 });
    const big = JSON.stringify({ id: 1, method: 'chat', data: { text: 'x'.repeat(400) } });
    const res = await send(big);
    expect(res.event).toBe('error');
    expect(eventCode(res)).toBe('MESSAGE_TOO_LARGE');
    expect(actors.calls).toHaveLength(0);
    expect((await send({ id: 2, method: 'getRouterRtpCapabilities' })).ok).toBe(true);
  });

  test('requests before join → NOT_JOINED; a second join → ALREADY_JOINED', async () => {
    const { send, actors } = setup();
    for (const [method, data] of [
      ['createTransport', { direction: 'send' }],
      ['chat', { text: 'hi' }],
      ['leave', {}],
      ['mute', { producerId: 'p1' }],
    ] as const) {
      expect(errorCode(await send({ id: 1, method, data }))).toBe('NOT_JOINED');
    }
    expect(actors.calls).toHaveLength(0);
    expect((await send({ id: 2, method: 'join', data: { rtpCapabilities: {} } })).ok).toBe(true);
    expect(errorCode(await send({ id: 3, method: 'join', data: { rtpCapabilities: {} } }))).toBe('ALREADY_JOINED');
    expect((await send({ id: 4, method: 'chat', data: { text: 'hi' } }))).toEqual({ id: 4, ok: true, data: { id: 'c1', ts: '2024-01-01T00:00:00Z' } });
  });

  test('requests pipelined behind join wait for it: answered in order after the join; IN_LOBBY or NOT_JOINED when it did not join', async () => {
    for (const outcome of ['joined', 'waiting', 'refused'] as const) {
      let admit!: () => void;
      const admitted = new Promise<void>((resolve) => (admit = resolve));
      const { session, socket, actors } = setup({
        join: async (): Promise<JoinResult> => {
          await admitted;
          if (outcome === 'refused') throw new CascadeError('ROOM_FULL');
          return outcome === 'joined' ? { status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData } : { status: 'waiting', participantId: PID };
        },
      });
      const message = (m: unknown) => session.handleMessage(Buffer.from(JSON.stringify(m)));
      const handled = Promise.all([
        message({ id: 1, method: 'join', data: { rtpCapabilities: {} } }),
        message({ id: 2, method: 'createTransport', data: { direction: 'recv' } }),
        message({ id: 3, method: 'createTransport', data: { direction: 'send' } }),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      // Nothing reaches the participant actor before the room has answered the join.
      expect(actors.of('participant.createTransport')).toHaveLength(0);
      admit();
      await handled;
      expect(socket.sent.map((f) => f.id)).toEqual([1, 2, 3]);
      if (outcome === 'joined') {
        expect(socket.sent.map((f) => f.ok)).toEqual([true, true, true]);
        expect(actors.of('participant.createTransport').map((c) => c.params.direction)).toEqual(['recv', 'send']);
      } else {
        expect(socket.sent.slice(1).map(errorCode)).toEqual(outcome === 'waiting' ? ['IN_LOBBY', 'IN_LOBBY'] : ['NOT_JOINED', 'NOT_JOINED']);
        expect(actors.of('participant.createTransport')).toHaveLength(0);
      }
    }
  });

  test('errors thrown by actors keep their code (also across the transporter) and never leak internals', async () => {
    const { send, actors } = setup();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    actors.replies.set('participant.consume', () => {
      throw new CascadeError('CANNOT_CONSUME');
    });
    actors.replies.set('participant.resumeConsumer', () => {
      // What a Moleculer error from another node looks like.
      throw Object.assign(new Error('no such consumer'), { type: 'CONSUMER_NOT_FOUND', code: 404 });
    });
    actors.replies.set('participant.setPreferredLayers', () => {
      throw new TypeError('secret internals at /srv/cascade/x.js:12');
    });
    expect(errorCode(await send({ id: 2, method: 'consume', data: { producerId: 'x' } }))).toBe('CANNOT_CONSUME');
    expect(await send({ id: 3, method: 'resumeConsumer', data: { consumerId: 'c' } })).toMatchObject({
      error: { code: 'CONSUMER_NOT_FOUND', message: 'no such consumer' },
    });
    const internal = await send({ id: 4, method: 'setPreferredLayers', data: { consumerId: 'c', spatialLayer: 1 } });
    expect(internal).toEqual({ id: 4, ok: false, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect((await send({ id: 5, method: 'createTransport', data: { direction: 'recv' } })).ok).toBe(true);
  });

  test('a failed join leaves the session able to join again', async () => {
    let attempt = 0;
    const { send } = setup({
      join: () => {
        if (attempt++ === 0) throw new CascadeError('WRONG_PASSWORD');
        return { status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData };
      },
    });
    expect(errorCode(await send({ id: 1, method: 'join', data: { rtpCapabilities: {}, password: 'nope' } }))).toBe('WRONG_PASSWORD');
    expect(await send({ id: 2, method: 'join', data: { rtpCapabilities: {}, password: 'right' } })).toMatchObject({ ok: true, data: { status: 'joined' } });
  });
});

describe('SignalingSession: mapping to actors', () => {
  test('join sends the claims and this gateway node; participant calls go to the owner node', async () => {
    const { send, actors, session } = setup({ claims: { region: 'eu' } });
    const rtpCapabilities = { codecs: [] };
    const res = await send({ id: 1, method: 'join', data: { rtpCapabilities, name: 'Alice B' } });
    expect(res).toEqual({ id: 1, ok: true, data: { status: 'joined', ...joinedData } });
    expect(actors.of('room.join')[0]?.params).toEqual({
      roomId: ROOM,
      identity: 'alice',
      name: 'Alice B',
      role: 'guest',
      region: 'eu',
      gatewayNodeId: 'gw-1',
      rtpCapabilities,
    });
    expect(session.state).toBe('joined');
    expect(session.participantId).toBe(PID);

    await send({ id: 2, method: 'createTransport', data: { direction: 'send' } });
    expect(actors.of('participant.createTransport')[0]).toEqual({
      action: 'participant.createTransport',
      params: { participantId: PID, direction: 'send' },
      nodeID: OWNER,
    });
    await send({ id: 3, method: 'mute', data: { producerId: 'prod1' } });
    await send({ id: 4, method: 'unmute', data: { producerId: 'prod1' } });
    expect(actors.of('participant.setMuted').map((c) => c.params)).toEqual([
      { participantId: PID, producerId: 'prod1', muted: true },
      { participantId: PID, producerId: 'prod1', muted: false },
    ]);
    expect(actors.of('participant.setMuted').every((c) => c.nodeID === OWNER)).toBe(true);
  });

  test('room-scoped requests name the room and the acting participant', async () => {
    const { send, actors } = setup();
    for (const a of ['room.kick', 'room.setLocked', 'room.close']) actors.replies.set(a, () => ({ leaked: true }));
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    expect(await send({ id: 2, method: 'kick', data: { identity: 'bob' } })).toEqual({ id: 2, ok: true, data: {} });
    await send({ id: 3, method: 'lock' });
    await send({ id: 4, method: 'closeRoom' });
    const actor = { kind: 'participant', participantId: PID };
    expect(actors.of('room.kick')[0]?.params).toEqual({ roomId: ROOM, actor, identity: 'bob' });
    expect(actors.of('room.setLocked')[0]?.params).toEqual({ roomId: ROOM, actor, locked: true });
    expect(actors.of('room.close')[0]?.params).toEqual({ roomId: ROOM, actor });
  });

  test('leave tells the participant actor, answers, then closes the socket with 1000', async () => {
    const { send, actors, socket, session, registry } = setup();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    const res = await send({ id: 2, method: 'leave' });
    expect(res).toEqual({ id: 2, ok: true, data: {} });
    expect(actors.of('participant.leave')).toEqual([
      { action: 'participant.leave', params: { participantId: PID, reason: 'client_left' }, nodeID: OWNER },
    ]);
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'client_left' });
    session.socketClosed();
    expect(actors.of('participant.leave')).toHaveLength(1);
    expect(registry.size).toBe(0);
  });

  test('a dropped socket leaves as disconnected, once', async () => {
    const { send, actors, session } = setup();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    session.socketClosed();
    session.socketClosed();
    await Promise.resolve();
    expect(actors.of('participant.leave').map((c) => c.params)).toEqual([{ participantId: PID, reason: 'disconnected' }]);
  });

  test('a socket dropped while the join is in flight undoes the join', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { session, actors } = setup({
      join: async () => {
        await gate;
        return { status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData };
      },
    });
    const pending = session.handleMessage(Buffer.from(JSON.stringify({ id: 1, method: 'join', data: { rtpCapabilities: {} } })));
    await Promise.resolve();
    session.socketClosed();
    release();
    await pending;
    await new Promise((r) => setImmediate(r));
    expect(actors.of('participant.leave').map((c) => c.params)).toEqual([{ participantId: PID, reason: 'disconnected' }]);
  });
});

describe('SignalingSession: signals from the room', () => {
  const signal = (s: Partial<GatewaySignal>): GatewaySignal => ({ roomId: ROOM, event: 'chat', data: { text: 'x' }, ...s });

  test('only joined sessions get signals, filtered by to/except', async () => {
    const { send, socket, registry } = setup();
    registry.deliver(signal({ event: 'before_join' }));
    expect(socket.sent).toHaveLength(0);
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    const other = 'p-bob' as ParticipantId;
    registry.deliver(signal({ event: 'to_all' }));
    registry.deliver(signal({ event: 'to_me', to: [PID] }));
    registry.deliver(signal({ event: 'to_bob', to: [other] }));
    registry.deliver(signal({ event: 'except_me', except: [PID] }));
    registry.deliver(signal({ event: 'other_room', roomId: 'room2' as RoomId }));
    expect(socket.sent.slice(1).map((f) => f.event)).toEqual(['to_all', 'to_me']);
  });

  test('signals during the join are held and delivered after the join response', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { session, socket, registry } = setup({
      join: async () => {
        await gate;
        return { status: 'joined', participantId: PID, participantNodeId: OWNER, joined: joinedData };
      },
    });
    const pending = session.handleMessage(Buffer.from(JSON.stringify({ id: 1, method: 'join', data: { rtpCapabilities: {} } })));
    await Promise.resolve();
    registry.deliver(signal({ event: 'track_published', data: { producerId: 'x' } }));
    registry.deliver(signal({ event: 'not_for_me', except: [PID] }));
    expect(socket.sent).toHaveLength(0);
    release();
    await pending;
    expect(socket.sent.map((f) => f.event ?? `response ${String(f.id)}`)).toEqual(['response 1', 'track_published']);
  });

  test('disconnect signals close the socket with 4000 and do not send participant.leave', async () => {
    const { send, socket, actors, session, registry } = setup();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    registry.deliver(signal({ event: 'kicked', data: { by: 'host' }, to: [PID], disconnect: true }));
    expect(socket.last()).toEqual({ event: 'kicked', data: { by: 'host' } });
    expect(socket.closedWith).toEqual({ code: 4000, reason: 'kicked' });
    session.socketClosed();
    await Promise.resolve();
    expect(actors.of('participant.leave')).toHaveLength(0);
    expect(registry.size).toBe(0);
  });

  test('a waiting participant becomes joined when the room sends joined', async () => {
    const { send, session, registry } = setup({
      claims: { role: 'guest' },
      join: (): JoinResult => ({ status: 'waiting', participantId: PID }),
    });
    expect(await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } })).toEqual({ id: 1, ok: true, data: { status: 'waiting' } });
    expect(errorCode(await send({ id: 2, method: 'createTransport', data: { direction: 'send' } }))).toBe('IN_LOBBY');
    registry.deliver(signal({ event: 'joined', data: joinedData, to: [PID] }));
    expect(session.state).toBe('joined');
    expect((await send({ id: 3, method: 'createTransport', data: { direction: 'send' } })).ok).toBe(true);
  });

  test('admitted participants are addressed on the node named by the joined event', async () => {
    const { send, actors, registry } = setup({ join: (): JoinResult => ({ status: 'waiting', participantId: PID }) });
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    registry.deliver(signal({ event: 'joined', data: { ...joinedData, node: { id: 'media-9', region: 'eu' } }, to: [PID] }));
    await send({ id: 2, method: 'createTransport', data: { direction: 'recv' } });
    expect(actors.of('participant.createTransport')[0]?.nodeID).toBe('media-9');
  });

  test('leaving from the lobby goes to the room (there is no participant actor yet)', async () => {
    const { send, actors, socket } = setup({ join: (): JoinResult => ({ status: 'waiting', participantId: PID }) });
    actors.replies.set('room.leave', () => undefined);
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    expect(await send({ id: 2, method: 'leave' })).toEqual({ id: 2, ok: true, data: {} });
    expect(actors.of('room.leave').map((c) => c.params)).toEqual([{ roomId: ROOM, participantId: PID, reason: 'client_left' }]);
    expect(actors.of('participant.leave')).toHaveLength(0);
    expect(socket.closedWith?.code).toBe(1000);
  });
});

describe('SignalingSession: a room signal is serialized once', () => {
  test('every session of the room is handed the same encoded frame', async () => {
    const registry = new SessionRegistry();
    const joinAs = (participantId: string) => (): JoinResult => ({ status: 'joined', participantId: participantId as ParticipantId, participantNodeId: OWNER, joined: joinedData });
    const a = setup({ registry, join: joinAs('p-a') });
    const b = setup({ registry, join: joinAs('p-b') });
    await a.send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    await b.send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    registry.deliver({ roomId: ROOM, event: 'participant_joined', data: { id: 'p-c' } });
    const [fromA, fromB] = [a.socket.raw.at(-1), b.socket.raw.at(-1)];
    expect(Buffer.isBuffer(fromA)).toBe(true);
    expect(fromA).toBe(fromB);
    expect(a.socket.last()).toEqual({ event: 'participant_joined', data: { id: 'p-c' } });
  });
});

describe('SignalingSession: a client that does not read', () => {
  const LIMIT = 10_000;
  const deliver = (registry: SessionRegistry, event: string) => registry.deliver({ roomId: ROOM, event, data: { participantId: 'p-x' } });

  test('above maxBufferedBytes droppable events are skipped; others and responses still go out', async () => {
    const { send, socket, registry, session } = setup({ maxBufferedBytes: LIMIT });
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    socket.bufferedAmount = LIMIT + 1;
    deliver(registry, 'active_speaker');
    deliver(registry, 'chat');
    expect(socket.sent.slice(1).map((f) => f.event)).toEqual(['chat']);
    expect((await send({ id: 2, method: 'createTransport', data: { direction: 'recv' } })).ok).toBe(true);
    socket.bufferedAmount = LIMIT;
    deliver(registry, 'active_speaker');
    expect(socket.last().event).toBe('active_speaker');
    expect(session.state).toBe('joined');
  });

  test('a queue that keeps growing to 4 × maxBufferedBytes closes with 4008 and leaves the room once', async () => {
    const { send, socket, registry, session, actors } = setup({ maxBufferedBytes: LIMIT });
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    const before = socket.sent.length;
    socket.bufferedAmount = 4 * LIMIT;
    deliver(registry, 'chat');
    expect(socket.sent).toHaveLength(before);
    expect(socket.closedWith).toEqual({ code: 4008, reason: 'slow_consumer' });
    expect(session.state).toBe('closed');
    expect(registry.size).toBe(0);
    await Promise.resolve();
    expect(actors.of('participant.leave').map((c) => c.params)).toEqual([{ participantId: PID, reason: 'disconnected' }]);
    // The socket's own close event comes later: no second leave.
    session.socketClosed();
    await Promise.resolve();
    expect(actors.of('participant.leave')).toHaveLength(1);
  });
});

describe('SignalingSession: router capabilities', () => {
  test('asked of the media service once per gateway, then answered from memory; a failure is not kept', async () => {
    const actors = new FakeActors();
    let fail = true;
    actors.replies.set('media.getRouterRtpCapabilities', () => {
      if (fail) throw Object.assign(new Error('no media node yet'), { code: 'SERVICE_NOT_FOUND' });
      return { codecs: [{ mimeType: 'video/VP8' }] };
    });
    const caps = new RouterCapabilities(actors);
    await expect(caps.get()).rejects.toThrow('no media node yet');
    expect(caps.known).toBeUndefined();
    fail = false;
    const [x, y] = await Promise.all([caps.get(), caps.get()]);
    expect(x).toEqual({ codecs: [{ mimeType: 'video/VP8' }] });
    expect(y).toBe(x);
    expect(await caps.get()).toBe(x);
    expect(caps.known).toBe(x);
    expect(actors.of('media.getRouterRtpCapabilities')).toHaveLength(2);
  });
});
