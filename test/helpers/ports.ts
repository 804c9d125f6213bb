import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Free ports for tests. Nothing holds them after the check, so another process may take one
 * in between; ranges are drawn at random below Linux's ephemeral range (32768+), where the
 * kernel does not hand out ports on its own, to make that unlikely.
 */

/** A TCP port free on 127.0.0.1 (picked by the kernel). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

async function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

async function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports free for both UDP and TCP on `host` (0.0.0.0 by default, which also
 * covers every specific address), e.g. a WebRtcServer port per worker or an rtcMinPort..rtcMaxPort
 * range. Returns the first and last port.
 */
export async function freeUdpPortRange(count: number, host = '0.0.0.0'): Promise<{ min: number; max: number }> {
  const low = 10000;
  const high = 32000;
  for (let attempt = 0; attempt < 200; attempt++) {
    const min = low + Math.floor(Math.random() * (high - low - count));
    let ok = true;
    for (let port = min; port < min + count && ok; port++) {
      ok = (await udpFree(port, host)) && (await tcpFree(port, host));
    }
    if (ok) return { min, max: min + count - 1 };
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
