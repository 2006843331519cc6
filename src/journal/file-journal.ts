import { closeSync, constants, existsSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, linkSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { consoleLogger, type Logger } from '../core/logger.js';
import { ConfigurationError, describeError, JournalWriteError, type ValidationIssue } from '../core/errors.js';
import { InMemoryJournal } from './in-memory-journal.js';
import { writeFileAtomically } from './atomic-file.js';
import { lockJournal } from './journal-lock.js';
import { CHECKPOINT_TOPIC, type Journal, type JournalEntry, type JournalQuery, type JournalRecord, matchesQuery } from './journal.js';
import { journalRecordText } from './journal-text.js';
import { WriteFailures } from './write-failures.js';
import { JournalFileWriter, recordsEnd, writeWhole } from './journal-file-writer.js';
import type { SegmentReport } from '../reports/segment-report.js';
import { HISTORY_TOPICS } from './history-notes.js';
import { type FillHistoryQuery, type FillSummary, type OrderHistoryQuery, type OrderSummary, summarizeSegment } from './order-history.js';
import { FillHistoryResult, OrderHistoryResult } from './history-tables.js';
import {
  EMPTY_SPAN,
  isRanged,
  journalArchives,
  notesMeta,
  outside,
  readMeta,
  readSegmentNotes,
  readSegmentReport,
  scanRecords,
  type SegmentMeta,
  segmentFills,
  segmentOrders,
  segmentSummaries,
  spanOf,
  spanReaches,
  type TimeSpan,
  withFile,
  writeSegmentReport,
  writeSegmentSummaries,
} from './segment-archive.js';


export interface FileJournalOptions {
  /** The journal file (created if missing). One JSON record per line, append-only (while open, blank space follows the last: see `bytes`). */
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
   * Write records into blank space written ahead of them (default true; `os` mode never does): a
   * flush then writes the data, not the file's new size — ≈ 30–40% less per flush on the benchmark
   * VM. While open, the file is the records then that blank space, and `tail -f` (which follows a
   * file's growth) does not show records written into it; `false` for a host that follows the file
   * that way, at the cost of slower flushes. The engine's events (`tradewire/server`, the dashboard)
   * follow a running engine without the file.
   */
  readonly writeAhead?: boolean;
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
 * Records are never rewritten. When the journal flushes, they are written into blank space written
 * ahead of them, so that a flush writes data and not the file's size (see `JournalFileWriter`;
 * cut off on close). On open, a torn last line (a crash mid-write) is detected, skipped with a
 * warning and cut from the file so the next record starts on a clean line; a corrupt line
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
  /** Writes at the records' end, into space written ahead when the journal flushes. */
  private writer: JournalFileWriter;
  private readonly writeAhead: boolean;
  private readonly path: string;
  private readonly mode: 'before-send' | 'every-record' | 'os';
  /** Records in the file (the index holds the newest {@link capacity} of them). */
  private total = 0;
  /** Lines appended but not yet written: one `write` per run of the process (see {@link writeLater}). */
  private pending: string[] = [];
  /** Records appended and not yet written to the file. */
  private unwritten = 0;
  /** Why the journal cannot write now (see {@link writeError}). */
  private readonly failures = new WriteFailures();
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
  /** Archives whose summaries could not be written, told once each (see {@link unwrittenSummaries}). */
  private readonly summariesUnwritten = new Set<string>();
  private closed = false;
  private readonly logger: Logger;
  /** Gives back the lock file (see {@link FileJournalOptions.lock}). */
  private readonly unlock: () => void;

  constructor(options: FileJournalOptions) {
    checkFileJournalOptions(options);
    const logger = options.logger ?? consoleLogger();
    this.logger = logger;
    this.mode = options.sync ?? 'before-send';
    this.capacity = options.memoryRecords ?? 50_000;
    this.inlineUnderMs = options.inlineSyncUnderMs ?? 2;
    this.index = new InMemoryJournal(this.capacity);
    this.path = options.path;
    // One writer per file: a second process opening it could cut off the first's last line as torn,
    // or drop its checkpoint in progress. Wall time in the lock file, for the person reading it.
    this.unlock = options.lock === false ? () => undefined : lockJournal(options.path, randomBytes(6).toString('hex'), Date.now(), logger);
    // A checkpoint interrupted before its segment was put in place leaves a temporary file: the
    // journal it was made from is still whole, so the unfinished segment is dropped.
    if (existsSync(checkpointTemp(options.path))) unlinkSync(checkpointTemp(options.path));
    this.fd = openSync(options.path, READ_WRITE);
    // Where the records end: before the space a writer wrote ahead (left by a crash: cut off below).
    const size = fstatSync(this.fd).size;
    const end = recordsEnd(this.fd, size);
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
      end,
    );
    const tornTail = scan.tail > 0;
    if (tornTail) logger.warn(`journal ${options.path}: the last line was cut short (a crash mid-write); ${scan.tail} bytes skipped and removed`);
    const kept = end - scan.tail;
    if (kept < size) {
      ftruncateSync(this.fd, kept);
      fsyncSync(this.fd);
    }
    this.writeAhead = this.mode !== 'os' && options.writeAhead !== false;
    this.writer = new JournalFileWriter(this.fd, kept, this.writeAhead);
    this.recovery = { records: this.total, tornTail, corruptLines };
  }

  append(entry: JournalEntry): JournalRecord {
    if (this.closed) throw new Error('journal is closed');
    const record = this.index.append(entry);
    this.total++;
    this.unwritten++;
    // After a failed flush nothing more is written (see JournalWriteError): the record is counted, not kept.
    if (this.failures.current?.fatal) return record;
    this.pending.push(`${journalRecordText(record)}\n`);
    if (this.mode === 'every-record') {
      if (this.writePending()) this.flushNow();
    } else if (this.pending.length >= MAX_PENDING_LINES) {
      // While the disk refuses, tried again at each sync and each tick, not at every record.
      if (!this.failures.current) this.writePending();
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
    // The disk refuses them, or a flush failed: nothing that waits on these records may go (the order fails with the error).
    if (!this.writePending()) return Promise.reject(this.failures.current);
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
    if (!this.writePending()) throw this.failures.current;
    if (this.waiters === 1 && this.dirty && !this.syncing && this.lastFlushMs < this.inlineUnderMs) return this.syncInline();
    return this.syncIfDirty();
  };

  /** One order waits and the disk is fast: flush here, without the thread pool's hand-off (see {@link FileJournalOptions.inlineSyncUnderMs}). */
  private syncInline(): undefined {
    this.dirty = false;
    // Real elapsed time, not the engine's clock: this is the disk's speed.
    const started = performance.now();
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw this.fail('flush', error);
    }
    this.lastFlushMs = performance.now() - started;
    this.flushCounts.onLoop++;
    return undefined;
  }

  /** `every-record`: each record flushed as it is written. */
  private flushNow(): void {
    try {
      fsyncSync(this.fd);
    } catch (error) {
      this.fail('flush', error);
    }
  }

  /**
   * Why the journal cannot write now, or undefined while it writes. A `write` failure (a full disk)
   * lasts until the records kept in memory are written; a `flush` failure lasts until the journal is
   * opened again.
   */
  get writeError(): JournalWriteError | undefined {
    return this.failures.current;
  }

  /** See {@link Journal.onWriteError} (told at once when failing already). */
  onWriteError(listener: (failure: JournalWriteError | undefined) => void): () => void {
    return this.failures.subscribe(listener);
  }

  /** The journal cannot write: kept (a flush failure for good), and told to the listeners when it is news. */
  private fail(operation: 'write' | 'flush', cause: unknown): JournalWriteError {
    const failure = this.failures.fail(new JournalWriteError(this.path, operation, this.unwritten, cause));
    // Nothing more will be written after a failed flush: the lines waiting are let go (counted in `unwritten`).
    if (failure.fatal) this.pending = [];
    return failure;
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
        if (error) reject(this.fail('flush', error));
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

  /**
   * One `write` for every pending line: a crash leaves at most the last line torn, which the next
   * open cuts off. False when the disk refused them: they stay pending, whole (the writer cut off
   * any part written), for the next try, and the failure is kept and told (see {@link writeError}).
   * True exactly when the journal is not failing afterwards (a refused write keeps its lines
   * pending, and a failed flush lets them go and stays), so callers need not ask again.
   */
  private writePending(): boolean {
    if (this.pending.length === 0) return !this.failures.current?.fatal;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    try {
      this.writer.write(text);
    } catch (error) {
      this.pending = [text];
      this.fail('write', error);
      return false;
    }
    this.pending = [];
    this.unwritten = 0;
    this.dirty = true;
    this.failures.cleared();
    return true;
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
    scanRecords(
      this.fd,
      (record) => {
        if (out.length >= limit) return false;
        if (matchesQuery(record, filter)) out.push(record);
        return true;
      },
      undefined,
      this.writer.length,
    );
    return out;
  }

  /** Every record in the current segment, including those no longer held in memory. */
  get size(): number {
    return this.total;
  }

  /**
   * Bytes of records in the current segment: the file's size once closed. While open (with
   * `before-send` or `every-record`), the file is larger by the blank space written ahead of them.
   */
  get bytes(): number {
    return this.writer.length + this.pending.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
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
    // Not on a journal that cannot write: the old segment must be whole before it is archived.
    if (!this.writePending()) throw this.failures.current!;
    const archive = nextArchive(this.path);
    // The segment being archived is in memory when it fits the window: its summaries cost a few
    // milliseconds now, and spare the first history query a replay of the file.
    const segment = this.total <= this.capacity ? this.index.query() : undefined;
    const temp = checkpointTemp(this.path);
    // The new segment is the checkpoint marker and the snapshot, numbered after everything so far —
    // stamped here and indexed only once written (a checkpoint the disk refused leaves memory as it was).
    let seq = this.index.lastSeq;
    const records = [{ kind: 'note', at, topic: CHECKPOINT_TOPIC, data: { archive: basename(archive), records: snapshot.length }, seq: ++seq } as JournalRecord];
    for (const entry of snapshot) {
      (entry as { seq: number }).seq = ++seq;
      records.push(entry as JournalRecord);
    }
    const lines = records.map((record) => `${journalRecordText(record)}\n`);
    // The archive ends with its last record, not with the space written ahead.
    this.writer.trim();
    try {
      fsyncSync(this.fd);
    } catch (error) {
      throw this.fail('flush', error);
    }
    try {
      const tempFd = openSync(temp, 'w');
      try {
        writeWhole(tempFd, lines.join(''));
        fsyncSync(tempFd);
      } finally {
        closeSync(tempFd);
      }
    } catch (error) {
      // The journal goes on in its current segment; only this checkpoint did not happen.
      if (existsSync(temp)) unlinkSync(temp);
      throw new JournalWriteError(this.path, 'write', 0, error);
    }
    linkSync(this.path, archive);
    renameSync(temp, this.path);
    syncDirectory(this.path);
    // An fdatasync may still be running on the old file (now the archive): close it once that ends.
    const old = this.fd;
    const inFlight = this.queued ?? this.syncing;
    if (inFlight) void inFlight.then(() => closeSync(old), () => closeSync(old));
    else closeSync(old);
    this.fd = openSync(this.path, READ_WRITE);
    this.writer = new JournalFileWriter(this.fd, fstatSync(this.fd).size, this.writeAhead);
    this.total = lines.length;
    this.dirty = false;
    // Memory holds the current segment, as after a restart.
    this.index = new InMemoryJournal(this.capacity);
    for (const record of records) this.index.restore(record);
    // Last, once the journal writes to its new segment: summaries are a cache the first query that
    // needs them builds when they are missing (a full disk must not leave the journal on the archive).
    if (segment) {
      try {
        writeSegmentSummaries(archive, segment);
      } catch (error) {
        this.unwrittenSummaries(archive, error);
      }
    }
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
      (archive) => result.addColumns(segmentOrders(archive, this.unwrittenSummaries)),
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
    const spans = archives.map((archive) => spanOf(segmentSummaries(archive, this.unwrittenSummaries)));
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
      (archive) => result.addColumns(segmentFills(archive, this.unwrittenSummaries)),
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
      const meta = notesMeta(archive, this.unwrittenSummaries);
      // A page (afterSeq) skips the segments it has read; a topic, those without a note of it in the range.
      if (filter.afterSeq !== undefined && meta.lastNoteSeq <= filter.afterSeq) continue;
      const span = topic === undefined ? meta.notes : (meta.topics[topic] ?? EMPTY_SPAN);
      if (outside(span, filter.from, filter.to)) continue;
      for (const note of readSegmentNotes(archive, topics, this.unwrittenSummaries)) if (!take(note)) return out;
    }
    for (const record of this.query()) if (!take(record)) break;
    return out;
  }

  /**
   * An archived segment summed for reports (see `tradeReport`): read from `<archive>.report.json`,
   * or built from the archive once (an archive made before reports existed) and written beside it.
   */
  segmentReport(archive: string): { report: SegmentReport; ids: () => string[] } {
    const summary = readSegmentReport(archive, this.unwrittenSummaries);
    if (summary) return summary;
    const records: JournalRecord[] = [];
    withFile(archive, (fd) => scanRecords(fd, (record) => void records.push(record)));
    const { report, ids } = writeSegmentReport(archive, records, this.unwrittenSummaries);
    return { report, ids: () => ids };
  }

  /** An archived segment's history notes, from its summary (built the first time it is needed). */
  segmentNotes(archive: string): JournalRecord[] {
    // Missing summaries are built (and written, when they can be) by the read itself: one read of the archive.
    return readSegmentNotes(archive, undefined, this.unwrittenSummaries);
  }

  /**
   * An archive's summaries could not be written beside it (a full disk, a read-only directory): the
   * query was answered from the archive, which is read again by each query that needs it until
   * they can be. Warned once per archive.
   */
  private readonly unwrittenSummaries = (archive: string, error: unknown): void => {
    if (this.summariesUnwritten.has(archive)) return;
    this.summariesUnwritten.add(archive);
    this.logger.warn(`journal ${this.path}: the summaries of ${basename(archive)} could not be written (${describeError(error)}); queries read the archive itself until they can be`);
  };

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
      // The current segment is read up to its records' end (the space written ahead after it is blank).
      const upTo = file === this.path ? this.writer.length : undefined;
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
        }, undefined, upTo),
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

  /**
   * Writes what is pending, flushes and closes the file.
   *
   * @throws {@link JournalWriteError} when records could not be written or flushed (the file is
   * closed and its lock given back all the same: what the error counts is lost).
   */
  close(): void {
    if (this.closed) return;
    try {
      if (this.writePending()) {
        // Closed, the file ends with its last record.
        this.writer.trim();
        if (this.mode !== 'os') fsyncSync(this.fd);
      }
    } catch (error) {
      this.fail('flush', error);
    } finally {
      this.closed = true;
      closeSync(this.fd);
      this.unlock();
    }
    if (this.failures.current) throw this.failures.current;
  }
}

