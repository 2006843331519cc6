import { alwaysOpenMarket, type BrokerAdapter, Decimal, ExecutionEngine, type PositionReport, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

/**
 * Reconciliations never interleave: one asked for while another runs starts after it, and
 * everyone asking meanwhile shares that one run. Interleaved, an older picture of the broker read
 * by the first run was adopted over the newer one the second had already taken.
 */
describe('reconciliations run one at a time', () => {
  function setup() {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    const calls = { openOrders: 0, positions: 0 };
    // The broker's positions as each read finds them: the first read is slow and finds 5 shares
    // (shares then bought in the broker's app make 10), every later read finds 10 at once.
    let answerFirst: (reports: PositionReport[]) => void = () => undefined;
    const picture = (quantity: number): PositionReport[] => [{ symbol: 'AAPL', assetClass: 'equity', quantity: new Decimal(quantity), averageEntryPrice: new Decimal(100) }];
    const adapter = new Proxy(broker, {
      get(target, key) {
        if (key === 'getOpenOrders') return () => (calls.openOrders++, target.getOpenOrders());
        if (key === 'getPositions')
          return () => (++calls.positions === 1 ? new Promise<PositionReport[]>((resolve) => (answerFirst = resolve)) : Promise.resolve(picture(10)));
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as BrokerAdapter;
    const engine = new ExecutionEngine({
      adapter,
      clock,
      ids: sequentialIds(),
      logger: silentLogger,
      market: alwaysOpenMarket,
      config: { recovery: { reconcileIntervalMs: 0, onMismatch: 'adopt' }, accountRefreshMs: 86_400_000 },
    });
    return { engine, calls, answerFirst: () => answerFirst(picture(5)) };
  }

  it('a newer picture of the broker is never overwritten by an older one still on its way', async () => {
    const { engine, calls, answerFirst } = setup();
    await engine.start();
    const first = engine.reconcile();
    await settle(10); // the first run is waiting on its (slow) read of the positions
    expect(calls.positions).toBe(1);
    const second = engine.reconcile();
    const third = engine.reconcile();
    await settle(10);
    // Nothing more asked of the broker while the first run is out.
    expect(calls).toEqual({ openOrders: 1, positions: 1 });
    answerFirst();
    const [a, b, c] = await Promise.all([first, second, third]);
    // The first adopted what it read (5), the one after it what the broker holds now (10).
    expect(a.positionMismatches.map((m) => m.broker.toString())).toEqual(['5']);
    expect(b.positionMismatches.map((m) => [m.local.toString(), m.broker.toString()])).toEqual([['5', '10']]);
    expect(c).toBe(b); // asked during the same run: shared
    expect(calls).toEqual({ openOrders: 2, positions: 2 });
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('10');
    await engine.stop();
  });

  it('a run asked for after the last one ended starts at once', async () => {
    const { engine, calls, answerFirst } = setup();
    await engine.start();
    const first = engine.reconcile();
    await settle(10);
    answerFirst();
    await first;
    const again = await engine.reconcile();
    expect(calls).toEqual({ openOrders: 2, positions: 2 });
    expect(again.positionMismatches.map((m) => m.broker.toString())).toEqual(['10']);
    await engine.stop();
  });
});
