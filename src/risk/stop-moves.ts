import { Decimal, type DecimalInput, ONE, roundToStep } from '../core/decimal.js';
import type { PositionSide } from '../positions/position.js';
import { realizedRewardRisk, trailStop } from './protection-levels.js';

/**
 * Where a protected position's stop moves as the market moves, by the rules of
 * {@link ProtectionOptions}: pure functions of the levels, each answering the new stop price or
 * undefined when the stop stays. The protection manager decides when to ask and sends the move.
 */

/** A stop price on the price step, rounded toward the market: never more risk than planned. */
export function roundStopToStep(side: PositionSide, price: Decimal, step: Decimal): Decimal {
  return roundToStep(price, step, side === 'long' ? Decimal.ROUND_UP : Decimal.ROUND_DOWN);
}

/** A target (or a gain locked in) on the price step, rounded toward the entry: never asks for more than planned. */
export function roundTargetToStep(side: PositionSide, price: Decimal, step: Decimal): Decimal {
  return roundToStep(price, step, side === 'long' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP);
}

/** True when `candidate` is a tighter stop than `stop` (above it for a long, below for a short). */
export function tighter(side: PositionSide, candidate: Decimal, stop: Decimal): boolean {
  return side === 'long' ? candidate.greaterThan(stop) : candidate.lessThan(stop);
}

/** An emulated trailing stop at `price`: `percent` behind it, on the step, when that is tighter than `stop` (never back). */
export function trailedStop(side: PositionSide, stop: Decimal, price: Decimal, percent: Decimal, step: Decimal): Decimal | undefined {
  const trailed = roundStopToStep(side, trailStop(side, stop, price, { percent }), step);
  return tighter(side, trailed, stop) ? trailed : undefined;
}

/**
 * A stop still on the loss side of the entry, widened by `factor` from the entry when volatility is
 * `high` and brought back by it when not; undefined for a stop at or beyond the entry (a gain locked in stays).
 */
export function volatilityStop(side: PositionSide, entry: Decimal, stop: Decimal, high: boolean, factor: Decimal, step: Decimal): Decimal | undefined {
  if (!tighter(side, entry, stop)) return undefined;
  const distance = entry.minus(stop).abs().times(high ? factor : ONE.dividedBy(factor));
  return roundStopToStep(side, side === 'long' ? entry.minus(distance) : entry.plus(distance), step);
}

/**
 * Once the price has gone `rule.progress` of the way from the entry to the target, the stop locks in
 * `rule.lock` of the gain so far (on the step, rounded toward the entry) — when that is tighter than `stop`.
 */
export function lockedNearTarget(
  side: PositionSide,
  levels: { readonly entry: Decimal; readonly stop: Decimal; readonly target: Decimal },
  price: Decimal,
  rule: { readonly progress: DecimalInput; readonly lock: DecimalInput },
  step: Decimal,
): Decimal | undefined {
  const { entry, stop, target } = levels;
  if (price.minus(entry).dividedBy(target.minus(entry)).lessThan(rule.progress)) return undefined;
  const locked = roundTargetToStep(side, entry.plus(price.minus(entry).times(rule.lock)), step);
  return tighter(side, locked, stop) ? locked : undefined;
}

/** The stop moves to the entry once the price is `atR` multiples of the initial risk in profit (zero: never); undefined when it is there already or the price is not. */
export function breakEvenStop(side: PositionSide, levels: { readonly entry: Decimal; readonly stop: Decimal; readonly initialStop: Decimal }, price: Decimal, atR: Decimal): Decimal | undefined {
  const { entry, stop, initialStop } = levels;
  if (atR.isZero() || !tighter(side, entry, stop)) return undefined;
  return realizedRewardRisk(side, entry, initialStop, price).lessThan(atR) ? undefined : entry;
}
