/**
 * `npm run bench` — in-process throughput and latency of the signal path on the mock broker:
 * executeSignal → pre-trade checks and sizing → lifecycle → MockBroker.submitOrder → fill →
 * order updated → position updated. A benchmark, not a test: it prints figures and asserts
 * nothing. Record results in docs/benchmarks.md with the machine and date.
 *
 *   npm run bench                      # 100 000 signals
 *   npm run bench -- --signals=20000
 */
import os from 'node:os';
import { ExecutionEngine, InMemoryJournal, InMemoryPositionRepository, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { arg, heapMb, percentiles } from './stats.js';

const N = arg('signals', 100_000);
const WARMUP = Math.min(10_000, N);
const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];

const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
// Cash large enough that buying power never binds: this measures the path, not the risk limits.
// Memory is bounded (journal, history, the broker's ended orders) as a long-running process would
// bound it; what is measured is the path, not the growth of unbounded in-memory stores.
const broker = new MockBroker({ clock, initialCash: 1e12, commission: { perUnit: '0.005', minimum: '1' }, retainEndedOrders: 10_000 });
const engine = new ExecutionEngine({
  adapter: broker,
  clock,
  ids: sequentialIds(),
  logger: silentLogger,
  journal: new InMemoryJournal(50_000),
  positionRepository: new InMemoryPositionRepository(10_000),
  config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } },
});

const signalToSubmit = new BigInt64Array(N);
const fillToPosition = new BigInt64Array(N);
let index = -1;
let signalStart = 0n;
let fillStart = 0n;
let measuring = false;

const submit = broker.submitOrder.bind(broker);
broker.submitOrder = (order) => {
  if (measuring) signalToSubmit[index] = process.hrtime.bigint() - signalStart;
  return submit(order);
};
// Registered before the engine starts, so it stamps the moment the broker reports the fill.
broker.onOrderUpdate((u) => {
  if (u.event.type === 'filled') fillStart = process.hrtime.bigint();
});
engine.on('position:updated', ({ reason }) => {
  if (measuring && reason === 'fill') fillToPosition[index] = process.hrtime.bigint() - fillStart;
});

await engine.start();
for (const s of symbols) {
  broker.setPrice(s, '100.00');
  engine.updatePrice(s, '100.00');
}

// Each symbol alternates buy (opens) and sell (closes), so every signal becomes an order.
const signalFor = (i: number): Signal => ({
  id: `s${i}`,
  symbol: symbols[i % symbols.length]!,
  side: Math.floor(i / symbols.length) % 2 === 0 ? 'buy' : 'sell',
  strength: 80,
  time: clock.now(),
  strategyId: 'bench',
});

let rejected = 0;
for (let i = 0; i < WARMUP; i++) await engine.executeSignal(signalFor(i));

measuring = true;
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
for (index = 0; index < N; index++) {
  signalStart = process.hrtime.bigint();
  const decision = await engine.executeSignal(signalFor(WARMUP + index));
  if (decision.kind === 'rejected') rejected++;
}
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
// CPU time (all threads: the GC's helpers too) is steadier than wall time on a shared VM.
const cpu = process.cpuUsage(cpuBefore);
const cpuPerSignalUs = (cpu.user + cpu.system) / N;

const cores = os.cpus();
console.log(`tradewire bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cores[0]?.model.trim() ?? 'cpu'} × ${cores.length}, ${os.platform()} ${os.arch()}`);
console.log(`signals: ${N} after ${WARMUP} warm-up (market orders on 4 symbols, filled by the mock broker; ${rejected} rejected)`);
console.log(`throughput: ${Math.round(N / elapsedS).toLocaleString('en-US')} signals/s (signal → order → fill → position, end to end)`);
console.log(`CPU time: ${cpuPerSignalUs.toFixed(1)} µs per signal (user + system, every thread)`);
console.log('signal → adapter.submitOrder (µs):', percentiles(signalToSubmit, [50, 99, 99.9]));
console.log('broker fill → position updated (µs):', percentiles(fillToPosition, [50, 99, 99.9]));
console.log(`heap used: ${heapMb()} MB (in-memory journal and position history included)`);
