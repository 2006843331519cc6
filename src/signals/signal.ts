import { compareDecimal, Decimal, type DecimalInput, ONE, parsePositive } from '../core/decimal.js';
import type { Mutable } from '../core/mutable.js';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { ASSET_CLASSES, type AssetClass, ORDER_SIDES, type OrderSide } from '../model/trading-types.js';

/** What a bot hands the engine. Decimal hints may be given as Decimal, string or number. */
export interface Signal {
  readonly id: string;
  readonly symbol: string;
  readonly side: OrderSide;
  /** Conviction from 0 to 100. */
  readonly strength: number;
  /** When the bot produced it, epoch ms. */
  readonly time: number;
  readonly strategyId: string;
  /** Default: what the broker says the symbol is (`getAsset`), else `equity`. */
  readonly assetClass?: AssetClass;
  /** The price the bot expects to trade at; sizing uses it when the engine has no fresher price. */
  readonly expectedPrice?: DecimalInput;
  /** Where the bot would put the stop (drives fixed-fractional sizing and protection). */
  readonly stopPrice?: DecimalInput;
  readonly targetPrice?: DecimalInput;
  /** Average true range, for ATR-based stops. */
  readonly atr?: DecimalInput;
  /** A support level below the price (long stops with `stopLoss.method: 'support'`, short targets with `takeProfit.method: 'resistance'`). */
  readonly supportLevel?: DecimalInput;
  /** A resistance level above the price (long targets with `takeProfit.method: 'resistance'`, short stops with `stopLoss.method: 'support'`). */
  readonly resistanceLevel?: DecimalInput;
  /** For an exit: the fraction of the position to close, 0 < f ≤ 1 (default 1, all of it). */
  readonly exitFraction?: DecimalInput;
  /**
   * For an entry: a multiple of the size the engine's sizing gives (default 1) — how a desk gives
   * each account its share when several mirror one signal (a weight of 0.25 trades a quarter).
   */
  readonly allocation?: DecimalInput;
  /**
   * For an entry: the units to trade, instead of the sizing method (a rebalance). The limits still
   * cap it; and, being an instruction rather than an idea, it may add to a position whatever its
   * P&L (the default policy's scale-in rules are for sized signals).
   */
  readonly quantity?: DecimalInput;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A validated signal: decimals parsed, defaults applied. */
export interface ParsedSignal {
  readonly id: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly strength: number;
  readonly time: number;
  readonly strategyId: string;
  readonly assetClass: AssetClass;
  readonly expectedPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly targetPrice?: Decimal;
  readonly atr?: Decimal;
  readonly supportLevel?: Decimal;
  readonly resistanceLevel?: Decimal;
  readonly exitFraction: Decimal;
  readonly allocation?: Decimal;
  readonly quantity?: Decimal;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The signal as given, for events and the audit trail. */
  readonly original: Signal;
}

/**
 * Checks a signal and parses its decimals. Collects every problem and throws one
 * {@link ValidationError} (code `validation_failed`) listing them all.
 */
export function parseSignal(signal: Signal): ParsedSignal {
  const issues: ValidationIssue[] = [];
  const raw = (signal ?? {}) as unknown as Record<string, unknown>;
  const text = (field: string): string => {
    const value = raw[field];
    if (typeof value !== 'string' || value.trim() === '') {
      issues.push({ field, message: 'must be a non-empty string' });
      return '';
    }
    return value.trim();
  };
  const id = text('id');
  const symbol = text('symbol');
  const strategyId = text('strategyId');
  if (!ORDER_SIDES.includes(raw.side as OrderSide)) issues.push({ field: 'side', message: `must be buy or sell, got ${JSON.stringify(raw.side)}` });
  const strength = raw.strength;
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 100) {
    issues.push({ field: 'strength', message: `must be a number from 0 to 100, got ${String(strength)}` });
  }
  if (typeof raw.time !== 'number' || !Number.isFinite(raw.time)) issues.push({ field: 'time', message: 'must be epoch milliseconds' });
  const assetClass = raw.assetClass ?? 'equity';
  if (!ASSET_CLASSES.includes(assetClass as AssetClass)) issues.push({ field: 'assetClass', message: `must be one of ${ASSET_CLASSES.join(', ')}` });

  const positive = (field: string): Decimal | undefined => parsePositive(raw[field], field, issues);
  const expectedPrice = positive('expectedPrice');
  const stopPrice = positive('stopPrice');
  const targetPrice = positive('targetPrice');
  const atr = positive('atr');
  const supportLevel = positive('supportLevel');
  const resistanceLevel = positive('resistanceLevel');
  const exitFraction = positive('exitFraction') ?? ONE;
  const allocation = positive('allocation');
  const quantity = positive('quantity');
  if (compareDecimal(exitFraction, ONE) > 0) issues.push({ field: 'exitFraction', message: 'must be at most 1' });

  if (issues.length > 0) throw new ValidationError(issues, 'signal');
  const parsed: Mutable<ParsedSignal> = {
    id,
    symbol,
    side: raw.side as OrderSide,
    strength: strength as number,
    time: raw.time as number,
    strategyId,
    assetClass: assetClass as AssetClass,
    exitFraction,
    metadata: signal.metadata ?? {},
    original: signal,
  };
  // Assigned rather than spread in: every signal passes here (see docs/benchmarks.md).
  if (expectedPrice) parsed.expectedPrice = expectedPrice;
  if (stopPrice) parsed.stopPrice = stopPrice;
  if (targetPrice) parsed.targetPrice = targetPrice;
  if (atr) parsed.atr = atr;
  if (supportLevel) parsed.supportLevel = supportLevel;
  if (resistanceLevel) parsed.resistanceLevel = resistanceLevel;
  if (allocation && !allocation.equals(ONE)) parsed.allocation = allocation;
  if (quantity) parsed.quantity = quantity;
  return parsed;
}
