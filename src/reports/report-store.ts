import type { SegmentReport } from './segment-report.js';
import { CHECKPOINT_TOPIC, type Journal, type JournalQuery, type JournalRecord, matchesQuery } from '../journal/journal.js';

/** An inclusive time range, epoch ms; an open end is unbounded. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/**
 * Where reports and audit searches read from: the journal (any of them — in memory, a file,
 * PostgreSQL) seen as a store of records. Reports read only the notes they need (execution records,
 * closed positions, account snapshots, alerts); the regulatory report and the audit search read
 * every record of a range.
 */
export interface ReportStore {
  /** The notes of these topics in `range`, oldest first. */
  notes(topics: readonly string[], range: TimeRange): AsyncIterable<JournalRecord>;
  /**
   * Every record matching `filter`, in the journal's order (sequence) — each once: the copies a
   * checkpoint wrote at the head of a new segment (the working orders, the state) are left out,
   * their originals being in the archive before it.
   */
  records(filter: JournalQuery): AsyncIterable<JournalRecord>;
  /**
   * Optional, for speed: the store's segments overlapping `range`, oldest first — an archived one
   * with its report summary (read as sums), the current one without. Reports fall back to `notes`
   * when a store has no segments.
   */
  segments?(range: TimeRange): Promise<ReportSegment[]>;
}

/** One segment of a store, for reports. */
export interface ReportSegment {
  /** The segment summed for reports (absent: read its notes one by one). */
  readonly report?: SegmentReport;
  /** The orders the segment recorded (asked only when some order was recorded again elsewhere). */
  readonly ids?: () => Promise<string[]>;
  /** The segment's own notes of these topics in a range. */
  notes(topics: readonly string[], range: TimeRange): AsyncIterable<JournalRecord>;
}

/** True when `at` is inside `range` (an open end is unbounded). */
export function inTimeRange(at: number, range: TimeRange): boolean {
  return (range.from === undefined || at >= range.from) && (range.to === undefined || at <= range.to);
}

/** True when a segment's span of notes meets `range`. */
export function spanMeets(span: Pick<SegmentReport, 'from' | 'to'>, range: TimeRange): boolean {
  return !((range.from !== undefined && span.to < range.from) || (range.to !== undefined && span.from > range.to));
}

/** True when `record` is a note of one of `topics` inside `range`: what `ReportStore.notes` yields. */
export function isNoteIn(record: JournalRecord, topics: ReadonlySet<string>, range: TimeRange): boolean {
  return record.kind === 'note' && topics.has(record.topic) && inTimeRange(record.at, range);
}

/** What a journal may offer beyond {@link Journal} (FileJournal: whole history and segments; PostgresJournal: paged history). */
interface HistoryJournal {
  archives?(): string[];
  segmentReport?(archive: string): { report: SegmentReport; ids: () => string[] };
  segmentNotes?(archive: string): JournalRecord[];
  notes?(filter: JournalQuery): JournalRecord[];
  history?(filter: JournalQuery): JournalRecord[] | Promise<{ records: JournalRecord[]; nextAfterSeq?: number }>;
}

const PAGE = 5_000;

/**
 * The report store over a journal. A FileJournal is read across every archived segment (its notes
 * from the per-segment summaries); a PostgresJournal a page at a time, by its indexes; any other
 * journal through `query` (what it holds).
 */
