import type { BrokerCapabilities } from '../broker/broker-adapter.js';
import { Decimal, type DecimalInput, parseDecimalIn } from '../core/decimal.js';
import { ConfigurationError, type ValidationIssue } from '../core/errors.js';
import { checkWholeNumber } from '../core/options.js';
import type { Logger } from '../core/logger.js';

export interface ProtectionOptions {
  /** Partial exits as multiples of the initial risk; default one leg at the position's target. */
  readonly partialExits?: readonly { readonly r: DecimalInput; readonly fraction: DecimalInput }[];
  /** Trail with the broker's trailing stop (when it has one) instead of a fixed stop, by this percent. */
  readonly trailingPercent?: Decimal;
  /** Move the stop to break-even once the price is this many R in profit (default 1; 0 turns it off). */
  readonly breakEvenAtR?: DecimalInput;
  /**
   * When the host's volatility measure (`engine.reportVolatility`) reaches `threshold`, stops still
   * on the loss side move `factor` times as far from the entry (noise should not stop the trade
   * out); when it falls back, they return to their distance. Stops already in profit never move back.
   */
  readonly volatility?: { readonly threshold: DecimalInput; readonly factor: DecimalInput };
  /**
   * Near the target — once the price has come `progress` of the way (e.g. 0.8) — the stop moves up
   * to keep `lock` of the open gain (e.g. 0.5), so a reversal just short of the target still pays.
   */
  readonly tightenNearTarget?: { readonly progress: DecimalInput; readonly lock: DecimalInput };
  /**
   * What to do when an open position loses its stop without the engine asking — the broker refused
   * it, or ended it by itself (cancelled from the broker's site, past its age limit, a corporate
   * action): `'replace'` (default) places it again at the level it had, or closes the position at
   * market when the price is already through that level (the stop would have fired); `'close'`
   * closes the position at once; `'alert'` only raises the alert. Each is a critical
   * `position_unprotected` alert saying what was done.
   */
  readonly onStopLost?: 'replace' | 'close' | 'alert';
  /** How many stops one position may lose before `'replace'` closes it instead (default 3). */
  readonly stopAttempts?: number;
}

const KNOWN: ReadonlySet<string> = new Set(['partialExits', 'trailingPercent', 'breakEvenAtR', 'volatility', 'tightenNearTarget', 'onStopLost', 'stopAttempts']);

/**
 * Every protection option, checked when protection is built — a typo or a value out of range must
 * not mean a stop that never trails, never moves or is never put back, nor a decimal.js error
 * thrown from a price update long after start: a `ConfigurationError` naming each field. An
 * unknown key, partial exits that are not `{ r > 0, 0 < fraction ≤ 1 }` or whose fractions add up
 * to more than the position, a trailing percent outside (0, 100), a negative `breakEvenAtR`, a
 * volatility rule whose threshold is not positive or whose factor is below 1 (it widens stops), a
 * tighten rule whose `progress` is not in (0, 1] or `lock` not in [0, 1).
 */
export function checkProtectionOptions(options: ProtectionOptions): void {
  const issues: ValidationIssue[] = [];
  const field = (name: string): string => `protection.${name}`;
  if (typeof options !== 'object' || options === null) throw new ConfigurationError([{ field: 'protection', message: `must be true or an object of protection options, got ${String(options)}` }]);
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) issues.push({ field: field(key), message: `is not a protection option (${[...KNOWN].join(', ')})` });
  const decimalIn = (name: string, value: unknown, ok: (d: Decimal) => boolean, range: string): Decimal | undefined => parseDecimalIn(value, field(name), ok, range, issues);
  if (options.partialExits !== undefined) {
    if (!Array.isArray(options.partialExits) || options.partialExits.length === 0) issues.push({ field: field('partialExits'), message: 'must be a non-empty list of { r, fraction }' });
    else {
      let total = new Decimal(0);
      options.partialExits.forEach((leg: { r?: unknown; fraction?: unknown } | undefined, i) => {
        decimalIn(`partialExits[${i}].r`, leg?.r, (d) => d.greaterThan(0), 'a positive multiple of the initial risk');
        const fraction = decimalIn(`partialExits[${i}].fraction`, leg?.fraction, (d) => d.greaterThan(0) && d.lessThanOrEqualTo(1), 'a share of the position in (0, 1]');
        if (fraction) total = total.plus(fraction);
      });
      if (total.greaterThan(1)) issues.push({ field: field('partialExits'), message: `fractions add up to ${total.toString()}: more than the position` });
    }
  }
  if (options.trailingPercent !== undefined) decimalIn('trailingPercent', options.trailingPercent, (d) => d.greaterThan(0) && d.lessThan(100), 'a percent in (0, 100)');
  if (options.breakEvenAtR !== undefined) decimalIn('breakEvenAtR', options.breakEvenAtR, (d) => !d.isNegative(), 'zero (off) or a positive multiple of the initial risk');
  if (options.volatility !== undefined) {
    decimalIn('volatility.threshold', options.volatility?.threshold, (d) => d.greaterThan(0), 'positive');
    decimalIn('volatility.factor', options.volatility?.factor, (d) => d.greaterThanOrEqualTo(1), 'at least 1 (how many times as far the stop goes)');
  }
  if (options.tightenNearTarget !== undefined) {
    decimalIn('tightenNearTarget.progress', options.tightenNearTarget?.progress, (d) => d.greaterThan(0) && d.lessThanOrEqualTo(1), 'a share of the way to the target in (0, 1]');
    decimalIn('tightenNearTarget.lock', options.tightenNearTarget?.lock, (d) => !d.isNegative() && d.lessThan(1), 'a share of the open gain in [0, 1)');
  }
  if (options.onStopLost !== undefined && !['replace', 'close', 'alert'].includes(options.onStopLost)) issues.push({ field: field('onStopLost'), message: `must be 'replace', 'close' or 'alert', got ${JSON.stringify(options.onStopLost)}` });
  checkWholeNumber(options.stopAttempts, field('stopAttempts'), 1, issues);
  if (issues.length > 0) throw new ConfigurationError(issues);
}

/**
 * A broker whose open exits hold the shares (Alpaca) takes one stop and one target for a position
 * only as a native one-cancels-other pair: several targets, or a trailing stop beside a target, are
 * separate sells of the same shares, and the broker refuses those it has no free shares for. Said once, at construction,
 * rather than found in production as `target_not_placed` alerts.
 */
export function warnHeldShares(options: ProtectionOptions, capabilities: BrokerCapabilities, logger: Logger): void {
  if (!capabilities.exitsHoldQuantity) return;
  const legs = options.partialExits?.length ?? 0;
  if (legs > 1) logger.warn(`protection: ${legs} partial-exit targets on a broker whose open exits hold the shares (Alpaca): the stop holds every share there, so each target is refused (target_not_placed); use a single target there (docs/adapters/alpaca.md#limits-to-know)`);
  else if (options.trailingPercent) logger.warn('protection: a trailing stop on a broker whose open exits hold the shares (Alpaca) cannot be paired with its target: the target is refused (target_not_placed) while the stop guards the position; prefer a fixed stop with break-even, or no target (docs/adapters/alpaca.md#limits-to-know)');
}
