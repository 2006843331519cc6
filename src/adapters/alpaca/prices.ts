import { Decimal } from 'tradewire';

/**
 * Rounds a price to Alpaca's equity increments — 2 decimals at $1.00 and above, 4 below —
 * instead of letting the order be rejected as sub-penny. Rounding is explicit: by default a buy
 * limit rounds down and a sell limit rounds up (never a worse price than asked); pass a mode to
 * override (e.g. protective stops round toward triggering earlier).
 */
export function roundAlpacaPrice(price: Decimal, rounding: Decimal.Rounding = Decimal.ROUND_HALF_UP): Decimal {
  const places = price.greaterThanOrEqualTo(1) ? 2 : 4;
  return price.toDecimalPlaces(places, rounding);
}

/** The rounding that never worsens a limit price for `side`. */
export function limitRounding(side: 'buy' | 'sell'): Decimal.Rounding {
  return side === 'buy' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP;
}
