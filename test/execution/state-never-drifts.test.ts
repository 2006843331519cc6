import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  alwaysOpenMarket,
  applyOrderEvent,
  BrokerError,
  createOrder,
  Decimal,
  type EngineConfig,
  ExecutionEngine,
  FileJournal,
  InMemoryJournal,
  MarketStateManager,
  type OrderEvent,
  type Order,
  OrderLifecycleManager,
  positionsFromJournal,
  replayJournal,
  type Signal,
  silentLogger,
} from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions, sequentialIds, settle as settleIo } from 'tradewire/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';

const settle = (): Promise<void> => settleIo(8);

function engineOn(broker: MockBroker, clock: ManualClock, config: EngineConfig = {}, extra: Partial<ConstructorParameters<typeof ExecutionEngine>[0]> = {}): ExecutionEngine {
  return new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    market: alwaysOpenMarket,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000, ...config },
    ...extra,
  });
}

/** A started engine on a mock broker quoting AAPL at 100 (the engine told the price too). */
async function startedOnAapl(extra: Partial<ConstructorParameters<typeof ExecutionEngine>[0]> = {}): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine }> {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1_000_000 });
  broker.setPrice('AAPL', '100');
  const engine = engineOn(broker, clock, {}, extra);
  await engine.start();
  engine.updatePrice('AAPL', '100');
  return { clock, broker, engine };
}

/** The same on a broker with native OCO and bracket orders. */
async function startedWithNativeLists(): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine }> {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1_000_000, capabilities: { nativeOco: true, nativeBracket: true } });
  broker.setPrice('AAPL', '100');
  const engine = engineOn(broker, clock);
  await engine.start();
  return { clock, broker, engine };
}

let n = 0;
const signal = (clock: ManualClock, s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x', ...s });

describe('the mock broker behaves like a broker with reduce-only', () => {
  it('refuses a reduce-only order with nothing to reduce, and trims one larger than the position', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, orderTimeoutMs: null });
    orders.start();
    const naked = await orders.submit({ symbol: 'AAPL', side: 'sell', quantity: 5, reduceOnly: true });
    expect(naked.status).toBe('rejected');
    expect(naked.errorMessage).toMatch(/no position to reduce/);
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 3 });
    const oversized = await orders.submit({ symbol: 'AAPL', side: 'sell', quantity: 5, reduceOnly: true });
    expect([oversized.status, oversized.filledQuantity.toString(), oversized.errorMessage]).toEqual(['cancelled', '3', 'reduce-only: nothing left to reduce']);
    expect(broker.positionReports()).toEqual([]);
  });

  it('with reduceOnly: "ignore" (a broker without the flag) an oversized sell opens a short, as it would there', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock, reduceOnly: 'ignore' });
    broker.setPrice('AAPL', '100');
    const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, orderTimeoutMs: null });
    orders.start();
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 3 });
    await orders.submit({ symbol: 'AAPL', side: 'sell', quantity: 5, reduceOnly: true });
    expect(broker.positionReports().map((p) => p.quantity.toString())).toEqual(['-2']);
  });
});

describe('internal state is not kept by listeners on the public bus', () => {
  it('hosts get subscribe-only events: there is no emit and no removeAllListeners to unplug the engine', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    const engine = engineOn(broker, clock);
    expect(Object.keys(engine.events).sort()).toEqual(['listenerCount', 'next', 'off', 'on', 'once']);
    expect(Object.keys(engine.orders.events).sort()).toEqual(['listenerCount', 'next', 'off', 'on', 'once']);
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    // A host's listener that throws does not stop the engine's bookkeeping.
    engine.on('order:filled', () => {
      throw new Error('host bug');
    });
    await engine.executeSignal(signal(clock));
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
  });

  it('an internal update that fails is journaled, raised as a critical alert, and halts trading', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    const journal = new InMemoryJournal();
    const engine = engineOn(broker, clock, {}, { journal });
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    engine.positions.addHook({
      name: 'host-plugin',
      positionChanged: () => {
        throw new Error('cannot keep up');
      },
    });
    await engine.executeSignal(signal(clock));
    await settle();
    expect(alerts).toContain('internal_failure');
    expect(engine.tradingState).toBe('HALTED');
    expect(journal.query({ kinds: ['note'] }).some((r) => r.kind === 'note' && r.topic === 'engine.internal_failure')).toBe(true);
    // The hooks before it did their work: the position is current.
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect((await engine.executeSignal(signal(clock))).kind).toBe('rejected');
  });

  it('reconciliation adopts through the position state table, announced with reason "reconciled"', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    const engine = engineOn(broker, clock);
    await engine.start();
    broker.setPrice('AAPL', '100');
    const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(100), logger: silentLogger });
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 7 }); // placed outside this engine
    const reasons: string[] = [];
    engine.on('position:updated', ({ reason }) => reasons.push(reason));
    const report = await engine.reconcile();
    expect(report.action).toBe('adopted');
    expect(reasons).toContain('reconciled');
    expect(engine.positions.get('AAPL')).toMatchObject({ state: 'OPEN', side: 'long' });
  });
});

