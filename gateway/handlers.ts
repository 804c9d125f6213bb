import type { AccessClaims } from '../schemas/auth';
import { ParticipantActions, RoomActions, type Actor, type ParticipantMessage, type RoomMessage } from '../schemas/actors';
import type { NodeId, ParticipantId, RoomId } from '../schemas/ids';
import type { ClientMethod, RequestData, ResponseData } from '../schemas/signaling';
import type { ActorClient } from './types';

/**
 * How each request of a joined participant maps onto an actor call. Participant-scoped calls go
 * to the node that owns the participant actor; room-scoped ones to the room actor, which checks
 * permissions (the gateway only forwards).
 */

export interface JoinedContext {
  readonly actors: ActorClient;
  readonly claims: AccessClaims;
  readonly roomId: RoomId;
  readonly participantId: ParticipantId;
  readonly participantNodeId: NodeId;
}

/** Methods the session handles itself because they change its state. */
export type SessionMethod = 'getRouterRtpCapabilities' | 'join' | 'leave';
export type JoinedMethod = Exclude<ClientMethod, SessionMethod>;

type Handler<M extends JoinedMethod> = (ctx: JoinedContext, data: RequestData<M>) => Promise<ResponseData<M>>;

/** Calls `participant.<action>` on the owner node with the participant id prepended. */
function toParticipant<T = unknown, A extends keyof typeof ParticipantActions = keyof typeof ParticipantActions>(
  ctx: JoinedContext,
  action: A,
  params: Omit<ParticipantMessage<A>, 'participantId'>,
): Promise<T> {
  return ctx.actors.call<T>(ParticipantActions[action], { participantId: ctx.participantId, ...params }, { nodeID: ctx.participantNodeId });
}

const actorOf = (ctx: JoinedContext): Actor => ({ kind: 'participant', participantId: ctx.participantId });
const empty = async (call: Promise<unknown>): Promise<Record<string, never>> => {
  await call;
  return {};
};

export const joinedHandlers: { [M in JoinedMethod]: Handler<M> } = {
  createTransport: (ctx, data) => toParticipant<ResponseData<'createTransport'>>(ctx, 'createTransport', data),
  connectTransport: (ctx, data) => empty(toParticipant(ctx, 'connectTransport', data)),
  restartIce: (ctx, data) => toParticipant<ResponseData<'restartIce'>>(ctx, 'restartIce', data),
  produce: async (ctx, data) => {
    const result = await toParticipant<ResponseData<'produce'>>(ctx, 'produce', data);
    return { producerId: result.producerId };
  },
  closeProducer: (ctx, data) => empty(toParticipant(ctx, 'closeProducer', data)),
  mute: (ctx, data) => empty(toParticipant(ctx, 'setMuted', { producerId: data.producerId, muted: true })),
  unmute: (ctx, data) => empty(toParticipant(ctx, 'setMuted', { producerId: data.producerId, muted: false })),
  consume: (ctx, data) => toParticipant<ResponseData<'consume'>>(ctx, 'consume', data),
  resumeConsumer: (ctx, data) => empty(toParticipant(ctx, 'resumeConsumer', data)),
  setPreferredLayers: (ctx, data) => empty(toParticipant(ctx, 'setPreferredLayers', data)),
  produceData: async (ctx, data) => {
    const result = await toParticipant<ResponseData<'produceData'>>(ctx, 'produceData', data);
    return { dataProducerId: result.dataProducerId, maxMessageBytes: result.maxMessageBytes };
  },
  consumeData: (ctx) => toParticipant<ResponseData<'consumeData'>>(ctx, 'consumeData', {}),
  chat: async (ctx, data) => {
    const params: RoomMessage<'chat'> = { roomId: ctx.roomId, participantId: ctx.participantId, text: data.text };
    if (data.to !== undefined) params.to = data.to;
    const message = await ctx.actors.call<ResponseData<'chat'>>(RoomActions.chat, params);
    return { id: message.id, ts: message.ts };
  },
  kick: (ctx, data) => empty(ctx.actors.call(RoomActions.kick, { roomId: ctx.roomId, actor: actorOf(ctx), identity: data.identity } satisfies RoomMessage<'kick'>)),
  muteParticipant: (ctx, data) =>
    empty(
      ctx.actors.call(RoomActions.muteParticipant, {
        roomId: ctx.roomId,
        actor: actorOf(ctx),
        identity: data.identity,
        source: data.source,
      } satisfies RoomMessage<'muteParticipant'>),
    ),
  closeRoom: (ctx) => empty(ctx.actors.call(RoomActions.close, { roomId: ctx.roomId, actor: actorOf(ctx) } satisfies RoomMessage<'close'>)),
  lobby_admit: (ctx, data) =>
    empty(ctx.actors.call(RoomActions.lobbyAdmit, { roomId: ctx.roomId, actor: actorOf(ctx), identity: data.identity } satisfies RoomMessage<'lobbyAdmit'>)),
  lobby_reject: (ctx, data) => {
    const params: RoomMessage<'lobbyReject'> = { roomId: ctx.roomId, actor: actorOf(ctx), identity: data.identity };
    if (data.reason !== undefined) params.reason = data.reason;
    return empty(ctx.actors.call(RoomActions.lobbyReject, params));
  },
  lobby_admit_all: async (ctx) => {
    const params: RoomMessage<'lobbyAdmitAll'> = { roomId: ctx.roomId, actor: actorOf(ctx) };
    const result = await ctx.actors.call<ResponseData<'lobby_admit_all'>>(RoomActions.lobbyAdmitAll, params);
    return { admitted: result.admitted };
  },
  lock: (ctx) => empty(ctx.actors.call(RoomActions.setLocked, { roomId: ctx.roomId, actor: actorOf(ctx), locked: true } satisfies RoomMessage<'setLocked'>)),
  unlock: (ctx) => empty(ctx.actors.call(RoomActions.setLocked, { roomId: ctx.roomId, actor: actorOf(ctx), locked: false } satisfies RoomMessage<'setLocked'>)),
};
