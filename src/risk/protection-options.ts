import type { BrokerCapabilities } from '../broker/broker-adapter.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { ConfigurationError } from '../core/errors.js';
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

/** `onStopLost` and `stopAttempts`, checked when protection is built (a typo must not mean "never put a stop back"). */
export function checkLostOptions(options: ProtectionOptions): void {
  const issues: { field: string; message: string }[] = [];
  if (options.onStopLost !== undefined && !['replace', 'close', 'alert'].includes(options.onStopLost)) issues.push({ field: 'protection.onStopLost', message: `must be 'replace', 'close' or 'alert', got ${JSON.stringify(options.onStopLost)}` });
  if (options.stopAttempts !== undefined && !(Number.isInteger(options.stopAttempts) && options.stopAttempts >= 1)) issues.push({ field: 'protection.stopAttempts', message: `must be a whole number of at least 1, got ${String(options.stopAttempts)}` });
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