describe('a host that acts inside its listeners', () => {
  it("cancelling an order in its own order:accepted listener: the host hears accepted's transition before the cancel's, and ends where the engine is", async () => {
    const { engine } = await startedOnAapl();
    const heard: string[] = [];
    engine.on('order:transition', ({ previousStatus, to }) => heard.push(`${previousStatus}→${to}`));
    let cancelling: Promise<unknown> | undefined;
    engine.once('order:accepted', ({ order }) => {
      cancelling = engine.orders.cancel(order.clientOrderId);
    });
    // A limit far from the market: it rests, then is cancelled.
    const order = await engine.orders.submit({ clientOrderId: 'host-1', symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90' });
    await cancelling;
    await settle();
    // Each transition starts where the last one ended (the cancel's came first, before the fix).
    expect(heard).toEqual(['created→validated', 'validated→submitted', 'submitted→accepted', 'accepted→pending_cancel', 'pending_cancel→cancelled']);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('cancelled');
  });
});

describe('a reconciliation that finds a position on the other side', () => {
  it('a host sending a signal from its order:cancelled listener while the reconciliation closes the long to adopt the broker\'s short (the stop cancelled with it): one position for the symbol, not two (found by the network search)', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    broker.setPrice('AAPL', '100');
    const engine = engineOn(broker, clock, { allowShorting: true }, { protection: true });
    await engine.start();
    engine.updatePrice('AAPL', '100');
    const app = (side: 'buy' | 'sell', quantity: number, id: string) => broker.submitOrder(createOrder({ clientOrderId: id, symbol: 'AAPL', side, quantity }, { clock, ids: sequentialIds() }));
    await app('buy', 1, 'app-1');
    await engine.reconcile();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('1');
    // A buy refused (already long): the engine knows the asset now, so a signal decides without waiting.
    expect((await engine.executeSignal({ id: 'again', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' })).kind).toBe('rejected');
    await app('sell', 2, 'app-2'); // the broker is short 1 now
    let sent: Promise<unknown> | undefined;
    engine.once('order:cancelled', () => {
      sent = engine.executeSignal({ id: 'from-listener', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'x' });
    });
    await engine.reconcile();
    expect((await sent as { kind: string }).kind).toBe('executed');
    await settle();
    expect(engine.positions.list().filter((p) => p.symbol === 'AAPL').map((p) => `${p.side} ${p.quantity.toString()}`)).toHaveLength(1);
    await engine.reconcile();
    await settle();
    const open = engine.positions.list().filter((p) => p.symbol === 'AAPL');
    expect(open.map((p) => `${p.side} ${p.quantity.toString()}`)).toEqual(['short 11']);
    expect(broker.positionReports().map((p) => p.quantity.toString())).toEqual(['-11']);
  });
});

describe('a cancel the broker did not take', () => {
  /** A resting limit, and its cancel answered by a broker that then keeps the order working (the cancel lost on its side). */
  async function cancelLost(): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine; id: string }> {
    const { clock, broker, engine } = await startedOnAapl();
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' }, { timeoutMs: null });
    await settle();
    const cancel = broker.cancelOrder.bind(broker);
    broker.cancelOrder = async () => {
      broker.cancelOrder = cancel; // only this one is lost
    };
    await engine.orders.cancel(order.clientOrderId, 'host');
    await settle();
    expect([engine.orders.get(order.clientOrderId)?.status, broker.orderReports()[0]?.status]).toEqual(['pending_cancel', 'accepted']);
    return { clock, broker, engine, id: order.clientOrderId };
  }
  const cancelsSent = (broker: MockBroker): number => broker.requests.filter((r) => r.method === 'cancelOrder').length;

  /** The kill switch's cancel-all fails, and the order's own cancel after it is refused. */
  const refuseHaltCancel = (broker: MockBroker): void => {
    broker.failNext('cancelAllOrders', { kind: 'server_error' });
    broker.failNext('cancelOrder', { kind: 'error', error: new BrokerError('order_not_cancelable', 'mock broker: order is not cancelable now', { status: 422 }) });
  };

  /** Five minutes on: no cancel asked since `before`, and the order works at 4 — here and at the broker. */
  async function expectWorkingAt4(clock: ManualClock, broker: MockBroker, engine: ExecutionEngine, order: Order, before: number): Promise<void> {
    for (let i = 0; i < 5; i++) await clock.advanceAsync(60_000);
    expect(cancelsSent(broker)).toBe(before);
    expect(engine.orders.get(order.clientOrderId)).toMatchObject({ status: 'accepted', quantity: new Decimal(4) });
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.quantity.toString())).toEqual(['4']);
  }

  /** A resting limit on a broker whose cancels take a minute (pending cancel meanwhile). */
  const restingWithSlowCancels = (): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine; order: Order }> => resting(60_000);

  /** A resting limit (buy 5 at 90, the price 100) on a broker whose cancels take `cancelLatencyMs` (and `brokerOptions`). */
  async function resting(cancelLatencyMs: number, extra: Partial<ConstructorParameters<typeof ExecutionEngine>[0]> = {}, brokerOptions: Partial<MockBrokerOptions> = {}): Promise<{ clock: ManualClock; broker: MockBroker; engine: ExecutionEngine; order: Order }> {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, cancelLatencyMs, ...brokerOptions });
    broker.setPrice('AAPL', '100');
    const engine = engineOn(broker, clock, {}, extra);
    await engine.start();
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' }, { timeoutMs: null });
    await settle();
    return { clock, broker, engine, order };
  }

  it('a reconciliation that finds the order still working there a while after the cancel asks the cancel again — the order stayed pending cancel here and working at the broker for good', async () => {
    const { clock, broker, engine, id } = await cancelLost();
    clock.advance(10_000);
    await engine.reconcile();
    await settle();
    expect(broker.orderReports()[0]?.status).toBe('cancelled');
    expect(engine.orders.get(id)?.status).toBe('cancelled');
  });

  it('one right after the cancel does not send it twice (the broker may not have got to it yet)', async () => {
    const { broker, engine, id } = await cancelLost();
    const before = cancelsSent(broker);
    await engine.reconcile();
    await settle();
    expect(cancelsSent(broker)).toBe(before);
    expect(engine.orders.get(id)?.status).toBe('pending_cancel');
  });

  it('the look-up that finds it still working brings a fill heard late (the stream down): the cancel is asked again all the same — the fill, the order\'s last change, was taken for a cancel just asked, and the order worked on for good (found by the crash search)', async () => {
    const { clock, broker, engine, id } = await cancelLost();
    broker.dropStream();
    broker.setLiquidity('AAPL', 2);
    broker.setPrice('AAPL', '89'); // 2 of the 5 fill, unheard
    clock.advance(10_000);
    const before = cancelsSent(broker);
    await engine.reconcile();
    await settle();
    expect(engine.orders.get(id)?.filledQuantity.toString()).toBe('2');
    expect(engine.orders.get(id)?.cancelRequestedAt).toBe(clock.now() - 10_000);
    expect(cancelsSent(broker)).toBe(before + 1);
    expect(broker.orderReports()[0]?.status).toBe('cancelled');
    broker.restoreStream();
    await engine.reconcile();
    await settle();
    expect(engine.orders.get(id)).toMatchObject({ status: 'cancelled', filledQuantity: new Decimal(2) });
  });

  it("a pending cancel heard from the broker (its app's) that the broker then refused, unheard: the order is working again here, and the engine does not cancel it", async () => {
    const { clock, broker, engine, order } = await restingWithSlowCancels();
    await broker.cancelOrder({ clientOrderId: order.clientOrderId }); // in the broker's app
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('pending_cancel');
    broker.dropStream();
    expect(broker.refuseCancel({ clientOrderId: order.clientOrderId })).toBe(true);
    clock.advance(10_000);
    const before = cancelsSent(broker);
    await engine.reconcile();
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    expect(broker.orderReports()[0]?.status).toBe('accepted');
    expect(cancelsSent(broker)).toBe(before);
  });

  it('the kill switch with cancelOpen, its cancels refused by the broker: asked again until the orders end — a refused entry worked (and could fill) through the halt', async () => {
    const { clock, broker, engine, order } = await restingWithSlowCancels();
    broker.refuseCancels(2);
    await engine.halt({ reason: 'desk', cancelOpen: true });
    for (let i = 0; i < 30; i++) await clock.advanceAsync(60_000);
    expect(broker.orderReports()[0]?.status).toBe('cancelled');
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('cancelled');
  });

  it('trading resumed: the halt\'s refused cancels are asked no more (a stop still working is protection\'s again)', async () => {
    const { clock, broker, engine, order } = await restingWithSlowCancels();
    broker.refuseCancels(1_000);
    await engine.halt({ reason: 'desk', cancelOpen: true });
    await clock.advanceAsync(60_000); // the cancel-all, refused once pending a minute
    await clock.advanceAsync(1_500);
    expect(cancelsSent(broker)).toBe(1); // asked again (this one order) a second later
    engine.resume();
    const asked = cancelsSent(broker);
    for (let i = 0; i < 10; i++) await clock.advanceAsync(60_000);
    expect(cancelsSent(broker)).toBe(asked);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
  });

  it("the kill switch's cancel refused while the look-up that follows is slow, trading resumed meanwhile, the order resized (a new broker id) as the refusal is recorded: the cancel is not asked of the replacement — asked, it cancelled a stop protection had taken back (resized as it worked again), long after the resume (found by the crash search)", async () => {
    const { clock, broker, engine, order } = await resting(0, {}, { replaceIssuesNewId: true });
    // The cancel-all fails, the order's own cancel is refused, and the look-up that follows the refusal answers late.
    refuseHaltCancel(broker);
    const lookUp = broker.getOrder.bind(broker);
    let answer: () => void = () => undefined;
    broker.getOrder = (ref) => new Promise((resolve) => (answer = () => resolve(lookUp(ref))));
    const halting = engine.halt({ reason: 'desk', cancelOpen: true });
    await settle();
    engine.resume();
    broker.getOrder = lookUp;
    // The refusal, recorded once the look-up answers, has the order working again: the host resizes it at once.
    let resizing: Promise<unknown> | undefined;
    engine.on('order:transition', ({ previousStatus, to }) => {
      if (previousStatus === 'pending_cancel' && to === 'accepted') resizing ??= engine.orders.modify(order.clientOrderId, { quantity: new Decimal(4) });
    });
    const before = cancelsSent(broker);
    answer();
    await halting;
    await resizing;
    await settle();
    await expectWorkingAt4(clock, broker, engine, order, before);
  });

  it("the kill switch's cancel refused while the order's replace travels, trading resumed before the replace answers: the cancel is not asked of the replacement once the replace settles — asked, it cancelled an order the resume had handed back, long after", async () => {
    const { clock, broker, engine, order } = await resting(0, {}, { replaceIssuesNewId: true });
    // The host resizes the order; the replace's answer is held.
    const replaceAt = broker.replaceOrder.bind(broker);
    let answer: () => void = () => undefined;
    broker.replaceOrder = (o, changes) => new Promise((resolve, reject) => (answer = () => void replaceAt(o, changes).then(resolve, reject)));
    const resizing = engine.orders.modify(order.clientOrderId, { quantity: new Decimal(4) });
    await settle();
    // The halt's cancel-all fails and the order's own cancel is refused (the replace is on its way).
    refuseHaltCancel(broker);
    await engine.halt({ reason: 'desk', cancelOpen: true });
    await settle();
    engine.resume();
    const before = cancelsSent(broker);
    answer();
    await resizing;
    await settle();
    await expectWorkingAt4(clock, broker, engine, order, before);
  });

  it("the kill switch's cancel lost on the way, trading resumed: the reconciliation that finds the order working takes it back as working — asked again, the cancel took an order the resume had handed back", async () => {
    const { clock, broker, engine, order } = await resting(0);
    const cancelAll = broker.cancelAllOrders.bind(broker);
    broker.cancelAllOrders = async () => {
      broker.cancelAllOrders = cancelAll; // only this one is lost
    };
    await engine.halt({ reason: 'desk', cancelOpen: true });
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('pending_cancel');
    engine.resume();
    clock.advance(10_000);
    await engine.reconcile();
    await settle();
    expect(cancelsSent(broker) + broker.requests.filter((r) => r.method === 'cancelAllOrders').length).toBe(0);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    expect(broker.orderReports()[0]?.status).toBe('accepted');
  });

  it("a host's own cancel-all wanted until the orders end is not the kill switch's, whatever its reason says: a halt lifted meanwhile does not let it go (resume() released every such cancel whose reason began 'halted: ')", async () => {
    const { clock, broker, engine, order } = await restingWithSlowCancels();
    broker.refuseCancels(3);
    await engine.orders.cancelAll('halted: news', { untilEnded: true });
    await clock.advanceAsync(60_000); // refused once pending a minute
    await engine.halt({ reason: 'desk' });
    engine.resume();
    for (let i = 0; i < 10; i++) await clock.advanceAsync(60_000);
    expect([broker.orderReports()[0]?.status, engine.orders.get(order.clientOrderId)?.status]).toEqual(['cancelled', 'cancelled']);
  });

  it("a host's cancel with untilEnded, the same; without it, a refusal is the broker's answer (the order works on)", async () => {
    for (const untilEnded of [true, false]) {
      const { clock, broker, engine, order } = await restingWithSlowCancels();
      broker.refuseCancels(1);
      await engine.orders.cancel(order.clientOrderId, 'host', { untilEnded });
      for (let i = 0; i < 10; i++) await clock.advanceAsync(60_000);
      expect([untilEnded, engine.orders.get(order.clientOrderId)?.status]).toEqual([untilEnded, untilEnded ? 'cancelled' : 'accepted']);
    }
  });

  it('refused past five times: one critical cancel_failed alert, then asked again 1 min, 2, 4 … apart until the order ends, and by a restart — given up, a closed position’s leftover target worked on for good and opened a position when the price came to it', async () => {
    const journal = new InMemoryJournal();
    const { clock, broker, engine, order } = await resting(300, { journal });
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    broker.refuseCancels(1_000);
    await engine.orders.cancel(order.clientOrderId, 'host', { untilEnded: true });
    for (let i = 0; i < 45; i++) await clock.advanceAsync(1_000); // refused, asked again 1 s, 2 s, 4 s, 8 s, 16 s later
    expect(cancelsSent(broker)).toBe(6);
    expect(alerts.filter((code) => code === 'cancel_failed')).toHaveLength(1);
    // Not a cancel "coming": a wait on it does not wait for an ask a minute or an hour away.
    expect(await engine.orders.whenCancelsSettled([order.clientOrderId], 0)).toBe(true);
    const asks: number[] = [];
    for (let minute = 0; minute < 8; minute++) {
      await clock.advanceAsync(60_000);
      asks.push(cancelsSent(broker));
    }
    expect(asks).toEqual([7, 7, 8, 8, 8, 8, 9, 9]); // 1 min after the sixth refusal (at 32 s), then 2 min, then 4
    expect(alerts.filter((code) => code === 'cancel_failed')).toHaveLength(1);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    await engine.stop();
    // A restart asks it again: the cancel is still wanted, in the journal.
    broker.refuseCancels(0);
    const second = engineOn(broker, clock, {}, { journal, ids: sequentialIds(500) });
    await second.recover();
    await second.start();
    for (let i = 0; i < 5; i++) await clock.advanceAsync(1_000);
    expect([broker.orderReports()[0]?.status, second.orders.get(order.clientOrderId)?.status]).toEqual(['cancelled', 'cancelled']);
    await second.stop();
  });

  it('failing on the network for an hour (the broker unreachable), not refused: one critical cancel_failed alert, not one every few minutes — asked on all the while, the order ends once the broker is reached', async () => {
    const { clock, broker, engine, order } = await resting(300);
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    let asked = 0;
    const cancel = broker.cancelOrder.bind(broker);
    broker.cancelOrder = (ref) => {
      asked++;
      return cancel(ref);
    };
    broker.failNext('cancelOrder', { kind: 'network' }, 1_000);
    await engine.orders.cancel(order.clientOrderId, 'host', { untilEnded: true });
    for (let i = 0; i < 60; i++) await clock.advanceAsync(60_000);
    expect(asked).toBeGreaterThan(9); // past the nine requests of a cancel that failed on the way
    expect(alerts.filter((code) => code === 'cancel_failed')).toHaveLength(1);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    broker.clearFaults();
    for (let i = 0; i < 65; i++) await clock.advanceAsync(60_000);
    expect([broker.orderReports()[0]?.status, engine.orders.get(order.clientOrderId)?.status]).toEqual(['cancelled', 'cancelled']);
    expect(alerts.filter((code) => code === 'cancel_failed')).toHaveLength(1);
    await engine.stop();
  });

  it('on the slow clock, asked again once the broker stops refusing: the order ends', async () => {
    const { clock, broker, engine, order } = await resting(300);
    broker.refuseCancels(8);
    await engine.orders.cancel(order.clientOrderId, 'host', { untilEnded: true });
    for (let i = 0; i < 5; i++) await clock.advanceAsync(60_000);
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted'); // refused 8 times so far: the ninth ask goes 4 min after the eighth (at 3.5 min)
    for (let i = 0; i < 5; i++) await clock.advanceAsync(60_000);
    expect([broker.orderReports()[0]?.status, engine.orders.get(order.clientOrderId)?.status]).toEqual(['cancelled', 'cancelled']);
    await engine.stop();
  });

  it('on the slow clock, asked at once by a reconciliation (the broker answers): not left working until the next slow ask, up to an hour away', async () => {
    const { clock, broker, engine, order } = await resting(300);
    broker.refuseCancels(6);
    await engine.orders.cancel(order.clientOrderId, 'host', { untilEnded: true });
    for (let i = 0; i < 45; i++) await clock.advanceAsync(1_000); // refused at 0, 1, 3, 7, 15 and 31 s: the next ask a minute after the last
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    await engine.reconcile();
    await clock.advanceAsync(1_000);
    expect([broker.orderReports()[0]?.status, engine.orders.get(order.clientOrderId)?.status]).toEqual(['cancelled', 'cancelled']);
    await engine.stop();
  });

  it('a refusal heard on the stream brings the order back to working (the mock broker says it as Alpaca does)', async () => {
    const { clock, broker, engine, order } = await restingWithSlowCancels();
    await engine.orders.cancel(order.clientOrderId);
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('pending_cancel');
    broker.refuseCancel({ clientOrderId: order.clientOrderId });
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
  });
});

