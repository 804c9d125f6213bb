import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `<prefix>_<n random chars>` from [a-z0-9]. Rejection sampling keeps every character equally
 * likely (256 is not a multiple of 36), so 8 characters really carry ~41 bits.
 */
export function newId(prefix: string, length = 8): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 252) continue; // 252 = 7 * 36: above it the modulo would favour some characters
      out += ALPHABET[byte % 36];
      if (out.length === length) break;
    }
  }
  return `${prefix}_${out}`;
}
