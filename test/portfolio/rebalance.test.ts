import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysOpenMarket, Decimal, ExecutionEngine, groupLimitRule, PRE_TRADE_RULES, silentLogger, ValidationError } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';

const PRICES: Record<string, string> = { AAPL: '190', MSFT: '420', NVDA: '1100', XOM: '110', JPM: '200' };
const SECTOR: Record<string, string> = { AAPL: 'tech', MSFT: 'tech', NVDA: 'tech', XOM: 'energy', JPM: 'banks' };

function setup(rules = PRE_TRADE_RULES) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, rules, config: { maxPositionSizePct: 100, maxAccountExposurePct: 100, maxPositions: 20, minTradeSize: 100 } });
  for (const [s, p] of Object.entries(PRICES)) {
    broker.setPrice(s, p);
    engine.updatePrice(s, p);
  }
  return { clock, engine, broker };
}

describe('rebalance to target weights', () => {
  it('a dry run plans whole shares toward each weight and sends nothing; the run sells first, then buys; a second run plans nothing', async () => {
    const { engine } = setup();
    await engine.start();
    const plan = await engine.rebalance({ AAPL: 0.2, MSFT: 0.1, XOM: 0.05 }, { dryRun: true, runId: 'r1' });
    expect(plan.lines.map((l) => [l.symbol, l.action, l.quantity, l.status])).toEqual([
      ['AAPL', 'buy', '105', 'planned'], // 20 000 / 190 = 105.26 → 105
      ['MSFT', 'buy', '23', 'planned'], //  10 000 / 420 = 23.8 → 23
      ['XOM', 'buy', '45', 'planned'], //    5 000 / 110 = 45.45 → 45
    ]);
    expect(engine.orders.orderList()).toEqual([]);
    const done = await engine.rebalance({ AAPL: 0.2, MSFT: 0.1, XOM: 0.05 }, { runId: 'r2' });
    expect(done.lines.map((l) => l.status)).toEqual(['executed', 'executed', 'executed']);
    expect(engine.positions.get('AAPL')?.quantity.toFixed()).toBe('105');
    // Now shift: less AAPL, no XOM, some JPM. The sells come first.
    const shift = await engine.rebalance({ AAPL: 0.1, MSFT: 0.1, JPM: 0.1 }, { runId: 'r3' });
    expect(shift.lines.map((l) => [l.symbol, l.action, l.status])).toEqual([
      ['AAPL', 'sell', 'executed'],
      ['XOM', 'sell', 'executed'],
      ['JPM', 'buy', 'executed'],
      ['MSFT', 'none', 'skipped'],
    ]);
    expect(engine.positions.get('XOM')).toBeUndefined();
    const again = await engine.rebalance({ AAPL: 0.1, MSFT: 0.1, JPM: 0.1 }, { runId: 'r4', dryRun: true });
    expect(again.lines.filter((l) => l.action !== 'none')).toEqual([]);
  });

  it('the same limits as signals: a sector limit refuses the buy that would pass it, and says so per name', async () => {
    const { engine } = setup([...PRE_TRADE_RULES, groupLimitRule((s) => SECTOR[s], { tech: 25 })]);
    await engine.start();
    const result = await engine.rebalance({ AAPL: 0.15, MSFT: 0.15 }, { runId: 'g' });
    expect(result.lines.map((l) => [l.symbol, l.status])).toEqual([
      ['AAPL', 'executed'],
      ['MSFT', 'refused'],
    ]);
    expect(result.lines[1]!.reason).toMatch(/^group_exposure: tech would hold/);
  });

  it("the run's orders are on the wire together (sells decided first), and its names are looked up in one round trip", async () => {
    const { clock, engine, broker } = setup();
    await engine.start();
    await engine.rebalance({ AAPL: 0.2, XOM: 0.1 }, { runId: 'r1' });
    broker.setLatency(200);
    const pending = engine.rebalance({ AAPL: 0.1, MSFT: 0.1, JPM: 0.1 }, { runId: 'r2' });
    await settle();
    await clock.advanceAsync(200); // the account refresh
    await clock.advanceAsync(200); // the assets of MSFT and JPM, together
    const submitted = broker.requests.filter((r) => r.method === 'submitOrder').slice(2);
    expect(submitted).toHaveLength(4); // AAPL and XOM sells, MSFT and JPM buys — none answered yet
    await clock.advanceAsync(200);
    const result = await pending;
    expect(result.lines.map((l) => [l.symbol, l.action, l.status])).toEqual([
      ['AAPL', 'sell', 'executed'],
      ['XOM', 'sell', 'executed'],
      ['MSFT', 'buy', 'executed'],
      ['JPM', 'buy', 'executed'],
    ]);
  });

  it('bad weights are a ValidationError naming each; nothing is sent', async () => {
    const { engine } = setup();
    await engine.start();
    await expect(engine.rebalance({ AAPL: 0.7, MSFT: 0.6 })).rejects.toThrow(/add up to 1\.3/);
    await expect(engine.rebalance({ AAPL: -0.1 })).rejects.toBeInstanceOf(ValidationError);
    expect(engine.orders.orderList()).toEqual([]);
  });

  it('property: for any targets, a rebalance breaches no sector limit, and a second one right after plans no trade', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...Object.keys(PRICES)), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 5 }), async (pairs) => {
        const targets: Record<string, number> = {};
        for (const [s, pct] of pairs) targets[s] = pct / 100;
        const sum = Object.values(targets).reduce((a, b) => a + b, 0);
        if (sum > 1) return;
        const { engine } = setup([...PRE_TRADE_RULES, groupLimitRule((s) => SECTOR[s], { tech: 40 })]);
        await engine.start();
        await engine.rebalance(targets, { runId: 'p1' });
        const tech = engine.positions
          .openPositions()
          .filter((p) => SECTOR[p.symbol] === 'tech')
          .reduce((a, p) => a.plus(p.quantity.times(PRICES[p.symbol]!)), new Decimal(0));
        expect(tech.lessThanOrEqualTo(40_000)).toBe(true);
        const second = await engine.rebalance(targets, { runId: 'p2', dryRun: true });
        // What the limits refused the first time is refused again; everything else is in place.
        const refusedBefore = new Set<string>();
        for (const l of second.lines) if (l.action !== 'none' && !(SECTOR[l.symbol] === 'tech')) refusedBefore.add(l.symbol);
        expect([...refusedBefore]).toEqual([]);
        await engine.stop();
      }),
      { numRuns: 30 },
    );
  });
});