describe('a cancel asked before the acknowledgement of a list whose send the broker answered with an error that says it did not arrive (found by the OANDA wire search)', () => {
  /** The send is held until `release`; then it lands at the broker and its answer is a 500 the adapter classes as not arrived (OANDA's). */
  function landsWithAnError<A extends unknown[], R>(send: (...args: A) => Promise<R>): { send: (...args: A) => Promise<R>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    return {
      send: async (...args: A) => {
        await gate;
        await send(...args);
        throw new BrokerError('server_error', 'HTTP 500', { status: 500, mayHaveReachedBroker: false });
      },
      release,
    };
  }

  it('a native bracket cancelled by the kill switch while its send is held, which lands with a 500: the reconciliation that finds it working cancels it — it was taken back as working', async () => {
    const { broker, engine } = await startedWithNativeLists();
    const held = landsWithAnError(broker.submitOrderList.bind(broker));
    broker.submitOrderList = held.send;
    broker.dropStream();
    const ids = ['entry', 'tp', 'sl'];
    const sending = engine.orders.submitList('bracket', [
      { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90', timeInForce: 'gtc' },
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '85', timeInForce: 'gtc' },
    ]).catch(() => undefined);
    await settle();
    await engine.orders.cancelAll('kill switch');
    held.release();
    await sending;
    await settle();
    const working = () => broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.clientOrderId);
    expect(working()).toContain('entry');
    broker.restoreStream();
    await engine.reconcile();
    await settle();
    expect(working()).toEqual([]);
    for (const id of ids) expect(engine.orders.get(id)?.status, id).toBe('cancelled');
  });
});

