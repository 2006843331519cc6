/**
 * `npx tsx examples/oanda-practice.ts` — tradewire on your OANDA **practice** account.
 *
 * With OANDA_API_TOKEN and OANDA_ACCOUNT_ID set (a practice token), it connects, shows the account,
 * the instrument's precision and margin, and the open positions. With `--trade` it buys 1 000 units
 * of the instrument (default EUR_USD) through the engine, protected by the trade's own stop-loss and
 * take-profit, prints the position, then closes it. Without a token it explains what it needs and
 * exits; it never touches a live account.
 *
 *   OANDA_API_TOKEN=... OANDA_ACCOUNT_ID=101-... npx tsx examples/oanda-practice.ts --trade EUR_USD
 */
import { ExecutionEngine, FileJournal, systemClock } from 'tradewire';
import { OandaAdapter } from 'tradewire/oanda';

const args = process.argv.slice(2);
const trade = args.includes('--trade');
const instrument = args.find((a) => !a.startsWith('--')) ?? 'EUR_USD';

if (!process.env.OANDA_API_TOKEN || !process.env.OANDA_ACCOUNT_ID) {
  console.log(`This example runs against an OANDA practice (fxTrade Practice) account, and needs:

  1. A free practice account at https://www.oanda.com (fxTrade Practice).
  2. A personal access token: My Account → Manage API Access → Generate.
  3. Your v20 account id (like 101-004-1234567-001), shown in the same place.
  4. Run:  OANDA_API_TOKEN=... OANDA_ACCOUNT_ID=101-... npx tsx examples/oanda-practice.ts [--trade] [INSTRUMENT]

Without --trade it only reads. It never trades live: the adapter uses the practice hosts unless
constructed with { live: true }, which this script does not. To try tradewire without any account,
run: npm run demo`);
  process.exit(0);
}

// Practice; token and account from the environment (OANDA_REST_URL / OANDA_STREAM_URL, when set, point it at a proxy or tradewire's test server).
const adapter = new OandaAdapter();
const clock = systemClock();
// Closed before the script exits: it gives back the journal's lock file (`<path>.lock`).
const journal = new FileJournal({ path: process.env.TRADEWIRE_JOURNAL ?? 'oanda-practice-orders.jsonl' });
const engine = new ExecutionEngine({
  adapter,
  clock,
  journal,
  protection: true,
  config: { maxPositionSizePct: 50, sizing: { method: 'fixed_quantity', quantity: 1_000 }, orderManagement: { orderTimeoutMs: 60_000 } },
});
engine.on('order:submitted', ({ order }) => console.log(`→ ${order.side} ${order.quantity.toString()} ${order.symbol} ${order.type} (${order.clientOrderId})`));
engine.on('order:fill', ({ order, fill }) => console.log(`  ✓ ${order.symbol} ${fill.quantity.toString()} @ ${fill.price.toString()}`));
engine.on('order:rejected', ({ order }) => console.log(`  ✗ ${order.clientOrderId}: ${order.errorMessage}`));
engine.on('broker:account_event', (event) => console.log(`  · ${event.type}: ${event.detail}`));
engine.on('alert', (alert) => console.log(`  ! ${alert.severity} ${alert.code}: ${alert.message}`));

try {
  await engine.start();
} catch (error) {
  console.error(`Could not connect to OANDA: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Check the token (a practice token for the practice hosts), the account id and the network.');
  process.exit(1);
}
const account = await adapter.getAccount();
console.log(`OANDA ${adapter.health().detail}: account ${account.accountId} in ${account.currency}, NAV ${account.equity.toFixed(2)}, margin available ${account.marginAvailable?.toFixed(2)}`);
const asset = await adapter.getAsset(instrument);
if (!asset) {
  console.log(`${instrument} is not an instrument on this account.`);
  await engine.stop();
  journal.close();
  process.exit(0);
}
console.log(`${instrument}: units step ${asset.quantityIncrement.toString()}, price step ${asset.priceIncrement?.toString()}, margin rate ${asset.marginRate?.toString()}`);
for (const p of await adapter.getPositions()) console.log(`Position ${p.symbol} ${p.quantity.toString()} @ ${p.averageEntryPrice.toString()}`);

if (!trade || !engine.market.isMarketOpen(instrument, 'forex', clock.now())) {
  console.log(trade ? 'The forex market is closed (Friday 17:00 to Sunday 17:00 New York). Run again when it is open.' : 'Read-only run. Pass --trade to buy 1 000 units and close them again.');
  await engine.stop();
  journal.close();
  process.exit(0);
}

// The engine sizes and protects from the last price; a bot passes its own feed's price. Here: OANDA's quote.
const quote = await adapter.getQuote(instrument);
if (!quote) throw new Error(`no quote for ${instrument}`);
engine.updatePrice(instrument, quote.ask);
const decision = await engine.executeSignal({ id: `practice-${clock.now()}`, symbol: instrument, side: 'buy', strength: 90, time: clock.now(), strategyId: 'oanda-practice-example' });
console.log(`Decision: ${decision.kind}${decision.kind === 'rejected' ? ` (${decision.reasons.map((r) => r.code).join(', ')})` : ''}`);
const filled = (): boolean => engine.positions.get(instrument)?.quantity.greaterThan(0) === true;
const deadline = clock.now() + 30_000;
while (!filled() && clock.now() < deadline) await new Promise((r) => setTimeout(r, 250));
if (filled()) {
  await engine.protection?.settled(instrument);
  const guard = engine.protection?.protectionOf(instrument);
  console.log(`Position: ${engine.positions.get(instrument)?.quantity.toString()} ${instrument}; stop ${guard?.stop?.status} at ${guard?.stop?.stopPrice?.toString()}, target ${guard?.targets[0]?.status} at ${guard?.targets[0]?.limitPrice?.toString()}`);
  await engine.forceClose(instrument, 'example done');
  const closeDeadline = clock.now() + 30_000;
  while (engine.positions.get(instrument) && clock.now() < closeDeadline) await new Promise((r) => setTimeout(r, 250));
  console.log(engine.positions.get(instrument) ? `${instrument} is still open: check the platform.` : `${instrument} closed; realized ${engine.pnl().realizedToday.toFixed(2)}`);
}
await engine.stop();
journal.close();
process.exit(0);
