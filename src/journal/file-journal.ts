import { closeSync, existsSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, linkSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { consoleLogger, type Logger } from '../core/logger.js';
import { ConfigurationError } from '../core/errors.js';
import { InMemoryJournal } from './in-memory-journal.js';
import { writeFileAtomically } from './atomic-file.js';
import { lockJournal } from './journal-lock.js';
import { CHECKPOINT_TOPIC, type Journal, type JournalEntry, type JournalQuery, type JournalRecord, matchesQuery } from './journal.js';
import { journalRecordFromJSON, type JournalRecordJSON, journalRecordToJSON } from './journal-json.js';
import { decodeNotes, encodeNotesFile, notesFileSections, type NotesSummary } from './notes-summary.js';
import { type SegmentReport, summarizeForReports } from '../reports/segment-report.js';
import { HISTORY_TOPICS, historyNotes } from './history-notes.js';
import {
  byCreation,
  byFillTime,
  type FillHistoryQuery,
  type FillSummary,
  type OrderHistoryQuery,
  type OrderSummary,
  summarizeSegment,
  summaryFromRow,
} from './order-history.js';
import { decodeFillColumns, decodeOrderColumns, encodeFillColumns, encodeOrderColumns, FillHistoryResult, OrderHistoryResult } from './history-tables.js';

export interface FileJournalOptions {
  /** The journal file (created if missing). One JSON record per line, append-only. */
  readonly path: string;
  /**
   * When records reach the disk (every record is written to the file at once, so all modes survive
   * the process being killed):
   * - `before-send` (default): before the lifecycle sends an order it awaits {@link sync}: one
   *   `fdatasync`, off the event loop, covers every record written so far — and every order that
   *   asks while it runs waits for the next one, shared (group commit: with 64 orders in flight,
   *   a handful of syncs, not 64). An order is on disk before the broker sees it. Records after
   *   the send (acks, fills) reach the disk with the next sync and are otherwise recovered from
   *   the broker by reconciliation.
   * - `every-record`: fsync before every `append` returns (≈ 6 fsyncs per order; slowest).
   * - `os`: never fsync; leave it to the OS (survives a killed process, not a power loss).
   *
   * In every mode, records appended in one run of the process — a signal's records after its send
   * (acknowledged, filled, decided), or many signals' at once — go to the file in one write, once
   * that run and the promises it started have run, before the process turns to any I/O (at most
   * every 1 024 records in a longer chain); an order's own records always before it is sent; and
   * `ExecutionEngine.stop()` waits for them.
   */
  readonly sync?: 'before-send' | 'every-record' | 'os';
  /**
   * `before-send` only: a flush that a single order waits for, while the last flush took under this
   * many ms (default 2), runs on the event loop (`fdatasyncSync`) rather than in the thread pool —
   * one signal at a time, the hand-off and the wake-up after it cost ≈ 100–200 µs of a ≈ 250–500 µs
   * flush (docs/benchmarks.md). With several orders waiting (group commit) or a slower disk, the
   * flush runs off the loop. 0: never block the event loop (a host whose loop must not stall for
   * one flush, e.g. one serving a busy market-data socket).
   */
  readonly inlineSyncUnderMs?: number;
  /**
   * How many of the newest records to keep in memory for queries (default 50 000). Older history
   * stays in the file and is read from it when a query reaches back that far: memory stays flat
   * however long the journal grows.
   */
  readonly memoryRecords?: number;
  readonly logger?: Logger;
  /**
   * Whether to take `<path>.lock` while the journal is open (default true): a second process opening
   * the same file gets a `JournalLockedError` instead of interleaving its records with this one's (a
   * lock left by a crashed process is taken over). `false` only where the filesystem cannot hold a
   * lock file beside the journal.
   */
  readonly lock?: boolean;
}

/**
 * An archived segment's history notes — all, or only those of `topics` — in sequence order, from
 * its summary beside it (`<archive>.notes.json`: a section per topic, or one JSON value as written
 * before sections).
 */
export function readSegmentNotes(archive: string, topics?: ReadonlySet<string>): JournalRecord[] {
  return fromSummary(archive, () => readNotesFile(archive, topics));
}

function readNotesFile(archive: string, topics: ReadonlySet<string> | undefined): JournalRecord[] {
  const path = `${archive}.notes.json`;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const end = head.subarray(0, readSync(fd, head, 0, head.length, 0)).indexOf(10);
    const sections = end === -1 ? undefined : notesFileSections(head.toString('utf8', 0, end));
    if (!sections) {
      // Written before sections: one JSON value, read whole.
      const notes = decodeNotes(JSON.parse(readText(path)) as NotesSummary);
      return topics ? notes.filter((note) => note.kind === 'note' && topics.has(note.topic)) : notes;
    }
    const out: JournalRecord[] = [];
    let read = 0;
    for (const [topic, [offset, length]] of Object.entries(sections)) {
      if (topics && !topics.has(topic)) continue;
      const bytes = Buffer.alloc(length);
      readSync(fd, bytes, 0, length, end + 1 + offset);
      for (const note of decodeNotes(JSON.parse(asText(bytes)) as NotesSummary)) out.push(note);
      read++;
    }
    // Each section is in sequence order; several are merged back into it.
    return read > 1 ? out.sort((a, b) => a.seq - b.seq) : out;
  } finally {
    closeSync(fd);
  }
}

