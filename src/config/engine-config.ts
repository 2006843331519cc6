import { Decimal, type DecimalInput, parseDecimal } from '../core/decimal.js';
import { ConfigurationError, type ValidationIssue } from '../core/errors.js';
import { TIME_IN_FORCE, type TimeInForce } from '../model/trading-types.js';
import type { KnownDecisionCode } from '../signals/signal-policy.js';

/** The pre-trade checks, each a small rule with a reason code; each can be turned off. */
export const PRE_TRADE_CHECKS = [
  'buying_power',
  'max_position_size',
  'max_positions',
  'max_exposure',
  'daily_loss_limit',
  'market_open',
  'symbol_tradable',
  'account_currency',
  'no_pending_order',
  'no_duplicate_position',
] as const;
export type PreTradeCheckCode = (typeof PRE_TRADE_CHECKS)[number];
// Every check's code is a documented refusal code.
PRE_TRADE_CHECKS satisfies readonly KnownDecisionCode[];

export const SIZING_METHODS = ['fixed_fractional', 'fixed_notional', 'fixed_quantity'] as const;
export type SizingMethod = (typeof SIZING_METHODS)[number];
export const STOP_LOSS_METHODS = ['percent', 'atr', 'support', 'trailing'] as const;
export type StopLossMethod = (typeof STOP_LOSS_METHODS)[number];
export const TAKE_PROFIT_METHODS = ['risk_reward', 'resistance', 'partial'] as const;
export type TakeProfitMethod = (typeof TAKE_PROFIT_METHODS)[number];

/**
 * The engine's configuration. Keys follow the product specification in camelCase
 * (`max_positions` → `maxPositions`); percentages are percent (`10` = 10%). Every key is
 * optional; {@link resolveEngineConfig} fills the specification's defaults and validates.
 * See docs/configuration.md.
 */
