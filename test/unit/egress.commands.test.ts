import { canCopy, compositeCommand, defaultVideoKbps, toArgs, trackCommand } from '../../egress/commands';
import { gridLayout } from '../../egress/layout';

const canvas = { width: 1280, height: 720, fps: 30 };
const base = { sdpPath: '/tmp/in.sdp', listenIp: '127.0.0.1' };

function argAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('gridLayout', () => {
  it.each([
    [1, [[0, 0, 1280, 720]]],
    [2, [[0, 0, 640, 720], [640, 0, 640, 720]]],
    [3, [[0, 0, 640, 360], [640, 0, 640, 360], [0, 360, 640, 360]]],
    [5, [[0, 0, 426, 360], [426, 0, 426, 360], [852, 0, 426, 360], [0, 360, 426, 360], [426, 360, 426, 360]]],
  ])('%i tiles', (count, expected) => {
    expect(gridLayout(count, canvas).map((t) => [t.x, t.y, t.width, t.height])).toEqual(expected);
  });

  it('no tiles for nobody; even sizes always', () => {
    expect(gridLayout(0, canvas)).toEqual([]);
    for (let n = 1; n <= 16; n++) for (const t of gridLayout(n, { width: 333, height: 251 })) expect([t.width % 2, t.height % 2]).toEqual([0, 0]);
  });
});

describe('trackCommand', () => {
  it.each([
    ['VP8', 'video', 'webm', true],
    ['VP9', 'video', 'webm', true],
    ['opus', 'audio', 'webm', true],
    ['H264', 'video', 'webm', false],
    ['H264', 'video', 'mp4', true],
    ['VP9', 'video', 'mp4', true],
    ['opus', 'audio', 'mp4', true],
    ['VP8', 'video', 'mp4', false],
  ] as const)('%s (%s) into %s: copied = %s', (codec, kind, container, copied) => {
    expect(canCopy(codec, container)).toBe(copied);
    const spec = trackCommand({ ...base, input: { kind, codec }, container, output: `/r/x.${container}` });
    const args = toArgs(spec);
    expect(spec.transcoded).toBe(!copied);
    const stream = kind === 'video' ? 'c:v' : 'c:a';
    const expectedCodec = copied ? 'copy' : container === 'webm' ? 'libvpx' : 'libx264';
    expect(argAfter(args, `-${stream}`)).toBe(expectedCodec);
    expect(argAfter(args, '-f')).toBe('sdp');
    expect(args[args.length - 1]).toBe(`/r/x.${container}`);
    expect(args.slice(-3, -1)).toEqual(['-f', container]);
    expect(argAfter(args, '-r')).toBe(copied ? undefined : '30');
  });

  it('reads the SDP on the listen address, never giving up on a silent input', () => {
    const args = toArgs(trackCommand({ ...base, input: { kind: 'audio', codec: 'opus' }, container: 'webm', output: 'o.webm' }));
    expect(argAfter(args, '-protocol_whitelist')).toBe('file,udp,rtp');
    expect(argAfter(args, '-localaddr')).toBe('127.0.0.1');
    expect(argAfter(args, '-listen_timeout')).toBe('-1');
    expect(argAfter(args, '-i')).toBe('/tmp/in.sdp');
    expect(argAfter(args, '-flush_packets')).toBe('1');
  });

  it('records MP4 fragmented, so a killed ffmpeg leaves a readable file', () => {
    const args = toArgs(trackCommand({ ...base, input: { kind: 'video', codec: 'H264' }, container: 'mp4', output: 'o.mp4' }));
    expect(argAfter(args, '-movflags')).toBe('+empty_moov+default_base_moof+frag_keyframe');
  });
});

describe('compositeCommand', () => {
  const inputs = [
    { kind: 'video' as const, codec: 'VP8' },
    { kind: 'audio' as const, codec: 'opus' },
    { kind: 'video' as const, codec: 'H264' },
    { kind: 'audio' as const, codec: 'opus' },
  ];

  it('grids the videos, mixes the audio, encodes VP8/Opus into WebM', () => {
    const spec = compositeCommand({ ...base, inputs, container: 'webm', output: 'c.webm', canvas });
    expect(spec.filterComplex).toBe(
      [
        '[0:0]scale=640:720:force_original_aspect_ratio=decrease,pad=640:720:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=30,format=yuv420p[v0]',
        '[0:2]scale=640:720:force_original_aspect_ratio=decrease,pad=640:720:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=30,format=yuv420p[v1]',
        '[v0][v1]xstack=inputs=2:layout=0_0|640_0:fill=black[grid]',
        '[grid]pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=black[vout]',
        '[0:1]aresample=async=1000[a0]',
        '[0:3]aresample=async=1000[a1]',
        '[a0][a1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0[aout]',
      ].join(';'),
    );
    const args = toArgs(spec);
    expect(args.filter((a, i) => args[i - 1] === '-map')).toEqual(['[vout]', '[aout]']);
    expect(argAfter(args, '-c:v')).toBe('libvpx');
    expect(argAfter(args, '-cpu-used')).toBe('-8'); // fixed speed: keeps up with live input
    expect(argAfter(args, '-c:a')).toBe('libopus');
    expect(args.filter((a) => a === '-c:v')).toHaveLength(1);
  });

  it('MP4 is H.264/AAC; RTMP is H.264/AAC FLV with a fixed key frame interval', () => {
    const mp4 = toArgs(compositeCommand({ ...base, inputs, container: 'mp4', output: 'c.mp4', canvas }));
    expect([argAfter(mp4, '-c:v'), argAfter(mp4, '-c:a')]).toEqual(['libx264', 'aac']);
    const flv = toArgs(compositeCommand({ ...base, inputs, container: 'flv', output: 'rtmp://h/app/key', canvas }));
    expect([argAfter(flv, '-c:v'), argAfter(flv, '-c:a')]).toEqual(['libx264', 'aac']);
    expect(argAfter(flv, '-g')).toBe('60');
    expect(argAfter(flv, '-keyint_min')).toBe('60');
    expect(argAfter(flv, '-b:v')).toBe(`${defaultVideoKbps(canvas)}k`);
    expect(flv.slice(-5)).toEqual(['-f', 'flv', '-flvflags', 'no_duration_filesize', 'rtmp://h/app/key']);
  });

  it('always one video and one audio stream: black canvas without video, silence without audio', () => {
    const audioOnly = compositeCommand({ ...base, inputs: [{ kind: 'audio', codec: 'opus' }], container: 'webm', output: 'a.webm', canvas });
    expect(audioOnly.inputs[1]).toEqual({ args: ['-re', '-f', 'lavfi'], source: 'color=c=black:s=1280x720:r=30' });
    expect(toArgs(audioOnly).filter((a, i, all) => all[i - 1] === '-map')).toEqual(['1:v', '[aout]']);

    const videoOnly = compositeCommand({ ...base, inputs: [{ kind: 'video', codec: 'VP8' }], container: 'mp4', output: 'v.mp4', canvas });
    expect(videoOnly.inputs[1]?.source).toBe('anullsrc=r=48000:cl=stereo');
    expect(videoOnly.filterComplex).toContain('[0:0]scale=1280:720');
    expect(videoOnly.filterComplex).not.toContain('xstack');
    expect(toArgs(videoOnly).filter((a, i, all) => all[i - 1] === '-map')).toEqual(['[vout]', '1:a']);
  });
});