/** An archived segment's report summary (`<archive>.report.json`) and its order ids, when the journal wrote them. */
export function readSegmentReport(archive: string): { report: SegmentReport; ids: () => string[] } | undefined {
  const path = `${archive}.report.json`;
  if (!existsSync(path)) return undefined;
  return { report: fromSummary(archive, () => JSON.parse(readFileSync(path, 'utf8')) as SegmentReport), ids: () => readSegmentReportIds(archive) };
}

function readSegmentReportIds(archive: string): string[] {
  return fromSummary(archive, () => JSON.parse(readFileSync(`${archive}.report-ids.json`, 'utf8')) as string[]);
}

/** The archived segments of the journal at `path` (`<path>.000001`, …), oldest first. */
export function journalArchives(path: string): string[] {
  const base = basename(path);
  return readdirSync(dirname(path))
    .filter((name) => name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1)))
    .sort()
    .map((name) => join(dirname(path), name));
}

/** What opening the file found. */
export interface FileJournalRecovery {
  readonly records: number;
  /** A last line cut short by a crash mid-write: skipped, and cut from the file. */
  readonly tornTail: boolean;
  /** 1-based numbers of complete lines that did not parse (skipped, kept in the file). */
  readonly corruptLines: readonly number[];
}

/**
 * The durable default: an append-only JSON-lines file, made durable before every order is sent
 * (an awaited, shared `fdatasync`: group commit). The newest records (`memoryRecords`) are also
 * indexed in memory for queries (by order, client order id, symbol, status, time range); a query
 * reaching older history reads the file, so memory stays flat however long the journal grows.
 *
 * Records are never rewritten. On open, a torn last line (a crash mid-write) is detected, skipped
 * with a warning and cut from the file so the next record starts on a clean line; a corrupt line
 * elsewhere is skipped with a warning. Neither stops the journal, and neither loses the records
 * before it. See docs/benchmarks.md for why this store (and its cost).
 */
export class FileJournal implements Journal {
  readonly recovery: FileJournalRecovery;
  private index: InMemoryJournal;
  /** The current segment's orders and fills as of its last record: paging through history replays it once, not per page. */
  private current: { readonly index: InMemoryJournal; readonly seq: number; readonly summary: ReturnType<typeof summarizeSegment> } | undefined;
  private readonly capacity: number;
  private fd: number;
  private readonly path: string;
  private readonly mode: 'before-send' | 'every-record' | 'os';
  /** Records in the file (the index holds the newest {@link capacity} of them). */
  private total = 0;
  /** Lines appended but not yet written: one `write` per run of the process (see {@link writeLater}). */
  private pending: string[] = [];
  private writeScheduled = false;
  /** Written since the last fdatasync started: the next sync must cover them. */
  private dirty = false;
  /** The fdatasync in flight, and the one queued behind it for records written meanwhile. */
  private syncing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** The fdatasync that starts once the callers of this run of microtasks have asked (see {@link sync}). */
  private starting: Promise<void> | undefined;
  /** How many orders are waiting on {@link starting}. */
  private waiters = 0;
  private readonly inlineUnderMs: number;
  /** The last flush's duration (ms, measured): a slow disk turns inline flushes off until it is fast again. */
  private lastFlushMs = 0;
  private readonly flushCounts = { onLoop: 0, offLoop: 0 };
  private closed = false;
  /** Gives back the lock file (see {@link FileJournalOptions.lock}). */
  private readonly unlock: () => void;

