import { describe, expect, it } from 'vitest';
import { alwaysOpenMarket, InMemoryJournal, routeByMeasuredCost, silentLogger, TradingDesk } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';

describe('routing by measured cost', () => {
  it('sends the entry to the broker whose fills have cost least (slippage + commission + latency), and records the numbers with the order', async () => {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    // The preferred-by-priority broker slips 20 bps; the other 2 bps.
    const costly = new MockBroker({ clock, name: 'costly', initialCash: 1_000_000, slippageBps: 20 });
    const cheap = new MockBroker({ clock, name: 'cheap', initialCash: 1_000_000, slippageBps: 2 });
    const common = { market: alwaysOpenMarket, rateLimit: false as const, config: { sizing: { method: 'fixed_quantity' as const, quantity: 10 }, maxPositions: 50, allowScaleIn: true } };
    const desk = new TradingDesk({
      clock,
      logger: silentLogger,
      routing: routeByMeasuredCost({ minOrders: 3 }),
      accounts: [
        { id: 'a-costly', adapter: costly, priority: 0, ids: sequentialIds(1), journal: new InMemoryJournal(), ...common },
        { id: 'b-cheap', adapter: cheap, priority: 1, ids: sequentialIds(100_000), journal: new InMemoryJournal(), ...common },
      ],
    });
    await desk.start();
    const symbols = ['SPY', 'QQQ', 'IWM', 'DIA', 'XLF', 'XLE', 'XLK', 'XLV', 'XLI', 'XLY'];
    for (const symbol of symbols) {
      for (const b of [costly, cheap]) b.setPrice(symbol, '500');
      desk.updatePrice(symbol, '500');
    }
    let n = 0;
    const sig = (extra: object = {}) => ({ id: `s${++n}`, symbol: symbols[n % symbols.length]!, side: 'buy' as const, strength: 90, time: clock.now(), strategyId: 'x', ...extra });
    // No history yet: priority decides.
    const first = await desk.executeSignal(sig());
    expect(first.outcomes[0]!.account).toBe('a-costly');
    // Each account builds a record of fills.
    for (let i = 0; i < 3; i++) {
      const d1 = await desk.executeSignal(sig({ account: 'a-costly' }));
      expect(d1.outcomes.map((o) => (o.decision?.kind === 'rejected' ? o.decision.reasons : o.decision?.kind))).toEqual(['executed']);
      await desk.executeSignal(sig({ account: 'b-cheap' }));
    }
    const routed = await desk.executeSignal(sig());
    expect(routed.outcomes[0]!.account).toBe('b-cheap');
    const candidates = (routed.routing as { candidates: { account: string; expectedCostBps: number; measured: { slippageBps: number; orders: number } }[] }).candidates;
    expect(candidates.map((c) => c.account)).toEqual(['b-cheap', 'a-costly']);
    // Measured on each account's latest records (kept between signals, measured again once an account has new ones).
    expect(candidates.map((c) => c.measured.orders)).toEqual([3, 4]);
    expect(candidates[0]!.measured.slippageBps).toBeCloseTo(2, 5);
    expect(candidates[1]!.measured.slippageBps).toBeCloseTo(20, 5);
    expect(candidates[0]!.expectedCostBps).toBeLessThan(candidates[1]!.expectedCostBps);
    // Recorded with the order, in the chosen account's audit trail.
    const notes = desk.engine('b-cheap').journal.query({ topic: 'desk.routing' });
    const last = notes.at(-1);
    expect(last?.kind === 'note' ? (last.data as { signalId: string }).signalId : undefined).toBe(routed.signal.id);
    await desk.stop();
  });
});
