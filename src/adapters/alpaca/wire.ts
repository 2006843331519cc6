import {
  type AccountSnapshot,
  type AssetClass,
  type AssetInfo,
  Decimal,
  type MarketCalendarDay,
  type MarketClock,
  type OrderSide,
  type OrderStatus,
  type OrderStatusReport,
  type OrderType,
  type PositionReport,
  type TimeInForce,
} from 'tradewire';

/**
 * Alpaca's documented JSON (trading API v2), as it travels: snake_case, every decimal a string.
 * Only the fields tradewire reads are listed; the rest are kept in `raw` for the audit trail.
 */
export interface AlpacaOrderJson {
  readonly id: string;
  readonly client_order_id: string;
  readonly created_at?: string;
  readonly updated_at?: string | null;
  readonly submitted_at?: string | null;
  readonly filled_at?: string | null;
  readonly symbol: string;
  readonly asset_class?: string;
  readonly qty?: string | null;
  readonly notional?: string | null;
  readonly filled_qty?: string | null;
  readonly filled_avg_price?: string | null;
  readonly order_class?: string;
  readonly type?: string;
  readonly order_type?: string;
  readonly side: string;
  readonly time_in_force: string;
  readonly limit_price?: string | null;
  readonly stop_price?: string | null;
  readonly trail_percent?: string | null;
  readonly trail_price?: string | null;
  readonly hwm?: string | null;
  readonly status: string;
  readonly extended_hours?: boolean;
  readonly replaced_by?: string | null;
  readonly replaces?: string | null;
  readonly legs?: readonly AlpacaOrderJson[] | null;
}

/** The SDK's camelCase names for the snake_case fields tradewire reads (its stream rebuilds legs with only these). */
const SDK_NAMES: Readonly<Record<string, string>> = {
  client_order_id: 'clientOrderId',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  submitted_at: 'submittedAt',
  filled_at: 'filledAt',
  asset_class: 'assetClass',
  filled_qty: 'filledQty',
  filled_avg_price: 'filledAvgPrice',
  order_class: 'orderClass',
  order_type: 'orderType',
  time_in_force: 'timeInForce',
  limit_price: 'limitPrice',
  stop_price: 'stopPrice',
  trail_percent: 'trailPercent',
  trail_price: 'trailPrice',
  extended_hours: 'extendedHours',
  replaced_by: 'replacedBy',
};

/**
 * An order as Alpaca sent it, whatever the SDK made of it. The SDK's stream passes `order` through
 * `OrderFromJSON`, which keeps the snake_case fields but rebuilds `legs` as camelCase objects
 * (`clientOrderId`, `filledQty`, dates as `Date`): legs are brought back to the wire's names, so a
 * leg keeps its client order id and its fills.
 */
export function orderFromSdk(order: AlpacaOrderJson): AlpacaOrderJson {
  if (!order.legs || order.legs.length === 0) return order;
  return { ...order, legs: order.legs.map((leg) => legFromSdk(leg as unknown as Record<string, unknown>)) };
}

function legFromSdk(leg: Record<string, unknown>): AlpacaOrderJson {
  if (typeof leg.client_order_id === 'string') return leg as unknown as AlpacaOrderJson;
  const out: Record<string, unknown> = { ...leg };
  for (const [snake, camel] of Object.entries(SDK_NAMES)) {
    if (out[snake] !== undefined || leg[camel] === undefined) continue;
    const value = leg[camel];
    out[snake] = value instanceof Date ? value.toISOString() : value;
  }
  if (out.type === undefined && out.order_type !== undefined) out.type = out.order_type;
  return out as unknown as AlpacaOrderJson;
}

export interface AlpacaAccountJson {
  readonly id: string;
  readonly account_number?: string;
  readonly currency?: string;
  readonly status?: string;
  readonly equity: string;
  readonly cash: string;
  readonly buying_power: string;
  readonly initial_margin?: string;
  readonly daytrade_count?: number;
  readonly pattern_day_trader?: boolean;
  readonly trading_blocked?: boolean;
  readonly account_blocked?: boolean;
}

export interface AlpacaPositionJson {
  readonly symbol: string;
  readonly asset_class?: string;
  readonly qty: string;
  readonly side?: string;
  readonly avg_entry_price: string;
  readonly current_price?: string | null;
  readonly unrealized_pl?: string | null;
}

