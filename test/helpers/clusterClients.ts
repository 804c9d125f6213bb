import type { Browser, Page } from 'playwright-core';
import type { RoomMediaStats } from '../../media';
import type { ConsumerParams, TransportParams } from '../../schemas/media';
import type { Role } from '../../schemas/roles';
import type { JoinedData } from '../../schemas/signaling';
import { openPage, poll, type ClientPage } from './browser';
import type { Cluster, ClusterNode } from './cluster';
import { RtpSource, rtpParametersFor } from './rtpSource';
import { TestSignalingClient, type Frame } from './signalingClient';

/**
 * Participants without a browser, for the cluster tests and benchmarks: signaling clients over
 * `ws` that join and consume on recv transports (they never complete ICE: what is measured is
 * what reaches their node), and an ffmpeg publisher fed into a plain-RTP producer.
 */

export class WsParticipant {
  readonly transports: TransportParams[] = [];
  readonly consumers: ConsumerParams[] = [];
  #recv?: TransportParams;

  private constructor(
    readonly client: TestSignalingClient,
    readonly joined: JoinedData,
  ) {}

  /** Connects to `node`'s gateway with `token` and joins (the router's capabilities stand in for a device's). */
  static async join(node: Pick<ClusterNode, 'wsUrl'>, token: string): Promise<WsParticipant> {
    const client = await TestSignalingClient.connect(`${node.wsUrl}?token=${encodeURIComponent(token)}`);
    try {
      const { rtpCapabilities } = await client.call<{ rtpCapabilities: Record<string, unknown> }>('getRouterRtpCapabilities');
      const joined = await client.call<JoinedData & { status: string }>('join', { rtpCapabilities });
      if (joined.status !== 'joined') throw new Error(`join: ${joined.status}`);
      return new WsParticipant(client, joined);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  get participantId(): string {
    return this.joined.self.id;
  }

  /** The media node the room placed this participant on. */
  get nodeId(): string {
    return this.joined.node.id;
  }

  /** Consumes each producer on one recv transport (created on first use) and resumes it. */
  async subscribe(producerIds: string[]): Promise<ConsumerParams[]> {
    this.#recv ??= await this.client.call<TransportParams>('createTransport', { direction: 'recv' });
    const made: ConsumerParams[] = [];
    for (const producerId of producerIds) {
      const consumer = await this.client.call<ConsumerParams>('consume', { producerId });
      await this.client.call('resumeConsumer', { consumerId: consumer.id });
      this.consumers.push(consumer);
      made.push(consumer);
    }
    return made;
  }

  async chat(text: string): Promise<void> {
    await this.client.call('chat', { text });
  }

  /** Leaves politely (the room releases the media at once) and closes the socket. */
  async leave(): Promise<void> {
    if (this.client.isOpen) await this.client.request('leave', {}, 5000).catch(() => undefined);
    await this.client.close();
  }
}

export interface Ingest {
  audioProducerId: string;
  videoProducerId: string;
  stop(): Promise<void>;
}

/**
 * Publishes for `publisher` (a participant on `node`) without a browser: two plain-RTP producers on
 * its media node fed by ffmpeg (VP8 320x240 15 fps ~300 kb/s, opus 48 kb/s), announced to the
 * room as that participant's camera and microphone. Uses the media service's own
 * createPlainProducer and the room's trackPublished, through the probe broker. The participant
 * actor does not know these tracks: a room rebuilt after a failover (from the actors) will not
 * list them, although their media keeps flowing.
 */
export function ingest(cluster: Cluster, node: ClusterNode, publisher: WsParticipant): Promise<Ingest> {
  return ingestVia((action, params) => cluster.call(node, action, params), node.id, publisher);
}

/** A broker call addressed to the publisher's media node (a cluster probe, or a server's own broker). */
export type NodeCall = <T>(action: string, params: object) => Promise<T>;

/** `ingest` through any broker: `call` reaches the media and room services of node `nodeId`. */
export async function ingestVia(call: NodeCall, nodeId: string, publisher: WsParticipant): Promise<Ingest> {
  const roomId = publisher.joined.room.id;
  const participantId = publisher.participantId;
  const sources: RtpSource[] = [];
  const ids: Record<'audio' | 'video', string> = { audio: '', video: '' };
  for (const kind of ['video', 'audio'] as const) {
    const codec = kind === 'video' ? 'VP8' : 'opus';
    const payloadType = kind === 'video' ? 101 : 100;
    const ssrc = 10_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const source = kind === 'video' ? 'camera' : 'microphone';
    const producer = await call<{ producerId: string; localIp: string; localRtpPort: number; localRtcpPort: number }>('media.createPlainProducer', {
      roomId,
      participantId,
      kind,
      rtpParameters: rtpParametersFor(codec, payloadType, ssrc),
      source,
    });
    sources.push(new RtpSource({ kind, codec, payloadType, ssrc, ip: producer.localIp, rtpPort: producer.localRtpPort, rtcpPort: producer.localRtcpPort }));
    await call('room.trackPublished', {
      roomId,
      nodeId,
      track: { producerId: producer.producerId, participantId, identity: publisher.joined.self.identity, kind, source, muted: false },
    });
    ids[kind] = producer.producerId;
  }
  return { audioProducerId: ids.audio, videoProducerId: ids.video, stop: async () => void (await Promise.all(sources.map((s) => s.stop()))) };
}

/**
 * The failure tests' cast in `room` on a 3-node cluster: dora joins first through node2 (so node2
 * owns the room), alice on node1, bob through node1's gateway but in region us (his media on
 * node2), carol on node3. `bobToken` lets a test rejoin him as the browser client would.
 */
export async function joinCast(cluster: Cluster, room: string): Promise<{ dora: WsParticipant; alice: WsParticipant; bob: WsParticipant; carol: WsParticipant; bobToken: string }> {
  const dora = await WsParticipant.join(cluster.node('node2'), cluster.token(room, 'dora'));
  const alice = await WsParticipant.join(cluster.node('node1'), cluster.token(room, 'alice'));
  const bobToken = cluster.token(room, 'bob', { region: 'us' });
  const bob = await WsParticipant.join(cluster.node('node1'), bobToken);
  const carol = await WsParticipant.join(cluster.node('node3'), cluster.token(room, 'carol'));
  return { dora, alice, bob, carol, bobToken };
}

/** Bytes received by the mirrors (piped-in producers) of the given origin producers (all when omitted). */
export function mirrorBytes(stats: RoomMediaStats, ids?: string[]): number {
  return stats.producers.filter((p) => p.piped && (!ids || ids.includes(p.producerId))).reduce((sum, p) => sum + p.byteCount, 0);
}

/** Matches a signaling frame about `identity` (participant_left, reconnect, …). */
export const about =
  (identity: string) =>
  (f: Frame): boolean =>
    (f.data as { identity?: string } | undefined)?.identity === identity;

// ---- Chromium pages ----------------------------------------------------------------------------

export interface InboundStats {
  videoFramesDecoded: number;
  videoBytes: number;
  audioPackets: number;
  audioBytes: number;
}

/** What the browser client's `window.cascade` hooks say, read in one evaluate. */
export interface PageSnapshot {
  state: string;
  events: string[];
  remotes: string[];
  chat: string[];
  stats: { byIdentity: Record<string, InboundStats>; outboundVideoFramesEncoded: number; outboundAudioPackets: number };
}

interface Hooks {
  state: string;
  events: string[];
  remoteIdentities(): string[];
  getStats(): Promise<PageSnapshot['stats']>;
}
declare const window: { cascade: Hooks };
declare const document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };

export async function snapshot(page: Page): Promise<PageSnapshot> {
  return page.evaluate(async () => ({
    state: window.cascade.state,
    events: [...window.cascade.events],
    remotes: window.cascade.remoteIdentities(),
    chat: Array.from(document.querySelectorAll('#chat-log li p')).map((p) => p.textContent ?? ''),
    stats: await window.cascade.getStats(),
  }));
}

/** The client page of `node`, joining `room` as `identity` with a token (region hint optional). */
export async function openClient(browser: Browser, cluster: Cluster, node: ClusterNode, room: string, identity: string, options: { region?: string; role?: Role } = {}): Promise<ClientPage> {
  const token = cluster.token(room, identity, { name: identity, ...options });
  return openPage(browser, `${node.url}/?token=${encodeURIComponent(token)}&autojoin=1`);
}

export async function waitForJoined(pages: Record<string, ClientPage>, timeoutMs = 30000): Promise<void> {
  await poll(
    `${Object.keys(pages).join(', ')} to join`,
    async () => {
      const states = await Promise.all(Object.entries(pages).map(async ([name, p]) => `${name} ${(await snapshot(p.page)).state}`));
      return { done: states.every((s) => s.endsWith(' joined')), detail: states.join(', ') };
    },
    { timeoutMs },
  );
}

/** Until `receiver` decodes video frames and receives audio packets from `sender` (above `after`, if given). */
export async function waitForMedia(receiver: ClientPage, receiverName: string, sender: string, options: { timeoutMs?: number; after?: InboundStats } = {}): Promise<InboundStats> {
  let seen: InboundStats | undefined;
  await poll(
    `${receiverName} to decode video and receive audio from ${sender}`,
    async () => {
      const s = await snapshot(receiver.page);
      seen = s.stats.byIdentity[sender];
      const after = options.after ?? { videoFramesDecoded: 0, audioPackets: 0, videoBytes: 0, audioBytes: 0 };
      const done = Boolean(seen && seen.videoFramesDecoded > after.videoFramesDecoded && seen.audioPackets > after.audioPackets);
      const detail = `state ${s.state}, tiles [${s.remotes.join(', ')}], from ${sender}: ${seen ? `framesDecoded ${seen.videoFramesDecoded}, audio packets ${seen.audioPackets}` : 'no consumer'}; events ${s.events.slice(-6).join(',')}; log ${receiver.log.slice(-2).join(' | ')}`;
      return { done, detail };
    },
    { timeoutMs: options.timeoutMs ?? 30000 },
  );
  return seen as InboundStats;
}
