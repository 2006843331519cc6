import { type Journal, type JournalEntry, type JournalQuery, type JournalRecord, matchesQuery } from './journal.js';

/**
 * A journal in process memory: fast, queryable, lost when the process ends. The default for
 * tests and the demo; use a durable journal in production.
 */
export class InMemoryJournal implements Journal {
  private readonly records: JournalRecord[] = [];
  private readonly byOrder = new Map<string, JournalRecord[]>();

  append(entry: JournalEntry): JournalRecord {
    // Records are typed readonly; not frozen, because freezing every record costs more than it protects.
    const record = { ...entry, seq: this.records.length + 1 } as JournalRecord;
    this.records.push(record);
    if ('clientOrderId' in record && record.clientOrderId !== undefined) {
      const list = this.byOrder.get(record.clientOrderId);
      if (list) list.push(record);
      else this.byOrder.set(record.clientOrderId, [record]);
    }
    return record;
  }

  query(filter: JournalQuery = {}): JournalRecord[] {
    const source = filter.clientOrderId !== undefined ? (this.byOrder.get(filter.clientOrderId) ?? []) : this.records;
    const out: JournalRecord[] = [];
    for (const record of source) {
      if (!matchesQuery(record, filter)) continue;
      out.push(record);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  get size(): number {
    return this.records.length;
  }
}