export interface AlpacaAssetJson {
  readonly symbol: string;
  readonly class?: string;
  readonly status?: string;
  readonly tradable: boolean;
  readonly fractionable?: boolean;
  readonly shortable?: boolean;
  readonly easy_to_borrow?: boolean;
  readonly min_order_size?: string;
  readonly min_trade_increment?: string;
  readonly price_increment?: string;
}

export interface AlpacaClockJson {
  readonly timestamp: string;
  readonly is_open: boolean;
  readonly next_open: string;
  readonly next_close: string;
}

export interface AlpacaCalendarJson {
  readonly date: string;
  readonly open: string;
  readonly close: string;
}

/** One `trade_updates` message's `data`. */
export interface AlpacaTradeUpdateJson {
  readonly event: string;
  readonly execution_id?: string;
  readonly timestamp?: string;
  readonly price?: string;
  readonly qty?: string;
  readonly position_qty?: string;
  readonly order: AlpacaOrderJson;
}

/**
 * Alpaca's order statuses → the core's. `held` (a bracket leg waiting for its entry), `stopped`,
 * `suspended`, `done_for_day` and `accepted_for_bidding` are still live orders; `calculated` is a
 * finished day whose status depends on what filled.
 */
const STATUS: Readonly<Record<string, OrderStatus>> = {
  pending_new: 'submitted',
  new: 'accepted',
  accepted: 'accepted',
  accepted_for_bidding: 'accepted',
  held: 'accepted',
  stopped: 'accepted',
  suspended: 'accepted',
  done_for_day: 'accepted',
  partially_filled: 'partially_filled',
  filled: 'filled',
  canceled: 'cancelled',
  expired: 'expired',
  replaced: 'replaced',
  pending_cancel: 'pending_cancel',
  pending_replace: 'pending_replace',
  rejected: 'rejected',
};

export function orderStatusFromAlpaca(order: AlpacaOrderJson): OrderStatus {
  const filled = new Decimal(order.filled_qty ?? 0);
  if (order.status === 'calculated') {
    return order.qty && filled.equals(order.qty) ? 'filled' : filled.isZero() ? 'accepted' : 'partially_filled';
  }
  const status = STATUS[order.status] ?? 'accepted';
  // A live order that has filled in part (`done_for_day`, `held`, `stopped`, … with a filled_qty) is partially filled.
  return status === 'accepted' && !filled.isZero() ? 'partially_filled' : status;
}

/**
 * An Alpaca order → the core's report. `clientOrderId` overrides Alpaca's when the adapter knows the
 * logical order (a replacement, which Alpaca gives a new id). A trailing stop's moving
 * `stop_price` is not reported as a change of ours.
 */
export function orderReportFromAlpaca(order: AlpacaOrderJson, clientOrderId: string = order.client_order_id): OrderStatusReport {
  const type = (order.type ?? order.order_type ?? 'market') as OrderType;
  const status = orderStatusFromAlpaca(order);
  // A notional order's units are known once it is done: until then it reports nothing filled, so the
  // core never sees fills beyond a quantity it does not know yet.
  const pendingNotional = Boolean(order.notional) && (status === 'partially_filled' || status === 'accepted' || status === 'submitted' || status === 'pending_cancel' || status === 'pending_replace');
  const quantity = pendingNotional ? '0' : (order.qty ?? notionalUnits(order, status) ?? order.filled_qty ?? '0');
  const filledQuantity = pendingNotional ? '0' : (order.filled_qty ?? '0');
  return {
    clientOrderId,
    brokerOrderId: order.id,
    symbol: order.symbol,
    side: order.side as OrderSide,
    type,
    timeInForce: order.time_in_force as TimeInForce,
    status: pendingNotional && status === 'partially_filled' ? 'accepted' : status,
    quantity: new Decimal(quantity),
    filledQuantity: new Decimal(filledQuantity),
    ...(order.filled_avg_price && !pendingNotional ? { averageFillPrice: new Decimal(order.filled_avg_price) } : {}),
    ...(order.limit_price ? { limitPrice: new Decimal(order.limit_price) } : {}),
    ...(order.stop_price && type !== 'trailing_stop' ? { stopPrice: new Decimal(order.stop_price) } : {}),
    ...(order.replaces ? { replacesBrokerOrderId: order.replaces } : {}),
    ...(order.legs && order.legs.length > 0 ? { legs: order.legs.map((leg) => orderReportFromAlpaca(leg)) } : {}),
    updatedAt: Date.parse(order.updated_at ?? order.submitted_at ?? order.created_at ?? '') || 0,
    raw: order,
  };
}

