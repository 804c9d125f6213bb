import { createSocket } from 'node:dgram';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { CascadeError } from '../schemas/errors';

/**
 * UDP ports ffmpeg listens on for RTP (even port) and RTCP (port + 1: ffmpeg 5.1 ignores the
 * SDP's a=rtcp and always uses RTP + 1). A pair is checked free by binding both ports, then
 * released for ffmpeg to bind when it opens the SDP; the process-wide `reserved` set stops two
 * jobs of this process from being handed the same pair in that gap. Ports are drawn below the
 * kernel's ephemeral range (32768+) so the kernel does not hand them to other sockets meanwhile.
 */

export interface PortPair {
  rtpPort: number;
  rtcpPort: number;
}

export interface PortRange {
  min: number;
  max: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { min: 20000, max: 29999 };

const reserved = new Set<number>();

async function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/** Reserves `count` free (even, even + 1) pairs on `host`. Release them with releasePorts(). */
export async function allocatePortPairs(count: number, host: string, range: PortRange = DEFAULT_PORT_RANGE): Promise<PortPair[]> {
  const pairs: PortPair[] = [];
  const first = range.min + (range.min % 2);
  const slots = Math.floor((range.max - 1 - first) / 2) + 1;
  if (slots <= 0) throw new CascadeError('EGRESS_FAILED', `port range ${range.min}..${range.max} is too small`);
  const start = Math.floor(Math.random() * slots);
  for (let i = 0; i < slots && pairs.length < count; i++) {
    const rtpPort = first + ((start + i) % slots) * 2;
    if (reserved.has(rtpPort)) continue;
    // Reserve before the asynchronous check so a concurrent allocation skips this pair.
    reserved.add(rtpPort);
    reserved.add(rtpPort + 1);
    if ((await udpFree(rtpPort, host)) && (await udpFree(rtpPort + 1, host))) {
      pairs.push({ rtpPort, rtcpPort: rtpPort + 1 });
    } else {
      reserved.delete(rtpPort);
      reserved.delete(rtpPort + 1);
    }
  }
  if (pairs.length < count) {
    releasePorts(pairs);
    throw new CascadeError('EGRESS_FAILED', `no ${count} free UDP port pairs in ${range.min}..${range.max}`);
  }
  return pairs;
}

export function releasePorts(pairs: readonly PortPair[]): void {
  for (const pair of pairs) {
    reserved.delete(pair.rtpPort);
    reserved.delete(pair.rtcpPort);
  }
}

/** Socket inodes of the UDP sockets bound to each port (from /proc/net/udp and udp6). */
async function udpInodesByPort(): Promise<Map<number, Set<string>>> {
  const byPort = new Map<number, Set<string>>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (!local || !inode) continue;
      const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      let inodes = byPort.get(port);
      if (!inodes) byPort.set(port, (inodes = new Set()));
      inodes.add(inode);
    }
  }
  return byPort;
}

async function socketInodesOf(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const dir = `/proc/${pid}/fd`;
  const fds = await readdir(dir).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`${dir}/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1]) inodes.add(match[1]);
  }
  return inodes;
}

/**
 * Resolves once process `pid` holds UDP sockets on every port (so RTP sent now is received),
 * i.e. ffmpeg has opened its SDP input. Rejects when `isAlive` turns false or after timeoutMs.
 * Linux-only (/proc); elsewhere it waits `fallbackMs` and hopes.
 */
export async function waitUntilListening(
  pid: number,
  ports: readonly number[],
  options: { timeoutMs: number; isAlive: () => boolean; fallbackMs?: number },
): Promise<void> {
  if (process.platform !== 'linux') {
    await new Promise((resolve) => setTimeout(resolve, options.fallbackMs ?? 1000));
    return;
  }
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (!options.isAlive()) throw new CascadeError('EGRESS_FAILED', 'ffmpeg exited before it listened for RTP');
    const [byPort, mine] = await Promise.all([udpInodesByPort(), socketInodesOf(pid)]);
    const missing = ports.filter((port) => ![...(byPort.get(port) ?? [])].some((inode) => mine.has(inode)));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new CascadeError('EGRESS_FAILED', `ffmpeg did not listen on UDP ${missing.join(', ')} within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
