import type { Decimal } from '../core/decimal.js';
import type { BrokerCapabilities } from '../broker/broker-adapter.js';
import type { AssetInfo } from '../broker/reports.js';
import type { Position } from '../positions/position.js';
import type { ResolvedEngineConfig } from '../config/engine-config.js';
import type { ParsedSignal } from './signal.js';

/**
 * Every refusal code tradewire itself gives, each explained in docs/troubleshooting.md (a test keeps
 * the two in step). A custom pre-trade rule or signal policy may give codes of its own.
 */
export const DECISION_CODES = [
  // the signal
  'invalid_signal', 'duplicate_signal', 'signal_stale', 'signal_from_future', 'signal_too_weak',
  // what the signal would do to the position
  'no_position', 'shorting_unsupported', 'not_shortable', 'duplicate_position', 'position_busy', 'not_a_winner', 'position_not_filled', 'exit_blocked',
  // the trading state
  'trading_halted', 'trading_reducing', 'strategy_halted', 'rejected_by_operator',
  // price, size, the broker, the batch
  'no_price', 'below_min_trade_size', 'broker_unavailable', 'batch_cap',
  // the pre-trade checks (configuration.md, `checks`) and the portfolio rules
  'buying_power', 'max_position_size', 'max_positions', 'max_exposure', 'daily_loss_limit', 'market_open', 'symbol_tradable', 'account_currency', 'no_pending_order', 'no_duplicate_position', 'group_exposure', 'strategy_exposure',
  // a desk's own limits
  'desk_trading_state', 'desk_positions', 'desk_exposure', 'desk_daily_loss',
] as const;

/** A code of {@link DECISION_CODES}. */
export type KnownDecisionCode = (typeof DECISION_CODES)[number];
/** A known code (completed by the editor), or a custom rule's own. */
export type DecisionCode = KnownDecisionCode | (string & {});

/** Why the engine did not act, as a machine-readable code and a human sentence. */
export interface DecisionReason {
  readonly code: DecisionCode;
  readonly message: string;
}

/** What a policy decides a signal means. */
export type TradeIntent =
  | { readonly action: 'open'; readonly direction: 'long' | 'short' }
  | { readonly action: 'scale_in'; readonly position: Position }
  | { readonly action: 'close'; readonly position: Position; readonly fraction: Decimal }
  | { readonly action: 'none'; readonly reason: DecisionReason };

export interface PolicyContext {
  readonly config: ResolvedEngineConfig;
  /** The open (or pending) position in this symbol, if any. */
  readonly position: Position | undefined;
  readonly capabilities: BrokerCapabilities;
  readonly asset: AssetInfo | undefined;
}

/** Maps a signal to an intent. Pure; swap it for your own mapping via the engine's `policy` option. */
export type SignalPolicy = (signal: ParsedSignal, context: PolicyContext) => TradeIntent;

/**
 * The product's default mapping:
 * - below `minSignalStrength` (inclusive threshold): do nothing;
 * - BUY: flat → open long; long → scale in if `allowScaleIn` and the position is a winner;
 *   short → cover it;
 * - SELL: long → close it (or `exitFraction` of it); flat → open short only when `allowShorting`
 *   and the broker and asset allow it; short → scale in under the same rule as longs.
 */
export const defaultSignalPolicy: SignalPolicy = (signal, { config, position, capabilities, asset }) => {
  if (signal.strength < config.minSignalStrength) {
    return none('signal_too_weak', `strength ${signal.strength} is below the minimum ${config.minSignalStrength}`);
  }
  const direction = signal.side === 'buy' ? 'long' : 'short';
  if (!position) {
    if (direction === 'long') return { action: 'open', direction };
    if (!config.allowShorting) return none('no_position', `no ${signal.symbol} position to sell, and shorting is off`);
    if (!capabilities.shorting) return none('shorting_unsupported', 'the broker adapter does not support shorting');
    if (asset && !asset.shortable) return none('not_shortable', `${signal.symbol} is not shortable`);
    return { action: 'open', direction };
  }
  if (position.side !== direction) return { action: 'close', position, fraction: signal.exitFraction };
  // An explicit quantity is an instruction (a rebalance), not an idea: the scale-in rules are for sized signals.
  if (signal.quantity && position.state === 'OPEN') return { action: 'scale_in', position };
  if (!config.allowScaleIn) return none('duplicate_position', `already ${position.side} ${signal.symbol}; scaling in is off`);
  if (position.state !== 'OPEN') return none('position_busy', `the ${signal.symbol} position is ${position.state}`);
  if (!position.unrealizedPnl.greaterThan(0)) return none('not_a_winner', `scaling in only adds to winners; ${signal.symbol} is not in profit`);
  return { action: 'scale_in', position };
};

function none(code: KnownDecisionCode, message: string): TradeIntent {
  return { action: 'none', reason: { code, message } };
}
