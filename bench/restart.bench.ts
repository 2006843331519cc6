/**
 * Part of `npm run bench`: how long a restart takes after a long history. The engine trades
 * `--restart-orders` orders (default 1 000 000) on a `FileJournal` that checkpoints as in production
 * (every 40 000 records, the default), leaving positions and resting orders open; then a new engine opens the
 * journal and runs `recover()` against the same broker. Timed: open + recover, wall clock.
 *
 *   npm run bench:restart -- --restart-orders=200000
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEngine, FileJournal, InMemoryPositionRepository, randomIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const ORDERS = arg('restart-orders', 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'tw-restart-'));
const path = join(dir, 'journal.jsonl');
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000, rememberClientIds: 100_000, retainRequests: 10_000 });
const config = { sizing: { method: 'fixed_quantity' as const, quantity: 10 }, maxPositions: 100, orderManagement: { orderTimeoutMs: null }, recovery: { reconcileIntervalMs: 0, checkpointCheckMs: 1_000 } };
// (the default checkpointEveryRecords: 40 000)
const symbols = Array.from({ length: 20 }, (_, i) => `S${i}`);
const first = new ExecutionEngine({ adapter: broker, clock, ids: randomIds(() => clock.now()), logger: silentLogger, journal: new FileJournal({ path, sync: 'os', logger: silentLogger }), positionRepository: new InMemoryPositionRepository(10_000), config });
await first.start();
for (const symbol of symbols) {
  broker.setPrice(symbol, '100');
  first.updatePrice(symbol, '100');
}
const started = Date.now();
for (let i = 0; i < ORDERS; i++) {
  const symbol = symbols[i % symbols.length]!;
  const round = Math.floor(i / symbols.length);
  await first.executeSignal({ id: `s${i}`, symbol, side: round % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'restart' });
  if (i % 10_000 === 9_999) clock.advance(1_000); // the checkpoint check runs on the engine's clock
}
// Left open at the end: a position in every symbol, and resting orders.
for (const symbol of symbols) await first.executeSignal({ id: `open-${symbol}`, symbol, side: 'buy', strength: 80, time: clock.now(), strategyId: 'restart' });
for (const symbol of symbols.slice(0, 5)) await first.orders.submit({ symbol, side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'gtc' }, { timeoutMs: null });
await first.stop();
const segments = readdirSync(dir).filter((n) => /\.\d{6}$/.test(n)).length;
const totalMb = readdirSync(dir).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0) / 1024 / 1024;
console.log(`history: ${ORDERS.toLocaleString('en-US')} orders in ${((Date.now() - started) / 1000).toFixed(0)} s; ${segments} archived segments, ${totalMb.toFixed(0)} MB in all; current segment ${(statSync(path).size / 1024 / 1024).toFixed(1)} MB`);

const t0 = process.hrtime.bigint();
const journal = new FileJournal({ path, sync: 'os', logger: silentLogger });
const second = new ExecutionEngine({ adapter: broker, clock, ids: randomIds(() => clock.now()), logger: silentLogger, journal, config });
await second.start();
const report = await second.recover();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`restart (open the journal + start + recover): ${ms.toFixed(0)} ms; read ${journal.size.toLocaleString('en-US')} records; ${second.positions.openPositions().length} positions and ${second.orders.workingOrders().length} working orders back; mismatches ${report.positionMismatches.length}`);
await second.stop();
rmSync(dir, { recursive: true, force: true });
