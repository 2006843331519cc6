import fc from 'fast-check';
import { compareDecimal, Decimal, isAboveZero, maxDecimal, minDecimal } from 'tradewire';
import { describe, expect, it } from 'vitest';

// compareDecimal reads decimal.js's documented d/e/s properties instead of copying its argument;
// it must agree with decimal.js's own comparison everywhere.
const digits = fc.stringMatching(/^[0-9]{1,20}$/);
const decimal = fc.oneof(
  fc.tuple(fc.boolean(), digits, fc.option(digits, { nil: undefined }), fc.integer({ min: -30, max: 30 })).map(
    ([negative, whole, fraction, exponent]) => new Decimal(`${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}e${exponent}`),
  ),
  fc.constantFrom(new Decimal(0), new Decimal('-0'), new Decimal(1), new Decimal('0.1'), new Decimal('1e-7'), new Decimal('9999999'), new Decimal('10000000')),
  fc.constantFrom(new Decimal(Infinity), new Decimal(-Infinity), new Decimal(NaN)),
);

const same = (a: number, b: number): boolean => (Number.isNaN(a) ? Number.isNaN(b) : a === b);

describe('compareDecimal', () => {
  it('agrees with Decimal#comparedTo for any two decimals (zero, signs, exponents, infinities, NaN)', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(same(compareDecimal(a, b), a.comparedTo(b))).toBe(true);
        expect(same(compareDecimal(a, a), a.comparedTo(a))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('equal values with different digit arrays compare equal (1.10 vs 1.1, 100 vs 1e2)', () => {
    expect(compareDecimal(new Decimal('1.10'), new Decimal('1.1'))).toBe(0);
    expect(compareDecimal(new Decimal('100'), new Decimal('1e2'))).toBe(0);
    expect(compareDecimal(new Decimal('0.00000001'), new Decimal('1e-8'))).toBe(0);
  });

  it('min, max and isAboveZero follow from it, and never copy', () => {
    const a = new Decimal('2.5');
    const b = new Decimal('-3');
    expect(minDecimal(a, b)).toBe(b);
    expect(maxDecimal(a, b)).toBe(a);
    expect(isAboveZero(a)).toBe(true);
    expect(isAboveZero(b)).toBe(false);
    expect(isAboveZero(new Decimal(0))).toBe(false);
    expect(isAboveZero(new Decimal('-0'))).toBe(false);
    expect(isAboveZero(new Decimal(NaN))).toBe(false);
    expect(isAboveZero(new Decimal(Infinity))).toBe(true);
  });
});
