import { ConfigurationError } from '../core/errors.js';
import { dropOldest, slackOf } from '../core/window-slack.js';
import { type Journal, type JournalEntry, type JournalQuery, type JournalRecord, matchesQuery } from './journal.js';

/**
 * A journal in process memory: fast, queryable, lost when the process ends. The default for
 * tests and the demo; use a durable journal in production.
 *
 * `capacity` bounds memory for long runs: past it, the oldest records are dropped (queries then
 * see only the newest `capacity`). Unbounded by default.
 */
export class InMemoryJournal implements Journal {
  private readonly records: JournalRecord[] = [];
  /**
   * The records of each order, built at the first query by order id and kept from then on: a run
   * that never asks (a backtest, a bot without a dashboard) pays for no index — a map insert or
   * lookup for each of the ≈ 8 records an order makes, and its upkeep when old records are dropped.
   */
  private byOrder: Map<string, JournalRecord[]> | undefined;
  private seq = 0;

  /** @throws {@link ConfigurationError} when `capacity` is not a whole number above 0 (or `Infinity`). */
  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {
    // A capacity of 'abc' kept every record and reported NaN for its size; -1 or 0 kept none, so a
    // restart had nothing to recover from.
    if (capacity !== Number.POSITIVE_INFINITY && !(Number.isInteger(capacity) && capacity > 0)) {
      throw new ConfigurationError([{ field: 'journal.capacity', message: `must be a whole number above 0 (or Infinity), got ${String(capacity)}` }]);
    }
  }

  /** Puts back a record that already has its sequence number (a durable journal loading its file). */
  restore(record: JournalRecord): void {
    this.seq = Math.max(this.seq, record.seq);
    this.index(record);
  }

  append(entry: JournalEntry): JournalRecord {
    // The journal takes ownership of the entry and stamps it (no copy): entries are built for the call.
    const record = entry as JournalEntry & { seq: number };
    record.seq = ++this.seq;
    this.index(record);
    return record;
  }

  /** The last sequence number handed out. */
  get lastSeq(): number {
    return this.seq;
  }

  private index(record: JournalRecord): void {
    this.records.push(record);
    if (this.records.length > this.capacity + slackOf(this.capacity)) this.compact();
    if (this.byOrder) indexByOrder(this.byOrder, record);
  }

  query(filter: JournalQuery = {}): JournalRecord[] {
    const source = filter.clientOrderId !== undefined ? (this.ordersIndex().get(filter.clientOrderId) ?? []) : this.records;
    const oldest = this.seq - this.capacity;
    const out: JournalRecord[] = [];
    for (const record of source) {
      if (record.seq <= oldest) continue;
      if (!matchesQuery(record, filter)) continue;
      out.push(record);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  get size(): number {
    return Math.min(this.records.length, this.capacity);
  }

  private ordersIndex(): Map<string, JournalRecord[]> {
    if (!this.byOrder) {
      this.byOrder = new Map();
      for (const record of this.records) indexByOrder(this.byOrder, record);
    }
    return this.byOrder;
  }

  /** Drops all but the newest `capacity` records, in one pass (amortized O(1) per append). */
  private compact(): void {
    const dropped = this.records.length - this.capacity;
    if (!this.byOrder) {
      dropOldest(this.records, dropped);
      return;
    }
    // Only the orders that had a dropped record lose index entries; the rest are not visited.
    const touched = new Set<string>();
    for (let i = 0; i < dropped; i++) {
      const record = this.records[i]!;
      if ('clientOrderId' in record && record.clientOrderId !== undefined) touched.add(record.clientOrderId);
    }
    dropOldest(this.records, dropped);
    const oldest = this.records[0]?.seq ?? 0;
    for (const id of touched) {
      const list = this.byOrder.get(id);
      if (!list) continue;
      // Lists are in sequence order: the dropped records are a prefix.
      let stale = 0;
      while (stale < list.length && list[stale]!.seq < oldest) stale++;
      if (stale === list.length) this.byOrder.delete(id);
      else if (stale > 0) this.byOrder.set(id, list.slice(stale));
    }
  }
}

function indexByOrder(index: Map<string, JournalRecord[]>, record: JournalRecord): void {
  if (!('clientOrderId' in record) || record.clientOrderId === undefined) return;
  const list = index.get(record.clientOrderId);
  if (list) list.push(record);
  else index.set(record.clientOrderId, [record]);
}