export interface EngineConfig {
  /** Most concurrent open positions. Default 5. */
  readonly maxPositions?: number;
  /** Largest position, as % of equity. Default 10. */
  readonly maxPositionSizePct?: DecimalInput;
  /** Largest total exposure (Σ |position| at market), as % of equity. Default 50. */
  readonly maxAccountExposurePct?: DecimalInput;
  /** Signals below this strength (0–100) are ignored; the threshold itself passes. Default 70. */
  readonly minSignalStrength?: number;
  /**
   * A signal whose `time` is older than this (engine clock) is refused as `signal_stale`, and one
   * more than a minute ahead as `signal_from_future` — a replayed feed or a clock off by years must
   * not trade. Default 300 000 (5 minutes); `null` turns both checks off. A signal queued for the
   * open is not judged again when it is released.
   */
  readonly maxSignalAgeMs?: number | null;
  /** Stop opening positions once today's loss reaches this % of start-of-day equity. Default 2. */
  readonly dailyLossLimitPct?: DecimalInput;
  /** Fixed-fractional sizing: equity % risked per trade (entry-to-stop distance). Default 1. */
  readonly riskPerTradePct?: DecimalInput;
  /** Smallest order worth sending, in account currency. Default 100. */
  readonly minTradeSize?: DecimalInput;
  /** Add to a winning position on a new signal in its direction. Default false. */
  readonly allowScaleIn?: boolean;
  /** Open short positions on SELL signals when flat. Default false. */
  readonly allowShorting?: boolean;
  /** Trade fractional quantities where the asset allows it. Default true. */
  readonly allowFractional?: boolean;
  readonly sizing?: {
    /** Default `fixed_fractional`. */
    readonly method?: SizingMethod;
    /** For `fixed_notional`: amount per trade. Default 1 000. */
    readonly notional?: DecimalInput;
    /** For `fixed_quantity`: units per trade. Default 1. */
    readonly quantity?: DecimalInput;
    /** Scale the size by strength / 100. Default false. */
    readonly scaleByStrength?: boolean;
  };
  readonly stopLoss?: {
    /** Default `percent`. */
    readonly method?: StopLossMethod;
    /** Default 2 (% from entry). */
    readonly percent?: DecimalInput;
    /** Default 1.5 (× ATR). */
    readonly atrMultiplier?: DecimalInput;
    /** Default 1 (%). */
    readonly trailingPercent?: DecimalInput;
    /** Beyond a support level, against stop hunting. Default 0.1 (%). */
    readonly supportBufferPct?: DecimalInput;
  };
  readonly takeProfit?: {
    /** Default `risk_reward`. */
    readonly method?: TakeProfitMethod;
    /** Default 2 (2:1). */
    readonly riskRewardRatio?: DecimalInput;
  };
  readonly orderManagement?: {
    /** Entries as market orders, or as marketable limits offset from the price. Default `market`. */
    readonly entryOrderType?: 'market' | 'limit';
    /** For limit entries: how far through the price, in basis points. Default 10. */
    readonly limitOffsetBps?: DecimalInput;
    /** Default `day` (`gtc` for crypto). */
    readonly timeInForce?: TimeInForce;
    /** Cancel an unfilled order after this long; null disables. Default 60 000. */
    readonly orderTimeoutMs?: number | null;
    /** Poll interval for adapters without a stream. Default 1 000. */
    readonly pollIntervalMs?: number;
    /**
     * How many ended orders stay in memory for look-ups (`orders.get`, `orders.orderList`); past
     * it, the oldest is forgotten as each order ends (the journal keeps their records). Default
     * 10 000. Memory kept costs time too: see docs/benchmarks.md.
     */
    readonly endedOrdersKept?: number;
  };
  readonly marketHours?: {
    /** Queue signals that arrive while the market is closed, for the next open. Default false. */
    readonly queueWhenClosed?: boolean;
    /** Cancel open day orders at the close. Default false. */
    readonly cancelAtClose?: boolean;
    readonly preMarket?: boolean;
    readonly afterHours?: boolean;
    /** How often queued signals are checked against the market, ms. Default 60 000. */
    readonly queueCheckIntervalMs?: number;
  };
  /** How broker failures are retried and recovered (see OrderErrorHandler). */
  readonly errorHandling?: {
    /** Retries after the first attempt, for retryable failures. Default 3. */
    readonly retries?: number;
    /** First backoff delay, ms; doubled by `factor` each retry. Default 1 000. */
    readonly minDelayMs?: number;
    readonly factor?: number;
    readonly maxDelayMs?: number;
    /** Shrink an order refused for buying power to what the account affords, and resend once. Default true. */
    readonly resizeOnInsufficientFunds?: boolean;
    /** A market order refused as invalid is resent once as a marketable limit (`orderManagement.limitOffsetBps`). Default `none`. */
    readonly fallbackOrderType?: 'none' | 'marketable_limit';
  };
  /** Crash recovery and reconciliation with the broker. */
  readonly recovery?: {
    /** Local positions that disagree with the broker: adopt the broker's, or halt for a human. Default `adopt`. */
    readonly onMismatch?: 'adopt' | 'halt';
    /** Reconcile with the broker every this many ms while running; 0 turns it off. Default 30 000. */
    readonly reconcileIntervalMs?: number;
    /** Send journaled orders the broker never received (same client order id). Default true. */
    readonly resendUnacknowledged?: boolean;
    /** …only if journaled less than this long ago. Default 300 000 (5 minutes). */
    readonly maxResendAgeMs?: number;
    /** `recover()`: retries of its network half after a retryable broker failure. Default 5. */
    readonly retries?: number;
    /** …the first backoff, ms, doubled each retry up to 30 000. Default 1 000. */
    readonly retryDelayMs?: number;
    /**
     * After `recover()` failed on the network (its retries spent on a timeout, a 5xx, a refused
     * connection), try it again by itself this many ms later, and again after each failure, until it
     * succeeds or the engine stops; 0 leaves it to the host. Default 60 000.
     */
    readonly retryAfterFailureMs?: number;
    /**
     * Checkpoint the journal (where it can: `FileJournal`) once this many records were written since
     * the last, so a restart reads a checkpoint and its tail, not all of history. 0 turns it off.
     * Default 40 000 (~6 000 signals): below `FileJournal`'s default memory window, so a restart's
     * reads come from memory.
     */
    readonly checkpointEveryRecords?: number;
    /** How often to check, ms (default 60 000). */
    readonly checkpointCheckMs?: number;
  };
  /** Turn individual pre-trade checks off (all on by default). */
  readonly checks?: Partial<Record<PreTradeCheckCode, boolean>>;
  /** How often to refresh the account snapshot from the broker, ms. Default 5 000. */
  readonly accountRefreshMs?: number;
}

