/**
 * Collects writes made during one turn of the event loop and hands them to `write` together,
 * after the current I/O callbacks (setImmediate): joins arriving together share one statement,
 * and the write runs after the join's answer has gone out. Each add() settles with its batch.
 * A failed batch is retried item by item, so one bad item fails alone.
 */
export class TickBatch<T> {
  readonly #write: (items: T[]) => Promise<unknown>;
  #pending: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(write: (items: T[]) => Promise<unknown>) {
    this.#write = write;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => void this.#flush());
      this.#pending.push({ item, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    try {
      await this.#write(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      await Promise.all(
        batch.map(async (p) => {
          try {
            await this.#write([p.item]);
            p.resolve();
          } catch (e) {
            p.reject(e);
          }
        }),
      );
    }
  }
}
