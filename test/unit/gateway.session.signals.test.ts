import type { GatewaySignal, JoinResult } from '../../schemas/actors';
import type { ParticipantId, RoomId } from '../../schemas/ids';
import { RouterCapabilities } from '../../gateway/routerCapabilities';
import { SessionRegistry } from '../../gateway/SessionRegistry';
import { setupSession, ROOM, PID, OWNER, joinedData, errorCode, FakeActors } from '../helpers/signalingSession';

/** SignalingSession (test/helpers/signalingSession.ts drives it): room signals, slow clients, router capabilities. */

describe('SignalingSession: signals from the room', () => {
  const signal = (s: Partial<GatewaySignal>): GatewaySignal => ({ roomId: ROOM, event: 'chat', data: { text: 'x' }, ...s });

  test('only joined sessions get signals, filtered by to/except', async () => {
    const { send, socket, registry } = setupSession();
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
    const { session, socket, registry } = setupSession({
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
    const { send, socket, actors, session, registry } = setupSession();
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
    const { send, session, registry } = setupSession({
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
    const { send, actors, registry } = setupSession({ join: (): JoinResult => ({ status: 'waiting', participantId: PID }) });
    await send({ id: 1, method: 'join', data: { rtpCapabilities: {} } });
    registry.deliver(signal({ event: 'joined', data: { ...joinedData, node: { id: 'media-9', region: 'eu' } }, to: [PID] }));
    await send({ id: 2, method: 'createTransport', data: { direction: 'recv' } });
    expect(actors.of('participant.createTransport')[0]?.nodeID).toBe('media-9');
  });

  test('leaving from the lobby goes to the room (there is no participant actor yet)', async () => {
    const { send, actors, socket } = setupSession({ join: (): JoinResult => ({ status: 'waiting', participantId: PID }) });
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
    const a = setupSession({ registry, join: joinAs('p-a') });
    const b = setupSession({ registry, join: joinAs('p-b') });
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
    const { send, socket, registry, session } = setupSession({ maxBufferedBytes: LIMIT });
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
    const { send, socket, registry, session, actors } = setupSession({ maxBufferedBytes: LIMIT });
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
