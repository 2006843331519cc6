import type { ValidationIssue } from '../core/errors.js';
import type { Order } from './order.js';

/**
 * Orders a broker links natively:
 * - `bracket`: `[entry, takeProfit, stopLoss]` — the exits wait until the entry fills completely,
 *   then one cancels the other;
 * - `oto`: `[entry, exit]` — one-triggers-other, the exit waits for the entry;
 * - `oco`: `[takeProfit, stopLoss]` — one-cancels-other exits for a position already held.
 *
 * The first order is the parent (the one the broker keys the list by); the rest are its legs.
 */
export const ORDER_LIST_KINDS = ['bracket', 'oto', 'oco'] as const;
export type OrderListKind = (typeof ORDER_LIST_KINDS)[number];

export interface OrderList {
  readonly kind: OrderListKind;
  readonly orders: readonly Order[];
}

const SIZES: Readonly<Record<OrderListKind, number>> = { bracket: 3, oto: 2, oco: 2 };

/** The role of each position in a list, for messages and for matching a broker's legs to ours. */
export function listRoles(kind: OrderListKind): readonly ('entry' | 'takeProfit' | 'stopLoss' | 'exit')[] {
  return kind === 'bracket' ? ['entry', 'takeProfit', 'stopLoss'] : kind === 'oto' ? ['entry', 'exit'] : ['takeProfit', 'stopLoss'];
}

/**
 * The rules every broker with native lists shares: one symbol, one quantity, exits on the other
 * side of the entry, a take-profit that is a limit beyond the stop. Broker-specific rules (time in
 * force, extended hours) belong to the adapter.
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export function orderListIssues(kind: OrderListKind, orders: readonly Order[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (orders.length !== SIZES[kind]) {
    issues.push({ field: 'orders', message: `a ${kind} has ${SIZES[kind]} orders (${listRoles(kind).join(', ')}), got ${orders.length}` });
    return issues;
  }
  const [first] = orders as [Order, ...Order[]];
  for (const [i, order] of orders.entries()) {
    const role = listRoles(kind)[i]!;
    if (order.symbol !== first.symbol) issues.push({ field: `${role}.symbol`, message: `must be ${first.symbol} like the rest of the ${kind}` });
    if (!order.quantity.equals(first.quantity)) issues.push({ field: `${role}.quantity`, message: `must equal ${first.quantity.toString()}` });
  }
  const exits = kind === 'oco' ? orders : orders.slice(1);
  const exitSide = exits[0]!.side;
  if (kind !== 'oco' && exitSide === first.side) issues.push({ field: 'exit.side', message: `must be opposite the entry (${first.side})` });
  if (exits.some((o) => o.side !== exitSide)) issues.push({ field: 'side', message: 'every exit must be on the same side' });
  const takeProfit = kind === 'bracket' ? orders[1] : kind === 'oco' ? orders[0] : undefined;
  const stopLoss = kind === 'bracket' ? orders[2] : kind === 'oco' ? orders[1] : undefined;
  if (takeProfit && takeProfit.type !== 'limit') issues.push({ field: 'takeProfit.type', message: `must be limit, is ${takeProfit.type}` });
  if (stopLoss && stopLoss.type !== 'stop' && stopLoss.type !== 'stop_limit' && stopLoss.type !== 'trailing_stop') {
    issues.push({ field: 'stopLoss.type', message: `must be stop, stop_limit or trailing_stop, is ${stopLoss.type}` });
  }
  const tp = takeProfit?.limitPrice;
  const sl = stopLoss?.stopPrice;
  if (tp && sl) {
    // Exits selling a long: the target is above the stop; exits buying back a short: below.
    const ok = exitSide === 'sell' ? tp.greaterThan(sl) : tp.lessThan(sl);
    if (!ok) issues.push({ field: 'takeProfit.limitPrice', message: `must be ${exitSide === 'sell' ? 'above' : 'below'} the stop ${sl.toString()}` });
  }
  return issues;
}
