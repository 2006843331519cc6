/**
 * Part of `npm run bench` (`npm run bench:retention`): what the engine's memory windows cost a
 * long run in CPU. The compare bench's engine (mock broker, `FileJournal` `sync: 'os'`) runs past
 * the point where its windows are full — the journal's records in memory, the ended orders, the
 * closed positions, the mock broker's ended orders — and is measured there, once as configured by
 * default and once with each window shrunk. Reported per signal: CPU, GC pause, and the bytes that
 * survived into V8's old generation (deterministic where CPU is not: a promoted byte is copied
 * twice, then marked and swept; docs/benchmarks.md, "Where a long run's time goes").
 *
 *   npm run bench:retention [-- --warm=20000 --signals=20000 --rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineConfig, ExecutionEngine, FileJournal, InMemoryPositionRepository, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg, measureGc } from './stats.js';

const WARM = arg('warm', 20_000);
const N = arg('signals', 20_000);
const ROUNDS = arg('rounds', 3);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const dir = mkdtempSync(join(tmpdir(), 'tw-retention-'));
let files = 0;

interface Windows {
  /** `FileJournal` `memoryRecords`. */
  readonly journalRecords: number;
  /** `orderManagement.endedOrdersKept`. */
  readonly endedOrders: number;
  /** `InMemoryPositionRepository` capacity. */
  readonly closedPositions: number;
  /** `MockBroker` `retainEndedOrders`. */
  readonly brokerOrders: number;
}

const DEFAULTS: Windows = { journalRecords: 50_000, endedOrders: 10_000, closedPositions: 10_000, brokerOrders: 10_000 };
const SMALL = 100;
const variants: readonly (readonly [string, Windows])[] = [
  ['as configured (compare bench)', DEFAULTS],
  ['journal window 100 records', { ...DEFAULTS, journalRecords: SMALL }],
  ['100 ended orders kept', { ...DEFAULTS, endedOrders: SMALL }],
  ['100 closed positions kept', { ...DEFAULTS, closedPositions: SMALL }],
  ['all four windows 100', { journalRecords: SMALL, endedOrders: SMALL, closedPositions: SMALL, brokerOrders: SMALL }],
];

interface Figures {
  readonly cpuUs: number;
  readonly gcUs: number;
  readonly promoted: number;
}

async function steadyRun(windows: Windows): Promise<Figures> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: windows.brokerOrders });
  const journal = new FileJournal({ path: join(dir, `j-${files++}.jsonl`), sync: 'os', logger: silentLogger, memoryRecords: windows.journalRecords });
  const config: EngineConfig = { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null, endedOrdersKept: windows.endedOrders } };
  const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal, positionRepository: new InMemoryPositionRepository(windows.closedPositions), config });
  await engine.start();
  for (const symbol of SYMBOLS) {
    broker.setPrice(symbol, '100');
    engine.updatePrice(symbol, '100');
  }
  let i = 0;
  const signals = async (count: number): Promise<void> => {
    // Each symbol alternates buy (opens) and sell (closes): every signal is an order, a fill, and every second one a closed position.
    for (const end = i + count; i < end; i++) {
      await engine.executeSignal({ id: `s${i}`, symbol: SYMBOLS[i % SYMBOLS.length]!, side: Math.floor(i / SYMBOLS.length) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
    }
  };
  await signals(WARM);
  const cpu = process.cpuUsage();
  const { gc } = await measureGc(() => signals(N));
  const used = process.cpuUsage(cpu);
  await engine.stop();
  journal.close();
  return { cpuUs: (used.user + used.system) / N, gcUs: (gc.ms * 1_000) / N, promoted: gc.promoted / N };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const cores = os.cpus();
console.log(`memory windows in a long run — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cores[0]?.model.trim() ?? 'cpu'} × ${cores.length}; FileJournal sync: os, ${WARM} signals to fill the windows, then ${N} measured; ${ROUNDS} interleaved rounds, medians`);
const results = variants.map(() => [] as Figures[]);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, [, windows]] of variants.entries()) results[k]!.push(await steadyRun(windows));
}
for (const [k, [label]] of variants.entries()) {
  const runs = results[k]!;
  const cpu = median(runs.map((r) => r.cpuUs)).toFixed(1);
  const gcUs = median(runs.map((r) => r.gcUs)).toFixed(1);
  const promoted = Math.round(median(runs.map((r) => r.promoted)));
  console.log(`  ${label.padEnd(32)} CPU ${cpu.padStart(6)} µs/signal   GC pauses ${gcUs.padStart(5)} µs/signal   promoted ${String(promoted).padStart(5)} B/signal`);
}
rmSync(dir, { recursive: true, force: true });
