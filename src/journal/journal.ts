import type { JournalWriteError } from '../core/errors.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-event.js';
import type { OrderStatus } from '../model/order-status.js';
import type { TransitionOutcome } from '../model/apply-order-event.js';

/**
 * What the journal stores: append-only records, each with a sequence number the journal assigns.
 * An order is journaled (`order.created`) before it is sent; every event applied to it after is
 * an `order.event` record with its outcome.
 *
 * Records carry the immutable `Order` and `OrderEvent` objects themselves: an in-memory journal
 * keeps them as they are, and a durable journal serializes them as it writes
 * ({@link journalRecordToJSON}) — so nobody pays for JSON they do not store.
 */
export type JournalEntry = (
  | {
      readonly kind: 'order.created';
      readonly at: number;
      readonly clientOrderId: string;
      readonly symbol: string;
      readonly status: OrderStatus;
      readonly order: Order;
      /**
       * The order's own timeout (ms; `null`: none — a protective stop, a bracket's leg), so a
       * restart arms the same one. Absent in journals written before it was recorded.
       */
      readonly timeoutMs?: number | null;
    }
  | {
      readonly kind: 'order.event';
      readonly at: number;
      readonly clientOrderId: string;
      readonly brokerOrderId?: string | undefined;
      readonly symbol: string;
      readonly from: OrderStatus;
      /** The status after the event (equal to `from` when ignored). */
      readonly status: OrderStatus;
      readonly outcome: TransitionOutcome;
      readonly eventType: OrderEvent['type'];
      readonly reason?: string | undefined;
      readonly event: OrderEvent;
    }
  | {
      /** Anything else worth a permanent record: emergency actions, reconciliation, alerts. */
      readonly kind: 'note';
      readonly at: number;
      readonly topic: string;
      readonly clientOrderId?: string;
      readonly symbol?: string;
      readonly data?: unknown;
    }
) & {
  /** Set by the journal when it appends; an entry may be built with {@link UNSTAMPED} in its place. */
  readonly seq?: number;
};

/**
 * The `seq` an entry is built with, before the journal stamps its number. An entry literal that
 * already has the slot keeps its hidden class when the journal writes the number — a field write,
 * where adding the property at the journal's megamorphic store site takes a runtime map transition
 * and a new property array: ≈ 3–6% of the signal path's CPU (interleaved A/B, docs/benchmarks.md).
 * Written last in the literal, so a record's JSON keeps its key order.
 */
export const UNSTAMPED = 0;

export type JournalRecord = JournalEntry & { readonly seq: number };

export interface JournalQuery {
  readonly clientOrderId?: string;
  readonly brokerOrderId?: string;
  readonly symbol?: string;
  /** Records that left an order in this status. */
  readonly status?: OrderStatus;
  readonly kinds?: readonly JournalRecord['kind'][];
  /** Notes of this topic (e.g. `engine.trading_state`). */
  readonly topic?: string;
  /** Inclusive time range, epoch ms. */
  readonly from?: number;
  readonly to?: number;
  readonly afterSeq?: number;
  readonly limit?: number;
}

/**
 * The audit trail and recovery log. `append` is synchronous so that "journaled before sent"
 * is a plain statement order, and so that a durable implementation can fsync before returning.
 */
export interface Journal {
  /**
   * Appends one record and returns it with its sequence number. The journal takes ownership of
   * `entry` (it may stamp it rather than copy it): pass a fresh object, and do not change it after.
   */
  append(entry: JournalEntry): JournalRecord;
  query(filter?: JournalQuery): JournalRecord[];
  /**
   * Makes everything appended so far durable. The lifecycle calls it right before an order is
   * sent and, when it returns a promise, sends only once that promise resolves: one flush covers
   * the records of every order waiting on it (group commit). Return nothing when the records are
   * already as durable as this journal makes them.
   */
  sync?(): void | Promise<void>;
  /**
   * Starts a new segment that begins with `snapshot`: records standing for everything before (the
   * working orders as they are now, the positions, the trading state, …). History before it is
   * archived, not lost, and a restart reads from the checkpoint on — not all of history. Optional:
   * a journal without it keeps one history (see `ExecutionEngine.checkpoint`).
   */
  checkpoint?(snapshot: readonly JournalEntry[], at: number): void;
  /** Records since the last checkpoint (what a restart reads); with {@link checkpoint}. */
  readonly sinceCheckpoint?: number;
  /**
   * Tells `listener` when the journal cannot write its records (a full disk, an I/O error), with the
   * error (at once when it is failing already), and once it writes again, with undefined. The engine halts new orders on the first and
   * raises a critical `journal_write_failed` alert. Returns the unsubscribe. Optional: a journal
   * whose writes cannot fail (in memory) has none.
   */
  onWriteError?(listener: (failure: JournalWriteError | undefined) => void): () => void;
  close?(): void;
}

/** The note that opens a segment written by {@link Journal.checkpoint}. */
export const CHECKPOINT_TOPIC = 'journal.checkpoint';

/**
 * The last note of `topic` in `records` (read from the end).
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export function lastNote(records: readonly JournalRecord[], topic: string): Extract<JournalRecord, { kind: 'note' }> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    if (record.kind === 'note' && record.topic === topic) return record;
  }
  return undefined;
}

/** True when `record` passes `filter`. Shared by every journal implementation. */
export function matchesQuery(record: JournalRecord, filter: JournalQuery): boolean {
  if (filter.afterSeq !== undefined && record.seq <= filter.afterSeq) return false;
  if (filter.kinds && !filter.kinds.includes(record.kind)) return false;
  if (filter.topic !== undefined && !(record.kind === 'note' && record.topic === filter.topic)) return false;
  if (filter.from !== undefined && record.at < filter.from) return false;
  if (filter.to !== undefined && record.at > filter.to) return false;
  if (filter.clientOrderId !== undefined && !('clientOrderId' in record && record.clientOrderId === filter.clientOrderId)) return false;
  if (filter.symbol !== undefined && !('symbol' in record && record.symbol === filter.symbol)) return false;
  if (filter.status !== undefined && !('status' in record && record.status === filter.status)) return false;
  if (filter.brokerOrderId !== undefined && !('brokerOrderId' in record && record.brokerOrderId === filter.brokerOrderId)) return false;
  return true;
}
