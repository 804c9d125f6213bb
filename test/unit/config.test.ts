import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, envName, loadConfig } from '../../config/load';

function yamlFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cascade-config-')), 'cascade.yaml');
  writeFileSync(file, text);
  return file;
}

describe('config', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({ env: { HOME: '/home/x' } });
    expect(config.http.port).toBe(7880);
    expect(config.auth.mode).toBe('token');
    expect(config.codecs).toEqual(['opus', 'VP8', 'VP9', 'H264']);
    expect(config.mediasoup.workers).toBeGreaterThan(0);
    expect(config.mediasoup.workerBin).toBe('/home/x/.cache/cascade/mediasoup-worker/3.12.16/mediasoup-worker');
    expect(config.node.id).toMatch(/-\d+$/);
  });

  it('layers defaults < file < environment < overrides', () => {
    const file = yamlFile('http:\n  port: 9000\n  host: 127.0.0.1\nroom:\n  maxParticipants: 5\n');
    const config = loadConfig({ file, env: { CASCADE_HTTP_PORT: '9100', CASCADE_CODECS: 'opus,VP8' }, overrides: { room: { maxParticipants: 7 } } });
    expect(config.http.port).toBe(9100);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.codecs).toEqual(['opus', 'VP8']);
    expect(config.room.maxParticipants).toBe(7);
  });

  it('names the bad key and where it came from', () => {
    expect(() => loadConfig({ env: { CASCADE_HTTP_PORT: 'eighty' } })).toThrow(/CASCADE_HTTP_PORT="eighty" is not a number/);
    expect(() => loadConfig({ env: { CASCADE_HTTP_PORT: '70000' } })).toThrow(/http\.port.*CASCADE_HTTP_PORT/);
    expect(() => loadConfig({ file: yamlFile('http:\n  prot: 1\n'), env: {} })).toThrow(/unknown key "http.prot"/);
    expect(() => loadConfig({ env: { CASCADE_AUTH_MODE: 'magic' } })).toThrow(ConfigError);
  });

  it('derives env names from config paths', () => {
    expect(envName(['http', 'maxMessageBytes'])).toBe('CASCADE_HTTP_MAX_MESSAGE_BYTES');
    expect(envName(['cluster', 'transporter'])).toBe('CASCADE_CLUSTER_TRANSPORTER');
  });
});

describe('config/cascade.example.yaml', () => {
  const { renderExampleConfig } = require('../../config/example') as typeof import('../../config/example');
  const file = path.join(__dirname, '..', '..', 'config', 'cascade.example.yaml');

  it('is what the schema renders (regenerate: node dist/cli/cascade.js config:example > config/cascade.example.yaml)', () => {
      expect(require('node:fs').readFileSync(file, 'utf8')).toBe(renderExampleConfig());
  });

  it('loads as a config file', () => {
    expect(loadConfig({ file, env: {} }).http.port).toBe(7880);
  });
});