describe('a host cancelling orders not sent yet', () => {
  it('the kill switch pulled in a position:updated listener while an exit is being registered: the stop and target are cancelled at the broker — the exit, not sent yet, made the cancel-all throw after marking them pending cancel, and they stayed working', async () => {
    const { broker, clock, engine } = await startedOnAapl({ protection: true });
    await engine.executeSignal({ id: 'in', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    await settle();
    let halting: Promise<void> | undefined;
    engine.once('position:updated', () => {
      halting = engine.halt({ reason: 'host', cancelOpen: true });
    });
    await engine.executeSignal({ id: 'out', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'x' }).catch(() => undefined);
    await expect(halting).resolves.toBeUndefined();
    await settle();
    const working = broker.orderReports().filter((o) => o.status === 'accepted' || o.status === 'partially_filled');
    expect(working.map((o) => `${o.clientOrderId} ${o.type}`)).toEqual([]);
    for (const order of engine.orders.orderList()) expect(order.status, order.clientOrderId).not.toBe('pending_cancel');
  });

  it('an order cancelled in its order:created listener (registered, not sent yet) is cancelled once the broker has it — the cancel was dropped and the order stayed working', async () => {
    const { broker, engine } = await startedOnAapl();
    engine.once('order:created', ({ order }) => void engine.orders.cancel(order.clientOrderId));
    await engine.orders.submit({ clientOrderId: 'host-2', symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90' });
    await settle();
    expect(broker.orderReports().find((o) => o.clientOrderId === 'host-2')?.status).toBe('cancelled');
    expect(engine.orders.get('host-2')?.status).toBe('cancelled');
  });
});

describe('one signal id trades once', () => {
  it('the same id arriving twice at the same moment sends one order', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    const engine = engineOn(broker, clock);
    await engine.start();
    broker.setLatency(20);
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    const twin = signal(clock);
    const first = engine.executeSignal(twin);
    const second = engine.executeSignal({ ...twin });
    clock.advance(20);
    await settle();
    clock.advance(20);
    const decisions = await Promise.all([first, second]);
    expect(decisions.map((d) => d.kind).sort()).toEqual(['executed', 'rejected']);
    const refused = decisions.find((d) => d.kind === 'rejected');
    expect(refused?.kind === 'rejected' && refused.reasons[0]!.code).toBe('duplicate_signal');
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(1);
  });
});

describe('a host-supplied MarketStateManager works like the default one', () => {
  it('cancel at the close and release at the open both fire', async () => {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 19, 55)); // Monday 15:55 New York
    const broker = new MockBroker({ clock });
    const market = new MarketStateManager({ clock }); // the host's own, built without the engine's bus
    const engine = engineOn(
      broker,
      clock,
      { orderManagement: { orderTimeoutMs: null, timeInForce: 'day' }, marketHours: { queueWhenClosed: true, cancelAtClose: true, queueCheckIntervalMs: 86_400_000 } },
      { market },
    );
    const seen: string[] = [];
    engine.on('market:closed', () => seen.push('closed'));
    engine.on('market:opened', () => seen.push('opened'));
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    const resting = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'day', assetClass: 'equity' });
    clock.advance(6 * 60_000); // 16:01: closed
    await settle();
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
    expect((await engine.executeSignal(signal(clock))).kind).toBe('queued');
    clock.advanceTo(Date.UTC(2024, 5, 4, 13, 31)); // Tuesday 09:31
    await settle();
    expect(seen).toEqual(['closed', 'opened']);
    expect(engine.queuedSignals()).toEqual([]);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    await engine.stop();
  });
});

