import { BrokerError, Decimal, type Order, type OrderList, orderListIssues } from 'tradewire';
import { toOandaInstrument, toOandaUnits } from './instruments.js';
import type { OandaInstrumentJson } from './wire.js';

/** An OANDA `OrderRequest` (POST /orders, PUT /orders/{id}), decimals as strings. */
export interface OandaOrderRequest {
  type: 'MARKET' | 'LIMIT' | 'STOP' | 'MARKET_IF_TOUCHED';
  instrument: string;
  units: string;
  timeInForce: 'FOK' | 'IOC' | 'GTC' | 'GTD' | 'GFD';
  positionFill: 'DEFAULT' | 'REDUCE_ONLY';
  price?: string;
  priceBound?: string;
  gtdTime?: string;
  clientExtensions: { id: string; comment?: string };
  takeProfitOnFill?: DependentOrder;
  stopLossOnFill?: DependentOrder;
  trailingStopLossOnFill?: DependentOrder;
}

/** A take-profit / stop-loss / trailing stop attached to a trade (on fill, or later). */
export interface DependentOrder {
  price?: string;
  distance?: string;
  timeInForce: 'GTC' | 'GTD' | 'GFD';
  gtdTime?: string;
  clientExtensions: { id: string };
}

const TYPES = { market: 'MARKET', limit: 'LIMIT', stop: 'STOP', stop_limit: 'STOP', market_if_touched: 'MARKET_IF_TOUCHED' } as const;
const TIF = { fok: 'FOK', ioc: 'IOC', gtc: 'GTC', gtd: 'GTD', day: 'GFD' } as const;

function refuse(issues: readonly string[], what: string): never {
  throw new BrokerError('invalid_order', `OANDA: ${what} breaks OANDA's rules: ${issues.join('; ')}`, { details: { issues } });
}

/**
 * Rounds to the instrument's display precision by one rule for every kind: a buy price down, a sell
 * price up — a limit is never worse than asked, a stop triggers no later than asked.
 */
export function oandaPrice(value: Decimal, instrument: OandaInstrumentJson, side: 'buy' | 'sell'): string {
  return value.toDecimalPlaces(instrument.displayPrecision, side === 'buy' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP).toFixed(instrument.displayPrecision);
}

/** Units rounded down to the instrument's precision, refused below its minimum trade size. */
export function oandaUnits(order: Pick<Order, 'side' | 'quantity' | 'clientOrderId'>, instrument: OandaInstrumentJson): string {
  const units = order.quantity.toDecimalPlaces(instrument.tradeUnitsPrecision, Decimal.ROUND_DOWN);
  if (instrument.minimumTradeSize && units.lessThan(instrument.minimumTradeSize)) {
    refuse([`${order.quantity.toString()} units is below ${instrument.name}'s minimum trade size ${instrument.minimumTradeSize}`], `order ${order.clientOrderId}`);
  }
  return toOandaUnits(order.side, units);
}

/** One order → OANDA's request, after OANDA's rules. Our client order id goes in `clientExtensions.id`. */
export function oandaOrderRequest(order: Order, instrument: OandaInstrumentJson): OandaOrderRequest {
  const issues: string[] = [];
  if (order.type === 'trailing_stop') issues.push('OANDA has trailing stops only on a trade (as a stop-loss leg of a bracket or OCO)');
  if (order.notional) issues.push('OANDA takes units, not notional amounts');
  if (order.type !== 'market' && (order.timeInForce === 'fok' || order.timeInForce === 'ioc') && order.type !== 'limit') issues.push(`${order.type} orders take GTC, GTD or GFD`);
  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') issues.push(`OANDA has no ${order.timeInForce} orders`);
  if (issues.length > 0) refuse(issues, `order ${order.clientOrderId}`);
  const stopLimit = order.type === 'stop_limit';
  return {
    type: TYPES[order.type as keyof typeof TYPES],
    instrument: toOandaInstrument(order.symbol),
    units: oandaUnits(order, instrument),
    // A market order fills now or not at all: FOK (OANDA's default) unless IOC was asked for.
    timeInForce: order.type === 'market' ? (order.timeInForce === 'ioc' ? 'IOC' : 'FOK') : TIF[order.timeInForce as keyof typeof TIF],
    positionFill: order.reduceOnly ? 'REDUCE_ONLY' : 'DEFAULT',
    ...(order.type === 'limit' && order.limitPrice ? { price: oandaPrice(order.limitPrice, instrument, order.side) } : {}),
    ...((order.type === 'stop' || stopLimit || order.type === 'market_if_touched') && order.stopPrice ? { price: oandaPrice(order.stopPrice, instrument, order.side) } : {}),
    // A stop-limit is OANDA's STOP with a price bound: it will not fill beyond the limit — and when
    // the price gaps through the bound OANDA cancels it (BOUNDS_VIOLATION) rather than leave a limit
    // resting. Documented; never used for protection.
    ...(stopLimit && order.limitPrice ? { priceBound: oandaPrice(order.limitPrice, instrument, order.side) } : {}),
    ...(order.type === 'market' && order.priceBound ? { priceBound: oandaPrice(order.priceBound, instrument, order.side) } : {}),
    ...(order.timeInForce === 'gtd' && order.expiresAt !== undefined ? { gtdTime: new Date(order.expiresAt).toISOString() } : {}),
    clientExtensions: { id: order.clientOrderId },
  };
}

