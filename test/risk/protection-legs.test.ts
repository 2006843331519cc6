import fc from 'fast-check';
import { createOrder, Decimal, ManualClock, type Order, sequentialIds } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { leftToPlace, outOfStepSizes, targetShares } from '../../src/risk/protection-legs.js';

const deps = { clock: new ManualClock(0), ids: sequentialIds() };
const d = (v: Decimal.Value): Decimal => new Decimal(v);
/** A working protective order of `quantity`, `filled` of it filled; a target tagged with its leg. */
const order = (type: 'stop' | 'limit', quantity: number, filled = 0, leg?: number): Order => ({
  ...createOrder({ symbol: 'AAPL', side: 'sell', quantity, type, ...(type === 'stop' ? { stopPrice: 95 } : { limitPrice: 110 }), timeInForce: 'gtc', tags: { role: 'protection', ...(leg ? { leg: `target-${leg}` } : {}) } }, deps),
  status: filled > 0 ? 'partially_filled' : 'accepted',
  filledQuantity: d(filled),
});
const halves = { legs: [{ price: d(105), fraction: d('0.5'), r: d(1) }, { price: d(110), fraction: d('0.5'), r: d(2) }] };
const sizes = (out: [Order, Decimal][]): [string, string][] => out.map(([o, q]) => [o.type === 'stop' ? 'stop' : (o.tags.leg ?? 'target'), q.toString()]);

describe('the sizes protective orders should have', () => {
  it('the stop to what is covered; emulated targets together no more than it, the nearer legs first', () => {
    // A position of 10 after a partial exit of 3 (7 left): the stop shrinks to 7, legs of 5 + 5 to 5 + 2.
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1), order('limit', 5, 0, 2)], d(7)))).toEqual([['stop', '7'], ['target-2', '2']]);
    // The entry filled on to 20: everything grows to its share (10 each).
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1), order('limit', 5, 0, 2)], d(20)))).toEqual([['stop', '20'], ['target-1', '10'], ['target-2', '10']]);
    // In step: nothing to do. Nothing covered (an exit holds it all): nothing to do either.
    expect(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1), order('limit', 5, 0, 2)], d(10))).toEqual([]);
    expect(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1)], d(0))).toEqual([]);
  });

  it('the legs left with nothing are listed first, then those that shrink, then those that grow: each order placed in turn fits beside the others as they are then', () => {
    // Legs of 1 and 4 under a position of 5 (shares 2 and 3): the far leg shrinks to 3 first, then the
    // near one grows to 2. Grown first, it had room for 1 only — on a broker that cannot replace it was
    // placed again at 1 and asked to grow again, for good.
    expect(sizes(outOfStepSizes(halves, order('stop', 5), [order('limit', 1, 0, 1), order('limit', 4, 0, 2)], d(5)))).toEqual([['target-2', '3'], ['target-1', '2']]);
    // Legs of 5 and 5 under 4: the far leg is cancelled first, then the near one shrinks to 4. Shrunk
    // first — on a broker that cannot replace, cancelled and placed again — it found no room beside
    // the far leg's 5 and was given up; then the far leg was cancelled, and the position had no target.
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1), order('limit', 5, 0, 2)], d(4)))).toEqual([['stop', '4'], ['target-2', '0'], ['target-1', '4']]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100 }), (a, b, covered) => {
        const targets = [order('limit', a, 0, 1), order('limit', b, 0, 2)];
        const now = new Map(targets.map((t) => [t, t.quantity]));
        for (const [target, quantity] of outOfStepSizes(halves, undefined, targets, d(covered))) {
          now.set(target, quantity);
          const held = [...now.values()].reduce((sum, q) => sum.plus(q), d(0));
          // Placed (grown, or shrunk where a shrink is a cancel and a new order): within what is covered.
          if (quantity.greaterThan(0)) expect(held.lessThanOrEqualTo(covered), `${a} + ${b} under ${covered}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no leg grows into the room a leg on its way out for good still holds (`held`): it may yet fill, or work on', () => {
    // The near leg (5) pending cancel under a position of 10: the far leg alone would take all 10, but 5 are held.
    expect(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 2)], d(10), d(0), d(5))).toEqual([]);
    // The position grew to 20: the far leg grows to what the held 5 leave (15), not to 20.
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 2)], d(20), d(0), d(5)))).toEqual([['stop', '20'], ['target-2', '15']]);
    // A leg that must shrink still does (held or not): legs never stay above what is covered.
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 5, 0, 1)], d(4), d(0), d(5)))).toEqual([['stop', '4'], ['target-1', '4']]);
    // Beside what resends reserve: both leave room only for the rest.
    expect(sizes(outOfStepSizes(halves, order('stop', 10), [order('limit', 2, 0, 2)], d(10), d(3), d(4)))).toEqual([['target-2', '3']]);
  });

  it('a partly filled order keeps what it filled: its new quantity is the fill plus what it should still hold', () => {
    expect(sizes(outOfStepSizes(halves, order('stop', 10, 4), [], d(3)))).toEqual([['stop', '7']]);
  });

  it('a native pair\'s target carries the stop\'s quantity', () => {
    expect(sizes(outOfStepSizes({ native: true, legs: [] }, order('stop', 10), [order('limit', 10)], d(6)))).toEqual([['stop', '6'], ['target', '6']]);
  });

  it('property: emulated targets never together hold more than is covered, and each share is within the covered amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 1_000 }), (a, b, stopSize, covered) => {
        const targets = [order('limit', a, 0, 1), order('limit', b, 0, 2)];
        const out = new Map(outOfStepSizes(halves, order('stop', stopSize), targets, d(covered)).map(([o, q]) => [o, q]));
        const held = targets.reduce((sum, t) => sum.plus((out.get(t) ?? t.quantity).minus(t.filledQuantity)), d(0));
        if (covered > 0) expect(held.lessThanOrEqualTo(covered)).toBe(true);
        const shares = targetShares(halves, targets, d(covered));
        expect(shares.reduce((sum, s) => sum.plus(s), d(0)).toString()).toBe(String(covered));
      }),
      { numRuns: 300 },
    );
  });
});

describe('what a leg being placed again is still to be placed for', () => {
  it('the size asked less what the leg filled while its cancel travelled — never below nothing', () => {
    expect(leftToPlace(d(4), order('limit', 5)).toString()).toBe('4');
    expect(leftToPlace(d(4), order('limit', 5, 3)).toString()).toBe('1');
    expect(leftToPlace(d(2), order('limit', 5, 3)).toString()).toBe('0');
  });
});
