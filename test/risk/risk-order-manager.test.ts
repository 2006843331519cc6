import fc from 'fast-check';
import Decimal from 'decimal.js';
import { BrokerError, createOrder, type EngineConfig, ExecutionEngine, type ProtectionOptions, RiskOrderManager, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

async function setup(protection: true | ProtectionOptions = true, config: EngineConfig = {}, brokerOptions: Partial<MockBrokerOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // Monday 11:00 EDT
  const broker = new MockBroker({ clock, initialCash: 1_000_000, ...brokerOptions });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    protection,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000, ...config },
  });
  await engine.start();
  const flush = async (): Promise<void> => {
    await settle(8);
  };
  const price = async (p: string, symbol = 'AAPL'): Promise<void> => {
    broker.setPrice(symbol, p);
    engine.updatePrice(symbol, p);
    await flush();
  };
  await price('100');
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'p', ...s });
  const alerts: string[] = [];
  engine.on('alert', (a) => alerts.push(a.code));
  const live = () => broker.orderReports().filter((o) => ['accepted', 'partially_filled', 'pending_cancel'].includes(o.status));
  return { clock, broker, engine, price, signal, flush, alerts, live };
}

const brief = (o: { side: string; type: string; quantity: { toString(): string }; stopPrice?: { toString(): string }; limitPrice?: { toString(): string } } | undefined) =>
  o && `${o.side} ${o.type} ${o.quantity.toString()} @ ${(o.stopPrice ?? o.limitPrice)?.toString()}`;

/**
 * A target fills half the position while every replace fails (`fault`: on the network, unless
 * given), for five minutes: the stop is past the quick looks, out of step.
 */
/** How many replaces `broker` has been asked for from now on, refused or not (its request log keeps only what went through). */
function replacesAsked(broker: MockBroker): () => number {
  let asked = 0;
  const replace = broker.replaceOrder.bind(broker);
  broker.replaceOrder = (...args) => {
    asked++;
    return replace(...args);
  };
  return () => asked;
}

async function outOfStepForMinutes(fault: Parameters<MockBroker['failNext']>[1] = { kind: 'network' }) {
  const fixture = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
  const { engine, signal, price, flush, broker, clock, alerts } = fixture;
  await engine.executeSignal(signal());
  await flush();
  broker.failNext('replaceOrder', fault, 10_000);
  await price('102');
  for (let t = 0; t < 300_000; t += 1_000) {
    clock.advance(1_000);
    await flush();
  }
  expect(alerts).toContain('protection_out_of_step');
  expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 98');
  return fixture;
}

