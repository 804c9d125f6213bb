import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Room passwords are stored as `scrypt$N$r$p$<salt b64>$<hash b64>`, never in clear. The cost
 * parameters travel with the hash so they can be raised later without breaking stored rooms.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(plain, salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** False for a wrong password and for a hash this module did not write (never throws on bad input). */
export async function verifyPassword(plain: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (!Number.isInteger(n) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  // scrypt needs 128 * N * r bytes; allow for the stored parameters rather than the default 32 MiB cap.
  const maxmem = 256 * n * r + 1024 * 1024;
  try {
    const key = await scryptAsync(plain, salt, expected.length, { N: n, r, p, maxmem });
    return timingSafeEqual(key, expected);
  } catch {
    return false; // parameters scrypt refuses (e.g. N not a power of two): not a hash we wrote
  }
}
