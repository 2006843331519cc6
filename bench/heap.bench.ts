/**
 * Part of `npm run bench`: does memory stay flat as history grows? The engine runs the production
 * journal (a `FileJournal`, `sync: 'os'` so the figure is about memory, not the disk) and a mock
 * broker bounded the way a soak test bounds it, and the heap is read after a full `gc()` at 200 000
 * signals and again at 1 000 000. Run with `--expose-gc` (the npm script does).
 *
 *   npm run bench:heap -- --heap-signals=1000000
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEngine, FileJournal, InMemoryPositionRepository, randomIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const TOTAL = arg('heap-signals', 1_000_000);
const FIRST = Math.min(200_000, TOTAL);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const dir = mkdtempSync(join(tmpdir(), 'tw-heap-'));
const path = join(dir, 'journal.jsonl');
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000, rememberClientIds: 100_000, retainRequests: 10_000 });
const engine = new ExecutionEngine({
  adapter: broker,
  clock,
  ids: randomIds(() => clock.now()),
  logger: silentLogger,
  journal: new FileJournal({ path, sync: 'os', logger: silentLogger }),
  positionRepository: new InMemoryPositionRepository(10_000),
  config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } },
});
await engine.start();
const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
for (const symbol of symbols) {
  broker.setPrice(symbol, '100');
  engine.updatePrice(symbol, '100');
}

const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

let done = 0;
async function runTo(target: number): Promise<void> {
  for (; done < target; done++) {
    const symbol = symbols[done % symbols.length]!;
    const round = Math.floor(done / symbols.length);
    await engine.executeSignal({ id: `s${done}`, symbol, side: round % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'soak' });
  }
}

const started = Date.now();
await runTo(FIRST);
const first = heapAfterGc();
console.log(`heap after gc at ${FIRST.toLocaleString('en-US')} signals: ${first.toFixed(1)} MB`);
await runTo(TOTAL);
const last = heapAfterGc();
const fileMb = statSync(path).size / 1024 / 1024;
console.log(`heap after gc at ${TOTAL.toLocaleString('en-US')} signals: ${last.toFixed(1)} MB (${(((last - first) / first) * 100).toFixed(1)}% vs ${FIRST.toLocaleString('en-US')}); journal file ${fileMb.toFixed(0)} MB; ${((Date.now() - started) / 1000).toFixed(0)} s`);
await engine.stop();
rmSync(dir, { recursive: true, force: true });
