import type { AccessClaims } from '../schemas/auth';
import { JoinResultSchema, ParticipantActions, RoomActions, type GatewaySignal, type JoinResult, type RoomMessage } from '../schemas/actors';
import { CascadeError, toCascadeError, type ErrorBody } from '../schemas/errors';
import type { NodeId, ParticipantId, RoomId } from '../schemas/ids';
import { JoinedDataSchema, type LeaveReason, type RequestData, type ResponseData } from '../schemas/signaling';
import { validator } from '../schemas/validate';
import { joinedHandlers, type JoinedContext, type JoinedMethod } from './handlers';
import { RouterCapabilities } from './routerCapabilities';
import { parseRequest, type ParsedRequest } from './ws/parse';
import { byteLength, errorEventFrame, errorFrame, okFrame, signalFrame } from './ws/frames';
import { CloseCodes, type ActorClient, type GatewayLogger, type SessionSocket } from './types';

/**
 * One signaling connection: validates every message, keeps the join state and forwards requests
 * to the actors. Never throws at its caller: every failure becomes an error frame, and the
 * connection stays usable afterwards.
 *
 * States: connected → joining → joined | waiting (lobby) → closed. Signals arriving while the
 * join call is in flight are held and delivered right after the join response, so the client
 * never sees room events before it knows it is in the room.
 */

export type SessionState = 'connected' | 'joining' | 'joined' | 'waiting' | 'closed';

export interface SignalingSessionOptions {
  claims: AccessClaims;
  actors: ActorClient;
  socket: SessionSocket;
  /** This gateway's broker node id: the room actor sends our participant's signals here. */
  gatewayNodeId: NodeId;
  maxMessageBytes: number;
  /**
   * Bytes queued for a client that does not read above which droppable events are skipped; at
   * SLOW_CONSUMER_FACTOR times this the connection is closed (http.maxBufferedBytes).
   */
  maxBufferedBytes?: number;
  /** Shared by the gateway's sessions; by default each session asks the media service once. */
  routerCapabilities?: RouterCapabilities;
  logger: GatewayLogger;
  /** Called once when the session ends (socket closed, left, disconnected by the room). */
  onClosed?: (session: SignalingSession) => void;
}

/** Held signals while joining; a join takes milliseconds, so this bound is never reached normally. */
const MAX_PENDING_SIGNALS = 500;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** A client whose queue keeps growing past the drop threshold up to this multiple is cut off. */
export const SLOW_CONSUMER_FACTOR = 4;
/** Events a slow client can miss without harm: the next one supersedes them. */
const DROPPABLE_EVENTS: ReadonlySet<string> = new Set(['active_speaker']);
const joinResultValidator = validator(JoinResultSchema);
const joinedValidator = validator(JoinedDataSchema);

export class SignalingSession {
  readonly #claims: AccessClaims;
  readonly #actors: ActorClient;
  readonly #socket: SessionSocket;
  readonly #gatewayNodeId: NodeId;
  readonly #maxMessageBytes: number;
  readonly #maxBufferedBytes: number;
  readonly #routerCapabilities: RouterCapabilities;
  readonly #logger: GatewayLogger;
  readonly #onClosed?: (session: SignalingSession) => void;
  #state: SessionState = 'connected';
  #participantId?: ParticipantId;
  #participantNodeId?: NodeId;
  #pendingSignals: GatewaySignal[] = [];
  /**
   * Settles when the join in flight does: requests pipelined behind `join` (the transports, say)
   * wait for it instead of failing NOT_JOINED, which saves the client a round trip.
   */
  #joinSettled: Promise<void> = Promise.resolve();
  #settleJoin?: () => void;
  #droppedEvents = 0;

  constructor(options: SignalingSessionOptions) {
    this.#claims = options.claims;
    this.#actors = options.actors;
    this.#socket = options.socket;
    this.#gatewayNodeId = options.gatewayNodeId;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#routerCapabilities = options.routerCapabilities ?? new RouterCapabilities(options.actors);
    this.#logger = options.logger;
    this.#onClosed = options.onClosed;
  }

  get state(): SessionState {
    return this.#state;
  }

  get roomId(): RoomId {
    return this.#claims.room;
  }

  get identity(): string {
    return this.#claims.identity;
  }

  /** The node hosting this session's participant actor (its media node), once joined. */
  get participantNodeId(): NodeId | undefined {
    return this.#participantNodeId;
  }

  get participantId(): ParticipantId | undefined {
    return this.#participantId;
  }

