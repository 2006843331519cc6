import { BrokerError, ExecutionEngine, type Order, OrderLifecycleManager, type OrderLifecycleOptions, silentLogger, type TradewireEvents, ValidationError } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

function setup(brokerOptions: Partial<MockBrokerOptions> = {}, lifecycleOptions: Partial<OrderLifecycleOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2024, 2, 5, 15, 0));
  const broker = new MockBroker({ clock, ...brokerOptions });
  broker.setPrice('AAPL', '100.00');
  const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, ...lifecycleOptions });
  lifecycle.start();
  const seen: string[] = [];
  for (const name of ['order:created', 'order:submitted', 'order:accepted', 'order:partially_filled', 'order:filled', 'order:pending_cancel', 'order:cancelled', 'order:rejected', 'order:failed', 'order:replaced', 'order:timeout'] as const) {
    lifecycle.events.on(name, () => seen.push(name));
  }
  return { clock, broker, lifecycle, seen };
}

/** The audit trail of one order as "from→to" steps. */
function trail(lifecycle: OrderLifecycleManager, id: string): string[] {
  return lifecycle.auditTrail({ clientOrderId: id, kinds: ['order.event'] }).map((r) => (r.kind === 'order.event' ? `${r.from}→${r.status}${r.outcome === 'applied' ? '' : ` (${r.outcome})`}` : ''));
}

