import { BrokerError, createOrder, Decimal, isBrokerError, type Order, type OrderRequest, type OrderEventUpdate, sequentialIds } from 'tradewire';
import { ManualClock, MockBroker, type MockBrokerOptions } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

function setup(options: Partial<MockBrokerOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2024, 2, 5, 15, 0));
  const broker = new MockBroker({ clock, ...options });
  const updates: OrderEventUpdate[] = [];
  broker.onOrderUpdate((u) => updates.push(u));
  const ids = sequentialIds();
  const order = (request: Partial<OrderRequest>): Order => createOrder({ symbol: 'AAPL', side: 'buy', quantity: 10, ...request }, { clock, ids });
  return { clock, broker, updates, order };
}

const types = (updates: OrderEventUpdate[]): string[] => updates.map((u) => u.event.type);

describe('MockBroker matching', () => {
  it('fills a market order at the price with slippage against the taker, and charges commission', async () => {
    const { broker, order, updates } = setup({ slippageBps: 10, commission: { perUnit: '0.005', minimum: '1' } });
    broker.setPrice('AAPL', '100');
    const report = await broker.submitOrder(order({ quantity: 10 }));
    expect(report.status).toBe('accepted');
    expect(types(updates)).toEqual(['accepted', 'filled']);
    const fill = updates[1]!.event.type === 'filled' ? updates[1]!.event.fill : undefined;
    expect(fill?.price.toString()).toBe('100.1');
    // 10 × 0.005 = 0.05, below the 1.00 minimum
    expect(fill?.commission.toString()).toBe('1');
    const account = broker.accountSnapshot();
    expect(account.cash.toString()).toBe(new Decimal(100_000).minus(1001).minus(1).toString());
  });

  it('rests a buy limit until the price crosses, then fills at the limit or better', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ type: 'limit', limitPrice: '98' }));
    broker.setPrice('AAPL', '99');
    expect(types(updates)).toEqual(['accepted']);
    broker.setPrice('AAPL', '97.5');
    const fill = updates[1]?.event.type === 'filled' ? updates[1].event.fill : undefined;
    expect(fill?.price.toString()).toBe('97.5');
  });

  it('triggers a sell stop when the price falls through it', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ side: 'buy' }));
    await broker.submitOrder(order({ side: 'sell', type: 'stop', stopPrice: '95' }));
    broker.setPrice('AAPL', '96');
    expect(types(updates).filter((t) => t === 'filled')).toHaveLength(1);
    broker.setPrice('AAPL', '94.80');
    expect(types(updates).filter((t) => t === 'filled')).toHaveLength(2);
    expect(broker.positionReports()).toEqual([]);
  });

  it('a stop-limit becomes a limit once touched and rests if the limit is not reached', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ type: 'stop_limit', stopPrice: '102', limitPrice: '102.50' }));
    broker.setPrice('AAPL', '103'); // touched, but above the limit
    expect(types(updates)).toEqual(['accepted']);
    broker.setPrice('AAPL', '102.40');
    expect(types(updates)).toEqual(['accepted', 'filled']);
  });

  it('a trailing sell stop follows the high and triggers on the pullback', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ side: 'buy' }));
    await broker.submitOrder(order({ side: 'sell', type: 'trailing_stop', trailPercent: 2 }));
    for (const p of ['104', '110', '108.50']) broker.setPrice('AAPL', p);
    expect(types(updates).filter((t) => t === 'filled')).toHaveLength(1); // 110 × 0.98 = 107.80 not reached
    broker.setPrice('AAPL', '107.70');
    expect(types(updates).filter((t) => t === 'filled')).toHaveLength(2);
  });

  it('plays a bar through its low and high', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ type: 'limit', limitPrice: '97' }));
    broker.playBar('AAPL', { open: 100, high: 103, low: 96.5, close: 102 });
    expect(types(updates)).toEqual(['accepted', 'filled']);
    expect(broker.price('AAPL')?.toString()).toBe('102');
  });

  it('replays a series of bars, filling a resting order on the bar that crosses it', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ side: 'buy', type: 'stop', stopPrice: '104' }));
    broker.playBars('AAPL', [
      { open: 100, high: 102, low: 99, close: 101 },
      { open: 101, high: 103.5, low: 100.5, close: 103 },
      { open: 103, high: 105, low: 102.5, close: 104.5 },
    ]);
    expect(types(updates)).toEqual(['accepted', 'filled']);
    const fill = updates[1]?.event.type === 'filled' ? updates[1].event.fill : undefined;
    expect(fill?.price.toString()).toBe('105');
  });

  it('IOC fills what it can and cancels the rest; FOK fills all or nothing', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    broker.setLiquidity('AAPL', 4);
    await broker.submitOrder(order({ quantity: 10, timeInForce: 'ioc' }));
    expect(types(updates)).toEqual(['accepted', 'filled', 'cancelled']);
    updates.length = 0;
    await broker.submitOrder(order({ quantity: 10, timeInForce: 'fok' }));
    expect(types(updates)).toEqual(['accepted', 'cancelled']);
  });

  it('expires day orders on request and keeps GTC ones', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ type: 'limit', limitPrice: '90', timeInForce: 'day' }));
    await broker.submitOrder(order({ type: 'limit', limitPrice: '90', timeInForce: 'gtc' }));
    broker.expireDayOrders();
    expect(types(updates)).toEqual(['accepted', 'accepted', 'expired']);
    expect((await broker.getOpenOrders()).map((o) => o.timeInForce)).toEqual(['gtc']);
  });
});

