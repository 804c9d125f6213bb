import { mediaCodecs } from '../../media/codecs';
import { MediaNode } from '../../media';
import { rtpStreamStats, transportStats } from '../../media/stats';
import { TypedEmitter } from '../../media/TypedEmitter';

describe('media codecs', () => {
  it('maps names to router codecs in order, without duplicates', () => {
    const codecs = mediaCodecs(['VP8', 'opus', 'VP8', 'H264']);
    expect(codecs.map((c) => c.mimeType)).toEqual(['video/VP8', 'audio/opus', 'video/H264', 'video/H264']);
    expect(codecs[1]).toMatchObject({ kind: 'audio', clockRate: 48000, channels: 2 });
    expect(codecs.slice(2).map((c) => c.parameters?.['profile-level-id'])).toEqual(['4d0032', '42e01f']);
    expect(codecs.slice(2).every((c) => c.parameters?.['packetization-mode'] === 1)).toBe(true);
    expect(mediaCodecs(['VP9'])[0]).toMatchObject({ mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 0 } });
  });

  it('hands out copies the caller may change', () => {
    const first = mediaCodecs(['opus']);
    first[0].clockRate = 1;
    expect(mediaCodecs(['opus'])[0].clockRate).toBe(48000);
  });

  it('refuses an empty list', () => {
    expect(() => mediaCodecs([])).toThrow(/at least one codec/);
  });
});

describe('media stats', () => {
  const stream = (type: string, byteCount: number, score: number) => ({ type, byteCount, packetCount: byteCount / 100, bitrate: byteCount * 8, score });

  it('sums one direction of RTP streams and keeps the worst score', () => {
    const stats = rtpStreamStats([stream('outbound-rtp', 1000, 10), stream('inbound-rtp', 5000, 3), stream('outbound-rtp', 500, 7)], 'outbound-rtp');
    expect(stats).toEqual({ byteCount: 1500, packetCount: 15, bitrate: 12000, score: 7, streams: 2 });
    expect(rtpStreamStats([], 'inbound-rtp')).toEqual({ byteCount: 0, packetCount: 0, bitrate: 0, score: 0, streams: 0 });
  });

  it('adds transport counters', () => {
    const one = { bytesReceived: 1, bytesSent: 2, rtpBytesReceived: 3, rtpBytesSent: 4, recvBitrate: 5, sendBitrate: 6 };
    expect(transportStats([one, one])).toEqual({ bytesReceived: 2, bytesSent: 4, rtpBytesReceived: 6, rtpBytesSent: 8, recvBitrate: 10, sendBitrate: 12 });
  });
});

describe('MediaNode.create', () => {
  it('explains how to get a missing worker binary', async () => {
    await expect(MediaNode.create({ workerBin: '/nonexistent/mediasoup-worker' })).rejects.toMatchObject({
      code: 'MEDIA_ERROR',
      message: expect.stringContaining('npm run setup'),
    });
  });
});

describe('TypedEmitter.safeEmit', () => {
  it('keeps emitting to later listeners when one throws', () => {
    const emitter = new TypedEmitter<{ ping: { n: number } }>();
    const seen: number[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    emitter.on('ping', () => {
      throw new Error('listener bug');
    });
    emitter.on('ping', ({ n }) => seen.push(n));
    emitter.once('ping', ({ n }) => seen.push(-n));
    expect(() => emitter.safeEmit('ping', { n: 1 })).not.toThrow();
    emitter.safeEmit('ping', { n: 2 });
    expect(seen).toEqual([1, -1, 2]);
    expect(error).toHaveBeenCalledTimes(2);
    error.mockRestore();
  });
});
