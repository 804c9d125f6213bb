import { Device } from 'mediasoup-client';
import type { DtlsParameters, IceCandidate, IceParameters, RtpCapabilities, TransportOptions } from 'mediasoup-client/lib/types';
import type { TrackSource, TransportParams } from '../../schemas/media';
import type { ChatMessage, JoinedData, ParticipantInfo } from '../../schemas/signaling';
import { Publisher, type PublisherView } from './publisher';
import { SignalingClient } from './signaling';
import { Subscriber, type InboundStats, type SubscriberView } from './subscriber';

/**
 * One attempt at being in a room: connect, load the device, join, create both transports,
 * publish, consume everyone else. When it ends (left, kicked, room closed, connection lost, or
 * the server asks us to reconnect) it reports why; main.ts decides whether to start a new one.
 */

export type CallState = 'connecting' | 'joining' | 'waiting' | 'joined' | 'ended';

export type EndReason = 'left' | 'kicked' | 'room_closed' | 'lobby_rejected' | 'reconnect' | 'connection_lost' | 'rejected' | 'failed';

export interface CallView extends PublisherView, SubscriberView {
  setState(state: CallState, detail?: string): void;
  joined(data: JoinedData): void;
  addParticipant(p: ParticipantInfo): void;
  removeParticipant(participantId: string): void;
  setRemoteMuted(participantId: string, source: TrackSource, muted: boolean): void;
  setActiveSpeaker(participantId: string): void;
  addChat(message: ChatMessage, mine: boolean): void;
}

/** What the test hooks report: totals per peer connection and inbound media per remote identity. */
export interface CallStats {
  inboundVideoFramesDecoded: number;
  inboundAudioPackets: number;
  inboundBytes: number;
  outboundVideoFramesEncoded: number;
  outboundAudioPackets: number;
  consumers: number;
  byIdentity: Record<string, InboundStats>;
}

export interface CallOptions {
  wsUrl: string;
  name?: string;
  view: CallView;
  onEnded(reason: EndReason, message: string): void;
  onEvent?(event: string, data: unknown): void;
}

export class RoomCall {
  readonly #options: CallOptions;
  readonly #sig = new SignalingClient();
  readonly #device = new Device();
  #state: CallState = 'connecting';
  #self?: ParticipantInfo;
  #publisher?: Publisher;
  #subscriber?: Subscriber;
  /** Tracks announced before the receive transport exists wait here. */
  #recvReady!: Promise<Subscriber>;
  #resolveRecv!: (s: Subscriber) => void;
  #ended = false;

  constructor(options: CallOptions) {
    this.#options = options;
    this.#recvReady = new Promise((resolve) => (this.#resolveRecv = resolve));
  }

  get state(): CallState {
    return this.#state;
  }

  get self(): ParticipantInfo | undefined {
    return this.#self;
  }

  get publisher(): Publisher | undefined {
    return this.#publisher;
  }

  async start(): Promise<void> {
    const { view } = this.#options;
    try {
      this.#setState('connecting');
      this.#listen();
      await this.#sig.connect(this.#options.wsUrl);
      const { rtpCapabilities } = await this.#sig.request('getRouterRtpCapabilities', {});
      await this.#device.load({ routerRtpCapabilities: rtpCapabilities as RtpCapabilities });
      this.#setState('joining');
      const result = await this.#sig.request('join', {
        rtpCapabilities: this.#device.rtpCapabilities,
        ...(this.#options.name ? { name: this.#options.name } : {}),
      });
      if (result.status === 'waiting') {
        this.#setState('waiting', 'Waiting for a host to let you in');
        return;
      }
      const { status: _status, ...joined } = result;
      await this.#onJoined(joined);
    } catch (err) {
      if (this.#ended) return;
      const code = (err as { code?: string }).code;
      const reason: EndReason = code === 'CONNECT_FAILED' || code === 'CLOSED' ? 'connection_lost' : 'failed';
      view.notice(`Could not join: ${(err as Error).message}`);
      this.#end(reason, (err as Error).message);
    }
  }