describe('RiskOrderManager', () => {
  it('protects a long as soon as the entry fills: a stop at 2% and a 2:1 target, reduce-only and GTC', async () => {
    const { engine, signal, flush } = await setup();
    await engine.executeSignal(signal());
    await flush();
    const protection = engine.protection!.protectionOf('AAPL')!;
    expect(brief(protection.stop)).toBe('sell stop 10 @ 98');
    expect(protection.targets.map(brief)).toEqual(['sell limit 10 @ 104']);
    expect([protection.stop?.reduceOnly, protection.stop?.timeInForce, RiskOrderManager.isProtective(protection.stop!)]).toEqual([true, 'gtc', true]);
    expect(engine.protection!.stats()).toMatchObject({ positions: 1, protectedAtOnce: 1, protectedShare: 1 });
  });

  it('an exit whose stop cancel failed on the network: the close fills, the stop is cancelled a second later — the next position has one stop, not two', async () => {
    const { engine, signal, flush, broker, clock, live } = await setup();
    await engine.executeSignal(signal());
    await flush();
    const firstStop = engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId;
    broker.failNext('cancelOrder', { kind: 'network' });
    await engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    // Left working by the failed request: a stop with no position under it.
    expect(broker.orderReports().find((o) => o.clientOrderId === firstStop)?.status).toBe('accepted');
    clock.advance(1_000);
    await flush();
    expect(broker.orderReports().find((o) => o.clientOrderId === firstStop)?.status).toBe('cancelled');
    await engine.executeSignal(signal());
    await flush();
    expect(live().filter((o) => o.type === 'stop').map((o) => o.clientOrderId)).toEqual([engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId]);
  });

  it('the engine stopped and started again while the stop filled: at start the fill is learnt, the position closed and the target cancelled — left working, it would have sold into a short', async () => {
    const { engine, signal, flush, broker, live } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await engine.stop();
    broker.setPrice('AAPL', '97');
    await flush();
    await engine.start();
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(engine.orders.workingOrders()).toEqual([]);
  });

  it('protects a short the other way round', async () => {
    const { engine, signal, flush } = await setup(true, { allowShorting: true });
    await engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    const protection = engine.protection!.protectionOf('AAPL')!;
    expect(brief(protection.stop)).toBe('buy stop 10 @ 102');
    expect(protection.targets.map(brief)).toEqual(['buy limit 10 @ 96']);
  });

  it('the target fills: the stop is cancelled (one-cancels-other) and the trade made 2.1R (filled better than the limit)', async () => {
    const { engine, signal, price, live, flush } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await price('104.20');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(engine.protection!.stats().rewardRisk.map((r) => r.r.toString())).toEqual(['2.1']);
  });

  it('the stop fills: the target is cancelled', async () => {
    const { engine, signal, price, live, flush } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await price('97.50');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(engine.protection!.stats().rewardRisk.map((r) => r.r.toString())).toEqual(['-1.25']);
  });

  it('partial exits: half at 1R, the stop shrinks and moves to break-even, half at 2R', async () => {
    const { engine, signal, price, live, flush } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.targets.map(brief)).toEqual(['sell limit 5 @ 102', 'sell limit 5 @ 104']);
    await price('102');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('5');
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
    await price('104');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
  });

  it("partial exits: the far leg cancelled when a sale in the broker's app left it nothing (10 → 5), a buy there growing the position to 6, and the near leg filling its 5 before it grows into the 6th: the far leg comes back for the share left — it was left to the stop alone", async () => {
    // Cancels take half a second at this broker: the far leg still holds its 5 when the 6th share comes.
    const { engine, signal, broker, clock, price, live, flush } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }, {}, { cancelLatencyMs: 500 });
    await engine.executeSignal(signal());
    await flush();
    const app = async (side: 'buy' | 'sell', quantity: number, n: number): Promise<void> => {
      await broker.submitOrder(createOrder({ clientOrderId: `app-${n}`, symbol: 'AAPL', side, quantity }, { clock, ids: sequentialIds() }));
      await flush();
      await engine.reconcile();
      await flush();
    };
    await app('sell', 5, 1);
    await app('buy', 1, 2);
    await clock.advanceAsync(600);
    expect(live().map(brief).sort()).toEqual(['sell limit 5 @ 102', 'sell stop 6 @ 98']);
    // The near leg grows into the 6th share on the clock (a look a second after the far leg ended); the price comes first.
    await price('102');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('1');
    expect(live().map(brief).sort()).toEqual(['sell limit 1 @ 104', 'sell stop 1 @ 100']);
    await clock.advanceAsync(60_000);
    expect(live().map(brief).sort()).toEqual(['sell limit 1 @ 104', 'sell stop 1 @ 100']);
  });

  it('partial exits: a far leg sent after the near one\'s slow send is sized for the position as it is then, not as it was when protection began (it sold 1 of the 10 held)', async () => {
    const { engine, signal, broker, clock, flush } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    const targets: string[] = [];
    engine.on('order:submitted', ({ order }) => order.type === 'limit' && targets.push(order.quantity.toString()));
    broker.setLiquidity('AAPL', 2);
    broker.setLatency(250);
    const entry = engine.executeSignal(signal());
    await clock.advanceAsync(250); // the entry lands and fills 2 of 10; its stop and near leg (1) go, slowly
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('2');
    expect(targets).toEqual(['1']);
    broker.setLiquidity('AAPL', undefined);
    broker.setPrice('AAPL', '100'); // the rest fills while the near leg travels
    for (let i = 0; i < 8; i++) await clock.advanceAsync(250);
    await entry;
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    // The far leg went after the fill: its share of the 10 (5), not of the 2 it began with (1).
    expect(targets.slice(0, 2)).toEqual(['1', '5']);
  });

  it('partial exits: a near leg that fills the moment it arrives (the price through it) leaves the far leg all that is held — 5, not its half of the 5 (2)', async () => {
    const { engine, signal, broker, clock, flush } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    const targets: string[] = [];
    engine.on('order:submitted', ({ order }) => order.type === 'limit' && targets.push(`${order.quantity.toString()} @ ${order.limitPrice!.toString()}`));
    broker.setLatency(50);
    const entry = engine.executeSignal(signal()); // fills at 100: stop 98, legs at 102 and 104
    await clock.advanceAsync(60);
    broker.setPrice('AAPL', '103'); // through the near leg before it arrives
    for (let i = 0; i < 10; i++) await clock.advanceAsync(50);
    await entry;
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('5');
    expect(targets).toEqual(['5 @ 102', '5 @ 104']);
  });

  it('an entry filling in parts: the stop and the targets, placed for its first fill, grow with it to the whole position (one target, and legs of half each)', async () => {
    for (const options of [true, { partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }] as const) {
      const { engine, signal, flush, broker, price } = await setup(options);
      broker.setLiquidity('AAPL', 3); // three shares a price update
      await engine.executeSignal(signal());
      await flush();
      expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('3');
      for (const p of ['100.01', '100.02', '100.03']) await price(p);
      expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
      const guard = engine.protection!.protectionOf('AAPL')!;
      // Before: the stop grew to 10, the targets stayed at the 3 of the first fill (1 and 2 as legs) — 7 shares with no target.
      expect([brief(guard.stop), ...guard.targets.map(brief)]).toEqual(options === true ? ['sell stop 10 @ 98', 'sell limit 10 @ 104'] : ['sell stop 10 @ 98', 'sell limit 5 @ 102', 'sell limit 5 @ 104']);
    }
  });

  it('an entry filling on after the price went through its take-profit: the shares bought after the last leg filled are given the leg again — sold at the target as a native bracket would, not left to the stop alone (found by the search)', async () => {
    for (const options of [true, { partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }] as const) {
      const { engine, signal, flush, broker, price, live } = await setup(options);
      broker.setLiquidity('AAPL', 3); // three shares a price update
      await engine.executeSignal(signal());
      await flush();
      expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('3');
      // Through every take-profit level while the entry goes on filling.
      for (const p of ['105', '105.01', '105.02', '105.03', '105.04', '105.05']) await price(p);
      expect(engine.orders.workingOrders().filter((o) => !RiskOrderManager.isProtective(o))).toEqual([]);
      // Before: the leg(s) filled, and the shares bought after were left with the stop alone.
      const first = broker.orderReports().filter((o) => o.side === 'sell' && o.type === 'limit' && o.limitPrice!.lessThanOrEqualTo(104));
      expect(first.every((o) => o.status === 'filled' && o.averageFillPrice!.greaterThanOrEqualTo(o.limitPrice!))).toBe(true);
      // What the entry bought once the last leg had closed the position is a position of its own, protected at its own levels.
      const held = engine.positions.get('AAPL')?.quantity ?? new Decimal(0);
      const sold = first.reduce((sum, o) => sum.plus(o.filledQuantity), new Decimal(0));
      expect(held.plus(sold).toString()).toBe('10');
      const targeted = live().filter((o) => o.type === 'limit').reduce((sum, o) => sum.plus(o.quantity.minus(o.filledQuantity)), new Decimal(0));
      expect(targeted.toString()).toBe(held.toString());
      expect(live().filter((o) => o.type === 'stop').map((o) => o.quantity.toString())).toEqual(held.isZero() ? [] : [held.toString()]);
    }
  });

  it('a native pair whose target filled while the entry filled on (the broker cancelling the stop as one-cancels-other): a new pair for the shares bought since — no position_unprotected alarm, no stop counted as lost', async () => {
    for (const capabilities of [{ nativeOco: true, nativeBracket: true }, { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true }]) {
      const { engine, signal, flush, broker, price, live, alerts, clock } = await setup(true, {}, { capabilities });
      broker.setLiquidity('AAPL', 3); // three shares a price update
      await engine.executeSignal(signal());
      await flush();
      for (const p of ['105', '105.01', '105.02', '105.03', '105.04', '105.05']) {
        await price(p);
        clock.advance(1_000);
        await flush();
      }
      // Before: each such cancel was a critical "stop cancelled by the broker … placing it again" (three would close the position).
      expect(alerts.filter((code) => code === 'position_unprotected')).toEqual([]);
      const held = engine.positions.get('AAPL')?.quantity ?? new Decimal(0);
      const working = live();
      expect(working.filter((o) => o.type === 'stop').map((o) => o.quantity.minus(o.filledQuantity).toString())).toEqual(held.isZero() ? [] : [held.toString()]);
      expect(working.filter((o) => o.type === 'limit').map((o) => o.quantity.minus(o.filledQuantity).toString())).toEqual(held.isZero() ? [] : [held.toString()]);
      // The pairs the targets filled from sold what they covered at the target's price or better.
      const sold = broker.orderReports().filter((o) => o.type === 'limit' && o.status === 'filled');
      expect(sold.length).toBeGreaterThanOrEqual(2);
      expect(sold.every((o) => o.averageFillPrice!.greaterThanOrEqualTo(o.limitPrice!))).toBe(true);
    }
  });

  it('partial exits and an exit signal of 0.3: the stop shrinks to the 7 left and the targets of 5 and 5 to 5 and 2 — together they never sell more than is held', async () => {
    const { engine, signal, flush, live } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' }));
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('7');
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([brief(guard.stop), ...guard.targets.map(brief)]).toEqual(['sell stop 7 @ 98', 'sell limit 5 @ 102', 'sell limit 2 @ 104']);
    // A second exit of 0.8 leaves 2 (rounded down from 5.6 sold): the far target has nothing left and is cancelled.
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.8' }));
    await flush();
    const held = engine.positions.get('AAPL')!.quantity.toString();
    const open = live().filter((o) => o.type === 'limit').reduce((sum, o) => sum + Number(o.quantity.minus(o.filledQuantity)), 0);
    expect(open).toBeLessThanOrEqual(Number(held));
    expect(live().filter((o) => o.type === 'stop').map((o) => o.quantity.toString())).toEqual([held]);
  });

  it('partial exits: the stop’s resize fails on the way — the stop is brought to the position a second later, not left selling 10 of 5', async () => {
    const { engine, signal, price, flush, broker, clock, alerts } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    broker.failNext('replaceOrder', { kind: 'server_error' });
    await price('102');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('5');
    const stopAt = () => broker.orderReports().find((o) => o.clientOrderId === engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId);
    // The replace never arrived: at the broker the stop still sells 10 at 98.
    expect([stopAt()?.quantity.toString(), stopAt()?.stopPrice?.toString()]).toEqual(['10', '98']);
    clock.advance(1_000);
    await flush();
    expect([stopAt()?.quantity.toString(), stopAt()?.stopPrice?.toString()]).toEqual(['5', '100']);
    expect(alerts).not.toContain('protection_out_of_step');
  });

  it('the engine stopped while a stop waits to be brought in step: nothing is sent while it is down, the look comes back with start()', async () => {
    const { engine, signal, price, flush, broker, clock } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    broker.failNext('replaceOrder', { kind: 'server_error' });
    await price('102');
    await engine.stop();
    const replaces = () => broker.requests.filter((r) => r.method === 'replaceOrder').length;
    const before = replaces();
    clock.advance(60_000);
    await flush();
    expect(replaces()).toBe(before);
    await engine.start();
    clock.advance(1_000);
    await flush();
    const stop = broker.orderReports().find((o) => o.clientOrderId === engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId);
    expect([stop?.quantity.toString(), stop?.stopPrice?.toString()]).toEqual(['5', '100']);
  });

  it('an exit filling in parts (a thin market): the stop and target shrink with the position each time, so a stop triggering meanwhile never sells more than is held', async () => {
    const { engine, signal, price, flush, broker } = await setup();
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', 3);
    await engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    const sizes = () => {
      const guard = engine.protection!.protectionOf('AAPL')!;
      return [engine.positions.get('AAPL')?.quantity.toString(), brief(guard.stop), guard.targets.map(brief)];
    };
    expect(sizes()).toEqual(['7', 'sell stop 7 @ 98', ['sell limit 7 @ 104']]);
    await price('100.5'); // 3 more fill
    expect(sizes()).toEqual(['4', 'sell stop 4 @ 98', ['sell limit 4 @ 104']]);
    // The stop triggers while the exit still works: between them they sell the 4 held — never the
    // stop's old 10 on top of the exit — and what is left of both is cancelled once the position is flat.
    await price('97');
    await price('97');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()).toEqual([]);
    const sold = broker.orderReports().filter((o) => o.side === 'sell').reduce((sum, o) => sum + Number(o.filledQuantity), 0);
    expect(sold).toBe(10);
    expect(broker.orderReports().filter((o) => ['accepted', 'partially_filled'].includes(o.status))).toEqual([]);
  });

  it('a stop the broker will not resize, whatever is asked: looked at eight times, then a critical protection_out_of_step — and looked at again minutes apart, so it is resized once the broker takes it', async () => {
    const { engine, signal, price, flush, broker, clock, alerts } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    broker.failNext('replaceOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: replace refused', { status: 422 }) }, 20);
    await price('102');
    for (let t = 0; t < 300_000; t += 1_000) {
      clock.advance(1_000);
      await flush();
    }
    expect(alerts.filter((code) => code === 'protection_out_of_step')).toHaveLength(1);
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 98');
    broker.clearFaults();
    for (let t = 0; t < 3_600_000 && brief(engine.protection!.protectionOf('AAPL')!.stop) !== 'sell stop 5 @ 100'; t += 10_000) {
      clock.advance(10_000);
      await flush();
    }
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
    expect(alerts.filter((code) => code === 'protection_out_of_step')).toHaveLength(1);
  });

  it('the refusals of one look are one try: the stop and a leg refused together count once, and the alert comes after eight looks — it came after four, the backoff climbing twice as fast', async () => {
    const { engine, signal, flush, broker, clock, alerts } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    const asked = replacesAsked(broker);
    broker.failNext('replaceOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: replace refused', { status: 422 }) }, 10_000);
    // An exit of 3: the stop (10 → 7) and the far leg (5 → 2) are resized together, and refused.
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' }));
    await flush();
    expect(asked()).toBe(2);
    for (let t = 0; t < 600_000 && !alerts.includes('protection_out_of_step'); t += 500) {
      clock.advance(500);
      await flush();
    }
    expect(alerts).toContain('protection_out_of_step');
    // The first resize, then eight looks, each asking for both.
    expect(asked()).toBe(2 + 8 * 2);
  });

  it('a stop the broker refused to resize past the quick looks: each reconciliation looks too — once between two of the backoff’s own looks — so it is resized with the first after the broker takes it, not up to an hour later', async () => {
    const { engine, flush, broker, clock } = await outOfStepForMinutes({ kind: 'error', error: new BrokerError('invalid_order', 'mock broker: replace refused', { status: 422 }) });
    const replaces = replacesAsked(broker);
    const before = replaces();
    await engine.reconcile();
    await flush();
    const hurried = replaces();
    expect(hurried).toBeGreaterThan(before);
    // Refused again: the next reconciliation waits for the backoff's own look.
    await engine.reconcile();
    await flush();
    expect(replaces()).toBe(hurried);
    for (let t = 0; t < 7_200_000 && replaces() === hurried; t += 10_000) {
      clock.advance(10_000);
      await flush();
    }
    expect(replaces()).toBeGreaterThan(hurried);
    // The broker takes replaces again: the next reconciliation brings the stop to the position, no time passing.
    broker.clearFaults();
    await engine.reconcile();
    await flush();
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
  });

  describe('the broker back after a long outage: a stop left out of step is brought to the position at once, not at the next backed-off look', () => {

    it('a reconciliation that goes through after one that failed', async () => {
      const { engine, flush, broker } = await outOfStepForMinutes();
      broker.failNext('getOpenOrders', { kind: 'network' }, 1_000);
      await expect(engine.reconcile()).rejects.toThrow();
      broker.clearFaults();
      const replacesBefore = broker.requests.filter((r) => r.method === 'replaceOrder').length;
      await engine.reconcile();
      await flush();
      // No time passed: the look came with the reconciliation, not the clock (next look due minutes later).
      expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
      expect(broker.requests.filter((r) => r.method === 'replaceOrder').length).toBe(replacesBefore + 1);
      // A second reconciliation, all going through, asks nothing more.
      await engine.reconcile();
      await flush();
      expect(broker.requests.filter((r) => r.method === 'replaceOrder').length).toBe(replacesBefore + 1);
    });

    it('the stream reconnecting', async () => {
      const { engine, flush, broker } = await outOfStepForMinutes();
      broker.dropStream();
      await flush();
      broker.clearFaults();
      broker.restoreStream();
      await flush();
      expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
    });

    it('a broker that still refuses is asked no more often: a reconciliation after one that went through brings nothing forward', async () => {
      const { engine, flush, broker } = await outOfStepForMinutes();
      const replaces = (): number => broker.requests.filter((r) => r.method === 'replaceOrder').length;
      const before = replaces();
      await engine.reconcile();
      await engine.reconcile();
      await flush();
      expect(replaces()).toBe(before);
      expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 98');
    });
  });

  it('an exit on a broker where open exits hold the shares (the stop and target cancelled to make room) that ends unfilled: the stop and target come back', async () => {
    // As at Alpaca: protection is one native OCO (two sells of the same shares would be refused).
    const { engine, signal, flush, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true } });
    const unprotected: string[] = [];
    engine.on('alert', (a) => a.code === 'position_unprotected' && unprotected.push(a.message));
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', '0'); // the exit rests
    const exit = await engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    expect(exit.kind).toBe('executed');
    const working = () => broker.orderReports().filter((o) => o.status === 'accepted').map(brief);
    expect(working()).toEqual(['sell market 10 @ undefined']); // the stop and target made room for it
    broker.endByBroker({ clientOrderId: exit.kind === 'executed' ? exit.order.clientOrderId : '' }, { status: 'expired' });
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(unprotected).toEqual(['AAPL: the exit left the position open (expired); its stop is placed again']);
    expect(working().sort()).toEqual(['sell limit 10 @ 104', 'sell stop 10 @ 98']);
  });

  it('a force-close refused while the stop\'s cancel is still ending, then an exit signal: that exit is watched, and when it ends unfilled the stop comes back', async () => {
    const { engine, signal, flush, broker, clock } = await setup(true, {}, { cancelLatencyMs: 5_000 });
    const unprotected: string[] = [];
    engine.on('alert', (a) => a.code === 'position_unprotected' && unprotected.push(a.message));
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', '0');
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: close refused', { status: 422 }) }, 1);
    // Its cancels of the stop and target take 5 s to end; its close is refused at once.
    expect((await engine.forceClose('AAPL', 'operator'))?.status).toBe('rejected');
    await flush();
    // An exit while the stop is still ending (so not watched when sent): it rests.
    const exit = await engine.executeSignal(signal({ side: 'sell' }));
    expect(exit.kind).toBe('executed');
    for (let t = 0; t < 10_000; t += 500) {
      clock.advance(500);
      await flush();
    }
    // The stop's cancel ended; the exit still works: nothing placed, the exit watched instead.
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map(brief)).toEqual(['sell market 10 @ undefined']);
    broker.endByBroker({ clientOrderId: exit.kind === 'executed' ? exit.order.clientOrderId : '' }, { status: 'expired' });
    await flush();
    expect(unprotected.at(-1)).toBe('AAPL: the close left the position open (expired); its stop is placed again');
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map(brief)).toContain('sell stop 10 @ 98');
  });

  it('an exit there that fills: the position closes, nothing comes back', async () => {
    const { engine, signal, flush, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true } });
    await engine.executeSignal(signal());
    await flush();
    await engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.orderReports().filter((o) => o.status === 'accepted')).toEqual([]);
  });

  it('the stop fills: every target is cancelled at once (a target left working a round trip longer could fill into a new position)', async () => {
    const { engine, signal, price, live, broker, clock } = await setup({ partialExits: [{ r: 1, fraction: '0.3' }, { r: 2, fraction: '0.3' }, { r: 3, fraction: '0.4' }] });
    await engine.executeSignal(signal());
    await price('100');
    expect(engine.protection!.protectionOf('AAPL')!.targets).toHaveLength(3);
    broker.setLatency(250);
    const cancels = (): number => broker.requests.filter((r) => r.method === 'cancelOrder').length;
    await price('97'); // through the stop at 98
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(cancels()).toBe(3); // every target's cancel sent before the first one's answer
    await clock.advanceAsync(250);
    await price('97');
    expect(live()).toEqual([]);
  });

  it('rounds protective prices to the price step toward the market instead of being refused', async () => {
    const { engine, signal, price, flush, alerts } = await setup();
    await price('97.90');
    await engine.executeSignal(signal());
    await flush();
    const protection = engine.protection!.protectionOf('AAPL')!;
    // 2% below 97.90 is 95.942: up to 95.95. The 2:1 target 101.816: down to 101.81.
    expect(brief(protection.stop)).toBe('sell stop 10 @ 95.95');
    expect(protection.targets.map(brief)).toEqual(['sell limit 10 @ 101.81']);
    expect(protection.stop?.status).toBe('accepted');
    expect(engine.positions.get('AAPL')?.stopPrice?.toString()).toBe('95.95');
    expect(alerts).not.toContain('position_unprotected');
  });

  it('an entry that fills through its stop (the price gapped while the order travelled): the stop alone, no target on the stop\'s side of the entry — and the stop closes the position', async () => {
    const { engine, signal, broker, clock, flush } = await setup();
    broker.setLatency(50);
    const seen: string[] = [];
    const details: unknown[] = [];
    engine.on('alert', (a) => a.code === 'protection_no_target' && seen.push(a.message) && details.push(a.details));
    const placed: string[] = [];
    engine.on('order:submitted', ({ order }) => placed.push(brief(order)!));
    const sent = engine.executeSignal(signal()); // stop at 98 (2% below 100)
    broker.setPrice('AAPL', '97'); // the market gaps down before the order arrives
    let done = false;
    void sent.then(() => (done = true));
    for (let i = 0; i < 40 && !done; i++) {
      clock.advance(50);
      await flush();
    }
    expect(done).toBe(true);
    for (let i = 0; i < 10; i++) {
      clock.advance(50);
      await flush();
    }
    expect(seen).toEqual(['AAPL: the entry filled at 97, at or through its stop at 98; only the stop is placed']);
    expect(details).toEqual([{ symbol: 'AAPL', entry: '97', stopPrice: '98', action: 'left_off' }]);
    expect(placed.slice(0, 2)).toEqual(['buy market 10 @ undefined', 'sell stop 10 @ 98']);
    expect(placed.some((o) => o.includes('limit'))).toBe(false);
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('moves the stop to break-even at 1R in profit', async () => {
    const { engine, signal, price, flush } = await setup({ breakEvenAtR: 1 });
    await engine.executeSignal(signal());
    await flush();
    await price('101.50');
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 98');
    await price('102');
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 100');
  });

  it('an exit signal still goes (protective orders are not "pending orders") and takes them with it', async () => {
    const { engine, signal, price, live, flush } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await price('101');
    expect((await engine.executeSignal(signal({ side: 'sell' }))).kind).toBe('executed');
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
  });

  it('a fill racing the sibling\'s cancel on a broker that enforces reduce-only: the second fill is trimmed to nothing, no position flips', async () => {
    const { engine, broker, signal, price, live, alerts, flush } = await setup(true, {}, { cancelLatencyMs: 1_000 });
    await engine.executeSignal(signal());
    await flush();
    await price('104'); // the target fills; the stop's cancel is still pending at the broker…
    await price('97'); // …when the price gaps through the stop: the broker has nothing left for it to reduce
    await flush();
    expect(alerts).not.toContain('protection_overfill');
    expect(broker.positionReports()).toEqual([]);
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
  });

  it('a fill racing the sibling\'s cancel on a broker without reduce-only: the accidental position is closed at once, with an alert', async () => {
    const { engine, signal, price, live, alerts, flush } = await setup(true, {}, { cancelLatencyMs: 1_000, reduceOnly: 'ignore' });
    await engine.executeSignal(signal());
    await flush();
    await price('104'); // the target fills; the stop's cancel is still pending at the broker…
    await price('97'); // …when the price gaps through the stop: it fills too
    await flush();
    expect(alerts).toContain('protection_overfill');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live().filter((o) => o.status !== 'pending_cancel')).toEqual([]);
  });

  it('trails with the broker\'s trailing stop when the stop method is trailing', async () => {
    const { engine, signal, price, flush } = await setup(true, { stopLoss: { method: 'trailing', trailingPercent: 1 } });
    await engine.executeSignal(signal());
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.type).toBe('trailing_stop');
    // Initial stop 1% below 100 = 99, so the 2:1 target is 102: the path stays under it.
    for (const p of ['100.50', '101.50', '101.00']) await price(p);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10'); // 101.50 × 0.99 = 100.485 not reached
    await price('100.40');
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('the stop and target of a closed position whose cancels the broker refused are asked again until they end — they stayed working, the stop able to open a position (found by the Alpaca wire search)', async () => {
    const { engine, broker, clock, signal, price, flush, alerts } = await setup(true, {}, { cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    broker.refuseCancels(4);
    await engine.executeSignal(signal({ side: 'sell' })); // closes the position: the stop and target are cancelled, and refused
    for (let i = 0; i < 40; i++) await clock.advanceAsync(500);
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.orderReports().filter((o) => o.status === 'accepted' || o.status === 'pending_cancel').map((o) => o.clientOrderId)).toEqual([]);
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('cancelled');
    expect(alerts).not.toContain('cancel_failed');
    await price('100');
  });

  it('the kill switch with flatten while the broker refuses the stop’s cancel: trading resumed, the stop of the closed position is still asked to cancel until it ends — the halt’s want was let go on resume and it worked on over no position (found by the network search)', async () => {
    const { engine, broker, clock, signal, flush } = await setup(true, {}, { cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    broker.refuseCancels(1);
    const halting = engine.halt({ reason: 'drill', flatten: true });
    await clock.advanceAsync(100); // the flatten's close fills; the cancels are still pending
    await halting;
    expect(engine.positions.get('AAPL')).toBeUndefined();
    engine.resume();
    for (let i = 0; i < 20; i++) await clock.advanceAsync(500);
    await flush();
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('cancelled');
    expect(broker.orderReports().filter((o) => o.status === 'accepted' || o.status === 'pending_cancel')).toEqual([]);
  });

  it('a closed position’s stop whose cancel first failed on the network, then was refused by the broker: still asked again until it ends — the refusal came after the retry had gone, and was skipped for that retry for good (found by the crash search)', async () => {
    const { engine, broker, clock, signal, flush, alerts } = await setup(true, {}, { cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    broker.failNext('cancelOrder', { kind: 'network' });
    broker.refuseCancels(2);
    await engine.executeSignal(signal({ side: 'sell' }));
    for (let i = 0; i < 60; i++) await clock.advanceAsync(500);
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('cancelled');
    expect(broker.orderReports().filter((o) => o.status === 'accepted' || o.status === 'pending_cancel')).toEqual([]);
    expect(alerts).not.toContain('cancel_failed');
  });

  it('refused again and again: asked again a few times, then a critical cancel_failed alert names the order still working — and it is asked on, minutes apart, until it ends (given up, it worked on over no position for good)', async () => {
    const { engine, broker, clock, signal, flush } = await setup(true, {}, { cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    const failed: string[] = [];
    engine.on('alert', (a) => a.code === 'cancel_failed' && failed.push(a.clientOrderId ?? ''));
    broker.refuseCancels(1_000);
    await engine.executeSignal(signal({ side: 'sell' }));
    for (let i = 0; i < 400; i++) await clock.advanceAsync(1_000);
    await flush();
    expect(failed).toContain(stop.clientOrderId);
    const asked = broker.requests.filter((r) => r.method === 'cancelOrder' && r.clientOrderId === stop.clientOrderId).length;
    expect(asked).toBeGreaterThan(2);
    expect(asked).toBeLessThan(12);
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('accepted');
    broker.refuseCancels(0);
    for (let i = 0; i < 10; i++) await clock.advanceAsync(60_000);
    await flush();
    expect(failed.filter((id) => id === stop.clientOrderId)).toHaveLength(1);
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('cancelled');
    expect(broker.orderReports().filter((o) => o.status === 'accepted' || o.status === 'pending_cancel')).toEqual([]);
  });

  it("a broker's trailing stop lost after the price fell from its best is placed again at the level it had reached, and trailed from there — placed as a new trailing stop, it trailed from the lower price, looser than the one lost", async () => {
    const { engine, broker, signal, price, flush } = await setup(true, { stopLoss: { method: 'trailing', trailingPercent: 5 }, takeProfit: { method: 'risk_reward', riskRewardRatio: 20 } });
    await engine.executeSignal(signal());
    await flush();
    const stop = () => engine.protection!.protectionOf('AAPL')?.stop;
    expect(stop()?.type).toBe('trailing_stop');
    await price('120'); // the broker's stop trails to 114
    await price('116');
    expect(broker.endByBroker({ clientOrderId: stop()!.clientOrderId })).toBe(true); // cancelled in the broker's app
    await flush();
    expect(brief(stop())).toBe('sell stop 10 @ 114');
    await price('121'); // trailed by the engine from there: 121 × 0.95 = 114.95
    expect(brief(stop())).toBe('sell stop 10 @ 114.95');
    await price('114.90');
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it("a broker's trailing stop lost at the price's best is placed again as a trailing stop", async () => {
    const { engine, broker, signal, price, flush } = await setup(true, { stopLoss: { method: 'trailing', trailingPercent: 5 }, takeProfit: { method: 'risk_reward', riskRewardRatio: 20 } });
    await engine.executeSignal(signal());
    await flush();
    const stop = () => engine.protection!.protectionOf('AAPL')?.stop;
    await price('120');
    expect(broker.endByBroker({ clientOrderId: stop()!.clientOrderId })).toBe(true);
    await flush();
    expect(stop()?.type).toBe('trailing_stop');
    await price('113.90'); // 120 × 0.95 = 114
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('emulates the trailing stop where the broker has none: the stop follows the price, never back', async () => {
    const { engine, signal, price, flush } = await setup({ breakEvenAtR: 0 }, { stopLoss: { method: 'trailing', trailingPercent: 1 } }, { capabilities: { nativeTrailingStop: false } });
    await engine.executeSignal(signal());
    await flush();
    const stop = () => brief(engine.protection!.protectionOf('AAPL')?.stop);
    expect(stop()).toBe('sell stop 10 @ 99');
    await price('100.80');
    expect(stop()).toBe('sell stop 10 @ 99.8'); // 100.80 × 0.99 = 99.792, rounded up to the cent (toward the market)
    await price('100.20');
    expect(stop()).toBe('sell stop 10 @ 99.8'); // never back
    await price('99.70');
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it('over random price paths, no open position is ever left without a stop covering it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 5, maxLength: 30 }), fc.boolean(), async (moves, partial) => {
        const { engine, broker, signal, price, flush } = await setup(partial ? { partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] } : true);
        let last = 100;
        await engine.executeSignal(signal());
        await flush();
        for (const move of moves) {
          last = Math.max(50, last + move / 10);
          await price(last.toFixed(2));
          if (!engine.positions.get('AAPL')) await engine.executeSignal(signal());
          await flush();
          const position = engine.positions.get('AAPL');
          if (!position || position.quantity.isZero()) continue;
          const stop = engine.protection!.protectionOf('AAPL')?.stop;
          expect(stop, `price ${last}`).toBeDefined();
          const atBroker = broker.orderReports().find((o) => o.clientOrderId === stop!.clientOrderId);
          expect(['accepted', 'partially_filled'], `price ${last}`).toContain(atBroker?.status);
          expect(atBroker!.quantity.minus(atBroker!.filledQuantity).toString(), `price ${last}`).toBe(position.quantity.toString());
        }
        await engine.stop();
      }),
      { numRuns: 100 },
    );
  });
});

describe('RiskOrderManager: whatever the broker does to the protective orders', () => {
  it('over random prices, broker cancels, refusals and outside trades, an open position always ends with one stop covering exactly it — or is closed, or (the broker refused every stop and close it was sent) is alerted as left bare', async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('move' as const), by: fc.integer({ min: -30, max: 30 }) }),
      fc.record({ kind: fc.constant('cancel' as const), leg: fc.constantFrom('stop', 'target') }),
      fc.record({ kind: fc.constant('refuse' as const), times: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('outside' as const), side: fc.constantFrom('buy' as const, 'sell' as const), quantity: fc.integer({ min: 1, max: 4 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 15 }), fc.boolean(), async (actions, native) => {
        const { engine, broker, signal, price, flush, clock } = await setup(true, {}, native ? { capabilities: { nativeOco: true, nativeBracket: true } } : {});
        const givenUp: string[] = [];
        engine.on('alert', (a) => a.code === 'position_unprotected' && a.message.includes('left as it is') && givenUp.push(a.message));
        let last = 100;
        let hand = 0;
        await engine.executeSignal(signal());
        await flush();
        for (const a of actions) {
          const guard = engine.protection!.protectionOf('AAPL');
          if (a.kind === 'move') {
            last = Math.max(50, last + a.by / 10);
            await price(last.toFixed(2));
          } else if (a.kind === 'cancel') {
            const order = a.leg === 'stop' ? guard?.stop : guard?.targets[0];
            if (order) broker.endByBroker({ clientOrderId: order.clientOrderId });
          } else if (a.kind === 'refuse') {
            broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: refused', { status: 422 }) }, a.times);
          } else if (engine.positions.get('AAPL') && (a.side === 'buy' || a.quantity < Number(engine.positions.get('AAPL')!.quantity.toString()))) {
            // A trade made outside the engine, then the reconciliation that notices it.
            await broker.submitOrder(createOrder({ symbol: 'AAPL', side: a.side, quantity: a.quantity, clientOrderId: `hand-${++hand}` }, { clock, ids: sequentialIds() })).catch(() => undefined); // a queued refusal may take it
            await flush();
            await engine.reconcile();
          }
          await flush();
          if (!engine.positions.get('AAPL')) {
            await engine.executeSignal(signal());
            await flush();
          }
        }
        // Quiet: whatever is open is covered by exactly one working stop of its size.
        await flush();
        const position = engine.positions.get('AAPL');
        const atBroker = broker.positionReports().find((p) => p.symbol === 'AAPL');
        expect(position?.quantity.toString() ?? '0').toBe(atBroker?.quantity.abs().toString() ?? '0');
        const stops = broker.orderReports().filter((o) => o.type === 'stop' && ['accepted', 'partially_filled'].includes(o.status));
        if (!position) expect(stops).toEqual([]);
        else if (stops.length === 0 && givenUp.length > 0) expect(actions.some((a) => a.kind === 'refuse')).toBe(true);
        else {
          expect(stops, JSON.stringify(actions)).toHaveLength(1);
          expect(stops[0]!.quantity.minus(stops[0]!.filledQuantity).toString(), JSON.stringify(actions)).toBe(position.quantity.toString());
          expect(stops[0]!.clientOrderId).toBe(engine.protection!.protectionOf('AAPL')?.stop?.clientOrderId);
        }
        await engine.stop();
      }),
      { numRuns: 60 },
    );
  });
});

describe('RiskOrderManager with a broker that has native OCO', () => {
  const native = { capabilities: { nativeOco: true, nativeBracket: true } };

  it('sends the stop and the target as one OCO, linked as siblings', async () => {
    const { engine, signal, flush, broker } = await setup(true, {}, native);
    await engine.executeSignal(signal());
    await flush();
    const protection = engine.protection!.protectionOf('AAPL')!;
    expect(brief(protection.stop)).toBe('sell stop 10 @ 98');
    expect(protection.targets.map(brief)).toEqual(['sell limit 10 @ 104']);
    expect(protection.stop?.links.ocoSiblingId).toBe(protection.targets[0]?.clientOrderId);
    expect(broker.requests.filter((r) => r.method === 'submitOrder').length).toBe(2); // the entry, then one OCO
  });

  it('the target fills: the broker cancels the stop itself, and the engine sends no cancel', async () => {
    const { engine, signal, price, live, flush, broker } = await setup(true, {}, native);
    await engine.executeSignal(signal());
    await flush();
    await price('104.20');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(engine.protection!.protectionOf('AAPL')).toBeUndefined();
    expect(broker.requests.filter((r) => r.method === 'cancelOrder')).toEqual([]);
  });

  it('the stop fills: the target goes with it; a gap through both cannot fill both (no accidental position)', async () => {
    const { engine, signal, price, live, alerts, flush } = await setup(true, {}, { ...native, cancelLatencyMs: 1_000 });
    await engine.executeSignal(signal());
    await flush();
    await price('97');
    await price('104.5'); // the emulated pair could race here; the native one cannot
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(alerts).not.toContain('protection_overfill');
  });

  it('a partial fill of the target shrinks the stop at the broker, and the position stays covered', async () => {
    const { engine, signal, price, flush, broker } = await setup(true, {}, native);
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', 4);
    await price('104.1');
    const protection = engine.protection!.protectionOf('AAPL')!;
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('6');
    expect(protection.stop?.quantity.toString()).toBe('6');
    expect(protection.stop?.status).toBe('accepted');
  });
});

describe('RiskOrderManager adjustments (every change a replace in the audit trail)', () => {
  it('emulated OCO: a partial fill of the target shrinks the stop to what is left', async () => {
    const { engine, signal, price, flush, broker } = await setup();
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', 4);
    await price('104.1');
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([engine.positions.get('AAPL')?.quantity.toString(), guard.stop?.quantity.toString(), guard.targets[0]?.filledQuantity.toString()]).toEqual(['6', '6', '4']);
    const trail = engine.orders.auditTrail({ clientOrderId: guard.stop!.clientOrderId }).filter((r) => r.kind === 'order.event' && r.eventType === 'modified');
    expect(trail.length).toBeGreaterThan(0);
  });

  it('emulated OCO: a partial fill of the stop shrinks the target', async () => {
    const { engine, signal, price, flush, broker } = await setup();
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', 3);
    await price('97.9');
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([engine.positions.get('AAPL')?.quantity.toString(), guard.targets[0]?.quantity.toString(), guard.stop?.filledQuantity.toString()]).toEqual(['7', '7', '3']);
  });

  it('tightens near the target: 80% of the way there, the stop locks half the gain (long and short)', async () => {
    const { engine, signal, price, flush } = await setup({ tightenNearTarget: { progress: '0.8', lock: '0.5' }, breakEvenAtR: 0 });
    await engine.executeSignal(signal());
    await flush();
    await price('103'); // 75% of the way to 104: nothing yet
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('98');
    await price('103.5'); // 87.5%: lock half of 3.50
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('101.75');
    await price('103.2'); // never back
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('101.75');

    const short = await setup({ tightenNearTarget: { progress: '0.8', lock: '0.5' }, breakEvenAtR: 0 }, { allowShorting: true });
    await short.engine.executeSignal(short.signal({ side: 'sell' }));
    await short.flush();
    await short.price('96.4'); // 90% of the way down to 96
    expect(short.engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('98.2');
  });

  it('widens stops on the loss side while volatility is high, and restores them after', async () => {
    const { engine, signal, flush } = await setup({ volatility: { threshold: 30, factor: 2 } });
    await engine.executeSignal(signal());
    await flush();
    engine.reportVolatility(35);
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('96');
    engine.reportVolatility(31); // still high: unchanged
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('96');
    // A negative reading (a change sent where a level is wanted) is refused: it would have put the narrow stop back.
    expect(() => engine.reportVolatility(-35)).toThrow(expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining('volatility must be zero or more, got -35') }));
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('96');
    engine.reportVolatility(20);
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('98');
  });

  it("widens every position's stop at once when volatility jumps (one broker round trip, not one per position)", async () => {
    const { engine, signal, broker, clock, flush } = await setup({ volatility: { threshold: 30, factor: 2 } });
    for (const symbol of ['AAPL', 'MSFT', 'NVDA']) {
      broker.setPrice(symbol, '100');
      engine.updatePrice(symbol, '100');
      await engine.executeSignal(signal({ symbol }));
    }
    await flush();
    broker.setLatency(250);
    const replaces = (): number => broker.requests.filter((r) => r.method === 'replaceOrder').length;
    engine.reportVolatility(35);
    await flush();
    expect(replaces()).toBe(3); // every stop's replace sent before the first answer
    await clock.advanceAsync(250);
    await flush();
    expect(['AAPL', 'MSFT', 'NVDA'].map((symbol) => engine.protection!.protectionOf(symbol)!.stop?.stopPrice?.toString())).toEqual(['96', '96', '96']);
  });

  it('never widens a stop that already protects a gain', async () => {
    const { engine, signal, price, flush } = await setup({ volatility: { threshold: 30, factor: 2 } });
    await engine.executeSignal(signal());
    await flush();
    await price('102.5'); // 1.25R: the stop moved to break-even
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('100');
    engine.reportVolatility(50);
    await flush();
    expect(engine.protection!.protectionOf('AAPL')!.stop?.stopPrice?.toString()).toBe('100');
  });
});

describe('RiskOrderManager on a broker that cannot replace an order (capabilities.replace false)', () => {
  const noReplace = { capabilities: { replace: false } };
  const working = (broker: MockBroker, id: string | undefined) => broker.orderReports().find((o) => o.clientOrderId === id);

  it('a partial exit: the stop and target are cancelled and placed again for the 7 left — left at 10, the stop would sell 3 short (found by the search)', async () => {
    const { engine, signal, flush, broker, alerts, live } = await setup(true, {}, noReplace);
    await engine.executeSignal(signal());
    await flush();
    const before = engine.protection!.protectionOf('AAPL')!;
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' }));
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('7');
    const after = engine.protection!.protectionOf('AAPL')!;
    expect([brief(after.stop), ...after.targets.map(brief)]).toEqual(['sell stop 7 @ 98', 'sell limit 7 @ 104']);
    // New orders (new client order ids); the old ones cancelled at the broker, nothing else working.
    expect(after.stop!.clientOrderId).not.toBe(before.stop!.clientOrderId);
    expect(working(broker, before.stop!.clientOrderId)?.status).toBe('cancelled');
    expect(working(broker, before.targets[0]!.clientOrderId)?.status).toBe('cancelled');
    expect(live().map((o) => `${o.type} ${o.quantity.toString()}`).sort()).toEqual(['limit 7', 'stop 7']);
    expect(alerts.filter((a) => a.startsWith('protection') || a === 'position_unprotected')).toEqual([]);
  });

  it("a leg being placed again (its cancel refused, the answer slow) that the broker ends meanwhile is placed again under a new id — the room held for the old leg goes with it: held on, the new leg was cancelled as having nothing left (found by the crash search)", async () => {
    const { engine, signal, flush, broker, clock, live } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }, {}, { ...noReplace, cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const [, far] = engine.protection!.protectionOf('AAPL')!.targets;
    // Every cancel's answer comes 2 s late (the stream tells first).
    const cancel = broker.cancelOrder.bind(broker);
    broker.cancelOrder = (ref) => cancel(ref).then((value) => new Promise((resolve) => clock.setTimeout(() => resolve(value), 2_000)));
    const step = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 100) {
        clock.advance(100);
        await flush();
      }
    };
    // An exit of 3 leaves 7: the stop comes to 7 (cancelled, answered, placed again), then the far leg to 2.
    void engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' }));
    await flush();
    await step(1_000);
    // The far leg's cancel is refused: it works on — and the broker ends it before the cancel's answer: it is placed again.
    broker.refuseCancels(1, (id) => {
      expect(id).toBe(far!.clientOrderId);
      clock.setTimeout(() => broker.endByBroker({ clientOrderId: id }), 100);
    });
    await step(20_000);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('7');
    expect(live().map((o) => `${o.type} ${o.quantity.toString()}`).sort()).toEqual(['limit 2', 'limit 5', 'stop 7']);
  });

  it('a target leg filling: the stop is placed again smaller and at break-even; the emulated trailing stop moves by cancel and place, never back', async () => {
    const legs = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }, {}, noReplace);
    await legs.engine.executeSignal(legs.signal());
    await legs.flush();
    await legs.price('102');
    expect(legs.engine.positions.get('AAPL')?.quantity.toString()).toBe('5');
    expect(brief(legs.engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 5 @ 100');
    await legs.price('104');
    expect(legs.engine.positions.get('AAPL')).toBeUndefined();
    expect(legs.live()).toEqual([]);

    const { engine, signal, price, flush, live } = await setup({ breakEvenAtR: 0 }, { stopLoss: { method: 'trailing', trailingPercent: 1 } }, { capabilities: { replace: false, nativeTrailingStop: false } });
    await engine.executeSignal(signal());
    await flush();
    const stop = () => brief(engine.protection!.protectionOf('AAPL')?.stop);
    expect(stop()).toBe('sell stop 10 @ 99');
    await price('100.80');
    expect(stop()).toBe('sell stop 10 @ 99.8');
    await price('100.20');
    expect(stop()).toBe('sell stop 10 @ 99.8');
    expect(live().filter((o) => o.type === 'stop')).toHaveLength(1);
    await price('99.70');
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it("a look at the stop that comes while its resend waits on a slow cancel the broker refuses is taken once that wait ends — it went nowhere, and the trailing stop stayed at its old level (found by the network search, where a fill's resize went nowhere the same way: a stop of 2 over a short of 1)", async () => {
    const { engine, signal, flush, broker, price, clock } = await setup({ breakEvenAtR: 0 }, { stopLoss: { method: 'trailing', trailingPercent: 1 } }, { capabilities: { replace: false, nativeTrailingStop: false }, cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const first = engine.protection!.protectionOf('AAPL')!.stop!;
    expect(brief(first)).toBe('sell stop 10 @ 99');
    // Answers take 2 s: the refusal is heard on the stream long before the cancel's own answer, and
    // the refusal's look (1 s later) comes while the resend still waits on that answer.
    broker.setLatency(2_000);
    broker.refuseCancels(1);
    await price('100.80'); // the stop trails to 99.8, by cancel and place: the cancel is refused
    for (let i = 0; i < 40; i++) await clock.advanceAsync(500);
    await flush();
    expect(working(broker, first.clientOrderId)?.status).toBe('cancelled');
    const stops = broker.orderReports().filter((o) => o.type === 'stop' && o.status === 'accepted');
    expect(stops.map((o) => `${o.quantity.toString()} @ ${o.stopPrice?.toString()}`)).toEqual(['10 @ 99.8']);
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 99.8');
  });

  it('the stop fills while its cancel travels: nothing is placed again, the position is closed by it', async () => {
    const { engine, signal, flush, broker, price, live, clock } = await setup(true, {}, { ...noReplace, cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' }));
    await flush();
    // The stop is pending cancel (300 ms to confirm) when the price falls through it.
    expect(engine.orders.get(engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId)?.status).toBe('pending_cancel');
    await price('97');
    // The broker trims the reduce-only stop to the 7 held; the target's cancel confirms 300 ms later.
    clock.advance(1_000);
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
    expect(broker.orderReports().filter((o) => o.type === 'stop').map((o) => `${o.status} ${o.filledQuantity.toString()}`)).toEqual(['cancelled 7']);
  });

  it('a native OCO pair is cancelled and placed again as a pair', async () => {
    const { engine, signal, flush, live } = await setup(true, {}, { capabilities: { replace: false, nativeOco: true, nativeBracket: true } });
    await engine.executeSignal(signal());
    await flush();
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.5' }));
    await flush();
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([brief(guard.stop), ...guard.targets.map(brief)]).toEqual(['sell stop 5 @ 98', 'sell limit 5 @ 104']);
    expect(live().map((o) => `${o.type} ${o.quantity.toString()}`).sort()).toEqual(['limit 5', 'stop 5']);
  });
});

describe('RiskOrderManager: a stop lost without the engine asking', () => {
  const refusal = { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: stop refused', { status: 422 }) } as const;
  const unprotected = (engine: ExecutionEngine, seen: { code: string; message: string; details?: unknown }[]) => {
    engine.on('alert', (a) => a.code === 'position_unprotected' && seen.push(a));
  };
  /** A protected long of 10 AAPL (stop 98, target 104), the `position_unprotected` alerts it raises, and the broker ending its stop. */
  const protectedLong = async (...args: Parameters<typeof setup>) => {
    const harness = await setup(...args);
    const seen: { code: string; message: string; details?: unknown }[] = [];
    unprotected(harness.engine, seen);
    await harness.engine.executeSignal(harness.signal());
    await harness.flush();
    const endStop = (options?: Parameters<MockBroker['endByBroker']>[1]) => harness.broker.endByBroker({ clientOrderId: harness.engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId }, options);
    return { ...harness, seen, endStop };
  };
  /** The position's working stop covers its whole quantity. */
  const covered = (engine: ExecutionEngine): string | undefined => {
    const stop = engine.protection!.protectionOf('AAPL')?.stop;
    return stop && ['accepted', 'partially_filled'].includes(stop.status) ? brief(stop) : undefined;
  };

  it('a mistyped onStopLost or stopAttempts is a ConfigurationError naming the field, not "never put a stop back"', async () => {
    await expect(setup({ onStopLost: 'replce' as never })).rejects.toThrow(/protection\.onStopLost must be 'replace', 'close' or 'alert', got "replce"/);
    await expect(setup({ stopAttempts: 0 })).rejects.toMatchObject({ code: 'invalid_configuration', issues: [{ field: 'protection.stopAttempts' }] });
    await expect(setup({ stopAttempts: 2.5 })).rejects.toThrow(/stopAttempts must be a whole number of at least 1, got 2.5/);
  });

  it('every other protection option out of range, or a key it does not know, is a ConfigurationError naming each — before, a typo was ignored (no trailing, no break-even) and a bad number threw from a price update long after start', async () => {
    const fields = async (options: object): Promise<string[]> => {
      try {
        await setup(options as never);
      } catch (error) {
        expect(error).toMatchObject({ name: 'ConfigurationError', code: 'invalid_configuration' });
        return (error as { issues: { field: string }[] }).issues.map((i) => i.field);
      }
      throw new Error('not refused');
    };
    expect(await fields({ trailingPercnt: 1, breakEvenAtR: -1, trailingPercent: 150 })).toEqual(['protection.trailingPercnt', 'protection.trailingPercent', 'protection.breakEvenAtR']);
    expect(await fields({ partialExits: [{ r: 0, fraction: '0.5' }, { r: 2, fraction: 'half' }] })).toEqual(['protection.partialExits[0].r', 'protection.partialExits[1].fraction']);
    expect(await fields({ partialExits: [{ r: 1, fraction: '0.6' }, { r: 2, fraction: '0.6' }] })).toEqual(['protection.partialExits']);
    expect(await fields({ partialExits: [] })).toEqual(['protection.partialExits']);
    expect(await fields({ volatility: { threshold: 0, factor: '0.5' }, tightenNearTarget: { progress: '1.5', lock: 1 } })).toEqual([
      'protection.volatility.threshold',
      'protection.volatility.factor',
      'protection.tightenNearTarget.progress',
      'protection.tightenNearTarget.lock',
    ]);
    expect(await fields({ volatility: { threshold: 'x', factor: 2 } })).toEqual(['protection.volatility.threshold']);
  });

  it('given up on (the broker refused every stop and close): tried again a minute later, then 2, 4 … — the stop is back once the broker takes it', async () => {
    const { engine, flush, broker, clock, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 20); // 3 stops, 3 closes, the stops between them: refused
    endStop();
    await flush();
    expect(seen.at(-1)?.message).toContain('left as it is');
    expect(covered(engine)).toBeUndefined();
    broker.clearFaults();
    await engine.stop(); // a stopped engine does not try …
    clock.advance(120_000);
    await flush();
    expect(covered(engine)).toBeUndefined();
    await engine.start(); // … a started one does, a minute on
    clock.advance(60_000);
    await flush();
    expect(seen.at(-1)?.message).toBe('AAPL: trying the stop at 98 again after giving up (1 time(s))');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it('given up on while the broker was unreachable: tried again as soon as a reconciliation goes through after one that failed, not a minute later', async () => {
    const { engine, flush, broker, seen, endStop, clock } = await protectedLong();
    broker.failNext('submitOrder', { kind: 'network' }, 10_000); // every stop and close fails on the way
    endStop();
    for (let t = 0; t < 600_000 && !seen.at(-1)?.message.includes('left as it is'); t += 1_000) {
      clock.advance(1_000);
      await flush();
    }
    expect(seen.at(-1)?.message).toMatch(/^AAPL: the close could not be sent \(.*connection reset.*\); left as it is: neither a stop nor a close went through$/);
    expect(covered(engine)).toBeUndefined();
    broker.failNext('getOpenOrders', { kind: 'network' }, 1_000);
    await expect(engine.reconcile()).rejects.toThrow();
    broker.clearFaults();
    await engine.reconcile();
    await flush();
    // No time passed.
    expect(seen.map((a) => a.message)).toContain('AAPL: trying the stop at 98 again after giving up (1 time(s))');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it('given up on, then a reconciliation compares the position: the stop is tried at once — once between two of the backoff\'s own tries, so a broker that keeps refusing is not asked at every reconciliation', async () => {
    const { engine, flush, broker, clock, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 10_000); // a restricted account: every stop and close refused
    endStop();
    await flush();
    expect(seen.at(-1)?.message).toContain('left as it is');
    const tries = () => seen.filter((a) => a.message.includes('again after giving up')).length;
    await engine.reconcile();
    await flush();
    expect(tries()).toBe(1);
    for (let i = 0; i < 3; i++) {
      await engine.reconcile();
      await flush();
    }
    expect(tries()).toBe(1); // not once per reconciliation
    clock.advance(120_000); // the backoff's own try (2 min after the second give-up) …
    await flush();
    expect(tries()).toBe(2);
    broker.clearFaults();
    await engine.reconcile(); // … after which a comparison may bring one forward again: taken now
    await flush();
    expect(tries()).toBe(3);
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it('given up on, then the position changed by a reconciliation (shares sold in the broker app that held them): the stop is tried at once for what is left', async () => {
    const { engine, flush, broker, clock, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 20);
    endStop();
    await flush();
    expect(seen.at(-1)?.message).toContain('left as it is');
    broker.clearFaults();
    await broker.submitOrder(createOrder({ clientOrderId: 'by-hand-1', symbol: 'AAPL', side: 'sell', quantity: '4', type: 'market' }, { clock, ids: sequentialIds() }));
    await flush();
    await engine.reconcile();
    await flush();
    expect(seen.map((a) => a.message)).toContain('AAPL: trying the stop at 98 again after giving up (1 time(s))');
    expect(covered(engine)).toBe('sell stop 6 @ 98');
  });

  /** The broker's account sells the position while the stream is down (a trade made in its app), then ends the stop: the engine still holds 10 AAPL. */
  const soldBehindTheEngine = async (harness: Awaited<ReturnType<typeof protectedLong>>) => {
    const { broker, clock, engine, flush } = harness;
    broker.dropStream();
    await flush();
    await broker.submitOrder(createOrder({ clientOrderId: 'by-hand-1', symbol: 'AAPL', side: 'sell', quantity: '10', type: 'market' }, { clock, ids: sequentialIds() }));
    expect(broker.positionReports()).toEqual([]);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
  };

  it('a stop refused as one for a position the broker does not hold: the positions are compared first — the engine takes the broker\'s flat, no close is sent, nothing is given up on', async () => {
    const harness = await protectedLong();
    const { engine, broker, flush, seen, endStop } = harness;
    await soldBehindTheEngine(harness);
    endStop();
    broker.restoreStream(); // the reconnect finds the stop ended: protection places it again, and the broker refuses it
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(engine.protection!.protectionOf('AAPL')).toBeUndefined();
    // One try, one refusal, one reconciliation: no three stops and three closes refused, no "left as it is".
    expect(seen.map((a) => a.message)).toEqual(['AAPL: the stop at 98 was cancelled by the broker (ended by the broker); placing it again']);
    expect(engine.orders.orderList().filter((o) => o.status === 'rejected').map(brief)).toEqual(['sell stop 10 @ 98']);
    expect(engine.orders.orderList().filter((o) => o.type === 'market' && o.side === 'sell')).toEqual([]);
  });

  it('a refusal whose reconciliation fails: protection goes on as before (stops, then closes, then a try later); the try a minute later compares again', async () => {
    const harness = await protectedLong();
    const { engine, broker, flush, seen, endStop, clock } = harness;
    await soldBehindTheEngine(harness);
    endStop();
    broker.failNext('getOpenOrders', { kind: 'server_error' }, 50);
    broker.restoreStream();
    await flush();
    expect(seen.at(-1)?.message).toContain('left as it is');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    // The try a minute later is refused too; this time the reconciliation goes through.
    broker.clearFaults();
    clock.advance(60_000);
    await flush();
    expect(seen.at(-1)?.message).toBe('AAPL: trying the stop at 98 again after giving up (1 time(s))');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(engine.protection!.protectionOf('AAPL')).toBeUndefined();
  });

  it('a refusal for another reason (the broker holds the position): compared once, the stop placed again as before', async () => {
    const { engine, flush, broker, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 1);
    endStop();
    await flush();
    expect(covered(engine)).toBe('sell stop 10 @ 98');
    expect(seen.map((a) => a.message)).toEqual([
      'AAPL: the stop at 98 was cancelled by the broker (ended by the broker); placing it again',
      'AAPL: the stop at 98 could not be placed (mock broker: stop refused); placing it again',
    ]);
  });

  it('cancelled by the broker (from its own site, past its age limit): placed again at its level, and it still guards the trade', async () => {
    const { engine, price, flush, broker, live, seen, endStop } = await protectedLong();
    const first = engine.protection!.protectionOf('AAPL')!.stop!;
    expect(broker.endByBroker({ clientOrderId: first.clientOrderId })).toBe(true);
    await flush();
    const second = engine.protection!.protectionOf('AAPL')!.stop!;
    expect(second.clientOrderId).not.toBe(first.clientOrderId);
    expect(covered(engine)).toBe('sell stop 10 @ 98');
    expect(seen.map((a) => a.message)).toEqual(['AAPL: the stop at 98 was cancelled by the broker (ended by the broker); placing it again']);
    // The new stop is the trade's: it fills, the target goes (one-cancels-other), nothing is left.
    await price('97.9');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
  });

  it('the replacement refused once: placed again; refused until `stopAttempts` stops are lost: the position is closed', async () => {
    const once = await setup();
    const seenOnce: { code: string; message: string }[] = [];
    unprotected(once.engine, seenOnce);
    await once.engine.executeSignal(once.signal());
    await once.flush();
    once.broker.failNext('submitOrder', refusal);
    once.broker.endByBroker({ clientOrderId: once.engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId });
    await once.flush();
    expect(seenOnce.map((a) => a.message.split('; ')[1])).toEqual(['placing it again', 'placing it again']);
    expect(seenOnce[1]!.message).toContain('could not be placed (mock broker: stop refused)');
    expect(covered(once.engine)).toBe('sell stop 10 @ 98');

    const { engine, flush, broker, live, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 2);
    endStop();
    await flush();
    expect(seen.map((a) => a.details)).toEqual([
      { stopsLost: 1, action: 'replace' },
      { stopsLost: 2, action: 'replace' },
      { stopsLost: 3, action: 'close' },
    ]);
    expect(seen[2]!.message).toContain('3 stops lost: closing the position');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);
  });

  it('the close refused too: the stop is put back rather than leave the position bare', async () => {
    const { engine, flush, broker, seen, endStop } = await protectedLong();
    broker.failNext('submitOrder', refusal, 3); // two replacements, then the close
    endStop();
    await flush();
    expect(seen.at(-1)!.message).toBe('AAPL: the close was refused (mock broker: stop refused); placing the stop again');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it('the close accepted but then ended unfilled (a venue rejection after the acknowledgement, an expiry): the stop comes back', async () => {
    const { engine, flush, broker, seen, endStop } = await protectedLong();
    broker.setLiquidity('AAPL', '0'); // nothing trades: the close will rest
    engine.updatePrice('AAPL', '97.5');
    endStop();
    await flush();
    const close = broker.orderReports().find((o) => o.type === 'market' && o.side === 'sell' && o.status === 'accepted');
    expect(close).toBeDefined();
    expect(covered(engine)).toBeUndefined();
    broker.endByBroker({ clientOrderId: close!.clientOrderId }, { status: 'expired' });
    await flush();
    expect(seen.at(-1)!.message).toBe('AAPL: the close ended unfilled (expired); placing the stop again');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it("an operator's force-close the broker refuses: the position keeps its stop and target (placed again), with a critical alert", async () => {
    const { engine, flush, broker, seen } = await protectedLong();
    const forced: string[] = [];
    engine.on('alert', (a) => a.code === 'position_force_closed' && forced.push(a.message));
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: symbol halted', { status: 422 }) }, 1);
    const close = await engine.forceClose('AAPL', 'operator');
    await flush();
    expect(close?.status).toBe('rejected');
    // Its own alert says what happened, not "force-closed".
    expect(forced).toEqual(['AAPL force-close refused by the broker (mock broker: symbol halted): operator']);
    expect(seen.at(-1)!.message).toBe('AAPL: the force-close left the position open (mock broker: symbol halted); its stop is placed again');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
    expect(engine.protection!.protectionOf('AAPL')!.targets.filter((t) => t.status === 'accepted').map(brief)).toEqual(['sell limit 10 @ 104']);
  });

  it("an operator's force-close that rests and then ends unfilled: the stop comes back then; one that fills: nothing comes back", async () => {
    const { engine, flush, broker, seen, price } = await protectedLong();
    broker.setLiquidity('AAPL', '0');
    const close = await engine.forceClose('AAPL', 'operator');
    await flush();
    expect(close?.status).toBe('accepted');
    expect(covered(engine)).toBeUndefined();
    broker.endByBroker({ clientOrderId: close!.clientOrderId }, { status: 'expired' });
    await flush();
    expect(seen.at(-1)!.message).toBe('AAPL: the force-close left the position open (expired); its stop is placed again');
    expect(covered(engine)).toBe('sell stop 10 @ 98');
    broker.setLiquidity('AAPL', undefined);
    await engine.forceClose('AAPL', 'operator again');
    await price('100.5');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.orderReports().filter((o) => ['accepted', 'partially_filled'].includes(o.status))).toEqual([]);
  });

  it("the host force-closes between the stop and the second target leg; the stop's cancel is refused and the close ends unfilled: both legs come back at their shares beside the stop, and a warning says the position is still open — the one cancelled was put back for all 10 and the one never placed was left off", async () => {
    const { engine, signal, flush, broker, clock } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] }, {}, { cancelLatencyMs: 300 });
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(`${a.code}: ${a.message}`));
    let forced = false;
    engine.on('order:accepted', ({ order }) => {
      if (forced || order.tags?.leg !== 'target-1') return;
      forced = true;
      broker.refuseCancels(1); // the stop's: it works again
      broker.setLiquidity('AAPL', '0'); // the close rests
      void engine.forceClose('AAPL', 'host');
    });
    await engine.executeSignal(signal());
    await flush();
    await clock.advanceAsync(2_000);
    const close = broker.orderReports().find((o) => o.type === 'market' && o.side === 'sell' && o.status === 'accepted');
    expect(close).toBeDefined();
    broker.setLiquidity('AAPL', undefined);
    broker.endByBroker({ clientOrderId: close!.clientOrderId }, { status: 'expired' });
    await flush();
    await clock.advanceAsync(2_000);
    const p = engine.protection!.protectionOf('AAPL')!;
    expect(brief(p.stop)).toBe('sell stop 10 @ 98');
    expect(p.stop?.status).toBe('accepted');
    expect(p.targets.filter((t) => t.status === 'accepted').map(brief).sort()).toEqual(['sell limit 5 @ 102', 'sell limit 5 @ 104']);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map(brief).sort()).toEqual(['sell limit 5 @ 102', 'sell limit 5 @ 104', 'sell stop 10 @ 98']);
    // Said, not silent after "force-closed": the position is still open.
    expect(alerts).toEqual(['position_force_closed: AAPL force-closed: host', 'position_not_closed: AAPL: the force-close left the position open (expired); its stop still works and its targets are placed again']);
  });

  it('the close rests for hours (a halted symbol, a market order queued out of hours) and then ends unfilled: still watched — the stop comes back', async () => {
    const { engine, flush, broker, clock, seen, endStop } = await protectedLong();
    broker.setLiquidity('AAPL', '0');
    engine.updatePrice('AAPL', '97.5');
    endStop();
    await flush();
    const close = broker.orderReports().find((o) => o.type === 'market' && o.side === 'sell' && o.status === 'accepted');
    expect(close).toBeDefined();
    clock.advance(3 * 3_600_000);
    await flush();
    expect(covered(engine)).toBeUndefined();
    broker.endByBroker({ clientOrderId: close!.clientOrderId }, { status: 'cancelled', reason: 'halted' });
    await flush();
    expect(seen.at(-1)!.message).toMatch(/^AAPL: the close ended unfilled \(.*\); placing the stop again$/);
    expect(covered(engine)).toBe('sell stop 10 @ 98');
  });

  it('lost when the price is already through it: the position is closed at once (the stop would have fired)', async () => {
    const { engine, flush, broker, seen, endStop } = await protectedLong();
    engine.updatePrice('AAPL', '97.5'); // the engine's last price; the broker's stop has not been touched
    endStop();
    await flush();
    expect(seen.map((a) => a.message)).toEqual(['AAPL: the stop at 98 was cancelled by the broker (ended by the broker); the price 97.5 is through it: closing the position']);
    expect(engine.positions.get('AAPL')).toBeUndefined();
  });

  it("onStopLost: 'close' closes at once; 'alert' only alerts (the position is left bare)", async () => {
    const closing = await setup({ onStopLost: 'close' });
    await closing.engine.executeSignal(closing.signal());
    await closing.flush();
    closing.broker.endByBroker({ clientOrderId: closing.engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId }, { status: 'expired' });
    await closing.flush();
    expect(closing.engine.positions.get('AAPL')).toBeUndefined();

    const { engine, signal, flush, broker, alerts } = await setup({ onStopLost: 'alert' });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    broker.endByBroker({ clientOrderId: stop.clientOrderId });
    await flush();
    expect(alerts).toContain('position_unprotected');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(broker.orderReports().filter((o) => o.type === 'stop' && o.status === 'accepted')).toEqual([]);
  });

  it("the engine's own cancels never count as lost: a halt cancels every order and the position is left as the operator asked", async () => {
    const { engine, signal, flush, broker, alerts } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await engine.halt({ reason: 'operator', cancelOpen: true });
    await flush();
    expect(alerts).not.toContain('position_unprotected');
    expect(broker.orderReports().filter((o) => o.status === 'accepted')).toEqual([]);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
  });

  it('resumed after that halt: each open position gets its stop and target back where they were — the stop at break-even, not its first level — with a protection_restored warning', async () => {
    const { engine, signal, flush, price, live, alerts } = await setup({ breakEvenAtR: 1 });
    await engine.executeSignal(signal());
    await flush();
    await price('102.5'); // past 1R: the stop moves to the entry
    expect(brief(engine.protection!.protectionOf('AAPL')!.stop)).toBe('sell stop 10 @ 100');
    await engine.halt({ reason: 'operator', cancelOpen: true });
    await flush();
    expect(live()).toEqual([]);
    engine.resume();
    await flush();
    const guard = engine.protection!.protectionOf('AAPL')!;
    expect([brief(guard.stop), ...guard.targets.map(brief)]).toEqual(['sell stop 10 @ 100', 'sell limit 10 @ 104']);
    expect(live().map((o) => `${o.type} ${o.quantity.toString()}`).sort()).toEqual(['limit 10', 'stop 10']);
    expect(alerts).toContain('protection_restored');
    // A resume with the stops still working (reduce-only, or a halt without cancels) places nothing.
    engine.reduceOnly('drawdown');
    engine.resume();
    await flush();
    expect(live()).toHaveLength(2);
  });

  it("resumed after a halt whose cancel of the stop was lost on the way: the reconciliation that finds the stop working hours later brings the target back beside it — the resume's wait for that cancel had run out, and the target waited for good", async () => {
    const { engine, signal, flush, broker, clock, live } = await setup();
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    // The cancel-all fails; of the cancels one by one, the stop's is lost (the broker never gets it).
    broker.failNext('cancelAllOrders', { kind: 'server_error' });
    const cancel = broker.cancelOrder.bind(broker);
    broker.cancelOrder = async (ref) => {
      if (ref.clientOrderId !== stop.clientOrderId) return cancel(ref);
    };
    await engine.halt({ reason: 'operator', cancelOpen: true });
    await flush();
    broker.cancelOrder = cancel;
    engine.resume();
    await flush();
    expect(live().map(brief)).toEqual(['sell stop 10 @ 98']);
    await clock.advanceAsync(3 * 3_600_000); // the resume's wait for the stop's cancel runs out
    expect(live().map(brief)).toEqual(['sell stop 10 @ 98']);
    await engine.reconcile();
    await flush();
    expect(engine.orders.get(stop.clientOrderId)?.status).toBe('accepted');
    expect(live().map(brief).sort()).toEqual(['sell limit 10 @ 104', 'sell stop 10 @ 98']);
    expect(broker.requests.filter((r) => r.method === 'cancelOrder').map((r) => r.clientOrderId)).not.toContain(stop.clientOrderId);
  });

  it('a take-profit the broker ended is placed again (the stop kept as it is); one refused again and again is left off after stopAttempts', async () => {
    const { engine, signal, flush, broker, price, live } = await setup();
    const seen: { code: string; message: string }[] = [];
    engine.on('alert', (a) => seen.push(a));
    await engine.executeSignal(signal());
    await flush();
    const before = engine.protection!.protectionOf('AAPL')!;
    broker.endByBroker({ clientOrderId: before.targets[0]!.clientOrderId });
    await flush();
    const after = engine.protection!.protectionOf('AAPL')!;
    expect(after.stop?.clientOrderId).toBe(before.stop!.clientOrderId);
    expect([after.targets.map(brief), after.targets[0]?.status]).toEqual([['sell limit 10 @ 104'], 'accepted']);
    expect(after.targets[0]?.clientOrderId).not.toBe(before.targets[0]!.clientOrderId);
    expect(seen.map((a) => `${a.code}: ${a.message}`)).toEqual(['target_lost: AAPL: the take-profit at 104 was cancelled by the broker (ended by the broker); placing it again']);
    // The new target is the trade's: it fills, the stop is cancelled (one-cancels-other).
    await price('104.1');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(live()).toEqual([]);

    const refusing = await setup();
    const codes: string[] = [];
    refusing.engine.on('alert', (a) => codes.push(a.code));
    await refusing.engine.executeSignal(refusing.signal());
    await refusing.flush();
    refusing.broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'mock broker: limit refused', { status: 422 }) }, 5);
    refusing.broker.endByBroker({ clientOrderId: refusing.engine.protection!.protectionOf('AAPL')!.targets[0]!.clientOrderId });
    await refusing.flush();
    expect(codes.filter((c) => c.startsWith('target_'))).toEqual(['target_lost', 'target_not_placed', 'target_not_placed']);
    expect(refusing.engine.protection!.protectionOf('AAPL')!.stop?.status).toBe('accepted');
    expect(refusing.broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(3); // the entry, the stop, the first target: refusals are not logged
  });

  it('a stop given up on (its send timed out, not found) is replaced; when the broker reports the first after all, it is cancelled: one stop, never two', async () => {
    const { engine, signal, flush, broker, clock, alerts } = await setup(true, { errorHandling: { retries: 0 } });
    // The first stop's send: it lands at the broker 5 s later, its answer lost; the look-up finds nothing.
    const submit = broker.submitOrder.bind(broker);
    let firstStop: string | undefined;
    broker.submitOrder = (order) => {
      if (order.type === 'stop' && firstStop === undefined) {
        firstStop = order.clientOrderId;
        broker.failNext('submitOrder', { kind: 'timeout', landsAfterMs: 5_000 });
      }
      return submit(order);
    };
    await engine.executeSignal(signal());
    await flush();
    const stops = () => broker.orderReports().filter((o) => o.type === 'stop' && o.status === 'accepted');
    expect(engine.orders.get(firstStop!)?.status).toBe('failed');
    expect(alerts).toContain('position_unprotected');
    expect(stops().map((o) => o.clientOrderId)).toEqual([engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId]); // the replacement
    await clock.advanceAsync(5_000);
    await flush();
    expect(stops()).toHaveLength(1);
    expect(stops()[0]!.clientOrderId).toBe(engine.protection!.protectionOf('AAPL')!.stop!.clientOrderId);
  });

  it('native OCO: the broker ends the pair; both are placed again as one OCO, linked', async () => {
    const { engine, signal, flush, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true } });
    await engine.executeSignal(signal());
    await flush();
    const before = engine.protection!.protectionOf('AAPL')!;
    broker.endByBroker({ clientOrderId: before.stop!.clientOrderId });
    await flush();
    const after = engine.protection!.protectionOf('AAPL')!;
    expect([brief(after.stop), after.targets.map(brief)]).toEqual(['sell stop 10 @ 98', ['sell limit 10 @ 104']]);
    expect([after.stop!.status, after.targets[0]!.status]).toEqual(['accepted', 'accepted']);
    expect(after.stop!.links.ocoSiblingId).toBe(after.targets[0]!.clientOrderId);
    expect(after.stop!.clientOrderId).not.toBe(before.stop!.clientOrderId);
  });
});

describe('RiskOrderManager on a broker whose open exits hold the shares (Alpaca), with protection that needs separate sells', () => {
  const alpaca = { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true } };
  const engineWith = (protection: ProtectionOptions) => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000, ...alpaca });
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger, protection, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 } });
    return { engine, broker, warnings, clock };
  };

  it('partial-exit targets: said at construction — the broker then takes the stop alone, every target refused for the shares the stop holds', async () => {
    const { engine, broker, warnings, clock } = engineWith({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    expect(warnings.join('\n')).toContain('2 partial-exit targets on a broker whose open exits hold the shares (Alpaca)');
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'p' });
    await settle(8);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map(brief)).toEqual(['sell stop 10 @ 98']);
    // Every refusal is a target (each placed again up to stopAttempts times, and refused again).
    const refused = engine.orders.orderList().filter((o) => o.status === 'rejected');
    expect(new Set(refused.map(brief))).toEqual(new Set(['sell limit 5 @ 102', 'sell limit 5 @ 104']));
    await engine.stop();
  });

  it('a trailing stop beside a target: said at construction; a single target with a fixed stop is not', () => {
    expect(engineWith({ trailingPercent: new Decimal(2) }).warnings.join('\n')).toContain('a trailing stop on a broker whose open exits hold the shares (Alpaca) cannot be paired with its target');
    expect(engineWith({}).warnings).toEqual([]);
  });
});

