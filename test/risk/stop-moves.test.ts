import fc from 'fast-check';
import { Decimal } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { breakEvenStop, lockedNearTarget, roundStopToStep, trailedStop, volatilityStop } from '../../src/risk/stop-moves.js';

const d = (v: Decimal.Value): Decimal => new Decimal(v);
const CENT = d('0.01');

describe('stop moves: where a protected position\'s stop goes as the market moves', () => {
  it('a stop is rounded onto the step toward the market: up for a long, down for a short', () => {
    expect(roundStopToStep('long', d('97.123'), CENT).toString()).toBe('97.13');
    expect(roundStopToStep('short', d('102.127'), CENT).toString()).toBe('102.12');
    expect(roundStopToStep('long', d('97.10'), CENT).toString()).toBe('97.1');
  });

  it('an emulated trail follows the price by its percent, never back', () => {
    // Long at a 95 stop: the price at 110 trails it to 110 × 0.95 = 104.5.
    expect(trailedStop('long', d(95), d(110), d(5), CENT)?.toString()).toBe('104.5');
    // The price falls back: the stop stays.
    expect(trailedStop('long', d('104.5'), d(108), d(5), CENT)).toBeUndefined();
    // A short at 105: the price at 90 brings it down to 94.5.
    expect(trailedStop('short', d(105), d(90), d(5), CENT)?.toString()).toBe('94.5');
    expect(trailedStop('short', d('94.5'), d(95), d(5), CENT)).toBeUndefined();
    // Rounded toward the market: 101.3 × 0.97 = 98.261 → 98.27 for a long.
    expect(trailedStop('long', d(90), d('101.3'), d(3), CENT)?.toString()).toBe('98.27');
  });

  it('volatility widens a stop on the loss side by its factor from the entry, and brings it back; a stop at or past the entry stays', () => {
    expect(volatilityStop('long', d(100), d(95), true, d(2), CENT)?.toString()).toBe('90');
    expect(volatilityStop('long', d(100), d(90), false, d(2), CENT)?.toString()).toBe('95');
    expect(volatilityStop('short', d(100), d(104), true, d('1.5'), CENT)?.toString()).toBe('106');
    expect(volatilityStop('long', d(100), d(100), true, d(2), CENT)).toBeUndefined();
    expect(volatilityStop('short', d(100), d(98), true, d(2), CENT)).toBeUndefined();
  });

  it('near the target part of the gain is locked in, rounded toward the entry, only when tighter', () => {
    const rule = { progress: '0.8', lock: '0.5' };
    // Long 100 → target 110, price 108 (80% of the way): the stop locks half the gain, 104.
    expect(lockedNearTarget('long', { entry: d(100), stop: d(95), target: d(110) }, d(108), rule, CENT)?.toString()).toBe('104');
    // Not far enough yet.
    expect(lockedNearTarget('long', { entry: d(100), stop: d(95), target: d(110) }, d(107), rule, CENT)).toBeUndefined();
    // A stop already above the locked level stays.
    expect(lockedNearTarget('long', { entry: d(100), stop: d(105), target: d(110) }, d(108), rule, CENT)).toBeUndefined();
    // A short: 100 → 90, price 91.5 (85%): locks 95.75; 91.49 gives 95.745, rounded up (toward the entry) to 95.75.
    expect(lockedNearTarget('short', { entry: d(100), stop: d(104), target: d(90) }, d('91.5'), rule, CENT)?.toString()).toBe('95.75');
    expect(lockedNearTarget('short', { entry: d(100), stop: d(104), target: d(90) }, d('91.49'), rule, CENT)?.toString()).toBe('95.75');
  });

  it('break-even: to the entry once the price is the rule\'s multiple of the initial risk in profit; never at zero, not again once there', () => {
    const long = { entry: d(100), stop: d(95), initialStop: d(95) };
    expect(breakEvenStop('long', long, d(105), d(1))?.toString()).toBe('100');
    expect(breakEvenStop('long', long, d('104.99'), d(1))).toBeUndefined();
    expect(breakEvenStop('long', long, d(200), d(0))).toBeUndefined();
    expect(breakEvenStop('long', { ...long, stop: d(100) }, d(200), d(1))).toBeUndefined();
    expect(breakEvenStop('short', { entry: d(100), stop: d(104), initialStop: d(104) }, d(92), d(2))?.toString()).toBe('100');
    expect(breakEvenStop('short', { entry: d(100), stop: d(104), initialStop: d(104) }, d(93), d(2))).toBeUndefined();
  });

  it('property: every move tightens the stop (volatility: widens it, or brings it back no further than the entry), and lands on the step', () => {
    const cents = (lo: number, hi: number): fc.Arbitrary<Decimal> => fc.integer({ min: lo, max: hi }).map((c) => d(c).dividedBy(100));
    fc.assert(
      fc.property(fc.constantFrom('long', 'short') as fc.Arbitrary<'long' | 'short'>, cents(5_000, 15_000), cents(1, 2_000), cents(1, 30_000), fc.integer({ min: 1, max: 99 }), (side, entry, risk, price, percent) => {
        const long = side === 'long';
        const stop = long ? entry.minus(risk) : entry.plus(risk);
        const onStep = (x: Decimal): boolean => x.mod(CENT).isZero();
        const trailed = trailedStop(side, stop, price, d(percent), CENT);
        if (trailed) expect(onStep(trailed) && (long ? trailed.greaterThan(stop) : trailed.lessThan(stop))).toBe(true);
        // Widened: further on the loss side. Brought back: never past the entry (a cent's risk halved rounds onto it).
        const wider = volatilityStop(side, entry, stop, true, d(2), CENT);
        expect(wider !== undefined && onStep(wider) && (long ? wider.lessThan(stop) : wider.greaterThan(stop))).toBe(true);
        const narrower = volatilityStop(side, entry, stop, false, d(2), CENT);
        expect(narrower !== undefined && onStep(narrower) && (long ? !narrower.greaterThan(entry) && !narrower.lessThan(stop) : !narrower.lessThan(entry) && !narrower.greaterThan(stop))).toBe(true);
        const target = long ? entry.plus(risk.times(2)) : entry.minus(risk.times(2));
        const locked = lockedNearTarget(side, { entry, stop, target }, price, { progress: '0.5', lock: '0.5' }, CENT);
        if (locked) expect(onStep(locked) && (long ? locked.greaterThan(stop) : locked.lessThan(stop))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
