/**
 * `npm run bench -- --compare` — the hot path's headline figure: the engine (mock broker, market
 * orders filled, positions and P&L kept, every record journaled) against the reference pipeline
 * (bench/reference.ts: the least a signal path could do), interleaved round by round in one process,
 * so the machine's noise (±25% run to run on these VMs) hits both alike. The ratio is the figure.
 *
 *   npm run bench -- --compare [--signals=20000] [--rounds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEngine, FileJournal, InMemoryJournal, InMemoryPositionRepository, type Journal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { type Mode, reference } from './reference.js';
import { arg, measureGc, percentiles } from './stats.js';

const N = arg('signals', 20_000);
const ROUNDS = arg('rounds', 5);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const gc = (globalThis as { gc?: () => void }).gc;
const dir = mkdtempSync(join(tmpdir(), 'tw-compare-'));
let files = 0;

/** The engine one signal at a time; its rate, CPU per signal and signal → submitOrder latencies. */
async function engineRun(journal: Journal, count: number): Promise<{ rate: number; cpuUs: number; gcUs: number; promoted: number; toSubmit: BigInt64Array }> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  // Memory bounded as a long-running process bounds it (the journal's window, the position history).
  const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal, positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  for (const symbol of SYMBOLS) {
    broker.setPrice(symbol, '100');
    engine.updatePrice(symbol, '100');
  }
  // Each run starts from a collected heap (run with --expose-gc, as npm run bench does): the previous run's garbage is not this one's cost.
  gc?.();
  const toSubmit = new BigInt64Array(count);
  let i = 0;
  let t0 = 0n;
  const submit = broker.submitOrder.bind(broker);
  broker.submitOrder = (order) => {
    toSubmit[i] = process.hrtime.bigint() - t0;
    return submit(order);
  };
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { gc: gcCost } = await measureGc(async () => {
    for (i = 0; i < count; i++) {
      t0 = process.hrtime.bigint();
      // Each symbol alternates buy (opens) and sell (closes): every signal becomes an order and a fill.
      await engine.executeSignal({ id: `s${i}`, symbol: SYMBOLS[i % SYMBOLS.length]!, side: Math.floor(i / SYMBOLS.length) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
    }
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await engine.stop();
  journal.close?.();
  return { rate: count / seconds, cpuUs: (used.user + used.system) / count, gcUs: (gcCost.ms * 1_000) / count, promoted: gcCost.promoted / count, toSubmit };
}

const journals: Record<Exclude<Mode, 'fsync'>, () => Journal> = {
  memory: () => new InMemoryJournal(50_000),
  os: () => new FileJournal({ path: join(dir, `j-${files++}.jsonl`), sync: 'os', logger: silentLogger }),
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

const cores = os.cpus();
console.log(`engine vs reference — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cores[0]?.model.trim() ?? 'cpu'} × ${cores.length}; ${N} signals per run, ${ROUNDS} interleaved rounds`);
// Warm both up (JIT, the journal's first file) before anything is counted.
for (const mode of ['memory', 'os'] as const) {
  await reference(mode, 1, Math.min(N, 5_000), dir);
  await engineRun(journals[mode](), Math.min(N, 5_000));
}
for (const mode of ['memory', 'os'] as const) {
  const ratios: number[] = [];
  const cpu: number[] = [];
  const gcUs: number[] = [];
  const promoted: number[] = [];
  const latencies: bigint[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    gc?.();
    const ref = await reference(mode, 1, N, dir);
    const eng = await engineRun(journals[mode](), N);
    ratios.push(eng.rate / ref);
    cpu.push(eng.cpuUs);
    gcUs.push(eng.gcUs);
    promoted.push(eng.promoted);
    for (const ns of eng.toSubmit) latencies.push(ns);
    console.log(`  ${mode.padEnd(6)} round ${round + 1}: reference ${fmt(ref)}/s  engine ${fmt(eng.rate)}/s  ratio ${(eng.rate / ref).toFixed(3)}  engine CPU ${eng.cpuUs.toFixed(1)} µs/signal (GC pauses ${eng.gcUs.toFixed(1)}, ${Math.round(eng.promoted)} B/signal promoted)`);
  }
  const label = mode === 'memory' ? 'in-memory journal' : 'FileJournal sync: os';
  console.log(`${label}: engine / reference median ${median(ratios).toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}); engine CPU median ${median(cpu).toFixed(1)} µs/signal (GC pauses ${median(gcUs).toFixed(1)} µs, ${Math.round(median(promoted))} B promoted per signal); signal → submitOrder µs`, percentiles(latencies, [50, 99, 99.9]));
}
rmSync(dir, { recursive: true, force: true });