describe('MockBroker accounting', () => {
  it('keeps equity = cash + positions at market, with realized P&L on the close', async () => {
    const { broker, order } = setup({ initialCash: 1_000_000 });
    broker.setPrice('AAPL', '70000');
    await broker.submitOrder(order({ quantity: 10 }));
    broker.setPrice('AAPL', '72000');
    expect(broker.accountSnapshot().equity.toString()).toBe('1020000');
    expect(broker.positionReports()[0]?.unrealizedPnl?.toString()).toBe('20000');
    await broker.submitOrder(order({ side: 'sell', quantity: 10 }));
    expect(broker.realizedPnl.toString()).toBe('20000');
    expect(broker.accountSnapshot().cash.toString()).toBe('1020000');
  });

  it('the account: unrealized P&L over every position, margin used = gross exposure ÷ leverage (all of it without leverage)', async () => {
    for (const leverage of [1, 2]) {
      const { broker, order } = setup({ initialCash: 1_000_000, leverage });
      broker.setPrice('AAPL', '100');
      broker.setPrice('MSFT', '50');
      await broker.submitOrder(order({ quantity: 10 }));
      await broker.submitOrder(order({ symbol: 'MSFT', side: 'sell', quantity: 20 }));
      broker.setPrice('AAPL', '101.5');
      broker.setPrice('MSFT', '49.25');
      const account = broker.accountSnapshot();
      // 10 × (101.5 − 100) + (−20) × (49.25 − 50) = 15 + 15; gross exposure 1 015 + 985 = 2 000.
      expect(account.unrealizedPnl?.toString()).toBe('30');
      expect(account.marginUsed?.toString()).toBe(leverage === 1 ? '2000' : '1000');
      expect(account.equity.toString()).toBe(account.cash.plus(1015).minus(985).toString());
    }
  });

  it('a bar walks open → low → high → close when it rises, open → high → low → close when it falls', () => {
    const { broker } = setup();
    const seen: string[] = [];
    const setPrice = broker.setPrice.bind(broker);
    broker.setPrice = (symbol, price) => {
      seen.push(String(price));
      setPrice(symbol, price);
    };
    broker.playBar('AAPL', { open: '100', high: '103', low: '96.5', close: '102' });
    broker.playBar('AAPL', { open: '102', high: '104', low: '99', close: '100' });
    expect(seen).toEqual(['100', '96.5', '103', '102', '102', '104', '99', '100']);
    expect(() => broker.playBar('AAPL', { open: '1', high: '2', low: '0', close: '1' })).toThrow(/price must be positive/);
  });

  it('shorts and covers with the right signs', async () => {
    const { broker, order } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ side: 'sell', quantity: 10 }));
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('-10');
    broker.setPrice('AAPL', '90');
    expect(broker.accountSnapshot().equity.toString()).toBe('100100');
    await broker.submitOrder(order({ side: 'buy', quantity: 10 }));
    expect(broker.realizedPnl.toString()).toBe('100');
  });

  it('buying power falls with positions and resting orders', async () => {
    const { broker, order } = setup({ initialCash: 10_000 });
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ quantity: 50 }));
    expect(broker.accountSnapshot().buyingPower.toString()).toBe('5000');
    await broker.submitOrder(order({ quantity: 20, type: 'limit', limitPrice: '90' }));
    expect(broker.accountSnapshot().buyingPower.toString()).toBe('3200');
  });

  it('what resting orders hold follows them on every symbol: placed, partly filled, resized, cancelled, filled', async () => {
    const { broker, order } = setup({ initialCash: 100_000 });
    const power = (): string => broker.accountSnapshot().buyingPower.toString();
    for (const symbol of ['AAPL', 'MSFT', 'NVDA']) broker.setPrice(symbol, '100');
    const a = order({ symbol: 'AAPL', quantity: 100, type: 'limit', limitPrice: '90' });
    const m = order({ symbol: 'MSFT', quantity: 50, type: 'limit', limitPrice: '80' });
    const n = order({ symbol: 'NVDA', quantity: 10, type: 'limit', limitPrice: '95' });
    for (const o of [a, m, n]) await broker.submitOrder(o);
    expect(power()).toBe('86050'); // 100 000 − 9 000 − 4 000 − 950
    // 30 of AAPL fill at 90 (the liquidity there): 2 700 now a position, 6 300 still held.
    broker.setLiquidity('AAPL', 30);
    broker.setPrice('AAPL', '90');
    expect(power()).toBe('86050');
    await broker.replaceOrder(m as Order, { quantity: new Decimal(20) });
    expect(power()).toBe('88450'); // MSFT holds 1 600
    await broker.cancelOrder({ clientOrderId: n.clientOrderId });
    expect(power()).toBe('89400');
    broker.setLiquidity('AAPL', undefined);
    broker.setPrice('AAPL', '89');
    broker.setPrice('MSFT', '79');
    // Everything filled: only the positions (marked) count — 100 × 89 + 20 × 79 out of the equity.
    const { equity } = broker.accountSnapshot();
    expect(power()).toBe(equity.minus(100 * 89 + 20 * 79).toString());
  });
});

