// The process test/fault/full-disk.test.ts starts under a file-size limit: an engine on a durable
// FileJournal and the mock broker, trading until the journal can no longer grow. It prints what the
// broker was sent and what the engine said, as one line of JSON.
import { alwaysOpenMarket, ExecutionEngine, FileJournal, sequentialIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';

const [path, count, sync = 'before-send'] = process.argv.slice(2);
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e9 });
const journal = new FileJournal({ path, logger: silentLogger, sync });
const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 10, orderManagement: { orderTimeoutMs: null } } });
const alerts = [];
const errors = [];
engine.on('alert', (a) => alerts.push(a.code));
engine.on('error', ({ error }) => errors.push(error.code ?? String(error)));
for (const symbol of ['A', 'B']) {
  broker.setPrice(symbol, '100');
  engine.updatePrice(symbol, '100');
}
await engine.start();
const decisions = {};
const failedOrders = [];
for (let i = 0; i < Number(count); i++) {
  const decision = await engine.executeSignal({ id: `s${i}`, symbol: i % 2 ? 'A' : 'B', side: Math.floor(i / 2) % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
  const kind = decision.kind === 'executed' ? `order ${decision.order.status}` : decision.kind === 'rejected' ? decision.reasons.map((r) => r.code).join('+') : decision.kind;
  decisions[kind] = (decisions[kind] ?? 0) + 1;
  if (decision.kind === 'executed' && decision.order.status === 'failed') failedOrders.push(decision.order.clientOrderId);
  clock.advance(1_000);
}
let stopError = null;
await engine.stop().catch((error) => (stopError = error.code ?? String(error)));
const sent = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.clientOrderId);
process.stdout.write(`${JSON.stringify({ sent, decisions, failedOrders, alerts, errors, state: engine.tradingState, reason: engine.tradingStateReason, stopError })}\n`);