describe('OrderLifecycleManager on the mock broker', () => {
  it('a market order: created → validated → submitted → accepted → filled, with events and audit trail', async () => {
    const { lifecycle, broker, seen } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 });
    expect(order.status).toBe('filled');
    expect(order.averageFillPrice?.toString()).toBe('100');
    expect(order.brokerOrderId).toBe('mock-ord-1');
    expect(seen).toEqual(['order:created', 'order:submitted', 'order:accepted', 'order:filled']);
    expect(trail(lifecycle, order.clientOrderId)).toEqual(['created→validated', 'validated→submitted', 'submitted→accepted', 'accepted→filled']);
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('10');
    expect(lifecycle.workingOrders()).toEqual([]);
  });

  it('journals the order before sending it', async () => {
    const { lifecycle, broker } = setup();
    let journaledBeforeSend = false;
    const send = broker.submitOrder.bind(broker);
    broker.submitOrder = (o: Order) => {
      journaledBeforeSend = lifecycle.auditTrail({ clientOrderId: o.clientOrderId, kinds: ['order.created'] }).length === 1;
      return send(o);
    };
    await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    expect(journaledBeforeSend).toBe(true);
  });

  it('a partial fill then the rest', async () => {
    const { lifecycle, broker, seen } = setup();
    broker.setLiquidity('AAPL', 400);
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1000, type: 'limit', limitPrice: '100.00' });
    expect(order.status).toBe('partially_filled');
    expect(order.filledQuantity.toString()).toBe('400');
    broker.setPrice('AAPL', '99.50');
    broker.setPrice('AAPL', '99.00');
    const done = lifecycle.get(order.clientOrderId)!;
    expect(done.status).toBe('filled');
    expect(done.fills).toHaveLength(3);
    // 400 × 100 + 400 × 99.5 + 200 × 99 = 99 600 → 99.6 average
    expect(done.averageFillPrice?.toString()).toBe('99.6');
    expect(seen.filter((s) => s === 'order:partially_filled')).toHaveLength(2);
  });

  it('a partial fill then a cancel of the rest', async () => {
    const { lifecycle, broker } = setup();
    broker.setLiquidity('AAPL', 500);
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1000 });
    expect(order.filledQuantity.toString()).toBe('500');
    const cancelled = await lifecycle.cancel(order.clientOrderId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.filledQuantity.toString()).toBe('500');
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('500');
  });

  it('a broker rejection ends rejected with the broker\'s reason', async () => {
    const { lifecycle, seen } = setup({ initialCash: 1_000 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 100 });
    expect(order.status).toBe('rejected');
    expect(order.errorMessage).toMatch(/insufficient buying power/);
    expect(seen).toContain('order:rejected');
  });

  it('an unknown symbol is rejected by the broker', async () => {
    const { lifecycle } = setup();
    const order = await lifecycle.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: 1 });
    expect(order.status).toBe('rejected');
    expect(order.errorMessage).toMatch(/unknown symbol/);
  });

  it('a bad request throws a ValidationError listing every problem, and records nothing', async () => {
    const { lifecycle } = setup();
    const error = await lifecycle.submit({ symbol: '', side: 'hold' as never, quantity: -1, type: 'limit' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field).sort()).toEqual(['limitPrice', 'quantity', 'side', 'symbol']);
    expect(lifecycle.auditTrail()).toEqual([]);
  });

  it('cancels an order not filled within its timeout, on the injected clock', async () => {
    const { lifecycle, clock, seen } = setup({}, { orderTimeoutMs: 60_000 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90.00' });
    expect(order.status).toBe('accepted');
    clock.advance(59_999);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    clock.advance(1);
    await Promise.resolve();
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(seen).toContain('order:timeout');
  });

  it('an order whose timeout comes while the host’s cancel is pending, the broker then refusing that cancel: it expires then — it rested for good past its timeout', async () => {
    const { lifecycle, broker, clock, seen } = setup({ cancelLatencyMs: 5_000 }, { orderTimeoutMs: 60_000 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90.00' });
    await clock.advanceAsync(58_000);
    broker.refuseCancels(1);
    void lifecycle.cancel(order.clientOrderId).catch(() => undefined);
    await clock.advanceAsync(2_000); // the deadline, the host's cancel still pending
    expect([lifecycle.get(order.clientOrderId)?.status, seen.includes('order:timeout')]).toEqual(['pending_cancel', false]);
    await clock.advanceAsync(3_000); // the broker refuses it: the order works again, past its timeout
    expect(seen).toContain('order:timeout');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('pending_cancel');
    await clock.advanceAsync(5_000);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(trail(lifecycle, order.clientOrderId).filter((step) => !step.includes('('))).toEqual(['created→validated', 'validated→submitted', 'submitted→accepted', 'accepted→pending_cancel', 'pending_cancel→accepted', 'accepted→pending_cancel', 'pending_cancel→cancelled']);
  });

  it('an order whose own timeout cancel the broker refuses is asked again until it ends — asked once, it rested for good past its timeout', async () => {
    const { lifecycle, broker, clock, seen } = setup({ cancelLatencyMs: 300 }, { orderTimeoutMs: 60_000 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90.00' });
    broker.refuseCancels(2);
    await clock.advanceAsync(60_300); // the deadline; its cancel refused
    expect(seen).toContain('order:timeout');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    await clock.advanceAsync(1_300); // asked again a second later, refused again
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    await clock.advanceAsync(2_300); // and again two seconds later: taken
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(broker.orderReports().find((o) => o.clientOrderId === order.clientOrderId)?.status).toBe('cancelled');
    // The cancel is journaled as wanted until the order ends: a restart meanwhile asks it again.
    expect(lifecycle.auditTrail({ clientOrderId: order.clientOrderId, kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''))).toContain('orders.cancel_until_ended');
  });

  it('a per-order timeout of null lets a GTC order rest', async () => {
    const { lifecycle, clock } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90.00', timeInForce: 'gtc' }, { timeoutMs: null });
    clock.advance(24 * 3_600_000);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
  });

  it('a fill racing the cancel: the fill wins and the cancel is refused', async () => {
    const { lifecycle, broker } = setup({ cancelLatencyMs: 500 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '101.00' }, { timeoutMs: null });
    broker.setPrice('AAPL', '100.00');
    await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 }); // own shares to sell
    const pending = await lifecycle.cancel(order.clientOrderId);
    expect(pending.status).toBe('pending_cancel');
    broker.setPrice('AAPL', '101.50'); // crosses the limit before the cancel takes effect
    const filled = lifecycle.get(order.clientOrderId)!;
    expect(filled.status).toBe('filled');
    expect(filled.averageFillPrice?.toString()).toBe('101.5');
    const trailSteps = trail(lifecycle, order.clientOrderId);
    expect(trailSteps).toContain('pending_cancel→filled');
  });

  it('a partial fill racing the cancel keeps the partial and ends cancelled', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 500 });
    broker.setLiquidity('AAPL', 3);
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99.00' }, { timeoutMs: null });
    await lifecycle.cancel(order.clientOrderId);
    broker.setPrice('AAPL', '98.00');
    expect(lifecycle.get(order.clientOrderId)?.filledQuantity.toString()).toBe('3');
    clock.advance(500);
    const ended = lifecycle.get(order.clientOrderId)!;
    expect(ended.status).toBe('cancelled');
    expect(ended.filledQuantity.toString()).toBe('3');
  });

  it('whenCancelsSettled: true once a cancel lands — and once the broker refuses one (the order works again), where whenEnded waits out its timeout', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 300 });
    const rest = (price: string) => lifecycle.submit({ symbol: 'AAPL', side: 'sell', quantity: 1, type: 'limit', limitPrice: price, timeInForce: 'gtc' }, { timeoutMs: null });
    const [kept, gone] = [await rest('110'), await rest('111')];
    broker.refuseCancels(1);
    void lifecycle.cancel(kept.clientOrderId).catch(() => undefined);
    const [settled, ended] = [lifecycle.whenCancelsSettled([kept.clientOrderId], 60_000), lifecycle.whenEnded([kept.clientOrderId], 60_000)];
    let settledAt: number | undefined;
    void settled.then(() => (settledAt = clock.now()));
    const start = clock.now();
    await clock.advanceAsync(1_000);
    expect(lifecycle.get(kept.clientOrderId)?.status).toBe('accepted');
    expect(settledAt).toBe(start + 300);
    expect(await settled).toBe(true);
    await clock.advanceAsync(60_000);
    expect(await ended).toBe(false);
    // A cancel that lands; a wait on nothing leaving; one that outlasts its timeout (still pending cancel); bad arguments.
    void lifecycle.cancel(gone.clientOrderId).catch(() => undefined);
    const landed = lifecycle.whenCancelsSettled([gone.clientOrderId], 60_000);
    await clock.advanceAsync(1_000);
    expect([await landed, lifecycle.get(gone.clientOrderId)?.status]).toEqual([true, 'cancelled']);
    expect(await lifecycle.whenCancelsSettled([kept.clientOrderId, 'unknown'], 0)).toBe(true);
    void lifecycle.cancel(kept.clientOrderId).catch(() => undefined);
    const outlasted = lifecycle.whenCancelsSettled([kept.clientOrderId], 100);
    await clock.advanceAsync(100);
    expect([await outlasted, lifecycle.get(kept.clientOrderId)?.status]).toEqual([false, 'pending_cancel']);
    await expect(lifecycle.whenCancelsSettled('tw-1' as never, -1)).rejects.toBeInstanceOf(ValidationError);
  });

  it('whenCancelsSettled: a cancel whose request failed on the network is not settled — its retry is on the way — until that retry lands (settled there, the work waiting took the order as working on, and the retry then cancelled it)', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 300 });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'sell', quantity: 1, type: 'limit', limitPrice: '110', timeInForce: 'gtc' }, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'timeout', reached: false });
    void lifecycle.cancel(order.clientOrderId).catch(() => undefined);
    let settled: boolean | undefined;
    void lifecycle.whenCancelsSettled([order.clientOrderId], 60_000).then((r) => (settled = r));
    await settle(8);
    expect([lifecycle.get(order.clientOrderId)?.status, settled]).toEqual(['accepted', undefined]);
    await clock.advanceAsync(3_000);
    expect([lifecycle.get(order.clientOrderId)?.status, settled]).toEqual(['cancelled', true]);
  });

  it('cancelComing: a cancel wanted until the order ends that the broker refused is still coming — it is asked again — until the order ends; a plain refused cancel is not', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 300 });
    const rest = (price: string) => lifecycle.submit({ symbol: 'AAPL', side: 'sell', quantity: 1, type: 'limit', limitPrice: price, timeInForce: 'gtc' }, { timeoutMs: null });
    const [wanted, plain] = [await rest('110'), await rest('111')];
    broker.refuseCancels(2);
    void lifecycle.cancel(wanted.clientOrderId, 'position closed', { untilEnded: true }).catch(() => undefined);
    void lifecycle.cancel(plain.clientOrderId).catch(() => undefined);
    let settled: boolean | undefined;
    void lifecycle.whenCancelsSettled([wanted.clientOrderId], 60_000).then((r) => (settled = r));
    await clock.advanceAsync(300); // both refused: each works again
    expect([lifecycle.get(wanted.clientOrderId)?.status, lifecycle.get(plain.clientOrderId)?.status]).toEqual(['accepted', 'accepted']);
    expect([lifecycle.cancelComing(wanted.clientOrderId), lifecycle.cancelComing(plain.clientOrderId), settled]).toEqual([true, false, undefined]);
    await clock.advanceAsync(2_000); // asked again, and this time it lands
    expect([lifecycle.get(wanted.clientOrderId)?.status, lifecycle.cancelComing(wanted.clientOrderId), settled]).toEqual(['cancelled', false, true]);
    expect(lifecycle.get(plain.clientOrderId)?.status).toBe('accepted');
  });

  it('order:cancel_rejected carries the error code of a request the broker refused, and none when its stream reports the refusal — a host tells a refusal for good from one to wait out without reading the reason', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 300 });
    const codes: (string | undefined)[] = [];
    lifecycle.events.on('order:cancel_rejected', ({ event }) => codes.push(event.type === 'cancel_rejected' ? (event.code ?? 'none') : 'other'));
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'sell', quantity: 1, type: 'limit', limitPrice: '110', timeInForce: 'gtc' }, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'error', error: new BrokerError('order_not_cancelable', 'order is not cancelable now', { status: 422 }) });
    expect((await lifecycle.cancel(order.clientOrderId)).status).toBe('accepted');
    broker.refuseCancels(1);
    await lifecycle.cancel(order.clientOrderId);
    await clock.advanceAsync(300);
    expect(codes).toEqual(['order_not_cancelable', 'none']);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
  });

  it('order:rejected and order:failed carry the error code of the send that failed — a refusal for good (insufficient buying power) told from one lost on the network without reading the reason', async () => {
    const { lifecycle, broker } = setup();
    const codes: string[] = [];
    lifecycle.events.on('order:rejected', ({ event }) => codes.push(`rejected ${event.type === 'rejected' ? event.code : ''}`));
    lifecycle.events.on('order:failed', ({ event }) => codes.push(`failed ${event.type === 'submit_failed' ? event.code : ''}`));
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('insufficient_buying_power', 'insufficient buying power', { status: 403 }) });
    expect((await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 })).status).toBe('rejected');
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'not tradable now', { status: 422 }) });
    expect((await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 })).status).toBe('rejected');
    broker.failNext('submitOrder', { kind: 'network' });
    expect((await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 })).status).toBe('failed');
    expect(codes).toEqual(['rejected insufficient_buying_power', 'rejected invalid_order', 'failed network_error']);
  });

  it('a cancel requested while the order is still on the wire reaches it once it lands', async () => {
    const { lifecycle, broker, clock } = setup();
    broker.setLiquidity('AAPL', 0);
    const submit = broker.submitOrder.bind(broker);
    broker.submitOrder = (o: Order) => new Promise((resolve, reject) => clock.setTimeout(() => submit(o).then(resolve, reject), 100));
    const pending = lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 }, { timeoutMs: null });
    await Promise.resolve();
    const [working] = lifecycle.workingOrders();
    await lifecycle.cancelAll('before it landed'); // the broker has nothing yet
    clock.advance(100); // it lands, is acknowledged, and the cancel follows it
    await pending;
    await settle(1);
    expect(broker.orderReports().find((o) => o.clientOrderId === working!.clientOrderId)?.status).toBe('cancelled');
    expect(lifecycle.get(working!.clientOrderId)?.status).toBe('cancelled');
  });

  it('cancel all: every working order ends cancelled, filled ones are untouched', async () => {
    const { lifecycle, broker } = setup();
    const filled = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    const a = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90.00' });
    const b = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'stop', stopPrice: '110.00' });
    const acted = await lifecycle.cancelAll('kill switch');
    expect(acted.map((o) => o.clientOrderId).sort()).toEqual([a.clientOrderId, b.clientOrderId].sort());
    expect(lifecycle.get(a.clientOrderId)?.status).toBe('cancelled');
    expect(lifecycle.get(b.clientOrderId)?.status).toBe('cancelled');
    expect(lifecycle.get(filled.clientOrderId)?.status).toBe('filled');
    expect(lifecycle.workingOrders()).toEqual([]);
    expect(broker.requests.filter((r) => r.method === 'cancelAllOrders')).toHaveLength(1);
  });

  it('cancel all falls back to one cancel per order when the bulk call fails', async () => {
    const { lifecycle, broker } = setup();
    const a = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90.00' });
    broker.failNext('cancelAllOrders', { kind: 'server_error' });
    await lifecycle.cancelAll();
    expect(lifecycle.get(a.clientOrderId)?.status).toBe('cancelled');
  });

  it('modifies a resting order in place, keeping one logical order across new broker ids', async () => {
    const { lifecycle, broker, seen } = setup({ replaceIssuesNewId: true });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '95.00' }, { timeoutMs: null });
    const modified = await lifecycle.modify(order.clientOrderId, { limitPrice: '96.00', quantity: 20 });
    expect(modified.status).toBe('accepted');
    expect(modified.limitPrice?.toString()).toBe('96');
    expect(modified.quantity.toString()).toBe('20');
    expect(modified.brokerOrderIds).toEqual(['mock-ord-1', 'mock-ord-2']);
    expect(seen).toContain('order:replaced');
    broker.setPrice('AAPL', '96.00');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
    expect(lifecycle.getByBrokerOrderId('mock-ord-1')?.clientOrderId).toBe(order.clientOrderId);
  });

  it('a refused replace returns the order to where it was', async () => {
    const { lifecycle, broker } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '95.00' }, { timeoutMs: null });
    broker.failNext('replaceOrder', { kind: 'server_error' });
    const after = await lifecycle.modify(order.clientOrderId, { limitPrice: '96.00' });
    expect(after.status).toBe('accepted');
    expect(after.limitPrice?.toString()).toBe('95');
  });

  it('a submit that times out after reaching the broker is found by client order id, not resent', async () => {
    const { lifecycle, broker } = setup();
    broker.failNext('submitOrder', { kind: 'timeout', reached: true });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(order.status).toBe('filled');
    expect(broker.countByClientOrderId(order.clientOrderId)).toBe(1);
    expect(broker.requests.filter((r) => r.method === 'getOrder')).toHaveLength(1);
  });

  it('a submit that never reached the broker ends failed with the reason', async () => {
    const { lifecycle, broker, seen } = setup();
    broker.failNext('submitOrder', { kind: 'timeout', reached: false });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(order.status).toBe('failed');
    expect(order.errorMessage).toMatch(/timed out/);
    expect(broker.countByClientOrderId(order.clientOrderId)).toBe(0);
    expect(seen).toContain('order:failed');
  });

  it('a rate-limited submit is not a rejection: it fails retryably', async () => {
    const { lifecycle, broker } = setup();
    broker.failNext('submitOrder', { kind: 'rate_limit' });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(order.status).toBe('failed');
  });

  it('updates missed while the stream was down are recovered on reconnect', async () => {
    const { lifecycle, broker } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99.00' }, { timeoutMs: null });
    broker.dropStream();
    broker.setPrice('AAPL', '98.00');
    expect(broker.missedUpdates).toBe(1);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    broker.restoreStream();
    await settle(1);
    const recovered = lifecycle.get(order.clientOrderId)!;
    expect(recovered.status).toBe('filled');
    // The broker's own execution id, not an inferred one: a later replay of it will dedupe.
    expect(recovered.fills[0]?.executionId).toMatch(/^mock-exec-/);
  });

  it('a stream already down when tracking starts (announced to no one) is taken as down: said on broker:connection, and what is sent meanwhile is kept to confirm', async () => {
    const clock = new ManualClock(Date.UTC(2024, 2, 5, 15, 0));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100.00');
    broker.dropStream();
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger });
    const changes: string[] = [];
    lifecycle.events.on('broker:connection', (c) => changes.push(`${c.state}: ${c.reason}`));
    lifecycle.start();
    expect(changes).toEqual(['disconnected: the order stream was down when tracking started']);
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99.00' }, { timeoutMs: null });
    expect(lifecycle.journal.query({ topic: 'orders.to_confirm' }).flatMap((r) => (r.kind === 'note' ? (r.data as { clientOrderIds: string[] }).clientOrderIds : []))).toContain(order.clientOrderId);
    // Filled unheard; the stream back, the look-up finds it.
    broker.setPrice('AAPL', '98.00');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    broker.restoreStream();
    await settle(1);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
    // A second start (already listening) says nothing again.
    lifecycle.start();
    expect(changes).toEqual(['disconnected: the order stream was down when tracking started', 'reconnected: undefined']);
  });

  it('listeners hear transitions in the order they were applied: a cancel an internal hook asks on the acknowledgement is heard after it', async () => {
    const { lifecycle, broker } = setup();
    lifecycle.addHook({ name: 'cancels on accept', orderChanged: ({ order, to }) => to === 'accepted' && void lifecycle.cancel(order.clientOrderId, 'test') });
    const heard: string[] = [];
    lifecycle.events.on('order:transition', ({ previousStatus, to }) => heard.push(`${previousStatus}→${to}`));
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99.00' }, { timeoutMs: null });
    await settle(2);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(heard).toEqual(['created→validated', 'validated→submitted', 'submitted→accepted', 'accepted→pending_cancel', 'pending_cancel→cancelled']);
    // The journal had them in that order all along.
    expect(trail(lifecycle, order.clientOrderId)).toEqual(['created→validated', 'validated→submitted', 'submitted→accepted', 'accepted→pending_cancel', 'pending_cancel→cancelled']);
    expect(broker.orderReports()[0]?.status).toBe('cancelled');
  });

  it('polls adapters without a stream, through the same code path', async () => {
    const { lifecycle, broker, clock } = setup({ capabilities: { streaming: false } }, { pollIntervalMs: 1_000 });
    broker.dropStream(); // nothing is pushed
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99.00' }, { timeoutMs: null });
    expect(order.status).toBe('accepted');
    broker.setPrice('AAPL', '98.50');
    clock.advance(1_000);
    await settle(1);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
    expect(lifecycle.get(order.clientOrderId)?.averageFillPrice?.toString()).toBe('98.5');
  });

  it('a throwing listener never breaks the lifecycle; the error is reported', async () => {
    const { lifecycle } = setup();
    const errors: TradewireEvents['error'][] = [];
    lifecycle.events.on('error', (e) => errors.push(e));
    lifecycle.events.on('order:filled', () => {
      throw new Error('user bug');
    });
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    expect(order.status).toBe('filled');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.source).toBe('order:filled');
  });

  it('an update the state machine refuses is journaled and reported, not thrown', async () => {
    const { lifecycle } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    const errors: unknown[] = [];
    lifecycle.events.on('error', (e) => errors.push(e.error));
    lifecycle.applyUpdate({ clientOrderId: order.clientOrderId, event: { type: 'replace_requested', at: 1, changes: {} } });
    expect(errors).toHaveLength(1);
    expect(lifecycle.auditTrail({ clientOrderId: order.clientOrderId, kinds: ['note'] })).toHaveLength(1);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
  });

  it('reports updates for orders it does not know', () => {
    const { lifecycle } = setup();
    const unknown: string[] = [];
    lifecycle.events.on('order:unknown_update', (u) => unknown.push(u.clientOrderId));
    lifecycle.applyUpdate({ clientOrderId: 'elsewhere', event: { type: 'accepted', at: 1 } });
    expect(unknown).toEqual(['elsewhere']);
  });

  it('refuses a second order with the same client order id before sending anything', async () => {
    const { lifecycle, broker } = setup();
    await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, clientOrderId: 'mine-1' });
    await expect(lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, clientOrderId: 'mine-1' })).rejects.toMatchObject({ code: 'duplicate_client_order_id' });
    expect(broker.countByClientOrderId('mine-1')).toBe(1);
  });

  it('queries the audit trail by order, symbol, status and time range', async () => {
    const { lifecycle, clock, broker } = setup();
    broker.setPrice('MSFT', '400.00');
    const start = clock.now();
    const a = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    clock.advance(60_000);
    const b = await lifecycle.submit({ symbol: 'MSFT', side: 'buy', quantity: 1, type: 'limit', limitPrice: '300.00' }, { timeoutMs: null });
    expect(lifecycle.auditTrail({ symbol: 'MSFT' }).every((r) => 'symbol' in r && r.symbol === 'MSFT')).toBe(true);
    expect(lifecycle.auditTrail({ status: 'filled' }).map((r) => ('clientOrderId' in r ? r.clientOrderId : ''))).toEqual([a.clientOrderId]);
    expect(lifecycle.auditTrail({ from: start, to: start + 1 }).every((r) => 'clientOrderId' in r && r.clientOrderId === a.clientOrderId)).toBe(true);
    expect(lifecycle.auditTrail({ clientOrderId: b.clientOrderId }).length).toBeGreaterThan(0);
  });
});

