import type { types as ms } from 'mediasoup';
import type { CodecName } from '../schemas/config';

/**
 * The codecs a router offers, by name. Every router built from the same list gets the same
 * payload types (mediasoup assigns them in list order), which is what lets two nodes pipe a
 * producer between them and lets the node hand out one set of router capabilities.
 */
const CODECS: Record<CodecName, ms.RtpCodecCapability[]> = {
  opus: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
  VP8: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } }],
  // Profile 0 is the one every browser decodes; profile 2 (10-bit) is rarely sent.
  VP9: [
    { kind: 'video', mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 0, 'x-google-start-bitrate': 1000 } },
  ],
  // Main (4d0032) first for quality, constrained baseline (42e01f) for Safari and hardware encoders.
  H264: [
    {
      kind: 'video',
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '4d0032', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 1000 },
    },
    {
      kind: 'video',
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 1000 },
    },
  ],
};

/** Media codecs for `worker.createRouter()`, in the given order, without duplicates. */
export function mediaCodecs(names: readonly CodecName[]): ms.RtpCodecCapability[] {
  const unique = [...new Set(names)];
  if (unique.length === 0) throw new TypeError('at least one codec is required');
  // Deep copies: mediasoup may annotate the objects it is given.
  return unique.flatMap((name) => CODECS[name].map((codec) => structuredClone(codec)));
}
