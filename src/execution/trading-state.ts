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

/** The one gate every new order passes: undefined lets it through, a reason stops it. */
export function tradingGate(state: TradingState, reducesExposure: boolean, why: string | undefined): DecisionReason | undefined {
  if (state === 'HALTED') return { code: 'trading_halted', message: `trading is halted: ${why ?? 'no reason given'}` };
  if (state === 'REDUCING' && !reducesExposure) return { code: 'trading_reducing', message: `only orders that reduce exposure pass: ${why ?? 'no reason given'}` };
  return undefined;
}
