import type { Clock } from 'tradewire';
import type { StreamedEventName } from './protocol.js';
import { toWireJson } from './wire-json.js';

/**
 * Receives each flushed batch as one frame: a JSON array of event messages, in sequence order,
 * serialized once for every client.
 */
export type StreamSink = (frame: string) => void;

/** One published event; serialized at most once, when a client first needs it. */
interface Entry {
  readonly seq: number;
  readonly at: number;
  readonly account: string;
  readonly event: StreamedEventName;
  readonly payload: unknown;
  json: string | undefined;
}

export interface EventStreamOptions {
  readonly clock: Clock;
  /** How many events are kept for clients that reconnect (default 10 000). */
  readonly bufferSize?: number;
  /** When to serialize and send what was published (default `setImmediate`: after the engine's own work). */
  readonly schedule?: (flush: () => void) => void;
}

/**
 * Numbers every published event and hands batches to the sinks (the connected clients).
 * Publishing is the only work on the engine's path: it keeps the payload and, when someone is
 * listening, schedules a flush. Serializing and writing happen afterwards, once per event and one
 * frame per batch however many clients there are, so neither a client nor its speed can slow a
 * signal — and with nobody connected nothing is serialized at all. Payloads are the engine's
 * immutable facts, so serializing them a moment later yields what was emitted.
 *
 * The last `bufferSize` events are kept for resume: a client that reconnects with its last
 * sequence number gets exactly the events after it, or — when they are no longer kept — a
 * snapshot. With nobody connected, events are kept only while a resume could still reach them
 * (for a buffer's worth after the last client left, or after the start): past that, an idle server
 * keeps no payload alive, and a client that comes back gets a snapshot, as it would have anyway.
 */
export class EventStream {
  private lastSeq = 0;
  private pending: Entry[] = [];
  private flushScheduled = false;
  private readonly ring: (Entry | undefined)[];
  private readonly sinks = new Set<StreamSink>();
  private readonly clock: Clock;
  private readonly schedule: (flush: () => void) => void;
  private readonly flushNow = (): void => this.flush();
  /** The stream's sequence number when the last client left (0 at the start): what a resume could start from. */
  private resumableFrom = 0;
  /** The last event not kept (nobody could resume from before it): a resume from earlier gets a snapshot. */
  private droppedAt = 0;

  constructor(options: EventStreamOptions) {
    this.clock = options.clock;
    this.ring = new Array<Entry | undefined>(Math.max(1, options.bufferSize ?? 10_000));
    this.schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  }

  /** The last sequence number assigned. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Records an event for every client (the hot path: no serialization, no I/O). */
  publish(account: string, event: StreamedEventName, payload: unknown): void {
    const seq = ++this.lastSeq;
    if (this.sinks.size === 0 && seq - this.resumableFrom > this.ring.length) {
      // Nobody connected, and the last client left more than a buffer ago: no resume can reach this
      // far back, so the event is not kept — nor what the buffer still holds (an idle server holds
      // no payloads alive for nobody).
      if (this.droppedAt !== seq - 1) this.ring.fill(undefined);
      this.droppedAt = seq;
      return;
    }
    const entry: Entry = { seq, at: this.clock.now(), account, event, payload, json: undefined };
    this.ring[seq % this.ring.length] = entry;
    if (this.sinks.size === 0) return;
    this.pending.push(entry);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(this.flushNow);
    }
  }

  /** Serializes what was published since the last flush and delivers it to every sink as one frame. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const frame = frameOf(batch);
    for (const sink of this.sinks) sink(frame);
  }

  /**
   * The events after `seq` as one frame, or undefined when some of them are no longer kept (the
   * caller sends a snapshot instead). Flushes first, so the answer reaches the current sequence number.
   */
  since(seq: number): string | undefined {
    this.flush();
    if (!Number.isInteger(seq) || seq < 0 || seq > this.lastSeq) return undefined;
    if (this.lastSeq - seq > this.ring.length || seq < this.droppedAt) return undefined;
    const entries: Entry[] = [];
    for (let s = seq + 1; s <= this.lastSeq; s++) entries.push(this.ring[s % this.ring.length]!);
    return frameOf(entries);
  }

  /** Adds a sink for every batch from now on; flushes first, so it starts exactly at the current sequence number. */
  subscribe(sink: StreamSink): () => void {
    this.flush();
    this.sinks.add(sink);
    return () => {
      if (this.sinks.delete(sink) && this.sinks.size === 0) this.resumableFrom = this.lastSeq;
    };
  }
}

/** A batch as one JSON array; each event's JSON is made once and kept for replays. */
function frameOf(entries: readonly Entry[]): string {
  let frame = '[';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    e.json ??= toWireJson({ type: 'event', seq: e.seq, at: e.at, account: e.account, event: e.event, data: e.payload });
    frame += i === 0 ? e.json : `,${e.json}`;
  }
  return `${frame}]`;
}
