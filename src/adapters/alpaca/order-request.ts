import { BrokerError, Decimal, type Order, type OrderChanges, type OrderList, orderListIssues } from 'tradewire';
import { ALPACA_CAPABILITIES } from './capabilities.js';
import { limitRounding, roundAlpacaPrice } from './prices.js';

/**
 * The body of `POST /v2/orders`, in the SDK's camelCase (it writes Alpaca's snake_case). Decimals
 * travel as strings, never as JS numbers.
 */
export interface AlpacaOrderBody {
  symbol: string;
  /** Units, or … */
  qty?: string;
  /** … an amount in dollars (fractional market orders, time in force day). */
  notional?: string;
  side: 'buy' | 'sell';
  type: Order['type'];
  timeInForce: Order['timeInForce'];
  clientOrderId: string;
  limitPrice?: string;
  stopPrice?: string;
  trailPercent?: string;
  trailPrice?: string;
  extendedHours?: boolean;
  orderClass?: 'simple' | 'bracket' | 'oco' | 'oto';
  takeProfit?: { limitPrice: string };
  stopLoss?: { stopPrice: string; limitPrice?: string };
}

/** The body of `PATCH /v2/orders/{id}`: Alpaca takes one `trail` for either kind of trailing stop. */
export interface AlpacaReplaceBody {
  qty?: string;
  limitPrice?: string;
  stopPrice?: string;
  trail?: string;
}

const CRYPTO_TIME_IN_FORCE = new Set(['gtc', 'ioc']);
const CRYPTO_TYPES = new Set(['market', 'limit', 'stop_limit']);

/** Alpaca's rules for one order, checked before anything is sent. */
export function alpacaOrderIssues(order: Order): string[] {
  const issues: string[] = [];
  if (!ALPACA_CAPABILITIES.orderTypes.includes(order.type)) issues.push(`Alpaca has no ${order.type} orders`);
  if (!ALPACA_CAPABILITIES.timeInForce.includes(order.timeInForce)) issues.push(`Alpaca has no time in force ${order.timeInForce}`);
  if (order.priceBound) issues.push('Alpaca has no price bound on market orders (use a marketable limit)');
  if (order.extendedHours && (order.type !== 'limit' || order.timeInForce !== 'day')) issues.push('extended hours orders must be limit orders with time in force day');
  if (order.assetClass === 'crypto') {
    if (!CRYPTO_TIME_IN_FORCE.has(order.timeInForce)) issues.push(`crypto orders take time in force gtc or ioc, not ${order.timeInForce}`);
    if (!CRYPTO_TYPES.has(order.type)) issues.push(`crypto orders are market, limit or stop_limit, not ${order.type}`);
  }
  if ((order.timeInForce === 'opg' || order.timeInForce === 'cls') && order.type !== 'market' && order.type !== 'limit') {
    issues.push(`${order.timeInForce} orders must be market or limit`);
  }
  if (order.type === 'trailing_stop' && !order.trailPercent && !order.trailAmount) issues.push('a trailing stop needs trailPercent or trailAmount');
  if (order.notional && (order.type !== 'market' || (order.assetClass === 'equity' && order.timeInForce !== 'day'))) issues.push('notional orders must be market orders with time in force day');
  // Fractional trading docs: "Alpaca currently supports fractional trading for `market` and `day`
  // order types"; "Both `notional` and `qty` fields can take up to 9 decimal point values".
  if (order.assetClass === 'equity' && !order.notional && !order.quantity.isInteger() && (order.type !== 'market' || order.timeInForce !== 'day')) {
    issues.push(`a fractional quantity (${order.quantity.toFixed()}) must be a market order with time in force day`);
  }
  if (!order.notional && order.quantity.decimalPlaces() > 9) issues.push(`qty takes at most 9 decimal places, got ${order.quantity.toFixed()}`);
  return issues;
}

/** Alpaca's extra rules for a bracket, OCO or OTO (on top of the shared list rules). */
export function alpacaListIssues(list: OrderList): string[] {
  const issues = orderListIssues(list.kind, list.orders).map((i) => `${i.field} ${i.message}`);
  for (const order of list.orders) {
    if (order.timeInForce !== 'day' && order.timeInForce !== 'gtc') issues.push(`${list.kind} orders take time in force day or gtc, not ${order.timeInForce}`);
    if (order.extendedHours) issues.push(`${list.kind} orders cannot trade in extended hours`);
    if (order.assetClass !== 'equity') issues.push(`${list.kind} orders are for equities only`);
    issues.push(...alpacaOrderIssues(order));
  }
  if (list.kind === 'oco' && list.orders[0]?.type !== 'limit') issues.push('an OCO is sent as its limit (take-profit) order');
  if (list.orders.some((o, i) => i > 0 && o.type === 'trailing_stop')) issues.push(`Alpaca does not allow a trailing stop inside a ${list.kind}`);
  return [...new Set(issues)];
}

