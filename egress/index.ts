/**
 * egress/: recordings and RTMP with ffmpeg. Imports schemas/ and media/ only. The actor shell
 * (moleculer service) wraps EgressJob; media reaches it through an EgressMediaPort.
 */
export { EgressJob } from './EgressJob';
export type { EgressMediaPort, PlainConsumerInfo, PlainConsumerRequest } from './EgressMediaPort';
export * from './EgressTypes';
export { liveChildren } from './children';
export { mediaNodePort } from './mediaNodePort';
export { probe, type ProbeResult, type ProbeStream } from './probe';
export { redactRtmpUrl, redactText } from './redact';
export type { EgressLogger } from './FfmpegProcess';
