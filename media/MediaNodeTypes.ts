import type { CodecName } from '../schemas/config';
import type { ConsumerId, ParticipantId, ProducerId, TransportId } from '../schemas/ids';
import type { MediaCloseReason, MediaEvents, MediaKind, MediaRequest, Opaque, TrackSource } from '../schemas/media';

/**
 * Everything a MediaNode needs, as plain values (the caller maps config onto this; media/
 * reads no config or environment itself).
 */
export type MediaNodeOptions = {
  /** Path of the mediasoup-worker binary. Required; a clear error tells to run `npm run setup` when missing. */
  workerBin: string;
  /** Worker processes. Default 1. */
  numWorkers?: number;
  /** mediasoup worker log level. Default 'warn'. */
  logLevel?: 'debug' | 'warn' | 'error' | 'none';
  /** IP the WebRtcServers, plain and pipe transports bind. Default '127.0.0.1'. */
  listenIp?: string;
  /**
   * IP given to peers (ICE candidates, plain/pipe tuples). Default: listenIp, or '127.0.0.1'
   * when listenIp is a wildcard (0.0.0.0 / ::), which is never a usable candidate.
   */
  announcedIp?: string;
  /** Worker i's WebRtcServer listens on webRtcServerPort + i, UDP (and TCP). Default 44400. */
  webRtcServerPort?: number;
  /** Offer ICE over TCP as well as UDP. Default true. */
  enableTcp?: boolean;
  /** Port range of plain and pipe transports. Default 40000..49999. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
  /** Codecs every router offers, in preference order. Default ['opus', 'VP8', 'VP9', 'H264']. */
  codecs?: CodecName[];
  /** Starting send bitrate estimate of WebRtcTransports, bits/s. Default 1000000. */
  initialOutgoingBitrate?: number;
  /** ActiveSpeakerObserver interval, ms. Default 300. */
  activeSpeakerIntervalMs?: number;
  /** Largest data message payload, bytes; larger ones are refused (dataRejected). Default 65536. */
  maxDataMessageBytes?: number;
};

export const MEDIA_NODE_DEFAULTS = {
  numWorkers: 1,
  logLevel: 'warn',
  listenIp: '127.0.0.1',
  webRtcServerPort: 44400,
  enableTcp: true,
  rtcMinPort: 40000,
  rtcMaxPort: 49999,
  codecs: ['opus', 'VP8', 'VP9', 'H264'],
  initialOutgoingBitrate: 1_000_000,
  activeSpeakerIntervalMs: 300,
  maxDataMessageBytes: 65536,
} as const satisfies Omit<Required<MediaNodeOptions>, 'workerBin' | 'announcedIp'>;

/**
 * Events of a MediaNode: the shared MediaEvents plus node-local ones.
 *
 * consumerClosed / producerClosed are emitted only when an object closes as a consequence of
 * something else (its producer, transport, router or worker went away), never for the object a
 * caller closed directly (closeConsumer, closeProducer), and not while the node itself closes.
 * producerClosed is not emitted for piped producers (mirrors of another node's producer).
 */
export interface MediaNodeEvents extends MediaEvents {
  /** A pipe consumer (this node feeding another node) closed; that node's mirror producer must go too. */
  pipeConsumerClosed: {
    roomId: string;
    transportId: string;
    remoteNodeId: string;
    consumerId: string;
    producerId: string;
    reason: MediaCloseReason;
  };
  /** A dead worker's slot serves again (same WebRtcServer port). */
  workerReplaced: { pid: number; previousPid: number };
  /** Starting a replacement worker failed; the node retries until closed. */
  workerReplaceFailed: { attempt: number; error: string };
}

export type PlainConsumerRequest = MediaRequest<'createPlainConsumer'>;

export type PlainConsumerParams = {
  transportId: TransportId;
  consumerId: ConsumerId;
  producerId: ProducerId;
  kind: MediaKind;
  /** The consumer's RTP parameters: payload types, SSRC and codec of what arrives at remoteRtpPort. */
  rtpParameters: Opaque;
  localIp: string;
  localRtpPort: number;
  localRtcpPort: number;
};

