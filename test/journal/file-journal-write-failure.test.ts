import { existsSync, mkdtempSync, type PathOrFileDescriptor, readdirSync, readFileSync, rmSync, type WriteFileOptions, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alwaysOpenMarket, type AlertPayload, ExecutionEngine, FileJournal, type JournalEntry, JournalWriteError, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';

/**
 * The disk's answers, decided by each test: the journal's own calls into node:fs go through these
 * (a full disk as the kernel reports it — a short write, then ENOSPC — and a failed fdatasync).
 * test/fault/full-disk.test.ts fills a real file-size limit in a child process.
 */
const disk = vi.hoisted(() => ({ room: Number.POSITIVE_INFINITY, flushFails: false, writes: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const enospc = (call: string): NodeJS.ErrnoException => Object.assign(new Error(`ENOSPC: no space left on device, ${call}`), { code: 'ENOSPC', errno: -28, syscall: call });
  const eio = (call: string): NodeJS.ErrnoException => Object.assign(new Error(`EIO: i/o error, ${call}`), { code: 'EIO', errno: -5, syscall: call });
  // Only what fits in `room` bytes is written: the rest of a write is short, and the next one fails.
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    disk.writes++;
    if (disk.room <= 0) throw enospc('write');
    const bytes = typeof data === 'string' ? Buffer.from(data, (typeof rest[1] === 'string' ? rest[1] : 'utf8') as BufferEncoding) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const [offset, length, position] = typeof data === 'string' ? [0, bytes.length, rest[0]] : [(rest[0] as number | undefined) ?? 0, (rest[1] as number | undefined) ?? bytes.length - ((rest[0] as number | undefined) ?? 0), rest[2]];
    const n = Math.min(length, disk.room);
    disk.room -= n;
    return fs.writeSync(fd, bytes, offset, n, position as number | null | undefined);
  }) as typeof fs.writeSync;
  const fdatasyncSync = ((fd: number) => {
    if (disk.flushFails) throw eio('fdatasync');
    fs.fdatasyncSync(fd);
  }) as typeof fs.fdatasyncSync;
  const fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    if (disk.flushFails) setImmediate(() => callback(eio('fdatasync')));
    else fs.fdatasync(fd, callback);
  }) as typeof fs.fdatasync;
  const fsyncSync = ((fd: number) => {
    if (disk.flushFails) throw eio('fsync');
    fs.fsyncSync(fd);
  }) as typeof fs.fsyncSync;
  // Whole files (an archive's summaries): refused when they do not fit.
  const writeFileSync = ((path: PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: WriteFileOptions) => {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size > disk.room) throw enospc('write');
    disk.room -= size;
    fs.writeFileSync(path, data, options);
  }) as typeof fs.writeFileSync;
  const mocked = { writeSync, fdatasyncSync, fdatasync, fsyncSync, writeFileSync };
  return { ...fs, ...mocked, default: { ...fs, ...mocked } };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-full-'));
  disk.room = Number.POSITIVE_INFINITY;
  disk.flushFails = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const note = (n: number): JournalEntry => ({ kind: 'note', at: n, topic: 'test.note', data: { n, text: 'x'.repeat(100) } });
/** A journal (no space written ahead) holding notes 1–3, written and flushed. */
async function withThreeNotes(path: string): Promise<FileJournal> {
  const journal = new FileJournal({ path, logger: silentLogger, writeAhead: false });
  for (let i = 1; i <= 3; i++) journal.append(note(i));
  await journal.sync();
  return journal;
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '');

