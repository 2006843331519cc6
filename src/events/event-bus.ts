import { EventEmitter } from 'eventemitter3';

/** A map from event name to payload type. */
export type EventMap = { [event: string]: unknown };

export type Listener<P> = (payload: P) => void;

/** What a throwing listener produced, delivered to the `error` event. */
export interface ListenerErrorPayload {
  readonly error: unknown;
  /** The event whose listener threw, or the component that failed. */
  readonly source: string;
}

/**
 * A typed emitter over eventemitter3. A listener that throws never breaks the emitter's
 * caller: the error is caught and re-emitted as `error` (or given to `onUnhandledError`
 * when nobody listens), so a user's `order:filled` handler cannot corrupt engine state.
 */
export class EventBus<E extends { error: ListenerErrorPayload }> {
  private readonly emitter = new EventEmitter();
  private readonly onceWrappers = new Map<Listener<unknown>, Listener<unknown>>();

  constructor(private readonly onUnhandledError: (payload: ListenerErrorPayload) => void = () => undefined) {}

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    this.emitter.on(event, listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    const wrapper: Listener<E[K]> = (payload) => {
      this.off(event, listener);
      listener(payload);
    };
    this.onceWrappers.set(listener as Listener<unknown>, wrapper as Listener<unknown>);
    this.emitter.on(event, wrapper);
    return () => this.off(event, listener);
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): void {
    const wrapper = this.onceWrappers.get(listener as Listener<unknown>);
    if (wrapper) {
      this.onceWrappers.delete(listener as Listener<unknown>);
      this.emitter.off(event, wrapper);
    }
    this.emitter.off(event, listener);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  /** Resolves with the next payload of `event`. */
  next<K extends keyof E & string>(event: K): Promise<E[K]> {
    return new Promise((resolve) => this.once(event, resolve));
  }

  emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    if (this.emitter.listenerCount(event) === 0) {
      if (event === 'error') this.onUnhandledError(payload as ListenerErrorPayload);
      return;
    }
    // eventemitter3 stops at the first throwing listener; call each one ourselves so one
    // faulty handler neither breaks the engine nor starves the listeners after it.
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (error) {
        if (event === 'error') this.onUnhandledError({ error, source: 'error listener' });
        else this.emit('error', { error, source: event } as E['error']);
      }
    }
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
