/**
 * Part of `npm run bench`: what one journal append costs in each store, and what a durable journal
 * does to the engine's signal path. Figures go to docs/benchmarks.md.
 *
 *   npm run bench -- --appends=20000 --signals=3000
 */
import { closeSync, fdatasync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, ExecutionEngine, FileJournal, InMemoryJournal, type Journal, type JournalEntry, type Order, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { type Arrival, inFlightAs, type Mode, reference } from './reference.js';
import { arg, percentiles } from './stats.js';
import pg from 'pg';

const APPENDS = arg('appends', 20_000);
const SIGNALS = arg('durable-signals', 3_000);
const IN_FLIGHT = arg('in-flight', 64);
const ROUNDS = arg('one-rounds', 5);
const dir = mkdtempSync(join(tmpdir(), 'tw-bench-'));

/** A representative order record (the journal's most common record is an order event). */
async function sampleEntries(): Promise<JournalEntry[]> {
  const clock = new ManualClock();
  const broker = new MockBroker({ clock });
  broker.setPrice('AAPL', '190.12');
  const journal = new InMemoryJournal();
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
  engine.updatePrice('AAPL', '190.12');
  await engine.start();
  await engine.executeSignal({ id: 's', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'b' });
  return journal.query();
}

async function measureAppends(name: string, make: () => Journal): Promise<void> {
  const template = await sampleEntries();
  const journal = make();
  const samples = new BigInt64Array(APPENDS);
  const started = process.hrtime.bigint();
  for (let i = 0; i < APPENDS; i++) {
    const { seq: _seq, ...entry } = template[i % template.length] as JournalEntry & { seq: number; order?: Order };
    const t0 = process.hrtime.bigint();
    journal.append({ ...entry } as JournalEntry);
    samples[i] = process.hrtime.bigint() - t0;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  journal.close?.();
  console.log(`  ${name.padEnd(34)} ${Math.round(APPENDS / seconds).toLocaleString('en-US').padStart(10)} appends/s  µs:`, percentiles(samples, [50, 99, 99.9]));
}

async function measureEngine(name: string, journal: Journal): Promise<void> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  broker.setPrice('AAPL', '100');
  engine.updatePrice('AAPL', '100');
  const latency = new BigInt64Array(SIGNALS);
  let t0 = 0n;
  let i = 0;
  const submit = broker.submitOrder.bind(broker);
  broker.submitOrder = (order) => {
    latency[i] = process.hrtime.bigint() - t0;
    return submit(order);
  };
  const started = process.hrtime.bigint();
  for (i = 0; i < SIGNALS; i++) {
    t0 = process.hrtime.bigint();
    await engine.executeSignal({ id: `s${i}`, symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  journal.close?.();
  console.log(`  ${name.padEnd(34)} ${Math.round(SIGNALS / seconds).toLocaleString('en-US').padStart(10)} signals/s  signal → submit µs:`, percentiles(latency, [50, 99]));
}

/** The engine, `inFlight` signals at a time (in waves, or a window), on `inFlight` symbols (each symbol alternates buy and sell). */
async function engineRate(journal: Journal, inFlight: number, count: number, arrival: Arrival = 'waves'): Promise<number> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null }, maxPositions: 1_000 } });
  await engine.start();
  const symbols = Array.from({ length: inFlight }, (_, k) => `S${k}`);
  for (const symbol of symbols) {
    broker.setPrice(symbol, '100');
    engine.updatePrice(symbol, '100');
  }
  let n = 0;
  const started = process.hrtime.bigint();
  await inFlightAs(arrival)(count, inFlight, async (i) => {
    const symbol = symbols[i % inFlight]!;
    const round = Math.floor(i / inFlight);
    await engine.executeSignal({ id: `s${n++}`, symbol, side: round % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  journal.close?.();
  return count / seconds;
}

/**
 * One bare fdatasync per signal, one at a time: the floor for "durable before send" — off the event
 * loop, or on it (`fdatasyncSync`, the faster floor here); with `bytes`, each write that many bytes
 * (what the engine itself writes per signal: a page boundary crossed costs the flush more).
 */
async function bareFsyncRate(count: number, onLoop = false, bytes = 0): Promise<number> {
  const fd = openSync(join(dir, 'bare.jsonl'), 'a');
  const sized = bytes > 1 ? `${'x'.repeat(bytes - 1)}\n` : undefined;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    writeSync(fd, sized ?? `{"i":${i}}\n`);
    if (onLoop) {
      fdatasyncSync(fd);
      await Promise.resolve();
    } else await new Promise<void>((ok, fail) => fdatasync(fd, (e) => (e ? fail(e) : ok())));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(fd);
  return count / seconds;
}

/** The PostgreSQL journal (tradewire/postgres), when a server is reachable; skipped with a note otherwise. */
async function postgresRows(): Promise<void> {
  const connectionString = process.env.TRADEWIRE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  let PostgresJournal: typeof import('tradewire/postgres').PostgresJournal;
  try {
    ({ PostgresJournal } = await import('tradewire/postgres'));
    await (await PostgresJournal.open({ connectionString, account: 'bench-probe', logger: silentLogger })).end();
  } catch (error) {
    console.log(`  (PostgreSQL rows skipped: ${String(error).split('\n')[0]})`);
    return;
  }
  for (const inFlight of [1, IN_FLIGHT]) {
    const account = `bench-${process.pid}-${inFlight}`;
    const journal = await PostgresJournal.open({ connectionString, account, logger: silentLogger });
    const count = inFlight === 1 ? Math.min(SIGNALS, 1_000) : SIGNALS * 2;
    const ref = await reference('fsync', inFlight, count, dir);
    const eng = await engineRate(journal, inFlight, count);
    await journal.end();
    const cleanup = await PostgresJournal.open({ connectionString, account, logger: silentLogger });
    console.log(`  ${`PostgreSQL journal, ${inFlight} in flight`.padEnd(44)} reference ${fmt(ref)}/s  engine ${fmt(eng)}/s  engine/reference ${(eng / ref).toFixed(2)}  (${cleanup.size} records, ${journal.inserts} INSERTs)`);
    await cleanup.end();
    // The bench's rows go: left in the table, each run's would make the next run's indexes larger.
    const client = new pg.Client({ connectionString });
    await client.connect();
    await client.query('DELETE FROM tradewire.journal WHERE account = $1', [account]);
    await client.end();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);

async function compare(name: string, mode: Mode, inFlight: number, make: () => Journal, count: number, arrival: Arrival = 'waves'): Promise<void> {
  const ref = await reference(mode, inFlight, count, dir, arrival);
  const eng = await engineRate(make(), inFlight, count, arrival);
  console.log(`  ${name.padEnd(44)} reference ${fmt(ref)}/s  engine ${fmt(eng)}/s  engine/reference ${(eng / ref).toFixed(2)}`);
}

let file = 0;
const fileJournal = (sync: 'os' | 'before-send'): (() => Journal) => () => new FileJournal({ path: join(dir, `cmp-${file++}.jsonl`), sync, logger: silentLogger });
console.log(`engine vs the reference pipeline, same process (${SIGNALS} signals each):`);
await compare('in-memory journal, 1 in flight', 'memory', 1, () => new InMemoryJournal(50_000), SIGNALS * 4);
await compare('file, sync: os, 1 in flight', 'os', 1, fileJournal('os'), SIGNALS * 4);
await compare('file, fsync before send, 1 in flight', 'fsync', 1, fileJournal('before-send'), Math.min(SIGNALS, 1_000));
await compare(`file, fsync before send, ${IN_FLIGHT} in flight`, 'fsync', IN_FLIGHT, fileJournal('before-send'), SIGNALS * 2);
// The same, as a steady stream: each signal that ends lets the next in, so the CPU decides while a flush is on the disk.
await compare(`file, fsync before send, ${IN_FLIGHT} in flight (window)`, 'fsync', IN_FLIGHT, fileJournal('before-send'), SIGNALS * 2, 'window');
await compare(`in-memory journal, ${IN_FLIGHT} in flight (window)`, 'memory', IN_FLIGHT, () => new InMemoryJournal(50_000), SIGNALS * 2, 'window');
await postgresRows();
// #14's one-at-a-time figure: one engine on the default FileJournal, warmed, then rounds of signals
// one at a time interleaved with a bare loop of one write + fdatasync per signal, off the event loop
// and on it (the disk's speed drifts: each round is compared with the bare loops next to it).
{
  const count = Math.min(SIGNALS, 2_000);
  const journal = new FileJournal({ path: join(dir, 'one-at-a-time.jsonl'), logger: silentLogger });
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  broker.setPrice('S0', '100');
  engine.updatePrice('S0', '100');
  let n = 0;
  let bytesPerSignal = 0;
  const perSignal = async (): Promise<number> => {
    const size = journal.bytes;
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++, n++) await engine.executeSignal({ id: `o${n}`, symbol: 'S0', side: n % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
    const us = Number(process.hrtime.bigint() - started) / 1e3 / count;
    bytesPerSignal = Math.round((journal.bytes - size) / count);
    return us;
  };
  await perSignal();
  const ratios: [number, number, number][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const off = 1e6 / (await bareFsyncRate(count));
    const on = 1e6 / (await bareFsyncRate(count, true));
    const same = 1e6 / (await bareFsyncRate(count, true, bytesPerSignal));
    const eng = await perSignal();
    ratios.push([eng / off, eng / on, eng / same]);
    console.log(`  one at a time, round ${round + 1}: bare write + fdatasync ${off.toFixed(0)} µs off the loop, ${on.toFixed(0)} µs on it, ${same.toFixed(0)} µs on it writing the engine's ${bytesPerSignal} B; engine (default FileJournal) ${eng.toFixed(0)} µs: ${(eng / off).toFixed(2)}× / ${(eng / on).toFixed(2)}× / ${(eng / same).toFixed(2)}×`);
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  console.log(`  one at a time: the engine at ${median(ratios.map((r) => r[0])).toFixed(2)}× a bare fdatasync off the loop, ${median(ratios.map((r) => r[1])).toFixed(2)}× on it, ${median(ratios.map((r) => r[2])).toFixed(2)}× on it with the same bytes written (median of ${ROUNDS} rounds; #14 asks ≤ 1.5×); flushes ${JSON.stringify(journal.flushes)}`);
  await engine.stop();
  journal.close();
}

console.log(`journal append cost (${APPENDS} order records each):`);
await measureAppends('in memory', () => new InMemoryJournal());
await measureAppends('file, OS-flushed (sync: os)', () => new FileJournal({ path: join(dir, 'os.jsonl'), sync: 'os', logger: silentLogger }));
await measureAppends('file, fsync per record', () => new FileJournal({ path: join(dir, 'fsync.jsonl'), sync: 'every-record', logger: silentLogger }));
console.log(`engine end to end with each journal (${SIGNALS} signals, ~6 records per order):`);
await measureEngine('in memory', new InMemoryJournal());
await measureEngine('file, sync: os', new FileJournal({ path: join(dir, 'e-os.jsonl'), sync: 'os', logger: silentLogger }));
await measureEngine('file, fsync before send (default)', new FileJournal({ path: join(dir, 'e-send.jsonl'), logger: silentLogger }));
await measureEngine('file, fsync per record', new FileJournal({ path: join(dir, 'e-fsync.jsonl'), sync: 'every-record', logger: silentLogger }));
rmSync(dir, { recursive: true, force: true });
