import { compareDecimal, Decimal, ZERO } from '../core/decimal.js';

/** A distribution's shape: nearest-rank percentiles, mean and max, as exact strings. */
export interface Distribution {
  readonly count: number;
  readonly mean?: string;
  readonly p50?: string;
  readonly p95?: string;
  readonly p99?: string;
  readonly max?: string;
  readonly min?: string;
}

/** Nearest-rank percentiles (the value at rank ⌈p × n⌉), so every figure is one of the observations. */
export function distribution(values: readonly Decimal[], meanPlaces = 4): Distribution {
  if (values.length === 0) return { count: 0 };
  const sorted = [...values].sort(compareDecimal);
  const at = (p: number): string => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!.toFixed();
  return {
    count: sorted.length,
    mean: sum(sorted).dividedBy(sorted.length).toDecimalPlaces(meanPlaces).toFixed(),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!.toFixed(),
    min: sorted[0]!.toFixed(),
  };
}

/**
 * {@link distribution} of exact decimal strings (basis points), ordered by their value as numbers —
 * exact for the ≤ 15 significant digits such figures have — and reported as the strings themselves;
 * the mean is summed exactly. Many times faster than sorting Decimals over a day of orders.
 */
export function distributionOfStrings(values: readonly string[], meanPlaces = 4): Distribution {
  const n = values.length;
  if (n === 0) return { count: 0 };
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = Number(values[i]);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[a]! - keys[b]!);
  const at = (p: number): string => values[order[Math.max(0, Math.ceil(p * n) - 1)]!]!;
  // Exact mean: the strings summed as Decimals in chunks of equal values (bps repeat).
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let total = ZERO;
  for (const [v, count] of counts) total = total.plus(new Decimal(v).times(count));
  return { count: n, mean: total.dividedBy(n).toDecimalPlaces(meanPlaces).toFixed(), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: values[order[n - 1]!]!, min: values[order[0]!]! };
}

/** The same, for millisecond latencies (plain numbers: durations, not money). */
export function latencyDistribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number): string => String(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]);
  let total = 0;
  for (const v of sorted) total += v;
  return { count: sorted.length, mean: String(Math.round((total / sorted.length) * 10) / 10), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: String(sorted[sorted.length - 1]), min: String(sorted[0]) };
}

export function sum(values: readonly Decimal[]): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/**
 * The annualized Sharpe ratio of daily returns: mean ÷ sample standard deviation × √periods (252
 * trading days), with no risk-free rate. Undefined for fewer than two days or no variation.
 */
export function sharpeRatio(dailyReturns: readonly Decimal[], periodsPerYear = 252): Decimal | undefined {
  const n = dailyReturns.length;
  if (n < 2) return undefined;
  const mean = sum(dailyReturns).dividedBy(n);
  let squares = ZERO;
  for (const r of dailyReturns) squares = squares.plus(r.minus(mean).pow(2));
  const deviation = squares.dividedBy(n - 1).sqrt();
  if (deviation.isZero()) return undefined;
  return mean.dividedBy(deviation).times(new Decimal(periodsPerYear).sqrt());
}

/** The deepest fall of a running total from its peak (the peak starts at zero): as an amount, and the peak it fell from. */
export function maxDrawdown(changes: readonly Decimal[]): { readonly amount: Decimal; readonly peak: Decimal } {
  let total = ZERO;
  let peak = ZERO;
  let worst = { amount: ZERO, peak: ZERO };
  for (const change of changes) {
    total = total.plus(change);
    if (total.greaterThan(peak)) peak = total;
    const fall = peak.minus(total);
    if (fall.greaterThan(worst.amount)) worst = { amount: fall, peak };
  }
  return worst;
}