  /** Handles one WebSocket message. Resolves once it is answered; never rejects. */
  async handleMessage(raw: Buffer | ArrayBuffer | Buffer[]): Promise<void> {
    if (this.#state === 'closed') return;
    const size = byteLength(raw);
    if (size > this.#maxMessageBytes) {
      this.#sendErrorEvent(new CascadeError('MESSAGE_TOO_LARGE', `Message is ${size} bytes; the limit is ${this.#maxMessageBytes}`));
      return;
    }
    const parsed = parseRequest(raw);
    if (!parsed.ok) {
      if (parsed.id === undefined) this.#sendErrorEvent(parsed.error);
      else this.#send(errorFrame(parsed.id, parsed.error.toBody()));
      return;
    }
    await this.#dispatch(parsed.request);
  }

  /** A signal from an actor for this session's room; filtered here by participant. */
  deliver(signal: GatewaySignal): void {
    switch (this.#state) {
      case 'connected':
      case 'closed':
        return;
      case 'joining':
        if (this.#pendingSignals.length < MAX_PENDING_SIGNALS) this.#pendingSignals.push(signal);
        else this.#logger.warn(`session ${this.identity}: dropped ${signal.event} signal while joining`);
        return;
      case 'joined':
      case 'waiting':
        this.#deliverNow(signal);
    }
  }

  /** The socket is gone. A joined or waiting participant leaves the room as 'disconnected'. */
  socketClosed(): void {
    const wasIn = this.#state === 'joined' || this.#state === 'waiting';
    // While joining, the join completion sees 'closed' and leaves for us.
    this.#markClosed();
    if (wasIn) void this.#leaveQuietly('disconnected');
  }

  /** Closes the socket; its close event then calls socketClosed() as for any other close. */
  close(code: number, reason: string): void {
    if (this.#socket.isOpen) this.#socket.close(code, reason);
  }

  async #dispatch(request: ParsedRequest): Promise<void> {
    const { id } = request;
    const startsJoin = request.method === 'join' && this.#state === 'connected';
    try {
      const data = await this.#handle(request);
      this.#send(okFrame(id, data));
      if (request.method === 'join') this.#flushPendingSignals();
    } catch (err) {
      const error = toCascadeError(err);
      if (error.code === 'INTERNAL') this.#logger.error(`session ${this.identity}: ${request.method} failed`, err);
      else this.#logger.debug(`session ${this.identity}: ${request.method} → ${error.code}`);
      this.#send(errorFrame(id, error.toBody()));
      if (request.method === 'leave' && this.#state === 'closed') this.close(CloseCodes.normal, 'client_left');
      return;
    } finally {
      // Requests pipelined behind the join are answered after it (and after its held signals).
      if (startsJoin) this.#settleJoin?.();
    }
    if (request.method === 'leave') this.close(CloseCodes.normal, 'client_left');
  }

  async #handle(request: ParsedRequest): Promise<unknown> {
    if (this.#state === 'joining' && request.method !== 'join' && request.method !== 'getRouterRtpCapabilities') await this.#joinSettled;
    switch (request.method) {
      case 'getRouterRtpCapabilities':
        return this.#routerRtpCapabilities();
      case 'join':
        return this.#join(request.data);
      case 'leave':
        return this.#leave();
      default:
        return this.#handleJoined(request.method, request.data);
    }
  }

  /** Any media node will do: every router offers the same codecs (config.codecs). */
  async #routerRtpCapabilities(): Promise<ResponseData<'getRouterRtpCapabilities'>> {
    return { rtpCapabilities: await this.#routerCapabilities.get() };
  }

  #handleJoined(method: JoinedMethod, data: unknown): Promise<unknown> {
    const ctx = this.#joinedContext();
    // parseRequest validated `data` against this method's schema: the handler gets its own type.
    const handler = joinedHandlers[method] as (ctx: JoinedContext, data: unknown) => Promise<unknown>;
    return handler(ctx, data);
  }

  #joinedContext(): JoinedContext {
    if (this.#state === 'waiting') throw new CascadeError('IN_LOBBY', 'Wait until a host admits you');
    if (this.#state !== 'joined' || !this.#participantId || !this.#participantNodeId) throw new CascadeError('NOT_JOINED');
    return {
      actors: this.#actors,
      claims: this.#claims,
      roomId: this.roomId,
      participantId: this.#participantId,
      participantNodeId: this.#participantNodeId,
    };
  }

  async #join(data: RequestData<'join'>): Promise<ResponseData<'join'>> {
    if (this.#state !== 'connected') throw new CascadeError('ALREADY_JOINED');
    const claims = this.#claims;
    const params: RoomMessage<'join'> = {
      roomId: claims.room,
      identity: claims.identity,
      name: data.name ?? claims.name ?? claims.identity,
      role: claims.role,
      gatewayNodeId: this.#gatewayNodeId,
      rtpCapabilities: data.rtpCapabilities,
    };
    if (claims.region !== undefined) params.region = claims.region;
    if (data.password !== undefined) params.password = data.password;

    this.#state = 'joining';
    this.#joinSettled = new Promise((resolve) => (this.#settleJoin = resolve));
    let result: JoinResult;
    try {
      result = joinResultValidator.parse(await this.#actors.call(RoomActions.join, params));
    } catch (err) {
      if (this.state === 'joining') this.#state = 'connected';
      this.#pendingSignals = [];
      throw err;
    }
    this.#participantId = result.participantId;
    // In the lobby there is no participant actor yet: its node comes with the `joined` event.
    if (result.status === 'joined') this.#participantNodeId = result.participantNodeId;
    if (this.state === 'closed') {
      // The socket went away while the room was admitting us: undo the join.
      void this.#leaveQuietly('disconnected');
      throw new CascadeError('NOT_JOINED', 'Connection closed while joining');
    }
    this.#state = result.status;
    this.#logger.info(`session ${claims.identity}: ${result.status} room ${claims.room} as ${result.participantId}`);
    return result.status === 'joined' ? { status: 'joined', ...result.joined } : { status: 'waiting' };
  }

  async #leave(): Promise<ResponseData<'leave'>> {
    if (this.#state === 'waiting' || this.#state === 'joined') {
      // Closed first, so the socket's close event does not send a second leave.
      this.#markClosed();
      await this.#callLeave('client_left').catch((err: unknown) => {
        const error = toCascadeError(err);
        // Already gone from the room (kicked a moment ago, node failed): leaving succeeded.
        if (error.code !== 'PARTICIPANT_NOT_FOUND') throw err;
      });
      return {};
    }
    throw new CascadeError('NOT_JOINED');
  }

  /**
   * A participant with an actor leaves through it (it closes the media, then tells the room); one
   * still in the lobby has no actor yet and leaves the room directly.
   */
  #callLeave(reason: LeaveReason): Promise<unknown> {
    const participantId = this.#participantId;
    if (!participantId) return Promise.resolve();
    if (!this.#participantNodeId) {
      const params: RoomMessage<'leave'> = { roomId: this.roomId, participantId, reason };
      return this.#actors.call(RoomActions.leave, params);
    }
    return this.#actors.call(ParticipantActions.leave, { participantId, reason }, { nodeID: this.#participantNodeId });
  }

