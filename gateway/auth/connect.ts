import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { AccessClaims } from '../../schemas/auth';
import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import { IdentitySchema, RoomIdSchema } from '../../schemas/ids';
import { RoleSchema } from '../../schemas/roles';
import { validator } from '../../schemas/validate';
import { verifyToken } from './tokens';

/**
 * Who is connecting, decided once per WebSocket from its URL. `token` and `lobby` modes need a
 * signed token (`?token=`); `open` mode (development) takes room/identity/name/role from the query
 * and still honours a token when one is given.
 */

/** Query parameters accepted in open mode; the same id schemas as token claims. */
export const OpenModeQuerySchema = Type.Object({
  room: RoomIdSchema,
  identity: IdentitySchema,
  name: Type.Optional(Type.String({ maxLength: 128 })),
  role: RoleSchema,
  region: Type.Optional(Type.String({ maxLength: 64 })),
});

const openQuery = validator(OpenModeQuerySchema);

export function authenticate(auth: Config['auth'], query: URLSearchParams): AccessClaims {
  const token = query.get('token');
  if (token) return verifyToken(auth, token);
  if (auth.mode !== 'open') throw new CascadeError('TOKEN_MISSING', 'Connect with /ws?token=<access token>');

  const candidate: Record<string, string> = {
    room: query.get('room') ?? '',
    identity: query.get('identity') || `guest-${randomBytes(4).toString('hex')}`,
    role: query.get('role') || 'guest',
  };
  for (const key of ['name', 'region'] as const) {
    const value = query.get(key);
    if (value) candidate[key] = value;
  }
  if (!openQuery.check(candidate)) {
    const errors = openQuery.errors(candidate);
    const names = [...new Set(errors.map((e) => e.path.replace(/^\//, '')))].join(', ');
    throw new CascadeError('VALIDATION_FAILED', `Bad connection parameters: ${names}`, errors);
  }
  return candidate;
}