describe('RiskOrderManager: an exit refused because the protective orders did not make room in time', () => {
  it('the exit is refused (exit_blocked); when the cancels land the position, still open, gets its stop back', async () => {
    const { engine, signal, flush, clock, alerts, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true }, cancelLatencyMs: 60_000 });
    await engine.executeSignal(signal());
    await flush();
    const before = engine.protection!.protectionOf('AAPL')!;
    const exit = engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    await clock.advanceAsync(10_000); // makeRoomForExit waits 10 s for the broker to confirm the cancels
    expect(await exit).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked' }] });
    expect(alerts).toContain('exit_blocked');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    await clock.advanceAsync(50_000); // the cancels land
    await flush();
    const after = engine.protection!.protectionOf('AAPL')!;
    expect(after.stop?.clientOrderId).not.toBe(before.stop!.clientOrderId);
    expect([brief(after.stop), after.stop?.status, after.targets.map(brief)]).toEqual(['sell stop 10 @ 98', 'accepted', ['sell limit 10 @ 104']]);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.type).sort()).toEqual(['limit', 'stop']);
    expect(alerts).not.toContain('position_unprotected');
  });

  it('two exits refused while the same cancels are unconfirmed: the pair is put back once (a second pair was refused for the shares the first holds, and its loss tore the first down)', async () => {
    const { engine, signal, flush, clock, alerts, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true }, cancelLatencyMs: 60_000 });
    await engine.executeSignal(signal());
    await flush();
    const refused: string[] = [];
    engine.on('order:rejected', ({ order }) => refused.push(`${order.type} ${order.errorMessage ?? ''}`));
    const first = engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    await clock.advanceAsync(10_000);
    expect(await first).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked' }] });
    const second = engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    await clock.advanceAsync(10_000);
    expect(await second).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked' }] });
    await clock.advanceAsync(40_000); // the cancels land
    await flush();
    expect(refused).toEqual([]);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map(brief).sort()).toEqual(['sell limit 10 @ 104', 'sell stop 10 @ 98']);
    expect(alerts.filter((a) => a !== 'exit_blocked')).toEqual([]);
  });

  it('the broker refuses the cancels (they work again): the exit is refused, the alert says the broker refused them, and the pair it kept goes on protecting the position', async () => {
    const { engine, signal, flush, clock, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true }, cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const pair = broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.brokerOrderId).sort();
    const { stop, targets } = engine.protection!.protectionOf('AAPL')!;
    const messages: string[] = [];
    engine.on('alert', (alert) => void (alert.code === 'exit_blocked' && messages.push(alert.message)));
    broker.refuseCancels(2);
    const exit = engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    await clock.advanceAsync(10_000);
    expect(await exit).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked', message: expect.stringContaining('refused by the broker') }] });
    expect(messages).toEqual([`AAPL: the exit was refused: the broker refused to cancel ${[stop!.clientOrderId, ...targets.map((t) => t.clientOrderId)].join(', ')}, which keeps the position protected`]);
    await clock.advanceAsync(60_000);
    await flush();
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.brokerOrderId).sort()).toEqual(pair);
    expect(engine.protection!.protectionOf('AAPL')!.stop?.status).toBe('accepted');
  });

  it('the position grows while the refused cancels are pending (resizes skip an order on its way out): once they work again the pair is brought to it — it stayed at 10 under 12 (found by the crash search)', async () => {
    const { engine, signal, flush, clock, broker } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true }, cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    broker.refuseCancels(2);
    const exit = engine.executeSignal(signal({ side: 'sell' }));
    await flush();
    // Two shares bought in the broker's app while the cancels are pending, adopted by a reconciliation.
    await broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 2, clientOrderId: 'app-1' }, { clock, ids: sequentialIds() }));
    await engine.reconcile();
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('12');
    await clock.advanceAsync(10_000);
    expect(await exit).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked' }] });
    await clock.advanceAsync(5_000);
    await flush();
    const { stop, targets } = engine.protection!.protectionOf('AAPL')!;
    expect([brief(stop), stop?.status, targets.map(brief)]).toEqual(['sell stop 12 @ 98', 'accepted', ['sell limit 12 @ 104']]);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => `${o.type} ${o.quantity.toString()}`).sort()).toEqual(['limit 12', 'stop 12']);
  });

  it("a host's cancel of the stop the broker refuses while the position grew: the stop, working again, is brought to the position", async () => {
    const { engine, signal, flush, clock, broker } = await setup(true, {}, { cancelLatencyMs: 300 });
    await engine.executeSignal(signal());
    await flush();
    const stop = engine.protection!.protectionOf('AAPL')!.stop!;
    broker.refuseCancels(1);
    await engine.orders.cancel(stop.clientOrderId, 'host');
    await broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 2, clientOrderId: 'app-1' }, { clock, ids: sequentialIds() }));
    await engine.reconcile();
    await flush();
    await clock.advanceAsync(5_000);
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('12');
    const now = engine.protection!.protectionOf('AAPL')!.stop!;
    expect([now.clientOrderId, brief(now), now.status]).toEqual([stop.clientOrderId, 'sell stop 12 @ 98', 'accepted']);
  });
});


