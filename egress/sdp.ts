import { Type, type Static } from '@sinclair/typebox';
import { CascadeError } from '../schemas/errors';
import type { MediaKind } from '../schemas/media';
import { validator } from '../schemas/validate';

/**
 * The SDP ffmpeg reads (`-f sdp -i input.sdp`) to receive the RTP a media node sends it: one
 * m-line per track, in the order given, so ffmpeg's stream i is tracks[i].
 *
 * A/V sync: mediasoup's PlainTransport consumers (rtcpMux off) send RTCP sender reports to the
 * RTCP port. ffmpeg's RTP demuxer maps each stream's RTP timestamps onto the NTP clock of those
 * SRs and shares the first SR's NTP time across all streams of the SDP, so audio and video (and
 * several participants) are aligned by the senders' clocks, not by packet arrival. The SR only
 * reaches ffmpeg if the RTCP port is where ffmpeg listens: ffmpeg 5.1 ignores `a=rtcp` and always
 * binds RTP port + 1, so ports.ts hands out adjacent pairs and we still write `a=rtcp` (RFC 3605)
 * for readers that honour it.
 */

/** The part of mediasoup's RtpParameters an SDP needs. Anything else in the object is ignored. */
const RtpCodecSchema = Type.Object({
  mimeType: Type.String({ minLength: 3 }),
  payloadType: Type.Integer({ minimum: 0, maximum: 127 }),
  clockRate: Type.Integer({ minimum: 1 }),
  channels: Type.Optional(Type.Integer({ minimum: 1 })),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
});
export const SdpRtpParametersSchema = Type.Object({
  codecs: Type.Array(RtpCodecSchema, { minItems: 1 }),
  encodings: Type.Optional(Type.Array(Type.Object({ ssrc: Type.Optional(Type.Integer()) }))),
});
export type SdpRtpParameters = Static<typeof SdpRtpParametersSchema>;
export type SdpCodec = Static<typeof RtpCodecSchema>;

const parseRtpParameters = validator(SdpRtpParametersSchema);

export interface SdpTrack {
  kind: MediaKind;
  /** A consumer's rtpParameters (validated here: they come from another process). */
  rtpParameters: unknown;
  rtpPort: number;
  rtcpPort: number;
}

/** Codec names as ffmpeg's RTP depacketizers know them; others are refused up front. */
const SUPPORTED = new Set(['audio/opus', 'video/vp8', 'video/vp9', 'video/h264']);

/** The media codec of a consumer: the first one that is not RTX/FEC/RED (those ffmpeg cannot use). */
export function mediaCodec(rtpParameters: unknown): SdpCodec {
  const params = parseRtpParameters.parse(rtpParameters);
  const codec = params.codecs.find((c) => !/\/(rtx|red|ulpfec|flexfec)$/i.test(c.mimeType));
  if (!codec || !SUPPORTED.has(codec.mimeType.toLowerCase()))
    throw new CascadeError('EGRESS_FAILED', `egress cannot receive ${codec?.mimeType ?? 'these'} RTP`);
  return codec;
}

/** The SSRC a consumer sends from; 0 when not given (it only labels the BYE, which ffmpeg does not check). */
export function mediaSsrc(rtpParameters: unknown): number {
  return parseRtpParameters.parse(rtpParameters).encodings?.[0]?.ssrc ?? 0;
}

/** 'VP8', 'opus', 'H264', 'VP9': the subtype as written in rtpmap. */
export function codecName(codec: SdpCodec): string {
  return codec.mimeType.slice(codec.mimeType.indexOf('/') + 1);
}

/** fmtp without WebRTC-only hints (x-google-start-bitrate...), which mean nothing to a receiver. */
function fmtp(codec: SdpCodec): string | undefined {
  const entries = Object.entries(codec.parameters ?? {}).filter(([key]) => !key.startsWith('x-google-'));
  if (entries.length === 0) return undefined;
  return entries.map(([key, value]) => `${key}=${value}`).join(';');
}

export function buildSdp(options: { ip: string; tracks: SdpTrack[]; sessionName?: string }): string {
  if (options.tracks.length === 0) throw new CascadeError('EGRESS_FAILED', 'an SDP needs at least one track');
  const ipVersion = options.ip.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- 0 0 IN ${ipVersion} ${options.ip}`,
    `s=${options.sessionName ?? 'Cascade egress'}`,
    `c=IN ${ipVersion} ${options.ip}`,
    't=0 0',
  ];
  for (const track of options.tracks) {
    const codec = mediaCodec(track.rtpParameters);
    const name = codecName(codec);
    if (track.kind !== codec.mimeType.split('/')[0]?.toLowerCase())
      throw new CascadeError('EGRESS_FAILED', `track kind ${track.kind} does not match codec ${codec.mimeType}`);
    lines.push(`m=${track.kind} ${track.rtpPort} RTP/AVP ${codec.payloadType}`);
    lines.push(`a=rtcp:${track.rtcpPort}`);
    const rate = track.kind === 'audio' ? `${codec.clockRate}/${codec.channels ?? 1}` : `${codec.clockRate}`;
    lines.push(`a=rtpmap:${codec.payloadType} ${name}/${rate}`);
    const format = fmtp(codec);
    if (format) lines.push(`a=fmtp:${codec.payloadType} ${format}`);
    lines.push('a=recvonly');
  }
  return lines.join('\r\n') + '\r\n';
}