/** A protective leg → OANDA's dependent order on the trade, named with our client order id. */
export function dependentOrder(leg: Order, instrument: OandaInstrumentJson, reference: Decimal | undefined): DependentOrder {
  const timing = dependentTimeInForce(leg);
  if (leg.type === 'trailing_stop') {
    const asked = leg.trailAmount ?? (leg.trailPercent && reference ? reference.times(leg.trailPercent).dividedBy(100) : undefined);
    if (!asked) refuse(['a trailing stop by percent needs the entry price'], `leg ${leg.clientOrderId}`);
    // OANDA refuses a distance outside the instrument's limits: the closest (or farthest) allowed instead.
    let distance = asked.toDecimalPlaces(instrument.displayPrecision, Decimal.ROUND_DOWN);
    if (instrument.minimumTrailingStopDistance && distance.lessThan(instrument.minimumTrailingStopDistance)) distance = new Decimal(instrument.minimumTrailingStopDistance);
    if (instrument.maximumTrailingStopDistance && distance.greaterThan(instrument.maximumTrailingStopDistance)) distance = new Decimal(instrument.maximumTrailingStopDistance);
    return { distance: distance.toFixed(instrument.displayPrecision), ...timing, clientExtensions: { id: leg.clientOrderId } };
  }
  const price = leg.type === 'limit' ? leg.limitPrice : leg.stopPrice;
  if (!price) refuse(['a take-profit needs a limit price and a stop-loss a stop price'], `leg ${leg.clientOrderId}`);
  return { price: oandaPrice(price, instrument, leg.side), ...timing, clientExtensions: { id: leg.clientOrderId } };
}

/** A dependent order's time in force: v20 takes GTC, GTD (with its `gtdTime`) or GFD on a take-profit or stop-loss. */
function dependentTimeInForce(leg: Order): { timeInForce: 'GTC' | 'GTD' | 'GFD'; gtdTime?: string } {
  switch (leg.timeInForce) {
    case 'gtd':
      if (leg.expiresAt === undefined) refuse(['a GTD leg needs expiresAt'], `leg ${leg.clientOrderId}`);
      return { timeInForce: 'GTD', gtdTime: new Date(leg.expiresAt).toISOString() };
    case 'day':
      return { timeInForce: 'GFD' };
    case 'gtc':
      return { timeInForce: 'GTC' };
    default:
      return refuse([`a take-profit or stop-loss on a trade takes gtc, gtd or day, not ${leg.timeInForce}`], `leg ${leg.clientOrderId}`);
  }
}

/** Where each leg goes: `takeProfit` for the limit, `stopLoss` or `trailingStopLoss` for the stop kinds. */
export function dependentKey(leg: Order): 'takeProfit' | 'stopLoss' | 'trailingStopLoss' {
  return leg.type === 'limit' ? 'takeProfit' : leg.type === 'trailing_stop' ? 'trailingStopLoss' : 'stopLoss';
}

/** A bracket or OTO → the entry's request with its legs as on-fill dependent orders (native brackets). */
export function oandaListRequest(list: OrderList, instrument: OandaInstrumentJson): OandaOrderRequest {
  const issues = orderListIssues(list.kind, list.orders).map((i) => `${i.field} ${i.message}`);
  if (issues.length > 0) refuse(issues, list.kind);
  const [entry, ...legs] = list.orders as [Order, ...Order[]];
  const request = oandaOrderRequest(entry, instrument);
  const reference = entry.limitPrice ?? entry.stopPrice ?? entry.priceBound;
  for (const leg of legs) {
    const dependent = dependentOrder(leg, instrument, reference);
    const key = dependentKey(leg);
    if (key === 'takeProfit') request.takeProfitOnFill = dependent;
    else if (key === 'stopLoss') request.stopLossOnFill = dependent;
    else request.trailingStopLossOnFill = dependent;
  }
  return request;
}
