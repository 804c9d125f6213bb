import type { ChatMessage } from '../../schemas/signaling';

/** The last N public messages of a room, sent to joiners as history. */
export class ChatLog {
  readonly #messages: ChatMessage[] = [];

  constructor(readonly capacity: number) {}

  add(message: ChatMessage): void {
    if (this.capacity === 0 || message.to) return;
    this.#messages.push(message);
    if (this.#messages.length > this.capacity) this.#messages.shift();
  }

  /** Seed from persisted history (oldest first). */
  load(messages: ChatMessage[]): void {
    for (const m of messages.slice(-this.capacity)) this.add(m);
  }

  recent(): ChatMessage[] {
    return [...this.#messages];
  }
}
