import type { Clock } from '../core/clock.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { parsePositive, ZERO } from '../core/decimal.js';
import { EMPTY_LIST, EMPTY_RECORD } from '../core/empty.js';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import { type Order, type OrderLinks, shapeOrder } from './order.js';
import {
  ASSET_CLASSES,
  type AssetClass,
  ORDER_SIDES,
  ORDER_TYPES,
  type OrderSide,
  type OrderType,
  TIME_IN_FORCE,
  type TimeInForce,
} from './trading-types.js';

/** What a caller asks for. Decimals may be given as Decimal, string or number. */
export interface OrderRequest {
  readonly symbol: string;
  readonly side: OrderSide;
  /** Units to trade; required unless `notional` is given. */
  readonly quantity?: DecimalInput;
  /** An amount of money to trade instead (market orders only, where the broker supports it). */
  readonly notional?: DecimalInput;
  /** Default `market`. */
  readonly type?: OrderType;
  /** Default `day` (`gtc` for crypto, which has no session). */
  readonly timeInForce?: TimeInForce;
  /** Default `equity`. */
  readonly assetClass?: AssetClass;
  readonly limitPrice?: DecimalInput;
  readonly stopPrice?: DecimalInput;
  /** Trailing stops: a percent of the price (e.g. `1` for 1%), or … */
  readonly trailPercent?: DecimalInput;
  /** … an amount in price units. Exactly one of the two. */
  readonly trailAmount?: DecimalInput;
  /** Market orders: the worst price to accept (where the broker supports it). */
  readonly priceBound?: DecimalInput;
  /** Required for time in force `gtd`: when the order expires (epoch ms or a Date). */
  readonly expiresAt?: number | Date;
  readonly extendedHours?: boolean;
  readonly reduceOnly?: boolean;
  /** Supply your own idempotency key; by default one is generated. At most 48 characters. */
  readonly clientOrderId?: string;
  readonly accountId?: string;
  readonly signalId?: string;
  readonly strategyId?: string;
  readonly links?: OrderLinks;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The longest client order id every supported broker accepts (Alpaca: 48). */
export const MAX_CLIENT_ORDER_ID_LENGTH = 48;
const CLIENT_ORDER_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/**
 * Validates a request and builds a new order in status `created`. Collects every problem and
 * throws one {@link ValidationError} listing them all.
 */
export function createOrder(request: OrderRequest, deps: { clock: Clock; ids: IdGenerator }): Order {
  const issues: ValidationIssue[] = [];
  const raw = request as unknown as Record<string, unknown>;

  const symbol = typeof raw.symbol === 'string' ? raw.symbol.trim() : '';
  if (!symbol) issues.push({ field: 'symbol', message: 'must be a non-empty string' });

  const side = oneOf(raw.side, ORDER_SIDES, 'side', issues, undefined);
  const type = oneOf(raw.type, ORDER_TYPES, 'type', issues, 'market');
  const assetClass = oneOf(raw.assetClass, ASSET_CLASSES, 'assetClass', issues, 'equity');
  const timeInForce = oneOf(raw.timeInForce, TIME_IN_FORCE, 'timeInForce', issues, assetClass === 'crypto' ? 'gtc' : 'day');

  const notional = positive(raw.notional, 'notional', issues, false);
  const quantity = notional ? ZERO : positive(raw.quantity, 'quantity', issues, true);
  if (notional && raw.quantity !== undefined) issues.push({ field: 'quantity', message: 'must not be given with notional (one or the other)' });
  if (notional && type !== 'market') issues.push({ field: 'notional', message: `is for market orders only, not ${type}` });
  const limitPrice = positive(raw.limitPrice, 'limitPrice', issues, type === 'limit' || type === 'stop_limit');
  const stopPrice = positive(raw.stopPrice, 'stopPrice', issues, type === 'stop' || type === 'stop_limit' || type === 'market_if_touched');
  const priceBound = positive(raw.priceBound, 'priceBound', issues, false);
  if (priceBound && type !== 'market') issues.push({ field: 'priceBound', message: `is for market orders only, not ${type}` });
  const expiresAt = raw.expiresAt instanceof Date ? raw.expiresAt.getTime() : raw.expiresAt;
  if (timeInForce === 'gtd' && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= deps.clock.now())) {
    issues.push({ field: 'expiresAt', message: 'is required for gtd orders, as a time in the future' });
  } else if (expiresAt !== undefined && timeInForce !== 'gtd') {
    issues.push({ field: 'expiresAt', message: `is only used by gtd orders, not ${timeInForce}` });
  }
  const trailPercent = positive(raw.trailPercent, 'trailPercent', issues, false);
  const trailAmount = positive(raw.trailAmount, 'trailAmount', issues, false);

