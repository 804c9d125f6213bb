import { RoomActions, type Actor } from '../../schemas/actors';
import { EgressActions, isFinalEgressState, type EgressInfo, type EgressKind, type EgressRequest } from '../../schemas/egress';
import { CascadeError } from '../../schemas/errors';
import type { RoomId } from '../../schemas/ids';
import {
  EgressListQuerySchema,
  EgressListResponseSchema,
  EgressResponseSchema,
  EgressStopBodySchema,
  RecordingStartBodySchema,
  RtmpStartBodySchema,
} from '../../schemas/rest';
import { validator } from '../../schemas/validate';
import type { ApiCaller } from './apiAuth';
import { idParam, roomIdParam } from './params';
import { egressResponse } from './present';
import type { RestContext, RestRoute } from './routes';

const START_ERRORS = ['ROOM_NOT_FOUND', 'ROOM_CLOSED', 'RECORDING_DISABLED', 'EGRESS_UNAVAILABLE', 'VALIDATION_FAILED', 'BAD_JSON', 'UNAUTHORIZED', 'FORBIDDEN'];
const STOP_ERRORS = ['ROOM_NOT_FOUND', 'EGRESS_NOT_FOUND', 'VALIDATION_FAILED', 'BAD_JSON', 'UNAUTHORIZED', 'FORBIDDEN'];

/** The room acts for an operator ('api') or for the token's bearer, whose role it checks again. */
function actorOf(caller: ApiCaller | undefined): Actor {
  return caller?.kind === 'participant' ? { kind: 'token', identity: caller.identity, role: caller.role } : { kind: 'api' };
}

async function start(ctx: RestContext, roomId: RoomId, caller: ApiCaller | undefined, request: EgressRequest) {
  const info = await ctx.actors.call<EgressInfo>(RoomActions.startEgress, { roomId, actor: actorOf(caller), request });
  return egressResponse(info);
}

/** POST /rooms/:id/{recording,rtmp}/stop: the room stops its jobs of that kind (or one). */
function stopRoute(kind: EgressKind, summary: string): RestRoute {
  return {
    method: 'POST',
    path: `/rooms/:id/${kind}/stop`,
    summary,
    auth: true,
    participantPermission: 'record',
    body: EgressStopBodySchema,
    status: 200,
    response: EgressListResponseSchema,
    errors: STOP_ERRORS,
    handle: async (ctx, { params, body, caller }) => {
      const b = validator(EgressStopBodySchema).parse(body ?? {});
      const infos = await ctx.actors.call<EgressInfo[]>(RoomActions.stopEgress, {
        roomId: roomIdParam(params),
        actor: actorOf(caller),
        kind,
        ...(b.egress_id ? { egressId: b.egress_id } : {}),
      });
      return { egress: infos.map(egressResponse) };
    },
  };
}

/**
 * Recording and RTMP: started and stopped through the room (which checks the record permission
 * and feeds the job its tracks), read from the store through the `egress` service.
 */
export const EGRESS_ROUTES: RestRoute[] = [
  {
    method: 'POST',
    path: '/rooms/:id/recording/start',
    summary: 'Start recording the room (composite grid by default, or one file per track); host and co_host tokens may call it',
    auth: true,
    participantPermission: 'record',
    body: RecordingStartBodySchema,
    status: 201,
    response: EgressResponseSchema,
    errors: START_ERRORS,
    handle: async (ctx, { params, body, caller }) => {
      const b = validator(RecordingStartBodySchema).parse(body ?? {});
      return start(ctx, roomIdParam(params), caller, { kind: 'recording', ...b });
    },
  },
  stopRoute('recording', "Stop the room's recordings (or one, by egress_id); they finish their files and end complete"),
  {
    method: 'POST',
    path: '/rooms/:id/rtmp/start',
    summary: 'Stream the room as H.264/AAC FLV to an RTMP URL (the stream key is never logged or stored)',
    auth: true,
    participantPermission: 'record',
    body: RtmpStartBodySchema,
    status: 201,
    response: EgressResponseSchema,
    errors: START_ERRORS,
    handle: async (ctx, { params, body, caller }) => {
      const b = validator(RtmpStartBodySchema).parse(body);
      return start(ctx, roomIdParam(params), caller, { kind: 'rtmp', url: b.url });
    },
  },
  stopRoute('rtmp', "Stop the room's RTMP streams (or one, by egress_id)"),
  {
    method: 'GET',
    path: '/egress',
    summary: 'Recording and RTMP jobs, newest first (filter by room_id, status)',
    auth: true,
    query: EgressListQuerySchema,
    status: 200,
    response: EgressListResponseSchema,
    errors: ['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { query }) => {
      const q = validator(EgressListQuerySchema).parse(query);
      const infos = await ctx.actors.call<EgressInfo[]>(EgressActions.list, {
        ...(q.room_id ? { roomId: q.room_id } : {}),
        ...(q.status ? { state: q.status } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
      });
      return { egress: infos.map(egressResponse) };
    },
  },
  {
    method: 'GET',
    path: '/egress/:id',
    summary: 'One job: state, progress (duration, bytes, bitrate, reconnects), files, end reason',
    auth: true,
    status: 200,
    response: EgressResponseSchema,
    errors: ['EGRESS_NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => egressResponse(await find(ctx, params)),
  },
  {
    method: 'POST',
    path: '/egress/:id/stop',
    summary: 'Stop one job, whatever its kind; a job that already ended is returned as it is',
    auth: true,
    status: 200,
    response: EgressResponseSchema,
    errors: ['EGRESS_NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => {
      const info = await find(ctx, params);
      if (isFinalEgressState(info.state)) return egressResponse(info);
      const [stopped] = await ctx.actors.call<EgressInfo[]>(RoomActions.stopEgress, { roomId: info.roomId, actor: { kind: 'api' }, kind: info.kind, egressId: info.id });
      return egressResponse(stopped ?? info);
    },
  },
];

function find(ctx: RestContext, params: Record<string, string>): Promise<EgressInfo> {
  const egressId = idParam(params, new CascadeError('EGRESS_NOT_FOUND'));
  return ctx.actors.call<EgressInfo>(EgressActions.find, { egressId });
}
