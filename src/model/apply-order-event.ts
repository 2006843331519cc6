import { appended } from '../core/appended.js';
import { addDecimals, compareDecimal, type Decimal, isAboveZero, multiplyDecimals } from '../core/decimal.js';
import type { Mutable } from '../core/mutable.js';
import { InvalidOrderTransitionError, OverfillError, ValidationError } from '../core/errors.js';
import { type Fill, hasExecution } from './fill.js';
import { type Order, shapeOrder } from './order.js';
import { type OrderChanges, type OrderEvent, ORDER_CHANGE_DECIMALS } from './order-event.js';
import type { OrderStatus } from './order-status.js';
import { lookupTransition, type TransitionTarget } from './order-state-table.js';

/**
 * What applying an event did: `applied` (the order changed), `ignored` (a late or duplicate
 * event the table says to drop) or `duplicate` (a fill whose execution id was already applied).
 */
export type TransitionOutcome = 'applied' | 'ignored' | 'duplicate';

export interface OrderTransition {
  readonly order: Order;
  readonly previous: Order;
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  readonly event: OrderEvent;
  readonly outcome: TransitionOutcome;
}

/**
 * The only way an order changes. Pure: returns a new order, never mutates `order`.
 * Throws {@link InvalidOrderTransitionError} when the table forbids `event` in the order's
 * status, and {@link OverfillError} for a fill beyond the order's quantity; in both cases
 * nothing has changed.
 */
export function applyOrderEvent(order: Order, event: OrderEvent): OrderTransition {
  // A replayed execution is never an error, whatever the status.
  if (event.type === 'filled' && hasExecution(order.fills, event.fill.executionId)) return transitionOf(order, order, event, 'duplicate');

  const found = lookupTransition(order.status, event.type);
  if (found === undefined) throw new InvalidOrderTransitionError(order.clientOrderId, order.status, event.type);
  const target: Exclude<TransitionTarget, '$grow'> = found === '$grow' ? (event.type === 'modified' && event.changes.quantity?.greaterThan(order.filledQuantity) ? '$working' : '$ignore') : found;

  if (target === '$ignore') {
    // A late ack still tells us the broker's id if we did not have it, and that the broker took the
    // order (an ack heard while a cancel is pending): facts, not state changes. Without the second,
    // a cancel refused afterwards set the order back to 'submitted' — not resizable, not cancellable
    // by the broker's id — though the broker works it.
    const brokerOrderId = 'brokerOrderId' in event ? event.brokerOrderId : undefined;
    const withId = brokerOrderId && !order.brokerOrderId ? withBrokerOrderId(order, brokerOrderId) : order;
    return transitionOf(order, event.type === 'accepted' && order.acceptedAt === undefined ? withAcceptedAt(withId, event.at) : withId, event, 'ignored');
  }

  // Checked before copying, so a refused fill or change costs nothing and changes nothing.
  const filled = event.type === 'filled' ? checkFill(order, event.fill) : undefined;
  if (event.type === 'modified') checkChanges(order, event.changes);
  // One copy per event, then the changed keys written into it. The copy is made by shapeOrder's
  // literal, not a spread: in V8 a spread of a spread gets a new hidden class each generation,
  // while every order built by the one literal shares one (see shapeOrder).
  const next = shapeOrder(order) as Mutable<Order>;
  next.updatedAt = event.at;
  switch (event.type) {
    case 'submitted':
      next.submittedAt = event.at;
      break;
    case 'accepted':
      next.acceptedAt = event.at;
      break;
    case 'rejected':
    case 'risk_rejected':
    case 'submit_failed':
    case 'cancel_rejected':
    case 'replace_rejected':
      next.errorMessage = event.reason;
      break;
    case 'cancelled':
      next.cancelledAt = event.at;
      if (event.reason) next.errorMessage = event.reason;
      break;
    case 'filled':
      addFill(next, order, event.fill, filled as Decimal);
      break;
    case 'modified':
      applyChanges(next, event.changes);
      break;
    case 'superseded':
      next.links = { ...order.links, replacedBy: event.replacedBy };
      break;
    case 'cancel_requested':
      next.cancelRequestedAt = event.at;
      break;
    case 'validated':
    case 'replace_requested':
    case 'expired':
      break;
  }
  const brokerOrderId = 'brokerOrderId' in event ? event.brokerOrderId : undefined;
  if (brokerOrderId && brokerOrderId !== order.brokerOrderId) setBrokerOrderId(next, order, brokerOrderId);
  next.status = resolveTarget(target, order.status, next);
  return transitionOf(order, next, event, 'applied');
}

