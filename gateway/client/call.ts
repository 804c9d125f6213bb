import { Device } from 'mediasoup-client';
import type { DtlsParameters, IceCandidate, IceParameters, RtpCapabilities, SctpParameters, TransportOptions } from 'mediasoup-client/lib/types';
import type { TrackSource, TransportParams } from '../../schemas/media';
import type { ChatMessage, JoinedData, ParticipantInfo, TrackInfo } from '../../schemas/signaling';
import { DataChannels, type DataMessage, type SendDataOptions } from './data';
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
  /** The routers' capabilities when the page carried them: the device loads while the socket opens. */
  routerRtpCapabilities?: Record<string, unknown>;
  /** A data message from another participant. */
  onData?(message: DataMessage): void;
}

/** Longest our own publishing waits for remote video to start flowing. */
const FIRST_VIDEO_WAIT_MS = 1000;

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
  readonly #data: DataChannels;
  /** The receive transport has been asked for: consumes may follow at once (requests are handled in order). */
  #recvRequested = false;
  /** Producers asked for before the receive transport existed (the subscriber dedupes after that). */
  readonly #consumedEarly = new Set<string>();
  #ended = false;

  constructor(options: CallOptions) {
    this.#options = options;
    this.#data = new DataChannels(this.#sig, (message) => options.onData?.(message));
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
      // The socket opens while the device loads (with the page's capabilities, nothing to wait for).
      const connected = this.#sig.connect(this.#options.wsUrl);
      await Promise.all([connected, this.#loadDevice(connected)]);
      this.#setState('joining');
      const join = this.#sig.request('join', {
        rtpCapabilities: this.#device.rtpCapabilities,
        ...(this.#options.name ? { name: this.#options.name } : {}),
      });
      // Pipelined: the server holds it until the join is answered, so the receive transport comes
      // one round trip sooner. In the lobby it fails (IN_LOBBY) and is asked again once admitted.
      const recvRequest = this.#sig.request('createTransport', { direction: 'recv', sctp: true });
      void recvRequest.catch(() => undefined);
      const result = await join;
      if (result.status === 'waiting') {
        this.#setState('waiting', 'Waiting for a host to let you in');
        return;
      }
      const { status: _status, ...joined } = result;
      await this.#onJoined(joined, recvRequest);
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

  /** Sends a data message to everyone else, or to the identities in `to`. */
  sendData(payload: Uint8Array | string, options: SendDataOptions = {}): Promise<void> {
    return this.#data.send(payload, options);
  }

  /** Data channels open both ways (receive-only for viewers). */
  get dataReady(): boolean {
    return this.#data.ready;
  }

  async stats(): Promise<CallStats> {
    const inbound = (await this.#subscriber?.totals()) ?? { inboundVideoFramesDecoded: 0, inboundAudioPackets: 0, inboundBytes: 0 };
    const outbound = (await this.#publisher?.stats()) ?? { outboundVideoFramesEncoded: 0, outboundAudioPackets: 0 };
    const byIdentity = (await this.#subscriber?.stats()) ?? {};
    return { ...inbound, ...outbound, consumers: this.#subscriber?.count ?? 0, byIdentity };
  }

  async #loadDevice(connected: Promise<void>): Promise<void> {
    let routerRtpCapabilities = this.#options.routerRtpCapabilities;
    if (!routerRtpCapabilities) {
      await connected;
      routerRtpCapabilities = (await this.#sig.request('getRouterRtpCapabilities', {})).rtpCapabilities;
    }
    await this.#device.load({ routerRtpCapabilities: routerRtpCapabilities as RtpCapabilities });
  }

  /** `recvRequest`: the receive transport, already asked for along with the join. */
  async #onJoined(data: JoinedData, recvRequest = this.#sig.request('createTransport', { direction: 'recv', sctp: true })): Promise<void> {
    const { view } = this.#options;
    this.#self = data.self;
    this.#setState('joined');
    view.joined(data);

    // One round trip for the send transport and the consumers of the tracks already in the room:
    // the server handles our requests in order, so none of them waits for another's answer.
    this.#recvRequested = true;
    const sendRequest = data.self.role === 'viewer' ? undefined : this.#sig.request('createTransport', { direction: 'send', sctp: true });
    void sendRequest?.catch(() => undefined); // awaited (and its failure reported) below
    const receiving = data.participants.flatMap((p) => this.#addParticipant(p));
    const recvParams = await recvRequest;
    const recv = this.#device.createRecvTransport(transportOptions(recvParams));
    this.#subscriber = new Subscriber(this.#sig, recv, view);
    this.#resolveRecv(this.#subscriber);

    if (!sendRequest) {
      this.#data.disableSending();
    } else {
      const sendParams = await sendRequest;
      const send = this.#device.createSendTransport(transportOptions(sendParams));
      this.#publisher = new Publisher(this.#sig, this.#device, send, view);
      // Receiving first: our producers queue behind the resumes of what we consume, and the
      // camera and encoders start once the decoders are set up. Starting the camera while
      // connecting instead delayed the first remote frame by ~50 ms on 2 cores (bench/RESULTS.md).
      await Promise.allSettled(receiving);
      // And until the first remote video shows: publishing (camera, encoder, renegotiation) takes
      // the renderer's main thread right when the first key frame arrives (bench/RESULTS.md).
      if (data.participants.some((p) => p.tracks.some((t) => t.kind === 'video'))) await this.#subscriber.videoFlowing(FIRST_VIDEO_WAIT_MS);
      if (this.#device.canProduce('audio') || this.#device.canProduce('video')) await this.#publisher.publishCameraAndMic();
      this.#data.enableSending(send);
    }
    // Data channels after the media, so opening them never delays the first frame.
    void this.#data.receive(recv).catch((err: Error) => view.notice(`Data messages unavailable: ${err.message}`));
  }

  /** Shows the participant and consumes its tracks; resolves (per track) once the consumer is being resumed. */
  #addParticipant(p: ParticipantInfo): Promise<void>[] {
    if (p.id === this.#self?.id) return [];
    this.#options.view.addParticipant(p);
    return p.tracks.map((track) => this.#consume(track));
  }

  #consume(track: TrackInfo): Promise<void> {
    if (this.#subscriber) return this.#subscriber.consume(track);
    if (this.#consumedEarly.has(track.producerId)) return Promise.resolve();
    this.#consumedEarly.add(track.producerId);
    const requested = this.#recvRequested ? this.#sig.request('consume', { producerId: track.producerId }) : undefined;
    void requested?.catch(() => undefined); // the subscriber reports it, if the transport ever comes
    return this.#recvReady.then((s) => s.consume(track, requested));
  }

  #listen(): void {
    const sig = this.#sig;
    const { view } = this.#options;
    sig.onAny((event, data) => this.#options.onEvent?.(event, data));
    sig.on('joined', (data) => void this.#onJoined(data).catch((err: Error) => this.#end('failed', err.message)));
    sig.on('lobby_waiting', ({ position }) => view.setState('waiting', `Waiting for a host to let you in (position ${position})`));
    sig.on('participant_joined', (p) => {
      this.#addParticipant(p);
    });
    sig.on('participant_left', ({ participantId }) => {
      this.#subscriber?.removeParticipant(participantId);
      view.removeParticipant(participantId);
    });
    sig.on('track_published', (track) => {
      if (track.participantId !== this.#self?.id) void this.#consume(track);
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
    this.#data.close();
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
    ...(params.sctpParameters ? { sctpParameters: params.sctpParameters as SctpParameters } : {}),
  };
}

/** Close reasons (code 4000) that name the room event which ended the call. */
function isRoomEnd(reason: string): reason is 'kicked' | 'room_closed' | 'lobby_rejected' | 'reconnect' {
  return reason === 'kicked' || reason === 'room_closed' || reason === 'lobby_rejected' || reason === 'reconnect';
}