describe('replay equals live', () => {
  const eventArb = (at: number): fc.Arbitrary<OrderEvent> =>
    fc.oneof(
      fc.constant<OrderEvent>({ type: 'submitted', at }),
      fc.integer({ min: 1, max: 9 }).map<OrderEvent>((i) => ({ type: 'accepted', brokerOrderId: `b-${i}`, at })),
      fc.integer({ min: 1, max: 4 }).map<OrderEvent>((q) => ({ type: 'filled', fill: { executionId: `e-${q}`, quantity: new Decimal(q), price: new Decimal(100 + q), commission: new Decimal(0), time: at }, at })),
      fc.constant<OrderEvent>({ type: 'cancel_requested', at }),
      fc.constant<OrderEvent>({ type: 'cancelled', at }),
      fc.constant<OrderEvent>({ type: 'expired', at }),
      fc.constant<OrderEvent>({ type: 'rejected', reason: 'no', at }),
    );

  it('the order rebuilt from the journal equals the live one, for random event sequences (a late ack with the broker id included)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb(1_000), { minLength: 1, maxLength: 12 }), async (events) => {
        const clock = new ManualClock();
        const broker = new MockBroker({ clock });
        const journal = new InMemoryJournal();
        const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, orderTimeoutMs: null });
        const order = createOrder({ clientOrderId: 'c-1', symbol: 'AAPL', side: 'buy', quantity: 10 }, { clock, ids: sequentialIds() });
        orders.track(order);
        for (const event of events) orders.applyUpdate({ clientOrderId: 'c-1', event });
        const live = orders.get('c-1')!;
        const rebuilt = replayJournal(journal.query()).orders.find((o) => o.clientOrderId === 'c-1')!;
        expect(summary(rebuilt)).toEqual(summary(live));
      }),
      { numRuns: 300 },
    );
  });

  it('an ignored late acknowledgement that taught the order its broker id is replayed', () => {
    const clock = new ManualClock();
    let order: Order = createOrder({ clientOrderId: 'c-2', symbol: 'AAPL', side: 'buy', quantity: 10 }, { clock, ids: sequentialIds() });
    const journal = new InMemoryJournal();
    journal.append({ kind: 'order.created', at: 0, clientOrderId: 'c-2', symbol: 'AAPL', status: order.status, order });
    for (const event of [{ type: 'submitted', at: 1 }, { type: 'cancelled', at: 2 }, { type: 'accepted', brokerOrderId: 'b-late', at: 3 }] as OrderEvent[]) {
      const t = applyOrderEvent(order, event);
      order = t.order;
      journal.append({ kind: 'order.event', at: event.at, clientOrderId: 'c-2', symbol: 'AAPL', from: t.from, status: t.to, outcome: t.outcome, eventType: event.type, event });
    }
    expect(order.brokerOrderId).toBe('b-late');
    expect(replayJournal(journal.query()).orders[0]!.brokerOrderId).toBe('b-late');
  });
});

function summary(o: Order): Record<string, string | undefined> {
  return { status: o.status, filled: o.filledQuantity.toString(), average: o.averageFillPrice?.toString(), brokerOrderId: o.brokerOrderId, ids: o.brokerOrderIds.join(','), fills: o.fills.map((f) => f.executionId).join(',') };
}

/**
 * A protected long of 10 AAPL at 100 opened by a first process on a durable journal, its stop and
 * target working at the broker (which outlives the process); `boot` starts another process on the
 * same journal and broker.
 */
