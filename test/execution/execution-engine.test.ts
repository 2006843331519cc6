import { ConfigurationError, type EngineConfig, ExecutionEngine, type MarketState, type Signal, type SignalPolicy, silentLogger, ValidationError } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

async function setup(config: EngineConfig = {}, brokerOptions: Partial<MockBrokerOptions> = {}, extra: { market?: MarketState; policy?: SignalPolicy } = {}) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 100_000, ...brokerOptions });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config, ...extra });
  await engine.start();
  const seen: string[] = [];
  for (const name of ['signal:received', 'signal:executed', 'signal:rejected', 'order:submitted', 'order:accepted', 'order:filled', 'position:opened', 'position:closed'] as const) {
    engine.on(name, () => seen.push(name));
  }
  const price = (symbol: string, p: string): void => {
    broker.setPrice(symbol, p);
    engine.updatePrice(symbol, p);
  };
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `sig-${++n}`, symbol: 'AAPL', side: 'buy', strength: 80, time: clock.now(), strategyId: 'trend', ...s });
  return { clock, broker, engine, seen, price, signal };
}

describe('ExecutionEngine — the specification scenarios', () => {
  it('a market BUY goes pending → submitted → filled and opens a position', async () => {
    const { engine, price, signal, seen } = await setup();
    price('AAPL', '100.00');
    // A listener on the fill already sees the position it opened: the engine's state is current before any host hears.
    let heldOnFill: string | undefined;
    engine.on('order:filled', ({ order }) => (heldOnFill = engine.positions.get(order.symbol)?.quantity.toString()));
    const decision = await engine.executeSignal(signal());
    expect(decision.kind).toBe('executed');
    if (decision.kind !== 'executed') return;
    expect(decision.order.status).toBe('filled');
    expect(heldOnFill).toBe('100');
    expect(decision.intent).toEqual({ action: 'open', direction: 'long' });
    // 1% of 100 000 at risk over a 2% stop = 500 shares, capped by the 10% position limit: 100.
    expect(decision.quantity.toString()).toBe('100');
    expect(decision.sizing?.caps).toEqual(['max_position_size']);
    const trail = engine.orders.auditTrail({ clientOrderId: decision.order.clientOrderId, kinds: ['order.event'] }).map((r) => (r.kind === 'order.event' ? r.status : ''));
    expect(trail).toEqual(['validated', 'submitted', 'accepted', 'filled']);
    const position = engine.positions.get('AAPL')!;
    expect(position).toMatchObject({ state: 'OPEN', side: 'long', signalStrength: 80, strategyId: 'trend' });
    expect(position.quantity.toString()).toBe('100');
    expect(position.averageEntryPrice.toString()).toBe('100');
    expect(position.stopPrice?.toString()).toBe('98');
    expect(position.targetPrice?.toString()).toBe('104');
    // Heard in the order applied: the fill, then the position it opened.
    expect(seen).toEqual(['signal:received', 'order:submitted', 'order:accepted', 'order:filled', 'position:opened', 'signal:executed']);
  });

  it('a rejection opens nothing and changes no state', async () => {
    const { engine, price, signal, broker } = await setup({ checks: { market_open: true } }, {}, { market: { isMarketOpen: () => false } });
    price('AAPL', '100.00');
    const before = engine.orders.auditTrail().length;
    const decision = await engine.executeSignal(signal());
    expect(decision).toMatchObject({ kind: 'rejected', reasons: [{ code: 'market_open' }] });
    expect(engine.positions.list()).toEqual([]);
    expect(engine.orders.orderList()).toEqual([]);
    // The only record is the decision itself, so a replay of this signal is not decided again.
    const added = engine.orders.auditTrail().slice(before);
    expect(added.map((r) => (r.kind === 'note' ? r.topic : r.kind))).toEqual(['signal.decision']);
    expect(engine.decisionFor(decision.signal.id)).toMatchObject({ kind: 'rejected', reasons: [{ code: 'market_open' }] });
    expect(broker.orderReports()).toEqual([]);
  });

  it('a broker rejection opens nothing either', async () => {
    const { engine, price, signal } = await setup({}, { autoAssets: false, assets: [{ symbol: 'AAPL' }] });
    price('AAPL', '100.00');
    const decision = await engine.executeSignal(signal({ symbol: 'AAPL' }));
    expect(decision.kind).toBe('executed');
    // Now the broker refuses a second symbol it does not list.
    const refused = await engine.executeSignal(signal({ symbol: 'ZZZ', expectedPrice: '10' }));
    expect(refused).toMatchObject({ kind: 'rejected', reasons: [{ code: 'symbol_tradable' }] });
    expect(engine.positions.get('ZZZ')).toBeUndefined();
  });

  it('a partial fill of 500 of 1 000 leaves the order tracked and the position at 500', async () => {
    const { engine, price, signal, broker } = await setup({ sizing: { method: 'fixed_quantity', quantity: 1_000 }, maxPositionSizePct: 100, maxAccountExposurePct: 100 }, { initialCash: 1_000_000 });
    price('AAPL', '50.00');
    broker.setLiquidity('AAPL', 500);
    const decision = await engine.executeSignal(signal());
    if (decision.kind !== 'executed') throw new Error('expected an order');
    expect(decision.order.status).toBe('partially_filled');
    expect(engine.orders.workingOrders().map((o) => o.clientOrderId)).toEqual([decision.order.clientOrderId]);
    const position = engine.positions.get('AAPL')!;
    expect(position.state).toBe('OPEN');
    expect(position.quantity.toString()).toBe('500');
    // The rest fills on the next tick; the position follows.
    price('AAPL', '50.10');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('1000');
    expect(engine.orders.workingOrders()).toEqual([]);
  });

  it('the P&L example: 100 bought at 70,000 and sold at 72,000 realize 200,000 less commission', async () => {
    const { engine, price, signal } = await setup(
      { sizing: { method: 'fixed_quantity', quantity: 100 }, maxPositionSizePct: 100, maxAccountExposurePct: 100 },
      { initialCash: 10_000_000, commission: { bps: '0.5' } },
    );
    price('BTCX', '70000');
    const entry = await engine.executeSignal(signal({ symbol: 'BTCX' }));
    expect(entry.kind).toBe('executed');
    price('BTCX', '72000');
    const exit = await engine.executeSignal(signal({ symbol: 'BTCX', side: 'sell' }));
    expect(exit.kind).toBe('executed');
    const [closed] = engine.positions.history({ symbol: 'BTCX' });
    // Commission: 0.5 bp of 7 000 000 = 350, and of 7 200 000 = 360.
    expect(closed?.commission.toString()).toBe('710');
    expect(closed?.realizedPnl.toString()).toBe('199290');
    expect(engine.pnl().realizedToday.toString()).toBe('199290');
    expect(engine.positions.get('BTCX')).toBeUndefined();
  });
});

