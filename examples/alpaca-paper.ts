/**
 * `npx tsx examples/alpaca-paper.ts` — tradewire on your Alpaca **paper** account.
 *
 * With APCA_API_KEY_ID and APCA_API_SECRET_KEY set (paper keys), it connects, shows the account and
 * the market clock, and — only if the market is open and you pass `--trade --price <last price>` (from
 * your data feed; tradewire executes, it does not fetch quotes) — buys one share of the symbol
 * (default SPY) through the engine, protects it with a native OCO (stop 2 % below, target
 * 4 % above), waits for the fill, prints the position, then closes it and cancels the protection.
 * Without keys it explains what it needs and exits; it never touches a live account.
 *
 *   APCA_API_KEY_ID=PK... APCA_API_SECRET_KEY=... npx tsx examples/alpaca-paper.ts --trade --price 231.40 AAPL
 */
import { ExecutionEngine, FileJournal, systemClock } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';

const args = process.argv.slice(2);
const trade = args.includes('--trade');
const priceIndex = args.indexOf('--price');
const price = priceIndex >= 0 ? args[priceIndex + 1] : undefined;
const symbol = args.find((a, i) => !a.startsWith('--') && i !== priceIndex + 1) ?? 'SPY';

if (!process.env.APCA_API_KEY_ID || !process.env.APCA_API_SECRET_KEY) {
  console.log(`This example runs against an Alpaca paper account, and needs its keys:

  1. Create a free account at https://alpaca.markets and open the paper trading dashboard.
  2. Generate an API key pair there (paper keys start with "PK").
  3. Run:  APCA_API_KEY_ID=PK... APCA_API_SECRET_KEY=... npx tsx examples/alpaca-paper.ts [--trade --price LAST] [SYMBOL]

Without --trade it only reads the account and the market clock. It never trades live: the
adapter uses the paper endpoint unless constructed with { live: true }, which this script does not.
To try tradewire without any account, run: npm run demo`);
  process.exit(0);
}

// Paper, keys from the environment (APCA_API_BASE_URL / APCA_API_STREAM_URL, when set, point it at a proxy or tradewire's test server).
const adapter = new AlpacaAdapter();
const clock = systemClock();
// Closed before the script exits: it gives back the journal's lock file (`<path>.lock`).
const journal = new FileJournal({ path: process.env.TRADEWIRE_JOURNAL ?? 'alpaca-paper-orders.jsonl' });
const engine = new ExecutionEngine({
  adapter,
  clock,
  journal,
  protection: true,
  config: { sizing: { method: 'fixed_quantity', quantity: 1 }, orderManagement: { orderTimeoutMs: 60_000 } },
});
engine.on('order:submitted', ({ order }) => console.log(`→ ${order.side} ${order.quantity.toString()} ${order.symbol} ${order.type} (${order.clientOrderId})`));
engine.on('order:fill', ({ order, fill }) => console.log(`  ✓ ${order.symbol} ${fill.quantity.toString()} @ ${fill.price.toString()}`));
engine.on('order:rejected', ({ order }) => console.log(`  ✗ ${order.clientOrderId}: ${order.errorMessage}`));
engine.on('position:opened', ({ position }) => console.log(`  ◆ ${position.symbol} ${position.quantity.toString()} @ ${position.averageEntryPrice.toString()}, stop ${position.stopPrice?.toString()}, target ${position.targetPrice?.toString()}`));
engine.on('alert', (alert) => console.log(`  ! ${alert.severity} ${alert.code}: ${alert.message}`));

try {
  await engine.start();
} catch (error) {
  console.error(`Could not connect to Alpaca: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Check the keys (paper keys for the paper endpoint) and the network, then run again.');
  process.exit(1);
}
const account = await adapter.getAccount();
const marketClock = await adapter.getMarketClock();
console.log(`Alpaca ${adapter.health().detail} account ${account.accountId}: equity $${account.equity.toFixed(2)}, buying power $${account.buyingPower.toFixed(2)}, day trades ${account.dayTradeCount ?? 0}`);
console.log(`Market ${marketClock.isOpen ? 'open' : 'closed'}; next open ${new Date(marketClock.nextOpen).toISOString()}, next close ${new Date(marketClock.nextClose).toISOString()}`);

if (!trade || !marketClock.isOpen) {
  console.log(trade ? 'The market is closed: no trade today. Run again during market hours.' : 'Read-only run. Pass --trade to buy one share and close it again.');
  await engine.stop();
  journal.close();
  process.exit(0);
}

if (!price) {
  console.log(`To trade, pass the last price of ${symbol} from your data feed: --price 123.45 (it sizes the order and sets the stop and target).`);
  await engine.stop();
  journal.close();
  process.exit(0);
}
const asset = await adapter.getAsset(symbol);
if (!asset?.tradable) throw new Error(`${symbol} is not tradable on Alpaca`);
engine.updatePrice(symbol, price);

const decision = await engine.executeSignal({ id: `paper-${clock.now()}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'alpaca-paper-example' });
console.log(`Decision: ${decision.kind}${decision.kind === 'rejected' ? ` (${decision.reasons.map((r) => r.code).join(', ')})` : ''}`);

const deadline = clock.now() + 30_000;
const filled = (): boolean => engine.positions.get(symbol)?.quantity.greaterThan(0) === true;
while (!filled() && clock.now() < deadline) await new Promise((r) => setTimeout(r, 250));
const position = filled() ? engine.positions.get(symbol) : undefined;
if (position) {
  await engine.protection?.settled(symbol);
  const guard = engine.protection?.protectionOf(symbol);
  console.log(`Position: ${position.quantity.toString()} ${symbol}; stop ${guard?.stop?.status} at ${guard?.stop?.stopPrice?.toString()}, target ${guard?.targets[0]?.status} at ${guard?.targets[0]?.limitPrice?.toString()}`);
  await engine.forceClose(symbol, 'example done'); // cancels the OCO, waits for Alpaca to confirm, then sells
  const closeDeadline = clock.now() + 30_000;
  while (engine.positions.get(symbol) && clock.now() < closeDeadline) await new Promise((r) => setTimeout(r, 250));
  console.log(engine.positions.get(symbol) ? `${symbol} is still open: check the dashboard.` : `${symbol} closed; realized today ${engine.pnl().realizedToday.toFixed(2)}`);
}
await engine.stop();
journal.close();
// The SDK leaves each request's timeout timer running (up to `timeoutMs`); a script need not wait for them.
process.exit(0);
