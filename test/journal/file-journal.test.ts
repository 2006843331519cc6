import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, FileJournal, type JournalEntry, journalFileStore, JournalLockedError, type Logger, OrderLifecycleManager } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fill, newOrder } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, error: () => undefined, warn: (m) => warnings.push(m) };
}

const entries = (): JournalEntry[] => {
  const order = newOrder({ type: 'limit', limitPrice: '10.05' });
  return [
    { kind: 'order.created', at: 1, clientOrderId: order.clientOrderId, symbol: 'AAPL', status: 'created', order },
    { kind: 'order.event', at: 2, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'accepted', status: 'partially_filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 2, fill: fill('e1', 40, '10.05') } },
    { kind: 'order.event', at: 3, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'partially_filled', status: 'filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 3, fill: fill('e2', 60, '10.04') } },
  ];
};

describe('FileJournal', () => {
  it("options that are not what they should be are a ConfigurationError before the file is opened — a sync mode misspelt ('before_send') meant the records were never flushed", () => {
    const path = join(dir, 'opts.jsonl');
    expect(() => new FileJournal({ path, sync: 'before_send' as never })).toThrow(/journal\.sync must be before-send, every-record, os, got "before_send"/);
    expect(() => new FileJournal({ path, memoryRecords: 0 })).toThrow(/journal\.memoryRecords must be a whole number above 0/);
    expect(() => new FileJournal({ path: '' })).toThrow(/journal\.path must be a file path/);
    expect(() => new FileJournal({ path, writeAhead: 'yes' as never })).toThrow(/journal\.writeAhead must be true or false, got "yes"/);
    expect(() => new FileJournal(undefined as never)).toThrow(expect.objectContaining({ code: 'invalid_configuration' }));
    expect(existsSync(path)).toBe(false);
  });

  it('persists every record and reads them back, decimals intact, sequence continuing', () => {
    const path = join(dir, 'j.jsonl');
    const first = new FileJournal({ path });
    for (const e of entries()) first.append(e);
    first.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);

    const reopened = new FileJournal({ path });
    expect(reopened.recovery).toEqual({ records: 3, tornTail: false, corruptLines: [] });
    const [created, , last] = reopened.query({ clientOrderId: 'c-1' });
    expect(created?.kind === 'order.created' && created.order.limitPrice).toBeInstanceOf(Decimal);
    expect(last?.kind === 'order.event' && last.event.type === 'filled' && last.event.fill.price.toString()).toBe('10.04');
    expect(reopened.query({ status: 'filled' }).map((r) => r.seq)).toEqual([3]);
    expect(reopened.append({ kind: 'note', at: 4, topic: 'after restart' }).seq).toBe(4);
    reopened.close();
  });

  it('bounded memory: only the newest records are held; older history is read from the file on demand', () => {
    const path = join(dir, 'bounded.jsonl');
    const journal = new FileJournal({ path, memoryRecords: 10 });
    for (let i = 0; i < 100; i++) journal.append({ kind: 'note', at: i, topic: i % 2 ? 'odd' : 'even', clientOrderId: `o-${i}`, data: { i } });
    expect(journal.size).toBe(100);
    // Served from the file: the whole history, an old order, a topic, a time range, a limit.
    expect(journal.query().map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(journal.query({ clientOrderId: 'o-3' }).map((r) => r.seq)).toEqual([4]);
    expect(journal.query({ topic: 'odd', limit: 3 }).map((r) => r.at)).toEqual([1, 3, 5]);
    expect(journal.query({ from: 10, to: 12 }).map((r) => r.at)).toEqual([10, 11, 12]);
    // Served from memory: the newest records.
    expect(journal.query({ afterSeq: 95 }).map((r) => r.seq)).toEqual([96, 97, 98, 99, 100]);
    journal.close();
    // Reopened: the count of the whole file, the newest in memory, the sequence continuing.
    const reopened = new FileJournal({ path, memoryRecords: 10 });
    expect(reopened.recovery.records).toBe(100);
    expect(reopened.query({ clientOrderId: 'o-0' })).toHaveLength(1);
    expect(reopened.append({ kind: 'note', at: 100, topic: 'next' }).seq).toBe(101);
    expect(reopened.query({ afterSeq: 99 }).map((r) => r.seq)).toEqual([100, 101]);
    reopened.close();
  });

  it('reads a journal larger than one read chunk line by line (a line may straddle two chunks)', () => {
    const path = join(dir, 'large.jsonl');
    const journal = new FileJournal({ path, sync: 'os', memoryRecords: 100 });
    const padding = 'x'.repeat(900);
    for (let i = 0; i < 3_000; i++) journal.append({ kind: 'note', at: i, topic: 'big', data: { padding, i } });
    journal.close();
    const reopened = new FileJournal({ path, sync: 'os', memoryRecords: 100 });
    expect(reopened.recovery).toEqual({ records: 3_000, tornTail: false, corruptLines: [] });
    const all = reopened.query({ topic: 'big' });
    expect(all).toHaveLength(3_000);
    expect(all.every((r, i) => r.kind === 'note' && (r.data as { i: number }).i === i)).toBe(true);
    reopened.close();
  });

  it('a torn last line is skipped with a warning and cut off; earlier records are all kept', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path });
    for (const e of entries()) journal.append(e);
    journal.close();
    // A crash in the middle of writing a fourth record.
    appendFileSync(path, '{"kind":"order.event","at":4,"clientOrderId":"c-1","sym');
    const logger = capture();
    const reopened = new FileJournal({ path, logger });
    expect(reopened.recovery).toEqual({ records: 3, tornTail: true, corruptLines: [] });
    expect(logger.warnings.join()).toMatch(/cut short/);
    // The next record starts on a clean line.
    reopened.append({ kind: 'note', at: 5, topic: 'resumed' });
    reopened.close();
    const again = new FileJournal({ path, logger: capture() });
    expect(again.recovery).toEqual({ records: 4, tornTail: false, corruptLines: [] });
    expect(again.query({ kinds: ['note'] })[0]).toMatchObject({ topic: 'resumed', seq: 4 });
    again.close();
  });

  it('a corrupt line in the middle is skipped with a warning, never a crash', () => {
    const path = join(dir, 'j.jsonl');
    const [a, b] = entries();
    writeFileSync(path, `${JSON.stringify({ ...a, order: undefined })}\nnot json at all\n`);
    const logger = capture();
    const journal = new FileJournal({ path, logger });
    expect(journal.recovery.corruptLines).toEqual([1, 2]);
    expect(logger.warnings).toHaveLength(2);
    journal.append(b!);
    expect(journal.size).toBe(1);
    journal.close();
  });

  it('backs the lifecycle: the order is on disk before the broker sees it', async () => {
    const path = join(dir, 'orders.jsonl');
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '10');
    const journal = new FileJournal({ path });
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), journal });
    lifecycle.start();
    let onDisk = '';
    const send = broker.submitOrder.bind(broker);
    broker.submitOrder = (o) => {
      onDisk = readFileSync(path, 'utf8');
      return send(o);
    };
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(onDisk).toContain(`"clientOrderId":"${order.clientOrderId}"`);
    expect(onDisk).toContain('"kind":"order.created"');
    journal.close();
    const reread = new FileJournal({ path });
    expect(reread.query({ clientOrderId: order.clientOrderId }).map((r) => r.kind === 'order.event' && r.status).filter(Boolean)).toEqual(['validated', 'submitted', 'accepted', 'filled']);
    reread.close();
  });
});

