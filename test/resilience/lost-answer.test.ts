import { BrokerError, createOrder, type EngineConfig, ExecutionEngine, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

/**
 * An entry whose answer was lost (the request timed out after the broker took it) and whose
 * look-up by client order id failed too: the engine cannot know, so the order is `failed` — and the
 * broker's word, whenever it comes (the stream's replay, a reconciliation), brings it back. The
 * position must then be the broker's, protected, with nothing sent twice.
 */
async function setup(config: EngineConfig = {}, reached = true) {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // Monday 11:00 EDT
  const broker = new MockBroker({ clock, initialCash: 1_000_000 });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    protection: true,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000, ...config },
  });
  await engine.start();
  broker.setPrice('AAPL', '100');
  engine.updatePrice('AAPL', '100');
  await settle(8);
  const signal: Signal = { id: 'lost-1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'p' };
  const alerts: string[] = [];
  engine.on('alert', (a) => alerts.push(a.code));
  // The answer is lost and so is the stream's report of the fill; the look-up fails on the network.
  broker.dropStream();
  broker.failNext('submitOrder', { kind: 'timeout', reached });
  // Every look-up fails while the send is decided (however many the retries make), then works again.
  const lookUp = broker.getOrder.bind(broker);
  let lookUpsDown = true;
  broker.getOrder = (ref) => (lookUpsDown ? Promise.reject(new BrokerError('network_error', 'mock broker: connection reset', { mayHaveReachedBroker: false })) : lookUp(ref));
  // The engine's retries wait on its clock: time is moved until the decision is in.
  const deciding = engine.executeSignal(signal);
  let decided = false;
  void deciding.then(() => (decided = true));
  for (let i = 0; i < 600 && !decided; i++) {
    clock.advance(100);
    await settle(4);
  }
  const decision = await deciding;
  lookUpsDown = false;
  await settle(8);
  const entryId = decision.kind === 'executed' ? decision.order.clientOrderId : undefined;
  const working = () => broker.orderReports().filter((o) => ['accepted', 'partially_filled', 'pending_cancel'].includes(o.status));
  return { clock, broker, engine, signal, decision, entryId: entryId!, alerts, working };
}

