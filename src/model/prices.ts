import { Decimal, ONE } from '../core/decimal.js';
import type { OrderSide } from './trading-types.js';

/**
 * A marketable limit: through `price` by `offsetBps` basis points, so it fills like a market order
 * but never far worse; rounded away from the market to the price's own precision (at least cents).
 */
export function marketableLimit(price: Decimal, side: OrderSide, offsetBps: Decimal): Decimal {
  const clean = withoutFloatNoise(price);
  const offset = offsetBps.dividedBy(10_000);
  const raw = side === 'buy' ? clean.times(ONE.plus(offset)) : clean.times(ONE.minus(offset));
  return raw.toDecimalPlaces(Math.max(clean.decimalPlaces(), 2), side === 'buy' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP);
}

/**
 * A price that came from a JS number may carry binary float noise (`0.1 + 0.2` is
 * `0.30000000000000004`): a double holds 15 significant digits exactly, so digits beyond are
 * noise, not a sub-penny price a broker would refuse.
 */
export function withoutFloatNoise(price: Decimal): Decimal {
  return price.precision(true) > 15 ? price.toSignificantDigits(15) : price;
}
