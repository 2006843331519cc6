import { type Journal, type JournalEntry, type JournalQuery, type JournalRecord, matchesQuery } from './journal.js';

/**
 * A journal in process memory: fast, queryable, lost when the process ends. The default for
 * tests and the demo; use a durable journal in production.
 *
 * `capacity` bounds memory for long runs: past it, the oldest records are dropped (queries then
 * see only the newest `capacity`). Unbounded by default.
 */
export class InMemoryJournal implements Journal {
  private records: JournalRecord[] = [];
  private readonly byOrder = new Map<string, JournalRecord[]>();
  private seq = 0;

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

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
    if (this.records.length > this.capacity * 2) this.compact();
    if ('clientOrderId' in record && record.clientOrderId !== undefined) {
      const list = this.byOrder.get(record.clientOrderId);
      if (list) list.push(record);
      else this.byOrder.set(record.clientOrderId, [record]);
    }
  }

  query(filter: JournalQuery = {}): JournalRecord[] {
    const source = filter.clientOrderId !== undefined ? (this.byOrder.get(filter.clientOrderId) ?? []) : this.records;
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

  /** Drops all but the newest `capacity` records, in one pass (amortized O(1) per append). */
  private compact(): void {
    const dropped = this.records.length - this.capacity;
    // Only the orders that had a dropped record lose index entries; the rest are not visited.
    const touched = new Set<string>();
    for (let i = 0; i < dropped; i++) {
      const record = this.records[i]!;
      if ('clientOrderId' in record && record.clientOrderId !== undefined) touched.add(record.clientOrderId);
    }
    this.records = this.records.slice(dropped);
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