describe('a cancel whose request failed on the way', () => {
  const resting = { symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' } as const;
  /** Cancel requests made (a faulted one never reaches `broker.requests`). */
  const counted = (broker: MockBroker): (() => number) => {
    let calls = 0;
    const cancel = broker.cancelOrder.bind(broker);
    broker.cancelOrder = (ref) => {
      calls++;
      return cancel(ref);
    };
    return () => calls;
  };

  it('is asked again on the clock (1 s, then 2 s) until the broker cancels the order, and still counts as the engine’s own', async () => {
    const { lifecycle, broker, clock } = setup();
    const requests = counted(broker);
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'network' }, 2);
    const after = await lifecycle.cancel(order.clientOrderId, 'position closed');
    // The request never arrived: the order works on, and the engine has not given up on its cancel.
    expect(after.status).toBe('accepted');
    expect(lifecycle.cancelRequested(order.clientOrderId)).toBe(true);
    clock.advance(1_000);
    await settle(4);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted'); // the second request failed too
    clock.advance(1_999);
    await settle(4);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    clock.advance(1);
    await settle(4);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(requests()).toBe(3);
    expect(lifecycle.cancelRequested(order.clientOrderId)).toBe(false);
    clock.advance(60_000);
    await settle(4);
    expect(requests()).toBe(3);
  });

  it('a broker that refuses the cancel for good is not asked again', async () => {
    const { lifecycle, broker, clock } = setup();
    const requests = counted(broker);
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: order is not cancelable', { status: 422 }) });
    await lifecycle.cancel(order.clientOrderId);
    clock.advance(120_000);
    await settle(4);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    expect(requests()).toBe(1);
    expect(lifecycle.cancelRequested(order.clientOrderId)).toBe(false);
  });

  it('gives up after nine requests with a critical cancel_failed alert: the order is still working at the broker', async () => {
    const { lifecycle, broker, clock } = setup();
    const alerts: string[] = [];
    lifecycle.events.on('alert', (a) => alerts.push(`${a.severity} ${a.code}`));
    const requests = counted(broker);
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'server_error' }, 20);
    await lifecycle.cancel(order.clientOrderId);
    for (let t = 0; t < 300_000; t += 1_000) {
      clock.advance(1_000);
      await settle(4);
    }
    expect(requests()).toBe(9);
    expect(alerts).toEqual(['critical cancel_failed']);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    expect(lifecycle.cancelRequested(order.clientOrderId)).toBe(false);
  });
});

