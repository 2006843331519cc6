/**
 * Part of `npm run bench` (`npm run bench:batch`): a batch of 500 signals decided together on the
 * mock broker — ranked, checked, sized, journaled and sent — with `engine.executeSignals`. Median of
 * 7 runs after a warm-up, each on a fresh engine. (#22 asks for under 10 ms.)
 */
import { alwaysOpenMarket, ExecutionEngine, InMemoryJournal, type Signal, sequentialIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const SIZE = arg('batch-size', 500);

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

await once();
const runs: { ms: number; executed: number; exitMs: number; exits: number }[] = [];
for (let i = 0; i < 7; i++) runs.push(await once());
const stat = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[3]!.toFixed(1)} ms (best ${sorted[0]!.toFixed(1)}, worst ${sorted[6]!.toFixed(1)})`;
};
console.log(`batch of ${SIZE} signals (executeSignals, mock broker, 7 runs on fresh engines):`);
console.log(`  ${SIZE} entries on new symbols: ${stat(runs.map((r) => r.ms))}, ${runs[0]!.executed} orders`);
console.log(`  ${SIZE} exits the next bar:     ${stat(runs.map((r) => r.exitMs))}, ${runs[0]!.exits} orders`);