  constructor(options: FileJournalOptions) {
    const logger = options.logger ?? consoleLogger();
    this.mode = options.sync ?? 'before-send';
    this.capacity = options.memoryRecords ?? 50_000;
    this.inlineUnderMs = options.inlineSyncUnderMs ?? 2;
    if (!(this.inlineUnderMs >= 0)) throw new ConfigurationError([{ field: 'inlineSyncUnderMs', message: `must be a number ≥ 0, got ${String(options.inlineSyncUnderMs)}` }]);
    this.index = new InMemoryJournal(this.capacity);
    this.path = options.path;
    // One writer per file: a second process opening it could cut off the first's last line as torn,
    // or drop its checkpoint in progress. Wall time in the lock file, for the person reading it.
    this.unlock = options.lock === false ? () => undefined : lockJournal(options.path, randomBytes(6).toString('hex'), Date.now(), logger);
    // A checkpoint interrupted before its segment was put in place leaves a temporary file: the
    // journal it was made from is still whole, so the unfinished segment is dropped.
    if (existsSync(checkpointTemp(options.path))) unlinkSync(checkpointTemp(options.path));
    this.fd = openSync(options.path, 'a+');
    // One pass over the file, a chunk at a time (never the whole file as one string).
    const corruptLines: number[] = [];
    const scan = scanRecords(
      this.fd,
      (record) => {
        this.index.restore(record);
        this.total++;
      },
      (number) => {
        corruptLines.push(number);
        logger.warn(`journal ${options.path}: line ${number} is not a valid record; skipped`);
      },
    );
    const tornTail = scan.tail > 0;
    if (tornTail) {
      logger.warn(`journal ${options.path}: the last line was cut short (a crash mid-write); ${scan.tail} bytes skipped and removed`);
      ftruncateSync(this.fd, scan.size - scan.tail);
      fsyncSync(this.fd);
    }
    this.recovery = { records: this.total, tornTail, corruptLines };
  }

  append(entry: JournalEntry): JournalRecord {
    if (this.closed) throw new Error('journal is closed');
    const record = this.index.append(entry);
    this.total++;
    this.pending.push(`${JSON.stringify(journalRecordToJSON(record))}\n`);
    if (this.mode === 'every-record') {
      this.writePending();
      fsyncSync(this.fd);
    } else if (this.pending.length >= MAX_PENDING_LINES) {
      this.writePending();
    } else if (!this.writeScheduled) {
      this.writeScheduled = true;
      process.nextTick(this.writeLater);
    }
    return record;
  }

  /**
   * Makes every record appended so far durable. In `os` mode writes what is pending and returns.
   * In `before-send` mode resolves when an `fdatasync` that started after those records were
   * written has finished — one that starts (after one `write` of everything pending) once the
   * current run of microtasks has asked, shared with every caller of that run, or the next one
   * after the flush in flight, shared with every caller until it starts (group commit). Undefined
   * when there is nothing to wait for (`os` mode, or already durable).
   */
  sync(): Promise<void> | undefined {
    if (this.closed) return undefined;
    // An fdatasync about to start writes what is pending first: it covers these records too.
    if (this.starting) {
      this.waiters++;
      return this.starting;
    }
    this.writePending();
    if (this.mode !== 'before-send') return undefined;
    // Nothing written since the sync in flight started: that one covers every record.
    if (!this.dirty) return this.syncing;
    if (!this.syncing) {
      // Not at once: signals started together reach sync() one after another in the same run of
      // microtasks, and the first one's fdatasync would leave with its records alone, the others
      // queued behind it. Measured with 64 in flight: 2 fdatasyncs per wave before, 1 after.
      this.waiters = 1;
      this.starting = Promise.resolve().then(this.startDeferred);
      return this.starting;
    }
    // One is running without our records: wait for it, then one more — shared by all who ask meanwhile.
    this.queued ??= this.syncing.then(
      () => this.afterQueue(),
      () => this.afterQueue(),
    );
    return this.queued;
  }

  private readonly startDeferred = (): Promise<void> | undefined => {
    this.starting = undefined;
    // Closed meanwhile: close() wrote and fsynced everything.
    if (this.closed) return undefined;
    this.writePending();
    if (this.waiters === 1 && this.dirty && !this.syncing && this.lastFlushMs < this.inlineUnderMs) return this.syncInline();
    return this.syncIfDirty();
  };

  /** One order waits and the disk is fast: flush here, without the thread pool's hand-off (see {@link FileJournalOptions.inlineSyncUnderMs}). */
  private syncInline(): undefined {
    this.dirty = false;
    // Real elapsed time, not the engine's clock: this is the disk's speed.
    const started = performance.now();
    fdatasyncSync(this.fd);
    this.lastFlushMs = performance.now() - started;
    this.flushCounts.onLoop++;
    return undefined;
  }

  /** How many fdatasyncs ran on the event loop (one order waiting, a fast disk) and how many off it. */
  get flushes(): { readonly onLoop: number; readonly offLoop: number } {
    return { ...this.flushCounts };
  }

  private afterQueue(): Promise<void> | undefined {
    this.queued = undefined;
    return this.syncIfDirty();
  }

  /** A new fdatasync when something was written since the last one started, else the one in flight (if any). */
  private syncIfDirty(): Promise<void> | undefined {
    return this.dirty ? (this.syncing ?? this.startSync()) : this.syncing;
  }

  private startSync(): Promise<void> {
    this.dirty = false;
    this.flushCounts.offLoop++;
    const started = performance.now();
    const done = new Promise<void>((resolve, reject) =>
      fdatasync(this.fd, (error) => {
        this.lastFlushMs = performance.now() - started;
        if (error) reject(error);
        else resolve();
      }),
    );
    const tracked: Promise<void> = done.finally(() => {
      if (this.syncing === tracked) this.syncing = undefined;
    });
    this.syncing = tracked;
    return tracked;
  }

