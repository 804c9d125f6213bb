import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { startServer, type RunningServer } from '../../cli/server';
import { mergeConfig, type DeepPartial } from '../../config/load';
import type { Config } from '../../schemas/config';

/**
 * The real single-node server as the benchmarks run it: everything in one process (gateway,
 * actors, one mediasoup worker), free ports, in-memory SQLite, quiet logs, open auth. Like
 * test/helpers/server.ts, which bench/ cannot import (the build leaves test/ out).
 */
export async function startBenchServer(overrides: DeepPartial<Config> = {}): Promise<RunningServer> {
  const rtcPort = await freeUdpTcpPort();
  const base: DeepPartial<Config> = {
    http: { host: '127.0.0.1', port: 0 },
    auth: { mode: 'open' },
    rtc: { listenIp: '127.0.0.1', announcedIp: '127.0.0.1', port: rtcPort },
    mediasoup: { workers: 1 },
    database: { sqlitePath: ':memory:' },
    log: { level: 'warn' },
    room: { maxParticipants: 10_000 },
  };
  return startServer({ overrides: mergeConfig(base, overrides) });
}

/** The open-mode WebSocket URL for one participant. */
export function wsUrl(server: RunningServer, room: string, identity: string): string {
  const url = new URL('/ws', server.url.replace(/^http/, 'ws'));
  url.searchParams.set('room', room);
  url.searchParams.set('identity', identity);
  url.searchParams.set('name', identity);
  return url.toString();
}

/**
 * A port free for UDP and TCP on every address (the WebRtcServer listens on both), drawn below
 * Linux's ephemeral range so the kernel does not hand it out meanwhile.
 */
export async function freeUdpTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    if ((await udpFree(port)) && (await tcpFree(port))) return port;
  }
  throw new Error('no free port for the WebRtcServer');
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '0.0.0.0', () => socket.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}