describe('MockBroker rejections', () => {
  const rejects = async (promise: Promise<unknown>): Promise<BrokerError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(isBrokerError(error)).toBe(true);
    return error as BrokerError;
  };

  it('refuses what a broker would, each with its code and category', async () => {
    const { broker, order } = setup({ initialCash: 1_000, autoAssets: false, assets: [{ symbol: 'AAPL' }, { symbol: 'HALT', tradable: false }, { symbol: 'HTB', shortable: false }] });
    broker.setPrice('AAPL', '100');
    broker.setPrice('HTB', '10');
    expect((await rejects(broker.submitOrder(order({ symbol: 'ZZZZ', type: 'limit', limitPrice: 1 })))).code).toBe('invalid_symbol');
    expect((await rejects(broker.submitOrder(order({ symbol: 'HALT', type: 'limit', limitPrice: 1 })))).code).toBe('not_tradable');
    const bp = await rejects(broker.submitOrder(order({ quantity: 11 })));
    expect(bp.code).toBe('insufficient_buying_power');
    expect(bp.category).toBe('ADJUSTABLE');
    expect(bp.details).toMatchObject({ buyingPower: '1000' });
    expect((await rejects(broker.submitOrder(order({ quantity: '1.5' })))).code).toBe('invalid_order');
    expect((await rejects(broker.submitOrder(order({ type: 'limit', limitPrice: '99.999' })))).code).toBe('sub_penny_price');
    expect((await rejects(broker.submitOrder(order({ symbol: 'HTB', side: 'sell', quantity: 1 })))).code).toBe('not_shortable');
    const ok = order({ quantity: 1 });
    await broker.submitOrder(ok);
    expect((await rejects(broker.submitOrder(ok))).code).toBe('broker_duplicate_client_order_id');
  });

  it('refuses to cancel a filled order', async () => {
    const { broker, order } = setup();
    broker.setPrice('AAPL', '100');
    const o = order({});
    await broker.submitOrder(o);
    expect((await rejects(broker.cancelOrder({ clientOrderId: o.clientOrderId }))).code).toBe('order_not_cancelable');
    expect((await rejects(broker.cancelOrder({ clientOrderId: 'none' }))).code).toBe('broker_not_found');
  });
});

