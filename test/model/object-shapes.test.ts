import { Decimal, ExecutionEngine, type Order, OrderLifecycleManager, type Position, silentLogger, ZERO } from 'tradewire';
import { orderFromJSON, orderToJSON } from '../../src/model/order-serialization.js';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

// Every order (and every position) tradewire makes has the same keys in the same order, absent
// ones undefined: one V8 hidden class, so the copy each event makes stays on the fast path
// (docs/benchmarks.md). A new field added to the type but not to shapeOrder / shapePosition, or an
// update that adds a key, fails here instead of quietly slowing every order down.

async function run(): Promise<{ orders: Order[]; positions: Position[]; engine: ExecutionEngine }> {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 1_000_000, commission: { perUnit: '0.01' } });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
  await engine.start();
  broker.setPrice('AAPL', '100');
  engine.updatePrice('AAPL', '100');
  const orders: Order[] = [];
  const positions: Position[] = [];
  engine.on('order:transition', ({ order }) => orders.push(order));
  engine.on('position:updated', ({ position }) => positions.push(position));
  await engine.executeSignal({ id: 'in', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 's' });
  engine.updatePrice('AAPL', '101');
  await engine.executeSignal({ id: 'out', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 's' });
  // A limit order that rests, then is cancelled: other keys get values (limitPrice, cancelledAt).
  const resting = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90' });
  await engine.orders.cancel(resting.clientOrderId);
  return { orders, positions, engine };
}

describe('one shape per model object', () => {
  it('every order version has every key of the first, in the same order', async () => {
    const { orders } = await run();
    expect(orders.map((o) => o.status)).toEqual(expect.arrayContaining(['validated', 'submitted', 'accepted', 'filled', 'cancelled']));
    const keys = Object.keys(orders[0]!);
    expect(keys).toContain('limitPrice');
    expect(keys).toContain('cancelledAt');
    for (const order of orders) expect(Object.keys(order)).toEqual(keys);
  });

  it('an order read back from JSON (recovery) has the same keys as one made here', async () => {
    const { orders } = await run();
    const filled = orders.find((o) => o.status === 'filled')!;
    const back = orderFromJSON(JSON.parse(JSON.stringify(orderToJSON(filled))));
    expect(Object.keys(back)).toEqual(Object.keys(filled));
    expect(back).toEqual(filled);
  });

  it('every position version has every key of the first, in the same order', async () => {
    const { positions } = await run();
    expect(positions.map((p) => p.state)).toEqual(expect.arrayContaining(['PENDING_ENTRY', 'OPEN', 'PENDING_EXIT', 'CLOSED']));
    const keys = Object.keys(positions[0]!);
    expect(keys).toContain('closedAt');
    for (const position of positions) expect(Object.keys(position)).toEqual(keys);
  });

  it('an order built elsewhere and handed to the lifecycle (track) is reshaped to the same keys', async () => {
    const { orders, engine } = await run();
    const foreign: Order = {
      clientOrderId: 'elsewhere-1',
      brokerOrderIds: ['b-1'],
      brokerOrderId: 'b-1',
      symbol: 'AAPL',
      assetClass: 'equity',
      side: 'buy',
      type: 'limit',
      limitPrice: new Decimal('95'),
      timeInForce: 'gtc',
      quantity: new Decimal('3'),
      extendedHours: false,
      reduceOnly: false,
      status: 'accepted',
      filledQuantity: ZERO,
      fills: [],
      commission: ZERO,
      createdAt: 1,
      updatedAt: 1,
      links: {},
      tags: {},
    };
    // The lifecycle itself (recovery and reconciliation call track; hosts do not).
    const lifecycle = new OrderLifecycleManager({ adapter: engine.adapter, clock: new ManualClock(), ids: sequentialIds() });
    const tracked = lifecycle.track(foreign);
    expect(Object.keys(tracked)).toEqual(Object.keys(orders[0]!));
    expect(tracked).toEqual(foreign);
    expect(lifecycle.get('elsewhere-1')).toBe(tracked);
  });
});
