import type { types as ms } from 'mediasoup';
import { DATA_HEADER_MAX_BYTES, DATA_PPID_BINARY, decodeDataFrame, encodeDataFrame } from '../schemas/dataFrame';
import { CascadeError } from '../schemas/errors';
import type { RoomId } from '../schemas/ids';
import {
  DataSendHeaderSchema,
  type DataConsumerParams,
  type DataMessage,
  type DataReceiveHeader,
  type MediaRequest,
} from '../schemas/media';
import { validator } from '../schemas/validate';
import type { DataEndpoint, MediaNodeEvents, RoomDataStats } from './MediaNodeTypes';

type DataAppData = { participantId: string; identity: string };
type Sender = DataAppData;
type Report = <K extends 'dataMessage' | 'dataRejected'>(event: K, payload: MediaNodeEvents[K]) => void;

export type RoomDataOptions = {
  roomId: RoomId;
  router: ms.Router;
  /** Largest payload of one message, bytes. */
  maxPayloadBytes: number;
  report: Report;
};

/** Room for the largest payload plus the largest header, so an oversized payload still arrives and is refused by name. */
const DIRECT_MAX_MESSAGE_SIZE = 262144;
const headerValidator = validator(DataSendHeaderSchema);

/**
 * A room's data messages on one node. Every uplink (a participant's DataProducer: SCTP on its
 * send transport, or direct for a server-side endpoint) is consumed on the room's one
 * DirectTransport, where this class reads each message, stamps the sender's identity, and sends
 * it to the local receivers through their downlinks: one DataProducer per receiver on the
 * DirectTransport, consumed by that receiver (SCTP on its recv transport). Messages from local
 * senders are also reported (`dataMessage`) so the other nodes of the room can deliver them
 * (`deliverRemote`); destination identities are filtered here, on the delivering node.
 */
export class RoomData {
  readonly #options: RoomDataOptions;
  #direct?: Promise<ms.DirectTransport>;
  /** Uplink DataProducer id -> it (its direct DataConsumer closes with it). */
  readonly #uplinks = new Map<string, ms.DataProducer<DataAppData>>();
  /** participantId -> its downlink DataProducer on the DirectTransport. */
  readonly #downlinks = new Map<string, ms.DataProducer<DataAppData>>();
  /** Participants whose downlink is being created (one per participant). */
  readonly #pendingDownlinks = new Set<string>();
  readonly #counters = { received: 0, relayed: 0, delivered: 0, rejected: 0 };

  constructor(options: RoomDataOptions) {
    this.#options = options;
  }

  get maxPayloadBytes(): number {
    return this.#options.maxPayloadBytes;
  }

  /** A participant's data channel on its send WebRTC transport (created with sctp). */
  async produceWebRtc(transport: ms.WebRtcTransport, request: MediaRequest<'produceData'>, participantId: string): Promise<{ dataProducerId: string; maxMessageBytes: number }> {
    if (!transport.sctpParameters) throw new CascadeError('VALIDATION_FAILED', 'Create the send transport with sctp: true to send data');
    const producer = await transport.produceData<DataAppData>({
      sctpStreamParameters: request.sctpStreamParameters as unknown as ms.SctpStreamParameters,
      label: request.label ?? '',
      protocol: request.protocol ?? '',
      appData: { participantId, identity: request.identity },
    });
    await this.#attachUplink(producer);
    return { dataProducerId: producer.id, maxMessageBytes: this.maxPayloadBytes };
  }