  async leave(): Promise<void> {
    if (this.#ended) return;
    try {
      if (this.#state === 'joined' || this.#state === 'waiting') await this.#sig.request('leave', {});
    } catch {
      // Leaving anyway.
    }
    this.#end('left', 'You left the room');
  }

  /** The room echoes the message back to us as a `chat` event, which is when it is shown. */
  async sendChat(text: string, to?: string): Promise<void> {
    await this.#sig.request('chat', { text, ...(to ? { to } : {}) });
  }

  async stats(): Promise<CallStats> {
    const inbound = (await this.#subscriber?.totals()) ?? { inboundVideoFramesDecoded: 0, inboundAudioPackets: 0, inboundBytes: 0 };
    const outbound = (await this.#publisher?.stats()) ?? { outboundVideoFramesEncoded: 0, outboundAudioPackets: 0 };
    const byIdentity = (await this.#subscriber?.stats()) ?? {};
    return { ...inbound, ...outbound, consumers: this.#subscriber?.count ?? 0, byIdentity };
  }

  async #onJoined(data: JoinedData): Promise<void> {
    const { view } = this.#options;
    this.#self = data.self;
    this.#setState('joined');
    view.joined(data);
    for (const p of data.participants) this.#addParticipant(p);

    const recvParams = await this.#sig.request('createTransport', { direction: 'recv' });
    const recv = this.#device.createRecvTransport(transportOptions(recvParams));
    this.#subscriber = new Subscriber(this.#sig, recv, view);
    this.#resolveRecv(this.#subscriber);

    if (data.self.role !== 'viewer' && (this.#device.canProduce('audio') || this.#device.canProduce('video'))) {
      const sendParams = await this.#sig.request('createTransport', { direction: 'send' });
      const send = this.#device.createSendTransport(transportOptions(sendParams));
      this.#publisher = new Publisher(this.#sig, this.#device, send, view);
      await this.#publisher.publishCameraAndMic();
    }
  }

  #addParticipant(p: ParticipantInfo): void {
    if (p.id === this.#self?.id) return;
    this.#options.view.addParticipant(p);
    for (const track of p.tracks) void this.#recvReady.then((s) => s.consume(track));
  }

  #listen(): void {
    const sig = this.#sig;
    const { view } = this.#options;
    sig.onAny((event, data) => this.#options.onEvent?.(event, data));
    sig.on('joined', (data) => void this.#onJoined(data).catch((err: Error) => this.#end('failed', err.message)));
    sig.on('lobby_waiting', ({ position }) => view.setState('waiting', `Waiting for a host to let you in (position ${position})`));
    sig.on('participant_joined', (p) => this.#addParticipant(p));
    sig.on('participant_left', ({ participantId }) => {
      this.#subscriber?.removeParticipant(participantId);
      view.removeParticipant(participantId);
    });
    sig.on('track_published', (track) => {
      if (track.participantId !== this.#self?.id) void this.#recvReady.then((s) => s.consume(track));
    });
    sig.on('track_unpublished', ({ producerId }) => this.#subscriber?.removeProducer(producerId));
    sig.on('consumer_closed', ({ consumerId }) => this.#subscriber?.removeConsumer(consumerId));
    sig.on('active_speaker', ({ participantId }) => view.setActiveSpeaker(participantId));
    sig.on('muted', ({ participantId, producerId, track, muted }) => {
      if (participantId === this.#self?.id) this.#publisher?.mutedByServer(producerId, muted);
      else view.setRemoteMuted(participantId, track, muted);
    });
    sig.on('chat', (message) => view.addChat(message, message.from.identity === this.#self?.identity));
    sig.on('kicked', ({ by, reason }) =>
      this.#end('kicked', reason === 'duplicate_identity' ? 'You joined this room from somewhere else' : `You were removed from the room by ${by}`),
    );
    sig.on('room_closed', ({ reason }) => this.#end('room_closed', `The room was closed (${reason})`));
    sig.on('lobby_rejected', ({ reason }) => this.#end('lobby_rejected', `A host did not let you in${reason ? `: ${reason}` : ''}`));
    sig.on('reconnect', ({ reason }) => this.#end('reconnect', `Media connection lost (${reason}); rejoining`));
    sig.on('error', ({ code, message }) => view.notice(`Server: ${code} ${message}`));
    sig.onClose((code, reason) => {
      if (code === 4401 || code === 4400) this.#end('rejected', `Connection refused: ${reason}`);
      else if (code === 4000) this.#end(isRoomEnd(reason) ? reason : 'room_closed', reason);
      else this.#end('connection_lost', `Connection lost (${code})`);
    });
  }

  #setState(state: CallState, detail?: string): void {
    this.#state = state;
    this.#options.view.setState(state, detail);
  }

  /** Ends this attempt once: closes media and the socket, then reports why. */
  #end(reason: EndReason, message: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#sig.close();
    this.#setState('ended', message);
    this.#options.onEnded(reason, message);
  }
}

/** The server's transport parameters for mediasoup-client (opaque in the schema, mediasoup's own types here). */
function transportOptions(params: TransportParams): TransportOptions {
  return {
    id: params.id,
    iceParameters: params.iceParameters as IceParameters,
    iceCandidates: params.iceCandidates as IceCandidate[],
    dtlsParameters: params.dtlsParameters as DtlsParameters,
  };
}

/** Close reasons (code 4000) that name the room event which ended the call. */
function isRoomEnd(reason: string): reason is 'kicked' | 'room_closed' | 'lobby_rejected' | 'reconnect' {
  return reason === 'kicked' || reason === 'room_closed' || reason === 'lobby_rejected' || reason === 'reconnect';
}
