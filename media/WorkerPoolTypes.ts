import type { types as ms } from 'mediasoup';

export type Mediasoup = typeof import('mediasoup');

export type WorkerPoolOptions = {
  /** The loaded mediasoup module (see mediasoupLoader.ts). */
  mediasoup: Mediasoup;
  /** Worker processes to run. At least 1. */
  numWorkers: number;
  logLevel: ms.WorkerLogLevel;
  /** IP the WebRtcServers bind. */
  listenIp: string;
  /** IP put in ICE candidates; undefined = listenIp. */
  announcedIp?: string;
  /** Worker i's WebRtcServer listens on webRtcServerPort + i (UDP, and TCP if enableTcp). */
  webRtcServerPort: number;
  enableTcp: boolean;
  /** Port range for PlainTransports and PipeTransports (WebRtcTransports use the WebRtcServer). */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Delay before retrying a failed replacement, growing per attempt up to 5 s. Default 500 ms. */
  replaceRetryMs?: number;
};

/** A live worker and the WebRtcServer every WebRtcTransport on it shares. */
export type PooledWorker = {
  readonly slot: number;
  readonly pid: number;
  readonly worker: ms.Worker;
  readonly webRtcServer: ms.WebRtcServer;
};

export type WorkerPoolEvents = {
  /** A worker process exited without being closed; its routers are already closed. */
  workerDied: { slot: number; pid: number; error: Error };
  /** A replacement worker serves the dead worker's slot (same WebRtcServer port). */
  workerReplaced: { slot: number; pid: number; previousPid: number };
  /** Starting a replacement failed; the pool keeps retrying until closed. */
  workerReplaceFailed: { slot: number; attempt: number; error: Error };
};
