import { Decimal } from 'decimal.js';

/**
 * Exact sums and products of small decimals with one construction instead of decimal.js's two.
 *
 * decimal.js spends most of a `plus` or `times` on constructing: a copy of its argument and the
 * result, each through a constructor that costs ≈ 90–170 ns (measured, Node 20; an object literal
 * ≈ 20–30). The values on the order path are small (a price of a few digits,
 * a whole quantity, a notional), so this module does their arithmetic on decimal.js's documented
 * representation — `d`, the digits in words of base 1e7 aligned on the decimal point, `e`, the
 * exponent, `s`, the sign — in exact integer doubles (every intermediate below 2^53), and builds
 * the result with the same `d`/`e`/`s` decimal.js would (property-tested against it). Anything
 * else — a wider operand, a zero operand, a result that would need rounding, another Decimal
 * constructor or a precision under 14 — returns undefined, and the caller asks decimal.js.
 *
 * @internal
 */

const BASE = 1e7;
const WORD_DIGITS = 7;
/** Two words hold at most 14 significant digits: no rounding at a precision of 14 or more. */
const EXACT_DIGITS = 14;

/** The number of decimal digits of a word (1 … 9 999 999). */
function digitsOf(word: number): number {
  return word >= 1e6 ? 7 : word >= 1e5 ? 6 : word >= 1e4 ? 5 : word >= 1e3 ? 4 : word >= 100 ? 3 : word >= 10 ? 2 : 1;
}

/**
 * A decimal whose leading word `lead` stands at word exponent `k` (value `lead × 1e7^k`), followed
 * by `next` (0: none); zero when `lead` is 0. Undefined past the configured exponent range
 * (`minE`/`maxE`), where decimal.js would underflow or overflow.
 */
function build(sign: number, k: number, lead: number, next: number): Decimal | undefined {
  const e = lead === 0 ? 0 : WORD_DIGITS * k + digitsOf(lead) - 1;
  if (e < Decimal.minE || e > Decimal.maxE) return undefined;
  // Through the constructor's small-integer path, not Object.create: a decimal of another hidden
  // class made every site that reads decimals polymorphic, and cost more than the copy saved.
  const x = new Decimal(lead) as unknown as { s: number; e: number; d: number[] };
  x.s = sign;
  x.e = e;
  if (next !== 0) x.d = [lead, next];
  return x as unknown as Decimal;
}

/** True when decimal.js would do the arithmetic on `a` exactly as this module does. */
function eligible(a: Decimal): boolean {
  const d = a.d;
  return d !== null && d.length <= 2 && d[0] !== 0 && a.constructor === Decimal;
}

/** `a + sign·b` exactly, or undefined when decimal.js must do it (see the module's comment). */
export function sumOfWords(a: Decimal, b: Decimal, sign: 1 | -1): Decimal | undefined {
  if (!eligible(a) || !eligible(b) || Decimal.precision < EXACT_DIGITS) return undefined;
  const ad = a.d;
  const bd = b.d;
  const ak = Math.floor(a.e / WORD_DIGITS);
  const bk = Math.floor(b.e / WORD_DIGITS);
  // The lowest word exponent of either: both as integers in units of 1e7^low, two words at most.
  const low = Math.min(ak - ad.length + 1, bk - bd.length + 1);
  if (ak - low > 1 || bk - low > 1) return undefined;
  const av = ad.length === 2 ? ad[0]! * BASE + ad[1]! : ak > low ? ad[0]! * BASE : ad[0]!;
  const bv = bd.length === 2 ? bd[0]! * BASE + bd[1]! : bk > low ? bd[0]! * BASE : bd[0]!;
  const r = a.s * av + sign * b.s * bv;
  // An exact zero (a position closed, a price unchanged) is signed as decimal.js signs it: −0 only when rounding toward −∞.
  if (r === 0) return build(Decimal.rounding === Decimal.ROUND_FLOOR ? -1 : 1, 0, 0, 0);
  const v = r < 0 ? -r : r;
  const high = Math.floor(v / BASE);
  // A carry into a third word: decimal.js.
  if (high >= BASE) return undefined;
  const rest = v - high * BASE;
  return high === 0 ? build(r < 0 ? -1 : 1, low, rest, 0) : build(r < 0 ? -1 : 1, low + 1, high, rest);
}

/** `a × b` exactly for a one-word operand and a one- or two-word one, or undefined (see the module's comment). */
export function productOfWords(a: Decimal, b: Decimal): Decimal | undefined {
  if (!eligible(a) || !eligible(b) || Decimal.precision < EXACT_DIGITS) return undefined;
  let wide = a.d;
  let word = b.d[0]!;
  if (wide.length === 1) {
    wide = b.d;
    word = a.d[0]!;
  } else if (b.d.length !== 1) return undefined;
  const k = Math.floor(a.e / WORD_DIGITS) + Math.floor(b.e / WORD_DIGITS);
  const sign = a.s * b.s;
  if (wide.length === 1) {
    const p = wide[0]! * word;
    const high = Math.floor(p / BASE);
    const rest = p - high * BASE;
    return high === 0 ? build(sign, k, rest, 0) : build(sign, k + 1, high, rest);
  }
  // (w0·1e7 + w1) × word: the low product's carry goes into the high one; three words fall back.
  const lowProduct = wide[1]! * word;
  const lowWord = lowProduct % BASE;
  const middle = wide[0]! * word + (lowProduct - lowWord) / BASE;
  const middleWord = middle % BASE;
  const high = (middle - middleWord) / BASE;
  if (high === 0) return build(sign, k, middleWord, lowWord);
  if (lowWord !== 0 || high >= BASE) return undefined;
  return build(sign, k + 1, high, middleWord);
}
