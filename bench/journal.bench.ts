/**
 * Part of `npm run bench`: what one journal append costs in each store, and what a durable journal
 * does to the engine's signal path. Figures go to docs/benchmarks.md.
 *
 *   npm run bench -- --appends=20000 --signals=3000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEngine, FileJournal, InMemoryJournal, type Journal, type JournalEntry, type Order, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { arg, percentiles } from './stats.js';

const APPENDS = arg('appends', 20_000);
const SIGNALS = arg('durable-signals', 3_000);
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
  await engine.executeSignal({ id: 's', symbol: 'AAPL', side: 'buy', strength: 90, time: 0, strategyId: 'b' });
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
    await engine.executeSignal({ id: `s${i}`, symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', strength: 80, time: 0, strategyId: 'b' });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  journal.close?.();
  console.log(`  ${name.padEnd(34)} ${Math.round(SIGNALS / seconds).toLocaleString('en-US').padStart(10)} signals/s  signal → submit µs:`, percentiles(latency, [50, 99]));
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
