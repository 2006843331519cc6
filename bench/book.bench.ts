/**
 * Part of `npm run bench` (`npm run bench:book`): what a signal costs beside a book — 1 000 open
 * positions, each protected by a working stop and take-profit (2 000 working orders) — against
 * the same signals on an engine with no book, rounds interleaved in one process. The ratio is the
 * figure: a signal's work should not grow with the orders working on other symbols (a walk over
 * every working order per signal made it ≈ 2×). Then what a price mark costs beside the same book
 * with circuit breakers (daily loss, a strategy's daily loss, position size) against none: each
 * mark re-reads the breakers, and a walk over the positions per mark made it ≈ 420× (≈ 1.5–1.9 ms).
 *
 *   npm run bench:book [-- --book=1000 --book-signals=4000 --book-rounds=5]
 */
import { alwaysOpenMarket, ExecutionEngine, InMemoryJournal, sequentialIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { arg } from './stats.js';

const BOOK = arg('book', 1_000);
const N = arg('book-signals', 4_000);
const ROUNDS = arg('book-rounds', 5);
const HOT = ['H0', 'H1', 'H2', 'H3'];

/** An engine with `book` protected positions open, and a function that sends `n` signals on other symbols (µs a signal). */
async function engineWithBook(book: number): Promise<(round: number) => Promise<number>> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000), protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: book + HOT.length, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null } } });
  const symbols = Array.from({ length: book }, (_, i) => `B${i}`);
  for (const s of [...symbols, ...HOT]) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  for (const [i, symbol] of symbols.entries()) await engine.executeSignal({ id: `o-${i}`, symbol, side: 'buy', strength: 80, time: clock.now(), strategyId: 'b', stopPrice: '95', targetPrice: '110' });
  const working = engine.orders.workingOrders().length;
  if (working !== 2 * book) throw new Error(`book of ${book}: ${working} working orders, expected ${2 * book}`);
  return async (round) => {
    const t0 = process.hrtime.bigint();
    // Each hot symbol alternates buy (opens, protected) and sell (closes): an entry, its stop and target, an exit.
    for (let i = 0; i < N; i++) await engine.executeSignal({ id: `h-${round}-${i}`, symbol: HOT[i % HOT.length]!, side: Math.floor(i / HOT.length) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
    return Number(process.hrtime.bigint() - t0) / 1e3 / N;
  };
}

const [empty, booked] = [await engineWithBook(0), await engineWithBook(BOOK)];
await empty(-2);
await booked(-1);
const ratios: number[] = [];
const times: [number, number][] = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = await empty(r * 2);
  const b = await booked(r * 2 + 1);
  times.push([a, b]);
  ratios.push(b / a);
}
const median = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)]!;
console.log(`a signal beside a book of ${BOOK} protected positions (${2 * BOOK} working orders) vs no book, ${N} signals a round, ${ROUNDS} interleaved rounds:`);
console.log(`  µs a signal (no book / book): ${times.map(([a, b]) => `${a.toFixed(0)}/${b.toFixed(0)}`).join(', ')} — ratio median ${median.toFixed(2)}`);

/** µs a price mark, beside `BOOK` open positions, with or without the three book-reading breakers. */
async function marks(breakers: boolean): Promise<() => number> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({
    adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000),
    breakers: breakers ? [{ id: 'day-loss', kind: 'daily_loss', threshold: 1e9, actions: ['notify'] }, { id: 'strategy-loss', kind: 'daily_loss', strategyId: 's1', threshold: 1e9, actions: ['notify'] }, { id: 'size', kind: 'position_size', threshold: 99, actions: ['notify'] }] : [],
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: BOOK, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null } },
  });
  const symbols = Array.from({ length: BOOK }, (_, i) => `B${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  await engine.start();
  for (const [i, symbol] of symbols.entries()) await engine.executeSignal({ id: `o-${i}`, symbol, side: 'buy', strength: 80, time: clock.now(), strategyId: `s${i % 5}` });
  const prices = ['100.10', '99.90', '100.20', '99.80', '100.00'];
  let n = 0;
  return () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++, n++) engine.updatePrice(symbols[n % BOOK]!, prices[n % prices.length]!);
    return Number(process.hrtime.bigint() - t0) / 1e3 / N;
  };
}

const [plain, guarded] = [await marks(false), await marks(true)];
plain();
guarded();
const markTimes: [number, number][] = [];
for (let r = 0; r < ROUNDS; r++) markTimes.push([plain(), guarded()]);
const markRatio = [...markTimes.map(([a, b]) => b / a)].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
console.log(`a price mark beside ${BOOK} open positions, with three breakers (daily loss, a strategy's, position size) vs none:`);
console.log(`  µs a mark (none / breakers): ${markTimes.map(([a, b]) => `${a.toFixed(1)}/${b.toFixed(1)}`).join(', ')} — ratio median ${markRatio.toFixed(2)}`);
