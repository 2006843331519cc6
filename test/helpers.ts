import { type Clock, createOrder, Decimal, ExecutionEngine, type Fill, type Order, type OrderRequest, type OrderStatus, sequentialIds, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions } from 'tradewire/testing';

const fixedClock: Clock = { now: () => 1_000, setTimeout: () => 0, clearTimeout: () => undefined };

/** A fresh order (status created) from a request with sensible defaults. */
export function newOrder(request: Partial<OrderRequest> = {}): Order {
  return createOrder({ symbol: 'AAPL', side: 'buy', quantity: 100, clientOrderId: 'c-1', ...request }, { clock: fixedClock, ids: sequentialIds() });
}

export function fill(executionId: string, quantity: Decimal.Value, price: Decimal.Value, commission: Decimal.Value = 0, time = 2_000): Fill {
  return { executionId, quantity: new Decimal(quantity), price: new Decimal(price), commission: new Decimal(commission), time };
}

/**
 * An order placed directly in `status`, with the fields that status implies (an accepted time,
 * a partial fill for partially_filled and the pending states that follow it, a full fill for filled).
 */
export function orderIn(status: OrderStatus, options: { partial?: boolean } = {}): Order {
  const base = newOrder();
  const partial = options.partial ?? (status === 'partially_filled');
  const fills = status === 'filled' ? [fill('x-0', 100, 10)] : partial ? [fill('x-0', 40, 10)] : [];
  const filledQuantity = fills.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
  const acked = !['created', 'validated', 'risk_rejected', 'submitted', 'failed'].includes(status);
  return {
    ...base,
    status,
    fills,
    filledQuantity,
    ...(fills.length > 0 ? { averageFillPrice: new Decimal(10) } : {}),
    ...(acked ? { acceptedAt: 1_500, brokerOrderId: 'b-1', brokerOrderIds: ['b-1'] } : {}),
  };
}

export function d(value: Decimal.Value): Decimal {
  return new Decimal(value);
}

/** An engine on the mock broker at a Monday 11:00 New York (market open), three symbols at 100. */
export async function engineOnMock(brokerOptions: Partial<MockBrokerOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const broker = new MockBroker({ clock, name: 'mock', ...brokerOptions });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 },
  });
  for (const s of ['AAPL', 'MSFT', 'NVDA']) broker.setPrice(s, '100');
  await engine.start();
  for (const s of ['AAPL', 'MSFT', 'NVDA']) engine.updatePrice(s, '100');
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'k', ...s });
  return { clock, broker, engine, signal };
}

/**
 * Sequential ids, except that after `spoil()` the next one asked for is one no broker takes
 * ('not a valid id!'): the order it names is refused before it is sent — a failure injected into
 * one of several requests made together.
 */
export function spoilableIds(start = 1): { next: (prefix?: string) => string; spoil: () => void } {
  const sequential = sequentialIds(start);
  let spoiled = false;
  return {
    next: (prefix) => {
      if (!spoiled) return sequential.next(prefix);
      spoiled = false;
      return 'not a valid id!';
    },
    spoil: () => {
      spoiled = true;
    },
  };
}