describe('a cancel asked while the order is being replaced', () => {
  /**
   * A broker that replaces by cancel and create (as OANDA re-creates a trade's stop standalone): once
   * the replace is on its way, the order being replaced is gone, and a cancel asked of it is refused
   * — `refuseAt` says when the refusal answers: before the replace settles, or after.
   */
  class CancelAndCreate extends MockBroker {
    refusal: Promise<void> | undefined;
    override cancelOrder(...args: Parameters<MockBroker['cancelOrder']>): Promise<void> {
      const refusal = this.refusal;
      if (!refusal) return super.cancelOrder(...args);
      this.refusal = undefined;
      return refusal.then(() => Promise.reject(new BrokerError('invalid_order', 'the order was cancelled by its replace', { status: 404 })));
    }
  }

  async function replacing(refuseAfterReplace: boolean) {
    const clock = new ManualClock(Date.UTC(2024, 2, 5, 15, 0));
    const broker = new CancelAndCreate({ clock, replaceIssuesNewId: true });
    broker.setPrice('AAPL', '100.00');
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger });
    lifecycle.start();
    const stop = await lifecycle.submit({ clientOrderId: 'stop-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' }, { timeoutMs: null });
    const first = stop.brokerOrderId!;
    broker.failNext('replaceOrder', { kind: 'slow', ms: 1_000 });
    let refuse!: () => void;
    broker.refusal = new Promise<void>((resolve) => (refuse = resolve));
    const resize = lifecycle.modify('stop-1', { quantity: 20 });
    await settle(4);
    const cancelling = lifecycle.cancel('stop-1', 'position closed');
    await settle(4);
    if (!refuseAfterReplace) refuse();
    await settle(8);
    await clock.advanceAsync(1_000);
    await settle(8);
    if (refuseAfterReplace) refuse();
    await Promise.all([resize, cancelling]);
    await settle(8);
    return { broker, lifecycle, first };
  }

  for (const refuseAfterReplace of [false, true]) {
    it(`the cancel refused for the order being replaced (${refuseAfterReplace ? 'after' : 'before'} the replace answers) is asked of the replacement — before, the replacement worked on, the cancel lost`, async () => {
      const { broker, lifecycle, first } = await replacing(refuseAfterReplace);
      const order = lifecycle.get('stop-1')!;
      expect(order.brokerOrderId).not.toBe(first);
      expect(order.status).toBe('cancelled');
      expect(broker.orderReports().filter((o) => o.status === 'accepted')).toEqual([]);
    });
  }
});