describe('MockBroker faults', () => {
  it('scripted faults fire in order and are classified', async () => {
    const { broker, order } = setup();
    broker.setPrice('AAPL', '100');
    broker.failNext('submitOrder', { kind: 'rate_limit', retryAfterMs: 2_000 });
    broker.failNext('submitOrder', { kind: 'server_error', status: 502 });
    const first = await broker.submitOrder(order({})).catch((e: BrokerError) => e);
    const second = await broker.submitOrder(order({})).catch((e: BrokerError) => e);
    expect(first).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 2_000, category: 'RETRYABLE', mayHaveReachedBroker: false });
    expect(second).toMatchObject({ code: 'server_error', status: 502 });
    expect(broker.orderReports()).toEqual([]);
  });

  it('a timeout after reaching the broker leaves exactly one order there', async () => {
    const { broker, order } = setup();
    broker.setPrice('AAPL', '100');
    const o = order({});
    broker.failNext('submitOrder', { kind: 'timeout', reached: true });
    await expect(broker.submitOrder(o)).rejects.toMatchObject({ code: 'timeout', mayHaveReachedBroker: true });
    expect(broker.countByClientOrderId(o.clientOrderId)).toBe(1);
  });

  it('random faults are deterministic from the seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const { broker, order } = setup({ seed, faultRates: { submitOrder: { rate: 0.3, faults: [{ kind: 'rate_limit' }, { kind: 'network' }] } } });
      broker.setPrice('AAPL', '100');
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i++) outcomes.push(await broker.submitOrder(order({ quantity: 1 })).then(() => 'ok', (e: BrokerError) => e.code));
      return outcomes;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(a.filter((o) => o !== 'ok').length).toBeGreaterThan(0);
    expect(await run(7)).not.toEqual(a);
  });

  it('latency delays answers on the injected clock, not real time', async () => {
    const { broker, clock } = setup({ latencyMs: 250 });
    let done = false;
    void broker.getAccount().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(250);
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it('a dropped stream loses updates until restored, and says so', async () => {
    const { broker, order, updates } = setup();
    const states: string[] = [];
    broker.onConnectionChange((c) => states.push(c.state));
    broker.setPrice('AAPL', '100');
    broker.dropStream();
    await broker.submitOrder(order({}));
    expect(updates).toEqual([]);
    expect(broker.missedUpdates).toBe(2);
    broker.restoreStream();
    expect(states).toEqual(['disconnected', 'reconnected']);
    expect(broker.health().streamConnected).toBe(true);
  });

  it('a late stream delivers in order: news sent after its latency drops waits behind news still on the way', async () => {
    const { broker, clock, order, updates } = setup({ streamLatencyMs: 1_500 });
    broker.setPrice('AAPL', '100');
    broker.setLiquidity('AAPL', 1);
    const entry = order({});
    await broker.submitOrder(entry); // accepted, 1 of 10 filled: on the way for 1.5 s
    broker.setStreamLatency(0);
    await broker.cancelOrder({ clientOrderId: entry.clientOrderId });
    expect(updates).toEqual([]); // the cancel does not overtake the fill
    clock.advance(1_500);
    expect(types(updates)).toEqual(['accepted', 'filled', 'cancelled']);
    broker.setStreamLatency(200);
    await broker.submitOrder(order({}));
    clock.advance(199);
    expect(updates).toHaveLength(3);
    clock.advance(1);
    expect(types(updates).slice(3)).toEqual(['accepted', 'filled']);
  });

  it('a late stream: a listener that submits while a batch arrives does not hold back the rest of that batch behind later news (a fill was heard after the cancel that followed it)', async () => {
    const { broker, clock, order, updates } = setup({ streamLatencyMs: 1_500 });
    broker.setPrice('AAPL', '100');
    broker.setPrice('MSFT', '300');
    broker.setLiquidity('AAPL', 1);
    let chained = false;
    broker.onOrderUpdate((u) => {
      if (u.event.type === 'accepted' && !chained) {
        chained = true;
        void broker.submitOrder(order({ symbol: 'MSFT', side: 'sell' }));
      }
    });
    await broker.submitOrder(order({ symbol: 'MSFT' }));
    const entry = order({});
    await broker.submitOrder(entry); // 1 of 10 filled
    clock.advance(250);
    await broker.cancelOrder({ clientOrderId: entry.clientOrderId });
    for (let i = 0; i < 8; i++) clock.advance(500);
    const heard = updates.map((u) => `${u.clientOrderId === entry.clientOrderId ? 'entry' : u.event.type === 'accepted' || u.event.type === 'filled' ? 'other' : '?'} ${u.event.type}`);
    expect(heard.filter((h) => h.startsWith('entry'))).toEqual(['entry accepted', 'entry filled', 'entry cancelled']);
    expect(heard.slice(0, 5)).toEqual(['other accepted', 'other filled', 'entry accepted', 'entry filled', 'entry cancelled']);
  });

  it('a listener that submits during an update keeps updates in order', async () => {
    const { broker, order, updates } = setup();
    broker.setPrice('AAPL', '100');
    let chained = false;
    broker.onOrderUpdate((u) => {
      if (u.event.type === 'filled' && !chained) {
        chained = true;
        void broker.submitOrder(order({ side: 'sell' }));
      }
    });
    await broker.submitOrder(order({}));
    expect(types(updates)).toEqual(['accepted', 'filled', 'accepted', 'filled']);
  });
});

