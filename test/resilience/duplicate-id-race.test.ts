import {
  BrokerError,
  EventBus,
  ExecutionEngine,
  InMemoryJournal,
  ManualClock,
  type Order,
  OrderErrorHandler,
  OrderLifecycleManager,
  sequentialIds,
  silentLogger,
  type TradewireEvents,
} from 'tradewire';
import { MockBroker, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

const flush = (): Promise<void> => settle(1);

/** Advances the manual clock step by step, letting promises settle between steps. */
async function run(clock: ManualClock, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

function lifecycleOn(broker: MockBroker, clock: ManualClock, withHandler = true) {
  const events = new EventBus<TradewireEvents>();
  const journal = new InMemoryJournal();
  const handler = new OrderErrorHandler({ adapter: broker, clock, events, journal, retry: { retries: 3, minDelayMs: 1_000 } });
  const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), events, journal, logger: silentLogger, orderTimeoutMs: null, ...(withHandler ? { send: handler.send } : {}) });
  lifecycle.start();
  const statuses: string[] = [];
  events.on('order:transition', (e) => statuses.push(e.to));
  const alerts: string[] = [];
  events.on('alert', (e) => alerts.push(e.code));
  return { lifecycle, handler, journal, statuses, alerts, events };
}

/**
 * The race from the field: the first POST is slow and times out; the look-up before the resend gets
 * a 404; the slow POST then lands and the stream reports it; the resend is refused as a duplicate.
 * The refusal must be read as "look it up", and the broker's order adopted.
 */
describe('a duplicate-client-order-id refusal is never a rejection', () => {
  it('the exact interleaving on the mock broker: timeout, 404 look-up, late landing, 422 on the resend → adopted', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const { lifecycle, handler, journal, statuses, alerts } = lifecycleOn(broker, clock);
    // 1st POST: no answer after 100 ms, processed at 1 500 ms. The resend (at 1 100 ms, after a 1 s
    // backoff and a look-up that finds nothing) is slow too, and reaches the broker at 1 700 ms.
    broker.failNext('submitOrder', { kind: 'timeout', afterMs: 100, landsAfterMs: 1_500 });
    broker.failNext('submitOrder', { kind: 'slow', ms: 600 });
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 7 });
    let order: Order | undefined;
    void pending.then((o) => (order = o));

    await run(clock, 1_200);
    // The look-up before the resend found nothing: the first POST has not landed yet.
    expect(broker.requests.filter((r) => r.method === 'getOrder')).toHaveLength(1);
    expect(broker.countByClientOrderId(lifecycle.orderList()[0]!.clientOrderId)).toBe(0);
    await run(clock, 400); // 1 600: the first POST landed, the stream reported it (filled at once)
    expect(lifecycle.orderList()[0]!.status).toBe('filled');
    await run(clock, 400); // 2 000: the resend was refused as a duplicate → looked up → adopted
    expect(order?.status).toBe('filled');
    expect(statuses).not.toContain('rejected');
    expect(statuses).not.toContain('failed');
    expect(broker.countByClientOrderId(order!.clientOrderId)).toBe(1);
    expect(order!.brokerOrderId).toBe(broker.orderReports()[0]!.brokerOrderId);
    expect(handler.stats().foundAfterTimeout).toBe(1);
    expect(journal.query({ topic: 'order.found_after_duplicate' })).toHaveLength(1);
    expect(journal.query().filter((r) => r.kind === 'note' && r.topic === 'order.event_refused')).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it('without the error handler, the lifecycle itself looks a duplicate refusal up and adopts the order', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const { lifecycle, statuses } = lifecycleOn(broker, clock, false);
    // The broker already holds the order (the first send landed); this send is refused as a duplicate.
    const sent = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 3, clientOrderId: 'dup-1', type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    await sent;
    const other = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(50), logger: silentLogger, orderTimeoutMs: null });
    const again = await other.submit({ symbol: 'AAPL', side: 'buy', quantity: 3, clientOrderId: 'dup-1', type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    expect(again.status).toBe('accepted');
    expect(again.brokerOrderId).toBe((await sent).brokerOrderId);
    expect(statuses).not.toContain('rejected');
    expect(broker.countByClientOrderId('dup-1')).toBe(1);
  });

  it('a send that fails after the broker acknowledged the order never rejects it: the broker is asked instead', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const events = new EventBus<TradewireEvents>();
    // The request lands (the stream acknowledges it) but the answer is a refusal for good.
    const send = async (order: Order) => {
      await broker.submitOrder(order);
      throw new BrokerError('invalid_order', 'a garbled answer after the order was booked', { status: 422 });
    };
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), events, logger: silentLogger, orderTimeoutMs: null, send });
    lifecycle.start();
    const statuses: string[] = [];
    events.on('order:transition', (e) => statuses.push(e.to));
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 2, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    expect(order.status).toBe('accepted');
    expect(statuses).toEqual(['validated', 'submitted', 'accepted']);
    // The broker itself can still reject an order it acknowledged (an exchange's refusal).
    lifecycle.applyUpdate({ clientOrderId: order.clientOrderId, event: { type: 'rejected', reason: 'exchange refused', at: clock.now() } });
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('rejected');
  });

  it('a duplicate refusal the broker cannot resolve is a failure (never a rejection), with a warning', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const { lifecycle, alerts } = lifecycleOn(broker, clock);
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('broker_duplicate_client_order_id', 'client_order_id must be unique', { status: 422 }) });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 2 });
    expect(order.status).toBe('failed');
    expect(alerts).toEqual(['duplicate_client_order_id_unresolved']);
  });

  it('recover() resending a journaled order meets the same refusal and adopts the order that landed meanwhile', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const journal = new InMemoryJournal();
    const config = { sizing: { method: 'fixed_quantity' as const, quantity: 4 }, errorHandling: { retries: 3, minDelayMs: 1_000 } };
    const first = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config });
    await first.start();
    first.updatePrice('AAPL', '100');
    // The first process sends and dies before any answer; its request reaches the broker 1 s later.
    broker.failNext('submitOrder', { kind: 'timeout', afterMs: 60_000, landsAfterMs: 1_000 });
    void first.executeSignal({ id: 's-1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 't' });
    await flush();
    await first.stop();

    const second = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(1_000), logger: silentLogger, journal, config });
    await second.start();
    // The resend is slow: it reaches the broker after the first request landed.
    broker.failNext('submitOrder', { kind: 'slow', ms: 2_000 });
    const recovering = second.recover();
    await run(clock, 2_500);
    const report = await recovering;
    expect(report.ordersResent).toHaveLength(1);
    const id = report.ordersResent[0]!;
    expect(second.orders.get(id)?.status).toBe('filled');
    expect(broker.countByClientOrderId(id)).toBe(1);
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('4');
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('4');
    // The resend's refusal was looked up and adopted — not offered to the state machine as a rejection.
    expect(journal.query({ topic: 'order.found_after_duplicate' })).toHaveLength(1);
    expect(journal.query({ topic: 'order.event_refused' })).toEqual([]);
  });
});
