import { buildSdp, mediaCodec } from '../../egress/sdp';

/** The SDP ffmpeg reads, checked against known strings for each codec Cascade routes. */
const opus = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } }],
  encodings: [{ ssrc: 1111 }],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  rtcp: { cname: 'x' },
};
const vp8 = {
  codecs: [
    { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
    { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
  ],
  encodings: [{ ssrc: 2222, rtx: { ssrc: 3333 } }],
};
const h264 = {
  codecs: [
    {
      mimeType: 'video/H264',
      payloadType: 125,
      clockRate: 90000,
      parameters: { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' },
    },
  ],
};
const vp9 = { codecs: [{ mimeType: 'video/VP9', payloadType: 103, clockRate: 90000, parameters: { 'profile-id': 2 } }] };

describe('buildSdp', () => {
  it('writes one m-line per track with rtpmap, fmtp and the RTCP port', () => {
    const sdp = buildSdp({
      ip: '127.0.0.1',
      tracks: [
        { kind: 'audio', rtpParameters: opus, rtpPort: 20000, rtcpPort: 20001 },
        { kind: 'video', rtpParameters: vp8, rtpPort: 20002, rtcpPort: 20003 },
      ],
    });
    expect(sdp).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=Cascade egress',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=audio 20000 RTP/AVP 100',
        'a=rtcp:20001',
        'a=rtpmap:100 opus/48000/2',
        'a=fmtp:100 minptime=10;useinbandfec=1',
        'a=recvonly',
        'm=video 20002 RTP/AVP 101',
        'a=rtcp:20003',
        'a=rtpmap:101 VP8/90000',
        'a=recvonly',
        '',
      ].join('\r\n'),
    );
  });

  it('H264 keeps its packetization parameters; VP9 its profile', () => {
    const sdp = buildSdp({
      ip: '10.0.0.5',
      tracks: [
        { kind: 'video', rtpParameters: h264, rtpPort: 21000, rtcpPort: 21001 },
        { kind: 'video', rtpParameters: vp9, rtpPort: 21002, rtcpPort: 21003 },
      ],
    });
    expect(sdp).toContain(
      'm=video 21000 RTP/AVP 125\r\na=rtcp:21001\r\na=rtpmap:125 H264/90000\r\n' +
        'a=fmtp:125 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n',
    );
    expect(sdp).toContain('m=video 21002 RTP/AVP 103\r\na=rtcp:21003\r\na=rtpmap:103 VP9/90000\r\na=fmtp:103 profile-id=2\r\n');
    expect(sdp).toContain('c=IN IP4 10.0.0.5\r\n');
  });

  it('mono audio says /1; IPv6 addresses say IP6', () => {
    const mono = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000 }] };
    const sdp = buildSdp({ ip: '::1', tracks: [{ kind: 'audio', rtpParameters: mono, rtpPort: 22000, rtcpPort: 22001 }] });
    expect(sdp).toContain('c=IN IP6 ::1\r\n');
    expect(sdp).toContain('a=rtpmap:111 opus/48000/1\r\n');
    expect(sdp).not.toContain('a=fmtp');
  });

  it('skips RTX to find the media codec, and refuses what ffmpeg cannot read', () => {
    expect(mediaCodec(vp8).mimeType).toBe('video/VP8');
    expect(() => mediaCodec({ codecs: [{ mimeType: 'video/AV1', payloadType: 35, clockRate: 90000 }] })).toThrow(/cannot receive video\/AV1/);
    expect(() => mediaCodec({ codecs: [] })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => mediaCodec('nope')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('refuses a track whose kind does not match its codec, and an empty SDP', () => {
    expect(() => buildSdp({ ip: '127.0.0.1', tracks: [{ kind: 'video', rtpParameters: opus, rtpPort: 1, rtcpPort: 2 }] })).toThrow(/does not match/);
    expect(() => buildSdp({ ip: '127.0.0.1', tracks: [] })).toThrow(/at least one track/);
  });
});
