import type { IncomingMessage, ServerResponse } from 'node:http';
import { Type, type TSchema } from '@sinclair/typebox';
import type { RoomView } from '../../actors/room/RoomAdmin';
import { RoomActions, RoomAdminActions, type LocalRoomStats } from '../../schemas/actors';
import type { Config } from '../../schemas/config';
import { CascadeError, toCascadeError } from '../../schemas/errors';
import type { RoomId } from '../../schemas/ids';
import {
  CreateRoomBodySchema,
  HealthResponseSchema,
  KickBodySchema,
  MuteBodySchema,
  ParticipantListResponseSchema,
  RoomListQuerySchema,
  RoomListResponseSchema,
  RoomResponseSchema,
  StatsResponseSchema,
  TokenBodySchema,
  TokenResponseSchema,
} from '../../schemas/rest';
import type { TrackSource } from '../../schemas/media';
import type { Permission } from '../../schemas/roles';
import type { ParticipantInfo } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import { mintToken } from '../auth/tokens';
import { readJsonBody, sendJson, type RouteParams, type Router } from '../http/router';
import { packageVersion } from '../http/version';
import type { ActorClient } from '../types';
import { authenticateApi, type ApiCaller } from './apiAuth';
import { EGRESS_ROUTES } from './egressRoutes';
import { readQuery } from './query';
import { openApiDocument } from './openapi';
import { roomIdParam } from './params';
import { participantResponse, roomResponse } from './present';
import { WEBHOOK_ROUTES } from './webhookRoutes';

export interface RestContext {
  actors: ActorClient;
  config: Config;
  startedAt: number;
}

interface Request {
  params: RouteParams;
  body: unknown;
  query: unknown;
  /** Who called (routes with auth). */
  caller?: ApiCaller;
}

/**
 * One REST route: the router registration and the OpenAPI document are both built from this
 * table, so what is documented is what is validated and served.
 */
export interface RestRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  summary: string;
  auth: boolean;
  /** Also accept participants' access tokens for the room `:id` whose role grants this. */
  participantPermission?: Permission;
  body?: TSchema;
  query?: TSchema;
  status: number;
  response?: TSchema;
  /** Error codes this route can answer with (documented). */
  errors: string[];
  handle(ctx: RestContext, request: Request): Promise<unknown>;
}

const TRACK_SOURCE: Record<'audio' | 'video' | 'screen', TrackSource> = { audio: 'microphone', video: 'camera', screen: 'screen' };
const api = { kind: 'api' } as const;

export const REST_ROUTES: RestRoute[] = [
  {
    method: 'GET',
    path: '/health',
    summary: 'Liveness and version (no auth)',
    auth: false,
    status: 200,
    response: HealthResponseSchema,
    errors: [],
    handle: async (ctx) => ({ status: 'ok', version: packageVersion(), uptime_seconds: uptime(ctx) }),
  },
  {
    method: 'POST',
    path: '/rooms',
    summary: 'Create a room',
    auth: true,
    body: CreateRoomBodySchema,
    status: 201,
    response: RoomResponseSchema,
    errors: ['VALIDATION_FAILED', 'BAD_JSON', 'UNAUTHORIZED', 'FORBIDDEN', 'MESSAGE_TOO_LARGE'],
    handle: async (ctx, { body }) => {
      const b = validator(CreateRoomBodySchema).parse(body);
      const room = await ctx.actors.call<RoomView['room']>(RoomAdminActions.create, {
        name: b.name,
        ...(b.max_participants !== undefined ? { maxParticipants: b.max_participants } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}),
        ...(b.lobby_enabled !== undefined ? { lobbyEnabled: b.lobby_enabled } : {}),
        ...(b.recording_enabled !== undefined ? { recordingEnabled: b.recording_enabled } : {}),
        ...(b.empty_timeout !== undefined ? { emptyTimeoutSeconds: b.empty_timeout } : {}),
      });
      return roomResponse({ room, participantCount: 0 });
    },
  },
  {
    method: 'GET',
    path: '/rooms',
    summary: 'List rooms (newest first)',
    auth: true,
    query: RoomListQuerySchema,
    status: 200,
    response: RoomListResponseSchema,
    errors: ['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { query }) => {
      const q = validator(RoomListQuerySchema).parse(query);
      const { rooms, total } = await ctx.actors.call<{ rooms: RoomView[]; total: number }>(RoomAdminActions.list, q);
      return { rooms: rooms.map(roomResponse), total };
    },
  },
  {
    method: 'GET',
    path: '/rooms/:id',
    summary: 'One room, with its live participant count',
    auth: true,
    status: 200,
    response: RoomResponseSchema,
    errors: ['ROOM_NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => roomResponse(await ctx.actors.call<RoomView>(RoomAdminActions.find, { roomId: roomIdParam(params) })),
  },
  {
    method: 'DELETE',
    path: '/rooms/:id',
    summary: 'Close a room: every participant receives room_closed and is disconnected',
    auth: true,
    status: 204,
    errors: ['ROOM_NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => {
      const roomId = roomIdParam(params);
      const view = await ctx.actors.call<RoomView>(RoomAdminActions.find, { roomId });
      if (view.room.status === 'closed') return undefined;
      try {
        await ctx.actors.call(RoomActions.close, { roomId, actor: api, reason: 'closed_by_api' });
      } catch (err) {
        // Not live anywhere: close it in the store only (RoomHost would refuse a closed room).
        if (toCascadeError(err).code !== 'ROOM_NOT_FOUND') throw err;
        await ctx.actors.call(RoomAdminActions.close, { roomId });
      }
      return undefined;
    },
  },
  {
    method: 'GET',
    path: '/rooms/:id/participants',
    summary: 'Participants connected now',
    auth: true,
    status: 200,
    response: ParticipantListResponseSchema,
    errors: ['ROOM_NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => {
      const list = await ctx.actors.call<ParticipantInfo[]>(RoomAdminActions.participants, { roomId: roomIdParam(params) });
      return { participants: list.map(participantResponse) };
    },
  },
  {
    method: 'POST',
    path: '/rooms/:id/kick',
    summary: 'Disconnect a participant (it receives kicked {by: "api"})',
    auth: true,
    body: KickBodySchema,
    status: 200,
    response: Type.Object({}),
    errors: ['ROOM_NOT_FOUND', 'PARTICIPANT_NOT_FOUND', 'VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params, body }) => {
      const b = validator(KickBodySchema).parse(body);
      await liveRoomCall(ctx, roomIdParam(params), RoomActions.kick, { actor: api, identity: b.identity });
      return {};
    },
  },
  {
    method: 'POST',
    path: '/rooms/:id/mute',
    summary: "Pause a participant's track; everyone receives muted {identity, track, by}",
    auth: true,
    body: MuteBodySchema,
    status: 200,
    response: Type.Object({}),
    errors: ['ROOM_NOT_FOUND', 'PARTICIPANT_NOT_FOUND', 'PRODUCER_NOT_FOUND', 'VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params, body }) => {
      const b = validator(MuteBodySchema).parse(body);
      await liveRoomCall(ctx, roomIdParam(params), RoomActions.muteParticipant, { actor: api, identity: b.identity, source: TRACK_SOURCE[b.track_type] });
      return {};
    },
  },
  {
    method: 'POST',
    path: '/tokens',
    summary: 'Mint an access token for a participant',
    auth: true,
    body: TokenBodySchema,
    status: 201,
    response: TokenResponseSchema,
    errors: ['ROOM_NOT_FOUND', 'ROOM_CLOSED', 'ROOM_FULL', 'VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { body }) => {
      const b = validator(TokenBodySchema).parse(body);
      await assertJoinable(ctx, b.room as RoomId);
      return { token: mintToken(ctx.config.auth, b) };
    },
  },
  {
    method: 'GET',
    path: '/stats',
    summary: 'Cluster statistics',
    auth: true,
    status: 200,
    response: StatsResponseSchema,
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx) => {
      const stats = await ctx.actors.call<LocalRoomStats & { nodes: number }>(RoomAdminActions.stats, {});
      return { ...stats, uptime_seconds: uptime(ctx), memory_mb: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10 };
    },
  },
  ...WEBHOOK_ROUTES,
  ...EGRESS_ROUTES,
];