describe('MockBroker where open exits hold the shares (capabilities.exitsHoldQuantity, as Alpaca)', () => {
  const holding = { capabilities: { nativeOco: true, exitsHoldQuantity: true } };

  it('refuses a sell for more than the other open sells leave (403, "insufficient qty available"), as Alpaca does; a cancel frees the shares', async () => {
    const { broker, order } = setup(holding);
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ quantity: 10 }));
    const stop = await broker.submitOrder(order({ side: 'sell', type: 'stop', stopPrice: '95', quantity: 6 }));
    await broker.submitOrder(order({ side: 'sell', type: 'limit', limitPrice: '110', quantity: 4 })); // 4 left: taken
    const refused = await broker.submitOrder(order({ side: 'sell', type: 'market', quantity: 1 })).catch((e: unknown) => e);
    expect(isBrokerError(refused) && [refused.code, refused.status, refused.message]).toEqual(['invalid_order', 403, 'mock broker: insufficient qty available for order (requested: 1, available: 0)']);
    // Growing the stop past what is left is refused too; shrinking it frees shares.
    await expect(broker.replaceOrder(stop as unknown as Order, { quantity: new Decimal(7) })).rejects.toThrow(/insufficient qty available for order \(requested: 7, available: 6\)/);
    await broker.cancelOrder({ clientOrderId: stop.clientOrderId });
    expect((await broker.submitOrder(order({ side: 'sell', type: 'market', quantity: 6 }))).status).toBe('accepted');
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('4');
  });

  it('a one-cancels-other pair holds its shares once; buys that add to a long are not exits', async () => {
    const { broker, order, clock } = setup(holding);
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ quantity: 10 }));
    const ids = sequentialIds();
    const leg = (r: Partial<OrderRequest>) => createOrder({ clientOrderId: ids.next('oco'), symbol: 'AAPL', side: 'sell', quantity: 10, timeInForce: 'gtc', ...r }, { clock, ids });
    await broker.submitOrderList({ kind: 'oco', orders: [leg({ type: 'limit', limitPrice: '110' }), leg({ type: 'stop', stopPrice: '95' })] });
    expect(broker.orderReports().filter((o) => o.status === 'accepted')).toHaveLength(2);
    await expect(broker.submitOrder(order({ side: 'sell', type: 'market', quantity: 1 }))).rejects.toThrow(/available: 0/);
    expect((await broker.submitOrder(order({ side: 'buy', type: 'limit', limitPrice: '90', quantity: 5 }))).status).toBe('accepted');
  });

  it('without the capability, exits do not hold shares (the default mock)', async () => {
    const { broker, order } = setup();
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ quantity: 10 }));
    await broker.submitOrder(order({ side: 'sell', type: 'stop', stopPrice: '95', quantity: 10 }));
    expect((await broker.submitOrder(order({ side: 'sell', type: 'limit', limitPrice: '110', quantity: 10 }))).status).toBe('accepted');
  });
});

