import { ZERO } from '../core/decimal.js';
import { InvalidOrderTransitionError, OverfillError, ValidationError } from '../core/errors.js';
import type { Fill } from './fill.js';
import type { Order } from './order.js';
import { type OrderChanges, type OrderEvent, ORDER_CHANGE_DECIMALS } from './order-event.js';
import type { OrderStatus } from './order-status.js';
import { lookupTransition } from './order-state-table.js';

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
  const result = (next: Order, outcome: TransitionOutcome): OrderTransition => ({
    order: next,
    previous: order,
    from: order.status,
    to: next.status,
    event,
    outcome,
  });

  // A replayed execution is never an error, whatever the status.
  if (event.type === 'filled' && order.fills.some((f) => f.executionId === event.fill.executionId)) {
    return result(order, 'duplicate');
  }

  const target = lookupTransition(order.status, event.type);
  if (target === undefined) throw new InvalidOrderTransitionError(order.clientOrderId, order.status, event.type);

  if (target === '$ignore') {
    // A late ack still tells us the broker's id if we did not have it; that is a fact, not a state change.
    const brokerOrderId = 'brokerOrderId' in event ? event.brokerOrderId : undefined;
    return result(brokerOrderId && !order.brokerOrderId ? withBrokerOrderId(order, brokerOrderId) : order, 'ignored');
  }

  // One copy per event: gather the changes in a patch, then spread once.
  const patch: { -readonly [K in keyof Order]?: Order[K] } = { updatedAt: event.at };
  switch (event.type) {
    case 'submitted':
      patch.submittedAt = event.at;
      break;
    case 'accepted':
      patch.acceptedAt = event.at;
      break;
    case 'rejected':
    case 'risk_rejected':
    case 'submit_failed':
    case 'cancel_rejected':
    case 'replace_rejected':
      patch.errorMessage = event.reason;
      break;
    case 'cancelled':
      patch.cancelledAt = event.at;
      if (event.reason) patch.errorMessage = event.reason;
      break;
    case 'filled':
      Object.assign(patch, fillPatch(order, event.fill));
      break;
    case 'modified':
      Object.assign(patch, changesPatch(order, event.changes));
      break;
    case 'superseded':
      patch.links = { ...order.links, replacedBy: event.replacedBy };
      break;
    case 'validated':
    case 'cancel_requested':
    case 'replace_requested':
    case 'expired':
      break;
  }
  const brokerOrderId = 'brokerOrderId' in event ? event.brokerOrderId : undefined;
  if (brokerOrderId && brokerOrderId !== order.brokerOrderId) Object.assign(patch, brokerIdPatch(order, brokerOrderId));

  const next = { ...order, ...patch } as { -readonly [K in keyof Order]: Order[K] };
  next.status = resolveTarget(target, order.status, next);
  return result(next, 'applied');
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
  if (next.filledQuantity.equals(next.quantity)) return 'filled';
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

function resolveTarget(target: Exclude<ReturnType<typeof lookupTransition>, undefined | '$ignore'>, current: OrderStatus, next: Order): OrderStatus {
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

function withBrokerOrderId(order: Order, brokerOrderId: string): Order {
  if (order.brokerOrderId === brokerOrderId) return order;
  return { ...order, ...brokerIdPatch(order, brokerOrderId) };
}

function brokerIdPatch(order: Order, brokerOrderId: string): Pick<Order, 'brokerOrderId' | 'brokerOrderIds'> {
  const known = order.brokerOrderIds.includes(brokerOrderId);
  return { brokerOrderId, brokerOrderIds: known ? order.brokerOrderIds : [...order.brokerOrderIds, brokerOrderId] };
}

function fillPatch(order: Order, fill: Fill): Partial<Order> {
  if (!fill.quantity.greaterThan(0)) {
    throw new OverfillError(order.clientOrderId, fill.executionId, `has a non-positive quantity ${fill.quantity.toString()}`);
  }
  if (!fill.price.greaterThan(0)) {
    throw new ValidationError([{ field: 'fill.price', message: `must be positive, got ${fill.price.toString()}` }], `fill ${fill.executionId}`);
  }
  const filled = order.filledQuantity.plus(fill.quantity);
  if (filled.greaterThan(order.quantity)) {
    throw new OverfillError(
      order.clientOrderId,
      fill.executionId,
      `of ${fill.quantity.toString()} would fill ${filled.toString()} of ${order.quantity.toString()}`,
    );
  }
  // The first fill's price is the average: no division (the hot path of every order).
  const averageFillPrice = order.filledQuantity.isZero() || !order.averageFillPrice
    ? fill.price
    : order.averageFillPrice.times(order.filledQuantity).plus(fill.price.times(fill.quantity)).dividedBy(filled);
  return {
    filledQuantity: filled,
    averageFillPrice,
    fills: [...order.fills, fill],
    commission: order.commission.plus(fill.commission),
    ...(filled.equals(order.quantity) ? { filledAt: fill.time } : {}),
  };
}

function changesPatch(order: Order, changes: OrderChanges): Partial<Order> {
  if (changes.quantity && changes.quantity.lessThan(order.filledQuantity)) {
    throw new ValidationError(
      [{ field: 'quantity', message: `cannot go below the filled quantity ${order.filledQuantity.toString()}` }],
      `replace of ${order.clientOrderId}`,
    );
  }
  const patch: { -readonly [K in keyof OrderChanges]?: OrderChanges[K] } = changes.type ? { type: changes.type } : {};
  for (const key of ORDER_CHANGE_DECIMALS) if (changes[key] !== undefined) patch[key] = changes[key];
  return patch as Partial<Order>;
}
