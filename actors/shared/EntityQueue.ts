import { AwaitQueue } from 'awaitqueue';

/**
 * Hosts entities of one kind (rooms, participants, egress jobs) and runs every message for one
 * entity through that entity's own queue: messages for one room never interleave, while different
 * rooms proceed in parallel. Like mediasoup-demo's AwaitQueue around room creation, per entity.
 */
export class EntityQueue<K extends string, E> {
  readonly #entities = new Map<K, { entity: E; queue: AwaitQueue }>();

  get size(): number {
    return this.#entities.size;
  }

  has(id: K): boolean {
    return this.#entities.has(id);
  }

  get(id: K): E | undefined {
    return this.#entities.get(id)?.entity;
  }

  values(): IterableIterator<E> {
    const it = this.#entities.values();
    return (function* () {
      for (const v of it) yield v.entity;
    })();
  }

  add(id: K, entity: E): void {
    if (this.#entities.has(id)) throw new Error(`entity ${id} already hosted`);
    this.#entities.set(id, { entity, queue: new AwaitQueue() });
  }

  /** Forgets the entity; messages already queued for it still run (and see it closed). */
  delete(id: K): void {
    this.#entities.delete(id);
  }

  /** Runs `task` in the entity's queue; `missing` builds the error when it is not hosted here. */
  run<T>(id: K, task: (entity: E) => Promise<T> | T, missing: () => Error): Promise<T> {
    const slot = this.#entities.get(id);
    if (!slot) return Promise.reject(missing());
    return slot.queue.push(async () => task(slot.entity));
  }
}
