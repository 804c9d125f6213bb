import type { ConsumerId, ProducerId, RoomId, TransportId } from '../schemas/ids';
import type { MediaKind, MediaRequest, Opaque } from '../schemas/media';

/**
 * What egress needs from a media node, and nothing more: RTP of one producer sent over a plain
 * transport (rtcpMux off, so RTP and RTCP on two ports) to where ffmpeg listens. Egress depends
 * on this interface, not on MediaNode, so a job can be fed by a local MediaNode, a remote one
 * through the broker, or (in tests) an ffmpeg RTP source.
 */
export interface PlainConsumerRequest {
  roomId: RoomId;
  producerId: ProducerId;
  remoteIp: string;
  remoteRtpPort: number;
  /** RTCP goes here: ffmpeg reads sender reports from it to line audio and video up. */
  remoteRtcpPort: number;
  /** Who holds the consumer (the egress job id), for the media node's bookkeeping. */
  holder: string;
}

export interface PlainConsumerInfo {
  transportId: TransportId;
  consumerId: ConsumerId;
  kind: MediaKind;
  /** mediasoup RtpParameters of what arrives at remoteRtpPort (codec, payload type, ssrc). */
  rtpParameters: Opaque;
}

export interface EgressMediaPort {
  /**
   * A consumer of the producer toward remoteIp:ports. It may start paused or sending: egress
   * calls resumeConsumer once ffmpeg listens, and packets sent before that are simply dropped.
   */
  createPlainConsumer(request: PlainConsumerRequest): Promise<PlainConsumerInfo>;
  /** Resumes the consumer (idempotent) and asks for a key frame, so video decodes at once. */
  resumeConsumer(consumerId: ConsumerId): Promise<void>;
  /** Closes the consumer and its transport. Unknown or already closed: no error. */
  closeConsumer(consumerId: ConsumerId): Promise<void>;
}

/** The media node's request for an egress consumer (the holder is reported as its participant). */
export function plainConsumerRequest(request: PlainConsumerRequest): MediaRequest<'createPlainConsumer'> {
  const { roomId, producerId, remoteIp, remoteRtpPort, remoteRtcpPort, holder } = request;
  return { roomId, producerId, remoteIp, remoteRtpPort, remoteRtcpPort, participantId: holder };
}

/** What egress keeps of the media node's answer. */
export function plainConsumerInfo(consumer: PlainConsumerInfo): PlainConsumerInfo {
  const { transportId, consumerId, kind, rtpParameters } = consumer;
  return { transportId, consumerId, kind, rtpParameters };
}