  /** The participant's downlink, consumed on its recv WebRTC transport (created with sctp). */
  async consumeWebRtc(transport: ms.WebRtcTransport, request: MediaRequest<'consumeData'>, participantId: string): Promise<DataConsumerParams> {
    if (!transport.sctpParameters) throw new CascadeError('VALIDATION_FAILED', 'Create the recv transport with sctp: true to receive data');
    return this.#withDownlink(participantId, request.identity, async (downlink) => {
      const consumer = await transport.consumeData({ dataProducerId: downlink.id, ordered: true });
      consumer.observer.once('close', () => downlink.close());
      return {
        id: consumer.id,
        dataProducerId: consumer.dataProducerId,
        sctpStreamParameters: { ...consumer.sctpStreamParameters },
        label: consumer.label,
        protocol: consumer.protocol,
      };
    });
  }

  /**
   * A server-side participant on the DirectTransport, sending and receiving frames exactly as a
   * browser's data channels would (a bot, or a stand-in for a browser in tests).
   */
  async openEndpoint(participantId: string, identity: string): Promise<DataEndpoint> {
    const direct = await this.#directTransport();
    const listeners: Array<(frame: Uint8Array) => void> = [];
    const consumer = await this.#withDownlink(participantId, identity, async (downlink) => {
      const c = await direct.consumeData({ dataProducerId: downlink.id });
      // Either end closing closes the other at once (not when the worker reports it).
      c.observer.once('close', () => downlink.close());
      downlink.observer.once('close', () => c.close());
      return c;
    });
    let uplink: ms.DataProducer<DataAppData>;
    try {
      uplink = await direct.produceData<DataAppData>({ label: 'endpoint', appData: { participantId, identity } });
      await this.#attachUplink(uplink);
    } catch (error) {
      consumer.close();
      throw error;
    }
    consumer.on('message', (message) => {
      for (const listener of listeners) listener(new Uint8Array(message));
    });
    return {
      send: (frame) => uplink.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), DATA_PPID_BINARY),
      onMessage: (listener) => void listeners.push(listener),
      close: () => {
        uplink.close();
        consumer.close();
      },
      get closed() {
        return uplink.closed && consumer.closed;
      },
    };
  }

  /** A message sent on another node: delivered to this node's receivers (the sender is not here). */
  deliverRemote(message: DataMessage): void {
    const payload = Buffer.from(message.payload, 'base64');
    if (payload.length > this.maxPayloadBytes)
      throw new CascadeError('MESSAGE_TOO_LARGE', `Data payload is ${payload.length} bytes; the limit is ${this.maxPayloadBytes}`);
    this.#counters.relayed++;
    this.#deliver(message, payload, message.to);
  }

  /** Closes the participant's uplinks, downlink and endpoint (their transports may outlive this). */
  closeParticipant(participantId: string): void {
    for (const producer of [...this.#uplinks.values(), ...this.#downlinks.values()]) {
      if (producer.appData.participantId === participantId) producer.close();
    }
  }

  /** Live data objects, as the worker lists them on the DirectTransport, and message counters. */
  async stats(): Promise<RoomDataStats> {
    const direct = this.#direct ? await this.#direct.catch(() => undefined) : undefined;
    const dump = direct && !direct.closed ? await direct.dump().catch(() => undefined) : undefined;
    return {
      uplinks: this.#uplinks.size,
      downlinks: this.#downlinks.size,
      directDataProducers: dump?.dataProducerIds.length ?? 0,
      directDataConsumers: dump?.dataConsumerIds.length ?? 0,
      ...this.#counters,
    };
  }

  /** Consumes an uplink on the DirectTransport and routes what arrives. */
  async #attachUplink(producer: ms.DataProducer<DataAppData>): Promise<void> {
    try {
      const direct = await this.#directTransport();
      const consumer = await direct.consumeData({ dataProducerId: producer.id });
      consumer.on('message', (message) => this.#onUplink(producer.appData, message));
      this.#uplinks.set(producer.id, producer);
      producer.observer.once('close', () => {
        this.#uplinks.delete(producer.id);
        consumer.close();
      });
    } catch (error) {
      producer.close();
      throw error;
    }
  }

  /** Creates the participant's one downlink, hands it to `use`, and closes it if `use` fails. */
  async #withDownlink<T>(participantId: string, identity: string, use: (downlink: ms.DataProducer<DataAppData>) => Promise<T>): Promise<T> {
    if (this.#downlinks.has(participantId) || this.#pendingDownlinks.has(participantId))
      throw new CascadeError('CONFLICT', 'This participant already receives data');
    this.#pendingDownlinks.add(participantId);
    try {
      const direct = await this.#directTransport();
      const downlink = await direct.produceData<DataAppData>({ label: 'cascade-data', appData: { participantId, identity } });
      try {
        const result = await use(downlink);
        if (!downlink.closed) {
          this.#downlinks.set(participantId, downlink);
          downlink.observer.once('close', () => {
            if (this.#downlinks.get(participantId) === downlink) this.#downlinks.delete(participantId);
          });
        }
        return result;
      } catch (error) {
        downlink.close();
        throw error;
      }
    } finally {
      this.#pendingDownlinks.delete(participantId);
    }
  }

  #onUplink(sender: Sender, message: Buffer): void {
    const { roomId } = this.#options;
    try {
      const max = this.maxPayloadBytes;
      if (message.length > 2 + DATA_HEADER_MAX_BYTES + max)
        throw new CascadeError('MESSAGE_TOO_LARGE', `Data message is ${message.length} bytes; the payload limit is ${max}`);
      const { header, payload } = decodeDataFrame(message);
      if (payload.length > max) throw new CascadeError('MESSAGE_TOO_LARGE', `Data payload is ${payload.length} bytes; the limit is ${max}`);
      const { topic, to: listed } = headerValidator.parse(header);
      // As in LiveKit, no destinations (absent or empty) means everyone else.
      const to = listed && listed.length > 0 ? listed : undefined;
      this.#counters.received++;
      const from = { participantId: sender.participantId, identity: sender.identity, ...(topic !== undefined ? { topic } : {}) };
      this.#deliver(from, payload, to);
      this.#options.report('dataMessage', {
        roomId,
        ...from,
        participantId: sender.participantId as DataMessage['participantId'],
        ...(to !== undefined ? { to } : {}),
        payload: Buffer.from(payload).toString('base64'),
      });
    } catch (error) {
      this.#counters.rejected++;
      const e = error instanceof CascadeError ? error : new CascadeError('VALIDATION_FAILED', String(error));
      const code = e.code === 'MESSAGE_TOO_LARGE' ? 'MESSAGE_TOO_LARGE' : 'VALIDATION_FAILED';
      const fields = e.fields?.map((f) => `${f.path}: ${f.message}`).join('; ');
      this.#options.report('dataRejected', { roomId, participantId: sender.participantId, code, message: fields ? `${e.message} (${fields})` : e.message });
    }
  }

  /** One frame for everyone; each local receiver but the sender, narrowed to `to` when given. */
  #deliver(from: { participantId: string; identity: string; topic?: string }, payload: Uint8Array, to: string[] | undefined): void {
    const header: DataReceiveHeader = { from: from.identity, ...(from.topic !== undefined ? { topic: from.topic } : {}) };
    let frame: Buffer | undefined;
    for (const downlink of this.#downlinks.values()) {
      const { participantId, identity } = downlink.appData;
      if (participantId === from.participantId || downlink.closed) continue;
      if (to && !to.includes(identity)) continue;
      if (!frame) {
        const bytes = encodeDataFrame(header, payload);
        frame = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      try {
        downlink.send(frame, DATA_PPID_BINARY);
        this.#counters.delivered++;
      } catch {
        // Closed under us (its receiver left); the others still get the message.
      }
    }
  }

  #directTransport(): Promise<ms.DirectTransport> {
    if (!this.#direct) {
      const created = this.#options.router.createDirectTransport({ maxMessageSize: DIRECT_MAX_MESSAGE_SIZE });
      this.#direct = created;
      created.catch(() => {
        if (this.#direct === created) this.#direct = undefined;
      });
    }
    return this.#direct;
  }
}
