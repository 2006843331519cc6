/**
 * Part of `npm run bench` (`npm run bench:desk`): a signal through a `TradingDesk` of two accounts
 * (mock brokers) against the same signal straight into one `ExecutionEngine`, rounds interleaved in
 * one process, for the default routing (by scope) and for routing by measured cost. The ratio is the
 * figure: the desk's own work per signal (routing, desk-wide limits, the book) beside the engine's.
 *
 *   npm run bench:desk [-- --desk-signals=2000 --desk-rounds=5]
 */
import { alwaysOpenMarket, ExecutionEngine, InMemoryJournal, routeByMeasuredCost, type RoutingPolicy, silentLogger, TradingDesk } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const N = arg('desk-signals', 2_000);
const ROUNDS = arg('desk-rounds', 5);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const engineConfig = { market: alwaysOpenMarket, rateLimit: false as const, logger: silentLogger, config: { sizing: { method: 'fixed_quantity' as const, quantity: 10 }, orderManagement: { orderTimeoutMs: null } } };
const signal = (n: number) => ({ id: `s${n}`, symbol: SYMBOLS[n % SYMBOLS.length]!, side: (Math.floor(n / SYMBOLS.length) % 2 ? 'sell' : 'buy') as 'buy' | 'sell', strength: 80, time: Date.UTC(2024, 0, 2, 15, 0), strategyId: 'b' });

/** Sends `N` signals (each symbol alternating buy and sell) and returns µs a signal. */
type Runner = () => Promise<number>;

async function engineRunner(): Promise<Runner> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, journal: new InMemoryJournal(50_000), ...engineConfig });
  for (const s of SYMBOLS) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  let n = 0;
  return async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await engine.executeSignal(signal(n++));
    return Number(process.hrtime.bigint() - t0) / 1e3 / N;
  };
}

async function deskRunner(routing?: RoutingPolicy): Promise<Runner> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const brokers = ['a', 'b'].map((name) => new MockBroker({ clock, name, initialCash: 1e12, retainEndedOrders: 10_000 }));
  const desk = new TradingDesk({ clock, logger: silentLogger, ...(routing ? { routing } : {}), accounts: brokers.map((adapter, i) => ({ id: `account-${i}`, adapter, journal: new InMemoryJournal(50_000), ...engineConfig })) });
  for (const b of brokers) for (const s of SYMBOLS) b.setPrice(s, '100');
  await desk.start();
  for (const s of SYMBOLS) desk.updatePrice(s, '100');
  let n = 0;
  return async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await desk.executeSignal(signal(n++));
    return Number(process.hrtime.bigint() - t0) / 1e3 / N;
  };
}

const runners: [string, Runner][] = [
  ['engine', await engineRunner()],
  ['desk, by scope', await deskRunner()],
  ['desk, by measured cost', await deskRunner(routeByMeasuredCost())],
];
for (const [, run] of runners) await run(); // warm-up, and the monitors' first records
const times = new Map<string, number[]>(runners.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, run] of runners) times.get(name)!.push(await run());
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const base = median(times.get('engine')!);
console.log(`a signal through a desk of two accounts vs one engine (mock brokers, ${N} signals a round, ${ROUNDS} interleaved rounds):`);
for (const [name] of runners) console.log(`  ${name.padEnd(24)} median ${median(times.get(name)!).toFixed(0)} µs a signal${name === 'engine' ? '' : ` — ${(median(times.get(name)!) / base).toFixed(2)}× the engine`}`);
