import { createSocket } from 'node:dgram';

/**
 * Ends ffmpeg's RTP input the way RTP itself says a stream is over: an RTCP BYE (RFC 3550 6.6).
 *
 * Why: ffmpeg (5.1) checks 'q' and its first SIGINT only between packets. When the input has gone
 * silent (room closed, producers paused) it never gets there; only a second SIGINT breaks the
 * read, and that also aborts the trailer (the file then needs a remux). Its RTP demuxer, though,
 * ends the input (EOF) once every stream of the SDP has received a BYE, and ffmpeg then finishes
 * its file normally and exits 0. So a stop sends one BYE per stream, whatever the input is doing.
 *
 * The BYE goes in a compound packet behind an empty receiver report, as RFC 3550 6.1 wants, which
 * also passes ffmpeg's 12-byte minimum for anything on an RTP socket.
 */
export function rtcpByePacket(ssrc: number): Buffer {
  const packet = Buffer.alloc(16);
  // Receiver report: V=2, RC=0, PT=201, length 1 (32-bit words minus one), reporter SSRC.
  packet.writeUInt8(0x80, 0);
  packet.writeUInt8(201, 1);
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(ssrc >>> 0, 4);
  // BYE: V=2, SC=1, PT=203, length 1, the SSRC leaving.
  packet.writeUInt8(0x81, 8);
  packet.writeUInt8(203, 9);
  packet.writeUInt16BE(1, 10);
  packet.writeUInt32BE(ssrc >>> 0, 12);
  return packet;
}

/** Sends a BYE for each stream to the RTCP port ffmpeg listens on. Never throws: best effort. */
export async function sendRtcpByes(ip: string, streams: readonly { ssrc: number; rtcpPort: number }[]): Promise<void> {
  if (streams.length === 0) return;
  const socket = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  try {
    await Promise.all(
      streams.map(
        ({ ssrc, rtcpPort }) => new Promise<void>((resolve) => socket.send(rtcpByePacket(ssrc), rtcpPort, ip, () => resolve())),
      ),
    );
  } finally {
    socket.close();
  }
}
