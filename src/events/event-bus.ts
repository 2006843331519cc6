import { EventEmitter } from 'eventemitter3';
import { AnnounceInOrder } from '../core/announce-in-order.js';

/** A map from event name to payload type. */
export type EventMap = { [event: string]: unknown };

export type Listener<P> = (payload: P) => void;

/** What a throwing listener produced, delivered to the `error` event. */
export interface ListenerErrorPayload {
  readonly error: unknown;
  /** The event whose listener threw, or the component that failed. */
  readonly source: string;
}

type AnyListener = Listener<never>;

/**
 * What a host gets: subscribe and unsubscribe, nothing more. It cannot emit into the engine or
 * remove the engine's own listeners.
 */
export interface EventSource<E> {
  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void;
  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void;
  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): void;
  /** Resolves with the next payload of `event`. */
  next<K extends keyof E & string>(event: K): Promise<E[K]>;
  listenerCount<K extends keyof E & string>(event: K): number;
}

/**
 * What a component gets: the events it announces, and whether anyone listens (so a payload
 * nobody will read is never built). A component declares only the events it emits.
 */
export interface EventSink<E> {
  emit<K extends keyof E & string>(event: K, payload: E[K]): void;
  listenerCount<K extends keyof E & string>(event: K): number;
  /** Keeps the changes emitted on this sink in the order they were applied (see {@link AnnounceInOrder}). */
  readonly announcements?: AnnounceInOrder;
}

export interface EventBusOptions {
  /**
   * Events that are not changes of their own but may be raised while one is applied — an alert a
   * hook raises on an order's fill — and are announced in their turn: after the events of the
   * change being applied or announced, as {@link AnnounceInOrder} orders changes. Others are
   * emitted at once.
   */
  readonly inTurn?: readonly string[];
}

/** A view of `bus` that can only subscribe: what the engine hands to hosts (no emit, no removeAllListeners). */
export function subscribeOnly<E>(bus: EventSource<E>): EventSource<E> {
  return {
    on: (event, listener) => bus.on(event, listener),
    once: (event, listener) => bus.once(event, listener),
    off: (event, listener) => bus.off(event, listener),
    next: (event) => bus.next(event),
    listenerCount: (event) => bus.listenerCount(event),
  };
}

/**
 * A typed emitter over eventemitter3. A listener that throws never breaks the emitter's caller:
 * the error is caught and re-emitted as `error` (or given to `onUnhandledError` when nobody
 * listens), so a user's `order:filled` handler cannot corrupt engine state.
 *
 * Each listener is wrapped once, when it is added, so emitting is eventemitter3's own fast path
 * with no allocation per event.
 */
export class EventBus<E extends { error: ListenerErrorPayload }> implements EventSource<E>, EventSink<E> {
  private readonly emitter = new EventEmitter();
  /** Shared by the components that emit here: their changes reach listeners in the order they were applied. */
  readonly announcements = new AnnounceInOrder();
  /** event → (listener → its wrapper), so `off` can find what was registered. */
  private readonly wrappers = new Map<string, Map<AnyListener, (payload: unknown) => void>>();

  /** Events announced in their turn (see {@link EventBusOptions.inTurn}). */
  private readonly inTurn: ReadonlySet<string> | undefined;

  constructor(
    private readonly onUnhandledError: (payload: ListenerErrorPayload) => void = () => undefined,
    options: EventBusOptions = {},
  ) {
    this.inTurn = options.inTurn && options.inTurn.length > 0 ? new Set(options.inTurn) : undefined;
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    this.emitter.on(event, this.wrap(event, listener, false));
    return () => this.off(event, listener);
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    this.emitter.on(event, this.wrap(event, listener, true));
    return () => this.off(event, listener);
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): void {
    const forEvent = this.wrappers.get(event);
    const wrapper = forEvent?.get(listener as AnyListener);
    if (!wrapper) return;
    forEvent!.delete(listener as AnyListener);
    this.emitter.off(event, wrapper);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  /** Resolves with the next payload of `event`. */
  next<K extends keyof E & string>(event: K): Promise<E[K]> {
    return new Promise((resolve) => this.once(event, resolve));
  }

  emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    // Raised while a change is being applied or announced (a hook's alert): after that change's events.
    if (this.inTurn !== undefined && !this.announcements.idle && this.inTurn.has(event)) this.announcements.now(payload, (p) => this.emitNow(event, p));
    else this.emitNow(event, payload);
  }

  private emitNow<K extends keyof E & string>(event: K, payload: E[K]): void {
    if (!this.emitter.emit(event, payload) && event === 'error') this.onUnhandledError(payload as ListenerErrorPayload);
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
    this.wrappers.clear();
  }

  private wrap(event: string, listener: AnyListener, once: boolean): (payload: unknown) => void {
    let forEvent = this.wrappers.get(event);
    if (!forEvent) {
      forEvent = new Map();
      this.wrappers.set(event, forEvent);
    }
    // Adding the same listener twice keeps one registration, like addEventListener.
    const existing = forEvent.get(listener);
    if (existing) this.emitter.off(event, existing);
    const wrapper = (payload: unknown): void => {
      if (once) this.off(event as keyof E & string, listener as Listener<E[keyof E & string]>);
      try {
        (listener as Listener<unknown>)(payload);
      } catch (error) {
        if (event === 'error') this.onUnhandledError({ error, source: 'error listener' });
        else this.emit('error', { error, source: event } as E['error']);
      }
    };
    forEvent.set(listener, wrapper);
    return wrapper;
  }
}
