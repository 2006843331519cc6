import { addDecimals, Decimal, type DecimalInput, maxDecimal, minDecimal, multiplyDecimals, ONE, percentOf, subtractDecimals, toDecimal } from '../core/decimal.js';
import { ValidationError } from '../core/errors.js';
import type { PositionSide } from '../positions/position.js';

/** A bar the host supplies, for ATR. */
export interface Bar {
  readonly high: DecimalInput;
  readonly low: DecimalInput;
  readonly close: DecimalInput;
}

/**
 * Average true range over the last `period` bars (Wilder's smoothing after a simple first average).
 * True range = max(high − low, |high − previous close|, |low − previous close|). Needs period + 1 bars.
 */
export function averageTrueRange(bars: readonly Bar[], period = 14): Decimal {
  if (bars.length < period + 1) {
    throw new ValidationError([{ field: 'bars', message: `needs at least ${period + 1} bars for a ${period}-bar ATR, got ${bars.length}` }], 'ATR input');
  }
  const ranges: Decimal[] = [];
  for (let i = 1; i < bars.length; i++) {
    const high = toDecimal(bars[i]!.high, 'high');
    const low = toDecimal(bars[i]!.low, 'low');
    const previous = toDecimal(bars[i - 1]!.close, 'close');
    ranges.push(Decimal.max(high.minus(low), high.minus(previous).abs(), low.minus(previous).abs()));
  }
  let atr = ranges.slice(0, period).reduce((sum, r) => sum.plus(r), new Decimal(0)).dividedBy(period);
  for (const range of ranges.slice(period)) atr = atr.times(period - 1).plus(range).dividedBy(period);
  return atr;
}

/** How to place a stop. */
export type StopRule =
  | { readonly method: 'percent'; readonly percent: DecimalInput }
  | { readonly method: 'atr'; readonly atr: DecimalInput; readonly multiplier: DecimalInput }
  /** Beyond a support (long) or resistance (short) level, by a buffer %, against stop hunting. */
  | { readonly method: 'support'; readonly level: DecimalInput; readonly bufferPct: DecimalInput }
  | { readonly method: 'trailing'; readonly percent?: DecimalInput; readonly amount?: DecimalInput; readonly extreme?: DecimalInput };

/**
 * The stop price for a position entered at `entry`. Long stops sit below, short stops above.
 * Trailing stops trail from `extreme` (the best price since entry; default the entry).
 */
export function stopPrice(side: PositionSide, entry: DecimalInput, rule: StopRule): Decimal {
  const e = toDecimal(entry, 'entry');
  const below = side === 'long';
  const away = (distance: Decimal, from = e): Decimal => (below ? subtractDecimals(from, distance) : addDecimals(from, distance));
  switch (rule.method) {
    case 'percent':
      return away(percentOf(e, toDecimal(rule.percent, 'percent')));
    case 'atr':
      return away(toDecimal(rule.atr, 'atr').times(toDecimal(rule.multiplier, 'multiplier')));
    case 'support': {
      const level = toDecimal(rule.level, 'level');
      return away(percentOf(level, toDecimal(rule.bufferPct, 'bufferPct')), level);
    }
    case 'trailing': {
      const extreme = rule.extreme === undefined ? e : toDecimal(rule.extreme, 'extreme');
      if (rule.percent !== undefined) return away(percentOf(extreme, toDecimal(rule.percent, 'percent')), extreme);
      if (rule.amount !== undefined) return away(toDecimal(rule.amount, 'amount'), extreme);
      throw new ValidationError([{ field: 'trailing', message: 'needs percent or amount' }], 'stop rule');
    }
  }
}

/** Moves a trailing stop with the price: never backwards (down for a long, up for a short). */
export function trailStop(side: PositionSide, current: Decimal, price: DecimalInput, rule: { readonly percent?: DecimalInput; readonly amount?: DecimalInput }): Decimal {
  const candidate = stopPrice(side, price, { method: 'trailing', ...rule, extreme: price });
  return side === 'long' ? maxDecimal(current, candidate) : minDecimal(current, candidate);
}

/** One exit leg: sell (or cover) `fraction` of the position at `price`. */
export interface TargetLeg {
  readonly price: Decimal;
  readonly fraction: Decimal;
  /** The multiple of the initial risk this leg is at. */
  readonly r: Decimal;
}

export type TargetRule =
  | { readonly method: 'risk_reward'; readonly ratio: DecimalInput }
  | { readonly method: 'resistance'; readonly level: DecimalInput }
  /** Partial exits at multiples of the initial risk, e.g. 50% at 1R and 50% at 2R. */
  | { readonly method: 'partial'; readonly legs: readonly { readonly r: DecimalInput; readonly fraction: DecimalInput }[] };

/** The default partial exits: half at 1R, half at 2R. */
export const DEFAULT_PARTIAL_EXITS = [
  { r: 1, fraction: '0.5' },
  { r: 2, fraction: '0.5' },
] as const;

/**
 * Take-profit legs for a position entered at `entry` with its stop at `stop` (risk R = |entry − stop|).
 * Long targets sit above, short targets below; the fractions of a partial plan must add up to 1.
 */
export function targetLegs(side: PositionSide, entry: DecimalInput, stop: DecimalInput, rule: TargetRule): TargetLeg[] {
  const e = toDecimal(entry, 'entry');
  // Every signal with a take-profit asks this: one construction where decimal.js's minus and abs made two.
  const difference = subtractDecimals(e, toDecimal(stop, 'stop'));
  const risk = difference.isNegative() ? difference.negated() : difference;
  if (risk.isZero()) throw new ValidationError([{ field: 'stop', message: 'must differ from the entry' }], 'target rule');
  const at = (r: Decimal): Decimal => (side === 'long' ? addDecimals(e, multiplyDecimals(risk, r)) : subtractDecimals(e, multiplyDecimals(risk, r)));
  switch (rule.method) {
    case 'risk_reward': {
      const r = toDecimal(rule.ratio, 'ratio');
      return [{ price: at(r), fraction: ONE, r }];
    }
    case 'resistance': {
      const price = toDecimal(rule.level, 'level');
      return [{ price, fraction: ONE, r: price.minus(e).abs().dividedBy(risk) }];
    }
    case 'partial': {
      const legs = rule.legs.map((l) => ({ r: toDecimal(l.r, 'r'), fraction: toDecimal(l.fraction, 'fraction') }));
      const total = legs.reduce((sum, l) => sum.plus(l.fraction), new Decimal(0));
      if (!total.equals(1)) throw new ValidationError([{ field: 'legs', message: `fractions must add up to 1, got ${total.toString()}` }], 'target rule');
      return legs.map((l) => ({ price: at(l.r), fraction: l.fraction, r: l.r }));
    }
  }
}

/** Where the stop goes after a partial exit at leg `index`: to break-even after the first, then to the previous leg. */
export function stopAfterLeg(entry: Decimal, legs: readonly TargetLeg[], index: number): Decimal {
  return index === 0 ? entry : legs[index - 1]!.price;
}

/** Realized reward-to-risk of a closed trade: (exit − entry) / (entry − stop), signed by side. */
export function realizedRewardRisk(side: PositionSide, entry: DecimalInput, initialStop: DecimalInput, exit: DecimalInput): Decimal {
  const e = toDecimal(entry, 'entry');
  const risk = e.minus(toDecimal(initialStop, 'stop')).abs();
  const move = toDecimal(exit, 'exit').minus(e);
  return (side === 'long' ? move : move.negated()).dividedBy(risk);
}
