import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { archiveReaches, journalArchives, readSegmentNotes, readSegmentReport } from '../journal/segment-archive.js';
import { HISTORY_TOPICS } from '../journal/history-notes.js';
import { CHECKPOINT_TOPIC, type JournalRecord, matchesQuery } from '../journal/journal.js';
import { journalRecordFromJSON, type JournalRecordJSON } from '../journal/journal-json.js';
import { checkpointCopies, isNoteIn, spanMeets, type ReportSegment, type ReportStore, type TimeRange } from './report-store.js';

export interface JournalFileStoreOptions {
  /** Called as the files are read: bytes so far, bytes in all. */
  readonly onProgress?: (read: number, total: number) => void;
}

/**
 * A read-only store over a FileJournal's files — the current one and every archived segment — for
 * reading a journal another process is writing (the command-line tool). It never writes: a torn
 * last line is skipped, not cut. Notes come from an archive's `.notes.json` summary when the
 * journal wrote one, else from the archive itself.
 */
export function journalFileStore(path: string, options: JournalFileStoreOptions = {}): ReportStore {
  if (!existsSync(path)) throw new Error(`no journal at ${path}`);
  const files = (): string[] => [...journalArchives(path), path];
  const progress = (): ((bytes: number) => void) => {
    const total = files().reduce((sum, file) => sum + statSync(file).size, 0);
    let read = 0;
    return (bytes) => {
      read += bytes;
      options.onProgress?.(Math.min(read, total), total);
    };
  };
  /** One file's notes of `topics` in `range`: from its compact summary when there is one, else the file itself. */
  async function* fileNotes(file: string, topics: readonly string[], range: TimeRange, advance: (bytes: number) => void): AsyncIterable<JournalRecord> {
    const wanted = new Set(topics);
    if ([...wanted].every((t) => HISTORY_TOPICS.has(t)) && file !== path && existsSync(`${file}.notes.json`)) {
      advance(statSync(file).size);
      for (const record of readSegmentNotes(file, wanted)) if (isNoteIn(record, wanted, range)) yield record;
      return;
    }
    for await (const record of readRecords(file, advance)) if (isNoteIn(record, wanted, range)) yield record;
  }
  return {
    async segments(range) {
      const advance = progress();
      const out: ReportSegment[] = [];
      for (const file of files()) {
        const summary = file === path ? undefined : readSegmentReport(file);
        if (summary) {
          const { report, ids } = summary;
          advance(statSync(file).size);
          if (!spanMeets(report, range)) continue;
          out.push({ report, ids: async () => ids(), notes: (topics, r) => fileNotes(file, topics, r, () => undefined) });
        } else out.push({ notes: (topics, r) => fileNotes(file, topics, r, advance) });
      }
      return out;
    },
    async *notes(topics, range) {
      const advance = progress();
      for (const file of files()) yield* fileNotes(file, topics, range, advance);
    },
    async *records(filter) {
      const advance = progress();
      let left = filter.limit ?? Number.POSITIVE_INFINITY;
      for (const file of files()) {
        // An archive whose records all fall outside the range is passed over (its meta has their span).
        if (file !== path && !archiveReaches(file, filter)) {
          advance(statSync(file).size);
          continue;
        }
        // A segment opens with a checkpoint marker and copies of the state (originals in the archive before).
        let copiesUpTo = 0;
        for await (const record of readRecords(file, advance)) {
          if (record.kind === 'note' && record.topic === CHECKPOINT_TOPIC) copiesUpTo = checkpointCopies(record)[1];
          if (record.seq <= copiesUpTo || !matchesQuery(record, filter)) continue;
          yield record;
          if (--left <= 0) return;
        }
      }
    },
  };
}

/** The records of one file, a line at a time; a line that does not parse (a torn tail) is skipped. */
async function* readRecords(file: string, advance: (bytes: number) => void): AsyncIterable<JournalRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    advance(Buffer.byteLength(line) + 1);
    if (line.length === 0) continue;
    let json: JournalRecordJSON;
    try {
      json = JSON.parse(line) as JournalRecordJSON;
    } catch {
      continue;
    }
    yield journalRecordFromJSON(json);
  }
}
