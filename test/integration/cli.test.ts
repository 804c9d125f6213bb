import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RunningServer } from '../../cli/server';
import { api, startTestServer } from '../helpers/server';

/** The `cascade` CLI (built into dist/) against a running server, through its REST API. */
jest.setTimeout(60_000);
const run = promisify(execFile);
const cli = path.join(__dirname, '..', '..', 'dist', 'cli', 'cascade.js');
let server: RunningServer;
let configFile: string;

beforeAll(async () => {
  server = await startTestServer();
  configFile = path.join(mkdtempSync(path.join(tmpdir(), 'cascade-cli-')), 'cascade.yaml');
  writeFileSync(configFile, `auth:\n  secret: ${server.config.auth.secret}\nhttp:\n  port: ${server.port}\n`);
});
afterAll(async () => {
  await server?.stop();
});

test('rooms, rooms:close and stats talk to the server', async () => {
  const room = (await api(server, 'POST', '/rooms', { body: { name: 'From CLI test' } })).body;
  const listed = await run('node', [cli, 'rooms', '--config', configFile]);
  expect(listed.stdout).toContain(room.id);
  expect(listed.stdout).toMatch(/\d+ of \d+ rooms/);
  await run('node', [cli, 'rooms:close', room.id, '--config', configFile]);
  expect((await api(server, 'GET', `/rooms/${room.id}`)).body.status).toBe('closed');
  const stats = JSON.parse((await run('node', [cli, 'stats', '--config', configFile])).stdout);
  expect(stats).toMatchObject({ nodes: 1, rooms: expect.any(Number) });
});

test('token mints a JWT the server accepts; bad input is refused with a message', async () => {
  const { stdout } = await run('node', [cli, 'token', '--room', 'demo', '--identity', 'ann', '--role', 'host', '--ttl', '60', '--config', configFile]);
  const claims = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString());
  expect(claims).toMatchObject({ room: 'demo', identity: 'ann', role: 'host', iss: 'cascade' });
  await expect(run('node', [cli, 'token', '--room', 'demo', '--identity', 'ann', '--role', 'king'])).rejects.toMatchObject({ stderr: expect.stringContaining('one of host') });
  await expect(run('node', [cli, 'rooms:close', 'rm_nothere', '--config', configFile])).rejects.toMatchObject({ stderr: expect.stringContaining('404 ROOM_NOT_FOUND') });
});

test('every command has --help', async () => {
  for (const command of ['server', 'setup', 'migrate', 'token', 'rooms', 'rooms:close', 'stats', 'config:example']) {
    const { stdout } = await run('node', [cli, command, '--help']);
    expect(stdout).toContain(`Usage: cascade ${command}`);
  }
});

// Machines here ship an older system Node; `npm run setup` caches Node 24 and records it in
// node_modules/.cascade-node, and the CLI re-runs itself on it (cli/cascade.ts).
const systemNode = '/usr/bin/node';
const systemMajor = (() => {
  try {
    return Number(execFileSync(systemNode, ['-p', 'process.versions.node.split(".")[0]']).toString());
  } catch {
    return 0;
  }
})();
(systemMajor > 0 && systemMajor < 22 ? test : test.skip)('an older system Node runs the CLI on the runtime setup installed', async () => {
  const { stdout } = await run(systemNode, [cli, 'token', '--room', 'demo', '--identity', 'old', '--ttl', '60', '--config', configFile]);
  expect(stdout.trim().split('.')).toHaveLength(3);
  // The re-run exits with the program's own status: a refused argument still fails.
  await expect(run(systemNode, [cli, 'token', '--room', 'demo', '--identity', 'old', '--role', 'king'])).rejects.toMatchObject({ code: 1 });
});

test('the server runs on Node 22 or newer', () => {
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
});
