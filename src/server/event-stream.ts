import type { Clock } from 'tradewire';
import type { EventMessage, StreamedEventName } from './protocol.js';
import { toWireJson } from './wire-json.js';

/** Receives each flushed batch of serialized messages, in sequence order. */
export type StreamSink = (messages: readonly string[]) => void;

interface Pending {
  readonly seq: number;
  readonly at: number;
  readonly account: string;
  readonly event: StreamedEventName;
  readonly payload: unknown;
}

export interface EventStreamOptions {
  readonly clock: Clock;
  /** How many serialized events are kept for clients that reconnect (default 10 000). */
  readonly bufferSize?: number;
  /** When to serialize and send what was published (default `setImmediate`: after the engine's own work). */
  readonly schedule?: (flush: () => void) => void;
}

/**
 * Numbers every published event and hands batches of serialized messages to the sinks (the
 * connected clients). Publishing is the only work on the engine's path: it records the payload
 * and schedules a flush — serializing and writing happen afterwards, once per event however many
 * clients there are, so neither a client nor its speed can slow a signal. Payloads are the
 * engine's immutable facts, so serializing them a moment later yields what was emitted.
 *
 * The last `bufferSize` messages are kept for resume: a client that reconnects with its last
 * sequence number gets exactly the messages after it, or — when they are no longer kept — a
 * snapshot.
 */
export class EventStream {
  private lastSeq = 0;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private readonly ring: string[];
  private readonly sinks = new Set<StreamSink>();
  private readonly clock: Clock;
  private readonly schedule: (flush: () => void) => void;
  private readonly flushNow = (): void => this.flush();

  constructor(options: EventStreamOptions) {
    this.clock = options.clock;
    this.ring = new Array<string>(Math.max(1, options.bufferSize ?? 10_000));
    this.schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  }

  /** The last sequence number assigned. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Records an event for every client (the hot path: no serialization, no I/O). */
  publish(account: string, event: StreamedEventName, payload: unknown): void {
    this.pending.push({ seq: ++this.lastSeq, at: this.clock.now(), account, event, payload });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(this.flushNow);
    }
  }

  /** Serializes what was published and delivers it to every sink. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const messages = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const message = toWireJson({ type: 'event', seq: p.seq, at: p.at, account: p.account, event: p.event, data: p.payload } satisfies Omit<EventMessage, 'data'> & { data: unknown });
      messages[i] = message;
      this.ring[p.seq % this.ring.length] = message;
    }
    for (const sink of this.sinks) sink(messages);
  }

  /**
   * The messages after `seq`, or undefined when some of them are no longer kept (the caller sends
   * a snapshot instead). Flushes first, so the answer reaches the current sequence number.
   */
  since(seq: number): string[] | undefined {
    this.flush();
    if (!Number.isInteger(seq) || seq < 0 || seq > this.lastSeq) return undefined;
    if (this.lastSeq - seq > this.ring.length) return undefined;
    const out: string[] = [];
    for (let s = seq + 1; s <= this.lastSeq; s++) out.push(this.ring[s % this.ring.length]!);
    return out;
  }

  /** Adds a sink for every batch from now on; flushes first, so it starts exactly at the current sequence number. */
  subscribe(sink: StreamSink): () => void {
    this.flush();
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
}
