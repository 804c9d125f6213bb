import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import { AdminClaimsSchema } from '../../schemas/rest';
import { can, type Permission, type Role } from '../../schemas/roles';
import { validator } from '../../schemas/validate';
import { verifyToken } from '../auth/tokens';

const adminClaims = validator(AdminClaimsSchema);

/**
 * Who called the REST API: an API key pair from the config, an admin JWT, or (on the routes that
 * allow it) a participant's access token for the room in the path, whose role grants the route's
 * permission (a host starting a recording from the client, say).
 */
export type ApiCaller =
  | { kind: 'api_key'; key: string }
  | { kind: 'admin_token'; subject: string }
  | { kind: 'participant'; identity: string; role: Role };

/** A route that participants' tokens may call too: theirs must be for `roomId` and grant `permission`. */
export interface ParticipantAccess {
  roomId: string;
  permission: Permission;
}

/**
 * `Authorization: Bearer <key>:<secret>` (a pair from auth.apiKeys) or `Bearer <admin JWT>`
 * (signed with auth.secret, claim `admin: true`; `cascade` CLI mints one). A participant's access
 * token is valid but not enough: FORBIDDEN.
 */
export function authenticateApi(req: IncomingMessage, auth: Config['auth'], participants?: ParticipantAccess): ApiCaller {
  const header = req.headers.authorization;
  if (!header) throw new CascadeError('UNAUTHORIZED', 'Authorization: Bearer <api-key>:<api-secret> or an admin token is required');
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match?.[1]) throw new CascadeError('UNAUTHORIZED', 'Authorization must use the Bearer scheme');
  const credential = match[1].trim();

  const colon = credential.indexOf(':');
  if (colon > 0 && !credential.includes('.')) {
    const key = credential.slice(0, colon);
    const secret = credential.slice(colon + 1);
    const pair = auth.apiKeys.find((k) => k.key === key);
    if (!pair || !sameSecret(pair.secret, secret)) throw new CascadeError('UNAUTHORIZED', 'Unknown API key or wrong secret');
    return { kind: 'api_key', key };
  }

  let decoded: unknown;
  try {
    decoded = jwt.verify(credential, auth.secret, { algorithms: ['HS256'], issuer: auth.issuer });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw new CascadeError('TOKEN_EXPIRED');
    throw new CascadeError('UNAUTHORIZED', 'Bearer token is neither an API key pair nor a valid admin token');
  }
  if (!adminClaims.check(decoded)) {
    if (participants) return participantCaller(auth, credential, participants);
    throw new CascadeError('FORBIDDEN', 'This token is not an admin token');
  }
  return { kind: 'admin_token', subject: decoded.sub ?? 'admin' };
}

function participantCaller(auth: Config['auth'], credential: string, access: ParticipantAccess): ApiCaller {
  const claims = verifyToken(auth, credential);
  if (claims.room !== access.roomId) throw new CascadeError('FORBIDDEN', 'This access token is for another room');
  if (!can(claims.role, access.permission)) throw new CascadeError('FORBIDDEN', `Role ${claims.role} may not ${access.permission.replace('_', ' ')}`);
  return { kind: 'participant', identity: claims.identity, role: claims.role };
}

/** An admin JWT for the CLI and operators' scripts. */
export function mintAdminToken(auth: Config['auth'], ttlSeconds = 300, subject = 'cli'): string {
  return jwt.sign({ admin: true, sub: subject }, auth.secret, { algorithm: 'HS256', issuer: auth.issuer, expiresIn: ttlSeconds });
}

function sameSecret(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
