import type { RoomMessage } from '../../schemas/actors';
import type { ParticipantId } from '../../schemas/ids';

export interface Waiting {
  participantId: ParticipantId;
  request: RoomMessage<'join'>;
  since: Date;
}

/** Joiners waiting for a host, in arrival order; keyed by identity (one wait per identity). */
export class Lobby {
  readonly #waiting = new Map<string, Waiting>();

  get size(): number {
    return this.#waiting.size;
  }

  add(waiting: Waiting): number {
    this.#waiting.delete(waiting.request.identity);
    this.#waiting.set(waiting.request.identity, waiting);
    return this.#waiting.size;
  }

  take(identity: string): Waiting | undefined {
    const w = this.#waiting.get(identity);
    this.#waiting.delete(identity);
    return w;
  }

  removeParticipant(participantId: ParticipantId): Waiting | undefined {
    for (const [identity, w] of this.#waiting) {
      if (w.participantId === participantId) {
        this.#waiting.delete(identity);
        return w;
      }
    }
    return undefined;
  }

  takeAll(): Waiting[] {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    return all;
  }

  all(): Waiting[] {
    return [...this.#waiting.values()];
  }
}
