import { Decimal, ONE } from '../core/decimal.js';
import type { OrderSide } from './trading-types.js';

/**
 * A marketable limit: through `price` by `offsetBps` basis points, so it fills like a market order
 * but never far worse; rounded away from the market to the price's own precision (at least cents).
 */
export function marketableLimit(price: Decimal, side: OrderSide, offsetBps: Decimal): Decimal {
  const offset = offsetBps.dividedBy(10_000);
  const raw = side === 'buy' ? price.times(ONE.plus(offset)) : price.times(ONE.minus(offset));
  return raw.toDecimalPlaces(Math.max(price.decimalPlaces(), 2), side === 'buy' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP);
}
