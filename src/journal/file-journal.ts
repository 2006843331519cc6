import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { consoleLogger, type Logger } from '../core/logger.js';
import { InMemoryJournal } from './in-memory-journal.js';
import type { Journal, JournalEntry, JournalQuery, JournalRecord } from './journal.js';
import { journalRecordFromJSON, type JournalRecordJSON, journalRecordToJSON } from './journal-json.js';

export interface FileJournalOptions {
  /** The journal file (created if missing). One JSON record per line, append-only. */
  readonly path: string;
  /**
   * `every-record` (default): `append` returns only after the record is fsync'd — an order
   * journaled before it is sent survives a crash or power loss. `os`: written to the file but left
   * to the OS to flush — survives the process being killed, not the machine losing power.
   */
  readonly sync?: 'every-record' | 'os';
  readonly logger?: Logger;
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
 * The durable default: an append-only JSON-lines file, fsync'd per record, with every record also
 * indexed in memory for queries (by order, client order id, symbol, status, time range).
 *
 * Records are never rewritten. On open, a torn last line (a crash mid-write) is detected, skipped
 * with a warning and cut from the file so the next record starts on a clean line; a corrupt line
 * elsewhere is skipped with a warning. Neither stops the journal, and neither loses the records
 * before it. See docs/benchmarks.md for why this store (and its cost).
 */
export class FileJournal implements Journal {
  readonly recovery: FileJournalRecovery;
  private readonly index = new InMemoryJournal();
  private readonly fd: number;
  private readonly fsync: boolean;
  private closed = false;

  constructor(options: FileJournalOptions) {
    const logger = options.logger ?? consoleLogger();
    this.fsync = (options.sync ?? 'every-record') === 'every-record';
    this.fd = openSync(options.path, 'a+');
    const text = readAll(this.fd);
    const lines = text.split('\n');
    const tail = lines.pop() ?? '';
    const corruptLines: number[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        this.index.restore(journalRecordFromJSON(JSON.parse(line) as JournalRecordJSON));
      } catch {
        corruptLines.push(i + 1);
        logger.warn(`journal ${options.path}: line ${i + 1} is not a valid record; skipped`);
      }
    });
    const tornTail = tail.length > 0;
    if (tornTail) {
      logger.warn(`journal ${options.path}: the last line was cut short (a crash mid-write); ${tail.length} bytes skipped and removed`);
      ftruncateSync(this.fd, Buffer.byteLength(text) - Buffer.byteLength(tail));
      fsyncSync(this.fd);
    }
    this.recovery = { records: this.index.size, tornTail, corruptLines };
  }

  append(entry: JournalEntry): JournalRecord {
    if (this.closed) throw new Error('journal is closed');
    const record = this.index.append(entry);
    // One write per record: a crash leaves at most this line torn, which the next open cuts off.
    writeSync(this.fd, `${JSON.stringify(journalRecordToJSON(record))}\n`);
    if (this.fsync) fsyncSync(this.fd);
    return record;
  }

  query(filter?: JournalQuery): JournalRecord[] {
    return this.index.query(filter);
  }

  get size(): number {
    return this.index.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function readAll(fd: number): string {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) offset += readSync(fd, buffer, offset, size - offset, offset);
  return buffer.toString('utf8');
}
