import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import type { JournalQuery, JournalRecord } from './journal.js';
import { journalRecordFromJSON, type JournalRecordJSON } from './journal-json.js';
import { decodeNotes, encodeNotesFile, notesFileSections, type NotesSummary } from './notes-summary.js';
import { type SegmentReport, summarizeForReports } from '../reports/segment-report.js';
import { historyNotes } from './history-notes.js';
import { byCreation, byFillTime, type FillSummary, summarizeSegment, summaryFromRow } from './order-history.js';
import { decodeFillColumns, decodeOrderColumns, encodeFillColumns, encodeOrderColumns } from './history-tables.js';

/**
 * A file journal's archived segments (`<path>.000001`, …) and the summaries written beside each at
 * its checkpoint — orders and fills as columns, history notes by topic, the report's sums, and a
 * meta with their time spans, written last — read by queries and reports, and rebuilt from the
 * archive when one is missing or damaged. Summaries are a cache: when they cannot be written (a
 * full disk, a read-only directory) a query is answered from the archive itself, read again each
 * time, and `unwritten` (when given) is told. The live file and its writing are in file-journal.ts.
 */

/** Told when an archive's summaries could not be written (the query was answered without them). */
export type UnwrittenSummaries = (archive: string, error: unknown) => void;

/**
 * An archived segment's history notes — all, or only those of `topics` — in sequence order, from
 * its summary beside it (`<archive>.notes.json`: a section per topic, or one JSON value as written
 * before sections).
 */
export function readSegmentNotes(archive: string, topics?: ReadonlySet<string>, unwritten?: UnwrittenSummaries): JournalRecord[] {
  return fromSummary(
    archive,
    () => readNotesFile(archive, topics),
    ({ notes }) => ofTopics(notes, topics),
    unwritten,
  );
}

/** The notes of `topics` (all when undefined), in a new array. */
function ofTopics(notes: readonly JournalRecord[], topics: ReadonlySet<string> | undefined): JournalRecord[] {
  return topics ? notes.filter((note) => note.kind === 'note' && topics.has(note.topic)) : [...notes];
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
      return ofTopics(notes, topics);
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
export function readSegmentReport(archive: string, unwritten?: UnwrittenSummaries): { report: SegmentReport; ids: () => string[] } | undefined {
  const path = `${archive}.report.json`;
  if (!existsSync(path)) return undefined;
  return {
    report: fromSummary(archive, () => JSON.parse(readFileSync(path, 'utf8')) as SegmentReport, (built) => built.report.report, unwritten),
    ids: () => readSegmentReportIds(archive, unwritten),
  };
}

function readSegmentReportIds(archive: string, unwritten?: UnwrittenSummaries): string[] {
  return fromSummary(archive, () => JSON.parse(readFileSync(`${archive}.report-ids.json`, 'utf8')) as string[], (built) => built.report.ids, unwritten);
}

/** The archived segments of the journal at `path` (`<path>.000001`, …), oldest first. */
export function journalArchives(path: string): string[] {
  const base = basename(path);
  return readdirSync(dirname(path))
    .filter((name) => name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1)))
    .sort()
    .map((name) => join(dirname(path), name));
}

const CHUNK = 1 << 20;

/**
 * Calls `onLine` for every complete line of the file, reading 1 MiB at a time; `onLine` may return
 * false to stop. Returns the file's size (or `limit`, when smaller: the bytes read) and the length of
 * an unterminated last line (a torn write).
 */
