/**
 * `npm run demo` — a scripted trading morning: signals and prices flow through the ExecutionEngine
 * on the bundled mock broker. It prints, as they happen, the decisions, orders, fills, positions and
 * P&L, then a summary — and, in a second part, a desk routing signals over two accounts at two
 * brokers. No keys, no network, no waiting: time is a ManualClock.
 */
import { Decimal, type DeskDecision, type DeskSignal, ExecutionEngine, formatReport, InMemoryJournal, journalStore, reportPeriod, type Signal, silentLogger, tradeReport, TradingDesk } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';

// `npm run demo -- --dashboard`: the live dashboard instead of the scripted morning (examples/dashboard.ts).
if (process.argv.includes('--dashboard')) {
  const { main } = await import('./dashboard.js');
  await main();
  await new Promise(() => undefined); // runs until Ctrl-C
}

const clock = new ManualClock(Date.UTC(2024, 5, 3, 13, 30)); // 09:30 in New York
const broker = new MockBroker({ clock, initialCash: 100_000, commission: { perUnit: '0.005', minimum: '1' }, slippageBps: 2 });
const journal = new InMemoryJournal();
const engine = new ExecutionEngine({
  adapter: broker,
  clock,
  journal,
  ids: sequentialIds(),
  logger: silentLogger,
  config: { minSignalStrength: 70, maxPositions: 3, allowScaleIn: true },
});

