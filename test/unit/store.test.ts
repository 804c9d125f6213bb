import { CascadeError } from '../../schemas/errors';
import { driverOf, createDataSource } from '../../store/dataSource';
import { newId } from '../../store/ids';
import { hashPassword, verifyPassword } from '../../store/password';
import { redactUrl } from '../../store/redact';
import { slugify } from '../../store/repositories/RoomRepository';
import { isFinalEgressStatus } from '../../store/repositories/EgressRepository';

/** The store's pure helpers: no database involved. */

test('newId: prefix plus n characters of [a-z0-9], no repeats in 10k draws', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = newId('rm');
    expect(id).toMatch(/^rm_[a-z0-9]{8}$/);
    ids.add(id);
  }
  expect(ids.size).toBe(10_000);
  expect(newId('msg', 12)).toMatch(/^msg_[a-z0-9]{12}$/);
});

test.each([
  ['Weekly Sync', 'weekly-sync'],
  ['  --Café  Crème--  ', 'cafe-creme'],
  ['Ünïcode_Room #42!', 'unicode-room-42'],
  ['日本語', 'room'],
  ['', 'room'],
  ['a'.repeat(47) + '-bbbb', 'a'.repeat(47)],
])('slugify(%j) = %j', (name, slug) => {
  expect(slugify(name)).toBe(slug);
  expect(slug).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/);
});

test.each([
  ['rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl', 'rtmp://a.rtmp.youtube.com/live2/***'],
  ['rtmps://user:secretpw@live.example:443/app/streamkey', 'rtmps://user:***@live.example:443/app/***'],
  ['https://hooks.example/x?token=abc&sig=def', 'https://hooks.example/x?token=***&sig=***'],
  ['rtmp://127.0.0.1/live', 'rtmp://127.0.0.1/live'],
  ['not a url', '***'],
])('redactUrl(%j) = %j', (raw, redacted) => {
  expect(redactUrl(raw)).toBe(redacted);
});

test('redactUrl never returns the stream key or password', () => {
  const out = redactUrl('rtmp://me:pa55word@host/app/sk_live_SECRET?auth=SECRET2');
  for (const secret of ['pa55word', 'sk_live_SECRET', 'SECRET2']) expect(out).not.toContain(secret);
});

test('hashPassword: salted scrypt, verifies only the right password', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  expect(a).not.toBe(b); // different salts
  expect(a).not.toContain('correct horse');
  expect(await verifyPassword('correct horse', a)).toBe(true);
  expect(await verifyPassword('correct horse', b)).toBe(true);
  expect(await verifyPassword('correct hors', a)).toBe(false);
  expect(await verifyPassword('', a)).toBe(false);
  for (const bad of [null, undefined, '', 'plain', 'scrypt$x$y$z$$', 'bcrypt$1$2$3$aa$bb', 'scrypt$1000$8$1$AAAA$AAAA']) expect(await verifyPassword('x', bad)).toBe(false);
});

test('driverOf: empty url is SQLite, postgres:// is PostgreSQL, anything else is refused', () => {
  expect(driverOf({ url: '', sqlitePath: ':memory:', schema: '' })).toBe('sqlite');
  expect(driverOf({ url: 'postgres://u@h/db', sqlitePath: '', schema: '' })).toBe('postgres');
  expect(driverOf({ url: 'postgresql://u@h/db', sqlitePath: '', schema: '' })).toBe('postgres');
  expect(() => driverOf({ url: 'mysql://u@h/db', sqlitePath: '', schema: '' })).toThrow(CascadeError);
});

test('createDataSource refuses a schema name that is not a plain identifier', () => {
  const err = (() => {
    try {
      createDataSource({ url: 'postgres://u@127.0.0.1/db', sqlitePath: '', schema: 'x"; DROP TABLE rooms; --' });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  expect(err).toBeInstanceOf(CascadeError);
  expect((err as CascadeError).code).toBe('VALIDATION_FAILED');
  expect((err as CascadeError).fields?.[0].path).toBe('/database/schema');
});

test('egress final states', () => {
  expect(['starting', 'active', 'stopping', 'complete', 'failed'].filter((s) => isFinalEgressStatus(s as never))).toEqual(['complete', 'failed']);
});
