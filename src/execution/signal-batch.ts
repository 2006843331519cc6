import type { Signal } from '../signals/signal.js';
import type { SignalDecision } from './signal-decision.js';

/** How a batch of signals is decided. */
export interface BatchOptions {
  /** At most this many orders from one batch (one bar's worth); the rest are refused with `batch_cap`. Default: no cap. */
  readonly maxOrders?: number;
  /** Refresh the account from the broker once before deciding (default true): the batch is sized against one snapshot. */
  readonly refreshAccount?: boolean;
}

/** What a batch did. */
export interface BatchResult {
  /** One decision per signal, in the order they were given. */
  readonly decisions: readonly SignalDecision[];
  readonly executed: number;
  readonly rejected: number;
  readonly queued: number;
  /** The signal ids in the order they were decided: exits first, then entries by strength (strongest first). */
  readonly decidedInOrder: readonly string[];
}

/**
 * The order a batch is decided in: exits first (they free buying power and position slots), then
 * entries by strength, strongest first — when the limits cannot take every signal, the best win
 * rather than the first to arrive. Ties keep the order given. Pure.
 */
export function batchOrder(signals: readonly Signal[], isExit: (signal: Signal) => boolean): number[] {
  const indexes = signals.map((_, i) => i);
  const exit = signals.map((s) => isExit(s));
  const strength = (s: Signal): number => (typeof s?.strength === 'number' && Number.isFinite(s.strength) ? s.strength : Number.NEGATIVE_INFINITY);
  return indexes.sort((a, b) => Number(exit[b]) - Number(exit[a]) || strength(signals[b]!) - strength(signals[a]!) || a - b);
}