describe('FileJournal on a full disk', () => {
  it('a write cut short by a full disk leaves no torn record: the part written is cut off, the records wait in memory, and the next sync after space is freed writes them all, in order', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path, logger: silentLogger, writeAhead: false });
    const told: (JournalWriteError | undefined)[] = [];
    journal.onWriteError((failure) => told.push(failure));
    for (let i = 1; i <= 3; i++) journal.append(note(i));
    await journal.sync();
    // Room for one and a half records: the write of the next three is short, then refused.
    disk.room = Math.floor(Buffer.byteLength(lines(path)[0]!) * 1.5);
    for (let i = 4; i <= 6; i++) journal.append(note(i));
    const refused = journal.sync();
    await expect(refused).rejects.toBeInstanceOf(JournalWriteError);
    await expect(refused).rejects.toMatchObject({ code: 'journal_write_failed', operation: 'write', unwritten: 3, fatal: false });
    expect(told).toHaveLength(1);
    expect(journal.writeError).toBe(told[0]);
    // The file ends with its last whole record.
    expect(lines(path).map((line) => JSON.parse(line).data.n)).toEqual([1, 2, 3]);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    // Appends go on (the engine's state never depends on the disk) and are kept too; still refused.
    for (let i = 7; i <= 2_000; i++) journal.append(note(i));
    await expect(journal.sync()).rejects.toMatchObject({ unwritten: 1_997 });
    expect(told).toHaveLength(1);
    // Space freed: the next sync writes everything kept, in order, and the listeners hear it.
    disk.room = Number.POSITIVE_INFINITY;
    await journal.sync();
    expect(told).toEqual([told[0], undefined]);
    expect(journal.writeError).toBeUndefined();
    journal.close();
    const reopened = new FileJournal({ path, logger: silentLogger });
    expect(reopened.recovery).toEqual({ records: 2_000, tornTail: false, corruptLines: [] });
    expect(reopened.query().map((r) => (r.kind === 'note' ? (r.data as { n: number }).n : 0))).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    reopened.close();
  });

  it('with space written ahead (the default), a short write into it is cut off as well', async () => {
    const path = join(dir, 'ahead.jsonl');
    const journal = new FileJournal({ path, logger: silentLogger });
    journal.append(note(1));
    await journal.sync();
    // No room for more space ahead, nor for the whole of the next records.
    disk.room = 150;
    for (let i = 2; i <= 4; i++) journal.append(note(i));
    await expect(journal.sync()).rejects.toMatchObject({ operation: 'write' });
    // Closing with records it cannot write: the typed error, the file closed and its lock given back.
    expect(() => journal.close()).toThrow(JournalWriteError);
    expect(existsSync(`${path}.lock`)).toBe(false);
    disk.room = Number.POSITIVE_INFINITY;
    const reopened = new FileJournal({ path, logger: silentLogger });
    expect(reopened.recovery).toEqual({ records: 1, tornTail: false, corruptLines: [] });
    reopened.close();
  });

  it('a failed flush is for good: what was written may not be on disk, so every sync after it is refused, nothing more is written, and close says so', async () => {
    const path = join(dir, 'flush.jsonl');
    const journal = new FileJournal({ path, logger: silentLogger, inlineSyncUnderMs: 0 });
    const told: (JournalWriteError | undefined)[] = [];
    journal.onWriteError((failure) => told.push(failure));
    journal.append(note(1));
    disk.flushFails = true;
    await expect(journal.sync()).rejects.toMatchObject({ code: 'journal_write_failed', operation: 'flush', fatal: true });
    disk.flushFails = false;
    const writes = disk.writes;
    journal.append(note(2));
    await expect(journal.sync()).rejects.toMatchObject({ operation: 'flush' });
    expect(disk.writes).toBe(writes);
    expect(told.map((f) => f?.operation)).toEqual(['flush']);
    // Subscribing late: told at once.
    const late: (JournalWriteError | undefined)[] = [];
    journal.onWriteError((failure) => late.push(failure));
    expect(late).toEqual([told[0]]);
    expect(() => journal.checkpoint([], 10)).toThrow(JournalWriteError);
    expect(() => journal.close()).toThrow(/a flush failed \(EIO: i\/o error/);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("a flush run inline (one order waiting, a fast disk) and `every-record`'s fsync fail the same way", async () => {
    const inline = new FileJournal({ path: join(dir, 'inline.jsonl'), logger: silentLogger, inlineSyncUnderMs: 1_000 });
    inline.append(note(1));
    disk.flushFails = true;
    await expect(inline.sync()).rejects.toMatchObject({ operation: 'flush' });
    expect(() => inline.close()).toThrow(JournalWriteError);
    disk.flushFails = false;
    const every = new FileJournal({ path: join(dir, 'every.jsonl'), logger: silentLogger, sync: 'every-record' });
    every.append(note(1));
    disk.flushFails = true;
    expect(() => every.append(note(2))).not.toThrow();
    expect(every.writeError).toMatchObject({ operation: 'flush' });
    await expect(every.sync()).rejects.toMatchObject({ operation: 'flush' });
    disk.flushFails = false;
    expect(() => every.close()).toThrow(JournalWriteError);
  });

  it('a checkpoint the disk refuses changes nothing: no temporary segment is left, memory is as it was, and the journal goes on in its segment', async () => {
    const path = join(dir, 'cp.jsonl');
    const journal = await withThreeNotes(path);
    disk.room = 10;
    expect(() => journal.checkpoint([note(100)], 50)).toThrow(JournalWriteError);
    expect(readdirSync(dir).filter((f) => f.includes('checkpoint'))).toEqual([]);
    expect(journal.query().map((r) => r.seq)).toEqual([1, 2, 3]);
    disk.room = Number.POSITIVE_INFINITY;
    journal.append(note(4));
    await journal.sync();
    journal.checkpoint([note(100)], 60);
    journal.append(note(5));
    journal.close();
    const reopened = new FileJournal({ path, logger: silentLogger });
    expect(reopened.query().map((r) => [r.seq, r.kind === 'note' ? r.topic : r.kind])).toEqual([
      [5, 'journal.checkpoint'],
      [6, 'test.note'],
      [7, 'test.note'],
    ]);
    reopened.close();
  });

  it("a checkpoint whose segment fits but whose archive's summaries do not still moves the journal to its new segment; the summaries are built by the first query that needs them", async () => {
    const path = join(dir, 'summaries.jsonl');
    const journal = await withThreeNotes(path);
    disk.room = 400;
    journal.checkpoint([], 50);
    const archive = readdirSync(dir).find((f) => /^summaries\.jsonl\.\d+$/.test(f))!;
    expect(readdirSync(dir).filter((f) => f.startsWith(`${archive}.`))).toEqual([]);
    disk.room = Number.POSITIVE_INFINITY;
    journal.append(note(4));
    journal.close();
    // The archive kept its three records; the new segment has the checkpoint and the record after it.
    expect(lines(join(dir, archive)).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
    expect(lines(path).map((line) => JSON.parse(line).seq)).toEqual([4, 5]);
    const reopened = new FileJournal({ path, logger: silentLogger });
    expect(reopened.history({ topic: 'test.note' }).map((r) => r.seq)).toEqual([1, 2, 3, 5]);
    reopened.close();
  });
});

describe("an archive's summaries on a disk that cannot take them", () => {
  /** The files written beside `archives` (their summaries). */
  const besideArchives = (archives: readonly string[]): string[] => readdirSync(dir).filter((f) => archives.some((a) => f.startsWith(`${a.slice(dir.length + 1)}.`)));

  /** The journal at `path` opened again, with the warnings it logs. */
  function reopenedWithWarnings(path: string): { journal: FileJournal; warnings: string[] } {
    const warnings: string[] = [];
    return { journal: new FileJournal({ path, sync: 'os', logger: { ...silentLogger, warn: (message: string) => void warnings.push(message) } }), warnings };
  }

  /** A journal with two archived segments (orders, fills, closed positions), their summaries deleted, closed. */
  async function archivedJournal(path: string): Promise<string[]> {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const journal = new FileJournal({ path, sync: 'os', logger: silentLogger });
    const broker = new MockBroker({ clock });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, market: alwaysOpenMarket, config: { sizing: { method: 'fixed_quantity', quantity: 5 }, orderManagement: { orderTimeoutMs: null } } });
    for (const s of ['AAPL', 'MSFT']) broker.setPrice(s, '100');
    await engine.start();
    for (const s of ['AAPL', 'MSFT']) engine.updatePrice(s, '100');
    let n = 0;
    for (const round of [0, 1]) {
      for (const side of ['buy', 'sell'] as const) {
        for (const symbol of ['AAPL', 'MSFT']) await engine.executeSignal({ id: `s${n++}`, symbol, side, strength: 80, time: clock.now(), strategyId: `k${round}` });
        clock.advance(60_000);
      }
      expect(engine.checkpoint()).toBe(true);
    }
    await engine.stop();
    journal.close();
    const archives = readdirSync(dir).filter((f) => /\.jsonl\.\d+$/.test(f)).map((f) => join(dir, f));
    for (const f of besideArchives(archives)) rmSync(join(dir, f));
    return archives;
  }

  it('queries over archives whose summaries cannot be written answer from the archives themselves, as they would from the summaries, and warn once per archive', async () => {
    const path = join(dir, 'h.jsonl');
    const archives = await archivedJournal(path);
    expect(archives).toHaveLength(2);
    const { journal, warnings } = reopenedWithWarnings(path);
    const ask = () => ({
      orders: journal.orders(),
      fills: journal.fills(),
      notes: journal.notes(),
      closed: journal.notes({ topic: 'position.closed' }),
      report: archives.map((a) => journal.segmentReport(a)).map(({ report, ids }) => ({ report, ids: ids() })),
      segmentNotes: archives.map((a) => journal.segmentNotes(a)),
    });
    disk.room = 0;
    const full = ask();
    const again = ask();
    // Nothing was written beside the archives, and each archive was warned about once.
    expect(besideArchives(archives)).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/summaries of h\.jsonl\.\d+ could not be written \(.*ENOSPC.*\); queries read the archive itself/);
    // With room again the summaries are written by the same queries, which answer the same.
    disk.room = Number.POSITIVE_INFINITY;
    const written = ask();
    expect(readdirSync(dir).filter((f) => f.endsWith('.orders-meta.json'))).toHaveLength(2);
    const fromFiles = ask();
    expect(full.orders).toHaveLength(8);
    expect(full.fills).toHaveLength(8);
    expect(full.closed.length).toBeGreaterThanOrEqual(4);
    expect(full.report.every(({ ids }) => ids.length > 0)).toBe(true);
    for (const other of [again, written, fromFiles]) expect(JSON.parse(JSON.stringify(other))).toEqual(JSON.parse(JSON.stringify(full)));
    journal.close();
  });

  it("an archive summarized by an earlier version (orders and fills as JSON) is read on a full disk without its conversion to columns, and converted once there is room", async () => {
    const path = join(dir, 'old.jsonl');
    const archives = await archivedJournal(path);
    const { journal, warnings } = reopenedWithWarnings(path);
    const orders = journal.orders();
    const fills = journal.fills();
    // Each archive as an earlier version left it: orders as rows of the old columns, fills as JSON.
    const columns = ['clientOrderId', 'brokerOrderId', 'symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'averageFillPrice', 'limitPrice', 'stopPrice', 'strategyId', 'signalId', 'createdAt', 'updatedAt'];
    for (const archive of archives) {
      const ids = new Set(journal.segmentReport(archive).ids());
      writeFileSync(`${archive}.orders.json`, JSON.stringify(orders.filter((o) => ids.has(o.clientOrderId)).map((o) => columns.map((c) => (o as unknown as Record<string, unknown>)[c] ?? null))));
      rmSync(`${archive}.orders.columns`);
      writeFileSync(`${archive}.fills.json`, JSON.stringify(fills.filter((f) => ids.has(f.clientOrderId))));
      rmSync(`${archive}.fills.columns`);
    }
    disk.room = 0;
    expect(journal.orders()).toEqual(orders);
    expect(journal.fills()).toEqual(fills);
    expect(archives.every((a) => existsSync(`${a}.orders.json`) && !existsSync(`${a}.orders.columns`))).toBe(true);
    expect(warnings).toHaveLength(2);
    disk.room = Number.POSITIVE_INFINITY;
    expect(journal.orders()).toEqual(orders);
    expect(journal.fills()).toEqual(fills);
    expect(archives.every((a) => !existsSync(`${a}.orders.json`) && existsSync(`${a}.orders.columns`) && existsSync(`${a}.fills.columns`))).toBe(true);
    journal.close();
  });
});

