import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `<prefix>_<n random chars>`: short, URL-safe, unguessable enough for public ids. */
export function newId<T extends string>(prefix: string, length = 12): T {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}` as T;
}