/** The configuration with every default filled and every decimal parsed. */
export interface ResolvedEngineConfig {
  readonly maxPositions: number;
  readonly maxPositionSizePct: Decimal;
  readonly maxAccountExposurePct: Decimal;
  readonly minSignalStrength: number;
  readonly maxSignalAgeMs: number | null;
  readonly dailyLossLimitPct: Decimal;
  readonly riskPerTradePct: Decimal;
  readonly minTradeSize: Decimal;
  readonly allowScaleIn: boolean;
  readonly allowShorting: boolean;
  readonly allowFractional: boolean;
  readonly sizing: { readonly method: SizingMethod; readonly notional: Decimal; readonly quantity: Decimal; readonly scaleByStrength: boolean };
  readonly stopLoss: {
    readonly method: StopLossMethod;
    readonly percent: Decimal;
    readonly atrMultiplier: Decimal;
    readonly trailingPercent: Decimal;
    readonly supportBufferPct: Decimal;
  };
  readonly takeProfit: { readonly method: TakeProfitMethod; readonly riskRewardRatio: Decimal };
  readonly orderManagement: {
    readonly entryOrderType: 'market' | 'limit';
    readonly limitOffsetBps: Decimal;
    readonly timeInForce: TimeInForce | undefined;
    readonly orderTimeoutMs: number | null;
    readonly pollIntervalMs: number;
    readonly endedOrdersKept: number;
  };
  readonly marketHours: {
    readonly queueWhenClosed: boolean;
    readonly cancelAtClose: boolean;
    readonly preMarket: boolean;
    readonly afterHours: boolean;
    readonly queueCheckIntervalMs: number;
  };
  readonly recovery: {
    readonly onMismatch: 'adopt' | 'halt';
    readonly reconcileIntervalMs: number;
    readonly resendUnacknowledged: boolean;
    readonly maxResendAgeMs: number;
    readonly retries: number;
    readonly retryDelayMs: number;
    readonly retryAfterFailureMs: number;
    readonly checkpointEveryRecords: number;
    readonly checkpointCheckMs: number;
  };
  readonly errorHandling: {
    readonly retries: number;
    readonly minDelayMs: number;
    readonly factor: number;
    readonly maxDelayMs: number;
    readonly resizeOnInsufficientFunds: boolean;
    readonly fallbackOrderType: 'none' | 'marketable_limit';
  };
  readonly checks: Readonly<Record<PreTradeCheckCode, boolean>>;
  readonly accountRefreshMs: number;
}

/** The specification's defaults, as given (see docs/configuration.md). */
export const DEFAULT_ENGINE_CONFIG = {
  maxPositions: 5,
  maxPositionSizePct: 10,
  maxAccountExposurePct: 50,
  minSignalStrength: 70,
  maxSignalAgeMs: 300_000 as number | null,
  dailyLossLimitPct: 2,
  riskPerTradePct: 1,
  minTradeSize: 100,
  allowScaleIn: false,
  allowShorting: false,
  allowFractional: true,
  sizing: { method: 'fixed_fractional', notional: 1_000, quantity: 1, scaleByStrength: false },
  stopLoss: { method: 'percent', percent: 2, atrMultiplier: 1.5, trailingPercent: 1, supportBufferPct: 0.1 },
  takeProfit: { method: 'risk_reward', riskRewardRatio: 2 },
  orderManagement: { entryOrderType: 'market', limitOffsetBps: 10, orderTimeoutMs: 60_000, pollIntervalMs: 1_000, endedOrdersKept: 10_000 },
  marketHours: { queueWhenClosed: false, cancelAtClose: false, preMarket: false, afterHours: false, queueCheckIntervalMs: 60_000 },
  recovery: { onMismatch: 'adopt', reconcileIntervalMs: 30_000, resendUnacknowledged: true, maxResendAgeMs: 300_000, retries: 5, retryDelayMs: 1_000, retryAfterFailureMs: 60_000, checkpointEveryRecords: 40_000, checkpointCheckMs: 60_000 },
  errorHandling: { retries: 3, minDelayMs: 1_000, factor: 2, maxDelayMs: 30_000, resizeOnInsufficientFunds: true, fallbackOrderType: 'none' },
  accountRefreshMs: 5_000,
} as const;

