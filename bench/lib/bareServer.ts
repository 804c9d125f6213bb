import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as ms from 'mediasoup/node/lib/types';
import { WebSocket, WebSocketServer } from 'ws';
import { loadMediasoup } from '../../media/mediasoupLoader';

/**
 * A baseline to measure Cascade against on the same machine at the same moment: a signaling
 * server shaped like mediasoup-demo's (one process, a WebSocket per peer, one router per room,
 * handlers calling mediasoup directly), speaking Cascade's wire format so the same client runs
 * the same sequence against both. No actors, no validation, no persistence: what is left is
 * what any SFU must do (JSON, sockets, the worker, telling the other peers).
 *
 * Like the demo: `join` answers with the peers already in the room and notifies each of them;
 * transports use the worker's WebRtcServer. Unlike the demo, no trace events or
 * setMaxIncomingBitrate (one worker request fewer per transport), so this is a floor.
 */

interface Peer {
  id: string;
  name: string;
  ws: WebSocket;
  joined: boolean;
  transports: ms.WebRtcTransport[];
}

interface BareRoom {
  router: ms.Router;
  peers: Map<string, Peer>;
}

export interface BareServer {
  wsBase: string;
  /** Peers that have joined `roomId` and are still connected. */
  joinedPeers(roomId: string): Promise<number>;
  close(): Promise<void>;
}

export async function startBareServer(options: { workerBin: string; rtcPort: number; codecs: ms.RtpCodecCapability[] }): Promise<BareServer> {
  const mediasoup = loadMediasoup(options.workerBin);
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  const webRtcServer = await worker.createWebRtcServer({
    listenInfos: [
      { protocol: 'udp', ip: '127.0.0.1', port: options.rtcPort },
      { protocol: 'tcp', ip: '127.0.0.1', port: options.rtcPort },
    ],
  });
  const rooms = new Map<string, Promise<BareRoom>>();
  const roomOf = (id: string): Promise<BareRoom> => {
    let room = rooms.get(id);
    if (!room) {
      room = worker.createRouter({ mediaCodecs: options.codecs }).then((router) => ({ router, peers: new Map() }));
      rooms.set(id, room);
    }
    return room;
  };

  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', (ws, req) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const roomId = query.get('room') ?? 'default';
    const peer: Peer = { id: query.get('identity') ?? `peer-${Math.random()}`, name: query.get('identity') ?? '', ws, joined: false, transports: [] };
    ws.on('message', async (raw) => {
      const msg = JSON.parse(raw.toString()) as { id: number; method: string };
      try {
        const room = await roomOf(roomId);
        const data = await handle(room, peer, msg.method);
        ws.send(JSON.stringify({ id: msg.id, ok: true, data }));
      } catch (err) {
        ws.send(JSON.stringify({ id: msg.id, ok: false, error: { code: 'INTERNAL', message: (err as Error).message } }));
      }
    });
    ws.on('close', () => {
      void roomOf(roomId).then((room) => {
        room.peers.delete(peer.id);
        for (const t of peer.transports) t.close();
        for (const other of room.peers.values()) notify(other, 'participant_left', { participantId: peer.id });
      });
    });
  });

  const info = (p: Peer) => ({ id: p.id, identity: p.id, name: p.name, role: 'guest', joinedAt: new Date().toISOString(), tracks: [] });
  const notify = (p: Peer, event: string, data: unknown) => {
    if (p.ws.readyState === WebSocket.OPEN) p.ws.send(JSON.stringify({ event, data }));
  };

  async function handle(room: BareRoom, peer: Peer, method: string): Promise<unknown> {
    switch (method) {
      case 'getRouterRtpCapabilities':
        return { rtpCapabilities: room.router.rtpCapabilities };
      case 'join': {
        if (peer.joined) throw new Error('already joined');
        peer.joined = true;
        const others = [...room.peers.values()];
        room.peers.set(peer.id, peer);
        for (const other of others) notify(other, 'participant_joined', info(peer));
        return { status: 'joined', room: { id: 'bare', name: 'bare' }, self: info(peer), participants: others.map(info), node: { id: 'bare', region: 'local' }, chatHistory: [] };
      }
      case 'createTransport': {
        const transport = await room.router.createWebRtcTransport({ webRtcServer, enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000 });
        peer.transports.push(transport);
        return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
      }
      default:
        throw new Error(`unknown method ${method}`);
    }
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    wsBase: `ws://127.0.0.1:${port}/ws`,
    joinedPeers: async (roomId) => (rooms.has(roomId) ? [...(await roomOf(roomId)).peers.values()].filter((p) => p.joined).length : 0),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
      worker.close();
    },
  };
}