async function protectedPosition() {
  const dir = mkdtempSync(join(tmpdir(), 'tw-protect-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'journal.jsonl');
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1_000_000 });
  broker.setPrice('AAPL', '100');
  const boot = (idStart: number): ExecutionEngine => engineOn(broker, clock, {}, { ids: sequentialIds(idStart), journal: new FileJournal({ path, logger: silentLogger }), protection: true });
  const first = boot(1);
  await first.start();
  first.updatePrice('AAPL', '100');
  await first.executeSignal(signal(clock));
  // The protective orders leave once their records are on disk (an awaited fdatasync: real I/O time).
  await vi.waitFor(() => {
    const placed = first.protection!.protectionOf('AAPL')!;
    expect([placed.stop?.status, placed.targets.map((t) => t.status)]).toEqual(['accepted', ['accepted']]);
  });
  /** Another process on the same journal and broker: started, recovered, settled; the messages of its `code` alerts raised meanwhile. */
  const restart = async (code?: string): Promise<{ second: ExecutionEngine; alerts: string[] }> => {
    const second = boot(1_000);
    await second.start();
    const alerts: string[] = [];
    if (code) second.on('alert', (a) => a.code === code && alerts.push(a.message));
    await second.recover();
    await settle();
    return { second, alerts };
  };
  return { broker, clock, boot, restart, first, ...first.protection!.protectionOf('AAPL')! };
}

describe('protection survives a restart', () => {
  it('killed between the entry fill and the target fill: after recover() the emulated OCO still cancels its sibling', async () => {
    const { broker, boot, stop, targets } = await protectedPosition();
    // SIGKILL: the process is gone, no cleanup; the broker keeps both protective orders.

    const second = boot(1_000);
    await second.start();
    const opened: string[] = [];
    second.on('position:opened', () => opened.push('opened'));
    await second.recover();
    expect(opened).toEqual([]); // history is not news
    const restored = second.protection!.protectionOf('AAPL')!;
    expect(restored.stop?.clientOrderId).toBe(stop!.clientOrderId);
    expect(restored.targets.map((t) => t.clientOrderId)).toEqual(targets.map((t) => t.clientOrderId));
    // The target fills: the emulated OCO cancels the stop, and the position is flat.
    broker.setPrice('AAPL', targets[0]!.limitPrice!.plus(1).toString());
    second.updatePrice('AAPL', targets[0]!.limitPrice!.plus(1).toString());
    await settle();
    expect(second.orders.get(stop!.clientOrderId)?.status).toBe('cancelled');
    expect(second.positions.get('AAPL')).toBeUndefined();
    expect(broker.orderReports().filter((o) => o.status === 'accepted')).toEqual([]);
  });

  it('the stop cancelled at the broker while the process was down (its target still working): recover() places it again', async () => {
    const { broker, restart, first, stop, targets } = await protectedPosition();
    // The process goes away (stopped, so this in-process stand-in stops hearing the shared broker);
    // while nobody listens, the stop is cancelled at the broker (from its site).
    await first.stop();
    broker.endByBroker({ clientOrderId: stop!.clientOrderId });

    const { second, alerts } = await restart('position_unprotected');
    const restored = second.protection!.protectionOf('AAPL')!;
    expect(restored.stop?.clientOrderId).not.toBe(stop!.clientOrderId);
    expect([restored.stop?.status, restored.stop?.stopPrice?.toString(), restored.stop?.quantity.toString()]).toEqual(['accepted', '98', '10']);
    expect(restored.targets.map((t) => t.clientOrderId)).toEqual(targets.map((t) => t.clientOrderId));
    expect(alerts).toEqual(['AAPL: no stop working after the restart (the stop at 98 was cancelled); placing it again']);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.type).sort()).toEqual(['limit', 'stop']);
  });

  it('the count of lost stops survives a restart: two lost before it, the third after it closes the position (stopAttempts 3)', async () => {
    const { broker, restart, first, stop } = await protectedPosition();
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: refused', { status: 422 }) });
    broker.endByBroker({ clientOrderId: stop!.clientOrderId }); // lost 1; its replacement refused: lost 2; the next one works
    await vi.waitFor(() => expect(first.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'));
    const kept = first.protection!.protectionOf('AAPL')!.stop!;
    await first.stop();

    const { second } = await restart();
    expect(second.protection!.protectionOf('AAPL')?.stop?.clientOrderId).toBe(kept.clientOrderId);
    const actions: unknown[] = [];
    second.on('alert', (a) => a.code === 'position_unprotected' && actions.push(a.details));
    broker.endByBroker({ clientOrderId: kept.clientOrderId });
    await vi.waitFor(() => expect(second.positions.get('AAPL')).toBeUndefined());
    expect(actions).toEqual([{ stopsLost: 3, action: 'close' }]);
  });

  it('the take-profit cancelled at the broker while the process was down (the stop still working): recover() places it again', async () => {
    const { broker, restart, first, stop, targets } = await protectedPosition();
    await first.stop();
    broker.endByBroker({ clientOrderId: targets[0]!.clientOrderId });

    const { second, alerts } = await restart('target_lost');
    const restored = second.protection!.protectionOf('AAPL')!;
    expect(restored.stop?.clientOrderId).toBe(stop!.clientOrderId);
    expect(restored.targets.map((t) => [t.status, t.limitPrice?.toString(), t.quantity.toString()])).toEqual([['accepted', '104', '10']]);
    expect(restored.targets[0]!.clientOrderId).not.toBe(targets[0]!.clientOrderId);
    expect(alerts).toEqual(['AAPL: the take-profit at 104 ended cancelled before the restart (ended by the broker); placing it again']);
  });

  it('killed after the entry filled but before the stop was placed: recover() protects the position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-protect-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'journal.jsonl');
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    broker.setPrice('AAPL', '100');
    const journal = (): FileJournal => new FileJournal({ path, logger: silentLogger });
    // The first process has no protection running (as if it died before placing the stop).
    const first = engineOn(broker, clock, {}, { ids: sequentialIds(1), journal: journal() });
    await first.start();
    first.updatePrice('AAPL', '100');
    await first.executeSignal(signal(clock));
    const second = engineOn(broker, clock, {}, { ids: sequentialIds(1_000), journal: journal(), protection: true });
    await second.start();
    await second.recover();
    await settle();
    const { stop, targets } = second.protection!.protectionOf('AAPL')!;
    expect([stop?.status, stop?.stopPrice?.toString(), targets.length]).toEqual(['accepted', '98', 1]);
  });

  it('several positions left bare by the crash are protected together after recover(): every stop sent at one instant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-protect-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'journal.jsonl');
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    const symbols = ['AAPL', 'MSFT', 'NVDA'];
    for (const symbol of symbols) broker.setPrice(symbol, '100');
    const journal = (): FileJournal => new FileJournal({ path, logger: silentLogger, sync: 'os' });
    const first = engineOn(broker, clock, {}, { ids: sequentialIds(1), journal: journal() });
    await first.start();
    for (const symbol of symbols) {
      first.updatePrice(symbol, '100');
      await first.executeSignal(signal(clock, { symbol }));
    }
    const second = engineOn(broker, clock, {}, { ids: sequentialIds(1_000), journal: journal(), protection: true });
    await second.start();
    for (const symbol of symbols) second.updatePrice(symbol, '100');
    broker.setLatency(250);
    const recovering = second.recover();
    for (let i = 0; i < 12; i++) await clock.advanceAsync(250);
    await recovering;
    // The second process's orders are its protective ones: sent at one instant, not a round trip apart.
    const protective = broker.requests.filter((r) => r.method === 'submitOrder' && Number(r.clientOrderId?.slice(3)) >= 1_000);
    expect(protective.length).toBeGreaterThanOrEqual(3);
    expect(new Set(protective.map((r) => r.at)).size).toBe(1);
    expect(symbols.map((symbol) => second.protection!.protectionOf(symbol)?.stop?.status)).toEqual(['accepted', 'accepted', 'accepted']);
  });
});

