import { Type, type Static } from '@sinclair/typebox';

/**
 * Every configuration key, its type, default and unit. `config/load.ts` merges
 * defaults < file (YAML, unknown keys rejected) < environment (CASCADE_<SECTION>_<KEY>), then
 * validates against this schema. config/cascade.example.yaml documents the same keys.
 */
const Port = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

export const CodecNameSchema = Type.Union([Type.Literal('opus'), Type.Literal('VP8'), Type.Literal('VP9'), Type.Literal('H264')]);
export type CodecName = Static<typeof CodecNameSchema>;

export const NodeRoleSchema = Type.Union([Type.Literal('gateway'), Type.Literal('media'), Type.Literal('egress')]);
export type NodeRole = Static<typeof NodeRoleSchema>;

export const ConfigSchema = Type.Object(
  {
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0', description: 'Address the HTTP/WebSocket server binds' }),
        port: Port(7880, 'HTTP/WebSocket port (0 = any free port)'),
        maxMessageBytes: Type.Integer({ minimum: 256, default: 65536, description: 'Largest WebSocket message or REST body, bytes' }),
        maxBufferedBytes: Type.Integer({
          minimum: 4096,
          default: 1048576,
          description:
            'Bytes queued for a WebSocket client that does not read: above this, droppable events (active_speaker) are skipped; at 4 times this, the connection is closed (4008 slow_consumer)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    node: Type.Object(
      {
        id: Type.String({ default: '', description: 'Node id in the cluster; empty = <hostname>-<pid>' }),
        region: Type.String({ default: 'local', description: 'Region this node serves (placement)' }),
        roles: Type.Array(NodeRoleSchema, { default: ['gateway', 'media', 'egress'], description: 'Roles this node runs' }),
      },
      { additionalProperties: false, default: {} },
    ),
    rtc: Type.Object(
      {
        listenIp: Type.String({ default: '0.0.0.0', description: 'IP the WebRtcServers and transports bind' }),
        announcedIp: Type.String({ default: '127.0.0.1', description: 'IP given to clients in ICE candidates' }),
        port: Port(44400, 'First WebRtcServer port; worker i listens on port+i (UDP and TCP)'),
        minPort: Port(40000, 'Lowest port for pipe/plain transports'),
        maxPort: Port(49999, 'Highest port for pipe/plain transports'),
        enableTcp: Type.Boolean({ default: true, description: 'Offer ICE over TCP as well as UDP' }),
      },
      { additionalProperties: false, default: {} },
    ),
    mediasoup: Type.Object(
      {
        workers: Type.Integer({ minimum: 0, default: 0, description: 'Worker processes; 0 = one per CPU core' }),
        workerBin: Type.String({ default: '', description: 'mediasoup-worker path; empty = the cached build from `npm run setup`' }),
        logLevel: Type.Union([Type.Literal('debug'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('none')], { default: 'warn' }),
        initialOutgoingBitrate: Type.Integer({ minimum: 100000, default: 1000000, description: 'bits/s' }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          [Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace')],
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        mode: Type.Union([Type.Literal('token'), Type.Literal('open'), Type.Literal('lobby')], {
          default: 'token',
          description: 'token: a signed JWT is required; open: anyone may join (development); lobby: joiners wait for a host',
        }),
        secret: Type.String({ default: 'change-me-cascade-dev-secret', description: 'HS256 key for access tokens' }),
        issuer: Type.String({ default: 'cascade', description: 'iss claim of minted tokens' }),
        defaultTtlSeconds: Type.Integer({ minimum: 1, default: 21600, description: 'Lifetime of minted tokens, seconds' }),
        apiKeys: Type.Array(Type.Object({ key: Type.String({ minLength: 1 }), secret: Type.String({ minLength: 8 }) }, { additionalProperties: false }), {
          default: [],
          description: 'REST API key pairs (Authorization: Bearer <key>:<secret>)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    room: Type.Object(
      {
        autoCreate: Type.Boolean({ default: true, description: 'Create a room on first join; false = only rooms made through the API exist' }),
        maxParticipants: Type.Integer({ minimum: 1, default: 100 }),
        emptyTimeoutSeconds: Type.Number({ minimum: 0, default: 300, description: 'An empty room closes after this many seconds' }),
        chatHistory: Type.Integer({ minimum: 0, default: 50, description: 'Chat messages sent to a joiner' }),
        activeSpeakerIntervalMs: Type.Integer({ minimum: 100, default: 300 }),
        maxDataMessageBytes: Type.Integer({
          minimum: 1,
          maximum: 196608,
          default: 65536,
          description: 'Largest data message payload (produceData channel), bytes; larger ones are refused with MESSAGE_TOO_LARGE',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    codecs: Type.Array(CodecNameSchema, { default: ['opus', 'VP8', 'VP9', 'H264'], description: 'Codecs every router offers' }),
    cluster: Type.Object(
      {
        transporter: Type.String({ default: '', description: 'Moleculer transporter; empty = single node in-process, e.g. nats://127.0.0.1:4222' }),
        redisUrl: Type.String({ default: '', description: 'Shared state; empty = in-memory (single node)' }),
        heartbeatIntervalSeconds: Type.Number({ minimum: 0.1, default: 1 }),
        heartbeatTimeoutSeconds: Type.Number({ minimum: 0.5, default: 3 }),
        requestTimeoutMs: Type.Integer({ minimum: 100, default: 10000 }),
        regionDistances: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()), {
          default: {},
          description: 'region -> region -> distance (e.g. RTT ms) for placement',
        }),
        maxConsumersPerNode: Type.Integer({ minimum: 1, default: 2000, description: 'Above this a node is over its load limit' }),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Object(
      {
        url: Type.String({ default: '', description: 'postgres://… for PostgreSQL; empty = embedded SQLite at sqlitePath' }),
        sqlitePath: Type.String({ default: 'data/cascade.sqlite', description: 'SQLite file; :memory: for tests' }),
        schema: Type.String({ default: '', description: 'PostgreSQL schema (empty = public)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    egress: Type.Object(
      {
        directory: Type.String({ default: 'recordings', description: 'Where recordings are written' }),
        ffmpegPath: Type.String({ default: 'ffmpeg', description: 'ffmpeg binary; ffprobe is looked up next to it' }),
        format: Type.Union([Type.Literal('webm'), Type.Literal('mp4')], {
          default: 'webm',
          description: 'Recording container when a request names none: webm (VP8/Opus) or mp4 (H.264/AAC)',
        }),
        startTimeoutSeconds: Type.Number({ minimum: 1, default: 20, description: 'A job with no track by then fails' }),
        canvas: Type.Object(
          {
            width: Type.Integer({ minimum: 16, maximum: 3840, default: 1280, description: 'Composite and RTMP picture width, px' }),
            height: Type.Integer({ minimum: 16, maximum: 2160, default: 720, description: 'Composite and RTMP picture height, px' }),
            fps: Type.Integer({ minimum: 1, maximum: 60, default: 30, description: 'Composite and RTMP frame rate' }),
          },
          { additionalProperties: false, default: {} },
        ),
        onFfmpegExit: Type.Union([Type.Literal('fail'), Type.Literal('restart')], { default: 'fail' }),
      },
      { additionalProperties: false, default: {} },
    ),
    webhooks: Type.Object(
      {
        urls: Type.Array(Type.String({ pattern: '^https?://' }), {
          default: [],
          description: 'Receive every event, signed with the secret of the first auth.apiKeys pair (hooks made through the API have their own secret)',
        }),
        timeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'One delivery attempt waits this long for an answer, ms' }),
        maxAttempts: Type.Integer({ minimum: 1, default: 6, description: 'Attempts per event and receiver (network errors, timeouts, 5xx, 408, 429 are retried)' }),
        backoffMs: Type.Integer({ minimum: 1, default: 1000, description: 'First retry after this many ms, doubled per attempt (at most 60 s)' }),
        maxQueue: Type.Integer({ minimum: 1, default: 1000, description: 'Events waiting per receiver; beyond it the oldest is dropped (logged)' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