function transitionOf(previous: Order, order: Order, event: OrderEvent, outcome: TransitionOutcome): OrderTransition {
  return { order, previous, from: previous.status, to: order.status, event, outcome };
}


/** The working status an order returns to when a pending cancel or replace resolves. */
export function workingStatus(order: Order): OrderStatus {
  // A replace down to the filled quantity (or a resend resized after a partial fill) completes it.
  if (order.filledQuantity.greaterThan(0)) return order.filledQuantity.greaterThanOrEqualTo(order.quantity) ? 'filled' : 'partially_filled';
  return order.acceptedAt === undefined ? 'submitted' : 'accepted';
}

/**
 * The status after a fill: complete → filled; otherwise a working order becomes partially
 * filled, a pending request or an ended order keeps its status (the rest stays cancelled),
 * and an order we had given up on (failed) is alive after all.
 */
export function resolveFillStatus(current: OrderStatus, next: Order): OrderStatus {
  if (compareDecimal(next.filledQuantity, next.quantity) === 0) return 'filled';
  switch (current) {
    case 'pending_cancel':
    case 'pending_replace':
    case 'cancelled':
    case 'expired':
    case 'replaced':
      return current;
    default:
      return 'partially_filled';
  }
}

function resolveTarget(target: Exclude<TransitionTarget, '$ignore' | '$grow'>, current: OrderStatus, next: Order): OrderStatus {
  switch (target) {
    case '$fill':
      return resolveFillStatus(current, next);
    case '$working':
      return workingStatus(next);
    case '$same':
      return current;
    default:
      return target;
  }
}

function withAcceptedAt(order: Order, at: number): Order {
  const next = shapeOrder(order) as Mutable<Order>;
  next.acceptedAt = at;
  return next;
}

function withBrokerOrderId(order: Order, brokerOrderId: string): Order {
  if (order.brokerOrderId === brokerOrderId) return order;
  const next = shapeOrder(order) as Mutable<Order>;
  setBrokerOrderId(next, order, brokerOrderId);
  return next;
}

function setBrokerOrderId(next: Mutable<Order>, order: Order, brokerOrderId: string): void {
  next.brokerOrderId = brokerOrderId;
  if (!order.brokerOrderIds.includes(brokerOrderId)) next.brokerOrderIds = appended(order.brokerOrderIds, brokerOrderId);
}

/** The order's filled quantity with `fill`, or a typed error for a fill that cannot be. */
function checkFill(order: Order, fill: Fill): Decimal {
  if (!isAboveZero(fill.quantity)) {
    throw new OverfillError(order.clientOrderId, fill.executionId, `has a non-positive quantity ${fill.quantity.toString()}`);
  }
  if (!isAboveZero(fill.price)) {
    throw new ValidationError([{ field: 'fill.price', message: `must be positive, got ${fill.price.toString()}` }], `fill ${fill.executionId}`);
  }
  const filled = addDecimals(order.filledQuantity, fill.quantity);
  if (compareDecimal(filled, order.quantity) > 0) {
    throw new OverfillError(
      order.clientOrderId,
      fill.executionId,
      `of ${fill.quantity.toString()} would fill ${filled.toString()} of ${order.quantity.toString()}`,
    );
  }
  return filled;
}

function addFill(next: Mutable<Order>, order: Order, fill: Fill, filled: Decimal): void {
  // The first fill's price is the average: no division (the hot path of every order).
  next.averageFillPrice = order.filledQuantity.isZero() || !order.averageFillPrice
    ? fill.price
    : addDecimals(multiplyDecimals(order.averageFillPrice, order.filledQuantity), multiplyDecimals(fill.price, fill.quantity)).dividedBy(filled);
  next.filledQuantity = filled;
  next.fills = appended(order.fills, fill);
  next.commission = addDecimals(order.commission, fill.commission);
  if (compareDecimal(filled, order.quantity) === 0) next.filledAt = fill.time;
}

function checkChanges(order: Order, changes: OrderChanges): void {
  if (changes.quantity && changes.quantity.lessThan(order.filledQuantity)) {
    throw new ValidationError(
      [{ field: 'quantity', message: `cannot go below the filled quantity ${order.filledQuantity.toString()}` }],
      `replace of ${order.clientOrderId}`,
    );
  }
}

function applyChanges(next: Mutable<Order>, changes: OrderChanges): void {
  if (changes.type) next.type = changes.type;
  for (const key of ORDER_CHANGE_DECIMALS) if (changes[key] !== undefined) next[key] = changes[key];
}
