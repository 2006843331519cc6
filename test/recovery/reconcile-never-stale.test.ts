import fc from 'fast-check';
import { alwaysOpenMarket, type EngineConfig, ExecutionEngine, silentLogger, type Signal } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

/** One thing that happens in a run: a signal, a price move, a latency change, a reconcile, time passing. */
type Step =
  | { kind: 'signal'; symbol: 'AAPL' | 'MSFT'; side: 'buy' | 'sell' }
  | { kind: 'price'; symbol: 'AAPL' | 'MSFT'; price: number }
  | { kind: 'latency'; rest: number; stream: number }
  | { kind: 'reconcile' }
  | { kind: 'wait'; ms: number };

const symbol = fc.constantFrom<'AAPL' | 'MSFT'>('AAPL', 'MSFT');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('signal' as const), symbol, side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('price' as const), symbol, price: fc.integer({ min: 50, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('latency' as const), rest: fc.integer({ min: 0, max: 40 }), stream: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'reconcile' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
);

/** Lets promises run, one millisecond of the manual clock at a time (timers fire as time passes). */
async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i <= ms; i++) {
    await settle(4);
    if (i < ms) clock.advance(1);
  }
}

async function scenario(steps: readonly Step[]): Promise<void> {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 1_000_000 });
  const config: EngineConfig = {
    sizing: { method: 'fixed_quantity', quantity: 10 },
    orderManagement: { orderTimeoutMs: null },
    // Reconciliation runs only where the steps say (a periodic one while quiet would hide drift).
    recovery: { reconcileIntervalMs: 0, onMismatch: 'adopt' },
    accountRefreshMs: 86_400_000,
  };
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, config });
  const errors: unknown[] = [];
  engine.on('error', ({ error }) => errors.push(error));
  await engine.start();
  for (const s of ['AAPL', 'MSFT']) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  let n = 0;
  const pending: Promise<unknown>[] = [];
  for (const s of steps) {
    switch (s.kind) {
      case 'signal': {
        const signal: Signal = { id: `s${++n}`, symbol: s.symbol, side: s.side, strength: 90, time: clock.now(), strategyId: 'prop' };
        pending.push(engine.executeSignal(signal));
        break;
      }
      case 'price':
        broker.setPrice(s.symbol, s.price);
        engine.updatePrice(s.symbol, s.price);
        break;
      case 'latency':
        broker.setLatency(s.rest);
        broker.setStreamLatency(s.stream);
        break;
      case 'reconcile':
        pending.push(engine.reconcile());
        break;
      case 'wait':
        await run(clock, s.ms);
        break;
    }
  }
  // Quiet: no new activity, every answer and every stream update delivered. No reconciliation
  // after the steps': what they adopted must already be the truth.
  // The manual clock keeps moving until every signal and reconciliation asked for has ended: a
  // reconciliation asked for while one runs starts after it, and its answers take latency too.
  let ended = false;
  const all = Promise.all(pending).finally(() => (ended = true));
  for (let waited = 0; !ended && waited < 10_000; waited += 50) await run(clock, 50);
  expect(ended).toBe(true);
  await all;
  await run(clock, 200);

  const local = new Map(engine.positions.openPositions().map((p) => [p.symbol, (p.side === 'long' ? p.quantity : p.quantity.negated()).toString()]));
  const remote = new Map(broker.positionReports().map((p) => [p.symbol, p.quantity.toString()]));
  expect(local).toEqual(remote);
  // Shorting is off: the broker never ends up short.
  for (const quantity of remote.values()) expect(quantity.startsWith('-')).toBe(false);
  expect(engine.pnl().realizedTotal.toString()).toBe(broker.realizedPnl.toString());
  await engine.stop();
}

describe('reconciliation never applies a stale picture', () => {
  it('the exact case: a sell fills while the broker\'s positions are on the wire; the stale "long" is not adopted', async () => {
    await scenario([
      { kind: 'latency', rest: 30, stream: 0 },
      { kind: 'signal', symbol: 'AAPL', side: 'buy' },
      { kind: 'wait', ms: 40 },
      { kind: 'price', symbol: 'AAPL', price: 60 },
      { kind: 'reconcile' }, // open orders answer at +30 ms; then "long 10" is read, and heard at +60 ms…
      { kind: 'wait', ms: 35 },
      { kind: 'signal', symbol: 'AAPL', side: 'sell' }, // …after this sell has filled (its news is instant)
      { kind: 'wait', ms: 60 },
      { kind: 'signal', symbol: 'AAPL', side: 'sell' }, // a later sell must find nothing to sell
      { kind: 'wait', ms: 60 },
    ]);
  });

  it('reconciliations asked for while one runs, with answers slowing down, each end and leave the broker\'s picture (found by the search)', async () => {
    await scenario([
      { kind: 'signal', symbol: 'AAPL', side: 'buy' },
      { kind: 'latency', rest: 1, stream: 0 },
      { kind: 'reconcile' },
      { kind: 'latency', rest: 40, stream: 2 },
      { kind: 'wait', ms: 0 },
      { kind: 'reconcile' }, // queued behind the first…
      { kind: 'reconcile' }, // …and shared with this one
      { kind: 'signal', symbol: 'AAPL', side: 'buy' },
    ]);
  });

  it('random interleavings of signals, fills, latencies and reconcile ticks leave positions and realized P&L equal to the broker\'s once quiet', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), async (steps) => {
        await scenario(steps);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