  /**
   * Bound once: writes what was appended, once the promise chain that appended it has run (a tick
   * queued from a microtask runs when the microtask queue is empty): a signal's records after the
   * send — acknowledged, filled, executed, decided — go out in one write, not one per await. Never
   * what an order waits on: {@link sync} writes before every send.
   */
  private readonly writeLater = (): void => {
    this.writeScheduled = false;
    if (!this.closed) this.writePending();
  };

  /** One `write` for every pending line: a crash leaves at most the last line torn, which the next open cuts off. */
  private writePending(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    writeSync(this.fd, text);
    this.dirty = true;
  }

  /**
   * Records matching `filter`, oldest first. Answered from memory when the newest records cover
   * it; a query reaching further back reads the file (after writing what is pending), one chunk at
   * a time, keeping only the matches.
   */
  query(filter: JournalQuery = {}): JournalRecord[] {
    if (this.inMemory(filter)) return this.index.query(filter);
    this.writePending();
    const out: JournalRecord[] = [];
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    scanRecords(this.fd, (record) => {
      if (out.length >= limit) return false;
      if (matchesQuery(record, filter)) out.push(record);
      return true;
    });
    return out;
  }

  /** Every record in the current segment, including those no longer held in memory. */
  get size(): number {
    return this.total;
  }

  /** Records since the last checkpoint: what a restart reads. */
  get sinceCheckpoint(): number {
    return this.total;
  }

  /**
   * Starts a new segment with `snapshot` (see {@link Journal.checkpoint}). The current file is kept
   * as an archive (`<path>.<n>`, hard-linked, then the new segment renamed over the path — at no
   * moment is there no journal at `path`), and the new segment is written and fsync'd in full
   * before it replaces it. A crash before the rename leaves the old journal in place.
   */
  checkpoint(snapshot: readonly JournalEntry[], at: number): void {
    if (this.closed) throw new Error('journal is closed');
    this.writePending();
    fsyncSync(this.fd);
    const archive = nextArchive(this.path);
    // The segment being archived is in memory when it fits the window: its summaries cost a few
    // milliseconds now, and spare the first history query a replay of the file.
    const segment = this.total <= this.capacity ? this.index.query() : undefined;
    const temp = checkpointTemp(this.path);
    // The new segment is the checkpoint marker and the snapshot, numbered after everything so far.
    const records = [this.index.append({ kind: 'note', at, topic: CHECKPOINT_TOPIC, data: { archive: basename(archive), records: snapshot.length } })];
    for (const entry of snapshot) records.push(this.index.append(entry));
    const lines = records.map((record) => `${JSON.stringify(journalRecordToJSON(record))}\n`);
    const tempFd = openSync(temp, 'w');
    try {
      writeSync(tempFd, lines.join(''));
      fsyncSync(tempFd);
    } finally {
      closeSync(tempFd);
    }
    linkSync(this.path, archive);
    renameSync(temp, this.path);
    syncDirectory(this.path);
    if (segment) writeSegmentSummaries(archive, segment);
    // An fdatasync may still be running on the old file (now the archive): close it once that ends.
    const old = this.fd;
    const inFlight = this.queued ?? this.syncing;
    if (inFlight) void inFlight.then(() => closeSync(old), () => closeSync(old));
    else closeSync(old);
    this.fd = openSync(this.path, 'a+');
    this.total = lines.length;
    this.dirty = false;
    // Memory holds the current segment, as after a restart.
    this.index = new InMemoryJournal(this.capacity);
    for (const record of records) this.index.restore(record);
  }

  /**
   * Orders across the whole history — every archived segment and the current one — in their last
   * state, by creation time, symbol, strategy, status or client order id, a page at a time. An
   * archived segment never changes, so its orders are summarized once (at its checkpoint, or by the
   * first query that reaches it) into a columnar sidecar (`<archive>.orders.columns`, with its time
   * range in `<archive>.orders-meta.json`); later queries read only the sidecars whose range they
   * overlap, and build an object only for a row that matches.
   */
  orders(query: OrderHistoryQuery = {}): OrderSummary[] {
    this.writePending();
    const limit = query.limit ?? 10_000;
    const result = new OrderHistoryResult(query);
    // An order carried out of a segment keeps its creation time, so a segment outside the range (or
    // wholly before the page) has nothing for the query in any later state either.
    this.readArchives(
      (meta) => ({ count: meta.orders, from: meta.minCreated, to: meta.maxCreated }),
      latest(query.from, query.after?.createdAt),
      query.to,
      (archive) => result.addColumns(segmentOrders(archive)),
      (laterFrom) => result.hasFirst(limit, laterFrom),
    );
    // The current segment is always read: its orders' creation times are not known without it.
    result.addSummaries(this.currentSummary().orders);
    return result.orders().slice(0, limit);
  }