/** Opened to read and write at the records' end (not O_APPEND: the space written ahead is written over), created if missing. */
const READ_WRITE = constants.O_RDWR | constants.O_CREAT;

/** Lines held for the next write at most: a long chain of promises (a backtest's loop) still writes as it goes. */
const MAX_PENDING_LINES = 1_024;

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

const SYNC_MODES: readonly NonNullable<FileJournalOptions['sync']>[] = ['before-send', 'every-record', 'os'];

/**
 * The options, checked before the file is opened: a `sync` mode misspelt (`'before_send'`, `'fsync'`)
 * must not quietly mean "never flushed".
 */
function checkFileJournalOptions(options: FileJournalOptions): void {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError([{ field: 'journal', message: `must be { path, … }, got ${String(options)}` }]);
  const issues: ValidationIssue[] = [];
  if (typeof options.path !== 'string' || options.path === '') issues.push({ field: 'journal.path', message: `must be a file path, got ${JSON.stringify(options.path) ?? String(options.path)}` });
  if (options.sync !== undefined && !SYNC_MODES.includes(options.sync)) issues.push({ field: 'journal.sync', message: `must be ${SYNC_MODES.join(', ')}, got ${JSON.stringify(options.sync) ?? String(options.sync)}` });
  if (options.memoryRecords !== undefined && !(Number.isInteger(options.memoryRecords) && options.memoryRecords > 0)) issues.push({ field: 'journal.memoryRecords', message: `must be a whole number above 0, got ${String(options.memoryRecords)}` });
  if (options.writeAhead !== undefined && typeof options.writeAhead !== 'boolean') issues.push({ field: 'journal.writeAhead', message: `must be true or false, got ${JSON.stringify(options.writeAhead) ?? String(options.writeAhead)}` });
  if (options.inlineSyncUnderMs !== undefined && !(typeof options.inlineSyncUnderMs === 'number' && options.inlineSyncUnderMs >= 0)) issues.push({ field: 'inlineSyncUnderMs', message: `must be a number ≥ 0, got ${String(options.inlineSyncUnderMs)}` });
  if (issues.length > 0) throw new ConfigurationError(issues);
}
