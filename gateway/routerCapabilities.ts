import type { ActorClient } from './types';

/** The media service action (actors/media); not in RoomActions/ParticipantActions. */
const MEDIA_RTP_CAPABILITIES = 'media.getRouterRtpCapabilities';

export type RtpCapabilities = Record<string, unknown>;

/**
 * The routers' RTP capabilities, asked of a media node once and then kept: every router is built
 * from the same codec list (config.codecs), so any media node's answer is every room's answer.
 * Serves `getRouterRtpCapabilities` without an actor call, and the client page inlines it so a
 * browser loads its mediasoup Device while its WebSocket connects. A failed ask is not kept.
 */
export class RouterCapabilities {
  readonly #actors: ActorClient;
  #value?: RtpCapabilities;
  #pending?: Promise<RtpCapabilities>;

  constructor(actors: ActorClient) {
    this.#actors = actors;
  }

  /** The capabilities when they are already known, without waiting. */
  get known(): RtpCapabilities | undefined {
    return this.#value;
  }

  get(): Promise<RtpCapabilities> {
    if (this.#value) return Promise.resolve(this.#value);
    this.#pending ??= this.#ask().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** The media service answers with the capabilities themselves; `{rtpCapabilities}` is accepted too. */
  async #ask(): Promise<RtpCapabilities> {
    const result = await this.#actors.call<RtpCapabilities>(MEDIA_RTP_CAPABILITIES, {});
    const wrapped = result.rtpCapabilities;
    const caps = wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as RtpCapabilities) : result;
    this.#value = caps;
    return caps;
  }
}