describe("RiskOrderManager: positions set to the broker's by a reconciliation", () => {
  const byHand = (broker: MockBroker, clock: ManualClock, symbol: string, side: 'buy' | 'sell', quantity: number, id: string) =>
    broker.submitOrder(createOrder({ symbol, side, quantity, clientOrderId: id }, { clock, ids: sequentialIds() }));

  it('shares sold or bought outside the engine: the stop and the target are resized to what the broker holds', async () => {
    const { engine, signal, flush, broker, clock, alerts } = await setup();
    await engine.executeSignal(signal());
    await flush();
    await byHand(broker, clock, 'AAPL', 'sell', 4, 'hand-1');
    await flush();
    await engine.reconcile();
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('6');
    let guard = engine.protection!.protectionOf('AAPL')!;
    expect([brief(guard.stop), guard.targets.map(brief)]).toEqual(['sell stop 6 @ 98', ['sell limit 6 @ 104']]);
    expect(alerts).toContain('protection_resized');
    await byHand(broker, clock, 'AAPL', 'buy', 9, 'hand-2');
    await flush();
    await engine.reconcile();
    await flush();
    guard = engine.protection!.protectionOf('AAPL')!;
    // The stop covers all 15, and so does the target (it grows back with the position, as after an added entry fill).
    expect([engine.positions.get('AAPL')?.quantity.toString(), brief(guard.stop), guard.targets.map(brief)]).toEqual(['15', 'sell stop 15 @ 98', ['sell limit 15 @ 104']]);
    // The stop fills: the whole position goes, nothing more.
    await engine.updatePrice('AAPL', '97');
    broker.setPrice('AAPL', '97');
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()).toEqual([]);
  });

  it('bought outside the engine while the broker refused the resize: the stop of 10 fills under a position of 13 — the 3 left are closed with a critical alert, not left bare', async () => {
    const { engine, signal, flush, broker, clock, alerts, price } = await setup();
    const messages: string[] = [];
    engine.on('alert', (a) => a.code === 'position_unprotected' && messages.push(a.message));
    await engine.executeSignal(signal());
    await flush();
    broker.failNext('replaceOrder', { kind: 'server_error' }, 1);
    await byHand(broker, clock, 'AAPL', 'buy', 3, 'hand-4');
    await flush();
    await engine.reconcile();
    await flush();
    expect([engine.positions.get('AAPL')?.quantity.toString(), brief(engine.protection!.protectionOf('AAPL')!.stop)]).toEqual(['13', 'sell stop 10 @ 98']);
    await price('97'); // before protection looks again: the stop of 10 fills
    expect(messages).toEqual(['AAPL: the stop filled 10 of a long position of 13; closing the 3 left']);
    expect(alerts).toContain('position_force_closed');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()).toEqual([]);
    expect(broker.orderReports().filter((o) => ['accepted', 'partially_filled'].includes(o.status))).toEqual([]);
  });

  it('partial exits: a near leg\'s resize given up on (timed out) lands after an exit — it grows back to 6 under the 9 held, and the far leg is what no longer fits: it comes down, the legs do not sell 10 of 9', async () => {
    const { engine, signal, flush, broker, clock } = await setup({ partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] });
    await engine.executeSignal(signal());
    await flush();
    await byHand(broker, clock, 'AAPL', 'buy', 2, 'hand-5');
    await flush();
    // The reconciliation's resizes to 12: the stop's goes through, the near leg's times out (it lands 5 s later).
    broker.failNext('replaceOrder', { kind: 'slow', ms: 0 });
    broker.failNext('replaceOrder', { kind: 'timeout', reached: true, landsAfterMs: 5_000 });
    await engine.reconcile();
    await flush();
    await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.25' }));
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('9');
    const working = () => broker.orderReports().filter((o) => o.type === 'limit' && o.status === 'accepted');
    const targeted = () => working().reduce((sum, o) => sum.plus(o.quantity.minus(o.filledQuantity)), new Decimal(0));
    for (let i = 0; i < 20; i++) await clock.advanceAsync(1_000);
    await flush();
    expect(working().map((o) => o.quantity.toString())).toContain('6'); // the late resize landed
    expect(targeted().toString()).toBe('9');
  });

  it('a position taken on from the broker (bought outside the engine) is protected where the engine config puts the stop and target', async () => {
    const { engine, flush, broker, clock, price } = await setup();
    await price('400', 'MSFT');
    await byHand(broker, clock, 'MSFT', 'buy', 3, 'hand-3');
    await flush();
    await engine.reconcile();
    await flush();
    expect(engine.positions.get('MSFT')?.quantity.toString()).toBe('3');
    const guard = engine.protection!.protectionOf('MSFT')!;
    expect([brief(guard.stop), guard.stop?.status, guard.targets.map(brief)]).toEqual(['sell stop 3 @ 392', 'accepted', ['sell limit 3 @ 416']]);
  });
});