  if (limitPrice && type !== 'limit' && type !== 'stop_limit') {
    issues.push({ field: 'limitPrice', message: `is not used by ${type} orders` });
  }
  if (stopPrice && type !== 'stop' && type !== 'stop_limit' && type !== 'market_if_touched') {
    issues.push({ field: 'stopPrice', message: `is not used by ${type} orders` });
  }
  if (type === 'trailing_stop') {
    if (Boolean(trailPercent) === Boolean(trailAmount)) {
      issues.push({ field: 'trailPercent', message: 'or trailAmount is required for trailing_stop orders (exactly one)' });
    }
    if (trailPercent && trailPercent.greaterThanOrEqualTo(100)) {
      issues.push({ field: 'trailPercent', message: 'must be below 100' });
    }
  } else if (trailPercent || trailAmount) {
    issues.push({ field: trailPercent ? 'trailPercent' : 'trailAmount', message: `is not used by ${type} orders` });
  }

  const clientOrderId = raw.clientOrderId === undefined ? deps.ids.next('tw') : raw.clientOrderId;
  if (typeof clientOrderId !== 'string' || !CLIENT_ORDER_ID_PATTERN.test(clientOrderId)) {
    issues.push({ field: 'clientOrderId', message: 'must be letters, digits and . _ : - only' });
  } else if (clientOrderId.length > MAX_CLIENT_ORDER_ID_LENGTH) {
    issues.push({ field: 'clientOrderId', message: `must be at most ${MAX_CLIENT_ORDER_ID_LENGTH} characters` });
  }
  for (const flag of ['extendedHours', 'reduceOnly'] as const) {
    if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean') issues.push({ field: flag, message: 'must be a boolean' });
  }

  if (issues.length > 0 || !side || !quantity) throw new ValidationError(issues, 'order request');

  const now = deps.clock.now();
  return shapeOrder({
    clientOrderId: clientOrderId as string,
    brokerOrderIds: EMPTY_LIST,
    accountId: request.accountId || undefined,
    symbol,
    assetClass,
    side,
    type,
    timeInForce,
    quantity,
    notional,
    limitPrice,
    stopPrice,
    trailPercent,
    trailAmount,
    priceBound,
    expiresAt: typeof expiresAt === 'number' && timeInForce === 'gtd' ? expiresAt : undefined,
    extendedHours: request.extendedHours ?? false,
    reduceOnly: request.reduceOnly ?? false,
    status: 'created',
    filledQuantity: ZERO,
    fills: EMPTY_LIST,
    commission: ZERO,
    createdAt: now,
    updatedAt: now,
    signalId: request.signalId || undefined,
    strategyId: request.strategyId || undefined,
    links: request.links && Object.keys(request.links).length > 0 ? { ...request.links } : EMPTY_RECORD,
    tags: request.tags && Object.keys(request.tags).length > 0 ? { ...request.tags } : EMPTY_RECORD,
  });
}

function oneOf<T extends string, D extends T | undefined>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  issues: ValidationIssue[],
  fallback: D,
): T | D {
  if (value === undefined) {
    if (fallback === undefined) issues.push({ field, message: `is required (one of ${allowed.join(', ')})` });
    return fallback;
  }
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  issues.push({ field, message: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}` });
  return fallback;
}

function positive(value: unknown, field: string, issues: ValidationIssue[], required: boolean): Decimal | undefined {
  if ((value === undefined || value === null) && required) issues.push({ field, message: 'is required' });
  return parsePositive(value, field, issues);
}
