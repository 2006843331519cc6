/**
 * The Korea Exchange's trading rules a KRX adapter must respect, as data: tick sizes by price band,
 * the ±30 % daily price limit, whole shares, prices in whole won.
 */
import { Decimal } from 'tradewire/adapter-kit';

/** Tick size by price band (KOSPI and KOSDAQ alike, since 25 January 2023): [upper bound (exclusive), tick]. */
export const KRX_TICK_BANDS: readonly (readonly [number, number])[] = [
  [2_000, 1],
  [5_000, 5],
  [20_000, 10],
  [50_000, 50],
  [200_000, 100],
  [500_000, 500],
  [Number.POSITIVE_INFINITY, 1_000],
];

/** The tick size for a price. */
export function krxTick(price: Decimal): Decimal {
  for (const [below, tick] of KRX_TICK_BANDS) if (price.lessThan(below)) return new Decimal(tick);
  return new Decimal(1_000);
}

/** True when `price` is a whole number of won on its band's tick. */
export function onTick(price: Decimal): boolean {
  return price.isInteger() && price.modulo(krxTick(price)).isZero();
}

/** A price moved onto the tick grid, down or up. */
export function toTick(price: Decimal, direction: 'down' | 'up'): Decimal {
  const tick = krxTick(price);
  return price.dividedBy(tick).toDecimalPlaces(0, direction === 'down' ? Decimal.ROUND_FLOOR : Decimal.ROUND_CEIL).times(tick);
}

/** The day's price limits: ±30 % of the previous close, each rounded inward onto its tick. */
export function dailyLimits(previousClose: Decimal): { readonly upper: Decimal; readonly lower: Decimal } {
  return { upper: toTick(previousClose.times('1.3'), 'down'), lower: toTick(previousClose.times('0.7'), 'up') };
}
