import fc from 'fast-check';
import { addDecimals, basisPointsOf, Decimal, multiplyDecimals, percentOf, subtractDecimals } from 'tradewire';
import { addExactly, roundedToPrecision, subtractExactly } from '../../src/core/decimal.js';
import { afterEach, describe, expect, it } from 'vitest';

// addDecimals, subtractDecimals and multiplyDecimals compute small values on decimal.js's own
// representation (d/e/s) instead of through its constructor; the result must be the one decimal.js
// gives — the same digit words, exponent and sign, not only an equal value. Adding (or subtracting)
// a zero gives back the other operand as it is, by design: the same value, not re-rounded.

/** Values on the order path: up to 9 digits before the point and up to 8 after, either sign. */
const small = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,9}$/), fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }))
  .map(([negative, whole, fraction]) => new Decimal(`${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`));
/** Anything else: wide, tiny, huge, zero and not finite. */
const wide = fc.oneof(
  fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,25}$/), fc.integer({ min: -40, max: 40 })).map(([negative, digits, exponent]) => new Decimal(`${negative ? '-' : ''}${digits}e${exponent}`)),
  fc.constantFrom(new Decimal(0), new Decimal('-0'), new Decimal('1e-7'), new Decimal('9999999.9999999'), new Decimal('10000000'), new Decimal(Infinity), new Decimal(NaN)),
);
const decimal = fc.oneof({ weight: 4, arbitrary: small }, { weight: 1, arbitrary: wide });

const parts = (x: Decimal): unknown => ({ s: x.s, e: x.e, d: x.d === null ? null : [...x.d] });

function expectSame(actual: Decimal, expected: Decimal): void {
  expect(parts(actual)).toEqual(parts(expected));
  expect(actual.toString()).toBe(expected.toString());
  expect(actual).toBeInstanceOf(Decimal);
}

describe('addDecimals, subtractDecimals, multiplyDecimals', () => {
  const precision = Decimal.precision;
  const rounding = Decimal.rounding;
  afterEach(() => {
    Decimal.set({ precision, rounding });
  });

  it('give the digits, exponent and sign decimal.js gives, for any two decimals', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        if (a.isZero() || b.isZero()) {
          expect(addDecimals(a, b).equals(a.plus(b)) || a.plus(b).isNaN()).toBe(true);
          expect(subtractDecimals(a, b).equals(a.minus(b)) || a.minus(b).isNaN()).toBe(true);
        } else {
          expectSame(addDecimals(a, b), a.plus(b));
          expectSame(subtractDecimals(a, b), a.minus(b));
        }
        expectSame(multiplyDecimals(a, b), a.times(b));
      }),
      { numRuns: 20_000 },
    );
  });

  it('two zeros take decimal.js’s signed-zero rule (found by the property below: −0 + 0 is +0), in every rounding mode', () => {
    for (const rounding of [Decimal.ROUND_HALF_UP, Decimal.ROUND_HALF_EVEN, Decimal.ROUND_FLOOR, Decimal.ROUND_CEIL, Decimal.ROUND_DOWN]) {
      Decimal.set({ rounding });
      for (const a of ['0', '-0']) for (const b of ['0', '-0']) {
        expectSame(addDecimals(new Decimal(a), new Decimal(b)), new Decimal(a).plus(b));
        expectSame(subtractDecimals(new Decimal(a), new Decimal(b)), new Decimal(a).minus(b));
        expect(Object.is(addDecimals(new Decimal(a), new Decimal(b)).toNumber(), new Decimal(a).plus(b).toNumber())).toBe(true);
        expect(Object.is(subtractDecimals(new Decimal(a), new Decimal(b)).toNumber(), new Decimal(a).minus(b).toNumber())).toBe(true);
      }
    }
  });

  it('results carry on through decimal.js: chained arithmetic, formatting and comparison agree', () => {
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        const mine = addDecimals(multiplyDecimals(subtractDecimals(a, b), c), a);
        const theirs = a.minus(b).times(c).plus(a);
        expectSame(mine, theirs);
        expect(mine.toFixed(2)).toBe(theirs.toFixed(2));
        expect(mine.equals(theirs)).toBe(true);
        expect(mine.dividedBy(3).toString()).toBe(theirs.dividedBy(3).toString());
      }),
      { numRuns: 5_000 },
    );
  });

  it('percentages and basis points are the decimal.js products', () => {
    fc.assert(
      fc.property(small, small, (amount, rate) => {
        expectSame(percentOf(amount, rate), amount.times(rate).times('0.01'));
        expectSame(basisPointsOf(amount, rate), amount.times(rate).times('0.0001'));
      }),
      { numRuns: 5_000 },
    );
  });

  it('follow a lower precision and another rounding mode (they round as decimal.js does)', () => {
    Decimal.set({ precision: 6, rounding: Decimal.ROUND_DOWN });
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        if (a.isZero() || b.isZero()) return;
        expectSame(addDecimals(a, b), a.plus(b));
        expectSame(subtractDecimals(a, b), a.minus(b));
        expectSame(multiplyDecimals(a, b), a.times(b));
      }),
      { numRuns: 3_000 },
    );
    Decimal.set({ precision, rounding: Decimal.ROUND_FLOOR });
    // Rounding toward −∞ signs an exact zero negative in decimal.js: x − x is −0.
    const x = new Decimal('12.5');
    expectSame(subtractDecimals(x, x), x.minus(x));
  });

  it('a result past the configured exponent range is left to decimal.js (it underflows to zero there)', () => {
    Decimal.set({ minE: -20, maxE: 20 });
    try {
      const tiny = new Decimal('1.5e-15');
      expectSame(multiplyDecimals(tiny, tiny), tiny.times(tiny));
      const big = new Decimal('1.5e15');
      expectSame(multiplyDecimals(big, big), big.times(big));
    } finally {
      Decimal.set({ minE: -9e15, maxE: 9e15 });
    }
  });

  it('a decimal of another constructor (Decimal.clone) is left to its own configuration', () => {
    const Coarse = Decimal.clone({ precision: 4 });
    const a = new Coarse('123.45');
    const b = new Coarse('10.01');
    expectSame(addDecimals(a as Decimal, b as Decimal), a.plus(b) as Decimal);
    expect(multiplyDecimals(a as Decimal, b as Decimal).toString()).toBe('1236');
  });

  it('a zero operand gives back the other one as it is', () => {
    const x = new Decimal('12.5');
    expect(addDecimals(x, new Decimal(0))).toBe(x);
    expect(addDecimals(new Decimal(0), x)).toBe(x);
    expect(subtractDecimals(x, new Decimal(0))).toBe(x);
    expect(subtractDecimals(new Decimal(0), x).toString()).toBe('-12.5');
  });

  it('known cases: carries, a result under one, a sign change, exact zero', () => {
    expect(addDecimals(new Decimal('9999999.9999999'), new Decimal('0.0000001')).toString()).toBe('10000000');
    expect(subtractDecimals(new Decimal('1.5'), new Decimal('1.4999999')).toString()).toBe('1e-7');
    expect(subtractDecimals(new Decimal('100'), new Decimal('187.23')).toString()).toBe('-87.23');
    expect(subtractDecimals(new Decimal('187.23'), new Decimal('187.23')).toString()).toBe('0');
    expect(multiplyDecimals(new Decimal('187.23'), new Decimal(1500)).toString()).toBe('280845');
    expect(multiplyDecimals(new Decimal('-0.05'), new Decimal('0.01')).toString()).toBe('-0.0005');
  });
});

