import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { optionsOf } from '../core/options.js';
import type { DecisionReason } from '../signals/signal-policy.js';

/**
 * ACTIVE: everything passes. REDUCING: only orders that reduce exposure pass (exits, covers).
 * HALTED: no signal or host order passes; the kill switch's own cancels and closes run, and so does
 * protection of what is held (a stop for a position an entry's late fill opened while halted).
 */
export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** How to stop: the kill switch's options. */
export interface HaltOptions {
  readonly reason: string;
  /** Cancel every working order (default true). */
  readonly cancelOpen?: boolean;
  /** Close every position at market (default false). */
  readonly flatten?: boolean;
}

/**
 * A halt's options as given — a reason, or the options — checked before anything is halted: a flag
 * that is not a boolean (`flatten: 'yes'`) is a `ValidationError`, not a guess at what was meant.
 */
export function parseHaltOptions(options: HaltOptions | string | undefined): Required<HaltOptions> {
  const given: Partial<HaltOptions> = typeof options === 'string' ? { reason: options } : optionsOf(options, 'halt');
  const issues: ValidationIssue[] = [];
  if (given.reason !== undefined && typeof given.reason !== 'string') issues.push({ field: 'reason', message: `must be a string, got ${String(given.reason)}` });
  for (const flag of ['cancelOpen', 'flatten'] as const) {
    if (given[flag] !== undefined && typeof given[flag] !== 'boolean') issues.push({ field: flag, message: `must be true or false, got ${JSON.stringify(given[flag]) ?? String(given[flag])}` });
  }
  if (issues.length > 0) throw new ValidationError(issues, 'halt');
  return { reason: given.reason || 'kill switch', cancelOpen: given.cancelOpen ?? true, flatten: given.flatten ?? false };
}

/** The one gate every new order passes: undefined lets it through, a reason stops it. */
export function tradingGate(state: TradingState, reducesExposure: boolean, why: string | undefined): DecisionReason | undefined {
  if (state === 'HALTED') return { code: 'trading_halted', message: `trading is halted: ${why ?? 'no reason given'}` };
  if (state === 'REDUCING' && !reducesExposure) return { code: 'trading_reducing', message: `only orders that reduce exposure pass: ${why ?? 'no reason given'}` };
  return undefined;
}