function scanLines(fd: number, onLine: (line: string, number: number) => boolean | void, limit = Number.POSITIVE_INFINITY): { size: number; tail: number } {
  const size = Math.min(fstatSync(fd).size, limit);
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

export interface SegmentMeta {
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

export const EMPTY_SPAN: TimeSpan = { count: 0, from: 0, to: 0 };

export interface TimeSpan {
  readonly count: number;
  readonly from: number;
  readonly to: number;
}

export function spanOf(times: readonly number[]): TimeSpan {
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
export function isRanged(filter: JournalQuery): boolean {
  return filter.from !== undefined || filter.to !== undefined || filter.afterSeq !== undefined;
}

/** Whether records spanning `span` can match `filter`'s time range and `afterSeq`. */
export function spanReaches(span: TimeSpan & { readonly lastSeq: number }, filter: JournalQuery): boolean {
  return !(outside(span, filter.from, filter.to) || (filter.afterSeq !== undefined && span.lastSeq <= filter.afterSeq));
}

/** True when a segment's span (when known) holds nothing in the inclusive range `from`–`to`. */
export function outside(span: TimeSpan | undefined, from: number | undefined, to: number | undefined): boolean {
  if (!span) return false;
  return span.count === 0 || (from !== undefined && span.to < from) || (to !== undefined && span.from > to);
}

/** Every summary of a segment, built in memory: what is written beside it, and what a query reads when it cannot be. */
interface SegmentSummaries {
  readonly meta: SegmentMeta;
  /** The orders' and the fills' columns, as written. */
  readonly orders: string;
  readonly fills: string;
  /** The history notes, in sequence order, and as written. */
  readonly notes: readonly JournalRecord[];
  readonly notesText: string;
  readonly report: { readonly report: SegmentReport; readonly ids: string[] };
}

/** An archived segment's summaries, from one replay of its records. */
function buildSegmentSummaries(records: readonly JournalRecord[]): SegmentSummaries {
  const { orders, fills } = summarizeSegment(records);
  const created = spanOf(orders.map((o) => o.createdAt));
  const notes = historyNotes(records);
  const meta: SegmentMeta = {
    minCreated: created.from,
    maxCreated: created.to,
    orders: created.count,
    fills: spanOf(fills.map((f) => f.time)),
    ...notesSpans(notes),
    records: { ...spanOf(records.map((r) => r.at)), lastSeq: records.reduce((last, r) => Math.max(last, r.seq), 0) },
  };
  return {
    meta,
    orders: encodeOrderColumns(orders.sort(byCreation)),
    fills: encodeFillColumns(fills.sort(byFillTime)),
    notes,
    notesText: encodeNotesFile(notes as Extract<JournalRecord, { kind: 'note' }>[]),
    report: summarizeForReports(records),
  };
}

/**
 * An archived segment's summaries — its orders and their creation-time range, its fills, its history
 * notes — beside it, from one replay of its records. The meta file is written last: its presence
 * means every summary beside it is whole.
 */
export function writeSegmentSummaries(archive: string, records: readonly JournalRecord[]): SegmentMeta {
  const built = buildSegmentSummaries(records);
  writeSummaries(archive, built);
  return built.meta;
}

function writeSummaries(archive: string, built: SegmentSummaries): void {
  // Each file whole or not there (a reader in another process, or a crash, never sees a part), the meta last.
  writeFileAtomically(`${archive}.orders.columns`, built.orders);
  writeFileAtomically(`${archive}.fills.columns`, built.fills);
  writeFileAtomically(`${archive}.notes.json`, built.notesText);
  writeReport(archive, built.report);
  writeFileAtomically(`${archive}.orders-meta.json`, JSON.stringify(built.meta));
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
export function notesMeta(archive: string, unwritten?: UnwrittenSummaries): SegmentMeta & Required<Pick<SegmentMeta, 'notes' | 'topics' | 'lastNoteSeq'>> {
  const meta = segmentSummaries(archive, unwritten);
  if (meta.notes && meta.topics && meta.lastNoteSeq !== undefined) return meta as SegmentMeta & Required<Pick<SegmentMeta, 'notes' | 'topics' | 'lastNoteSeq'>>;
  const notes = readSegmentNotes(archive, undefined, unwritten);
  const upgraded = { ...meta, ...notesSpans(notes) };
  const notesText = encodeNotesFile(notes as Extract<JournalRecord, { kind: 'note' }>[]);
  tryWrite(archive, unwritten, () => {
    writeFileAtomically(`${archive}.notes.json`, notesText);
    writeFileAtomically(`${archive}.orders-meta.json`, JSON.stringify(upgraded));
  });
  return upgraded;
}

/**
 * The segment summed for reports, written beside it (`.report.json`, and the orders it recorded in
 * `.report-ids.json`) when it can be.
 */
export function writeSegmentReport(archive: string, records: readonly JournalRecord[], unwritten?: UnwrittenSummaries): { report: SegmentReport; ids: string[] } {
  const summary = summarizeForReports(records);
  tryWrite(archive, unwritten, () => writeReport(archive, summary));
  return summary;
}

function writeReport(archive: string, summary: SegmentSummaries['report']): void {
  writeFileAtomically(`${archive}.report-ids.json`, JSON.stringify(summary.ids));
  writeFileAtomically(`${archive}.report.json`, JSON.stringify(summary.report));
}

/** Runs `write`; a failure is told to `unwritten`, not thrown (a summary is a cache: the query has its answer). */
function tryWrite(archive: string, unwritten: UnwrittenSummaries | undefined, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    unwritten?.(archive, error);
    return false;
  }
}

/** An archived segment's summaries' meta, building them (one read of the segment) the first time they are needed. */
export function segmentSummaries(archive: string, unwritten?: UnwrittenSummaries): SegmentMeta {
  return readMeta(archive) ?? summarizeArchive(archive, unwritten).meta;
}

/** An archive's summaries' meta, or undefined when it has none yet or it is damaged (then they are all rebuilt when needed). */
export function readMeta(archive: string): SegmentMeta | undefined {
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
function fromSummary<T>(archive: string, read: () => T, fromBuilt: (built: SegmentSummaries) => T, unwritten: UnwrittenSummaries | undefined): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof SyntaxError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const built = summarizeArchive(archive, unwritten);
    return built.written ? read() : fromBuilt(built);
  }
}

/** Every summary of an archived segment, from one read of it, and whether they could be written beside it. */
function summarizeArchive(archive: string, unwritten: UnwrittenSummaries | undefined): SegmentSummaries & { readonly written: boolean } {
  const records: JournalRecord[] = [];
  withFile(archive, (fd) => scanRecords(fd, (record) => void records.push(record)));
  const built = buildSegmentSummaries(records);
  return { ...built, written: tryWrite(archive, unwritten, () => writeSummaries(archive, built)) };
}

/**
 * An archived segment's orders, from its columnar summary. An archive summarized by an earlier
 * version has its orders as JSON rows (`.orders.json`): they are rewritten as columns once. One
 * whose summary was deleted is summarized again from the archive.
 */
export function segmentOrders(archive: string, unwritten?: UnwrittenSummaries): ReturnType<typeof decodeOrderColumns> {
  const fromJson = (json: string): string => encodeOrderColumns((JSON.parse(json) as unknown[][]).map(summaryFromRow));
  return fromSummary(archive, () => decodeOrderColumns(columnsText(archive, 'orders', fromJson, unwritten)), (built) => decodeOrderColumns(built.orders), unwritten);
}

/** An archived segment's fills, from their columnar summary (rewritten once from an earlier version's `.fills.json`). */
export function segmentFills(archive: string, unwritten?: UnwrittenSummaries): ReturnType<typeof decodeFillColumns> {
  const fromJson = (json: string): string => encodeFillColumns(JSON.parse(json) as FillSummary[]);
  return fromSummary(archive, () => decodeFillColumns(columnsText(archive, 'fills', fromJson, unwritten)), (built) => decodeFillColumns(built.fills), unwritten);
}

/**
 * The text of an archive's `<archive>.<kind>.columns`, making it first if it is missing: from the
 * JSON an earlier version wrote (`<archive>.<kind>.json`, removed once converted), or from the
 * archive — and, when it cannot be written, the text made.
 */
function columnsText(archive: string, kind: 'orders' | 'fills', fromJson: (json: string) => string, unwritten: UnwrittenSummaries | undefined): string {
  const path = `${archive}.${kind}.columns`;
  if (existsSync(path)) return readText(path);
  const json = `${archive}.${kind}.json`;
  if (!existsSync(json)) {
    const built = summarizeArchive(archive, unwritten);
    return built.written ? readText(path) : built[kind];
  }
  const text = fromJson(readText(json));
  try {
    writeFileAtomically(path, text);
    unlinkSync(json);
  } catch (error) {
    // Another process (a report, the CLI) converted it first; or it cannot be written: answered from the text made.
    if (!existsSync(path)) unwritten?.(archive, error);
  }
  return text;
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
export function withFile<T>(path: string, work: (fd: number) => T): T {
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
 * With `limit`, only the file's first `limit` bytes are read (where its records end).
 */
export function scanRecords(fd: number, onRecord: (record: JournalRecord) => boolean | void, onBadLine: (number: number) => void = () => undefined, limit?: number): { size: number; tail: number } {
  return scanLines(fd, (line, number) => {
    let record: JournalRecord;
    try {
      record = journalRecordFromJSON(JSON.parse(line) as JournalRecordJSON);
    } catch {
      onBadLine(number);
      return true;
    }
    return onRecord(record);
  }, limit);
}