describe('a look-up while the order is being replaced by cancel and create', () => {
  it('the order found cancelled — the replace\'s first step — is not ended: looked up again once the replace settles, it works as its replacement (before, it ended, and the replacement worked unknown)', async () => {
    const { lifecycle, broker, clock } = setup({ replaceGapMs: 500, replaceIssuesNewId: true, capabilities: { nativeOco: true } });
    await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 20 });
    // A pair's leg (a trade's stop at OANDA) is what is re-created.
    const [, stop] = await lifecycle.submitList('oco', [
      { clientOrderId: 'target-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110.00', timeInForce: 'gtc' },
      { clientOrderId: 'stop-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' },
    ], { timeoutMs: null }) as [Order, Order];
    const resize = lifecycle.modify('stop-1', { quantity: 20 });
    await settle(4);
    await lifecycle.syncWorkingOrders();
    expect(lifecycle.get('stop-1')?.status).toBe('pending_replace');
    await clock.advanceAsync(500);
    await resize;
    await settle(8);
    const order = lifecycle.get('stop-1')!;
    expect([order.status, order.quantity.toString()]).toEqual(['accepted', '20']);
    expect(order.brokerOrderId).not.toBe(stop.brokerOrderId);
    expect(broker.orderReports().filter((o) => o.status === 'accepted' && o.clientOrderId === 'stop-1').map((o) => o.brokerOrderId)).toEqual([order.brokerOrderId]);
  });

  it('a replace lost on the way (timed out), its order found cancelled: the order ends here, and the replacement created later is cancelled at the broker (before, it worked on unknown until a reconciliation)', async () => {
    const { lifecycle, broker, clock } = setup({ replaceGapMs: 500, replaceIssuesNewId: true, capabilities: { nativeOco: true } });
    const alerts: string[] = [];
    lifecycle.events.on('alert', (a) => alerts.push(a.code));
    await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 20 });
    await lifecycle.submitList('oco', [
      { clientOrderId: 'target-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110.00', timeInForce: 'gtc' },
      { clientOrderId: 'stop-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' },
    ], { timeoutMs: null });
    broker.failNext('replaceOrder', { kind: 'timeout', reached: true });
    await lifecycle.modify('stop-1', { quantity: 20 });
    expect(lifecycle.get('stop-1')?.status).toBe('cancelled');
    await clock.advanceAsync(500);
    await settle(8);
    expect(alerts).toContain('ended_order_working');
    expect(broker.orderReports().filter((o) => o.clientOrderId === 'stop-1' && o.status === 'accepted')).toEqual([]);
  });

  it('a replace that failed after its cancel took: the order ends cancelled once the replace settles', async () => {
    const { lifecycle, broker, clock } = setup({ replaceIssuesNewId: true });
    await lifecycle.submit({ clientOrderId: 'stop-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' }, { timeoutMs: null });
    // The broker ends the order, unheard, while the replace is on its way (which it then refuses):
    // the look-up in between is held back, the end taken once the replace has failed.
    broker.failNext('replaceOrder', { kind: 'slow', ms: 100 });
    const resize = lifecycle.modify('stop-1', { quantity: 20 });
    broker.dropStream();
    broker.endByBroker({ clientOrderId: 'stop-1' });
    await lifecycle.syncWorkingOrders();
    expect(lifecycle.get('stop-1')?.status).toBe('pending_replace');
    await clock.advanceAsync(100);
    await resize;
    await settle(8);
    expect(lifecycle.get('stop-1')?.status).toBe('cancelled');
  });
});