describe('addExactly, subtractExactly, roundedToPrecision: totals kept across many updates', () => {
  // A precision no test sum reaches: the reference sums without rounding.
  const Reference = Decimal.clone({ precision: 1_000 });
  /** Values with and without a non-terminating part (a price ÷ 3, ÷ 7, ÷ 18: 20 significant digits), small and wide, either sign. */
  const amount = fc.oneof(
    decimal.filter((x) => x.isFinite()),
    fc.tuple(small, fc.constantFrom(3, 7, 18)).map(([x, by]) => x.dividedBy(by)),
  );

  it('property: a total kept by any sequence of additions and subtractions is their exact sum, and reads as it rounded once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), amount), { maxLength: 40 }), (steps) => {
        let kept = new Decimal(0);
        let exact = new Reference(0);
        for (const [add, x] of steps) {
          kept = add ? addExactly(kept, x) : subtractExactly(kept, x);
          exact = add ? exact.plus(x) : exact.minus(x);
          expect(kept.equals(exact), `${kept.toString()} vs ${exact.toString()}`).toBe(true);
        }
        const read = roundedToPrecision(kept);
        expect(read).toBeInstanceOf(Decimal);
        expect(read.toString()).toBe(new Decimal(exact).toSignificantDigits(Decimal.precision).toString());
      }),
    );
  });

  it('taking a value out again leaves no residue, where rounding at each step did', () => {
    const third = new Decimal(251).dividedBy(3); // 83.666666666666666667
    const big = new Decimal(1_000_000);
    // Rounded at each step: 83.666… + 1 000 000 keeps 20 digits, and taking 1 000 000 out leaves 83.6666666666667.
    expect(third.plus(big).minus(big).toString()).toBe('83.6666666666667');
    expect(subtractExactly(addExactly(third, big), big).toString()).toBe('83.666666666666666667');
    expect(roundedToPrecision(addExactly(third, big)).toString()).toBe('1000083.6666666666667');
    // Short totals are read as they are (no rounding, no copy).
    const short = new Decimal('12.5');
    expect(roundedToPrecision(short)).toBe(short);
  });
});
