import type { AccountEvent, ConnectionChange } from '../broker/broker-adapter.js';
import type { OrderStatusReport } from '../broker/reports.js';
import type { AlertEvents } from '../events/alert.js';
import type { ListenerErrorPayload } from '../events/event-bus.js';
import type { TransitionOutcome } from '../model/apply-order-event.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-event.js';
import type { OrderStatus } from '../model/order-status.js';

/** Every order event carries the order after the change, its status before, and the event applied. */
export interface OrderChangedPayload {
  readonly order: Order;
  readonly previousStatus: OrderStatus;
  readonly event: OrderEvent;
}

export interface OrderFillPayload extends OrderChangedPayload {
  readonly fill: Fill;
}

export interface OrderIgnoredPayload {
  readonly order: Order;
  readonly event: OrderEvent;
  readonly outcome: Exclude<TransitionOutcome, 'applied'>;
}

export interface OrderTimeoutPayload {
  readonly order: Order;
  readonly timeoutMs: number;
}

/**
 * The order lifecycle's events. `order:fill` fires for every execution applied (including one
 * reported after a cancel); `order:partially_filled` and `order:filled` fire on the status.
 * Documented one by one in docs/events.md. `alert` carries `order_in_doubt` (see
 * `OrderLifecycleManager.ordersInDoubt`).
 */
export interface OrderLifecycleEvents extends AlertEvents {
  'order:created': { readonly order: Order };
  'order:submitted': OrderChangedPayload;
  'order:accepted': OrderChangedPayload;
  'order:fill': OrderFillPayload;
  'order:partially_filled': OrderFillPayload;
  'order:filled': OrderFillPayload;
  'order:pending_cancel': OrderChangedPayload;
  'order:cancel_rejected': OrderChangedPayload;
  'order:cancelled': OrderChangedPayload;
  'order:expired': OrderChangedPayload;
  'order:rejected': OrderChangedPayload;
  'order:risk_rejected': OrderChangedPayload;
  'order:failed': OrderChangedPayload;
  'order:pending_replace': OrderChangedPayload;
  'order:replaced': OrderChangedPayload;
  'order:replace_rejected': OrderChangedPayload;
  'order:superseded': OrderChangedPayload;
  /** Every applied event, whatever its kind: one hook for logging or persistence. */
  'order:transition': OrderChangedPayload & { readonly to: OrderStatus };
  /** A duplicate or late event that changed nothing (kept in the audit trail too). */
  'order:ignored': OrderIgnoredPayload;
  'order:timeout': OrderTimeoutPayload;
  /** An update for an order this process does not know (placed elsewhere, or before a crash). */
  'order:unknown_update': { readonly clientOrderId: string; readonly brokerOrderId?: string; readonly event?: OrderEvent; readonly report?: OrderStatusReport };
  'broker:connection': ConnectionChange;
  /** An account-level event from the broker (margin call, financing, a trade opened or closed). */
  'broker:account_event': AccountEvent;
  error: ListenerErrorPayload;
}
