/**
 * `npm run demo`: orders flowing through the lifecycle manager on the bundled mock broker,
 * printing orders, fills, positions and P&L as they happen. No keys, no network.
 */
import { Decimal, OrderLifecycleManager, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';

const clock = new ManualClock(Date.UTC(2024, 5, 3, 13, 30));
const broker = new MockBroker({ clock, initialCash: 100_000, commission: { perUnit: '0.005', minimum: '1' }, slippageBps: 2 });
const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger });
orders.start();

const money = (d: Decimal): string => d.toFixed(2).padStart(12);
orders.events.on('order:submitted', ({ order }) => console.log(`→ ${order.clientOrderId} ${order.side} ${order.quantity} ${order.symbol} ${order.type}${order.limitPrice ? ` @ ${order.limitPrice}` : ''}`));
orders.events.on('order:fill', ({ order, fill }) => console.log(`  ✓ fill ${fill.quantity} ${order.symbol} @ ${fill.price.toFixed(2)} (commission ${fill.commission.toFixed(2)}) → ${order.status}`));
orders.events.on('order:cancelled', ({ order }) => console.log(`  ✗ ${order.clientOrderId} cancelled: ${order.errorMessage ?? ''}`));
orders.events.on('order:rejected', ({ order }) => console.log(`  ✗ ${order.clientOrderId} rejected: ${order.errorMessage}`));

const positions = (): void => {
  const account = broker.accountSnapshot();
  for (const p of broker.positionReports()) console.log(`  position ${p.symbol.padEnd(5)} ${p.quantity.toString().padStart(5)} @ ${p.averageEntryPrice.toFixed(2)}  unrealized ${money(p.unrealizedPnl ?? new Decimal(0))}`);
  console.log(`  equity ${money(account.equity)}  cash ${money(account.cash)}  realized ${money(broker.realizedPnl)}`);
};

broker.setPrice('AAPL', '190.00');
broker.setPrice('MSFT', '420.00');
await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 50 });
await orders.submit({ symbol: 'MSFT', side: 'buy', quantity: 20, type: 'limit', limitPrice: '418.00' }, { timeoutMs: 30 * 60_000 });
positions();
for (const [aapl, msft] of [['191.40', '419.10'], ['193.05', '417.60'], ['195.20', '421.30']] as const) {
  clock.advance(5 * 60_000);
  console.log(`\n${new Date(clock.now()).toISOString().slice(11, 16)} UTC  AAPL ${aapl}  MSFT ${msft}`);
  broker.setPrice('AAPL', aapl);
  broker.setPrice('MSFT', msft);
  positions();
}
console.log('');
await orders.submit({ symbol: 'AAPL', side: 'sell', quantity: 50, type: 'limit', limitPrice: '195.00' });
await orders.submit({ symbol: 'TSLA', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '250.00' });
positions();
console.log(`\n${orders.auditTrail().length} audit records; ${orders.workingOrders().length} orders still working`);
