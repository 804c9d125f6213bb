import jwt from 'jsonwebtoken';
import { authenticate } from '../../gateway/auth/connect';
import { mintToken, verifyToken } from '../../gateway/auth/tokens';
import type { Config } from '../../schemas/config';
import { CascadeError, type ErrorCode } from '../../schemas/errors';

const auth: Config['auth'] = {
  mode: 'token',
  secret: 'unit-test-secret-0123456789',
  issuer: 'cascade-test',
  defaultTtlSeconds: 3600,
  apiKeys: [],
};

function codeOf(fn: () => unknown): ErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (err instanceof CascadeError) return err.code;
    throw err;
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('access tokens', () => {
  test('a minted token verifies and carries its claims, issuer and expiry', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = mintToken(auth, { room: 'standup', identity: 'alice', name: 'Alice', role: 'host', region: 'eu', ttl: 60 });
    const claims = verifyToken(auth, token);
    expect(claims).toMatchObject({ room: 'standup', identity: 'alice', name: 'Alice', role: 'host', region: 'eu', iss: 'cascade-test' });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 60);
    expect(claims.exp).toBeLessThanOrEqual(before + 61);
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
  });

  test('role defaults to guest and lifetime to auth.defaultTtlSeconds', () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = verifyToken(auth, mintToken(auth, { room: 'r1', identity: 'bob' }));
    expect(claims.role).toBe('guest');
    expect(claims.exp! - now).toBeGreaterThanOrEqual(3599);
    expect(claims.exp! - now).toBeLessThanOrEqual(3601);
  });

  test('minting rejects bad claims with VALIDATION_FAILED', () => {
    expect(codeOf(() => mintToken(auth, { room: 'has spaces', identity: 'x' }))).toBe('VALIDATION_FAILED');
  });

  test('an expired token is TOKEN_EXPIRED', () => {
    const token = jwt.sign({ room: 'r1', identity: 'a', role: 'guest' }, auth.secret, {
      algorithm: 'HS256',
      issuer: auth.issuer,
      expiresIn: -10,
    });
    expect(codeOf(() => verifyToken(auth, token))).toBe('TOKEN_EXPIRED');
  });

  test('a forged signature is TOKEN_INVALID', () => {
    const forged = mintToken({ ...auth, secret: 'someone-elses-secret' }, { room: 'r1', identity: 'mallory', role: 'host' });
    expect(codeOf(() => verifyToken(auth, forged))).toBe('TOKEN_INVALID');
    // Payload tampered after signing.
    const [h, , s] = mintToken(auth, { room: 'r1', identity: 'eve' }).split('.');
    const body = Buffer.from(JSON.stringify({ room: 'r1', identity: 'eve', role: 'host', iss: auth.issuer })).toString('base64url');
    expect(codeOf(() => verifyToken(auth, `${h}.${body}.${s}`))).toBe('TOKEN_INVALID');
  });

  test('alg none and non-JWT strings are TOKEN_INVALID', () => {
    const unsigned = jwt.sign({ room: 'r1', identity: 'a', role: 'host', iss: auth.issuer }, '', { algorithm: 'none' });
    expect(codeOf(() => verifyToken(auth, unsigned))).toBe('TOKEN_INVALID');
    expect(codeOf(() => verifyToken(auth, 'not-a-jwt'))).toBe('TOKEN_INVALID');
  });

  test('a token from another issuer is TOKEN_INVALID', () => {
    const other = mintToken({ ...auth, issuer: 'someone-else' }, { room: 'r1', identity: 'a' });
    expect(codeOf(() => verifyToken(auth, other))).toBe('TOKEN_INVALID');
    expect(messageOf(() => verifyToken(auth, other))).toMatch(/issuer/);
  });

  test('a missing or malformed claim is TOKEN_INVALID naming the claim', () => {
    const noRoom = jwt.sign({ identity: 'a', role: 'guest' }, auth.secret, { algorithm: 'HS256', issuer: auth.issuer, expiresIn: 60 });
    expect(codeOf(() => verifyToken(auth, noRoom))).toBe('TOKEN_INVALID');
    expect(messageOf(() => verifyToken(auth, noRoom))).toMatch(/"room"/);

    const badRole = jwt.sign({ room: 'r1', identity: 'a', role: 'emperor' }, auth.secret, { algorithm: 'HS256', issuer: auth.issuer, expiresIn: 60 });
    expect(codeOf(() => verifyToken(auth, badRole))).toBe('TOKEN_INVALID');
    expect(messageOf(() => verifyToken(auth, badRole))).toMatch(/"role"/);
  });
});

describe('connection authentication', () => {
  const q = (s: string) => new URLSearchParams(s);

  test('token mode needs a token: missing is TOKEN_MISSING', () => {
    expect(codeOf(() => authenticate(auth, q('room=r1&identity=a')))).toBe('TOKEN_MISSING');
    expect(codeOf(() => authenticate({ ...auth, mode: 'lobby' }, q('')))).toBe('TOKEN_MISSING');
  });

  test('token mode accepts a valid token', () => {
    const token = mintToken(auth, { room: 'r1', identity: 'a', role: 'co_host' });
    expect(authenticate(auth, q(`token=${token}`))).toMatchObject({ room: 'r1', identity: 'a', role: 'co_host' });
  });

  test('open mode takes the query, defaulting role to guest and identity to a random one', () => {
    const open = { ...auth, mode: 'open' as const };
    const a = authenticate(open, q('room=demo&name=Ann'));
    const b = authenticate(open, q('room=demo'));
    expect(a).toMatchObject({ room: 'demo', name: 'Ann', role: 'guest' });
    expect(a.identity).toMatch(/^guest-[0-9a-f]{8}$/);
    expect(b.identity).not.toBe(a.identity);
    expect(authenticate(open, q('room=demo&identity=host1&role=host'))).toMatchObject({ identity: 'host1', role: 'host' });
  });

  test('open mode validates the query with the claim schemas', () => {
    const open = { ...auth, mode: 'open' as const };
    expect(codeOf(() => authenticate(open, q('identity=a')))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => authenticate(open, q('room=bad room')))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => authenticate(open, q('room=r&role=king')))).toBe('VALIDATION_FAILED');
    expect(messageOf(() => authenticate(open, q('room=r&role=king')))).toMatch(/role/);
  });

  test('open mode still verifies a token when one is given', () => {
    const open = { ...auth, mode: 'open' as const };
    expect(codeOf(() => authenticate(open, q('token=garbage')))).toBe('TOKEN_INVALID');
  });
});
