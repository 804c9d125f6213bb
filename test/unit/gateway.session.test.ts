import type { JoinResult } from '../../schemas/actors';
import { CascadeError } from '../../schemas/errors';
import { setupSession, ROOM, PID, OWNER, joinedData, errorCode, eventCode } from '../helpers/signalingSession';

/** SignalingSession (test/helpers/signalingSession.ts drives it): bad input, and requests mapped to actors. */

describe('SignalingSession: bad input gets a specific code and the connection stays usable', () => {
  test('malformed JSON → error event BAD_JSON, then a valid request works', async () => {
    const { send } = setupSession();
    const bad = await send('{"id":1,"method":');
    expect(bad.event).toBe('error');
    expect(eventCode(bad)).toBe('BAD_JSON');
    const ok = await send({ id: 2, method: 'getRouterRtpCapabilities' });
    expect(ok).toEqual({ id: 2, ok: true, data: { rtpCapabilities: { codecs: [{ mimeType: 'audio/opus' }] } } });
  });

  test('unknown method → UNKNOWN_METHOD with the request id', async () => {
    const { send } = setupSession();
    const res = await send({ id: 'a1', method: 'selfDestruct', data: {} });
    expect(res).toMatchObject({ id: 'a1', ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect((await send({ id: 'a2', method: 'getRouterRtpCapabilities' })).ok).toBe(true);
  });

  test('a bad envelope → VALIDATION_FAILED; answered by id when the id is readable, else as an error event', async () => {
    const { send } = setupSession();
    expect(await send({ id: 7, method: 42 })).toMatchObject({ id: 7, ok: false, error: { code: 'VALIDATION_FAILED' } });
    const noId = await send({ method: 'join' });
    expect(noId.event).toBe('error');
    expect(eventCode(noId)).toBe('VALIDATION_FAILED');
    expect(eventCode(await send([1, 2, 3]))).toBe('VALIDATION_FAILED');
    expect(eventCode(await send('null'))).toBe('VALIDATION_FAILED');
  });

  test('wrong field types → VALIDATION_FAILED naming the fields', async () => {
    const { send } = setupSession();
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
    const { send, actors } = setupSession({ maxMessageBytes: 300 });
    const big = JSON.stringify({ id: 1, method: 'chat', data: { text: 'x'.repeat(400) } });
    const res = await send(big);
    expect(res.event).toBe('error');
    expect(eventCode(res)).toBe('MESSAGE_TOO_LARGE');
    expect(actors.calls).toHaveLength(0);
    expect((await send({ id: 2, method: 'getRouterRtpCapabilities' })).ok).toBe(true);
  });

  test('requests before join → NOT_JOINED; a second join → ALREADY_JOINED', async () => {
    const { send, actors } = setupSession();
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
      const { session, socket, actors } = setupSession({
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
    const { send, actors } = setupSession();
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
    const { send } = setupSession({
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
    const { send, actors, session } = setupSession({ claims: { region: 'eu' } });
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
    const { send, actors } = setupSession();
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
    const { send, actors, socket, session, registry } = setupSession();
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
    const { send, actors, session } = setupSession();
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    session.socketClosed();
    session.socketClosed();
    await Promise.resolve();
    expect(actors.of('participant.leave').map((c) => c.params)).toEqual([{ participantId: PID, reason: 'disconnected' }]);
  });

  test('a socket dropped while the join is in flight undoes the join', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { session, actors } = setupSession({
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
