import { Type } from '@sinclair/typebox';
import { CascadeError } from '../../schemas/errors';
import type { RoomId } from '../../schemas/ids';
import { validator } from '../../schemas/validate';
import type { RouteParams } from '../http/router';

const idCheck = validator(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }) }));

/** The `:id` of a room route; a malformed one cannot name a room. */
export function roomIdParam(params: RouteParams): RoomId {
  if (!idCheck.check(params)) throw new CascadeError('ROOM_NOT_FOUND');
  return params.id as RoomId;
}

/** The `:id` of a route on another kind of resource, or `notFound`. */
export function idParam(params: RouteParams, notFound: CascadeError): string {
  if (!idCheck.check(params)) throw notFound;
  return params.id;
}