export function journalStore(journal: Journal): ReportStore {
  const store = journal as Journal & HistoryJournal;
  const notesOf = (records: Iterable<JournalRecord>, topics: readonly string[], range: TimeRange): JournalRecord[] => {
    const wanted = new Set(topics);
    const out: JournalRecord[] = [];
    for (const r of records) if (isNoteIn(r, wanted, range)) out.push(r);
    return out;
  };
  const segments =
    typeof store.archives === 'function' && typeof store.segmentReport === 'function' && typeof store.segmentNotes === 'function'
      ? async (range: TimeRange): Promise<ReportSegment[]> => {
          const out: ReportSegment[] = [];
          for (const archive of store.archives!()) {
            const { report, ids } = store.segmentReport!(archive);
            if (!spanMeets(report, range)) continue;
            out.push({ report, ids: async () => ids(), notes: async function* (topics, r) { yield* notesOf(store.segmentNotes!(archive), topics, r); } });
          }
          // The current segment: what the journal holds since its last checkpoint.
          out.push({ notes: async function* (topics, r) { yield* notesOf(journal.query({ kinds: ['note'], ...r }), topics, r); } });
          return out;
        }
      : undefined;
  return {
    ...(segments ? { segments } : {}),
    async *notes(topics, range) {
      const wanted = new Set(topics);
      const filter: JournalQuery = { kinds: ['note'], ...range };
      if (typeof store.notes === 'function') {
        for (const record of store.notes({ ...filter, limit: Number.MAX_SAFE_INTEGER })) if (record.kind === 'note' && wanted.has(record.topic)) yield record;
        return;
      }
      if (typeof store.history === 'function') {
        // One indexed walk per topic, merged by sequence.
        const all: JournalRecord[] = [];
        for (const topic of wanted) for await (const record of pages(store, { ...filter, topic })) all.push(record);
        yield* all.sort((a, b) => a.seq - b.seq);
        return;
      }
      for (const record of journal.query(filter)) if (record.kind === 'note' && wanted.has(record.topic)) yield record;
    },
    async *records(filter) {
      const copies: [number, number][] = [];
      const markers = typeof store.history === 'function' ? pages(store, { topic: CHECKPOINT_TOPIC }) : journal.query({ topic: CHECKPOINT_TOPIC });
      for await (const marker of markers) copies.push(checkpointCopies(marker));
      const isCopy = (seq: number): boolean => copies.some(([first, last]) => seq >= first && seq <= last);
      const source = typeof store.history === 'function' ? pages(store, filter) : journal.query(filter);
      for await (const record of source) if (!isCopy(record.seq)) yield record;
    },
  };
}

/** The sequence numbers of the copies a checkpoint marker stands before (its snapshot). */
export function checkpointCopies(marker: JournalRecord): [number, number] {
  const count = marker.kind === 'note' ? Number((marker.data as { records?: unknown } | undefined)?.records ?? 0) : 0;
  return [marker.seq + 1, marker.seq + (Number.isFinite(count) ? count : 0)];
}

/** A sync history (FileJournal) at once; an async one (PostgresJournal) a page at a time. */
async function* pages(store: HistoryJournal, filter: JournalQuery): AsyncIterable<JournalRecord> {
  const first = store.history!({ ...filter, limit: filter.limit ?? PAGE });
  if (Array.isArray(first)) {
    yield* first;
    return;
  }
  let page = await first;
  for (;;) {
    yield* page.records;
    if (page.nextAfterSeq === undefined) return;
    page = await (store.history!({ ...filter, afterSeq: page.nextAfterSeq, limit: PAGE }) as Promise<{ records: JournalRecord[]; nextAfterSeq?: number }>);
  }
}

/** A store over records already in hand (tests, a journal file read by the CLI). */
export function recordsStore(records: readonly JournalRecord[]): ReportStore {
  return {
    async *notes(topics, range) {
      const wanted = new Set(topics);
      for (const r of records) if (isNoteIn(r, wanted, range)) yield r;
    },
    async *records(filter) {
      let left = filter.limit ?? Number.POSITIVE_INFINITY;
      for (const r of records) {
        if (left <= 0) return;
        if (!matchesQuery(r, filter)) continue;
        left--;
        yield r;
      }
    },
  };
}

/**
 * Several stores read as one — the journals of several accounts or brokers, for one report with a
 * broker comparison across them. Notes and records come store after store, each in its own order
 * (reports sort by time; sequence numbers are per store); segments are every store's.
 */
export function combinedStore(stores: readonly ReportStore[]): ReportStore {
  if (stores.length === 1) return stores[0]!;
  return {
    async *notes(topics, range) {
      for (const store of stores) yield* store.notes(topics, range);
    },
    async *records(filter) {
      for (const store of stores) yield* store.records(filter);
    },
    async segments(range) {
      const out: ReportSegment[] = [];
      for (const store of stores) out.push(...(store.segments ? await store.segments(range) : [{ notes: (topics: readonly string[], r: TimeRange) => store.notes(topics, r) }]));
      return out;
    },
  };
}