const TOP_KEYS = new Set([...Object.keys(DEFAULT_ENGINE_CONFIG), 'checks']);

/**
 * Fills defaults, parses decimals and validates. Throws one {@link ConfigurationError} naming
 * every invalid or unknown field (unknown keys are usually typos of real ones).
 */
export function resolveEngineConfig(config: EngineConfig = {}): ResolvedEngineConfig {
  // `null`, an array or a string is not a configuration: say so, rather than a TypeError or silence.
  if (!isPlainObject(config)) throw new ConfigurationError([{ field: 'config', message: `must be an object, got ${describeValue(config)}` }]);
  const issues: ValidationIssue[] = [];
  const raw = config as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!TOP_KEYS.has(key)) issues.push({ field: key, message: 'is not a configuration option' });

  const section = (name: keyof typeof DEFAULT_ENGINE_CONFIG): Record<string, unknown> => {
    const value = raw[name];
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      issues.push({ field: name, message: `must be an object, got ${describeValue(value)}` });
      return {};
    }
    const known = Object.keys(DEFAULT_ENGINE_CONFIG[name] as object);
    for (const key of Object.keys(value)) {
      if (!known.includes(key) && !(name === 'orderManagement' && key === 'timeInForce')) issues.push({ field: `${name}.${key}`, message: 'is not a configuration option' });
    }
    return value as Record<string, unknown>;
  };
  const sizing = section('sizing');
  const stopLoss = section('stopLoss');
  const takeProfit = section('takeProfit');
  const orders = section('orderManagement');
  const hours = section('marketHours');
  const errors = section('errorHandling');
  const recovery = section('recovery');

  const dec = (value: unknown, fallback: number, field: string, opts: { min?: number; max?: number; positive?: boolean } = {}): Decimal => {
    const parsed = parseDecimal(value ?? fallback, field);
    if (!(parsed instanceof Decimal)) {
      issues.push(parsed);
      return new Decimal(fallback);
    }
    if (opts.positive && !parsed.greaterThan(0)) issues.push({ field, message: `must be greater than zero, got ${parsed.toString()}` });
    if (opts.min !== undefined && parsed.lessThan(opts.min)) issues.push({ field, message: `must be at least ${opts.min}, got ${parsed.toString()}` });
    if (opts.max !== undefined && parsed.greaterThan(opts.max)) issues.push({ field, message: `must be at most ${opts.max}, got ${parsed.toString()}` });
    return parsed;
  };
  const int = (value: unknown, fallback: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.push({ field, message: `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${String(v)}` });
      return fallback;
    }
    return v;
  };
  const bool = (value: unknown, fallback: boolean, field: string): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') issues.push({ field, message: `must be true or false, got ${JSON.stringify(value)}` });
    return value === true;
  };
  const oneOf = <T extends string>(value: unknown, allowed: readonly T[], fallback: T, field: string): T => {
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    issues.push({ field, message: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}` });
    return fallback;
  };
  const D = DEFAULT_ENGINE_CONFIG;

  const checks = {} as Record<PreTradeCheckCode, boolean>;
  if (raw.checks !== undefined && !isPlainObject(raw.checks)) issues.push({ field: 'checks', message: `must be an object of check names to true/false, got ${describeValue(raw.checks)}` });
  const rawChecks = (isPlainObject(raw.checks) ? raw.checks : {}) as Record<string, unknown>;
  for (const key of Object.keys(rawChecks)) {
    if (!(PRE_TRADE_CHECKS as readonly string[]).includes(key)) issues.push({ field: `checks.${key}`, message: `is not a check (one of ${PRE_TRADE_CHECKS.join(', ')})` });
  }
  for (const code of PRE_TRADE_CHECKS) checks[code] = bool(rawChecks[code], true, `checks.${code}`);

  const timeout = orders.orderTimeoutMs === null ? null : int(orders.orderTimeoutMs, D.orderManagement.orderTimeoutMs, 'orderManagement.orderTimeoutMs', 1);
  const timeInForce = orders.timeInForce === undefined ? undefined : oneOf(orders.timeInForce, TIME_IN_FORCE, 'day', 'orderManagement.timeInForce');

  const resolved: ResolvedEngineConfig = {
    maxPositions: int(raw.maxPositions, D.maxPositions, 'maxPositions', 1),
    maxPositionSizePct: dec(raw.maxPositionSizePct, D.maxPositionSizePct, 'maxPositionSizePct', { positive: true, max: 100 }),
    maxAccountExposurePct: dec(raw.maxAccountExposurePct, D.maxAccountExposurePct, 'maxAccountExposurePct', { positive: true, max: 10_000 }),
    minSignalStrength: int(raw.minSignalStrength, D.minSignalStrength, 'minSignalStrength', 0, 100),
    maxSignalAgeMs: raw.maxSignalAgeMs === null ? null : int(raw.maxSignalAgeMs, D.maxSignalAgeMs!, 'maxSignalAgeMs', 1),
    dailyLossLimitPct: dec(raw.dailyLossLimitPct, D.dailyLossLimitPct, 'dailyLossLimitPct', { positive: true, max: 100 }),
    riskPerTradePct: dec(raw.riskPerTradePct, D.riskPerTradePct, 'riskPerTradePct', { positive: true, max: 100 }),
    minTradeSize: dec(raw.minTradeSize, D.minTradeSize, 'minTradeSize', { min: 0 }),
    allowScaleIn: bool(raw.allowScaleIn, D.allowScaleIn, 'allowScaleIn'),
    allowShorting: bool(raw.allowShorting, D.allowShorting, 'allowShorting'),
    allowFractional: bool(raw.allowFractional, D.allowFractional, 'allowFractional'),
    sizing: {
      method: oneOf(sizing.method, SIZING_METHODS, D.sizing.method, 'sizing.method'),
      notional: dec(sizing.notional, D.sizing.notional, 'sizing.notional', { positive: true }),
      quantity: dec(sizing.quantity, D.sizing.quantity, 'sizing.quantity', { positive: true }),
      scaleByStrength: bool(sizing.scaleByStrength, D.sizing.scaleByStrength, 'sizing.scaleByStrength'),
    },
    stopLoss: {
      method: oneOf(stopLoss.method, STOP_LOSS_METHODS, D.stopLoss.method, 'stopLoss.method'),
      percent: dec(stopLoss.percent, D.stopLoss.percent, 'stopLoss.percent', { positive: true, max: 100 }),
      atrMultiplier: dec(stopLoss.atrMultiplier, D.stopLoss.atrMultiplier, 'stopLoss.atrMultiplier', { positive: true }),
      trailingPercent: dec(stopLoss.trailingPercent, D.stopLoss.trailingPercent, 'stopLoss.trailingPercent', { positive: true, max: 100 }),
      supportBufferPct: dec(stopLoss.supportBufferPct, D.stopLoss.supportBufferPct, 'stopLoss.supportBufferPct', { min: 0, max: 100 }),
    },
    takeProfit: {
      method: oneOf(takeProfit.method, TAKE_PROFIT_METHODS, D.takeProfit.method, 'takeProfit.method'),
      riskRewardRatio: dec(takeProfit.riskRewardRatio, D.takeProfit.riskRewardRatio, 'takeProfit.riskRewardRatio', { positive: true }),
    },
    orderManagement: {
      entryOrderType: oneOf(orders.entryOrderType, ['market', 'limit'] as const, D.orderManagement.entryOrderType, 'orderManagement.entryOrderType'),
      limitOffsetBps: dec(orders.limitOffsetBps, D.orderManagement.limitOffsetBps, 'orderManagement.limitOffsetBps', { min: 0, max: 10_000 }),
      timeInForce,
      orderTimeoutMs: timeout,
      pollIntervalMs: int(orders.pollIntervalMs, D.orderManagement.pollIntervalMs, 'orderManagement.pollIntervalMs', 1),
      endedOrdersKept: int(orders.endedOrdersKept, D.orderManagement.endedOrdersKept, 'orderManagement.endedOrdersKept', 1),
    },
    marketHours: {
      queueWhenClosed: bool(hours.queueWhenClosed, D.marketHours.queueWhenClosed, 'marketHours.queueWhenClosed'),
      cancelAtClose: bool(hours.cancelAtClose, D.marketHours.cancelAtClose, 'marketHours.cancelAtClose'),
      preMarket: bool(hours.preMarket, D.marketHours.preMarket, 'marketHours.preMarket'),
      afterHours: bool(hours.afterHours, D.marketHours.afterHours, 'marketHours.afterHours'),
      queueCheckIntervalMs: int(hours.queueCheckIntervalMs, D.marketHours.queueCheckIntervalMs, 'marketHours.queueCheckIntervalMs', 1),
    },
    recovery: {
      onMismatch: oneOf(recovery.onMismatch, ['adopt', 'halt'] as const, D.recovery.onMismatch, 'recovery.onMismatch'),
      reconcileIntervalMs: int(recovery.reconcileIntervalMs, D.recovery.reconcileIntervalMs, 'recovery.reconcileIntervalMs', 0),
      resendUnacknowledged: bool(recovery.resendUnacknowledged, D.recovery.resendUnacknowledged, 'recovery.resendUnacknowledged'),
      maxResendAgeMs: int(recovery.maxResendAgeMs, D.recovery.maxResendAgeMs, 'recovery.maxResendAgeMs', 0),
      retries: int(recovery.retries, D.recovery.retries, 'recovery.retries', 0, 50),
      retryDelayMs: int(recovery.retryDelayMs, D.recovery.retryDelayMs, 'recovery.retryDelayMs', 0),
      retryAfterFailureMs: int(recovery.retryAfterFailureMs, D.recovery.retryAfterFailureMs, 'recovery.retryAfterFailureMs', 0),
      checkpointEveryRecords: int(recovery.checkpointEveryRecords, D.recovery.checkpointEveryRecords, 'recovery.checkpointEveryRecords', 0),
      checkpointCheckMs: int(recovery.checkpointCheckMs, D.recovery.checkpointCheckMs, 'recovery.checkpointCheckMs', 0),
    },
    errorHandling: {
      retries: int(errors.retries, D.errorHandling.retries, 'errorHandling.retries', 0, 20),
      minDelayMs: int(errors.minDelayMs, D.errorHandling.minDelayMs, 'errorHandling.minDelayMs', 0),
      factor: int(errors.factor, D.errorHandling.factor, 'errorHandling.factor', 1, 10),
      maxDelayMs: int(errors.maxDelayMs, D.errorHandling.maxDelayMs, 'errorHandling.maxDelayMs', 0),
      resizeOnInsufficientFunds: bool(errors.resizeOnInsufficientFunds, D.errorHandling.resizeOnInsufficientFunds, 'errorHandling.resizeOnInsufficientFunds'),
      fallbackOrderType: oneOf(errors.fallbackOrderType, ['none', 'marketable_limit'] as const, D.errorHandling.fallbackOrderType, 'errorHandling.fallbackOrderType'),
    },
    checks,
    accountRefreshMs: int(raw.accountRefreshMs, D.accountRefreshMs, 'accountRefreshMs', 1),
  };
  if (issues.length > 0) throw new ConfigurationError(issues);
  return resolved;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;
}
