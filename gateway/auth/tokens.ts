import jwt from 'jsonwebtoken';
import { AccessClaimsSchema, MintTokenSchema, type AccessClaims, type MintToken } from '../../schemas/auth';
import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import { validator } from '../../schemas/validate';

/**
 * Access tokens: HS256 JWTs carrying room, identity, name, role and region. Minted by the CLI
 * (and later the REST API), verified by the gateway on every WebSocket connect.
 */

type AuthConfig = Pick<Config['auth'], 'secret' | 'issuer' | 'defaultTtlSeconds'>;

const mintValidator = validator(MintTokenSchema);
const claimsValidator = validator(AccessClaimsSchema);

/** What a caller passes to mint: plain strings are fine, the schema checks them. */
export type MintTokenInput = Omit<MintToken, 'room'> & { room: string };

export function mintToken(auth: AuthConfig, claims: MintTokenInput): string {
  const { ttl, ...rest } = mintValidator.parse(claims);
  const payload: Omit<AccessClaims, 'exp' | 'iat' | 'iss'> = { ...rest, role: rest.role ?? 'guest' };
  return jwt.sign(payload, auth.secret, {
    algorithm: 'HS256',
    issuer: auth.issuer,
    expiresIn: ttl ?? auth.defaultTtlSeconds,
  });
}

export function verifyToken(auth: Pick<AuthConfig, 'secret' | 'issuer'>, token: string): AccessClaims {
  let decoded: string | jwt.JwtPayload;
  try {
    // Pinning the algorithm stops "alg: none" and key-confusion tokens.
    decoded = jwt.verify(token, auth.secret, { algorithms: ['HS256'], issuer: auth.issuer });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw new CascadeError('TOKEN_EXPIRED', `Access token expired at ${err.expiredAt.toISOString()}`);
    const reason = err instanceof Error ? err.message : String(err);
    throw new CascadeError('TOKEN_INVALID', `Access token is invalid: ${reason}`);
  }
  if (typeof decoded === 'string') throw new CascadeError('TOKEN_INVALID', 'Access token payload is not a JSON object');
  if (!claimsValidator.check(decoded)) {
    const errors = claimsValidator.errors(decoded);
    const first = errors[0];
    const claim = first ? first.path.replace(/^\//, '') || '(payload)' : '(payload)';
    throw new CascadeError('TOKEN_INVALID', `Access token claim "${claim}" is invalid: ${first?.message ?? 'bad value'}`, errors);
  }
  return decoded;
}
