import { ExecutionEngine, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

/**
 * What docs/testing.md says beyond its examples (those run as written, in doc-run.test.ts): the
 * retry is held until the clock moves, stale and future signals are refused, advanceAsync's order.
 */
async function setup() {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // a Monday, 11:00 in New York: the market is open
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
  await engine.start();
  broker.setPrice('AAPL', '190.00');
  engine.updatePrice('AAPL', '190.00');
  let n = 0;
  const signal = (): Signal => ({ id: `s${++n}`, symbol: 'AAPL', side: 'buy', strength: 85, time: clock.now(), strategyId: 'test' });
  return { clock, broker, engine, signal };
}

describe('docs/testing.md', () => {
  it('a retry waits on the clock: advanceAsync sends it', async () => {
    const { clock, engine, broker, signal } = await setup();
    broker.failNext('submitOrder', { kind: 'server_error' });
    const pending = engine.executeSignal(signal());
    await settle();
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(0); // refused, not processed
    await clock.advanceAsync(1_000);
    const decision = await pending;
    expect(decision.kind).toBe('executed');
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(1);
  });

  it('a signal far from the engine’s clock is refused', async () => {
    const { clock, engine } = await setup();
    const stale = await engine.executeSignal({ id: 'old', symbol: 'AAPL', side: 'buy', strength: 85, time: clock.now() - 10 * 60_000, strategyId: 'test' });
    expect(stale).toMatchObject({ kind: 'rejected', reasons: [{ code: 'signal_stale' }] });
    const future = await engine.executeSignal({ id: 'new', symbol: 'AAPL', side: 'buy', strength: 85, time: Date.UTC(3000, 0, 1), strategyId: 'test' });
    expect(future).toMatchObject({ kind: 'rejected', reasons: [{ code: 'signal_from_future' }] });
  });
});

describe('ManualClock.advanceAsync', () => {
  it('lets the work each timer starts run before the next timer fires', async () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => seen.push('work of the first timer'));
    }, 10);
    clock.setTimeout(() => seen.push('second timer'), 20);
    await clock.advanceAsync(30);
    expect(seen).toEqual(['work of the first timer', 'second timer']);
    expect(clock.now()).toBe(30);
    // advance() fires them back to back, before any awaited work.
    const sync: string[] = [];
    clock.setTimeout(() => void Promise.resolve().then(() => sync.push('work')), 10);
    clock.setTimeout(() => sync.push('second'), 20);
    clock.advance(30);
    await settle();
    expect(sync).toEqual(['second', 'work']);
  });
});