  async #leaveQuietly(reason: LeaveReason): Promise<void> {
    try {
      await this.#callLeave(reason);
    } catch (err) {
      this.#logger.warn(`session ${this.identity}: leave (${reason}) failed: ${toCascadeError(err).code}`, err);
    }
  }

  #flushPendingSignals(): void {
    const pending = this.#pendingSignals;
    this.#pendingSignals = [];
    for (const signal of pending) this.deliver(signal);
  }

  #deliverNow(signal: GatewaySignal): void {
    const me = this.#participantId;
    if (!me) return;
    if (signal.to && !signal.to.includes(me)) return;
    if (signal.except && signal.except.includes(me)) return;
    this.#send(signalFrame(signal), DROPPABLE_EVENTS.has(signal.event));
    // Admitted from the lobby: `joined` names the node now hosting our participant actor.
    if (signal.event === 'joined' && this.#state === 'waiting') {
      if (joinedValidator.check(signal.data)) {
        this.#participantNodeId = signal.data.node.id;
        this.#state = 'joined';
      } else {
        this.#logger.error(`session ${this.identity}: malformed joined signal`, joinedValidator.errors(signal.data));
      }
    }
    if (signal.disconnect) {
      // The room has already removed us: closing must not send participant.leave again.
      this.#markClosed();
      this.close(CloseCodes.closedByRoom, signal.event.slice(0, 100));
    }
  }

  #markClosed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#pendingSignals = [];
    this.#onClosed?.(this);
  }

  #sendErrorEvent(error: CascadeError | ErrorBody): void {
    const body = error instanceof CascadeError ? error.toBody() : error;
    this.#send(errorEventFrame(body));
  }

  /**
   * Writes a frame unless the client has stopped reading: above maxBufferedBytes queued, droppable
   * events are skipped; a queue that still grows to SLOW_CONSUMER_FACTOR times that ends the session.
   */
  #send(data: string | Buffer, droppable = false): void {
    if (!this.#socket.isOpen) return;
    const queued = this.#socket.bufferedAmount;
    if (queued > this.#maxBufferedBytes) {
      if (droppable) {
        if (this.#droppedEvents++ === 0) this.#logger.info(`session ${this.identity}: ${queued} bytes queued; dropping droppable events`);
        return;
      }
      if (queued >= this.#maxBufferedBytes * SLOW_CONSUMER_FACTOR) {
        this.#closeSlowConsumer(queued);
        return;
      }
    }
    this.#socket.send(data);
  }

  /**
   * Leaves the room as for a lost connection, at once: the close frame queues behind everything
   * the client has not read, and the socket library cuts the connection if it never does.
   */
  #closeSlowConsumer(queued: number): void {
    this.#logger.warn(`session ${this.identity}: closed, ${queued} bytes queued for a client that does not read (slow_consumer)`);
    this.socketClosed();
    this.#socket.close(CloseCodes.slowConsumer, 'slow_consumer');
  }
}