describe('protection over a long run', () => {
  it('forgets each protection once its position has closed, its orders have ended and 1 000 more have: after 1 100 trades (stopped out, target hit, exit signal, on a native OCO too) it knows the orders of the last 1 000', async () => {
    for (const brokerOptions of [{}, { capabilities: { nativeOco: true, nativeBracket: true } }]) {
      const { clock, engine, price, signal, flush } = await setup(true, { accountRefreshMs: 1_000 }, brokerOptions);
      for (let i = 0; i < 1_100; i++) {
        // The account refreshed as time passes (the engine's own buying-power figure only spends until then).
        await clock.advanceAsync(1_000);
        await engine.executeSignal(signal());
        await flush();
        expect(engine.protection!.trackedOrders).toBe(2 * Math.min(i, 1_000) + 2); // the retired ones', and this position's stop and target
        // Out by the stop (98), the target (104), or an exit signal — then back to 100.
        if (i % 3 === 0) await price('97.5');
        else if (i % 3 === 1) await price('104.5');
        else await engine.executeSignal(signal({ side: 'sell' }));
        await flush();
        await price('100');
        expect(engine.positions.get('AAPL')).toBeUndefined();
      }
      expect(engine.protection!.trackedOrders).toBe(2_000);
      expect(engine.protection!.stats().rewardRisk).toHaveLength(1_000);
      await engine.stop();
    }
  });
});

