import {
  type AccountSnapshot,
  type AssetInfo,
  Decimal,
  type Fill,
  type OrderStatus,
  type OrderStatusReport,
  type OrderType,
  type PositionReport,
  type TimeInForce,
} from 'tradewire';
import { fromOandaUnits } from './instruments.js';

/**
 * OANDA v20's documented JSON, as it travels: every decimal a string, ids as strings, times RFC 3339.
 * Only the fields tradewire reads are listed.
 */
export interface OandaClientExtensions {
  readonly id?: string;
  readonly tag?: string;
  readonly comment?: string;
}

export interface OandaOrderJson {
  readonly id: string;
  readonly createTime?: string;
  readonly state: 'PENDING' | 'FILLED' | 'TRIGGERED' | 'CANCELLED' | string;
  readonly type: string;
  readonly instrument?: string;
  readonly units?: string;
  readonly timeInForce?: string;
  readonly price?: string;
  readonly priceBound?: string;
  readonly distance?: string;
  readonly gtdTime?: string;
  readonly tradeID?: string;
  readonly clientExtensions?: OandaClientExtensions;
  readonly fillingTransactionID?: string;
  readonly filledTime?: string;
  readonly cancellingTransactionID?: string;
  readonly cancelledTime?: string;
  readonly replacesOrderID?: string;
  readonly replacedByOrderID?: string;
}

/** Any transaction; the fields of the kinds tradewire reads. */
export interface OandaTransactionJson {
  readonly id: string;
  readonly type: string;
  readonly time?: string;
  readonly accountID?: string;
  readonly orderID?: string;
  readonly clientOrderID?: string;
  readonly instrument?: string;
  readonly units?: string;
  readonly price?: string;
  readonly distance?: string;
  readonly timeInForce?: string;
  readonly tradeID?: string;
  readonly reason?: string;
  readonly rejectReason?: string;
  readonly clientExtensions?: OandaClientExtensions;
  readonly commission?: string;
  readonly financing?: string;
  readonly pl?: string;
  readonly replacesOrderID?: string;
  readonly replacedByOrderID?: string;
  /** An `*_ORDER_REJECT` of a replacement: the order it was to replace, which stays as it was. */
  readonly intendedReplacesOrderID?: string;
  readonly accountBalance?: string;
  readonly lastTransactionID?: string;
  /** ORDER_CLIENT_EXTENSIONS_MODIFY: the order's new client extensions. */
  readonly clientExtensionsModify?: OandaClientExtensions;
  /** ORDER_FILL: the volume-weighted price of all its units (v20 `fullVWAP`). */
  readonly fullVWAP?: string;
  /** ORDER_FILL: the trade it opened, reduced, closed — each with the units and the official price they filled at. */
  readonly tradeOpened?: OandaTradeFillJson;
  readonly tradeReduced?: OandaTradeFillJson;
  readonly tradesClosed?: readonly OandaTradeFillJson[];
}

/** v20 TradeOpen / TradeReduce: a trade's part of an ORDER_FILL. */
export interface OandaTradeFillJson {
  readonly tradeID: string;
  readonly units: string;
  readonly price?: string;
  readonly realizedPL?: string;
}

export interface OandaAccountSummaryJson {
  readonly id: string;
  readonly currency: string;
  readonly balance: string;
  readonly NAV: string;
  readonly unrealizedPL?: string;
  readonly marginUsed?: string;
  readonly marginAvailable?: string;
  readonly marginRate?: string;
  readonly lastTransactionID?: string;
}

export interface OandaInstrumentJson {
  readonly name: string;
  readonly type?: string;
  readonly displayPrecision: number;
  readonly tradeUnitsPrecision: number;
  readonly minimumTradeSize?: string;
  readonly marginRate?: string;
  /** The closest and farthest a trailing stop may trail (v20 Instrument), in price units. */
  readonly minimumTrailingStopDistance?: string;
  readonly maximumTrailingStopDistance?: string;
}

export interface OandaPositionJson {
  readonly instrument: string;
  readonly long?: { readonly units: string; readonly averagePrice?: string; readonly unrealizedPL?: string };
  readonly short?: { readonly units: string; readonly averagePrice?: string; readonly unrealizedPL?: string };
  readonly unrealizedPL?: string;
}

export interface OandaTradeJson {
  readonly id: string;
  readonly instrument: string;
  readonly price: string;
  readonly currentUnits: string;
  readonly state?: string;
  readonly takeProfitOrder?: OandaOrderJson;
  readonly stopLossOrder?: OandaOrderJson;
  readonly trailingStopLossOrder?: OandaOrderJson;
}

