import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysOpenMarket, Decimal, ExecutionEngine, groupLimitRule, PRE_TRADE_RULES, type PreTradeRule, silentLogger, strategyLimitRule } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';

const SECTORS: Record<string, string> = { AAPL: 'tech', MSFT: 'tech', NVDA: 'tech', XOM: 'energy', CVX: 'energy', JPM: 'banks' };

function setup(rules = [groupLimitRule((s) => SECTORS[s], { tech: 30, energy: 20 }), strategyLimitRule({ momo: 40 })], orderManagement: { entryOrderType?: 'limit'; orderTimeoutMs?: null } = {}) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    market: alwaysOpenMarket,
    rateLimit: false,
    rules: [...PRE_TRADE_RULES, ...rules],
    // 100 shares × $100 = $10 000 a position: 10 % of equity each.
    config: { sizing: { method: 'fixed_quantity', quantity: 100 }, maxPositions: 20, maxPositionSizePct: 100, maxAccountExposurePct: 100, orderManagement },
  });
  for (const s of Object.keys(SECTORS)) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  return { clock, engine, broker };
}

describe('sector (group) and strategy limits', () => {
  it('a third tech position would put tech at 30 % of equity — allowed; a fourth, over it — refused with group_exposure and why', async () => {
    const { clock, engine } = setup();
    await engine.start();
    const buy = (symbol: string, strategyId = 'value') => engine.executeSignal({ id: `${symbol}-${strategyId}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId });
    expect((await buy('AAPL')).kind).toBe('executed');
    expect((await buy('MSFT')).kind).toBe('executed');
    expect((await buy('NVDA')).kind).toBe('executed'); // tech 30 000 = 30 % of 100 000
    const energy1 = await buy('XOM');
    expect(energy1.kind).toBe('executed');
    const energy2 = await buy('CVX');
    expect(energy2.kind).toBe('executed'); // energy 20 %
    const decision = await engine.executeSignal({ id: 'jpm', symbol: 'JPM', side: 'buy', strength: 90, time: clock.now(), strategyId: 'value' });
    expect(decision.kind).toBe('executed'); // banks: not limited
    // Exits are never held by a group limit.
    expect((await engine.executeSignal({ id: 'x', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'value' })).kind).toBe('executed');
  });

  it('refuses the entry that would pass a sector or a strategy limit, naming it', async () => {
    const { clock, engine } = setup([groupLimitRule((s) => SECTORS[s], 25), strategyLimitRule({ momo: 15 })]);
    await engine.start();
    await engine.executeSignal({ id: 'a', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'value' });
    await engine.executeSignal({ id: 'm', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now(), strategyId: 'value' });
    const nvda = await engine.executeSignal({ id: 'n', symbol: 'NVDA', side: 'buy', strength: 90, time: clock.now(), strategyId: 'value' });
    expect(nvda.kind === 'rejected' && nvda.reasons.map((r) => r.code)).toEqual(['group_exposure']);
    expect(nvda.kind === 'rejected' && nvda.reasons[0]!.message).toMatch(/tech would hold 30000\.00.*25% of equity/);
    await engine.executeSignal({ id: 'x1', symbol: 'XOM', side: 'buy', strength: 90, time: clock.now(), strategyId: 'momo' });
    const cvx = await engine.executeSignal({ id: 'c1', symbol: 'CVX', side: 'buy', strength: 90, time: clock.now(), strategyId: 'momo' });
    expect(cvx.kind === 'rejected' && cvx.reasons.map((r) => r.code)).toEqual(['strategy_exposure']);
  });

  it('property: for any mix of signals, no sector ever holds more than its limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ symbol: fc.constantFrom(...Object.keys(SECTORS)), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>, strategy: fc.constantFrom('momo', 'value') }), { minLength: 1, maxLength: 30 }), async (plan) => {
        const { clock, engine } = setup();
        await engine.start();
        let n = 0;
        for (const { symbol, side, strategy } of plan) {
          await engine.executeSignal({ id: `p${n++}`, symbol, side, strength: 90, time: clock.now(), strategyId: strategy });
          const bySector = new Map<string, Decimal>();
          const byStrategy = new Map<string, Decimal>();
          for (const p of engine.positions.openPositions()) {
            const value = p.quantity.times(100);
            bySector.set(SECTORS[p.symbol]!, (bySector.get(SECTORS[p.symbol]!) ?? new Decimal(0)).plus(value));
            byStrategy.set(p.strategyId ?? '', (byStrategy.get(p.strategyId ?? '') ?? new Decimal(0)).plus(value));
          }
          expect((bySector.get('tech') ?? new Decimal(0)).lessThanOrEqualTo(30_000)).toBe(true);
          expect((bySector.get('energy') ?? new Decimal(0)).lessThanOrEqualTo(20_000)).toBe(true);
          expect((byStrategy.get('momo') ?? new Decimal(0)).lessThanOrEqualTo(40_000)).toBe(true);
        }
        await engine.stop();
      }),
      { numRuns: 40 },
    );
  });
});

describe('the exposure totals the limits read, kept as the book changes', () => {
  const SECTOR_OF = (symbol: string): string | undefined => SECTORS[symbol];
  const STRATEGY_OF = (_symbol: string, strategyId: string | undefined): string | undefined => strategyId;
  const step = fc.oneof(
    fc.record({ kind: fc.constant('signal' as const), symbol: fc.constantFrom(...Object.keys(SECTORS)), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>, strategy: fc.constantFrom('momo', 'value') }),
    fc.record({ kind: fc.constant('batch' as const), symbols: fc.subarray(Object.keys(SECTORS), { minLength: 1 }), strategy: fc.constantFrom('momo', 'value') }),
    fc.record({ kind: fc.constant('broker_price' as const), symbol: fc.constantFrom(...Object.keys(SECTORS)), price: fc.constantFrom('99', '100', '101', '103') }),
    fc.record({ kind: fc.constant('engine_price' as const), symbol: fc.constantFrom(...Object.keys(SECTORS)), price: fc.constantFrom('98', '100', '102') }),
    fc.record({ kind: fc.constant('cancel_all' as const) }),
  );

  let askedInAll = 0;
  it('property: whenever a limit asks — after signals, batches, resting limit entries, fills at a moved price, price marks and cancels — the kept totals equal a sum over the whole book', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (plan) => {
        const mismatches: string[] = [];
        let asked = 0;
        // A rule that refuses nothing and compares, at each question, every sector's and strategy's kept total with the book's sum.
        const witness: PreTradeRule = {
          code: 'witness',
          guardsExits: false,
          check: (c) => {
            asked++;
            for (const sector of ['tech', 'energy', 'banks']) {
              const kept = c.exposureOf!(SECTOR_OF, sector);
              const summed = c.exposureWhere!((s) => SECTORS[s] === sector);
              if (!kept.equals(summed)) mismatches.push(`${sector}: kept ${kept.toString()}, book ${summed.toString()}`);
            }
            for (const strategy of ['momo', 'value']) {
              const kept = c.exposureOf!(STRATEGY_OF, strategy);
              const summed = c.exposureWhere!((_s, id) => id === strategy);
              if (!kept.equals(summed)) mismatches.push(`${strategy}: kept ${kept.toString()}, book ${summed.toString()}`);
            }
            return undefined;
          },
        };
        // Limit entries 0.1 % through the engine's price: they rest while the broker's price is above it.
        const { clock, engine, broker } = setup([witness, groupLimitRule(SECTOR_OF, { tech: 30, energy: 20 }), strategyLimitRule({ momo: 40 })], { entryOrderType: 'limit', orderTimeoutMs: null });
        await engine.start();
        let n = 0;
        for (const st of plan) {
          if (st.kind === 'signal') await engine.executeSignal({ id: `p${n++}`, symbol: st.symbol, side: st.side, strength: 90, time: clock.now(), strategyId: st.strategy });
          else if (st.kind === 'batch') await engine.executeSignals(st.symbols.map((symbol) => ({ id: `p${n++}`, symbol, side: 'buy' as const, strength: 90, time: clock.now(), strategyId: st.strategy })));
          else if (st.kind === 'broker_price') broker.setPrice(st.symbol, st.price);
          else if (st.kind === 'engine_price') engine.updatePrice(st.symbol, st.price);
          else await engine.orders.cancelAll();
          await engine.drain?.();
        }
        await engine.stop();
        expect(mismatches).toEqual([]);
        askedInAll += asked;
      }),
      { numRuns: 60 },
    );
    // The witness was asked (entries reached the checks), not a property of nothing.
    expect(askedInAll).toBeGreaterThan(100);
  });
});

describe('limit entries with an offset, on the asset price grid', () => {
  it('a limit entry 0.1 % through the market, rounded to the broker tick toward the market', async () => {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000, assets: [{ symbol: 'TICK', priceIncrement: new Decimal('0.05') }] });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { entryOrderType: 'limit', limitOffsetBps: 10 } } });
    await engine.start();
    broker.setPrice('TICK', '123.40');
    engine.updatePrice('TICK', '123.40');
    const buy = await engine.executeSignal({ id: 'b', symbol: 'TICK', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    // 123.40 × 1.001 = 123.5234 → on the 0.05 grid, down: 123.50.
    expect(buy.kind === 'executed' && [buy.order.type, buy.order.limitPrice?.toFixed()]).toEqual(['limit', '123.5']);
  });
});
