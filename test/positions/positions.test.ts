import fc from 'fast-check';
import { Decimal, EventBus, InMemoryPositionRepository, InvalidPositionTransitionError, ManualClock, nextPositionState, type Order, POSITION_EVENTS, POSITION_STATE_TABLE, POSITION_STATES, type Position, type PositionFill, PositionManager, sequentialIds, type TradewireEvents } from 'tradewire';
import { applyPositionFill, markPosition } from '../../src/positions/apply-position-fill.js';
import { describe, expect, it } from 'vitest';
import { d, fill, newOrder } from '../helpers.js';

function emptyPosition(side: 'long' | 'short' = 'long'): Position {
  return {
    id: 'p-1', accountId: 'a', symbol: 'BTC', assetClass: 'equity', side, state: 'OPEN', quantity: d(0), averageEntryPrice: d(0),
    createdAt: 0, updatedAt: 0, unrealizedPnl: d(0), realizedPnl: d(0), commission: d(0), openEntryCommission: d(0), fills: [], orderIds: [],
  };
}

const pfill = (id: string, side: 'buy' | 'sell', qty: Decimal.Value, price: Decimal.Value, commission: Decimal.Value = 0): PositionFill => ({
  executionId: id, clientOrderId: `o-${id}`, side, quantity: d(qty), price: d(price), commission: d(commission), time: 1,
});

const run = (position: Position, fills: PositionFill[]): Position => fills.reduce((p, f) => applyPositionFill(p, f).position, position);
/** decimal.js at a precision no test sum reaches: sums without rounding, to compare kept totals with. */
const Exact = Decimal.clone({ precision: 1_000 });
const roundedOnce = (exact: Decimal): Decimal => new Decimal(exact).toSignificantDigits(Decimal.precision);