describe('MockBroker replacing a pair\'s leg by cancel and create (replaceGapMs, as OANDA re-creates a trade\'s stop)', () => {
  /** 20 bought; a one-cancels-other pair of 10 over them: a target at 110, a stop at 95. */
  async function pair(options: Partial<MockBrokerOptions> = {}) {
    const { broker, clock, order, updates } = setup({ replaceGapMs: 500, capabilities: { nativeOco: true }, ...options });
    broker.setPrice('AAPL', '100');
    await broker.submitOrder(order({ quantity: 20 }));
    const ids = sequentialIds();
    const leg = (r: Partial<OrderRequest>) => createOrder({ clientOrderId: ids.next('oco'), symbol: 'AAPL', side: 'sell', quantity: 10, timeInForce: 'gtc', ...r }, { clock, ids });
    const [target, stop] = [leg({ type: 'limit', limitPrice: '110' }), leg({ type: 'stop', stopPrice: '95' })] as [Order, Order];
    await broker.submitOrderList({ kind: 'oco', orders: [target, stop] });
    const placed = broker.orderReports().find((o) => o.clientOrderId === stop.clientOrderId)!;
    updates.length = 0;
    return { broker, clock, order, updates, target, stop: { ...stop, brokerOrderId: placed.brokerOrderId } };
  }

  it('cancels quietly at once — looked up cancelled, its cancel refused, no fill, out of its pair — and creates the change under a new id after the gap', async () => {
    const { broker, clock, updates, target, stop } = await pair();
    let answer: Awaited<ReturnType<MockBroker['replaceOrder']>> | undefined;
    const replacing = broker.replaceOrder(stop, { quantity: new Decimal(20) }).then((r) => (answer = r));
    await clock.advanceAsync(0);
    expect(answer).toBeUndefined();
    expect((await broker.getOrder({ clientOrderId: stop.clientOrderId }))?.status).toBe('cancelled');
    expect((await broker.getOpenOrders()).map((o) => o.clientOrderId)).toEqual([target.clientOrderId]);
    await expect(broker.cancelOrder(stop)).rejects.toMatchObject({ code: 'order_not_cancelable' });
    // No stop during the gap: the price goes through it and nothing fills.
    broker.setPrice('AAPL', '94');
    expect(types(updates)).toEqual([]);
    broker.setPrice('AAPL', '100');
    await clock.advanceAsync(500);
    await replacing;
    expect([answer?.status, answer?.quantity.toString()]).toEqual(['accepted', '20']);
    expect(answer?.brokerOrderId).not.toBe(stop.brokerOrderId);
    expect(updates.map((u) => [u.event.type, u.brokerOrderId])).toEqual([['modified', answer?.brokerOrderId]]);
    // Standalone now: the target's fill leaves it working.
    broker.setPrice('AAPL', '111');
    expect((await broker.getOrder({ clientOrderId: target.clientOrderId }))?.status).toBe('filled');
    expect((await broker.getOpenOrders()).map((o) => o.clientOrderId)).toEqual([stop.clientOrderId]);
    broker.setPrice('AAPL', '94');
    expect((await broker.getOrder({ clientOrderId: stop.clientOrderId }))?.status).toBe('filled');
  });

  it('a replace that timed out on the way still creates its order; an order not in a pair changes in one step', async () => {
    const { broker, clock, order, stop } = await pair();
    broker.failNext('replaceOrder', { kind: 'timeout', reached: true });
    await expect(broker.replaceOrder(stop, { quantity: new Decimal(20) })).rejects.toMatchObject({ code: 'timeout' });
    await clock.advanceAsync(500);
    expect((await broker.getOrder({ clientOrderId: stop.clientOrderId }))?.quantity.toString()).toBe('20');
    const resting = order({ type: 'limit', limitPrice: new Decimal(90), quantity: 5, timeInForce: 'gtc' });
    await broker.submitOrder(resting);
    expect((await broker.replaceOrder(resting, { quantity: new Decimal(6) })).status).toBe('accepted');
  });
});

describe('MockBroker memory bounds (soak tests and benchmarks)', () => {
  it('keeps the newest retainEndedOrders ended orders and rememberClientIds forgotten ids (the oldest forgotten as each order ends), at most about twice retainRequests requests', async () => {
    const { broker, order } = setup({ retainEndedOrders: 10, rememberClientIds: 20, retainRequests: 30 });
    broker.setPrice('AAPL', '100');
    const sent: Order[] = [];
    for (let i = 0; i < 200; i++) {
      const o = order({ side: i % 2 ? 'sell' : 'buy' });
      sent.push(o);
      await broker.submitOrder(o);
    }
    expect(broker.orderReports().length).toBe(10);
    expect(broker.requests.length).toBeLessThanOrEqual(60);
    // The newest 30 ids (10 kept, 20 remembered) are still refused as duplicates …
    for (const again of [sent[199]!, sent[170]!]) {
      const refused = await broker.submitOrder(again).catch((e: unknown) => e);
      expect(isBrokerError(refused) && refused.code).toBe('broker_duplicate_client_order_id');
    }
    await expect(broker.submitOrder(sent[169]!)).resolves.toMatchObject({ clientOrderId: sent[169]!.clientOrderId });
    // … the oldest is forgotten, as at a broker that keeps ids for a limited time.
    expect(broker.countByClientOrderId(sent[0]!.clientOrderId)).toBe(0);
    await expect(broker.submitOrder(sent[0]!)).resolves.toMatchObject({ clientOrderId: sent[0]!.clientOrderId });
  });
});
