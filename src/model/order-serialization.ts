import { Decimal } from '../core/decimal.js';
import type { Fill } from './fill.js';
import { type Order, shapeOrder } from './order.js';
import { type OrderChanges, type OrderEvent, ORDER_CHANGE_DECIMALS } from './order-event.js';

/**
 * Orders, fills and events as plain JSON (decimals as strings), for journals and wire
 * transport. `fromJSON(toJSON(x))` equals `x`.
 */
type Jsonify<T> = T extends Decimal
  ? string
  : T extends readonly (infer U)[]
    ? readonly Jsonify<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Jsonify<T[K]> }
      : T;

export type FillJSON = Jsonify<Fill>;
export type OrderJSON = Jsonify<Omit<Order, 'fills'>> & { readonly fills: readonly FillJSON[] };
/** An order event as JSON; `raw` is kept as given (it is already the broker's JSON). */
export type OrderEventJSON = Record<string, unknown> & { readonly type: OrderEvent['type']; readonly at: number };

/** An order's decimal fields (written as strings). */
export const ORDER_DECIMALS = [
  'quantity',
  'notional',
  'limitPrice',
  'stopPrice',
  'trailPercent',
  'trailAmount',
  'priceBound',
  'filledQuantity',
  'averageFillPrice',
  'commission',
] as const;

export function fillToJSON(fill: Fill): FillJSON {
  return {
    executionId: fill.executionId,
    quantity: fill.quantity.toString(),
    price: fill.price.toString(),
    commission: fill.commission.toString(),
    time: fill.time,
  };
}

export function fillFromJSON(json: FillJSON): Fill {
  return {
    executionId: json.executionId,
    quantity: new Decimal(json.quantity),
    price: new Decimal(json.price),
    commission: new Decimal(json.commission),
    time: json.time,
  };
}

export function orderToJSON(order: Order): OrderJSON {
  const out: Record<string, unknown> = { ...order, fills: order.fills.map(fillToJSON) };
  for (const key of ORDER_DECIMALS) {
    const value = order[key];
    if (value !== undefined) out[key] = value.toString();
  }
  return out as OrderJSON;
}

export function orderFromJSON(json: OrderJSON): Order {
  const out: Record<string, unknown> = { ...json, fills: json.fills.map(fillFromJSON) };
  for (const key of ORDER_DECIMALS) {
    const value = json[key];
    if (value !== undefined) out[key] = new Decimal(value);
  }
  return shapeOrder(out as unknown as Order);
}


export function orderEventToJSON(event: OrderEvent): OrderEventJSON {
  const out: Record<string, unknown> = { ...event };
  if (event.type === 'filled') out.fill = fillToJSON(event.fill);
  if (event.type === 'modified' || event.type === 'replace_requested') out.changes = orderChangesToJSON(event.changes);
  return out as OrderEventJSON;
}

/** A modification's changes as JSON (decimals as strings). */
export function orderChangesToJSON(changes: OrderChanges): Record<string, string> {
  const out: Record<string, string> = changes.type ? { type: changes.type } : {};
  for (const key of ORDER_CHANGE_DECIMALS) {
    const value = changes[key];
    if (value !== undefined) out[key] = value.toString();
  }
  return out;
}

export function orderEventFromJSON(json: OrderEventJSON): OrderEvent {
  const out: Record<string, unknown> = { ...json };
  if (json.type === 'filled') out.fill = fillFromJSON(json.fill as FillJSON);
  if (json.type === 'modified' || json.type === 'replace_requested') {
    const changes: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(json.changes as Record<string, string>)) changes[key] = key === 'type' ? value : new Decimal(value);
    out.changes = changes;
  }
  return out as unknown as OrderEvent;
}
