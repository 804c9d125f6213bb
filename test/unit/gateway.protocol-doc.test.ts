import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../schemas/errors';
import { ClientRequests, ServerEvents } from '../../schemas/signaling';

/** docs/protocol.md must describe every method, event and error code the schemas define. */

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');

test.each(Object.keys(ClientRequests))('method %s is documented', (method) => {
  expect(doc).toMatch(new RegExp(`^### .*\\b${method}\\b`, 'm'));
});

test.each(Object.keys(ServerEvents))('event %s is in the events table', (event) => {
  expect(doc).toMatch(new RegExp(`^\\| \`${event}\` \\|`, 'm'));
});

test.each(Object.entries(ErrorCodes))('error code %s is in the table with its status', (code, { status, message }) => {
  expect(doc).toContain(`| \`${code}\` | ${status} | ${message} |`);
});
