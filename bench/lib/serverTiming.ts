import { SignalingSession } from '../../gateway/SignalingSession';
import type { JoinStep } from './signaling';

/**
 * Server-side time of each signaling request: from the moment the gateway hands the WebSocket
 * message to its session until the session has answered it (`handleMessage` resolves after the
 * response is written to the socket). Wraps SignalingSession.prototype.handleMessage for the
 * benchmark process only; the message is decoded for its name after the clock stops.
 */
export interface SessionTimings {
  /** Samples per identity, in the order the requests were answered. */
  readonly byIdentity: Map<string, Partial<Record<JoinStep, number>>>;
  restore(): void;
}

export function timeSessions(): SessionTimings {
  const proto = SignalingSession.prototype;
  const original = proto.handleMessage;
  const byIdentity = new Map<string, Partial<Record<JoinStep, number>>>();
  proto.handleMessage = async function (this: SignalingSession, raw: Parameters<typeof original>[0]): Promise<void> {
    const t0 = process.hrtime.bigint();
    await original.call(this, raw);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const step = stepOf(raw);
    if (!step) return;
    let entry = byIdentity.get(this.identity);
    if (!entry) byIdentity.set(this.identity, (entry = {}));
    entry[step] = ms;
  };
  return {
    byIdentity,
    restore: () => {
      proto.handleMessage = original;
    },
  };
}

function stepOf(raw: Buffer | ArrayBuffer | Buffer[]): JoinStep | undefined {
  const text = Array.isArray(raw) ? Buffer.concat(raw).toString() : Buffer.from(raw as ArrayBuffer).toString();
  const msg = JSON.parse(text) as { method?: string; data?: { direction?: string } };
  switch (msg.method) {
    case 'getRouterRtpCapabilities':
    case 'join':
      return msg.method;
    case 'createTransport':
      return msg.data?.direction === 'send' ? 'createTransport send' : 'createTransport recv';
    default:
      return undefined;
  }
}
