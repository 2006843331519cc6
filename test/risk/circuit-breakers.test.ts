import { type BreakerSpec, Decimal, ExecutionEngine, type Signal, silentLogger } from 'tradewire';
import { CircuitBreakers } from '../../src/risk/circuit-breakers.js';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { spoilableIds } from '../helpers.js';

async function setup(breakers: BreakerSpec[]) {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // Monday 11:00 EDT
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    breakers,
    config: { sizing: { method: 'fixed_notional', notional: 10_000 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 },
  });
  await engine.start();
  const price = (symbol: string, p: string): void => {
    broker.setPrice(symbol, p);
    engine.updatePrice(symbol, p);
  };
  for (const s of ['AAPL', 'MSFT']) price(s, '100');
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'trend', ...s });
  const trips: string[] = [];
  const alerts: string[] = [];
  engine.on('breaker:tripped', (t) => trips.push(`${t.id} ${t.kind} ${t.value.toFixed(2)}`));
  engine.on('alert', (a) => alerts.push(a.code));
  const flush = async (): Promise<void> => {
    await settle(5);
  };
  return { clock, broker, engine, price, signal, trips, alerts, flush };
}

describe('circuit breakers', () => {
  it('daily loss: trips once at the threshold, halts new orders and notifies', async () => {
    const { engine, price, signal, trips, alerts, flush } = await setup([{ id: 'loss', kind: 'daily_loss', threshold: 1_000, actions: ['notify', 'halt_new_orders'] }]);
    await engine.executeSignal(signal()); // 100 AAPL @ 100
    price('AAPL', '91'); // −900: not yet
    await flush();
    expect(trips).toEqual([]);
    price('AAPL', '90'); // −1 000
    await flush();
    expect(trips).toEqual(['loss daily_loss 1000.00']);
    expect(alerts).toEqual(expect.arrayContaining(['breaker_tripped', 'trading_halted']));
    expect(engine.tradingState).toBe('HALTED');
    price('AAPL', '80');
    await flush();
    expect(trips).toHaveLength(1); // once, until reset
    expect(engine.orders.auditTrail({ kinds: ['note'] }).some((r) => r.kind === 'note' && r.topic === 'breaker.tripped')).toBe(true);
  });

  it('drawdown from the peak: reduce only', async () => {
    const { engine, price, signal, trips, flush } = await setup([{ id: 'dd', kind: 'drawdown', threshold: '1.5', actions: ['reduce_only'] }]);
    await engine.executeSignal(signal());
    price('AAPL', '110'); // a new peak: +1 000
    price('AAPL', '94'); // from 101 000 down to 99 400: 1.58%
    await flush();
    expect(trips).toEqual(['dd drawdown 1.58']);
    expect(engine.tradingState).toBe('REDUCING');
    expect(await engine.executeSignal(signal({ symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_reducing' }] });
    expect((await engine.executeSignal(signal({ side: 'sell' }))).kind).toBe('executed');
  });

  it('rejection rate over a window: cancels open orders', async () => {
    const { engine, signal, trips, flush } = await setup([{ id: 'rej', kind: 'rejection_rate', threshold: '0.5', minOrders: 4, windowMs: 60_000, actions: ['cancel_open_orders', 'notify'] }]);
    const resting = await engine.orders.submit({ symbol: 'MSFT', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'gtc', strategyId: 'trend' });
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    for (let i = 0; i < 2; i++) await engine.orders.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: '1', strategyId: 'trend' });
    await flush();
    expect(trips).toEqual(['rej rejection_rate 0.50']); // 2 of 4
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
  });

  it('rejection rate: an order without a strategy counts once toward the account-wide window (it counted twice: two rejections met minOrders 4)', async () => {
    const { engine, trips, flush } = await setup([{ id: 'rej', kind: 'rejection_rate', threshold: '0.5', minOrders: 4, windowMs: 60_000, actions: ['notify'] }]);
    for (let i = 0; i < 2; i++) await engine.orders.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: '1' });
    await flush();
    expect(trips).toEqual([]);
    for (let i = 0; i < 2; i++) await engine.orders.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: '1' });
    await flush();
    expect(trips).toEqual(['rej rejection_rate 1.00']); // 4 of 4
  });

  it("cancel_open_orders leaves protection's stops and targets: they only take risk off — cancelled, the positions were left bare for good", async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 100_000 });
    const breakers: BreakerSpec[] = [{ id: 'rej', kind: 'rejection_rate', threshold: '0.5', minOrders: 4, windowMs: 60_000, actions: ['cancel_open_orders'] }];
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, breakers, protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 } });
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'trend' });
    await settle(5);
    const resting = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    for (let i = 0; i < 4; i++) await engine.orders.submit({ symbol: 'NOPE', side: 'buy', quantity: 1, type: 'limit', limitPrice: '1' });
    await settle(5);
    expect(engine.breakers.trips().map((t) => t.id)).toEqual(['rej']);
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([guard.stop?.status, ...guard.targets.map((t) => t.status)]).toEqual(['accepted', 'accepted']);
    await engine.stop();
  });

  it('volatility (host-supplied): closes all positions', async () => {
    const { engine, broker, signal, trips, flush } = await setup([{ id: 'vol', kind: 'volatility', threshold: 40, actions: ['close_all_positions'] }]);
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    await engine.executeSignal(signal({ symbol: 'MSFT' }));
    engine.reportVolatility(25);
    expect(trips).toEqual([]);
    expect(() => engine.reportVolatility('-41.5')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => engine.reportVolatility('abc')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    engine.reportVolatility('41.5');
    await flush();
    expect(trips).toEqual(['vol volatility 41.50']);
    expect(engine.positions.openPositions()).toEqual([]);
    expect(broker.positionReports()).toEqual([]);
  });

  it('close_all_positions tries every position, together; one that cannot be closed stops neither the others nor the actions after it', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 100_000 });
    // The first close asked for once spoiled gets an id no broker takes: it is refused before it is sent.
    const ids = spoilableIds();
    const breakers: BreakerSpec[] = [{ id: 'vol', kind: 'volatility', threshold: 40, actions: ['close_all_positions', 'notify'] }];
    const engine = new ExecutionEngine({ adapter: broker, clock, ids, logger: silentLogger, breakers, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } });
    await engine.start();
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    for (const symbol of ['AAPL', 'MSFT', 'NVDA']) {
      broker.setPrice(symbol, '100');
      engine.updatePrice(symbol, '100');
      await engine.executeSignal({ id: symbol, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'trend' });
    }
    ids.spoil();
    engine.reportVolatility(45);
    await settle(10);
    expect(engine.positions.openPositions().map((p) => p.symbol)).toEqual(['AAPL']);
    expect(broker.positionReports().map((p) => p.symbol)).toEqual(['AAPL']);
    expect(alerts).toContain('breaker_tripped'); // the action after the failed one still ran
  });

  it('position size: a position grown past its limit by the price notifies', async () => {
    const { engine, price, signal, trips, alerts, flush } = await setup([{ id: 'size', kind: 'position_size', threshold: 15, actions: ['notify'] }]);
    await engine.executeSignal(signal()); // 10 000 of 100 000
    price('AAPL', '180'); // 18 000 of 108 000: 16.7%
    await flush();
    expect(trips).toEqual(['size position_size 16.67']);
    expect(alerts).toContain('breaker_tripped');
    expect(engine.tradingState).toBe('ACTIVE');
  });

  it('a strategy\'s own breaker stops only that strategy, until reset', async () => {
    const { engine, price, signal, trips, flush } = await setup([{ id: 'trend-loss', kind: 'daily_loss', threshold: 500, strategyId: 'trend', actions: ['halt_new_orders'] }]);
    await engine.executeSignal(signal({ strategyId: 'trend' }));
    price('AAPL', '94'); // trend loses 600
    await flush();
    expect(trips).toEqual(['trend-loss daily_loss 600.00']);
    expect(await engine.executeSignal(signal({ symbol: 'MSFT', strategyId: 'trend' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'strategy_halted' }] });
    expect((await engine.executeSignal(signal({ symbol: 'MSFT', strategyId: 'meanrev' }))).kind).toBe('executed');
    expect((await engine.executeSignal(signal({ side: 'sell', strategyId: 'trend' }))).kind).toBe('executed'); // exits pass
    // A typo is refused with the ids there are, and the strategy stays stopped.
    expect(() => engine.resetBreaker('trend_loss')).toThrow(expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining('id is not a configured breaker, got "trend_loss" (configured: trend-loss)') }));
    expect(engine.breakers.trips().map((t) => t.id)).toEqual(['trend-loss']);
    expect(engine.resetBreaker('trend-loss')).toBe(true);
    expect(engine.resetBreaker('trend-loss')).toBe(false); // armed already: nothing to reset
    price('MSFT', '101');
    expect((await engine.executeSignal(signal({ symbol: 'MSFT', side: 'sell', strategyId: 'meanrev' }))).kind).toBe('executed');
    expect(engine.tradingState).toBe('ACTIVE');
  });
});