describe('ExecutionEngine — decisions', () => {
  it('an invalid signal throws a ValidationError listing every problem, and changes nothing', async () => {
    const { engine, seen } = await setup();
    await expect(engine.executeSignal({ id: '', symbol: '', side: 'x', strength: -1, time: 1, strategyId: 's' } as never)).rejects.toBeInstanceOf(ValidationError);
    expect(seen).toEqual(['signal:received', 'signal:rejected']);
    expect(engine.orders.orderList()).toEqual([]);
  });

  it('a weak signal is rejected with its reason', async () => {
    const { engine, price, signal } = await setup();
    price('AAPL', '100');
    expect(await engine.executeSignal(signal({ strength: 40 }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'signal_too_weak' }] });
  });

  it('no price, no trade', async () => {
    const { engine, signal, broker } = await setup();
    broker.setPrice('AAPL', '100');
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'rejected', reasons: [{ code: 'no_price' }] });
    expect((await engine.executeSignal(signal({ expectedPrice: '100' }))).kind).toBe('executed');
  });

  it('a price of zero, below zero or not a number is a ValidationError and leaves the last price as it was', async () => {
    const { engine } = await setup();
    engine.updatePrice('AAPL', '100.25');
    for (const bad of ['0', '-1', 'abc', Number.NaN]) expect(() => engine.updatePrice('AAPL', bad)).toThrow(ValidationError);
    expect(() => engine.updatePrice('AAPL', '0')).toThrow(/must be greater than zero, got 0/);
    expect(engine.price('AAPL')?.toString()).toBe('100.25');
  });

  it('a SELL closes the position; a partial exit closes a fraction', async () => {
    const { engine, price, signal } = await setup();
    price('AAPL', '100');
    await engine.executeSignal(signal());
    price('AAPL', '101');
    const half = await engine.executeSignal(signal({ side: 'sell', exitFraction: '0.5' }));
    expect(half.kind === 'executed' && half.quantity.toString()).toBe('50');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('50');
    expect(engine.positions.get('AAPL')?.realizedPnl.toString()).toBe('50');
    await engine.executeSignal(signal({ side: 'sell' }));
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(engine.positions.history()[0]?.realizedPnl.toString()).toBe('100');
  });

  it('scales into a winner when allowed, averaging the cost', async () => {
    const { engine, price, signal } = await setup({ allowScaleIn: true, maxPositionSizePct: 30, sizing: { method: 'fixed_notional', notional: 10_000 } });
    price('AAPL', '100');
    await engine.executeSignal(signal());
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('100');
    price('AAPL', '95');
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'rejected', reasons: [{ code: 'not_a_winner' }] });
    price('AAPL', '110');
    const added = await engine.executeSignal(signal());
    expect(added.kind === 'executed' && added.intent.action).toBe('scale_in');
    const position = engine.positions.get('AAPL')!;
    expect(position.quantity.toString()).toBe('190'); // + 10 000 / 110 = 90 whole shares
    expect(position.averageEntryPrice.toString()).toBe('104.73684210526315789'); // (100 × 100 + 90 × 110) / 190
  });

  it('opens shorts only when configured', async () => {
    const { engine, price, signal } = await setup({ allowShorting: true });
    price('AAPL', '100');
    const short = await engine.executeSignal(signal({ side: 'sell' }));
    expect(short.kind === 'executed' && short.order.side).toBe('sell');
    expect(engine.positions.get('AAPL')?.side).toBe('short');
    price('AAPL', '95');
    expect(engine.positions.get('AAPL')?.unrealizedPnl.toString()).toBe('500');
    await engine.executeSignal(signal({ side: 'buy' }));
    expect(engine.positions.history()[0]?.realizedPnl.toString()).toBe('500');
  });

  it('refuses another order for a symbol while one is working', async () => {
    const { engine, price, signal, broker } = await setup();
    price('AAPL', '100');
    await engine.executeSignal(signal());
    broker.setLiquidity('AAPL', 0); // nothing trades: the exit will rest
    const exit = await engine.executeSignal(signal({ side: 'sell' }));
    expect(exit.kind === 'executed' && [exit.order.type, exit.order.status]).toEqual(['market', 'accepted']);
    expect(engine.positions.get('AAPL')?.state).toBe('PENDING_EXIT');
    expect(await engine.executeSignal(signal({ side: 'sell' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'no_pending_order' }] });
  });

  it('limit entries are marketable limits through the price by the offset', async () => {
    const { engine, price, signal } = await setup({ orderManagement: { entryOrderType: 'limit', limitOffsetBps: 10 } });
    price('AAPL', '100');
    const entry = await engine.executeSignal(signal());
    expect(entry.kind === 'executed' && [entry.order.type, entry.order.limitPrice?.toString(), entry.order.status]).toEqual(['limit', '100.1', 'filled']);
  });

  it('the daily loss limit stops new entries but never exits', async () => {
    const { engine, price, signal } = await setup({ maxPositionSizePct: 50, maxAccountExposurePct: 100, sizing: { method: 'fixed_notional', notional: 50_000 } });
    price('AAPL', '100');
    await engine.executeSignal(signal());
    price('AAPL', '95.90'); // −2 050 on 500 shares: beyond 2% of 100 000
    price('MSFT', '300');
    expect(await engine.executeSignal(signal({ symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'daily_loss_limit' }] });
    expect((await engine.executeSignal(signal({ side: 'sell' }))).kind).toBe('executed');
  });

  it('respects the maximum number of positions', async () => {
    const { engine, price, signal } = await setup({ maxPositions: 2, sizing: { method: 'fixed_notional', notional: 1_000 } });
    for (const s of ['A', 'B', 'C']) price(s, '10');
    expect((await engine.executeSignal(signal({ symbol: 'A' }))).kind).toBe('executed');
    expect((await engine.executeSignal(signal({ symbol: 'B' }))).kind).toBe('executed');
    expect(await engine.executeSignal(signal({ symbol: 'C' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'max_positions' }] });
  });

  it('refuses an order below the minimum trade size, naming the cap that shrank it', async () => {
    const { engine, price, signal } = await setup({ maxAccountExposurePct: '0.05' });
    price('AAPL', '100');
    const decision = await engine.executeSignal(signal());
    expect(decision.kind).toBe('rejected');
    if (decision.kind === 'rejected') {
      expect(decision.reasons[0]?.code).toBe('below_min_trade_size');
      expect(decision.reasons[0]?.message).toMatch(/max_exposure/);
    }
  });

  it('a burst of signals cannot overspend the buying power between account refreshes', async () => {
    const { engine, price, signal } = await setup(
      { maxPositions: 20, maxPositionSizePct: 100, maxAccountExposurePct: 1_000, sizing: { method: 'fixed_notional', notional: 30_000 } },
      { initialCash: 100_000, leverage: 1, latencyMs: 0 },
    );
    const symbols = ['A', 'B', 'C', 'D', 'E'];
    for (const s of symbols) price(s, '10');
    const decisions = await Promise.all(symbols.map((s) => engine.executeSignal(signal({ symbol: s }))));
    // Three full orders reserve 90 000; the fourth is sized down to the 10 000 left; the fifth finds nothing.
    expect(decisions.map((d) => (d.kind === 'executed' ? d.quantity.toString() : d.kind === 'rejected' ? d.reasons[0]?.code : d.kind))).toEqual(['3000', '3000', '3000', '1000', 'below_min_trade_size']);
    const total = decisions.filter((d) => d.kind === 'executed').reduce((s, d) => s + (d.kind === 'executed' ? d.quantity.toNumber() * 10 : 0), 0);
    expect(total).toBeLessThanOrEqual(100_000);
  });

  it('uses a custom policy', async () => {
    const contrarian: SignalPolicy = (s) => ({ action: 'open', direction: s.side === 'buy' ? 'short' : 'long' });
    const { engine, price, signal } = await setup({ allowShorting: true }, {}, { policy: contrarian });
    price('AAPL', '100');
    await engine.executeSignal(signal({ side: 'buy', strength: 5 }));
    expect(engine.positions.get('AAPL')?.side).toBe('short');
  });

  it('retries a failed send on the injected clock: nothing sleeps on real time', async () => {
    const { engine, broker, clock, price, signal } = await setup();
    price('AAPL', '100');
    broker.failNext('submitOrder', { kind: 'server_error' }, 2);
    const retries: number[] = [];
    engine.on('order:retry', (e) => retries.push(e.delayMs));
    let decided = false;
    const pending = engine.executeSignal(signal()).then((d) => {
      decided = true;
      return d;
    });
    await settle(1);
    expect([decided, retries]).toEqual([false, [1_000]]);
    clock.advance(1_000);
    await settle(1);
    expect(retries).toEqual([1_000, 2_000]);
    clock.advance(2_000);
    const decision = await pending;
    expect(decision.kind === 'executed' && decision.order.status).toBe('filled');
    expect(engine.errorHandler.stats()).toMatchObject({ retries: 2, recovered: 1 });
  });

  it('puts a rate limiter in front of the adapter when asked', async () => {
    const { RATE_LIMITS, RateLimitedAdapter } = await import('tradewire');
    const clock = new ManualClock();
    const engine = new ExecutionEngine({ adapter: new MockBroker({ clock }), clock, logger: silentLogger, rateLimit: RATE_LIMITS.alpaca });
    expect(engine.adapter).toBeInstanceOf(RateLimitedAdapter);
    // A token bucket of 10, the rest of the minute spread: 60 000 / (200 − 10).
    expect((engine.adapter as InstanceType<typeof RateLimitedAdapter>).stats().spacingMs).toBe(316);
    // By default the adapter's own declared limit applies; `false` turns it off.
    const declaring = Object.assign(new MockBroker({ clock }), { rateLimit: RATE_LIMITS.oanda });
    expect(new ExecutionEngine({ adapter: declaring, clock, logger: silentLogger }).adapter).toBeInstanceOf(RateLimitedAdapter);
    expect(new ExecutionEngine({ adapter: declaring, clock, logger: silentLogger, rateLimit: false }).adapter).toBe(declaring);
    expect(new ExecutionEngine({ adapter: new MockBroker({ clock }), clock, logger: silentLogger }).adapter).toBeInstanceOf(MockBroker);
  });

  it('places the stop and target by the configured methods, with the signal\'s levels', async () => {
    const cases: [EngineConfig, Partial<Signal>, string, string][] = [
      [{}, {}, '98', '104'], // 2%, 2:1
      [{ stopLoss: { method: 'atr' } }, { atr: '2' }, '97', '106'], // 1.5 × ATR 2
      [{ stopLoss: { method: 'support' } }, { supportLevel: '97' }, '96.903', '106.194'], // 0.1% beyond support
      [{ stopLoss: { method: 'trailing' } }, {}, '99', '102'], // 1% trail
      [{ takeProfit: { method: 'resistance' } }, { resistanceLevel: '105' }, '98', '105'],
      [{ stopLoss: { method: 'support' } }, { stopPrice: '95', targetPrice: '110' }, '95', '110'], // hints win
    ];
    for (const [config, hints, stop, target] of cases) {
      const { engine, price, signal } = await setup({ sizing: { method: 'fixed_quantity', quantity: 1 }, ...config });
      price('AAPL', '100');
      await engine.executeSignal(signal(hints));
      const position = engine.positions.get('AAPL')!;
      expect([position.stopPrice?.toString(), position.targetPrice?.toString()], JSON.stringify(config)).toEqual([stop, target]);
    }
  });

  it('validates its configuration at construction', () => {
    const clock = new ManualClock();
    expect(() => new ExecutionEngine({ adapter: new MockBroker({ clock }), clock, config: { maxPositions: -1 } })).toThrow(ConfigurationError);
  });

  it('refreshes the account on the injected clock', async () => {
    const { engine, clock, price, signal } = await setup({ accountRefreshMs: 5_000 });
    price('AAPL', '100');
    await engine.executeSignal(signal());
    const before = engine.account()!.cash.toString();
    expect(before).toBe('100000');
    clock.advance(5_000);
    await settle(1);
    expect(engine.account()!.cash.toString()).toBe('90000');
    await engine.stop();
  });
});