  /**
   * Reads, oldest first, the archives whose span (from their meta: orders' creation times, fills'
   * times) reaches `from`–`to`, and stops once `whole(laterFrom)` — `laterFrom` being the earliest
   * time in any archive after the one just read (carried rows included): a page whose last row is
   * older is complete. A meta without the span is always read, and never ends a page early.
   */
  private readArchives(spanOf: (meta: SegmentMeta) => TimeSpan | undefined, from: number | undefined, to: number | undefined, read: (archive: string) => void, whole: (laterFrom: number) => boolean): void {
    const archives = this.archives();
    const spans = archives.map((archive) => spanOf(segmentSummaries(archive)));
    const laterFrom = suffixMinimum(spans.map((span) => (span === undefined ? Number.NEGATIVE_INFINITY : span.count === 0 ? Number.POSITIVE_INFINITY : span.from)));
    for (let k = 0; k < archives.length; k++) {
      if (outside(spans[k], from, to)) continue;
      read(archives[k]!);
      if (whole(laterFrom[k + 1]!)) break;
    }
  }

  /** The current segment summarized (orders in their last state, fills), replayed again only once a record was added. */
  private currentSummary(): ReturnType<typeof summarizeSegment> {
    const seq = this.index.lastSeq;
    if (this.current?.index !== this.index || this.current.seq !== seq) this.current = { index: this.index, seq, summary: summarizeSegment(this.query()) };
    return this.current.summary;
  }

  /**
   * Executions across the whole history, joined with their orders (symbol, side, strategy), by
   * time, symbol, strategy or client order id, a page at a time (`after`). Each archived segment's
   * fills are summarized once, like its orders (`<archive>.fills.columns`).
   */
  fills(query: FillHistoryQuery = {}): FillSummary[] {
    this.writePending();
    const limit = query.limit ?? 10_000;
    const result = new FillHistoryResult(query);
    // A page starts at its `after` fill: a segment whose fills are all earlier has nothing for it.
    this.readArchives(
      (meta) => meta.fills,
      latest(query.from, query.after?.time),
      query.to,
      (archive) => result.addColumns(segmentFills(archive)),
      (laterFrom) => result.hasFirst(limit, laterFrom),
    );
    result.addSummaries(this.currentSummary().fills);
    return result.fills().slice(0, limit);
  }

  /**
   * The history notes — closed positions (`position.closed`), alerts (`alert`), halts, trading
   * states, breaker trips, reconciliations, recoveries — across every segment, matching `filter`
   * (topic, time range, symbol, order; `afterSeq` and `limit` to page). Each archived segment's are
   * kept beside it (`<archive>.notes.json`), so this reads no archive whole; with a time range, a
   * segment whose notes all fall outside it is not read at all (its meta has their span).
   */
  notes(filter: JournalQuery = {}): JournalRecord[] {
    this.writePending();
    const out: JournalRecord[] = [];
    const limit = filter.limit ?? 10_000;
    const take = (record: JournalRecord): boolean => {
      if (record.kind === 'note' && HISTORY_TOPICS.has(record.topic) && matchesQuery(record, filter)) out.push(record);
      return out.length < limit;
    };
    const topic = filter.topic;
    // Not a history topic: no archive holds it (and the current segment's are not taken either).
    const archives = topic !== undefined && !HISTORY_TOPICS.has(topic) ? [] : this.archives();
    const topics = topic === undefined ? undefined : new Set([topic]);
    for (const archive of archives) {
      const meta = notesMeta(archive);
      // A page (afterSeq) skips the segments it has read; a topic, those without a note of it in the range.
      if (filter.afterSeq !== undefined && meta.lastNoteSeq <= filter.afterSeq) continue;
      const span = topic === undefined ? meta.notes : (meta.topics[topic] ?? EMPTY_SPAN);
      if (outside(span, filter.from, filter.to)) continue;
      for (const note of readSegmentNotes(archive, topics)) if (!take(note)) return out;
    }
    for (const record of this.query()) if (!take(record)) break;
    return out;
  }

  /**
   * An archived segment summed for reports (see `tradeReport`): read from `<archive>.report.json`,
   * or built from the archive once (an archive made before reports existed) and written beside it.
   */
  segmentReport(archive: string): { report: SegmentReport; ids: () => string[] } {
    const summary = readSegmentReport(archive);
    if (summary) return summary;
    const records: JournalRecord[] = [];
    withFile(archive, (fd) => scanRecords(fd, (record) => void records.push(record)));
    return { report: writeSegmentReport(archive, records).report, ids: () => readSegmentReportIds(archive) };
  }

  /** An archived segment's history notes, from its summary (built the first time it is needed). */
  segmentNotes(archive: string): JournalRecord[] {
    segmentSummaries(archive);
    return readSegmentNotes(archive);
  }

