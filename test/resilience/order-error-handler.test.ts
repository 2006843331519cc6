import { BrokerError, EventBus, InMemoryJournal, OrderErrorHandler, OrderLifecycleManager, type OrderErrorHandlerOptions, sequentialIds, silentLogger, systemClock, type TradewireEvents } from 'tradewire';
import { MockBroker, type MockBrokerOptions } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 2, 5, 15, 0) });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(brokerOptions: Partial<MockBrokerOptions> = {}, handlerOptions: Partial<OrderErrorHandlerOptions> = {}) {
  const clock = systemClock();
  const broker = new MockBroker({ clock, ...brokerOptions });
  broker.setPrice('AAPL', '100');
  const events = new EventBus<TradewireEvents>();
  const journal = new InMemoryJournal();
  const handler = new OrderErrorHandler({ adapter: broker, clock, events, journal, priceOf: (s) => broker.price(s), ...handlerOptions });
  const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), events, journal, logger: silentLogger, send: handler.send, orderTimeoutMs: null });
  lifecycle.start();
  const seen: string[] = [];
  events.on('order:retry', (e) => seen.push(`retry ${e.attempt} in ${e.delayMs}`));
  events.on('order:send_attempt', (e) => seen.push(`attempt ${e.attempt} at ${Date.now() - Date.UTC(2024, 2, 5, 15, 0)}`));
  events.on('alert', (e) => seen.push(`alert ${e.severity} ${e.code}`));
  events.on('order:resized', (e) => seen.push(`resized ${e.from.toString()} → ${e.to.toString()}`));
  return { broker, lifecycle, handler, journal, seen };
}

describe('OrderErrorHandler', () => {
  it('retries retryable failures with 1 s, 2 s backoff, same client order id, and recovers', async () => {
    const { broker, lifecycle, handler, seen } = setup();
    broker.failNext('submitOrder', { kind: 'server_error' }, 2);
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    await vi.advanceTimersByTimeAsync(999);
    expect(seen.filter((s) => s.startsWith('attempt'))).toEqual(['attempt 1 at 0']);
    await vi.advanceTimersByTimeAsync(3_000);
    const order = await pending;
    expect(order.status).toBe('filled');
    expect(seen).toEqual(['attempt 1 at 0', 'retry 1 in 1000', 'attempt 2 at 1000', 'retry 2 in 2000', 'attempt 3 at 3000']);
    expect(broker.countByClientOrderId(order.clientOrderId)).toBe(1);
    expect(handler.stats()).toMatchObject({ retries: 2, recovered: 1, failed: 0, recoveryRate: 1, errorsByCategory: { RETRYABLE: 2 } });
  });

  it('a timeout whose request did reach the broker: found by client order id, not sent twice', async () => {
    const { broker, lifecycle, handler } = setup();
    broker.failNext('submitOrder', { kind: 'timeout', reached: true });
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    await vi.advanceTimersByTimeAsync(1_000);
    const order = await pending;
    expect(order.status).toBe('filled');
    expect(broker.countByClientOrderId(order.clientOrderId)).toBe(1);
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(1);
    expect(handler.stats().foundAfterTimeout).toBe(1);
  });

  it('a timeout that did not reach the broker is resent, once', async () => {
    const { broker, lifecycle } = setup();
    broker.failNext('submitOrder', { kind: 'timeout', reached: false });
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    await vi.advanceTimersByTimeAsync(1_000);
    const order = await pending;
    expect(order.status).toBe('filled');
    expect(broker.countByClientOrderId(order.clientOrderId)).toBe(1);
  });

  it('after the last attempt the order is FAILED with the reason, every attempt journaled, and an alert raised', async () => {
    const { broker, lifecycle, handler, journal, seen } = setup();
    broker.failNext('submitOrder', { kind: 'network' }, 4);
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    await vi.advanceTimersByTimeAsync(7_000);
    const order = await pending;
    expect(order.status).toBe('failed');
    expect(order.errorMessage).toMatch(/connection reset/);
    expect(journal.query({ clientOrderId: order.clientOrderId, kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''))).toEqual([
      'order.send_attempt', 'order.send_failed', 'order.send_attempt', 'order.send_failed', 'order.send_attempt', 'order.send_failed', 'order.send_attempt', 'order.send_failed',
    ]);
    expect(seen.filter((s) => s.startsWith('attempt'))).toEqual(['attempt 1 at 0', 'attempt 2 at 1000', 'attempt 3 at 3000', 'attempt 4 at 7000']);
    expect(seen.at(-1)).toBe('alert warning order_send_failed');
    expect(handler.stats()).toMatchObject({ failed: 1, recoveryRate: 0 });
  });

  it('insufficient buying power: shrinks to what the account affords and resends', async () => {
    const { lifecycle, handler, seen } = setup({ initialCash: 1_000 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 25 });
    expect(seen).toContain('resized 25 → 9'); // 1 000 × 0.99 / 100 = 9.9 → 9 whole shares
    expect(order.status).toBe('filled');
    expect(order.quantity.toString()).toBe('9');
    expect(order.filledQuantity.toString()).toBe('9');
    expect(handler.stats()).toMatchObject({ resized: 1, errorsByCategory: { ADJUSTABLE: 1 } });
  });

  it('resizing can be turned off: the broker refusal stands', async () => {
    const { lifecycle } = setup({ initialCash: 1_000 }, { resizeOnInsufficientFunds: false });
    expect((await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 25 })).status).toBe('rejected');
  });

  it('fatal errors are not retried and raise a critical alert; PDT refusals are recognised with the day-trade count', async () => {
    const { broker, lifecycle, seen } = setup();
    const refused = await lifecycle.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: 1 });
    expect(refused.status).toBe('rejected');
    expect(seen).toEqual(['attempt 1 at 0', 'alert critical invalid_symbol']);
    const alerts: string[] = [];
    const handler = new OrderErrorHandler({ adapter: broker, clock: systemClock(), events: new EventBus<TradewireEvents>(), journal: new InMemoryJournal() });
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('pattern_day_trader', 'trade denied due to pattern day trading protection', { status: 403, details: { dayTradeCount: 4 } }) });
    (handler as unknown as { events: EventBus<TradewireEvents> }).events.on('alert', (a) => alerts.push(a.message));
    const { createOrder, sequentialIds: ids } = await import('tradewire');
    await expect(handler.send(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 1 }, { clock: systemClock(), ids: ids() }))).rejects.toMatchObject({ code: 'pattern_day_trader' });
    expect(alerts).toEqual(['Pattern-day-trader protection refused tw-1 (day trades: 4)']);
  });
});

describe('fallback order type', () => {
  it('a market order refused as invalid is resent once as a marketable limit, and the local order follows', async () => {
    const { broker, lifecycle, seen } = setup({}, { fallbackLimitOffsetBps: new (await import('tradewire')).Decimal(10) });
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'market orders are not accepted for this asset', { status: 422 }) });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(order.type).toBe('limit');
    expect(order.limitPrice?.toString()).toBe('100.1');
    expect(order.status).toBe('filled');
    expect(seen).toContain('alert info order_fallback');
  });

  it('is off by default: the refusal stands', async () => {
    const { broker, lifecycle } = setup();
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'market orders are not accepted', { status: 422 }) });
    expect((await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 })).status).toBe('rejected');
  });
});