/** OANDA order types → the core's (dependent take-profit / stop-loss orders are limits and stops). */
const TYPES: Readonly<Record<string, OrderType>> = {
  MARKET: 'market',
  LIMIT: 'limit',
  STOP: 'stop',
  MARKET_IF_TOUCHED: 'market_if_touched',
  TAKE_PROFIT: 'limit',
  STOP_LOSS: 'stop',
  GUARANTEED_STOP_LOSS: 'stop',
  TRAILING_STOP_LOSS: 'trailing_stop',
};

const TIME_IN_FORCE: Readonly<Record<string, TimeInForce>> = { GTC: 'gtc', GTD: 'gtd', GFD: 'day', FOK: 'fok', IOC: 'ioc' };

export function orderTypeFromOanda(type: string): OrderType {
  return TYPES[type.replace(/_ORDER$/, '')] ?? 'market';
}

function statusFromOanda(order: OandaOrderJson): OrderStatus {
  switch (order.state) {
    case 'FILLED':
      return 'filled';
    case 'CANCELLED':
      return order.replacedByOrderID ? 'replaced' : 'cancelled';
    default:
      return 'accepted';
  }
}

/**
 * What an ORDER_CANCEL's reason (v20 `OrderCancelReason`) means to the core: the time in force ran out
 * (`expired`); OANDA refused to let the order work — margin, bounds, a halted market, FIFO, account
 * or instrument limits, an on-fill leg it could not attach (`rejected`, with the reason); or a cancel
 * proper — ours, a linked trade closed, an IOC/FOK remainder (`cancelled`).
 */
export function cancelOutcome(reason: string | undefined): 'expired' | 'rejected' | 'cancelled' {
  if (!reason) return 'cancelled';
  if (reason === 'TIME_IN_FORCE_EXPIRED') return 'expired';
  if (REJECTION_REASONS.has(reason) || /_ON_FILL_|^ACCOUNT_.*LOCKED$|^INSTRUMENT_(BID|ASK)_(HALTED|REDUCE_ONLY)$/.test(reason)) return 'rejected';
  return 'cancelled';
}

const REJECTION_REASONS = new Set([
  'INSUFFICIENT_MARGIN',
  'BOUNDS_VIOLATION',
  'MARKET_HALTED',
  'FIFO_VIOLATION',
  'POSITION_SIZE_EXCEEDED',
  'OPEN_TRADES_ALLOWED_EXCEEDED',
  'PENDING_ORDERS_ALLOWED_EXCEEDED',
  'ACCOUNT_POSITION_VALUE_LIMIT_EXCEEDED',
  'HEDGING_GSLO_VIOLATION',
  'LOSING_TAKE_PROFIT',
  'CLIENT_TRADE_ID_ALREADY_EXISTS',
]);

/** The fill an ORDER_FILL transaction is: its transaction id is the fill id, here and on the stream. */
export function fillFromOanda(transaction: OandaTransactionJson): Fill {
  return {
    executionId: transaction.id,
    quantity: new Decimal(transaction.units ?? 0).abs(),
    price: fillPrice(transaction),
    commission: new Decimal(transaction.commission ?? 0).abs(),
    time: Date.parse(transaction.time ?? '') || 0,
  };
}

/**
 * The price of an ORDER_FILL. v20 deprecates the transaction's `price` ("should no longer be used.
 * The individual tradesClosed, tradeReduced and tradeOpened fields contain the exact/official price
 * each unit was filled at"): the units-weighted average of those, else `fullVWAP`, and only then the
 * deprecated `price`.
 */
function fillPrice(tx: OandaTransactionJson): Decimal {
  const parts = [...(tx.tradesClosed ?? []), ...(tx.tradeReduced ? [tx.tradeReduced] : []), ...(tx.tradeOpened ? [tx.tradeOpened] : [])].filter((p) => p.price !== undefined);
  let units = new Decimal(0);
  let notional = new Decimal(0);
  for (const part of parts) {
    const size = new Decimal(part.units).abs();
    units = units.plus(size);
    notional = notional.plus(size.times(part.price!));
  }
  if (units.greaterThan(0)) return notional.dividedBy(units);
  return new Decimal(tx.fullVWAP ?? tx.price ?? 0);
}