describe('a send withdrawn by a cancel, whose timed-out attempt lands later', () => {
  /**
   * A limit buy of 10 at `limitPrice` whose first attempt times out without an answer and reaches the
   * broker 5 s later (the look-up finds nothing), cancelled while the send waits to be retried: the
   * retry is withdrawn and the order ends cancelled here. `polling`: a broker with no stream.
   */
  async function withdrawnSend(limitPrice: string, polling: boolean) {
    const clock = new ManualClock(Date.UTC(2024, 2, 5, 15, 0));
    const broker = new MockBroker({ clock, ...(polling ? { capabilities: { streaming: false } } : {}) });
    broker.setPrice('AAPL', '100.00');
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { orderManagement: { pollIntervalMs: 1_000 }, errorHandling: { retries: 2, minDelayMs: 1_000 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } });
    await engine.start();
    if (polling) broker.dropStream(); // nothing is pushed
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    broker.failNext('submitOrder', { kind: 'timeout', landsAfterMs: 5_000 });
    const sending = engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice, timeInForce: 'gtc' }, { timeoutMs: null });
    await settle(8);
    const id = engine.orders.orderList()[0]!.clientOrderId;
    await engine.orders.cancel(id, 'no longer wanted');
    await clock.advanceAsync(1_000);
    await settle(8);
    await sending;
    expect(engine.orders.get(id)?.status).toBe('cancelled');
    expect(broker.orderReports().find((o) => o.clientOrderId === id)).toBeUndefined();
    return { clock, broker, engine, alerts, id };
  }

  it('ends cancelled here; when the broker acknowledges it after all, it is cancelled there too, with an ended_order_working warning', async () => {
    const { clock, broker, engine, alerts, id } = await withdrawnSend('90.00', false);
    // The first attempt lands: the broker works it and says so on the stream.
    await clock.advanceAsync(5_000);
    await settle(8);
    expect(alerts).toContain('ended_order_working');
    expect(broker.orderReports().find((o) => o.clientOrderId === id)?.status).toBe('cancelled');
    expect(engine.orders.get(id)?.status).toBe('cancelled');
    await engine.stop();
  });

  it('with no stream (polling): the landing is found by the next poll — its fill before the cancel is kept (it was never heard: 4 shares bought, none recorded)', async () => {
    const { clock, broker, engine, alerts, id } = await withdrawnSend('100.00', true);
    // The first attempt lands and fills 4 of 10 at once; nothing is pushed.
    broker.setLiquidity('AAPL', 4);
    await clock.advanceAsync(5_000);
    await settle(8);
    expect(broker.orderReports().find((o) => o.clientOrderId === id)?.filledQuantity.toString()).toBe('4');
    await clock.advanceAsync(1_000);
    await settle(8);
    expect(alerts).toContain('ended_order_working');
    expect(broker.orderReports().find((o) => o.clientOrderId === id)?.status).toBe('cancelled');
    expect(engine.orders.get(id)?.filledQuantity.toString()).toBe('4');
    expect(engine.orders.get(id)?.status).toBe('cancelled');
    await engine.stop();
  });
});