  /** The archived segments, oldest first (each one's history up to a checkpoint). */
  archives(): string[] {
    return journalArchives(this.path);
  }

  /**
   * Every record matching `filter` across the archives and the current segment, oldest first (a
   * record a checkpoint copied appears again, with its new sequence number, after the marker).
   * For history and audits; recovery reads only the current segment. With `from`/`to` or
   * `afterSeq`, only the archives whose records reach them are read.
   */
  history(filter: JournalQuery = {}): JournalRecord[] {
    this.writePending();
    const out: JournalRecord[] = [];
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    for (const file of [...this.archives(), this.path]) {
      // An archive whose records all fall outside the time range, or before `afterSeq`, is not read (its meta has their span).
      const meta = file !== this.path && isRanged(filter) ? readMeta(file) : undefined;
      if (meta?.records && !spanReaches(meta.records, filter)) continue;
      // A meta written before it had the records' span gets it from this read, when the read is whole.
      const unspanned = meta !== undefined && !meta.records;
      const span = { count: 0, from: Number.MAX_SAFE_INTEGER, to: 0, lastSeq: 0 };
      let whole = true;
      withFile(file, (fd) =>
        scanRecords(fd, (record) => {
          if (out.length >= limit) return (whole = false);
          if (unspanned) {
            span.count++;
            if (record.at < span.from) span.from = record.at;
            if (record.at > span.to) span.to = record.at;
            if (record.seq > span.lastSeq) span.lastSeq = record.seq;
          }
          if (matchesQuery(record, filter)) out.push(record);
          return true;
        }),
      );
      if (unspanned && whole) writeFileAtomically(`${file}.orders-meta.json`, JSON.stringify({ ...meta, records: span }));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** True when the records in memory are all the query can match (the file holds no older ones it could reach). */
  private inMemory(filter: JournalQuery): boolean {
    if (this.total <= this.capacity) return true;
    const oldestInMemory = this.index.lastSeq - this.capacity + 1;
    return filter.afterSeq !== undefined && filter.afterSeq >= oldestInMemory - 1;
  }

  close(): void {
    if (this.closed) return;
    this.writePending();
    if (this.mode !== 'os') fsyncSync(this.fd);
    this.closed = true;
    closeSync(this.fd);
    this.unlock();
  }
}

const CHUNK = 1 << 20;
/** Lines held for the next write at most: a long chain of promises (a backtest's loop) still writes as it goes. */
const MAX_PENDING_LINES = 1_024;

/**
 * Calls `onLine` for every complete line of the file, reading 1 MiB at a time; `onLine` may return
 * false to stop. Returns the file's size and the length of an unterminated last line (a torn write).
 */
function scanLines(fd: number, onLine: (line: string, number: number) => boolean | void): { size: number; tail: number } {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
  let carry = Buffer.alloc(0);
  let position = 0;
  let number = 0;
  while (position < size) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
    if (read <= 0) break;
    position += read;
    const data = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, read)]) : buffer.subarray(0, read);
    let start = 0;
    for (let end = data.indexOf(10, start); end >= 0; end = data.indexOf(10, start)) {
      number++;
      const line = data.toString('utf8', start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      if (onLine(line, number) === false) return { size, tail: 0 };
    }
    // The unfinished line is copied: the next read reuses the buffer under it.
    carry = Buffer.from(data.subarray(start));
  }
  return { size, tail: carry.length };
}

function checkpointTemp(path: string): string {
  return `${path}.checkpoint-tmp`;
}

/** `<path>.000001`, `<path>.000002`, …: the next free archive name. */
function nextArchive(path: string): string {
  for (let n = 1; ; n++) {
    const candidate = `${path}.${String(n).padStart(6, '0')}`;
    if (!existsSync(candidate)) return candidate;
  }
}

/** Makes a rename in `path`'s directory durable (the directory entry itself is fsync'd). */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    /* not every platform can fsync a directory */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface SegmentMeta {
  readonly minCreated: number;
  readonly maxCreated: number;
  readonly orders: number;
  /**
   * How many history notes and fills the segment holds, and their time span: a query for another
   * time skips the segment without reading its summary. Absent from metas written before they were
   * added: such a segment is always read.
   */
  readonly notes?: TimeSpan;
  readonly fills?: TimeSpan;
  /** The span of all the segment's records' times, and the last one's sequence number (absent before they were added: such a segment is always read by `history()`). */
  readonly records?: TimeSpan & { readonly lastSeq: number };
  /** The span of each topic's notes, and the last note's sequence number (absent before they were added: see {@link notesMeta}). */
  readonly topics?: Readonly<Record<string, TimeSpan>>;
  readonly lastNoteSeq?: number;
}

const EMPTY_SPAN: TimeSpan = { count: 0, from: 0, to: 0 };