describe('circuit breakers across a restart', () => {
  it('a tripped breaker stays tripped and its strategy stays stopped after recover(), until an operator resets it', async () => {
    const { InMemoryJournal } = await import('tradewire');
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 100_000 });
    const journal = new InMemoryJournal();
    const breakers: BreakerSpec[] = [{ id: 'trend-loss', kind: 'daily_loss', threshold: 500, strategyId: 'trend', actions: ['halt_new_orders'] }];
    const boot = (start: number): ExecutionEngine =>
      new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(start), logger: silentLogger, journal, breakers, config: { sizing: { method: 'fixed_notional', notional: 10_000 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 } });
    const flush = async (): Promise<void> => {
      await settle(5);
    };
    let n = 0;
    const signal = (s: Partial<Signal> = {}): Signal => ({ id: `r${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'trend', ...s });
    const first = boot(1);
    await first.start();
    for (const s of ['AAPL', 'MSFT']) {
      broker.setPrice(s, '100');
      first.updatePrice(s, '100');
    }
    await first.executeSignal(signal());
    broker.setPrice('AAPL', '94');
    first.updatePrice('AAPL', '94'); // −600 on 'trend'
    await flush();
    expect(await first.executeSignal(signal({ symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'strategy_halted' }] });
    await first.stop();

    const second = boot(1_000);
    await second.start();
    await second.recover();
    second.updatePrice('MSFT', '100');
    expect(second.breakers.trips().map((t) => t.id)).toEqual(['trend-loss']);
    expect(await second.executeSignal(signal({ symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'strategy_halted' }] });
    // Other strategies trade; the operator's reset lifts the block.
    expect((await second.executeSignal(signal({ symbol: 'MSFT', strategyId: 'other' }))).kind).toBe('executed');
    second.resetBreaker('trend-loss');
    await second.stop();
    const third = boot(2_000);
    await third.start();
    await third.recover();
    expect(third.breakers.trips()).toEqual([]);
  });
});

describe('CircuitBreakers rejection-rate window', () => {
  const readings = { equity: new Decimal(100_000), dailyPnl: new Decimal(0), strategyDailyPnl: new Map(), largestPositionPct: new Decimal(0), volatility: undefined };

  it('judges the latest 1 000 orders in the window, however many came before', () => {
    const breakers = new CircuitBreakers([{ id: 'rej', kind: 'rejection_rate', threshold: '0.6', minOrders: 5, windowMs: 3_600_000, actions: ['notify'] }]);
    const start = Date.UTC(2025, 5, 2, 15, 0);
    // 2 500 orders a millisecond apart: 1 900 accepted, then 600 rejected.
    for (let i = 0; i < 2_500; i++) breakers.recordOrder('trend', i >= 1_900, start + i);
    // The latest 1 000: 400 accepted, 600 rejected.
    expect(breakers.check(readings, start + 2_500).map((t) => `${t.id} ${t.value.toFixed(2)}`)).toEqual(['rej 0.60']);
  });

  it('counts only the orders inside the window', () => {
    const breakers = new CircuitBreakers([{ id: 'rej', kind: 'rejection_rate', threshold: '0.5', minOrders: 5, windowMs: 60_000, actions: ['notify'] }]);
    const start = Date.UTC(2025, 5, 2, 15, 0);
    for (let i = 0; i < 10; i++) breakers.recordOrder(undefined, true, start); // out of the window by the time it is judged
    for (let i = 0; i < 4; i++) breakers.recordOrder(undefined, true, start + 120_000);
    expect(breakers.check(readings, start + 120_000)).toEqual([]); // 4 orders in the window, fewer than 5
    breakers.recordOrder(undefined, false, start + 120_000);
    expect(breakers.check(readings, start + 120_000).map((t) => t.value.toFixed(2))).toEqual(['0.80']);
  });
});

describe('breaker specs that could not work are refused when the engine is made', () => {
  const make = (breakers: unknown): (() => unknown) => () => new ExecutionEngine({ adapter: new MockBroker({ clock: new ManualClock() }), clock: new ManualClock(), logger: silentLogger, breakers: breakers as BreakerSpec[] });
  const issues = (breakers: unknown): string[] => {
    try {
      make(breakers)();
    } catch (error) {
      expect(error).toMatchObject({ name: 'ConfigurationError', code: 'invalid_configuration' });
      return (error as { issues: { field: string }[] }).issues.map((i) => i.field);
    }
    throw new Error('not refused');
  };

  it('an unknown kind (never measured: it could never trip), a duplicate id (the first trip kept the other from being judged), a threshold that is not positive or not a number, no or unknown actions: each named', () => {
    expect(
      issues([
        { id: 'loss', kind: 'daily_loss', threshold: 500, actions: ['halt_new_orders'] },
        { id: 'loss', kind: 'drawdown', threshold: 5, actions: ['notify'] },
        { id: 'dd', kind: 'draw_down', threshold: 5, actions: ['notify'] },
        { id: 'zero', kind: 'drawdown', threshold: 0, actions: ['notify'] },
        { id: 'nan', kind: 'volatility', threshold: 'high', actions: [] },
        { id: 'act', kind: 'position_size', threshold: 20, actions: ['halt'] },
        { id: '', kind: 'position_size', threshold: 20, actions: ['notify'] },
      ]),
    ).toEqual(['breakers[1].id', 'breakers[2].kind', 'breakers[3].threshold', 'breakers[4].threshold', 'breakers[4].actions', 'breakers[5].actions[0]', 'breakers[6].id']);
  });

  it('a rejection share above 1, a window or minimum that is not a positive whole number, or given to a breaker without one', () => {
    expect(
      issues([
        { id: 'rej', kind: 'rejection_rate', threshold: 50, windowMs: 0, minOrders: 2.5, actions: ['notify'] },
        { id: 'dd', kind: 'drawdown', threshold: 5, windowMs: 60_000, actions: ['notify'] },
      ]),
    ).toEqual(['breakers[0].threshold', 'breakers[0].windowMs', 'breakers[0].minOrders', 'breakers[1].windowMs']);
    expect(issues('drawdown 5%')).toEqual(['breakers']);
    expect(issues([null])).toEqual(['breakers[0]']);
  });

  it('the documented breakers are taken as they are', () => {
    expect(make([
      { id: 'dd', kind: 'drawdown', threshold: 5, actions: ['halt_new_orders', 'cancel_open_orders', 'notify'] },
      { id: 'loss', kind: 'daily_loss', threshold: '2000', strategyId: 'trend', actions: ['halt_new_orders'] },
      { id: 'rej', kind: 'rejection_rate', threshold: new Decimal('0.5'), windowMs: 60_000, minOrders: 4, actions: ['reduce_only'] },
      { id: 'vol', kind: 'volatility', threshold: 40, actions: ['close_all_positions'] },
      { id: 'size', kind: 'position_size', threshold: 25, actions: ['notify'] },
    ])).not.toThrow();
  });
});