/**
 * A notional order that ended before its amount was spent (cancelled, expired with a part filled)
 * has no `qty`: its size in units is the amount at the average fill price, so the part filled reads
 * as part of it — partially filled, then cancelled — not as a whole order filled.
 */
function notionalUnits(order: AlpacaOrderJson, status: OrderStatus): string | undefined {
  if (!order.notional || !order.filled_avg_price || status === 'filled') return undefined;
  const filled = new Decimal(order.filled_qty ?? 0);
  if (filled.isZero()) return undefined;
  const units = new Decimal(order.notional).dividedBy(order.filled_avg_price).toDecimalPlaces(9, Decimal.ROUND_DOWN);
  return Decimal.max(units, filled).toFixed();
}

export function accountFromAlpaca(account: AlpacaAccountJson, at: number): AccountSnapshot {
  return {
    accountId: account.account_number ?? account.id,
    currency: account.currency ?? 'USD',
    equity: new Decimal(account.equity),
    cash: new Decimal(account.cash),
    buyingPower: new Decimal(account.buying_power),
    ...(account.initial_margin ? { marginUsed: new Decimal(account.initial_margin) } : {}),
    ...(account.daytrade_count === undefined ? {} : { dayTradeCount: account.daytrade_count }),
    ...(account.pattern_day_trader === undefined ? {} : { patternDayTrader: account.pattern_day_trader }),
    tradingBlocked: Boolean(account.trading_blocked || account.account_blocked),
    at,
  };
}

export function assetClassFromAlpaca(value: string | undefined): AssetClass {
  return value === 'crypto' ? 'crypto' : 'equity';
}

export function positionFromAlpaca(position: AlpacaPositionJson): PositionReport {
  const quantity = new Decimal(position.qty);
  // Alpaca reports a short as a negative qty with side "short"; keep the sign either way.
  const signed = position.side === 'short' && quantity.isPositive() ? quantity.negated() : quantity;
  return {
    symbol: position.symbol,
    assetClass: assetClassFromAlpaca(position.asset_class),
    quantity: signed,
    averageEntryPrice: new Decimal(position.avg_entry_price),
    ...(position.current_price ? { marketPrice: new Decimal(position.current_price) } : {}),
    ...(position.unrealized_pl ? { unrealizedPnl: new Decimal(position.unrealized_pl) } : {}),
  };
}

/** Whole shares unless the asset is fractionable (Alpaca: to 9 decimals); crypto by its own increment. */
export function assetFromAlpaca(asset: AlpacaAssetJson): AssetInfo {
  const assetClass = assetClassFromAlpaca(asset.class);
  const increment = asset.min_trade_increment ?? (asset.fractionable ? '0.000000001' : '1');
  return {
    symbol: asset.symbol,
    assetClass,
    tradable: asset.tradable && asset.status !== 'inactive',
    fractionable: asset.fractionable ?? false,
    shortable: asset.shortable ?? false,
    ...(asset.easy_to_borrow === undefined ? {} : { easyToBorrow: asset.easy_to_borrow }),
    quantityIncrement: new Decimal(increment),
    ...(asset.min_order_size ? { minQuantity: new Decimal(asset.min_order_size) } : {}),
    ...(asset.price_increment ? { priceIncrement: new Decimal(asset.price_increment) } : {}),
    ...quoteOf(asset.symbol, assetClass),
  };
}

/** US equities are priced in USD; a crypto pair in its quote (BTC/USD in USD, ETH/BTC in BTC); a pair without a slash is left unsaid. */
function quoteOf(symbol: string, assetClass: AssetInfo['assetClass']): { quoteCurrency?: string } {
  if (assetClass !== 'crypto') return { quoteCurrency: 'USD' };
  const slash = symbol.indexOf('/');
  return slash > 0 ? { quoteCurrency: symbol.slice(slash + 1) } : {};
}

export function clockFromAlpaca(clock: AlpacaClockJson): MarketClock {
  return { isOpen: clock.is_open, nextOpen: Date.parse(clock.next_open), nextClose: Date.parse(clock.next_close), at: Date.parse(clock.timestamp) };
}

export function calendarDayFromAlpaca(day: AlpacaCalendarJson): MarketCalendarDay {
  return { date: day.date, open: day.open, close: day.close };
}
