import { CascadeError } from './errors';

/**
 * The frame of one data message on a data channel, shared by the media node and the browser
 * client: [u16 big-endian header length][header, UTF-8 JSON object][payload bytes]. Senders put
 * DataSendHeader in it ({topic?, to?}); receivers get DataReceiveHeader ({from, topic?}), written
 * by the server. A zero header length means an empty header.
 */

/** Largest header, bytes: a topic and up to 128 destination identities fit. */
export const DATA_HEADER_MAX_BYTES = 32768;
/** SCTP payload protocol id of a binary WebRTC message. */
export const DATA_PPID_BINARY = 53;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeDataFrame(header: object, payload: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  if (json.length > DATA_HEADER_MAX_BYTES)
    throw new CascadeError('MESSAGE_TOO_LARGE', `Data header is ${json.length} bytes; the limit is ${DATA_HEADER_MAX_BYTES}`);
  const frame = new Uint8Array(2 + json.length + payload.length);
  frame[0] = json.length >> 8;
  frame[1] = json.length & 0xff;
  frame.set(json, 2);
  frame.set(payload, 2 + json.length);
  return frame;
}

/** Splits a frame; the header comes back unvalidated (check it against its schema). */
export function decodeDataFrame(frame: Uint8Array): { header: unknown; payload: Uint8Array } {
  if (frame.length < 2) throw new CascadeError('VALIDATION_FAILED', 'Data frame is shorter than its header length field');
  const length = ((frame[0] ?? 0) << 8) | (frame[1] ?? 0);
  if (length > DATA_HEADER_MAX_BYTES || 2 + length > frame.length)
    throw new CascadeError('VALIDATION_FAILED', `Data header length ${length} does not fit the ${frame.length}-byte frame`);
  let header: unknown = {};
  if (length > 0) {
    try {
      header = JSON.parse(decoder.decode(frame.subarray(2, 2 + length)));
    } catch {
      throw new CascadeError('VALIDATION_FAILED', 'Data header is not UTF-8 JSON');
    }
  }
  return { header, payload: frame.subarray(2 + length) };
}
