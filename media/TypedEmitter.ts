import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose events and payloads are checked against a map (`{ name: payload }`),
 * like mediasoup's EnhancedEventEmitter. `safeEmit` never lets a listener's exception unwind
 * into media code that is in the middle of closing objects.
 */
export class TypedEmitter<E extends object> extends EventEmitter {
  override on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    return super.once(event, listener);
  }

  override off<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): this {
    return super.off(event, listener);
  }

  override emit<K extends keyof E & string>(event: K, payload: E[K]): boolean {
    return super.emit(event, payload);
  }

  /** Calls every listener even if one throws (which is reported, not rethrown). */
  safeEmit<K extends keyof E & string>(event: K, payload: E[K]): boolean {
    // rawListeners keeps once() wrappers, so calling them still removes those listeners.
    const listeners = this.rawListeners(event) as Array<(payload: E[K]) => void>;
    for (const listener of listeners) {
      try {
        listener.call(this, payload);
      } catch (error) {
        // A throwing listener is a bug in the listener: report it, but keep the emitter (and the
        // close cascade that emitted) going.
        console.error(`media: a listener of "${event}" threw`, error);
      }
    }
    return listeners.length > 0;
  }
}
