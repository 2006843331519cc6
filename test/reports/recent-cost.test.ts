import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysOpenMarket, ExecutionEngine, type ExecutionRecord, InMemoryJournal, type MeasuredCost, measureCost, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { RecentCost } from '../../src/quality/recent-cost.js';

/** The fields the measured cost reads, as a record would carry them (strings for decimals). */
const record = fc.record({
  fills: fc.constantFrom(0, 1, 2),
  averageFillPrice: fc.option(fc.constantFrom('100', '99.95', '0.5', '1234.5678'), { nil: undefined }),
  filledQuantity: fc.constantFrom('0', '1', '10', '2.5'),
  commission: fc.constantFrom('0', '1', '0.35', '12.5'),
  slippageBps: fc.option(fc.constantFrom('0', '2', '-3.5', '17.25', '120'), { nil: undefined }),
  submitToFirstFillMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
}) as fc.Arbitrary<ExecutionRecord>;

/** The walk the kept figure replaces: every filled record's numbers, added up afresh. */
function walk(records: readonly ExecutionRecord[]): MeasuredCost | undefined {
  const filled = records.filter((r) => r.fills > 0 && r.averageFillPrice !== undefined);
  if (filled.length === 0) return undefined;
  const slipped = filled.filter((r) => r.slippageBps !== undefined).map((r) => Number(r.slippageBps));
  const commissions = filled.map((r) => {
    const notional = Number(r.averageFillPrice) * Number(r.filledQuantity);
    return notional === 0 ? 0 : (Number(r.commission) / notional) * 10_000;
  });
  const latencies = filled.flatMap((r) => (r.submitToFirstFillMs === undefined ? [] : [r.submitToFirstFillMs])).sort((a, b) => a - b);
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  return { orders: filled.length, slippageBps: slipped.length ? sum(slipped) / slipped.length : 0, commissionBps: sum(commissions) / filled.length, latencyMs: latencies.length ? latencies[Math.floor((latencies.length - 1) / 2)]! : 0 };
}

function expectClose(kept: MeasuredCost | undefined, walked: MeasuredCost | undefined): void {
  if (walked === undefined) return void expect(kept).toBeUndefined();
  expect(kept).toBeDefined();
  expect(kept!.orders).toBe(walked.orders);
  expect(kept!.latencyMs).toBe(walked.latencyMs);
  // Sums moved by adds and removes differ from a fresh sum only by float rounding.
  expect(kept!.slippageBps).toBeCloseTo(walked.slippageBps, 9);
  expect(kept!.commissionBps).toBeCloseTo(walked.commissionBps, 9);
}

describe('RecentCost: the measured cost kept as records arrive', () => {
  it('equals measuring the newest `capacity` records again, read at any point (property; measureCost too)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(record, fc.boolean()), { maxLength: 80 }), (capacity, steps) => {
        const kept = new RecentCost(capacity);
        const seen: ExecutionRecord[] = [];
        for (const [r, read] of steps) {
          kept.push(r);
          seen.push(r);
          if (read) expectClose(kept.value(), walk(seen.slice(-capacity)));
        }
        expectClose(kept.value(), walk(seen.slice(-capacity)));
        expectClose(measureCost(seen), walk(seen));
      }),
      { numRuns: 300 },
    );
  });

  it('hand-computed: two filled orders and one that did not fill → means over the two, the lower median latency', () => {
    const cost = measureCost([
      { fills: 1, averageFillPrice: '100', filledQuantity: '10', commission: '1', slippageBps: '4', submitToFirstFillMs: 30 },
      { fills: 0, averageFillPrice: undefined, filledQuantity: '0', commission: '0', slippageBps: undefined, submitToFirstFillMs: undefined },
      { fills: 2, averageFillPrice: '50', filledQuantity: '20', commission: '0.5', slippageBps: '-2', submitToFirstFillMs: 10 },
    ] as ExecutionRecord[]);
    // Commission: 1 / 1000 = 10 bps and 0.5 / 1000 = 5 bps → 7.5; slippage (4 − 2) / 2 = 1; latencies [10, 30] → 10.
    expect(cost).toEqual({ orders: 2, slippageBps: 1, commissionBps: 7.5, latencyMs: 10 });
    expect(measureCost([])).toBeUndefined();
  });

  it("an engine's monitor: first asked part-way through a run, then kept with every order, equal to measuring its recent records", async () => {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000, slippageBps: 3, commission: { perUnit: '0.01', minimum: '1' } });
    const engine = new ExecutionEngine({ adapter: broker, clock, journal: new InMemoryJournal(), ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, quality: { recentKept: 7 }, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
    await engine.start();
    for (const s of ['A', 'B']) {
      broker.setPrice(s, '100');
      engine.updatePrice(s, '100');
    }
    const monitor = engine.quality!;
    expect(monitor.measuredCost()).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      const symbol = i % 2 ? 'A' : 'B';
      const price = (100 + (i % 5)).toString();
      broker.setPrice(symbol, price);
      engine.updatePrice(symbol, price);
      await engine.executeSignal({ id: `s${i}`, symbol, side: Math.floor(i / 2) % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
      clock.advance(1_000);
      if (i >= 5) expectClose(monitor.measuredCost(), walk(monitor.recent()));
    }
    expect(monitor.recent()).toHaveLength(7);
    expect(monitor.measuredCost()!.orders).toBe(7);
    expect(monitor.measuredCost()!.slippageBps).toBeGreaterThan(0);
    await engine.stop();
  });
});