// ── what the host sees ────────────────────────────────────────────────────────────────────────
const time = (): string => new Date(clock.now()).toLocaleTimeString('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hour12: false });
const day = (): string => new Date(clock.now()).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
const usd = (d: Decimal): string => `${d.isNegative() ? '-' : ' '}$${d.abs().toFixed(2)}`;
const say = (line: string): void => console.log(`${time()}  ${line}`);
// The engine updates the position before it tells hosts about the fill (docs/events.md), so a
// position's news waits for the fill line that caused it.
const afterFill: string[] = [];

engine.on('signal:rejected', ({ signal, reasons }) => say(`· ${signal.side.toUpperCase()} ${signal.symbol} (${signal.strength}) skipped: ${reasons.map((r) => `${r.code} — ${r.message}`).join('; ')}`));
engine.on('order:submitted', ({ order }) => say(`→ order ${order.clientOrderId}: ${order.side} ${order.quantity} ${order.symbol} ${order.type}`));
engine.on('order:fill', ({ order, fill }) => {
  // Exact prices: the mock's slippage gives fractions of a cent, and rounding them would not add up.
  say(`  ✓ filled ${fill.quantity} ${order.symbol} @ ${fill.price.toString()} (fee ${usd(fill.commission).trim()})`);
  for (const line of afterFill.splice(0)) say(line);
});
engine.on('order:rejected', ({ order }) => say(`  ✗ ${order.clientOrderId} rejected by the broker: ${order.errorMessage}`));
engine.on('position:opened', ({ position: p }) => void afterFill.push(`  ◆ ${p.symbol} ${p.side} ${p.quantity} @ ${p.averageEntryPrice.toString()}, stop ${p.stopPrice?.toFixed(2)}, target ${p.targetPrice?.toFixed(2)}`));
engine.on('position:closed', ({ position: p }) => void afterFill.push(`  ◇ ${p.symbol} closed: realized ${usd(p.realizedPnl)} after ${usd(p.commission).trim()} in fees`));

function snapshot(): void {
  for (const p of engine.positions.openPositions()) {
    console.log(`         ${p.symbol.padEnd(5)} ${p.side} ${p.quantity.toString().padStart(4)} @ ${p.averageEntryPrice.toFixed(2).padStart(7)}  now ${p.currentPrice?.toFixed(2).padStart(7)}  unrealized ${usd(p.unrealizedPnl)}`);
  }
  const pnl = engine.pnl();
  console.log(`         P&L today ${usd(pnl.daily)}  (realized ${usd(pnl.realizedToday)}, unrealized ${usd(pnl.unrealized)})`);
}

// ── the script: prices every 15 minutes, signals from "a bot" ────────────────────────────────
type Step = { prices: Record<string, string>; signals?: Omit<Signal, 'id' | 'time' | 'strategyId'>[] };
const script: Step[] = [
  { prices: { AAPL: '190.00', MSFT: '420.00', NVDA: '1100.00', TSLA: '178.00' }, signals: [{ symbol: 'AAPL', side: 'buy', strength: 82 }, { symbol: 'MSFT', side: 'buy', strength: 55 }] },
  { prices: { AAPL: '191.20', MSFT: '421.50', NVDA: '1108.00', TSLA: '176.40' }, signals: [{ symbol: 'NVDA', side: 'buy', strength: 91, atr: '18.5' }] },
  { prices: { AAPL: '192.80', MSFT: '423.10', NVDA: '1121.00', TSLA: '175.10' }, signals: [{ symbol: 'AAPL', side: 'buy', strength: 77 }, { symbol: 'TSLA', side: 'sell', strength: 88 }] },
  { prices: { AAPL: '193.40', MSFT: '422.00', NVDA: '1117.50', TSLA: '174.20' }, signals: [{ symbol: 'MSFT', side: 'buy', strength: 74 }] },
  { prices: { AAPL: '194.90', MSFT: '425.80', NVDA: '1098.00', TSLA: '173.90' }, signals: [{ symbol: 'AAPL', side: 'sell', strength: 80, exitFraction: '0.5' }, { symbol: 'GME', side: 'buy', strength: 95, expectedPrice: '25' }] },
  { prices: { AAPL: '195.60', MSFT: '427.20', NVDA: '1089.00', TSLA: '173.00' }, signals: [{ symbol: 'NVDA', side: 'sell', strength: 85 }] },
  { prices: { AAPL: '196.10', MSFT: '428.90', NVDA: '1092.00', TSLA: '172.60' }, signals: [{ symbol: 'AAPL', side: 'sell', strength: 90 }, { symbol: 'MSFT', side: 'sell', strength: 90 }] },
];

await engine.start();
let n = 0;
for (const step of script) {
  console.log('');
  console.log(`── ${day()} ${time()} New York ──  ${Object.entries(step.prices).map(([s, p]) => `${s} ${p}`).join('   ')}`);
  for (const [symbol, price] of Object.entries(step.prices)) {
    broker.setPrice(symbol, price);
    engine.updatePrice(symbol, price);
  }
  for (const s of step.signals ?? []) await engine.executeSignal({ ...s, id: `sig-${++n}`, time: clock.now(), strategyId: 'demo-momentum' });
  snapshot();
  clock.advance(15 * 60_000);
}

// ── summary ──────────────────────────────────────────────────────────────────────────────────
const account = await engine.refreshAccount();
// The day's trade report, straight from the journal: round trips, P&L, execution quality (see docs/reports.md).
const report = await tradeReport(journalStore(journal), { period: reportPeriod('daily', clock.now()), now: clock.now() });
console.log(`\n${formatReport(report)}`);
const closed = engine.positions.history();
const pnl = engine.pnl();
const wins = closed.filter((p) => p.realizedPnl.greaterThan(0)).length;
console.log(`\n  trades closed ${closed.length} (${wins} winners)   realized ${usd(pnl.realizedTotal)}   still open ${engine.positions.openPositions().length}`);
console.log(`  broker equity ${usd(account.equity)} (started at $100000.00)   audit records ${engine.orders.auditTrail().length}`);
await engine.stop();

// ── part two: a desk over two accounts at two brokers ─────────────────────────────────────────
// One desk routes equities to one account and forex to another, mirrors a signal on both with
// weights, holds desk-wide limits, and aggregates the book (docs/desk.md).
console.log('\n── Part two: a trading desk, two accounts at two brokers ──');
const deskClock = new ManualClock(Date.UTC(2024, 5, 4, 14, 0));
const equities = new MockBroker({ clock: deskClock, name: 'equity-broker', initialCash: 100_000 });
const forex = new MockBroker({ clock: deskClock, name: 'fx-broker', initialCash: 50_000, assets: [{ symbol: 'EUR_USD', assetClass: 'forex', quantityIncrement: new Decimal(1) }] });
const desk = new TradingDesk({
  clock: deskClock,
  logger: silentLogger,
  accounts: [
    { id: 'stocks', adapter: equities, ids: sequentialIds(1_000), scope: { assetClasses: ['equity'] }, config: { sizing: { method: 'fixed_quantity', quantity: 20 } } },
    { id: 'fx', adapter: forex, ids: sequentialIds(2_000), scope: { assetClasses: ['forex'] }, config: { sizing: { method: 'fixed_quantity', quantity: 10_000 } } },
  ],
  limits: { maxPositions: 3, maxDailyLoss: '2000' },
});
desk.on('order:filled', ({ account, broker, payload: { order, fill } }) => console.log(`  [${account} @ ${broker}] ${order.side} ${fill.quantity} ${order.symbol} @ ${fill.price.toFixed(4)}`));
await desk.start();
const deskPrices: Record<string, string> = { AAPL: '191.00', MSFT: '421.00', EUR_USD: '1.0850' };
for (const [symbol, p] of Object.entries(deskPrices)) {
  equities.setPrice(symbol, p);
  forex.setPrice(symbol, p);
  desk.updatePrice(symbol, p);
}
const deskSignal = (id: string, symbol: string, extra: Partial<DeskSignal> = {}): DeskSignal => ({ id, symbol, side: 'buy', strength: 85, time: deskClock.now(), strategyId: 'desk-demo', ...extra });
const show = (d: DeskDecision): void => {
  for (const o of d.outcomes) {
    const why = o.decision?.kind === 'rejected' ? o.decision.reasons : o.refused;
    console.log(`  ${d.signal.id} → ${o.account}: ${o.decision?.kind ?? 'refused by the desk'}${why ? ` (${why.map((r) => `${r.code}: ${r.message}`).join('; ')})` : ''}`);
  }
};
show(await desk.executeSignal(deskSignal('d1', 'AAPL')));
show(await desk.executeSignal(deskSignal('d2', 'EUR_USD', { assetClass: 'forex' })));
show(await desk.executeSignal(deskSignal('d3', 'MSFT', { mirror: { accounts: ['stocks', 'fx'], weights: { stocks: '1', fx: '0.001' } } })));
const book = desk.book();
console.log(`  book: ${book.positions} positions, exposure $${Number(book.exposure).toFixed(2)}`);
for (const line of book.byAccount) console.log(`    ${line.key.padEnd(6)} at ${line.broker.padEnd(13)} ${line.positions} positions, exposure $${Number(line.exposure).toFixed(2)}`);
await desk.stop();
