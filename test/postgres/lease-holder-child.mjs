// The process the lease takeover test kills: it takes the account's lease, journals to PostgreSQL
// and trades through the Alpaca adapter against the local Alpaca-compatible server (another
// process), reports what it did, then keeps running until it is SIGKILLed.
import { alwaysOpenMarket, ExecutionEngine, randomIds, silentLogger, systemClock } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { AccountLease, PostgresJournal } from 'tradewire/postgres';

const [connectionString, account, signalsText, brokerText] = process.argv.slice(2);
const signals = JSON.parse(signalsText);
const broker = JSON.parse(brokerText);

const lease = await AccountLease.acquire({ connectionString, account, holder: `child:${process.pid}`, logger: silentLogger });
const journal = await PostgresJournal.open({ connectionString, account, logger: silentLogger });
const adapter = new AlpacaAdapter({ keyId: broker.keyId, secret: broker.secret, baseUrl: broker.baseUrl, streamUrl: broker.streamUrl, logger: silentLogger, reconnect: { initialMs: 20, maxMs: 50 } });
const clock = systemClock();
const engine = new ExecutionEngine({
  adapter,
  clock,
  ids: randomIds(),
  logger: silentLogger,
  market: alwaysOpenMarket,
  rateLimit: false,
  journal,
  config: {
    sizing: { method: 'fixed_quantity', quantity: 10 },
    maxPositionSizePct: 100,
    maxAccountExposurePct: 100,
    orderManagement: { orderTimeoutMs: null, entryOrderType: 'limit', limitOffsetBps: 0 },
    recovery: { reconcileIntervalMs: 0, onMismatch: 'halt' },
    accountRefreshMs: 86_400_000,
  },
});
lease.onLost((reason) => void engine.halt(`account lease lost: ${reason}`));
await engine.start();
await engine.recover();
for (const symbol of new Set(signals.map((s) => s.symbol))) engine.updatePrice(symbol, '100');
const decisions = [];
for (const signal of signals) decisions.push((await engine.executeSignal({ ...signal, time: clock.now() })).kind);
process.send({ type: 'traded', decisions, orders: engine.orders.orderList().map((o) => ({ clientOrderId: o.clientOrderId, status: o.status })) });
// Alive until killed: the lease is held by this process's connection.
setInterval(() => undefined, 1_000);