describe('remembered signal ids are bounded', () => {
  it('keeps the newest DECISIONS_KEPT decisions and forgets the oldest first', async () => {
    const { InMemoryJournal: Journal } = await import('tradewire');
    const { DECISIONS_KEPT } = await import('../../src/execution/execution-engine.js');
    const { DecisionLog } = await import('../../src/execution/decision-log.js');
    const log = new DecisionLog(new Journal());
    for (let i = 0; i < DECISIONS_KEPT + 5; i++) log.rememberExecuted(`s${i}`, 'AAPL', `c${i}`, 0);
    expect(log.size).toBe(DECISIONS_KEPT);
    expect([log.get('s4'), log.get('s5')?.kind, log.get(`s${DECISIONS_KEPT + 4}`)?.kind]).toEqual([undefined, 'executed', 'executed']);
  });

  it('a signal decided again (a queued one released) is kept as its newest decision, and the bound still holds', async () => {
    const { InMemoryJournal: Journal } = await import('tradewire');
    const { DecisionLog } = await import('../../src/execution/decision-log.js');
    const log = new DecisionLog(new Journal(), 3);
    const queued = (id: string) => ({ kind: 'queued', signal: { id, symbol: 'AAPL' }, reason: 'market_closed', detail: 'closed', decidedAt: 0 }) as never;
    log.record(queued('a'));
    log.rememberExecuted('b', 'AAPL', 'cb', 1);
    log.rememberExecuted('a', 'AAPL', 'ca', 2); // a again: released and sent
    log.rememberExecuted('c', 'AAPL', 'cc', 3); // overwrites a's first decision: a stays, as executed
    expect([log.get('a')?.kind, log.get('b')?.kind, log.get('c')?.kind, log.size]).toEqual(['executed', 'executed', 'executed', 3]);
    log.rememberExecuted('d', 'AAPL', 'cd', 4); // the oldest live one, b, goes
    expect([log.get('b'), log.size]).toEqual([undefined, 3]);
    log.rememberExecuted('e', 'AAPL', 'ce', 5); // then a
    expect([log.get('a'), log.get('c')?.kind, log.get('d')?.kind, log.get('e')?.kind, log.size]).toEqual([undefined, 'executed', 'executed', 'executed', 3]);
  });
});

describe('ended orders kept in memory are bounded (orderManagement.endedOrdersKept)', () => {
  it('forgets the oldest ended order as each new one ends past the bound; the journal keeps their records', async () => {
    const { engine, price } = await setup({ orderManagement: { endedOrdersKept: 2 } });
    price('AAPL', '100.00');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await engine.orders.submit({ symbol: 'AAPL', side: i % 2 === 0 ? 'buy' : 'sell', quantity: 1 });
      expect(order.status).toBe('filled');
      ids.push(order.clientOrderId);
      // Never more than the bound: the third order's end already forgets the first.
      expect(ids.filter((id) => engine.orders.get(id) !== undefined)).toEqual(ids.slice(-2));
    }
    // Five ended with a bound of two: the newest two stay; each of the others went as a newer one ended.
    expect(ids.map((id) => engine.orders.get(id) !== undefined)).toEqual([false, false, false, true, true]);
    expect(engine.orders.auditTrail({ clientOrderId: ids[0]! }).length).toBeGreaterThan(0);
  });
});