describe('as at Alpaca: a partial exit beside the protection', () => {
  it('while the exit works the stop covers what it leaves (no refused resizes, no out-of-step alarm); when it ends short the stop comes back to the position', async () => {
    const { engine, broker, price, signal, flush, alerts, live } = await setup(true, {}, { capabilities: { nativeOco: true, nativeBracket: true, exitsHoldQuantity: true } });
    await engine.executeSignal(signal());
    await flush();
    broker.setLiquidity('AAPL', 1);
    const exit = await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.3' })); // 3 of 10; 1 fills
    await flush();
    const stopOf = () => live().find((o) => o.type === 'stop');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('9');
    expect(stopOf()?.quantity.toString()).toBe('7'); // 9 held, 2 of them by the exit
    let refused = 0;
    engine.on('order:replace_rejected', () => refused++);
    await price('100.01'); // another share; the stop still covers what the exit leaves
    expect(stopOf()?.quantity.toString()).toBe('7');
    expect(refused).toBe(0);
    expect(alerts).not.toContain('protection_out_of_step');
    broker.endByBroker({ clientOrderId: exit.kind === 'executed' ? exit.order.clientOrderId : '' }, { status: 'expired' });
    await flush();
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('8');
    expect(stopOf()?.quantity.toString()).toBe('8');
  });
});
