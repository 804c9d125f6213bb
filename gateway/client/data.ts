import type { DataConsumer, DataProducer, SctpStreamParameters, Transport } from 'mediasoup-client/lib/types';
import { decodeDataFrame, encodeDataFrame } from '../../schemas/dataFrame';
import type { DataReceiveHeader, DataSendHeader } from '../../schemas/media';
import { SignalingError, type SignalingClient } from './signaling';

/**
 * Data messages (like LiveKit's publishData): one reliable, ordered data channel each way through
 * the SFU, whatever the number of participants. Ours (a DataProducer on the send transport)
 * carries frames with {topic?, to?}; one DataConsumer on the recv transport brings everyone
 * else's, with the sender's identity stamped by the server. Frame format: schemas/dataFrame.ts.
 */

export interface DataMessage {
  /** Identity of the sender (set by the server). */
  from: string;
  topic?: string;
  payload: Uint8Array;
}

export interface SendDataOptions {
  topic?: string;
  /** Destination identities; omit (or leave empty) for everyone else in the room. */
  to?: string[];
}

interface Sender {
  producer: DataProducer;
  maxMessageBytes: number;
}

export class DataChannels {
  readonly #sig: SignalingClient;
  readonly #onMessage: (message: DataMessage) => void;
  /** Settles once we know whether we may send: the open producer, or null (viewers). */
  readonly #sender: Promise<Sender | null>;
  #resolveSender!: (sender: Promise<Sender | null>) => void;
  #producer?: DataProducer;
  #consumer?: DataConsumer;
  /** Known once the call decides: true with a send transport, false for viewers. */
  #canSend?: boolean;
  #sending = false;
  #receiving = false;

  constructor(sig: SignalingClient, onMessage: (message: DataMessage) => void) {
    this.#sig = sig;
    this.#onMessage = onMessage;
    this.#sender = new Promise((resolve) => (this.#resolveSender = resolve));
    // Rejections surface in send(); nobody else awaits this.
    this.#sender.catch(() => undefined);
  }

  /** Both directions open (a viewer only receives): messages sent from now on reach us. */
  get ready(): boolean {
    return this.#receiving && (this.#canSend === false || this.#sending);
  }

  /** Starts receiving on the recv transport (created with sctp). Resolves once the channel is open. */
  async receive(transport: Transport): Promise<void> {
    const params = await this.#sig.request('consumeData', {});
    const consumer = await transport.consumeData({
      id: params.id,
      dataProducerId: params.dataProducerId,
      sctpStreamParameters: params.sctpStreamParameters as SctpStreamParameters,
      label: params.label,
      protocol: params.protocol,
    });
    this.#consumer = consumer;
    consumer.binaryType = 'arraybuffer';
    consumer.on('message', (data: ArrayBuffer | string) => this.#onFrame(data));
    await opened(consumer);
    this.#receiving = true;
  }

  /** Opens our channel on the send transport (created with sctp). */
  enableSending(transport: Transport): void {
    this.#canSend = true;
    let maxMessageBytes = 0;
    transport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
      this.#sig
        .request('produceData', { transportId: transport.id, sctpStreamParameters, ...(label ? { label } : {}), ...(protocol ? { protocol } : {}) })
        .then((result) => {
          maxMessageBytes = result.maxMessageBytes;
          callback({ id: result.dataProducerId });
        }, errback);
    });
    this.#resolveSender(
      transport.produceData({ ordered: true, label: 'cascade-data' }).then(async (producer) => {
        this.#producer = producer;
        await opened(producer);
        this.#sending = true;
        return { producer, maxMessageBytes };
      }),
    );
  }

  /** This participant may not send data (a viewer has no send transport). */
  disableSending(): void {
    this.#canSend = false;
    this.#resolveSender(Promise.resolve(null));
  }

  /** Sends one message; rejects with FORBIDDEN (viewers) or MESSAGE_TOO_LARGE before anything is sent. */
  async send(payload: Uint8Array | string, options: SendDataOptions = {}): Promise<void> {
    const sender = await this.#sender;
    if (!sender) throw new SignalingError({ code: 'FORBIDDEN', message: 'This participant may not send data' });
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    if (bytes.length > sender.maxMessageBytes)
      throw new SignalingError({ code: 'MESSAGE_TOO_LARGE', message: `Data payload is ${bytes.length} bytes; the limit is ${sender.maxMessageBytes}` });
    const header: DataSendHeader = { ...(options.topic !== undefined ? { topic: options.topic } : {}), ...(options.to?.length ? { to: options.to } : {}) };
    sender.producer.send(encodeDataFrame(header, bytes));
  }

  close(): void {
    this.#resolveSender(Promise.reject(new SignalingError({ code: 'CLOSED', message: 'The call ended' })));
    this.#producer?.close();
    this.#consumer?.close();
  }

  #onFrame(data: ArrayBuffer | string): void {
    try {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
      const { header, payload } = decodeDataFrame(bytes);
      const { from, topic } = header as DataReceiveHeader;
      if (typeof from !== 'string') throw new Error('no sender in the header');
      this.#onMessage({ from, ...(typeof topic === 'string' ? { topic } : {}), payload });
    } catch (err) {
      console.warn('data: dropped a malformed message', err);
    }
  }
}

/** Resolves when the data channel is open (at once if it already is). */
function opened(channel: DataProducer | DataConsumer): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  // Both emit open / error / close; the union of their typed `on` is not callable as such.
  const events = channel as unknown as { on(event: 'open' | 'close', listener: () => void): void; on(event: 'error', listener: (err: Error) => void): void };
  return new Promise((resolve, reject) => {
    events.on('open', () => resolve());
    events.on('error', (err: Error) => reject(err));
    events.on('close', () => reject(new SignalingError({ code: 'CLOSED', message: 'Data channel closed before opening' })));
  });
}
