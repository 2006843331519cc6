import { Decimal, type OrderSide, ValidationError } from 'tradewire';

/** `EUR/USD`, `eur_usd` or `EURUSD` → OANDA's `EUR_USD`. */
export function toOandaInstrument(symbol: string): string {
  const cleaned = symbol.trim().toUpperCase().replace('/', '_');
  if (/^[A-Z0-9]{2,10}_[A-Z0-9]{2,10}$/.test(cleaned)) return cleaned;
  if (/^[A-Z]{6}$/.test(cleaned)) return `${cleaned.slice(0, 3)}_${cleaned.slice(3)}`;
  throw new ValidationError([{ field: 'symbol', message: `cannot be read as an OANDA instrument: ${JSON.stringify(symbol)}` }]);
}

/** OANDA signs units by side: a buy is positive, a sell negative. Returned as the wire string. */
export function toOandaUnits(side: OrderSide, quantity: Decimal): string {
  // Fixed notation: Decimal writes very large or small numbers with an exponent, which v20 does not read.
  return (side === 'buy' ? quantity : quantity.negated()).toFixed();
}

/** The reverse: a signed wire string → side and unsigned quantity. */
export function fromOandaUnits(units: string): { side: OrderSide; quantity: Decimal } {
  const value = new Decimal(units);
  return { side: value.isNegative() ? 'sell' : 'buy', quantity: value.abs() };
}