describe('the engine on a journal that cannot write', () => {
  async function setup() {
    const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    const journal = new FileJournal({ path: join(dir, 'engine.jsonl'), logger: silentLogger });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal, protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 10 } });
    const alerts: AlertPayload[] = [];
    const errors: unknown[] = [];
    engine.on('alert', (a) => alerts.push(a));
    engine.on('error', ({ error }) => errors.push(error));
    for (const s of ['AAPL', 'MSFT']) {
      broker.setPrice(s, '100');
      engine.updatePrice(s, '100');
    }
    await engine.start();
    let n = 0;
    const buy = (symbol: string) => engine.executeSignal({ id: `s${++n}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    return { clock, broker, journal, engine, alerts, errors, buy };
  }

  it('the order waiting on it never reaches the broker, new orders are halted with a critical alert, and the stop protecting what is held keeps working', async () => {
    const { broker, engine, alerts, errors, buy, journal } = await setup();
    expect((await buy('AAPL')).kind).toBe('executed');
    const stop = engine.orders.workingOrders().find((o) => o.symbol === 'AAPL' && o.type === 'stop');
    expect(stop).toBeDefined();
    const sent = broker.requests.filter((r) => r.method === 'submitOrder').length;
    disk.room = 0;
    const refused = await buy('MSFT');
    // Decided and sized, but its records could not be made durable: it failed without being sent.
    expect(refused.kind).toBe('executed');
    expect(refused.kind === 'executed' && refused.order.status).toBe('failed');
    expect(refused.kind === 'executed' && refused.order.errorMessage).toMatch(/cannot write \(ENOSPC/);
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(sent);
    expect(errors).toEqual([expect.objectContaining({ code: 'journal_write_failed', operation: 'write' })]);
    expect(alerts.filter((a) => a.code === 'journal_write_failed')).toEqual([expect.objectContaining({ severity: 'critical', message: expect.stringMatching(/cannot write \(ENOSPC.*new orders are halted/) })]);
    expect(engine.tradingState).toBe('HALTED');
    expect(engine.tradingStateReason).toBe('the journal cannot write (write failed)');
    const next = await buy('MSFT');
    expect(next.kind === 'rejected' && next.reasons.map((r) => r.code)).toEqual(['trading_halted']);
    // The halt did not cancel what protects the position.
    expect(engine.orders.get(stop!.clientOrderId)?.status).toBe(stop!.status);
    // Space freed: the journal writes again (an info alert); trading stays halted until the host resumes.
    disk.room = Number.POSITIVE_INFINITY;
    engine.updatePrice('AAPL', '100.5');
    await journal.sync();
    expect(alerts.at(-1)).toMatchObject({ severity: 'info', code: 'journal_write_recovered' });
    expect(engine.tradingState).toBe('HALTED');
    engine.resume();
    expect((await buy('MSFT')).kind).toBe('executed');
    expect(engine.positions.get('MSFT')?.quantity.toString()).toBe('10');
    await engine.stop();
    // Every record reached the file: the failed order's too.
    const reopened = new FileJournal({ path: join(dir, 'engine.jsonl'), logger: silentLogger });
    expect(reopened.recovery.corruptLines).toEqual([]);
    const failed = refused.kind === 'executed' ? refused.order.clientOrderId : '';
    expect(reopened.query({ clientOrderId: failed, kinds: ['order.event'] }).at(-1)).toMatchObject({ status: 'failed' });
    reopened.close();
  });

  it('stop on a journal that cannot write disconnects, then rejects with the typed error', async () => {
    const { broker, engine, buy } = await setup();
    await buy('AAPL');
    const connection: string[] = [];
    broker.onConnectionChange((change) => connection.push(change.state));
    disk.room = 0;
    engine.updatePrice('AAPL', '101');
    await expect(engine.stop()).rejects.toBeInstanceOf(JournalWriteError);
    expect(connection).toEqual(['disconnected']);
  });
});
