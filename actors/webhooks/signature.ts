import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Cascade-Signature: sha256=<hex HMAC-SHA256 of the raw request body>`,
 * keyed with the hook's secret. Receivers recompute it over the bytes they received (before any
 * JSON parsing) and compare in constant time, as verifyWebhookSignature does.
 */
export const SIGNATURE_PREFIX = 'sha256=';

export function signWebhook(secret: string, body: string | Buffer): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifyWebhookSignature(secret: string, body: string | Buffer, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(secret, body));
  const actual = Buffer.from(header.trim());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
