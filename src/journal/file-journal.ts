import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { consoleLogger, type Logger } from '../core/logger.js';
import { InMemoryJournal } from './in-memory-journal.js';
import type { Journal, JournalEntry, JournalQuery, JournalRecord } from './journal.js';
import { journalRecordFromJSON, type JournalRecordJSON, journalRecordToJSON } from './journal-json.js';

export interface FileJournalOptions {
  /** The journal file (created if missing). One JSON record per line, append-only. */
  readonly path: string;
  /**
   * When records reach the disk (every record is written to the file at once, so all modes survive
   * the process being killed):
   * - `before-send` (default): fsync when the lifecycle is about to send an order ({@link sync}),
   *   covering every record written so far — an order is on disk before the broker sees it, at one
   *   fsync per order. Records after the send (acks, fills) reach the disk with the next one and
   *   are otherwise recovered from the broker by reconciliation.
   * - `every-record`: fsync before every `append` returns (≈ 6 fsyncs per order; slowest).
   * - `os`: never fsync; leave it to the OS (survives a killed process, not a power loss).
   */
  readonly sync?: 'before-send' | 'every-record' | 'os';
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
 * The durable default: an append-only JSON-lines file, fsync'd before every order is sent (group
 * commit), with every record also indexed in memory for queries (by order, client order id, symbol, status, time range).
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
  private readonly mode: 'before-send' | 'every-record' | 'os';
  private dirty = false;
  private closed = false;

  constructor(options: FileJournalOptions) {
    const logger = options.logger ?? consoleLogger();
    this.mode = options.sync ?? 'before-send';
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
    if (this.mode === 'every-record') fsyncSync(this.fd);
    else this.dirty = true;
    return record;
  }

  /** Flushes every record written so far to the disk (a no-op in `os` mode or when nothing is new). */
  sync(): void {
    if (this.closed || !this.dirty || this.mode === 'os') return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  query(filter?: JournalQuery): JournalRecord[] {
    return this.index.query(filter);
  }

  get size(): number {
    return this.index.size;
  }

  close(): void {
    if (this.closed) return;
    this.sync();
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