describe('stopped and started again in the same process (stop(), then start())', () => {
  const resting = { symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' } as const;

  it('an order ended here that works at the broker, its cancel there refused, fills while stopped: looked up at start — watched until the broker ends it (it stayed cancelled with nothing filled while the broker had filled 10)', async () => {
    const { lifecycle, broker, clock } = setup({ cancelLatencyMs: 100 });
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    // Ended here (a report the broker's later list contradicts), working there; its cancel there is refused.
    lifecycle.applyReport({ ...broker.orderReports()[0]!, status: 'cancelled' });
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    broker.refuseCancels(1);
    await lifecycle.endedButWorking(lifecycle.get(order.clientOrderId)!);
    await clock.advanceAsync(100);
    await settle(8);
    expect(broker.orderReports()[0]?.status).toBe('accepted');
    lifecycle.stop();
    broker.setPrice('AAPL', '94.00');
    await settle(4);
    expect(broker.orderReports()[0]?.status).toBe('filled');
    lifecycle.start();
    await settle(8);
    expect(lifecycle.get(order.clientOrderId)?.filledQuantity.toString()).toBe('10');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
    expect(lifecycle.ordersToConfirm()).toEqual([]); // ended there: watched no more
  });

  it('what the broker did while stopped is looked up at start: a stop that filled meanwhile is filled, its fills kept', async () => {
    const { lifecycle, broker } = setup();
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    lifecycle.stop();
    broker.setPrice('AAPL', '94.00');
    await settle(4);
    expect(broker.orderReports().find((o) => o.clientOrderId === order.clientOrderId)?.status).toBe('filled');
    // Unheard while stopped.
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    lifecycle.start();
    await settle(8);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('filled');
    expect(lifecycle.get(order.clientOrderId)?.filledQuantity.toString()).toBe('10');
  });

  it("each working order's timeout is armed again at start, counted from its send", async () => {
    const { lifecycle, clock } = setup();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90.00' }, { timeoutMs: 60_000 });
    lifecycle.stop();
    clock.advance(30_000);
    lifecycle.start();
    await settle(8);
    clock.advance(29_999);
    await settle(4);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    clock.advance(1);
    await settle(8);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
  });

  it('a cancel whose retry the stop held back is asked again after start — not left working for good', async () => {
    const { lifecycle, broker, clock } = setup();
    const order = await lifecycle.submit(resting, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'network' }, 1);
    await lifecycle.cancel(order.clientOrderId, 'position closed');
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('accepted');
    lifecycle.stop();
    clock.advance(60_000);
    await settle(4);
    // Nothing is sent while stopped.
    expect(broker.orderReports().find((o) => o.clientOrderId === order.clientOrderId)?.status).toBe('accepted');
    lifecycle.start();
    await settle(8);
    clock.advance(1_000);
    await settle(8);
    expect(lifecycle.get(order.clientOrderId)?.status).toBe('cancelled');
    expect(broker.orderReports().find((o) => o.clientOrderId === order.clientOrderId)?.status).toBe('cancelled');
  });
});

