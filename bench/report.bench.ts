/**
 * Part of `npm run bench`: the reports of #16.
 * 1. The daily report for a day of `--report-orders` orders (default 100 000) on a FileJournal
 *    checkpointing as in production — from the library (`journalStore(journal)`: each archived
 *    segment's notes from its summary) and from the command-line tool's read-only file store.
 * 2. What the execution monitor costs on the signal path: the in-memory engine with `quality` on
 *    and off, interleaved in the same process (the ratio is what carries across machines).
 *
 *   npm run bench:report -- --report-orders=20000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEngine, FileJournal, InMemoryJournal, InMemoryPositionRepository, journalFileStore, journalStore, randomIds, regulatoryReport, reportPeriod, sequentialIds, silentLogger, tradeReport } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const ORDERS = arg('report-orders', 100_000);
const ROUNDS = arg('report-rounds', 6);
const SIGNALS = arg('quality-signals', 30_000);

const ms = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const t0 = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - t0) / 1e6];
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ── 1. a day of orders, then its report ───────────────────────────────────────────────────────
const dir = mkdtempSync(join(tmpdir(), 'tw-report-'));
const path = join(dir, 'journal.jsonl');
const open = Date.UTC(2024, 0, 2, 14, 30); // 09:30 New York
{
  const clock = new ManualClock(open);
  const broker = new MockBroker({ clock, initialCash: 1e12, slippageBps: 2, commission: { perUnit: '0.005', minimum: '1' }, retainEndedOrders: 10_000, rememberClientIds: 100_000, retainRequests: 10_000 });
  const journal = new FileJournal({ path, sync: 'os', logger: silentLogger });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: randomIds(() => clock.now()), logger: silentLogger, journal, rateLimit: false, positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 100, orderManagement: { orderTimeoutMs: null }, recovery: { reconcileIntervalMs: 0, checkpointCheckMs: 60_000 } } });
  await engine.start();
  const symbols = Array.from({ length: 20 }, (_, i) => `S${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  const step = Math.floor((6.5 * 3_600_000) / ORDERS);
  for (let i = 0; i < ORDERS; i++) {
    clock.advance(step);
    if (i % 1_000 === 0) {
      for (const s of symbols) {
        broker.setPrice(s, (100 + (i % 7_000) / 1_000).toFixed(2));
        engine.updatePrice(s, (100 + (i % 7_000) / 1_000).toFixed(2));
      }
    }
    await engine.executeSignal({ id: `d${i}`, symbol: symbols[i % symbols.length]!, side: Math.floor(i / symbols.length) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: i % 2 ? 'a' : 'b' });
  }
  await engine.stop();
  const period = reportPeriod('daily', '2024-01-02');
  const [report, libraryMs] = await ms(() => tradeReport(journalStore(journal), { period }));
  const again: number[] = [];
  for (let i = 0; i < 5; i++) again.push((await ms(() => tradeReport(journalStore(journal), { period })))[1]);
  const [, strategyMs] = await ms(() => tradeReport(journalStore(journal), { period, filters: { strategyId: 'a' } }));
  journal.close();
  const files: number[] = [];
  for (let i = 0; i < 3; i++) files.push((await ms(() => tradeReport(journalFileStore(path), { period })))[1]);
  const warmMs = median(again);
  const filesMs = median(files);
  const [rows, regulatoryMs] = await ms(async () => {
    let n = 0;
    for await (const _ of regulatoryReport(journalFileStore(path), period)) n++;
    return n;
  });
  console.log(`daily report, one day of ${ORDERS.toLocaleString('en-US')} orders (${report.totals.orders.toLocaleString('en-US')} execution records, ${report.totals.trades.toLocaleString('en-US')} round trips):`);
  console.log(`  from the open FileJournal (journalStore), first:  ${libraryMs.toFixed(0)} ms`);
  console.log(`  the same, again (median of 5):                    ${warmMs.toFixed(0)} ms (best ${Math.min(...again).toFixed(0)}, worst ${Math.max(...again).toFixed(0)})`);
  console.log(`  one strategy (filter):                            ${strategyMs.toFixed(0)} ms`);
  console.log(`  from the files, read-only (the CLI's store):      ${filesMs.toFixed(0)} ms (median of 3)`);
  console.log(`  regulatory report, streamed (every order record): ${regulatoryMs.toFixed(0)} ms, ${rows.toLocaleString('en-US')} rows`);
  if (!process.env.KEEP_REPORT_JOURNAL) rmSync(dir, { recursive: true, force: true });
  else console.log(`  kept ${path}`);
}

// ── 2. the execution monitor on the signal path ───────────────────────────────────────────────
async function signalsPerSecond(quality: boolean): Promise<number> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, commission: { perUnit: '0.005', minimum: '1' }, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal: new InMemoryJournal(50_000), positionRepository: new InMemoryPositionRepository(10_000), quality, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SIGNALS; i++) {
    await engine.executeSignal({ id: `q${i}`, symbol: symbols[i % 4]!, side: Math.floor(i / 4) % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: 'bench' });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await engine.stop();
  return SIGNALS / seconds;
}
await signalsPerSecond(true); // warm-up
await signalsPerSecond(false);
const on: number[] = [];
const off: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Each round runs both, in alternating order, and gives one ratio: the machine's drift cancels within a round.
  const first = round % 2 === 0;
  const a = await signalsPerSecond(!first);
  const b = await signalsPerSecond(first);
  const [withMonitor, without] = first ? [b, a] : [a, b];
  on.push(withMonitor);
  off.push(without);
  ratios.push(withMonitor / without);
}
console.log(`execution monitor on the signal path (${SIGNALS.toLocaleString('en-US')} signals × ${ROUNDS} rounds, alternating, median):`);
console.log(`  quality off: ${Math.round(median(off)).toLocaleString('en-US')} signals/s   quality on (default): ${Math.round(median(on)).toLocaleString('en-US')} signals/s   on/off per round, median ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`);
