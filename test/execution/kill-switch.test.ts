import { BrokerError, ExecutionEngine, PositionNotClosedError, silentLogger, ValidationError } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions, sequentialIds, settle } from 'tradewire/testing';
import { engineOnMock, spoilableIds } from '../helpers.js';
import { describe, expect, it } from 'vitest';

async function setup(brokerOptions: Partial<MockBrokerOptions> = {}) {
  const fixture = await engineOnMock(brokerOptions);
  const seen: string[] = [];
  fixture.engine.on('engine:trading_state', (e) => seen.push(`state ${e.state}`));
  fixture.engine.on('engine:halted', (e) => seen.push(`halted cancelOpen=${e.cancelOpen} flatten=${e.flatten}`));
  fixture.engine.on('engine:resumed', () => seen.push('resumed'));
  return { ...fixture, seen };
}

describe('trading state', () => {
  it('REDUCING lets exits through and stops entries; resume takes an explicit call', async () => {
    const { engine, signal, seen } = await setup();
    await engine.executeSignal(signal());
    engine.reduceOnly('drawdown review');
    expect(engine.tradingState).toBe('REDUCING');
    expect(await engine.executeSignal(signal({ symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_reducing' }] });
    expect((await engine.executeSignal(signal({ side: 'sell' }))).kind).toBe('executed');
    engine.resume();
    expect((await engine.executeSignal(signal({ symbol: 'MSFT' }))).kind).toBe('executed');
    expect(seen).toEqual(['state REDUCING', 'state ACTIVE', 'resumed']);
  });

  it('HALTED stops everything, exits included', async () => {
    const { engine, signal } = await setup();
    await engine.executeSignal(signal());
    await engine.halt({ reason: 'drill', cancelOpen: false });
    expect(await engine.executeSignal(signal({ side: 'sell' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_halted' }] });
    expect(engine.halted).toBe('drill');
  });
});

describe('the kill switch', () => {
  it('cancels every working order and, with flatten, closes every position; journaled and emitted', async () => {
    const { broker, engine, signal, seen } = await setup();
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    await engine.executeSignal(signal({ symbol: 'MSFT' }));
    const resting = await engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    await engine.halt({ reason: 'risk desk', cancelOpen: true, flatten: true });
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
    expect(engine.positions.openPositions()).toEqual([]);
    expect(broker.positionReports()).toEqual([]);
    expect(broker.orderReports().filter((o) => ['accepted', 'partially_filled'].includes(o.status))).toEqual([]);
    expect(seen).toEqual(['state HALTED', 'halted cancelOpen=true flatten=true']);
    const topics = engine.orders.auditTrail({ kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''));
    expect(topics).toEqual(expect.arrayContaining(['engine.trading_state', 'engine.halted', 'position.force_closed']));
  });

  it('flattens every position at once: the closes reach the broker together, not one round trip after another', async () => {
    const { clock, broker, engine, signal } = await setup();
    for (const symbol of ['AAPL', 'MSFT', 'NVDA']) await engine.executeSignal(signal({ symbol }));
    broker.setLatency(250);
    const entries = broker.requests.filter((r) => r.method === 'submitOrder').length;
    const closes = (): number => broker.requests.filter((r) => r.method === 'submitOrder').length - entries;
    let done = false;
    const halting = engine.halt({ reason: 'risk desk', flatten: true }).then(() => (done = true));
    await settle();
    await clock.advanceAsync(250); // the cancel-all's answer
    expect(closes()).toBe(3); // every close sent before the first one's answer
    expect(done).toBe(false);
    await clock.advanceAsync(250);
    await halting;
    expect(engine.positions.openPositions()).toEqual([]);
    expect(broker.positionReports()).toEqual([]);
  });

  it('one position that cannot be closed leaves none of the others open; the halt then fails with its error', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock });
    // The first close asked for once spoiled gets an id no broker takes: it is refused before it is sent.
    const ids = spoilableIds();
    const engine = new ExecutionEngine({ adapter: broker, clock, ids, logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } });
    await engine.start();
    for (const symbol of ['AAPL', 'MSFT', 'NVDA']) {
      broker.setPrice(symbol, '100');
      engine.updatePrice(symbol, '100');
      await engine.executeSignal({ id: symbol, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'k' });
    }
    ids.spoil();
    await expect(engine.halt({ reason: 'risk desk', flatten: true })).rejects.toBeInstanceOf(ValidationError);
    // AAPL's close (the first asked for) was refused; MSFT and NVDA were closed all the same.
    expect(engine.positions.openPositions().map((p) => p.symbol)).toEqual(['AAPL']);
    expect(broker.positionReports().map((p) => p.symbol)).toEqual(['AAPL']);
  });

  it('a close the broker refuses: the halt rejects with PositionNotClosedError naming it — not resolved as if the book were flat; the position keeps its stop', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } });
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    await engine.executeSignal({ id: 'a', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'k' });
    await settle(8);
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: AAPL is halted', { status: 422 }) });
    const halted = engine.halt({ reason: 'risk desk', flatten: true });
    await expect(halted).rejects.toBeInstanceOf(PositionNotClosedError);
    await expect(halted).rejects.toMatchObject({ code: 'position_not_closed', symbol: 'AAPL', reason: 'mock broker: AAPL is halted' });
    await settle(8);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(engine.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted');
  });

  it('cannot be raced by a signal in flight: one still awaiting is stopped at the gate, one already sent is cancelled on sight', async () => {
    const { clock, broker, engine, signal } = await setup();
    broker.setLiquidity('AAPL', 0); // orders rest, so there is something to cancel
    await engine.executeSignal(signal({ symbol: 'AAPL', strength: 10 })); // too weak, but AAPL's asset is now cached
    // Requests spend 150 ms on the wire before the broker sees them.
    const onTheWire = <T>(call: () => Promise<T>): Promise<T> => new Promise((resolve, reject) => clock.setTimeout(() => call().then(resolve, reject), 150));
    const submit = broker.submitOrder.bind(broker);
    const getAsset = broker.getAsset.bind(broker);
    broker.submitOrder = (order) => onTheWire(() => submit(order));
    broker.getAsset = (symbol) => onTheWire(() => getAsset(symbol));
    broker.setPrice('TSLA', '100');
    engine.updatePrice('TSLA', '100');

    const awaitingAsset = engine.executeSignal(signal({ symbol: 'TSLA' })); // still asking about TSLA
    const inFlight = engine.executeSignal(signal({ symbol: 'AAPL' })); // its order is on the wire
    await settle(1);
    await engine.halt({ reason: 'kill switch', cancelOpen: true }); // the broker has nothing to cancel yet
    for (let i = 0; i < 6; i++) {
      clock.advance(100);
      await settle(1);
    }
    const [first, second] = await Promise.all([awaitingAsset, inFlight]);
    expect(first).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_halted' }] });
    expect(second.kind).toBe('executed');
    // The order that landed after the halt was cancelled as soon as it was acknowledged.
    const landed = broker.orderReports().find((o) => o.symbol === 'AAPL');
    expect(landed?.status).toBe('cancelled');
    expect(broker.orderReports().some((o) => o.symbol === 'TSLA')).toBe(false);
    expect(engine.orders.workingOrders()).toEqual([]);
  });
});
