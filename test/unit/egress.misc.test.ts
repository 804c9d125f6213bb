import { createSocket } from 'node:dgram';
import { EGRESS_TRANSITIONS, type EgressState } from '../../egress/EgressTypes';
import { allocatePortPairs, releasePorts } from '../../egress/ports';
import { ffprobePathFor } from '../../egress/probe';
import { parseStatsLine, parseTimemark } from '../../egress/progress';
import { redactRtmpUrl, redactText, rtmpSecrets } from '../../egress/redact';

describe('ffmpeg stats lines', () => {
  it('parses video, audio-only and final lines', () => {
    expect(parseStatsLine('frame=   76 fps= 24 q=-1.0 q=-1.0 size=      86kB time=00:00:05.01 bitrate= 140.2kbits/s speed=1.61x    ')).toEqual({
      frames: 76,
      sizeBytes: 86 * 1024,
      timeSeconds: 5.01,
      bitrateKbps: 140.2,
      speed: 1.61,
    });
    expect(parseStatsLine('size=      12KiB time=01:02:03.50 bitrate=  48.0kbits/s speed=   1x')).toEqual({
      sizeBytes: 12 * 1024,
      timeSeconds: 3723.5,
      bitrateKbps: 48,
      speed: 1,
    });
    expect(parseStatsLine('frame=  900 fps= 30 q=-1.0 Lsize=    2048kB time=00:00:30.00 bitrate= 559.2kbits/s speed=1x')?.sizeBytes).toBe(2048 * 1024);
  });

  it('N/A and negative times at the start; other lines are not stats', () => {
    expect(parseStatsLine('frame=    0 fps=0.0 q=0.0 size=       0kB time=N/A bitrate=N/A speed=N/A')).toEqual({ frames: 0, sizeBytes: 0 });
    expect(parseStatsLine('size=       0kB time=-00:00:00.02 bitrate=N/A speed=N/A')?.timeSeconds).toBe(-0.02);
    expect(parseStatsLine('[error] Connection refused')).toBeUndefined();
    expect(parseStatsLine('Input #0, sdp, from in.sdp: time=00:00:01.00')).toBeUndefined();
    expect(parseTimemark('00:01:00')).toBe(60);
    expect(parseTimemark('garbage')).toBeUndefined();
  });
});

describe('stream keys never shown', () => {
  it('redacts RTMP URLs down to host and app', () => {
    expect(redactRtmpUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl')).toBe('rtmp://a.rtmp.youtube.com/live2/****');
    expect(redactRtmpUrl('rtmps://user:pw@live.twitch.tv:443/app/live_123?token=x')).toBe('rtmps://live.twitch.tv:443/app/****');
    expect(redactRtmpUrl('not a url')).toBe('****');
  });

  it('redacts URLs and bare secrets inside text', () => {
    const url = 'rtmp://127.0.0.1:1935/live/sk-secret-123?auth=tok-456';
    const secrets = rtmpSecrets(url);
    expect(secrets).toEqual(expect.arrayContaining(['sk-secret-123', 'auth=tok-456']));
    const text = `Output #0, flv, to '${url}': playpath sk-secret-123 failed (auth=tok-456)`;
    const redacted = redactText(text, secrets);
    expect(redacted).toBe("Output #0, flv, to 'rtmp://127.0.0.1:1935/live/****': playpath **** failed (****)");
    expect(rtmpSecrets('rtmp://bob:hunter22@h/app/key1')).toEqual(expect.arrayContaining(['bob:hunter22', 'key1']));
  });
});

describe('job states', () => {
  it('allow only the documented transitions; complete and failed are final', () => {
    const all: EgressState[] = ['starting', 'active', 'stopping', 'complete', 'failed'];
    const allowed = all.flatMap((from) => EGRESS_TRANSITIONS[from].map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(['active->stopping', 'starting->active', 'starting->stopping', 'stopping->complete', 'stopping->failed']);
  });
});

describe('ports', () => {
  it('hands out distinct adjacent pairs (RTCP = RTP + 1) that are free, and skips busy ones', async () => {
    const busy = createSocket('udp4');
    await new Promise<void>((resolve) => busy.bind(25000, '127.0.0.1', resolve));
    try {
      const pairs = await allocatePortPairs(6, '127.0.0.1', { min: 24990, max: 25009 });
      expect(pairs).toHaveLength(6);
      for (const p of pairs) {
        expect(p.rtpPort % 2).toBe(0);
        expect(p.rtcpPort).toBe(p.rtpPort + 1);
        expect(p.rtpPort).not.toBe(25000);
      }
      expect(new Set(pairs.map((p) => p.rtpPort)).size).toBe(6);
      // Reserved in this process until released, even though nothing binds them yet.
      const more = await allocatePortPairs(2, '127.0.0.1', { min: 24990, max: 25009 });
      expect(more.some((m) => pairs.some((p) => p.rtpPort === m.rtpPort))).toBe(false);
      releasePorts(more);
      await expect(allocatePortPairs(4, '127.0.0.1', { min: 24990, max: 25009 })).rejects.toThrow(/no 4 free UDP port pairs/);
      releasePorts(pairs);
      await expect(allocatePortPairs(9, '127.0.0.1', { min: 24990, max: 25009 })).resolves.toHaveLength(9);
    } finally {
      busy.close();
    }
  });

  it('finds ffprobe next to ffmpeg', () => {
    expect(ffprobePathFor('ffmpeg')).toBe('ffprobe');
    expect(ffprobePathFor('/opt/ff/bin/ffmpeg')).toBe('/opt/ff/bin/ffprobe');
  });
});
