import type { RtpStreamStats, TransportStats } from './MediaNodeTypes';

/** The fields of mediasoup's RTP stream stats we report (ProducerStat and ConsumerStat share them). */
type RtpStreamStat = { type: string; byteCount: number; packetCount: number; bitrate: number; score: number };

/**
 * Sums the streams of one direction: a producer's stats are 'inbound-rtp' (one per simulcast
 * layer); a consumer's list also carries its producer's 'inbound-rtp', so only 'outbound-rtp'
 * counts for a consumer.
 */
export function rtpStreamStats(stats: readonly RtpStreamStat[], type: 'inbound-rtp' | 'outbound-rtp'): RtpStreamStats {
  const streams = stats.filter((s) => s.type === type);
  return {
    byteCount: streams.reduce((sum, s) => sum + s.byteCount, 0),
    packetCount: streams.reduce((sum, s) => sum + s.packetCount, 0),
    bitrate: streams.reduce((sum, s) => sum + s.bitrate, 0),
    score: streams.length ? Math.min(...streams.map((s) => s.score)) : 0,
    streams: streams.length,
  };
}

/** Sums a transport's stats: mediasoup names the fields we report as we do. */
export function transportStats(stats: readonly TransportStats[]): TransportStats {
  const total: TransportStats = { bytesReceived: 0, bytesSent: 0, rtpBytesReceived: 0, rtpBytesSent: 0, recvBitrate: 0, sendBitrate: 0 };
  for (const s of stats) {
    total.bytesReceived += s.bytesReceived;
    total.bytesSent += s.bytesSent;
    total.rtpBytesReceived += s.rtpBytesReceived;
    total.rtpBytesSent += s.rtpBytesSent;
    total.recvBitrate += s.recvBitrate;
    total.sendBitrate += s.sendBitrate;
  }
  return total;
}