describe('requests a dead process journaled (resumeRequests, called by recover())', () => {
  /** A stop and a target the process placed before it died. */
  async function stopAndTargetOfADeadProcess() {
    const { lifecycle: before, broker, clock } = setup();
    const stop = await before.submit({ clientOrderId: 'stop-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95.00', timeInForce: 'gtc' }, { timeoutMs: null });
    const target = await before.submit({ clientOrderId: 'target-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110.00', timeInForce: 'gtc' }, { timeoutMs: null });
    before.stop();
    return { broker, clock, stop, target };
  }

  /** The restarted process's lifecycle, on the same broker. */
  function restarted(broker: MockBroker, clock: ManualClock): OrderLifecycleManager {
    const after = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(100), logger: silentLogger });
    after.start();
    return after;
  }

  it('an order restored pending cancel that the broker still works has its cancel sent again; one pending replace goes back to what the broker has', async () => {
    const { broker, clock, stop, target } = await stopAndTargetOfADeadProcess();
    // The dead process had marked them (journaled) and died before its requests left.
    const after = restarted(broker, clock);
    after.restore({ ...stop, status: 'pending_cancel' });
    after.restore({ ...target, status: 'pending_replace' });
    await after.resumeRequests();
    await settle(4);
    expect(broker.orderReports().find((o) => o.clientOrderId === 'stop-1')?.status).toBe('cancelled');
    expect(after.get('stop-1')?.status).toBe('cancelled');
    expect(after.get('target-1')?.status).toBe('accepted');
    expect(after.get('target-1')?.errorMessage).toMatch(/not confirmed/);
  });

  it('an order whose replace was on its way, found ended, is watched for the replacement landing late — kept by a checkpoint (before, a checkpoint dropped it and the late replacement worked unknown)', async () => {
    const { broker, clock, stop, target } = await stopAndTargetOfADeadProcess();
    // A broker that replaces by cancel and create: the stop's cancel landed, its create is still on the
    // wire. The target's cancel landed too (a plain cancel: nothing else to come).
    broker.endByBroker({ clientOrderId: 'stop-1' });
    broker.endByBroker({ clientOrderId: 'target-1' });
    const after = restarted(broker, clock);
    after.restore({ ...stop, status: 'pending_replace' });
    after.restore({ ...target, status: 'pending_cancel' });
    await after.syncWorkingOrders();
    expect([after.get('stop-1')?.status, after.get('target-1')?.status]).toEqual(['cancelled', 'cancelled']);
    await after.resumeRequests(new Map([['stop-1', 'replace'], ['target-1', 'cancel']]));
    const kept = after.checkpointEntries(clock.now());
    expect(kept.filter((e) => e.kind === 'order.created').map((e) => e.clientOrderId)).toEqual(['stop-1']);
    expect(kept.filter((e) => e.kind === 'note').map((e) => [e.topic, e.clientOrderId])).toEqual([['orders.withdrawn', 'stop-1']]);
    // The journal says so too: a restart before any checkpoint watches it as well.
    expect(after.auditTrail({ clientOrderId: 'stop-1', kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''))).toContain('orders.withdrawn');
  });

  it('a cancel whose retry the dead process journaled is asked again of an order being resized meanwhile, and of one left pending replace — before, both were skipped and the order worked on', async () => {
    const { broker, clock, stop, target } = await stopAndTargetOfADeadProcess();
    const after = restarted(broker, clock);
    after.restore(stop);
    after.restore({ ...target, status: 'pending_replace' });
    // Protection, taking the stop back, resizes it to the position as the restart asks its requests again.
    broker.setLatency(1_000);
    broker.setStreamLatency(1_000);
    const resizing = after.modify('stop-1', { quantity: 9 });
    await settle(4);
    expect(after.get('stop-1')?.status).toBe('pending_replace');
    const retry = new Map([['stop-1', 'halted: drill'], ['target-1', 'position closed']]);
    const resumed = after.resumeRequests(new Map([['target-1', 'replace']]), retry);
    await clock.advanceAsync(5_000);
    await Promise.all([resumed, resizing.catch(() => undefined)]);
    await clock.advanceAsync(5_000);
    for (const id of ['stop-1', 'target-1']) {
      expect(broker.orderReports().find((o) => o.clientOrderId === id)?.status).toBe('cancelled');
      expect(after.get(id)?.status).toBe('cancelled');
    }
  });
});

describe("a submit's options that are not what they should be", () => {
  it('a timeout that is not a number of milliseconds, or an onCreated that is not a function, is a ValidationError and nothing is registered or sent — before, a timeout of "5s" armed a timer that cancelled the order at once', async () => {
    const { lifecycle, broker } = setup();
    const request = { symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' } as const;
    for (const options of [{ timeoutMs: '5s' }, { timeoutMs: -1 }, { timeoutMs: Number.NaN }, { onCreated: 'log' }]) {
      await expect(lifecycle.submit(request, options as never)).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: Object.keys(options)[0] }] });
    }
    expect(lifecycle.orderList()).toEqual([]);
    expect(broker.orderReports()).toEqual([]);
    // null options are no options; null timeout rests the order.
    const resting = await lifecycle.submit(request, null as never);
    expect(resting.status).toBe('accepted');
    expect((await lifecycle.submit(request, { timeoutMs: null })).status).toBe('accepted');
  });
});