/** Registers every route of the table, and /openapi.json describing them, on the gateway's router. */
export function mountRestApi(router: Router, ctx: RestContext): void {
  const document = openApiDocument(REST_ROUTES);
  router.get('/openapi.json', (_req, res) => sendJson(res, 200, document));
  for (const route of REST_ROUTES) {
    router.add(route.method, route.path, async (req: IncomingMessage, res: ServerResponse, params, url) => {
      const access = route.participantPermission && params.id ? { roomId: params.id, permission: route.participantPermission } : undefined;
      const caller = route.auth ? authenticateApi(req, ctx.config.auth, access) : undefined;
      const body = route.body ? await readJsonBody(req, ctx.config.http.maxMessageBytes) : undefined;
      const query = route.query ? readQuery(url, ['limit', 'offset']) : undefined;
      const result = await route.handle(ctx, { params, body, query, ...(caller ? { caller } : {}) });
      if (route.status === 204) {
        res.writeHead(204).end();
        return;
      }
      sendJson(res, route.status, result);
    });
  }
}

function uptime(ctx: RestContext): number {
  return Math.floor((Date.now() - ctx.startedAt) / 1000);
}

/** A moderation call on a stored room; a room with nobody in it has nobody to act on. */
async function liveRoomCall(ctx: RestContext, roomId: RoomId, action: string, params: object): Promise<void> {
  const view = await ctx.actors.call<RoomView>(RoomAdminActions.find, { roomId });
  if (view.room.status === 'closed') throw new CascadeError('ROOM_CLOSED');
  try {
    await ctx.actors.call(action, { roomId, ...params });
  } catch (err) {
    const e = toCascadeError(err);
    throw e.code === 'ROOM_NOT_FOUND' ? new CascadeError('PARTICIPANT_NOT_FOUND', 'Nobody is in this room') : e;
  }
}

/** Tokens are refused early for rooms nobody could join (unknown without auto-create, closed, full). */
async function assertJoinable(ctx: RestContext, roomId: RoomId): Promise<void> {
  let view: RoomView | undefined;
  try {
    view = await ctx.actors.call<RoomView>(RoomAdminActions.find, { roomId });
  } catch (err) {
    if (toCascadeError(err).code !== 'ROOM_NOT_FOUND' || !ctx.config.room.autoCreate) throw err;
    return;
  }
  if (view.room.status === 'closed' && !(ctx.config.room.autoCreate && view.room.name === roomId)) throw new CascadeError('ROOM_CLOSED');
  if (view.participantCount >= view.room.maxParticipants) throw new CascadeError('ROOM_FULL');
}