interface TimeSpan {
  readonly count: number;
  readonly from: number;
  readonly to: number;
}

function spanOf(times: readonly number[]): TimeSpan {
  let from = Number.MAX_SAFE_INTEGER;
  let to = 0;
  for (const t of times) {
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return { count: times.length, from, to };
}

/**
 * False when none of an archive's records can match `filter`'s time range or `afterSeq` — known from
 * its summaries' meta when it has their span (written at its checkpoint); true otherwise (read it).
 */
export function archiveReaches(archive: string, filter: JournalQuery): boolean {
  if (!isRanged(filter)) return true;
  const span = readMeta(archive)?.records;
  return !span || spanReaches(span, filter);
}

/** Whether a query asks for a time range or a page (`afterSeq`): only then can an archive's meta rule it out. */
function isRanged(filter: JournalQuery): boolean {
  return filter.from !== undefined || filter.to !== undefined || filter.afterSeq !== undefined;
}

/** Whether records spanning `span` can match `filter`'s time range and `afterSeq`. */
function spanReaches(span: TimeSpan & { readonly lastSeq: number }, filter: JournalQuery): boolean {
  return !(outside(span, filter.from, filter.to) || (filter.afterSeq !== undefined && span.lastSeq <= filter.afterSeq));
}

/** The later of two optional lower bounds. */
function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** `values[k]` replaced by the least of `values[k…]`, with one more entry (+∞) for "nothing after". */
function suffixMinimum(values: readonly number[]): number[] {
  const out = new Array<number>(values.length + 1);
  out[values.length] = Number.POSITIVE_INFINITY;
  for (let k = values.length - 1; k >= 0; k--) out[k] = Math.min(values[k]!, out[k + 1]!);
  return out;
}

/** True when a segment's span (when known) holds nothing in the inclusive range `from`–`to`. */
function outside(span: TimeSpan | undefined, from: number | undefined, to: number | undefined): boolean {
  if (!span) return false;
  return span.count === 0 || (from !== undefined && span.to < from) || (to !== undefined && span.from > to);
}

/**
 * An archived segment's summaries — its orders and their creation-time range, its fills, its history
 * notes — beside it, from one replay of its records. The meta file is written last: its presence
 * means every summary beside it is whole.
 */
function writeSegmentSummaries(archive: string, records: readonly JournalRecord[]): SegmentMeta {
  const { orders, fills } = summarizeSegment(records);
  const created = spanOf(orders.map((o) => o.createdAt));
  const notes = historyNotes(records) as Extract<JournalRecord, { kind: 'note' }>[];
  const meta: SegmentMeta = {
    minCreated: created.from,
    maxCreated: created.to,
    orders: created.count,
    fills: spanOf(fills.map((f) => f.time)),
    ...notesSpans(notes),
    records: { ...spanOf(records.map((r) => r.at)), lastSeq: records.reduce((last, r) => Math.max(last, r.seq), 0) },
  };
  // Each file whole or not there (a reader in another process, or a crash, never sees a part), the meta last.
  writeFileAtomically(`${archive}.orders.columns`, encodeOrderColumns(orders.sort(byCreation)));
  writeFileAtomically(`${archive}.fills.columns`, encodeFillColumns(fills.sort(byFillTime)));
  writeFileAtomically(`${archive}.notes.json`, encodeNotesFile(notes));
  writeSegmentReport(archive, records);
  writeFileAtomically(`${archive}.orders-meta.json`, JSON.stringify(meta));
  return meta;
}

/** The time span of a segment's notes, of each topic's, and its last note. */
function notesSpans(notes: readonly JournalRecord[]): Required<Pick<SegmentMeta, 'notes' | 'topics' | 'lastNoteSeq'>> {
  const byTopic = new Map<string, number[]>();
  let lastNoteSeq = 0;
  for (const note of notes) {
    if (note.kind !== 'note') continue;
    const times = byTopic.get(note.topic);
    if (times) times.push(note.at);
    else byTopic.set(note.topic, [note.at]);
    if (note.seq > lastNoteSeq) lastNoteSeq = note.seq;
  }
  return { notes: spanOf(notes.map((n) => n.at)), topics: Object.fromEntries([...byTopic].map(([topic, times]) => [topic, spanOf(times)])), lastNoteSeq };
}

/**
 * An archived segment's meta with its notes' spans per topic. An archive summarized before them has
 * its notes in one JSON value and no spans per topic: both are written now, once.
 */
function notesMeta(archive: string): SegmentMeta & Required<Pick<SegmentMeta, 'notes' | 'topics' | 'lastNoteSeq'>> {
  const meta = segmentSummaries(archive);
  if (meta.notes && meta.topics && meta.lastNoteSeq !== undefined) return meta as SegmentMeta & Required<Pick<SegmentMeta, 'notes' | 'topics' | 'lastNoteSeq'>>;
  const notes = readSegmentNotes(archive);
  writeFileAtomically(`${archive}.notes.json`, encodeNotesFile(notes as Extract<JournalRecord, { kind: 'note' }>[]));
  const upgraded = { ...meta, ...notesSpans(notes) };
  writeFileAtomically(`${archive}.orders-meta.json`, JSON.stringify(upgraded));
  return upgraded;
}

/** The segment summed for reports (`.report.json`) and the orders it recorded (`.report-ids.json`). */
function writeSegmentReport(archive: string, records: readonly JournalRecord[]): { report: SegmentReport; ids: string[] } {
  const summary = summarizeForReports(records);
  writeFileAtomically(`${archive}.report-ids.json`, JSON.stringify(summary.ids));
  writeFileAtomically(`${archive}.report.json`, JSON.stringify(summary.report));
  return summary;
}

/** An archived segment's summaries' meta, building them (one read of the segment) the first time they are needed. */
function segmentSummaries(archive: string): SegmentMeta {
  return readMeta(archive) ?? summarizeArchive(archive);
}

/** An archive's summaries' meta, or undefined when it has none yet or it is damaged (then they are all rebuilt when needed). */
function readMeta(archive: string): SegmentMeta | undefined {
  let text: string;
  try {
    text = readFileSync(`${archive}.orders-meta.json`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const meta = JSON.parse(text) as SegmentMeta;
    return typeof meta === 'object' && meta !== null && Number.isFinite(meta.orders) ? meta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads one of an archive's summaries with `read`. Summaries are derived data: one found damaged —
 * cut short by a power loss or a disk error, or missing beside its meta — is rebuilt from the
 * archive (every summary, from one read of it) and read again, instead of failing the query.
 */
function fromSummary<T>(archive: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof SyntaxError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    summarizeArchive(archive);
    return read();
  }
}

/** Every summary of an archived segment, from one read of it. */
function summarizeArchive(archive: string): SegmentMeta {
  const records: JournalRecord[] = [];
  withFile(archive, (fd) => scanRecords(fd, (record) => void records.push(record)));
  return writeSegmentSummaries(archive, records);
}

/**
 * An archived segment's orders, from its columnar summary. An archive summarized by an earlier
 * version has its orders as JSON rows (`.orders.json`): they are rewritten as columns once. One
 * whose summary was deleted is summarized again from the archive.
 */
function segmentOrders(archive: string): ReturnType<typeof decodeOrderColumns> {
  return fromSummary(archive, () => decodeOrderColumns(readText(columnsOf(archive, 'orders', (json) => encodeOrderColumns((JSON.parse(json) as unknown[][]).map(summaryFromRow))))));
}

/** An archived segment's fills, from their columnar summary (rewritten once from an earlier version's `.fills.json`). */
function segmentFills(archive: string): ReturnType<typeof decodeFillColumns> {
  return fromSummary(archive, () => decodeFillColumns(readText(columnsOf(archive, 'fills', (json) => encodeFillColumns(JSON.parse(json) as FillSummary[])))));
}

/**
 * The path of an archive's `<archive>.<kind>.columns`, making it first if it is missing: from the
 * JSON an earlier version wrote (`<archive>.<kind>.json`, removed once converted), or from the archive.
 */
function columnsOf(archive: string, kind: 'orders' | 'fills', fromJson: (json: string) => string): string {
  const path = `${archive}.${kind}.columns`;
  if (existsSync(path)) return path;
  const json = `${archive}.${kind}.json`;
  if (existsSync(json)) {
    try {
      writeFileAtomically(path, fromJson(readText(json)));
      unlinkSync(json);
    } catch (error) {
      // Another process (a report, the CLI) converted it first.
      if (!existsSync(path)) throw error;
    }
  } else summarizeArchive(archive);
  return path;
}

/**
 * A summary file's text. Summaries are almost always ASCII, and decoding ASCII as Latin-1 skips
 * UTF-8 validation (≈ 40% of reading a day's summaries here); anything else is decoded as UTF-8.
 */
function readText(path: string): string {
  return asText(readFileSync(path));
}

function asText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Runs `work` on `path` opened for reading, and closes it. */
function withFile<T>(path: string, work: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return work(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onRecord` for every record of the file (see {@link scanLines}; false stops); a line that is
 * not a record goes to `onBadLine` (by default skipped: the journal reported it when it opened).
 */
function scanRecords(fd: number, onRecord: (record: JournalRecord) => boolean | void, onBadLine: (number: number) => void = () => undefined): { size: number; tail: number } {
  return scanLines(fd, (line, number) => {
    let record: JournalRecord;
    try {
      record = journalRecordFromJSON(JSON.parse(line) as JournalRecordJSON);
    } catch {
      onBadLine(number);
      return true;
    }
    return onRecord(record);
  });
}