function refuse(issues: readonly string[], what: string): never {
  throw new BrokerError('invalid_order', `Alpaca: ${what} breaks Alpaca's rules: ${issues.join('; ')}`, { details: { issues } });
}

/**
 * Equity prices go to Alpaca's increments (2 decimals from $1, 4 below) instead of being rejected
 * as sub-penny, by one rule for every kind: a buy price rounds down, a sell price up — so a limit is
 * never worse than asked and a stop triggers no later than asked. Crypto prices are sent as given.
 */
function price(order: Pick<Order, 'assetClass' | 'side'>, value: Decimal): string {
  // Fixed notation always: Decimal's toString() writes 5e-8, which Alpaca does not read as a number.
  return order.assetClass === 'crypto' ? value.toFixed() : roundAlpacaPrice(value, limitRounding(order.side)).toFixed();
}

/**
 * A trailing stop's dollar offset moves a stop price, so it goes to the stop's increment — cents —
 * rounded toward the tighter stop (sub-cent offsets only below $1, where prices take 4 decimals).
 */
function trailPrice(order: Pick<Order, 'assetClass'>, value: Decimal): string {
  if (order.assetClass === 'crypto') return value.toFixed();
  const cents = value.toDecimalPlaces(2, Decimal.ROUND_DOWN);
  return (cents.isZero() ? value.toDecimalPlaces(4, Decimal.ROUND_DOWN) : cents).toFixed();
}

function prices(order: Order): Pick<AlpacaOrderBody, 'limitPrice' | 'stopPrice' | 'trailPercent' | 'trailPrice'> {
  return {
    ...(order.limitPrice && (order.type === 'limit' || order.type === 'stop_limit') ? { limitPrice: price(order, order.limitPrice) } : {}),
    ...(order.stopPrice && (order.type === 'stop' || order.type === 'stop_limit') ? { stopPrice: price(order, order.stopPrice) } : {}),
    ...(order.type === 'trailing_stop' && order.trailPercent ? { trailPercent: order.trailPercent.toFixed() } : {}),
    ...(order.type === 'trailing_stop' && order.trailAmount ? { trailPrice: trailPrice(order, order.trailAmount) } : {}),
  };
}

/** One order → Alpaca's body, after its rules. Our client order id is Alpaca's idempotency key. */
export function alpacaOrderBody(order: Order): AlpacaOrderBody {
  const issues = alpacaOrderIssues(order);
  if (issues.length > 0) refuse(issues, `order ${order.clientOrderId}`);
  return {
    symbol: order.symbol,
    ...(order.notional ? { notional: order.notional.toFixed(2) } : { qty: order.quantity.toFixed() }),
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    clientOrderId: order.clientOrderId,
    ...prices(order),
    ...(order.extendedHours ? { extendedHours: true } : {}),
  };
}

/**
 * A list → one Alpaca order with an order class: the parent's fields, and the legs as
 * `take_profit` / `stop_loss`. Alpaca names the legs itself; the core matches them by role.
 */
export function alpacaListBody(list: OrderList): AlpacaOrderBody {
  const issues = alpacaListIssues(list);
  if (issues.length > 0) refuse(issues, `${list.kind} ${list.orders[0]?.clientOrderId ?? ''}`);
  const [parent, ...legs] = list.orders as [Order, ...Order[]];
  if (list.orders.some((o) => o.notional)) refuse(['order lists take quantities, not notional amounts'], list.kind);
  const takeProfit = list.kind === 'oco' ? parent : legs.find((o) => o.type === 'limit');
  const stopLoss = legs.find((o) => o.type === 'stop' || o.type === 'stop_limit');
  const body = { ...alpacaOrderBody(parent), orderClass: list.kind };
  if (takeProfit?.limitPrice) body.takeProfit = { limitPrice: price(takeProfit, takeProfit.limitPrice) };
  if (stopLoss?.stopPrice) {
    body.stopLoss = {
      stopPrice: price(stopLoss, stopLoss.stopPrice),
      ...(stopLoss.type === 'stop_limit' && stopLoss.limitPrice ? { limitPrice: price(stopLoss, stopLoss.limitPrice) } : {}),
    };
  }
  return body;
}

/** The PATCH body for a replace; prices rounded like a new order's. */
export function alpacaReplaceBody(order: Order, changes: OrderChanges): AlpacaReplaceBody {
  const trail = changes.trailPercent ?? changes.trailAmount;
  return {
    ...(changes.quantity ? { qty: changes.quantity.toFixed() } : {}),
    ...(changes.limitPrice ? { limitPrice: price(order, changes.limitPrice) } : {}),
    ...(changes.stopPrice ? { stopPrice: price(order, changes.stopPrice) } : {}),
    ...(trail ? { trail: changes.trailAmount ? trailPrice(order, changes.trailAmount) : trail.toFixed() } : {}),
  };
}