describe('an entry whose answer and look-up were both lost', () => {
  it('is failed until the broker speaks; the stream reconnecting finds it filled, the position is protected, nothing is sent twice', async () => {
    const { broker, engine, decision, entryId, working } = await setup();
    expect(decision.kind).toBe('executed');
    expect(engine.orders.get(entryId)?.status).toBe('failed');
    // The engine holds nothing it can prove; the broker holds the shares.
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('10');

    broker.restoreStream();
    await settle(10);
    const entry = engine.orders.get(entryId)!;
    expect(entry.status).toBe('filled');
    expect(entry.filledQuantity.toString()).toBe('10');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    // Protected as any fill is: one stop of the position's size, one target.
    const protection = engine.protection!.protectionOf('AAPL')!;
    expect(protection.stop?.quantity.toString()).toBe('10');
    expect(working().filter((o) => o.type === 'stop')).toHaveLength(1);
    // One entry at the broker under one client order id: the failure was never "fixed" by resending.
    expect(broker.countByClientOrderId(entryId)).toBe(1);
    expect(broker.orderReports().filter((o) => o.side === 'buy')).toHaveLength(1);
  });

  it('a reconciliation finds it while the stream is still down: the same order, filled, and protected', async () => {
    const { broker, engine, entryId, working, alerts } = await setup();
    expect(engine.orders.get(entryId)?.status).toBe('failed');
    expect(alerts).toContain('order_in_doubt');
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual([entryId]);
    const report = await engine.reconcile();
    await settle(10);
    // Looked up before positions are compared: found, not a mismatch adopted without its order.
    expect(report.ordersFoundAtBroker).toEqual([entryId]);
    expect(report.positionMismatches).toEqual([]);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    expect(engine.orders.get(entryId)?.status).toBe('filled');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(engine.protection!.protectionOf('AAPL')?.stop?.quantity.toString()).toBe('10');
    expect(working().filter((o) => o.type === 'stop')).toHaveLength(1);
    expect(broker.countByClientOrderId(entryId)).toBe(1);
  });

  it('the same signal sent again while the entry is failed is refused as a duplicate, not sent a second time', async () => {
    const { broker, engine, signal, entryId } = await setup();
    const again = await engine.executeSignal(signal);
    expect(again.kind === 'rejected' && again.reasons.map((r) => r.code)).toEqual(['duplicate_signal']);
    expect(engine.orders.get(entryId)?.status).toBe('failed');
    expect(broker.orderReports().filter((o) => o.side === 'buy')).toHaveLength(1);
  });

  it('the broker never got it: a look-up a minute after says so, and the order is in doubt no more (still failed, nothing held) — sooner, a request that timed out may still be on its way', async () => {
    const { broker, engine, entryId, clock } = await setup({}, false);
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual([entryId]);
    expect((await engine.reconcile()).ordersFoundAtBroker).toEqual([]);
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual([entryId]);
    clock.advance(60_000);
    const report = await engine.reconcile();
    expect(report.ordersFoundAtBroker).toEqual([]);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    expect(engine.orders.get(entryId)?.status).toBe('failed');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.countByClientOrderId(entryId)).toBe(0);
  });

  it('is looked for a day, then left to the position check', async () => {
    const { clock, engine, entryId } = await setup({}, false);
    clock.advance(86_399_000);
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual([entryId]);
    clock.advance(2_000);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
  });

  it('past the day, unanswered: a reconciliation that finds the position differs asks for it first — its fill is the order’s own, not an adopted position with the order left failed (found by the network search)', async () => {
    const { clock, engine, broker, entryId } = await setup();
    clock.advance(86_401_000);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    expect(engine.orders.ordersUnanswered('AAPL').map((o) => o.clientOrderId)).toEqual([entryId]);
    expect(engine.orders.ordersUnanswered('MSFT')).toEqual([]);
    const report = await engine.reconcile();
    await settle(8);
    expect(report.ordersFoundAtBroker).toContain(entryId);
    expect(report.action).toBe('none');
    expect([engine.orders.get(entryId)?.status, engine.orders.get(entryId)?.filledQuantity.toString()]).toEqual(['filled', '10']);
    // The fill is the order's (and the signal's): no adoption.
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(engine.positions.get('AAPL')?.fills.map((f) => f.clientOrderId)).toEqual([entryId]);
    expect(engine.positions.get('AAPL')?.signalId).toBe('lost-1');
    expect(engine.orders.ordersUnanswered('AAPL')).toEqual([]);
    expect(broker.countByClientOrderId(entryId)).toBe(1);
  });

  it('past the day, unanswered and still not found when the position differs (the difference is someone else’s): the broker’s position is adopted and the order forgotten', async () => {
    const { clock, engine, broker, entryId } = await setup({}, false);
    clock.advance(86_401_000);
    await broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 3, clientOrderId: 'app-1' }, { clock, ids: sequentialIds() }));
    const report = await engine.reconcile();
    expect(report.action).toBe('adopted');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('3');
    expect(engine.orders.get(entryId)?.status).toBe('failed');
    expect(engine.orders.ordersUnanswered('AAPL')).toEqual([]);
  });

  /** A started engine on a broker with native OCO and brackets, quoting AAPL at 100. */
  async function startedWithNativeLists(): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine }> {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000, capabilities: { nativeOco: true, nativeBracket: true } });
    broker.setPrice('AAPL', '100');
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null } } });
    await engine.start();
    return { clock, broker, engine };
  }

  /**
   * Sends the bracket `requests` with the stream down, its answer lost and every look-up failing on
   * the way, until the send gives up: every order failed. `lookUpsBack` lets look-ups through again.
   */
  async function lostBracket(clock: ManualClock, broker: MockBroker, engine: ExecutionEngine, requests: Parameters<ExecutionEngine['orders']['submitList']>[1]) {
    broker.dropStream();
    broker.failNext('submitOrder', { kind: 'timeout', reached: true });
    const lookUp = broker.getOrder.bind(broker);
    let lookUpsDown = true;
    broker.getOrder = (ref) => (lookUpsDown ? Promise.reject(new BrokerError('network_error', 'mock broker: connection reset')) : lookUp(ref));
    const sending = engine.orders.submitList('bracket', requests);
    let sent = false;
    void sending.then(() => (sent = true));
    for (let i = 0; i < 600 && !sent; i++) {
      clock.advance(100);
      await settle(4);
    }
    return { orders: await sending, lookUpsBack: () => (lookUpsDown = false) };
  }

  it('a native bracket whose answer and look-up were lost: every leg failed and in doubt, found through its parent on reconnect', async () => {
    const { clock, broker, engine } = await startedWithNativeLists();
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    const { orders, lookUpsBack } = await lostBracket(clock, broker, engine, [
      { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99', timeInForce: 'gtc' },
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
    ]);
    expect(orders.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual(['entry', 'tp', 'sl']);
    expect(alerts.filter((code) => code === 'order_in_doubt')).toHaveLength(1);

    lookUpsBack();
    broker.restoreStream();
    await settle(10);
    expect(['entry', 'tp', 'sl'].map((id) => engine.orders.get(id)?.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    broker.setPrice('AAPL', '98.5');
    await settle(10);
    expect(engine.orders.get('entry')?.status).toBe('filled');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(broker.countByClientOrderId('entry')).toBe(1);
  });

  it('a native bracket lost the same way whose entry filled and whose target filled before the look-ups came back: the parent, reported alone once filled, leaves its legs to be asked for by their own ids — the target\'s fill is found, not left failed while the broker sold the shares', async () => {
    const { clock, broker, engine } = await startedWithNativeLists();
    const { orders, lookUpsBack } = await lostBracket(clock, broker, engine, [
      { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10, type: 'market' },
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '103', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
    ]);
    expect(orders.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
    broker.setPrice('AAPL', '104'); // the entry filled at 100 at once; now the target fills, the broker cancels the stop
    await settle(6);
    expect(broker.orderReports().find((o) => o.clientOrderId === 'tp')?.status).toBe('filled');
    lookUpsBack();
    broker.restoreStream();
    await settle(10);
    expect(['entry', 'tp', 'sl'].map((id) => [engine.orders.get(id)?.status, engine.orders.get(id)?.filledQuantity.toString()])).toEqual([
      ['filled', '10'],
      ['filled', '10'],
      ['cancelled', '0'],
    ]);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('a native OCO whose send timed out, to land 5 s later: not found by the first look-ups, it stays in doubt through the landing window (as one order does) — looked up once it has landed, its legs and fills are its own', async () => {
    const { clock, broker, engine } = await startedWithNativeLists();
    await engine.orders.submit({ clientOrderId: 'held', symbol: 'AAPL', side: 'buy', quantity: 10 });
    await settle(6);
    broker.dropStream();
    broker.failNext('submitOrder', { kind: 'timeout', reached: true, landsAfterMs: 5_000 });
    const sending = engine.orders.submitList('oco', [
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '101', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
    ]);
    await settle(6);
    // The send timed out and the look-up of its parent found nothing (it has not landed yet).
    expect((await sending).map((o) => o.status)).toEqual(['failed', 'failed']);
    expect((await engine.reconcile()).ordersFoundAtBroker).toEqual([]);
    // Before: that first "not found" took the list out of doubt at once — its landing went unseen.
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual(['tp', 'sl']);
    clock.advance(5_000);
    broker.setPrice('AAPL', '101.5'); // it has landed: the target fills, the broker cancels the stop
    await settle(6);
    broker.restoreStream();
    await settle(10);
    await engine.reconcile();
    expect(['tp', 'sl'].map((id) => [engine.orders.get(id)?.status, engine.orders.get(id)?.filledQuantity.toString()])).toEqual([
      ['filled', '10'],
      ['cancelled', '0'],
    ]);
    expect(engine.orders.ordersInDoubt()).toEqual([]);
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('a cancel (the kill switch) asked while a send waits to be retried: the retry is never sent, the order ends cancelled', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    broker.setPrice('AAPL', '100');
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null } } });
    await engine.start();
    engine.updatePrice('AAPL', '100');
    broker.failNext('submitOrder', { kind: 'server_error' });
    const deciding = engine.executeSignal({ id: 'k-1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'p' });
    await settle(8);
    // The first attempt failed; the retry waits on the clock. The operator pulls the kill switch.
    await engine.orders.cancelAll('kill switch');
    for (let i = 0; i < 100; i++) {
      clock.advance(250);
      await settle(4);
    }
    const decision = await deciding;
    const id = decision.kind === 'executed' ? decision.order.clientOrderId : '';
    expect(engine.orders.get(id)?.status).toBe('cancelled');
    expect(broker.countByClientOrderId(id)).toBe(0);
    expect(broker.positionReports()).toEqual([]);
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });
});