describe('an answer to a send is not a look-up', () => {
  it('an entry that filled in part unheard (the stream down) while its send travelled: the answer ("accepted, 0 filled") does not close the gap — after a cancel, the reconciliation looks it up and finds its 3 shares', async () => {
    const { clock, broker, engine } = await startedOnAapl();
    broker.setLatency(2_000);
    broker.setLiquidity('AAPL', 3);
    broker.dropStream();
    const sending = engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 }); // placed at once: 3 filled, unheard
    await settle();
    broker.failNext('getOrder', { kind: 'timeout', reached: true }); // the reconnect's look-up is lost …
    broker.restoreStream();
    await clock.advanceAsync(2_000); // … and the answer, as the broker took the send, comes after the stream is back
    const order = await sending;
    expect([order.status, order.filledQuantity.toString()]).toEqual(['accepted', '0']);
    const cancelling = engine.orders.cancel(order.clientOrderId); // its end is heard on the stream: no fills in it
    await clock.advanceAsync(2_000);
    await cancelling;
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('cancelled');
    const reconciling = engine.reconcile();
    await clock.advanceAsync(10_000);
    await reconciling;
    expect(engine.orders.get(order.clientOrderId)?.filledQuantity.toString()).toBe('3');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('3');
    await engine.stop();
  });

  it("a native bracket's entry the same way: the list's answer does not close the gap for its legs", async () => {
    const { clock, broker, engine } = await startedWithNativeLists();
    broker.setLatency(2_000);
    broker.setLiquidity('AAPL', 3);
    broker.dropStream();
    const sending = engine.orders.submitList('bracket', [
      { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10 }, // placed at once: 3 filled, unheard
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
    ]);
    await settle();
    broker.failNext('getOrder', { kind: 'timeout', reached: true }); // the reconnect's look-up is lost …
    broker.restoreStream();
    await clock.advanceAsync(2_000); // … and the list's answer, as the broker took it, comes after the stream is back
    const [entry] = await sending;
    expect([entry!.status, entry!.filledQuantity.toString()]).toEqual(['accepted', '0']);
    const cancelling = engine.orders.cancel('entry'); // its end is heard on the stream: no fills in it
    await clock.advanceAsync(2_000);
    await cancelling;
    expect(engine.orders.get('entry')?.status).toBe('cancelled');
    const reconciling = engine.reconcile();
    await clock.advanceAsync(10_000);
    await reconciling;
    expect(engine.orders.get('entry')?.filledQuantity.toString()).toBe('3');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('3');
    await engine.stop();
  });
});

describe('a look-up older than what the engine has heard since', () => {
  async function resting() {
    const { clock, broker, engine } = await startedOnAapl();
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    const asked: string[] = [];
    const getOrder = broker.getOrder.bind(broker);
    broker.getOrder = (ref) => (asked.push(ref.clientOrderId ?? ''), getOrder(ref));
    // REST answers take 300 ms; the stream is instant: a replace's update overtakes a look-up's answer.
    broker.setLatency(300);
    broker.setStreamLatency(0);
    return { clock, broker, engine, id: order.clientOrderId, asked };
  }

  it('a look-up answered after a replace it does not know of is asked again, not applied: the quantity is not rolled back', async () => {
    const { clock, broker, engine, id, asked } = await resting();
    broker.dropStream();
    broker.restoreStream(); // the reconnect looks the order up: the broker answers "10" …
    await settle();
    const replace = engine.orders.modify(id, { quantity: 4 }); // … and takes the replace at once: its update arrives first
    await settle();
    expect(engine.orders.get(id)?.quantity.toString()).toBe('4');
    await clock.advanceAsync(1_000);
    await replace;
    expect(asked).toEqual([id, id]);
    expect(engine.orders.get(id)?.quantity.toString()).toBe('4');
    expect(engine.orders.auditTrail({ clientOrderId: id }).filter((r) => r.kind === 'order.event' && r.event.type === 'modified')).toHaveLength(1);
  });

  it('a reconciliation whose open-orders list was read before a replace landed asks for that order by itself', async () => {
    const { clock, engine, id, asked } = await resting();
    const reconciling = engine.reconcile(); // the broker lists the order at 10 …
    await settle();
    const replace = engine.orders.modify(id, { quantity: 4 }); // … and takes the replace at once, before the list arrives
    await settle();
    await clock.advanceAsync(2_000);
    await Promise.all([reconciling, replace]);
    expect(engine.orders.get(id)?.quantity.toString()).toBe('4');
    expect(asked).toEqual([id]);
    expect(engine.orders.auditTrail({ clientOrderId: id }).filter((r) => r.kind === 'order.event' && r.event.type === 'modified')).toHaveLength(1);
  });
});