describe('FileJournal durability modes', () => {
  it('records appended in one run go out in one write once its promises have run (at once on sync()); every-record and os behave as named', async () => {
    const modes = ['before-send', 'every-record', 'os'] as const;
    for (const sync of modes) {
      const path = join(dir, `${sync}.jsonl`);
      const journal = new FileJournal({ path, sync });
      for (const e of entries()) journal.append(e);
      // every-record writes (and fsyncs) each record before append returns; the others write the
      // run's records together once it and the promises it started have run — before the process
      // turns to any I/O — so one signal's records after its send go out in one write.
      expect(readFileSync(path, 'utf8').trim().split('\n').filter(Boolean)).toHaveLength(sync === 'every-record' ? 3 : 0);
      await Promise.resolve();
      await Promise.resolve();
      expect(readFileSync(path, 'utf8').trim().split('\n').filter(Boolean)).toHaveLength(sync === 'every-record' ? 3 : 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
      journal.append(entries()[0]!);
      // sync() writes what is pending at once; before-send then awaits an fdatasync.
      const durable = journal.sync();
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(4);
      expect(durable instanceof Promise).toBe(sync === 'before-send');
      await durable;
      journal.close();
      expect(new FileJournal({ path }).recovery.records).toBe(4);
    }
  });

  it('group commit: orders asking in the same run share one fdatasync; those asking while it runs share the next one', async () => {
    const path = join(dir, 'group.jsonl');
    const journal = new FileJournal({ path });
    journal.append(entries()[0]!);
    const first = journal.sync()!;
    // Asked in the same run (signals started together): the fdatasync has not started; it covers them all.
    const together: Promise<void>[] = [];
    for (let i = 0; i < 31; i++) {
      journal.append(entries()[1]!);
      together.push(journal.sync()!);
    }
    expect(new Set([first, ...together]).size).toBe(1);
    await Promise.resolve(); // the fdatasync starts now
    // 32 orders written while it is in flight: they wait for one more, the same one.
    const later: Promise<void>[] = [];
    for (let i = 0; i < 32; i++) {
      journal.append(entries()[1]!);
      later.push(journal.sync()!);
    }
    expect(new Set(later).size).toBe(1);
    expect(later[0]).not.toBe(first);
    await Promise.all([first, ...later]);
    // Nothing new since: nothing to wait for.
    expect(journal.sync()).toBeUndefined();
    journal.close();
    expect(new FileJournal({ path }).recovery.records).toBe(64);
  });
  it('one order waiting on a fast disk is flushed on the event loop; several waiting share one flush off it', async () => {
    const path = join(dir, 'inline.jsonl');
    // A bound no flush can miss, so the test does not depend on how fast this machine's disk is today
    // (a loaded CI machine took over the default 2 ms once); the bound itself is tested below.
    const journal = new FileJournal({ path, inlineSyncUnderMs: 60_000 });
    // One at a time: each sync is one fdatasync on the loop (no thread-pool hand-off).
    for (let i = 0; i < 3; i++) {
      journal.append(entries()[i]!);
      await journal.sync();
    }
    expect(journal.flushes).toEqual({ onLoop: 3, offLoop: 0 });
    // Three orders asking in the same run: one flush, off the loop, shared.
    const waits = entries().map((entry) => {
      journal.append(entry);
      return journal.sync();
    });
    expect(new Set(waits).size).toBe(1);
    await Promise.all(waits);
    expect(journal.flushes).toEqual({ onLoop: 3, offLoop: 1 });
    journal.close();
    expect(new FileJournal({ path }).recovery.records).toBe(6);
  });

  it('inlineSyncUnderMs: 0 never blocks the loop; a flush slower than the bound turns inline flushes off', async () => {
    const never = new FileJournal({ path: join(dir, 'never.jsonl'), inlineSyncUnderMs: 0 });
    never.append(entries()[0]!);
    await never.sync();
    expect(never.flushes).toEqual({ onLoop: 0, offLoop: 1 });
    never.close();

    // No real fdatasync takes under a nanosecond: the first flush (nothing measured yet) is inline,
    // it measures slower than the bound, and from then on every flush goes off the loop.
    const slow = new FileJournal({ path: join(dir, 'slow.jsonl'), inlineSyncUnderMs: 1e-6 });
    for (let i = 0; i < 3; i++) {
      slow.append(entries()[i]!);
      await slow.sync();
    }
    expect(slow.flushes).toEqual({ onLoop: 1, offLoop: 2 });
    slow.close();
    expect(new FileJournal({ path: join(dir, 'slow.jsonl') }).recovery.records).toBe(3);

    expect(() => new FileJournal({ path: join(dir, 'bad.jsonl'), inlineSyncUnderMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid_configuration' }));
  });
});

describe('FileJournal space written ahead (flushes that write data, not the file size)', () => {
  /** The file as bytes, and where its records end (after the last line that is not blank). */
  const contentOf = (path: string): { size: number; records: string } => {
    const text = readFileSync(path, 'utf8');
    return { size: Buffer.byteLength(text), records: text.replace(/[ \n]+$/, '\n') };
  };

  it('while open, the records are followed by blank space (still JSON lines); closed, the file ends with its last record', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path, lock: false });
    for (const e of entries()) journal.append(e);
    await journal.sync();
    const open = contentOf(path);
    expect(open.size).toBeGreaterThanOrEqual(256 * 1024); // written ahead
    const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    // Another process's reader (a report, the CLI) reads the records, and nothing from the blank space.
    const read: number[] = [];
    for await (const record of journalFileStore(path).records({})) read.push(record.seq);
    expect(read).toEqual([1, 2, 3]);
    journal.close();
    const closed = contentOf(path);
    expect(closed.size).toBe(Buffer.byteLength(open.records));
    expect(readFileSync(path, 'utf8')).toBe(open.records);
  });

  it("after a crash (never closed), reopening finds every record, cuts the blank space, and appends right after the last one", () => {
    const path = join(dir, 'j.jsonl');
    const crashed = new FileJournal({ path, lock: false });
    for (const e of entries()) crashed.append(e);
    crashed.append({ kind: 'note', at: 9, topic: 'last' });
    void crashed.sync(); // written; the process dies before close()
    expect(contentOf(path).size).toBeGreaterThan(Buffer.byteLength(contentOf(path).records));
    const logger = capture();
    const reopened = new FileJournal({ path, lock: false, logger });
    expect(reopened.recovery).toEqual({ records: 4, tornTail: false, corruptLines: [] });
    expect(logger.warnings).toEqual([]);
    expect(contentOf(path).size).toBe(Buffer.byteLength(contentOf(path).records));
    reopened.append({ kind: 'note', at: 10, topic: 'resumed' });
    reopened.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a record cut short inside the blank space is the torn tail: skipped with a warning and cut off with the space', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path });
    for (const e of entries()) journal.append(e);
    journal.close();
    const whole = readFileSync(path, 'utf8');
    // A crash mid-write over space written ahead: the record's start, then the blank space it did not reach.
    writeFileSync(path, `${whole}{"kind":"note","at":4,"top${' '.repeat(4000)}\n`);
    const logger = capture();
    const reopened = new FileJournal({ path, logger });
    expect(reopened.recovery).toEqual({ records: 3, tornTail: true, corruptLines: [] });
    expect(logger.warnings.join()).toMatch(/cut short/);
    expect(readFileSync(path, 'utf8')).toBe(whole);
    // The whole last record followed by blank space but not its newline: cut short too (its newline is how a whole write ends).
    reopened.close();
    writeFileSync(path, `${whole}{"kind":"note","at":4,"topic":"x","seq":4}${' '.repeat(100)}`);
    const again = new FileJournal({ path, logger: capture() });
    expect(again.recovery.tornTail).toBe(true);
    expect(again.size).toBe(3);
    again.close();
  });

  it('a checkpoint archives the segment without the space; os mode and writeAhead: false write none', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path });
    for (const e of entries()) journal.append(e);
    journal.sync();
    journal.checkpoint([{ kind: 'note', at: 5, topic: 'state' }], 5);
    const archive = journal.archives()[0]!;
    expect(readFileSync(archive, 'utf8').endsWith('}\n')).toBe(true);
    expect(readFileSync(archive, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    journal.append({ kind: 'note', at: 6, topic: 'after' });
    journal.sync();
    expect(journal.history().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    journal.close();
    expect(new FileJournal({ path }).query().map((r) => (r.kind === 'note' ? r.topic : r.kind))).toEqual(['journal.checkpoint', 'state', 'after']);

    for (const options of [{ sync: 'os' as const }, { writeAhead: false }]) {
      const plainPath = join(dir, `plain-${String(options.writeAhead ?? options.sync)}.jsonl`);
      const plainJournal = new FileJournal({ path: plainPath, ...options });
      for (const e of entries()) plainJournal.append(e);
      void plainJournal.sync();
      // What `tail -f` follows: the file grows with every record.
      expect(readFileSync(plainPath, 'utf8').endsWith('}\n')).toBe(true);
      expect(readFileSync(plainPath, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
      plainJournal.close();
    }
  });
});

describe('FileJournal lock: one writer per file', () => {
  it('a second process gets a JournalLockedError while the first has the file open; closing gives it back', async () => {
    const path = join(dir, 'locked.jsonl');
    // Another process holds the journal: a child that opens it and waits.
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      const { FileJournal } = await import(${JSON.stringify(new URL('../../src/journal/file-journal.ts', import.meta.url).href)});
      const journal = new FileJournal({ path: ${JSON.stringify(path)}, sync: 'os' });
      journal.append({ kind: 'note', at: 1, topic: 'child' });
      process.stdout.write('open\\n');
      process.stdin.once('data', () => { journal.close(); process.stdout.write('closed\\n'); process.exit(0); });
    `], { stdio: ['pipe', 'pipe', 'inherit'] });
    const said = (word: string): Promise<void> => new Promise((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(word) && resolve()));
    await said('open');
    const refused = (() => {
      try {
        return new FileJournal({ path, sync: 'os', logger: capture() });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(JournalLockedError);
    expect(refused).toMatchObject({ code: 'journal_locked', holder: { pid: child.pid } });
    // Nothing was cut or added by the refused opening.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
    child.stdin!.write('close\n');
    await said('closed');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(`${path}.lock`)).toBe(false);
    const mine = new FileJournal({ path, sync: 'os', logger: capture() });
    expect(mine.query().map((r) => (r.kind === 'note' ? r.topic : r.kind))).toEqual(['child']);
    mine.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("a crashed process's lock is taken over with a warning; a second opening in this process takes it over, and the first one's close leaves it alone", async () => {
    const path = join(dir, 'stale.jsonl');
    // A process that held the journal and is gone (it exited without closing).
    const child = spawn(process.execPath, ['-e', 'process.exit(0)']);
    await new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: child.pid, host: hostname(), since: 0, token: 'gone' }));
    const logger = capture();
    const first = new FileJournal({ path, sync: 'os', logger });
    expect(logger.warnings.join('\n')).toContain(`process ${child.pid} held it and has ended without closing it`);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    // Opened again without closing the first (how a test simulates a crash): allowed, with a warning.
    const second = new FileJournal({ path, sync: 'os', logger });
    expect(logger.warnings.join('\n')).toContain('locked by this process id');
    first.close();
    expect(existsSync(`${path}.lock`)).toBe(true); // the second opening's lock
    second.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Another host's lock cannot be checked (a pod restarted under a new name): taken over, with a warning.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', since: 0, token: 'far' }));
    new FileJournal({ path, sync: 'os', logger }).close();
    expect(logger.warnings.join('\n')).toContain('on elsewhere, which cannot be checked from here');
    // lock: false opens without looking.
    new FileJournal({ path, sync: 'os', logger, lock: false }).close();
  });

  it.runIf(existsSync('/proc/self/stat'))('a lock whose process id now belongs to another process (started after the holder: the id was reused, as in a restarted container) is taken over; one whose live process is the holder is not', async () => {
    const path = join(dir, 'reused.jsonl');
    // The parent process is alive; as the lock's holder it would have started at another time.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), since: 0, token: 'old', process: 'another-boot:1' }));
    const logger = capture();
    new FileJournal({ path, sync: 'os', logger }).close();
    expect(logger.warnings.join('\n')).toContain(`process ${process.ppid} held it and has ended without closing it (its id now belongs to another process, started later)`);
    // The same id with the identity the opening itself records for its own process: that process is the holder.
    const own = new FileJournal({ path, sync: 'os', logger });
    const identity = (JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as { process: string }).process;
    expect(identity).toMatch(/^[0-9a-f-]+:\d+$/);
    own.close();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      // Its start time is in /proc from the fork on (an exec does not change it).
      const started = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const childIdentity = `${identity.split(':')[0]}:${started.slice(started.lastIndexOf(')') + 2).split(' ')[19]}`;
      writeFileSync(`${path}.lock`, JSON.stringify({ pid: child.pid, host: hostname(), since: 0, token: 'live', process: childIdentity }));
      expect(() => new FileJournal({ path, sync: 'os', logger: capture() })).toThrow(JournalLockedError);
    } finally {
      child.kill();
    }
  });
});