export type PlainProducerRequest = MediaRequest<'createPlainProducer'>;

export type PlainProducerParams = {
  transportId: TransportId;
  producerId: ProducerId;
  /** Send RTP to localIp:localRtpPort and RTCP to localIp:localRtcpPort (comedia latches the sender). */
  localIp: string;
  localRtpPort: number;
  localRtcpPort: number;
};

export type PipeTransportRequest = MediaRequest<'createPipeTransport'>;

export type PipeTransportParams = {
  transportId: TransportId;
  ip: string;
  port: number;
  srtpParameters?: Opaque;
};

export type ConnectPipeTransportRequest = MediaRequest<'connectPipeTransport'>;

export type PipeConsumeRequest = MediaRequest<'pipeConsume'>;

export type PipeConsumerParams = {
  consumerId: ConsumerId;
  producerId: ProducerId;
  kind: MediaKind;
  rtpParameters: Opaque;
  /** Whether the producer is paused now (the mirror producer starts the same). */
  paused: boolean;
  source: TrackSource;
  participantId: ParticipantId;
};

export type PipeProduceRequest = MediaRequest<'pipeProduce'>;

/** Byte and packet counters of a producer's or consumer's RTP streams (summed over simulcast layers). */
export type RtpStreamStats = {
  byteCount: number;
  packetCount: number;
  /** bits/s over mediasoup's last window. */
  bitrate: number;
  /** Lowest stream score, 0..10. */
  score: number;
  streams: number;
};

export type TransportStats = {
  bytesReceived: number;
  bytesSent: number;
  rtpBytesReceived: number;
  rtpBytesSent: number;
  recvBitrate: number;
  sendBitrate: number;
};

/**
 * One room's media objects on one node with their byte counters: what crosses each pipe, what
 * each producer receives, what each consumer sends. For monitoring, tests and benchmarks.
 */
export type RoomMediaStats = {
  roomId: string;
  producers: Array<{
    producerId: string;
    participantId: string;
    kind: MediaKind;
    source: TrackSource;
    /** A mirror of a producer on another node, fed through a pipe. */
    piped: boolean;
    paused: boolean;
  } & RtpStreamStats>;
  consumers: Array<{
    consumerId: string;
    producerId: string;
    participantId: string;
    kind: MediaKind;
    /** mediasoup consumer type: simple, simulcast, svc or pipe. */
    type: string;
    /** Pipe consumers only: the node this consumer feeds. */
    remoteNodeId?: string;
    paused: boolean;
  } & RtpStreamStats>;
  /** Pipe transports (one per remote node) with their wire counters (SRTP and RTCP included). */
  pipes: Array<{ transportId: string; remoteNodeId: string } & TransportStats>;
};

/**
 * A server-side participant's data channels on a room's DirectTransport: it sends frames (see
 * schemas/dataFrame.ts) as a browser's data producer would, and receives what is delivered to it.
 */
export interface DataEndpoint {
  send(frame: Uint8Array): void;
  onMessage(listener: (frame: Uint8Array) => void): void;
  /** Idempotent; also happens when its participant or room closes. */
  close(): void;
  readonly closed: boolean;
}

/** One room's data routing on one node. */
export type RoomDataStats = {
  /** Live uplink DataProducers (one per sending participant here). */
  uplinks: number;
  /** Live downlink DataProducers (one per receiving participant here). */
  downlinks: number;
  /** What the worker lists on the room's DirectTransport (uplink consumers, downlinks, endpoints). */
  directDataProducers: number;
  directDataConsumers: number;
  /** Messages from senders on this node. */
  received: number;
  /** Messages from other nodes delivered here. */
  relayed: number;
  /** Frames sent to receivers here. */
  delivered: number;
  /** Refused messages (too large, bad header). */
  rejected: number;
};