describe('fills the stream never told', () => {
  it('an order that filled in part while the stream was down, whose reconnect look-up failed, then cancelled: the next reconciliation finds the fill before the cancel', async () => {
    const { broker, engine } = await startedOnAapl();
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99', timeInForce: 'gtc' });
    broker.dropStream();
    broker.setLiquidity('AAPL', 4);
    broker.setPrice('AAPL', '98.5'); // 4 fill, unheard
    broker.failNext('getOrder', { kind: 'timeout', reached: true }, 1);
    broker.restoreStream(); // the reconnect's look-up times out
    await settle();
    expect(engine.orders.ordersToConfirm().map((o) => o.clientOrderId)).toEqual([order.clientOrderId]);
    await engine.orders.cancel(order.clientOrderId);
    await settle();
    expect([engine.orders.get(order.clientOrderId)?.status, engine.orders.get(order.clientOrderId)?.filledQuantity.toString()]).toEqual(['cancelled', '0']);
    await engine.reconcile();
    await settle();
    expect([engine.orders.get(order.clientOrderId)?.status, engine.orders.get(order.clientOrderId)?.filledQuantity.toString()]).toEqual(['cancelled', '4']);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('4');
    expect(engine.positions.get('AAPL')?.orderIds).toContain(order.clientOrderId);
    expect(engine.orders.ordersToConfirm()).toEqual([]);
  });

  it("a native bracket's entry the same way: its legs listed open do not answer for it, the list is asked for through its parent", async () => {
    const { broker, engine } = await startedWithNativeLists();
    await engine.orders.submitList('bracket', [
      { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99', timeInForce: 'gtc' },
      { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110', timeInForce: 'gtc' },
      { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
    ]);
    broker.dropStream();
    broker.setLiquidity('AAPL', 4);
    broker.setPrice('AAPL', '98.5'); // 4 fill, unheard
    broker.failNext('getOrder', { kind: 'timeout', reached: true }, 1);
    broker.restoreStream(); // the reconnect's look-up (of the list, through its parent) times out
    await settle();
    expect(engine.orders.ordersToConfirm().map((o) => o.clientOrderId)).toEqual(['entry']);
    await engine.orders.cancel('entry');
    await settle();
    expect([engine.orders.get('entry')?.status, engine.orders.get('entry')?.filledQuantity.toString()]).toEqual(['cancelled', '0']);
    // The broker lists the legs open (at the 4 filled): before, that answered for the whole list and the entry's fill stayed unheard.
    await engine.reconcile();
    await settle();
    expect([engine.orders.get('entry')?.status, engine.orders.get('entry')?.filledQuantity.toString()]).toEqual(['cancelled', '4']);
    expect(['tp', 'sl'].map((id) => engine.orders.get(id)?.quantity.toString())).toEqual(['4', '4']);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('4');
    expect(engine.orders.ordersToConfirm()).toEqual([]);
  });
});

describe('a report heard while the stream is still down', () => {
  it('does not close the gap: an order sent in an outage (its answer "accepted") that fills unheard, then cancelled and heard so once the stream is back, is looked up by the next reconciliation and keeps its fill', async () => {
    const { broker, engine } = await startedOnAapl();
    broker.dropStream();
    await settle();
    broker.setLiquidity('AAPL', 4);
    // Resting below the market: the send's answer says accepted, nothing filled.
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99', timeInForce: 'gtc' });
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    broker.setPrice('AAPL', '98.5'); // 4 fill, unheard
    // Still to confirm: the answer came before the fill, in the same outage.
    expect(engine.orders.ordersToConfirm().map((o) => o.clientOrderId)).toEqual([order.clientOrderId]);
    // The stream comes back while the reconnect's look-up is lost, and the cancel is heard on it (no fills in it).
    broker.failNext('getOrder', { kind: 'timeout', reached: true }, 1);
    broker.restoreStream();
    await settle();
    await engine.orders.cancel(order.clientOrderId);
    await settle();
    expect(engine.orders.get(order.clientOrderId)?.filledQuantity.toString()).toBe('0');
    await engine.reconcile();
    await settle();
    expect([engine.orders.get(order.clientOrderId)?.status, engine.orders.get(order.clientOrderId)?.filledQuantity.toString()]).toEqual(['cancelled', '4']);
    expect(engine.orders.ordersToConfirm()).toEqual([]);
  });
});

describe('a position that grew while its exit worked', () => {
  it('the exit fills and leaves shares bought meanwhile: the position is open again (not stuck pending exit) and the next exit signal closes the rest', async () => {
    const { clock, broker, engine } = await startedOnAapl();
    await engine.executeSignal(signal(clock));
    broker.setLiquidity('AAPL', 1);
    await engine.executeSignal(signal(clock, { side: 'sell' })); // fills 1 of 10
    await settle();
    expect([engine.positions.get('AAPL')?.state, engine.positions.get('AAPL')?.quantity.toString()]).toEqual(['PENDING_EXIT', '9']);
    await broker.submitOrder(createOrder({ clientOrderId: 'app-1', symbol: 'AAPL', side: 'buy', quantity: 1 }, { clock, ids: sequentialIds() }));
    await engine.reconcile(); // adopts 10
    broker.setLiquidity('AAPL', undefined);
    broker.setPrice('AAPL', '100'); // the exit's 9 left fill
    await settle();
    expect([engine.positions.get('AAPL')?.state, engine.positions.get('AAPL')?.quantity.toString()]).toEqual(['OPEN', '1']);
    expect((await engine.executeSignal(signal(clock, { side: 'sell' }))).kind).toBe('executed');
    await settle();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()).toEqual([]);
  });
});

describe('a reconciliation’s adoption in the journal', () => {
  it('the replay sets the position where the adoption happened among the fills: a restart and positionsFromJournal see what the live engine held', async () => {
    const journal = new InMemoryJournal();
    const { clock, broker, engine } = await startedOnAapl({ journal });
    await engine.executeSignal(signal(clock)); // long 10
    await broker.submitOrder(createOrder({ clientOrderId: 'app-1', symbol: 'AAPL', side: 'sell', quantity: 4 }, { clock, ids: sequentialIds() }));
    await engine.reconcile(); // adopts 6
    await engine.executeSignal(signal(clock, { side: 'sell' })); // sells the 6: flat
    await settle();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(positionsFromJournal(journal.query()).positions).toEqual([]);
    await engine.stop();
    // A restart on the same journal: nothing held (the replay without the adoption held 4 long).
    const again = engineOn(broker, clock, {}, { journal, ids: sequentialIds(100) });
    await again.start();
    const report = await again.recover();
    expect(report.positionMismatches).toEqual([]);
    expect(again.positions.get('AAPL')).toBeUndefined();
  });
});

describe('one send per order', () => {
  it('a reconciliation during a send’s retry backoff does not send the order again beside the retry', async () => {
    const { clock, broker, engine } = await startedOnAapl();
    let sends = 0;
    const submit = broker.submitOrder.bind(broker);
    broker.submitOrder = (order) => (sends++, submit(order));
    broker.failNext('submitOrder', { kind: 'server_error' }, 1);
    const decided = engine.executeSignal(signal(clock)); // the first send fails; the retry waits its backoff
    await settle();
    expect(sends).toBe(1);
    await engine.reconcile(); // the broker does not have it: not resent, its retry owns it
    expect(sends).toBe(1);
    await clock.advanceAsync(5_000);
    expect((await decided).kind).toBe('executed');
    expect(sends).toBe(2);
    expect(broker.orderReports().filter((o) => o.symbol === 'AAPL')).toHaveLength(1);
  });
});
