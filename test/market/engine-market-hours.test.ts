import { ExecutionEngine, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

const utc = (iso: string): number => Date.parse(iso);
const flush = async (): Promise<void> => {
  await settle(6);
};

async function setup(start: string, marketHours: Record<string, unknown> = {}) {
  const clock = new ManualClock(utc(start));
  const broker = new MockBroker({ clock });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, marketHours, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 },
  });
  await engine.start();
  broker.setPrice('AAPL', '100');
  engine.updatePrice('AAPL', '100');
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'hours', ...s });
  return { clock, broker, engine, signal };
}

describe('the engine and market hours (default MarketStateManager)', () => {
  it('refuses entries while the market is closed, by default', async () => {
    const { engine, signal } = await setup('2025-06-07T15:00:00Z'); // Saturday
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'rejected', reasons: [{ code: 'market_open' }] });
  });

  it('crypto trades on a Saturday', async () => {
    const { engine, broker, signal } = await setup('2025-06-07T15:00:00Z');
    broker.setPrice('BTC/USD', '60000');
    engine.updatePrice('BTC/USD', '60000');
    const decision = await engine.executeSignal(signal({ symbol: 'BTC/USD', assetClass: 'crypto' }));
    expect(decision.kind === 'executed' && decision.order.status).toBe('filled');
  });

  it('a signal that names no asset class trades what the broker says the symbol is (forex after the stock close)', async () => {
    const { engine, broker, signal } = await setup('2025-06-09T22:00:00Z'); // Monday 18:00 New York: stocks shut, forex open
    broker.setPrice('USD_JPY', '150.000');
    engine.updatePrice('USD_JPY', '150.000');
    const decision = await engine.executeSignal(signal({ symbol: 'USD_JPY' }));
    expect(decision.kind === 'executed' && decision.order.status).toBe('filled');
    expect(decision.kind === 'executed' && decision.order.assetClass).toBe('forex');
    expect(engine.positions.get('USD_JPY')?.assetClass).toBe('forex');
    // Said explicitly, the signal's own asset class is what counts: as equity it is refused now.
    expect(await engine.executeSignal(signal({ symbol: 'USD_JPY', side: 'sell', assetClass: 'equity' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'market_open' }] });
  });

  it('queues a signal accepted while closed and submits it at the next open, after fresh checks', async () => {
    const { clock, engine, signal, broker } = await setup('2025-06-06T21:30:00Z', { queueWhenClosed: true }); // Friday 17:30 EDT
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'queued', reason: 'market_closed' });
    expect(engine.queuedSignals()).toHaveLength(1);
    broker.setPrice('AAPL', '104'); // the weekend moved the price
    engine.updatePrice('AAPL', '104');
    clock.advanceTo(utc('2025-06-09T13:29:00Z'));
    await flush();
    expect(engine.queuedSignals()).toHaveLength(1); // not yet
    clock.advanceTo(utc('2025-06-09T13:30:00Z')); // Monday 09:30 EDT: market:opened
    await flush();
    expect(engine.queuedSignals()).toEqual([]);
    const position = engine.positions.get('AAPL');
    expect(position?.quantity.toString()).toBe('10');
    expect(position?.averageEntryPrice.toString()).toBe('104');
    expect(engine.orders.auditTrail({ kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''))).toEqual(expect.arrayContaining(['signal.decision', 'signal.released']));
  });

  it('the signals queued while closed go out together at the open: their assets looked up in one round trip, their orders all at the broker before the first answer', async () => {
    const { clock, engine, signal, broker } = await setup('2025-06-06T21:30:00Z', { queueWhenClosed: true }); // Friday 17:30 EDT
    const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META'];
    for (const symbol of symbols) {
      broker.setPrice(symbol, '100');
      engine.updatePrice(symbol, '100');
      expect(await engine.executeSignal(signal({ symbol }))).toMatchObject({ kind: 'queued' });
    }
    broker.setLatency(250);
    const requests = (method: string): number => broker.requests.filter((r) => r.method === method && r.at >= utc('2025-06-09T13:30:00Z')).length;
    clock.advanceTo(utc('2025-06-09T13:30:00Z')); // Monday 09:30 EDT: the weekend outlasted the asset cache
    await flush();
    expect(requests('getAsset')).toBe(5);
    expect(requests('submitOrder')).toBe(0);
    await clock.advanceAsync(250);
    expect(requests('submitOrder')).toBe(5); // decided one after another, sent together
    await clock.advanceAsync(250);
    await flush();
    expect(engine.queuedSignals()).toEqual([]);
    expect(engine.positions.openPositions().map((p) => `${p.symbol} ${p.quantity.toString()}`).sort()).toEqual(symbols.map((s) => `${s} 10`).sort());
  });

  it('a queued signal can be withdrawn', async () => {
    const { engine, signal } = await setup('2025-06-07T15:00:00Z', { queueWhenClosed: true });
    await engine.executeSignal(signal());
    engine.rejectQueued('s1', 'withdrawn by the bot');
    expect(engine.queuedSignals()).toEqual([]);
  });

  it('cancels open day orders at the close when cancelAtClose is on, and keeps GTC ones', async () => {
    const { clock, engine } = await setup('2025-06-06T19:00:00Z', { cancelAtClose: true }); // Friday 15:00 EDT
    const day = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'day' }, { timeoutMs: null });
    const gtc = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' }, { timeoutMs: null });
    clock.advanceTo(utc('2025-06-06T19:59:59Z'));
    await flush();
    expect(engine.orders.get(day.clientOrderId)?.status).toBe('accepted');
    clock.advanceTo(utc('2025-06-06T20:00:00Z')); // 16:00 EDT
    await flush();
    expect(engine.orders.get(day.clientOrderId)?.status).toBe('cancelled');
    const requested = engine.orders.auditTrail({ clientOrderId: day.clientOrderId }).find((r) => r.kind === 'order.event' && r.eventType === 'cancel_requested');
    expect(requested?.kind === 'order.event' && requested.event.raw).toEqual({ reason: 'cancelled at the close' });
    expect(engine.orders.get(gtc.clientOrderId)?.status).toBe('accepted');
  });

  it('in an enabled extended session, orders go as marketable limits flagged for extended hours', async () => {
    const { engine, signal } = await setup('2025-06-02T12:00:00Z', { preMarket: true }); // 08:00 EDT
    const decision = await engine.executeSignal(signal());
    expect(decision.kind === 'executed' && [decision.order.type, decision.order.extendedHours, decision.order.timeInForce, decision.order.limitPrice?.toString()]).toEqual(['limit', true, 'day', '100.1']);
  });
});
