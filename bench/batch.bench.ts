/**
 * Part of `npm run bench` (`npm run bench:batch`): a batch of 500 signals decided together on the
 * mock broker — ranked, checked, sized, journaled and sent — with `engine.executeSignals`. Median of
 * 15 runs after 5 warm-up runs, each on a fresh engine. (#22 asks for under 10 ms.) Then 500 limit entries that rest (the broker's price
 * is away from the engine's) and fill when the price comes back: the book of working orders grows
 * through the batch, so any walk over every working order per order shows here as a quadratic. And
 * 500 entries beside 500 open positions with a sector limit and a strategy limit (each entry's check
 * reads its group's exposure: a sum over the book made it quadratic too). `npm run bench` runs it
 * twice: with V8's default young generation and with `--max-semi-space-size=64` (scavenges are most
 * of the variance: a batch keeps what it allocates alive until it ends).
 */
import { alwaysOpenMarket, ExecutionEngine, groupLimitRule, InMemoryJournal, PRE_TRADE_RULES, type Signal, sequentialIds, silentLogger, strategyLimitRule } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const SIZE = arg('batch-size', 500);
const WARM_UP = arg('batch-warm-up', 5);
const RUNS = arg('batch-runs', 15);

async function once(): Promise<{ ms: number; executed: number; exitMs: number; exits: number }> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: SIZE, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null } } });
  const symbols = Array.from({ length: SIZE }, (_, i) => `S${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  // The first batch: 500 entries on symbols the engine has not traded yet (each one's asset looked up once).
  const entries: Signal[] = symbols.map((symbol, i) => ({ id: `b-${i}`, symbol, side: 'buy', strength: 70 + (i % 30), time: clock.now(), strategyId: 'bar' }));
  let t0 = process.hrtime.bigint();
  const result = await engine.executeSignals(entries, { refreshAccount: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // The next bar: 500 exits on the same symbols (what a running engine's batches look like: assets known).
  const exits: Signal[] = symbols.map((symbol, i) => ({ id: `x-${i}`, symbol, side: 'sell', strength: 90, time: clock.now(), strategyId: 'bar' }));
  t0 = process.hrtime.bigint();
  const out = await engine.executeSignals(exits, { refreshAccount: false });
  const exitMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await engine.stop();
  return { ms, executed: result.executed, exitMs, exits: out.executed };
}

/** 500 limit entries placed where they rest, then every symbol's price comes back and fills them. */
async function resting(): Promise<{ ms: number; rested: number; fillMs: number; open: number }> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: SIZE, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null, entryOrderType: 'limit' } } });
  const symbols = Array.from({ length: SIZE }, (_, i) => `S${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '110');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  const entries: Signal[] = symbols.map((symbol, i) => ({ id: `r-${i}`, symbol, side: 'buy', strength: 70 + (i % 30), time: clock.now(), strategyId: 'bar' }));
  let t0 = process.hrtime.bigint();
  const result = await engine.executeSignals(entries, { refreshAccount: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rested = engine.orders.workingOrders().length;
  t0 = process.hrtime.bigint();
  for (const s of symbols) broker.setPrice(s, '100');
  await new Promise((resolve) => setImmediate(resolve));
  const fillMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const open = engine.positions.openPositions().length;
  await engine.stop();
  if (result.executed !== SIZE || rested !== SIZE || open !== SIZE) throw new Error(`resting batch: ${result.executed} sent, ${rested} rested, ${open} filled (expected ${SIZE} each)`);
  return { ms, rested, fillMs, open };
}

/** 500 entries on new symbols beside 500 open positions, with a sector limit (10 sectors) and a strategy limit. */
async function limited(): Promise<number> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e9 });
  const sectorOf = (symbol: string): string => `sector-${Number(symbol.slice(1)) % 10}`;
  const rules = [...PRE_TRADE_RULES, groupLimitRule(sectorOf, 50), strategyLimitRule({ bar: 90 })];
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000), rules, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 2 * SIZE, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null } } });
  const symbols = Array.from({ length: 2 * SIZE }, (_, i) => `S${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  const batch = (from: number, prefix: string): Signal[] => symbols.slice(from, from + SIZE).map((symbol, i) => ({ id: `${prefix}-${i}`, symbol, side: 'buy', strength: 80, time: clock.now(), strategyId: 'bar' }));
  const book = await engine.executeSignals(batch(0, 'k'), { refreshAccount: false });
  const t0 = process.hrtime.bigint();
  const result = await engine.executeSignals(batch(SIZE, 'l'), { refreshAccount: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await engine.stop();
  if (book.executed !== SIZE || result.executed !== SIZE) throw new Error(`limited batch: ${book.executed} then ${result.executed} sent (expected ${SIZE} each)`);
  return ms;
}

// A bot batching every bar runs warm: the first batches pay for the JIT (50–110 ms each here), so
// they are run and set aside rather than let them make the median.
for (let i = 0; i < WARM_UP; i++) await once();
const runs: { ms: number; executed: number; exitMs: number; exits: number }[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const stat = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `median ${at(0.5)} ms (best ${sorted[0]!.toFixed(1)}, p90 ${at(0.9)}, worst ${sorted.at(-1)!.toFixed(1)})`;
};
for (let i = 0; i < WARM_UP; i++) await resting();
const rests: { ms: number; rested: number; fillMs: number; open: number }[] = [];
for (let i = 0; i < RUNS; i++) rests.push(await resting());
for (let i = 0; i < WARM_UP; i++) await limited();
const limitedRuns: number[] = [];
for (let i = 0; i < RUNS; i++) limitedRuns.push(await limited());
const youngGeneration = process.execArgv.find((a) => a.startsWith('--max-semi-space-size')) ?? "V8's default young generation";
console.log(`batch of ${SIZE} signals (executeSignals, mock broker, ${RUNS} runs on fresh engines after ${WARM_UP} warm-up runs; ${youngGeneration}):`);
console.log(`  ${SIZE} entries on new symbols: ${stat(runs.map((r) => r.ms))}, ${runs[0]!.executed} orders`);
console.log(`  ${SIZE} exits the next bar:     ${stat(runs.map((r) => r.exitMs))}, ${runs[0]!.exits} orders`);
console.log(`  ${SIZE} limit entries that rest: ${stat(rests.map((r) => r.ms))}; filled by the next price: ${stat(rests.map((r) => r.fillMs))}`);
console.log(`  ${SIZE} entries beside ${SIZE} positions, sector + strategy limits: ${stat(limitedRuns)}`);