/**
 * An OANDA order (and, when filled, its fill transaction) → the core's report. A dependent order
 * (take-profit, stop-loss on a trade) has no units: it closes its trade, so `tradeUnits` gives them.
 */
export function orderReportFromOanda(
  order: OandaOrderJson,
  options: { readonly clientOrderId?: string; readonly fill?: OandaTransactionJson; readonly tradeUnits?: string; readonly instrument?: string } = {},
): OrderStatusReport {
  const type = orderTypeFromOanda(order.type);
  const signed = order.units ?? (options.tradeUnits ? new Decimal(options.tradeUnits).negated().toString() : '0');
  const { side, quantity } = fromOandaUnits(signed);
  const fills = options.fill ? [fillFromOanda(options.fill)] : [];
  const filledQuantity = fills.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
  const status = statusFromOanda(order);
  const price = order.price ? new Decimal(order.price) : undefined;
  return {
    clientOrderId: options.clientOrderId ?? order.clientExtensions?.id ?? order.id,
    brokerOrderId: order.id,
    symbol: order.instrument ?? options.instrument ?? '',
    side,
    type,
    ...(order.timeInForce && TIME_IN_FORCE[order.timeInForce] ? { timeInForce: TIME_IN_FORCE[order.timeInForce]! } : {}),
    status,
    quantity: quantity.isZero() ? filledQuantity : quantity,
    filledQuantity,
    ...(fills[0] ? { averageFillPrice: fills[0].price } : {}),
    ...(price && type === 'limit' ? { limitPrice: price } : {}),
    ...(price && (type === 'stop' || type === 'market_if_touched') ? { stopPrice: price } : {}),
    ...(options.fill || status !== 'filled' ? { fills } : {}),
    ...(order.replacesOrderID ? { replacesBrokerOrderId: order.replacesOrderID } : {}),
    updatedAt: Date.parse(order.filledTime ?? order.cancelledTime ?? order.createTime ?? '') || 0,
    raw: order,
  };
}

/** The account summary; buying power is the margin available at the account's margin rate. */
export function accountFromOanda(account: OandaAccountSummaryJson, at: number): AccountSnapshot {
  const marginAvailable = new Decimal(account.marginAvailable ?? account.NAV);
  const rate = account.marginRate ? new Decimal(account.marginRate) : undefined;
  return {
    accountId: account.id,
    currency: account.currency,
    equity: new Decimal(account.NAV),
    cash: new Decimal(account.balance),
    buyingPower: rate && rate.greaterThan(0) ? marginAvailable.dividedBy(rate) : marginAvailable,
    ...(account.marginUsed ? { marginUsed: new Decimal(account.marginUsed) } : {}),
    marginAvailable,
    ...(account.unrealizedPL ? { unrealizedPnl: new Decimal(account.unrealizedPL) } : {}),
    at,
  };
}

/** Units step and minimum, price step and margin rate, from the instruments endpoint. */
export function assetFromOanda(instrument: OandaInstrumentJson): AssetInfo {
  return {
    symbol: instrument.name,
    assetClass: 'forex',
    tradable: true,
    fractionable: instrument.tradeUnitsPrecision > 0,
    shortable: true,
    quantityIncrement: new Decimal(10).pow(-instrument.tradeUnitsPrecision),
    ...(instrument.minimumTradeSize ? { minQuantity: new Decimal(instrument.minimumTradeSize) } : {}),
    priceIncrement: new Decimal(10).pow(-instrument.displayPrecision),
    ...(instrument.marginRate ? { marginRate: new Decimal(instrument.marginRate) } : {}),
    // v20 names an instrument BASE_QUOTE (EUR_USD, USD_JPY, DE30_EUR): its prices are in the quote currency.
    quoteCurrency: instrument.name.slice(instrument.name.lastIndexOf('_') + 1),
  };
}

/**
 * One instrument's position, net of its long and short sides (a hedging account can hold both;
 * the report carries the net, the raw sides stay in the broker's data).
 */
export function positionFromOanda(position: OandaPositionJson): PositionReport {
  const long = new Decimal(position.long?.units ?? 0);
  const short = new Decimal(position.short?.units ?? 0);
  const net = long.plus(short);
  const side = net.isNegative() ? position.short : position.long;
  return {
    symbol: position.instrument,
    assetClass: 'forex',
    quantity: net,
    averageEntryPrice: new Decimal(side?.averagePrice ?? 0),
    ...(position.unrealizedPL ? { unrealizedPnl: new Decimal(position.unrealizedPL) } : {}),
  };
}