describe('position P&L, exactly', () => {
  it('the worked example: 100 bought at 70,000 and sold at 72,000 realize 200,000 less commission', () => {
    const closed = run(emptyPosition(), [pfill('a', 'buy', 100, 70_000, '35.50'), pfill('b', 'sell', 100, 72_000, '36.50')]);
    expect(closed.quantity.toString()).toBe('0');
    expect(closed.realizedPnl.toString()).toBe('199928'); // 200 000 − 35.50 − 36.50
    expect(closed.commission.toString()).toBe('72');
  });

  it('a short realizes the fall, less commission', () => {
    const closed = run(emptyPosition('short'), [pfill('a', 'sell', 10, '50.25', 1), pfill('b', 'buy', 10, '48.10', 1)]);
    expect(closed.realizedPnl.toString()).toBe('19.5'); // 10 × 2.15 − 2
  });

  it('scale-in re-averages the cost; scale-out realizes on the closed part only', () => {
    let p = run(emptyPosition(), [pfill('a', 'buy', 100, 10, 1), pfill('b', 'buy', 50, 13, 1)]);
    expect(p.averageEntryPrice.toString()).toBe('11'); // (1000 + 650) / 150
    expect(p.openEntryCommission.toString()).toBe('2');
    p = applyPositionFill(p, pfill('c', 'sell', 60, 12, 1)).position;
    // 60 × (12 − 11) − 1 exit commission − 60/150 × 2 entry commission = 60 − 1 − 0.8
    expect(p.realizedPnl.toString()).toBe('58.2');
    expect(p.quantity.toString()).toBe('90');
    expect(p.averageEntryPrice.toString()).toBe('11');
    p = applyPositionFill(p, pfill('d', 'sell', 90, '10.50', 1)).position;
    // 90 × −0.5 − 1 − 1.2 = −47.2; total 11
    expect(p.realizedPnl.toString()).toBe('11');
    expect(p.openEntryCommission.toString()).toBe('0');
  });

  it('marks to market for longs and shorts', () => {
    const long = markPosition(run(emptyPosition(), [pfill('a', 'buy', 3, '100.10')]), d('101.35'), 5);
    expect(long.unrealizedPnl.toString()).toBe('3.75');
    const short = markPosition(run(emptyPosition('short'), [pfill('a', 'sell', 3, '100.10')]), d('101.35'), 5);
    expect(short.unrealizedPnl.toString()).toBe('-3.75');
  });

  it('counts a replayed execution once and reports the excess beyond flat', () => {
    const p = run(emptyPosition(), [pfill('a', 'buy', 10, 10)]);
    expect(applyPositionFill(p, pfill('a', 'buy', 10, 10)).duplicate).toBe(true);
    const through = applyPositionFill(p, pfill('b', 'sell', 15, 11));
    expect(through.closedQuantity.toString()).toBe('10');
    expect(through.excess.toString()).toBe('5');
  });

  it('a position always equals the sum of its fills: quantity, and total P&L = cash flows + mark', () => {
    const fillArb = fc.record({ buy: fc.boolean(), qty: fc.integer({ min: 1, max: 50 }), cents: fc.integer({ min: 5_000, max: 15_000 }), fee: fc.integer({ min: 0, max: 100 }) });
    fc.assert(
      fc.property(fc.boolean(), fc.array(fillArb, { maxLength: 30 }), fc.integer({ min: 5_000, max: 15_000 }), (long, raw, markCents) => {
        let p = emptyPosition(long ? 'long' : 'short');
        let signed = d(0);
        let cash = d(0);
        const applied: PositionFill[] = [];
        raw.forEach((r, i) => {
          // Keep the position on its side: an exit never exceeds what is open.
          const entry = r.buy === long;
          const qty = entry ? d(r.qty) : Decimal.min(d(r.qty), p.quantity);
          if (qty.isZero()) return;
          const f = pfill(`x${i}`, r.buy ? 'buy' : 'sell', qty, d(r.cents).dividedBy(100), d(r.fee).dividedBy(100));
          p = applyPositionFill(p, f).position;
          applied.push(f);
          signed = signed.plus(r.buy ? qty : qty.negated());
          cash = cash.minus((r.buy ? qty : qty.negated()).times(f.price)).minus(f.commission);
        });
        expect((long ? p.quantity : p.quantity.negated()).equals(signed)).toBe(true);
        const mark = d(markCents).dividedBy(100);
        const marked = markPosition(p, mark, 9);
        // Realized + unrealized − the entry commission still open = every cash flow + the open quantity at the mark.
        const total = marked.realizedPnl.plus(marked.unrealizedPnl).minus(marked.openEntryCommission);
        expect(total.minus(cash.plus(signed.times(mark))).abs().lessThan('1e-12')).toBe(true);
        expect(p.commission.equals(applied.reduce((s, f) => s.plus(f.commission), d(0)))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

describe('position state table', () => {
  for (const state of POSITION_STATES) {
    for (const event of POSITION_EVENTS) {
      const target = (POSITION_STATE_TABLE[state] as Record<string, string | undefined>)[event];
      it(`${state} + ${event} → ${target ?? 'illegal'}`, () => {
        if (target === undefined) {
          expect(() => nextPositionState('p', state, event, false)).toThrow(InvalidPositionTransitionError);
          return;
        }
        const open = nextPositionState('p', state, event, false);
        const flat = nextPositionState('p', state, event, true);
        if (target === '$ignore') {
          expect([open, flat]).toEqual([state, state]);
        } else if (target.startsWith('$flat:')) {
          expect(open).toBe(target.slice(6));
          expect(flat).toBe('CLOSED');
        } else {
          expect(open).toBe(target);
        }
      });
    }
  }
});

describe('PositionManager', () => {
  function setup(start = Date.UTC(2024, 2, 8, 20, 0)) {
    const clock = new ManualClock(start);
    const events = new EventBus<TradewireEvents>();
    let equity = d(100_000);
    const manager = new PositionManager({ clock, ids: sequentialIds(), events, equity: () => equity });
    const seen: string[] = [];
    for (const name of ['position:opened', 'position:closed'] as const) events.on(name, () => seen.push(name));
    const order = (o: Partial<Parameters<typeof newOrder>[0]>, id: string): Order => newOrder({ ...o, clientOrderId: id });
    return { clock, manager, seen, order, setEquity: (e: number) => (equity = d(e)) };
  }

  it('PENDING_ENTRY → OPEN → PENDING_EXIT → CLOSED from orders and fills, into the history', () => {
    const { manager, order, seen } = setup();
    const entry = order({ symbol: 'AAPL', side: 'buy', quantity: 10 }, 'e1');
    expect(manager.trackEntry(entry, { signalStrength: 80, strategyId: 's' }).state).toBe('PENDING_ENTRY');
    manager.applyFill(entry, fill('x1', 10, 100));
    expect(manager.get('AAPL')?.state).toBe('OPEN');
    const exit = order({ symbol: 'AAPL', side: 'sell', quantity: 10 }, 'x1');
    expect(manager.trackExit(exit)?.state).toBe('PENDING_EXIT');
    manager.applyFill(exit, fill('x2', 4, 101));
    expect(manager.get('AAPL')?.state).toBe('PENDING_EXIT');
    manager.applyFill(exit, fill('x3', 6, 102));
    expect(manager.get('AAPL')).toBeUndefined();
    const [closed] = manager.history({ symbol: 'AAPL' });
    expect(closed?.state).toBe('CLOSED');
    expect(closed?.realizedPnl.toString()).toBe('16');
    expect(closed?.signalStrength).toBe(80);
    expect(seen).toEqual(['position:opened', 'position:closed']);
  });

  it('keeps the newest 10 000 closed positions in memory by default — a bot running for months does not grow without bound — and every one with a repository that keeps them all', () => {
    const roundTrips = (manager: PositionManager, count: number, make: (o: Partial<Parameters<typeof newOrder>[0]>, id: string) => Order): void => {
      for (let i = 0; i < count; i++) {
        const entry = make({ symbol: 'AAPL', side: 'buy', quantity: 1 }, `e${i}`);
        manager.trackEntry(entry);
        manager.applyFill(entry, fill(`f${i}`, 1, 100));
        const exit = make({ symbol: 'AAPL', side: 'sell', quantity: 1 }, `x${i}`);
        manager.trackExit(exit);
        manager.applyFill(exit, fill(`g${i}`, 1, 100 + (i % 3)));
      }
    };
    const { manager, order } = setup();
    roundTrips(manager, 10_005, order);
    const kept = manager.history();
    expect(kept).toHaveLength(10_000);
    // The oldest five went; the newest is last.
    expect(kept[0]!.orderIds).toContain('e5');
    expect(kept.at(-1)!.orderIds).toContain('x10004');
    expect(manager.pnl().realizedTotal.toString()).toBe(String(Array.from({ length: 10_005 }, (_, i) => i % 3).reduce((a, b) => a + b, 0)));
    const all = new PositionManager({ clock: new ManualClock(), ids: sequentialIds(), events: new EventBus<TradewireEvents>(), repository: new InMemoryPositionRepository() });
    roundTrips(all, 10_005, (o, id) => newOrder({ ...o, clientOrderId: id }));
    expect(all.history()).toHaveLength(10_005);
  });

  it('an exit that ends unfilled returns the position to OPEN; an entry that ends unfilled closes it quietly', () => {
    const { manager, order, seen } = setup();
    const entry = order({ symbol: 'AAPL', side: 'buy', quantity: 10 }, 'e1');
    manager.trackEntry(entry);
    manager.applyFill(entry, fill('x1', 10, 100));
    const exit = { ...order({ symbol: 'AAPL', side: 'sell', quantity: 10 }, 'x1'), status: 'cancelled' as const };
    manager.trackExit(exit);
    manager.orderEnded(exit);
    expect(manager.get('AAPL')?.state).toBe('OPEN');
    const never = { ...order({ symbol: 'MSFT', side: 'buy', quantity: 1 }, 'e2'), status: 'rejected' as const };
    manager.trackEntry(never);
    manager.orderEnded(never);
    expect(manager.get('MSFT')).toBeUndefined();
    expect(manager.history({ symbol: 'MSFT' })).toEqual([]);
    expect(seen).toEqual(['position:opened']);
  });

  it('an entry of the other side while a position is open (re-linked by a restart) is not linked: the open position stays the symbol\'s, and the entry\'s fill flips it', () => {
    const { manager, order } = setup();
    const buy = order({ symbol: 'AAPL', side: 'buy', quantity: 1 }, 'b');
    manager.applyFill(buy, fill('x1', 1, 100));
    const long = manager.get('AAPL')!;
    const sell = order({ symbol: 'AAPL', side: 'sell', quantity: 9 }, 's');
    expect(manager.trackEntry(sell)).toBe(long);
    expect(manager.get('AAPL')).toBe(long);
    expect(manager.list()).toHaveLength(1);
    manager.applyFill(sell, fill('x2', 9, 101));
    expect(manager.get('AAPL')?.side).toBe('short');
    expect(manager.get('AAPL')?.quantity.toString()).toBe('8');
    expect(manager.list()).toHaveLength(1);
  });

  it('kept totals are exact: an average cost that does not terminate leaves no residue in Σ unrealized, exposure or a strategy\'s P&L once its position is gone', () => {
    const { manager, order } = setup();
    const buy = (symbol: string, id: string, qty: number, price: number): void => {
      const o = order({ symbol, side: 'buy', quantity: qty, strategyId: 's1' }, id);
      if (!manager.get(symbol)) manager.trackEntry(o, { strategyId: 's1' });
      manager.applyFill(o, fill(`x-${id}`, qty, price));
    };
    buy('C', 'c1', 3, 50);
    manager.markPrice('C', d(93));
    // 16 at 84, 1 at 112, 1 at 50: an average of 1506 / 18 = 83.666… (20 digits: …667).
    buy('D', 'd1', 16, 84);
    buy('D', 'd2', 1, 112);
    buy('D', 'd3', 1, 50);
    manager.markPrice('D', d(50));
    const dPosition = manager.get('D')!;
    expect(dPosition.averageEntryPrice.toString()).toBe('83.666666666666666667');
    // C: 3 × (93 − 50) = 129; D: 18 × (50 − 83.666666666666666667) = −606.00000000000000001 (rounded as decimal.js does).
    expect(dPosition.unrealizedPnl.toString()).toBe('-606.00000000000000001');
    expect(manager.pnl().unrealized.toString()).toBe('-477.00000000000000001');
    expect(manager.strategyDailyPnl().get('s1')?.toString()).toBe('-477.00000000000000001');
    // D sold at 50: its unrealized P&L leaves the totals exactly, C's 129 is what remains.
    const exit = order({ symbol: 'D', side: 'sell', quantity: 18 }, 'd-exit');
    manager.trackExit(exit);
    manager.applyFill(exit, fill('x-d-exit', 18, 50));
    expect(manager.get('D')).toBeUndefined();
    expect(manager.pnl().unrealized.toString()).toBe('129');
    expect(manager.exposure().toString()).toBe('279');
    // Realized on D: 18 × (50 − 83.666666666666666667) = −606.00000000000000001; today's P&L for s1: that plus C's 129.
    expect(manager.pnl().realizedToday.toString()).toBe('-606.00000000000000001');
    expect(manager.strategyDailyPnl().get('s1')?.toString()).toBe('-477.00000000000000001');
  });

  it('property: after any entries, partial exits, closes and marks, the kept largest position and P&L by strategy equal a walk over the positions — asked at any point, or first asked late', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('buy' as const), symbol: fc.constantFrom('A', 'B', 'C', 'D'), qty: fc.integer({ min: 1, max: 20 }), price: fc.integer({ min: 50, max: 150 }), strategy: fc.constantFrom('s1', 's2', undefined) }),
      fc.record({ kind: fc.constant('sell' as const), symbol: fc.constantFrom('A', 'B', 'C', 'D'), qty: fc.integer({ min: 1, max: 20 }), price: fc.integer({ min: 50, max: 150 }) }),
      fc.record({ kind: fc.constant('mark' as const), symbol: fc.constantFrom('A', 'B', 'C', 'D'), price: fc.integer({ min: 50, max: 150 }) }),
      fc.constant({ kind: 'ask' as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, askFirst) => {
        const { manager, order } = setup();
        let n = 0;
        const check = (): void => {
          let largest = new Decimal(0);
          // Summed exactly, then rounded once: what the kept totals must equal to the last digit (an
          // average cost that does not terminate made a sum rounded at each step differ from them there).
          const byStrategy = new Map<string, Decimal>();
          let unrealized = new Exact(0);
          let exposure = new Exact(0);
          for (const p of manager.list()) {
            const value = p.quantity.abs().times(p.currentPrice ?? p.averageEntryPrice);
            if (value.greaterThan(largest)) largest = value;
            unrealized = unrealized.plus(p.unrealizedPnl);
            exposure = exposure.plus(value);
            if (p.strategyId) byStrategy.set(p.strategyId, new Exact(byStrategy.get(p.strategyId) ?? 0).plus(p.unrealizedPnl));
          }
          expect(manager.largestPositionValue().equals(largest), `largest ${manager.largestPositionValue().toString()} vs ${largest.toString()}`).toBe(true);
          expect(manager.pnl().unrealized.equals(roundedOnce(unrealized)), `unrealized ${manager.pnl().unrealized.toString()} vs ${unrealized.toString()}`).toBe(true);
          expect(manager.exposure().equals(roundedOnce(exposure)), `exposure ${manager.exposure().toString()} vs ${exposure.toString()}`).toBe(true);
          const kept = manager.strategyDailyPnl();
          // Today's realized P&L per strategy plus the unrealized P&L summed here.
          for (const id of ['s1', 's2']) {
            const realized = (manager as unknown as { realizedTodayByStrategy: Map<string, Decimal> }).realizedTodayByStrategy.get(id) ?? new Decimal(0);
            const expected = roundedOnce(new Exact(realized).plus(byStrategy.get(id) ?? 0));
            expect((kept.get(id) ?? new Decimal(0)).equals(expected), `${id}: ${(kept.get(id) ?? 0).toString()} vs ${expected.toString()}`).toBe(true);
          }
        };
        if (askFirst) check();
        for (const st of steps) {
          if (st.kind === 'ask') check();
          else if (st.kind === 'mark') manager.markPrice(st.symbol, d(st.price));
          else {
            const held = manager.get(st.symbol);
            if (st.kind === 'sell' && !(held && held.side === 'long')) continue;
            const qty = st.kind === 'sell' ? Math.min(st.qty, held!.quantity.toNumber()) : st.qty;
            const o = order({ symbol: st.symbol, side: st.kind, quantity: qty, ...(st.kind === 'buy' && st.strategy ? { strategyId: st.strategy } : {}) }, `o${++n}`);
            if (st.kind === 'buy' && !held) manager.trackEntry(o, st.strategy ? { strategyId: st.strategy } : {});
            manager.applyFill(o, fill(`x${n}`, qty, st.price));
          }
        }
        check();
      }),
      { numRuns: 300 },
    );
  });

  it('the links of a book: an exit ending keeps PENDING_EXIT while another exit of the position works; a close forgets its own exits\' links and no other position\'s', () => {
    const { manager, order } = setup();
    for (const symbol of ['AAPL', 'MSFT']) {
      const entry = order({ symbol, side: 'buy', quantity: 10 }, `e-${symbol}`);
      manager.trackEntry(entry);
      manager.applyFill(entry, fill(`f-${symbol}`, 10, 100));
    }
    const exit = (symbol: string, id: string, quantity: number): Order => order({ symbol, side: 'sell', quantity }, id);
    const [a1, a2, m1] = [exit('AAPL', 'a1', 10), exit('AAPL', 'a2', 5), exit('MSFT', 'm1', 10)];
    for (const o of [a1, a2, m1]) manager.trackExit(o);
    // One of AAPL's two exits ends unfilled: the other still works.
    manager.orderEnded({ ...a2, status: 'cancelled' });
    expect([manager.get('AAPL')?.state, manager.get('MSFT')?.state]).toEqual(['PENDING_EXIT', 'PENDING_EXIT']);
    const a3 = exit('AAPL', 'a3', 5);
    manager.trackExit(a3);
    // a1 closes AAPL: a3's link goes with it, so a3 ending later changes nothing — MSFT's exit still pending.
    manager.applyFill(a1, fill('x-a1', 10, 101));
    expect(manager.get('AAPL')).toBeUndefined();
    manager.orderEnded({ ...a3, status: 'cancelled' });
    expect(manager.get('MSFT')?.state).toBe('PENDING_EXIT');
    manager.orderEnded({ ...m1, status: 'cancelled' });
    expect(manager.get('MSFT')?.state).toBe('OPEN');
  });

  it('entries of both sides pending with nothing held (a long entry working, a host\'s short bracket sent beside it): one position for the symbol — the short ending unfilled leaves the long pending, its fill the symbol\'s (it was a second position: once closed, the long\'s 9 shares were held where `get` did not see them)', () => {
    const { manager, order } = setup();
    const buy = order({ symbol: 'AAPL', side: 'buy', quantity: 9 }, 'b');
    const pending = manager.trackEntry(buy);
    const sell = { ...order({ symbol: 'AAPL', side: 'sell', quantity: 2 }, 's'), status: 'cancelled' as const };
    expect(manager.trackEntry(sell).id).toBe(pending.id);
    expect(manager.list()).toHaveLength(1);
    manager.orderEnded(sell);
    expect(manager.get('AAPL')?.state).toBe('PENDING_ENTRY');
    manager.applyFill(buy, fill('x1', 9, 100));
    expect([manager.get('AAPL')?.side, manager.get('AAPL')?.quantity.toString(), manager.list().length]).toEqual(['long', '9', 1]);
  });

  it('entries of both sides pending: the first to fill sets the side — the short fills first, then the long\'s fill covers it and goes long with the rest', () => {
    const { manager, order } = setup();
    const buy = order({ symbol: 'AAPL', side: 'buy', quantity: 9 }, 'b');
    manager.trackEntry(buy, { stopPrice: d(95), targetPrice: d(110) });
    const sell = order({ symbol: 'AAPL', side: 'sell', quantity: 2 }, 's');
    manager.trackEntry(sell);
    manager.applyFill(sell, fill('x1', 2, 100));
    expect([manager.get('AAPL')?.side, manager.get('AAPL')?.state, manager.get('AAPL')?.quantity.toString()]).toEqual(['short', 'OPEN', '2']);
    // Not the long's levels: a stop at 95 would not guard a short (protection takes the config's).
    expect([manager.get('AAPL')?.stopPrice, manager.get('AAPL')?.targetPrice]).toEqual([undefined, undefined]);
    manager.applyFill(buy, fill('x2', 9, 99));
    expect([manager.get('AAPL')?.side, manager.get('AAPL')?.quantity.toString(), manager.list().length]).toEqual(['long', '7', 1]);
    expect(manager.history({ symbol: 'AAPL' })[0]?.realizedPnl.toString()).toBe('2'); // the short of 2 covered a point lower
  });

  it('selling through flat closes the long and opens a short with the rest', () => {
    const { manager, order } = setup();
    const buy = order({ symbol: 'AAPL', side: 'buy', quantity: 10 }, 'b');
    manager.applyFill(buy, fill('x1', 10, 100));
    const sell = order({ symbol: 'AAPL', side: 'sell', quantity: 15 }, 's');
    manager.applyFill(sell, fill('x2', 15, 101, 3));
    const short = manager.get('AAPL');
    expect(short?.side).toBe('short');
    expect(short?.quantity.toString()).toBe('5');
    expect(short?.commission.toString()).toBe('1');
    expect(manager.history()[0]?.realizedPnl.toString()).toBe('8'); // 10 × 1 − 2 of the 3 commission
  });

  it('daily P&L resets at midnight New York time, across the DST change', () => {
    // 2024-03-10 is the spring-forward day in New York.
    const { manager, order, clock, setEquity } = setup(Date.UTC(2024, 2, 9, 20, 0));
    const buy = order({ symbol: 'AAPL', side: 'buy', quantity: 10 }, 'b');
    manager.applyFill(buy, fill('x1', 10, 100, 0, clock.now()));
    const sell = order({ symbol: 'AAPL', side: 'sell', quantity: 5 }, 's');
    manager.applyFill(sell, fill('x2', 5, 104, 0, clock.now()));
    manager.markPrice('AAPL', d(103));
    expect(manager.pnl()).toMatchObject({ tradingDay: '2024-03-09' });
    expect(manager.pnl().realizedToday.toString()).toBe('20');
    expect(manager.pnl().daily.toString()).toBe('35'); // 20 realized + 15 unrealized
    setEquity(100_035);
    clock.advanceTo(Date.UTC(2024, 2, 10, 4, 59)); // 23:59 EST on the 9th
    expect(manager.pnl().tradingDay).toBe('2024-03-09');
    clock.advanceTo(Date.UTC(2024, 2, 10, 5, 0)); // 00:00 EST on the 10th
    const next = manager.pnl();
    expect(next.tradingDay).toBe('2024-03-10');
    expect(next.realizedToday.toString()).toBe('0');
    expect(next.daily.toString()).toBe('0');
    expect(next.startOfDayEquity?.toString()).toBe('100035');
    expect(next.realizedTotal.toString()).toBe('20');
    manager.markPrice('AAPL', d(101));
    expect(manager.pnl().daily.toString()).toBe('-10');
    // The next boundary is midnight EDT (04:00 UTC), an hour earlier in UTC.
    clock.advanceTo(Date.UTC(2024, 2, 11, 4, 0));
    expect(manager.pnl().tradingDay).toBe('2024-03-11');
  });
});
