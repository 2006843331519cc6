import { BrokerError, ExecutionEngine, type MarketState, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

async function setup(queueWhenClosed = false) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 12, 0));
  let open = true;
  const market: MarketState = { isMarketOpen: () => open };
  const broker = new MockBroker({ clock });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    market,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, marketHours: { queueWhenClosed, queueCheckIntervalMs: 60_000 }, recovery: { reconcileIntervalMs: 0 } },
  });
  await engine.start();
  broker.setPrice('AAPL', '100');
  engine.updatePrice('AAPL', '100');
  const seen: string[] = [];
  engine.on('signal:queued', (d) => seen.push(`queued ${d.signal.id} (${d.reason})`));
  engine.on('signal:dequeued', (d) => seen.push(`${d.how} ${d.signal.id}`));
  let n = 0;
  const signal = (s: Partial<Signal> = {}): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'q', ...s });
  const flush = async (): Promise<void> => {
    await settle(5);
  };
  return { clock, broker, engine, seen, signal, flush, setOpen: (v: boolean) => (open = v) };
}

describe('the signal queue', () => {
  it('a WAITING refusal from the broker queues the signal; it is sent, with fresh checks, once the market opens', async () => {
    const { clock, broker, engine, seen, signal, flush, setOpen } = await setup();
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('market_closed', 'market is closed', { status: 403 }) });
    const decision = await engine.executeSignal(signal());
    expect(decision).toMatchObject({ kind: 'queued', reason: 'market_closed' });
    expect(engine.queuedSignals().map((q) => q.signal.id)).toEqual(['s1']);
    const refused = engine.orders.orderList()[0]!;
    expect(refused.status).toBe('rejected');
    setOpen(false);
    clock.advance(60_000);
    await flush();
    expect(engine.queuedSignals()).toHaveLength(1); // still closed: stays queued
    setOpen(true);
    clock.advance(60_000);
    await flush();
    expect(engine.queuedSignals()).toEqual([]);
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(seen).toEqual(['queued s1 (market_closed)', 'released s1']);
    expect(engine.orders.auditTrail({ kinds: ['note'] }).map((r) => (r.kind === 'note' ? r.topic : ''))).toEqual(expect.arrayContaining(['signal.decision', 'signal.released']));
  });

  it('with queueWhenClosed, a closed market queues the signal without sending anything', async () => {
    const { broker, engine, signal, setOpen } = await setup(true);
    setOpen(false);
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'queued' });
    expect(broker.orderReports()).toEqual([]);
    // Another failing check is not hidden behind the queue: it rejects.
    engine.halt('test');
    expect(await engine.executeSignal(signal())).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_halted' }] });
    engine.resume();
  });

  it('an operator can approve a queued signal (sent now, market or not) or reject it', async () => {
    const { broker, engine, signal, setOpen, seen } = await setup(true);
    broker.setPrice('MSFT', '400');
    setOpen(false);
    await engine.executeSignal(signal());
    await engine.executeSignal(signal({ symbol: 'MSFT', expectedPrice: '400' }));
    const approved = await engine.approveQueued('s1');
    expect(approved?.kind === 'executed' && approved.order.status).toBe('filled');
    const rejected = engine.rejectQueued('s2', 'not today');
    expect(rejected).toMatchObject({ kind: 'rejected', reasons: [{ code: 'rejected_by_operator', message: 'not today' }] });
    expect(engine.queuedSignals()).toEqual([]);
    expect(seen).toEqual(['queued s1 (market_closed)', 'queued s2 (market_closed)', 'approved s1', 'rejected s2']);
    expect(await engine.approveQueued('nope')).toBeUndefined();
  });
});

describe('force close', () => {
  it('cancels the symbol\'s working orders and closes the position at market, even while halted', async () => {
    const { broker, engine, signal } = await setup();
    await engine.executeSignal(signal());
    const resting = await engine.orders.submit({ symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '150', reduceOnly: true }, { timeoutMs: null });
    engine.halt('operator drill');
    const alerts: string[] = [];
    engine.on('alert', (a) => alerts.push(a.code));
    const order = await engine.forceClose('AAPL', 'risk desk');
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
    expect(order?.status).toBe('filled');
    expect(engine.positions.get('AAPL')).toBeUndefined();
    expect(broker.positionReports()).toEqual([]);
    expect(alerts).toContain('position_force_closed');
  });
});
