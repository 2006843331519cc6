/**
 * The union of order states that real brokers report.
 *
 * created → validated → submitted (pending new) → accepted (new) → partially_filled → filled,
 * with pending_cancel / pending_replace while a request is in flight, and the ends:
 * risk_rejected (our pre-trade checks), rejected (the broker), failed (could not be sent),
 * cancelled, expired, filled and replaced (superseded by another order).
 */
export const ORDER_STATUSES = [
  'created',
  'validated',
  'risk_rejected',
  'submitted',
  'accepted',
  'partially_filled',
  'pending_cancel',
  'pending_replace',
  'filled',
  'cancelled',
  'expired',
  'rejected',
  'failed',
  'replaced',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'risk_rejected',
  'filled',
  'cancelled',
  'expired',
  'rejected',
  'failed',
  'replaced',
]);

/** True once no further request can change the order (a late fill may still be recorded). */
export function isTerminalStatus(status: OrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.has(status);
}

/** True while the order may still fill at the broker. */
export function isWorkingStatus(status: OrderStatus): boolean {
  return (
    status === 'submitted' ||
    status === 'accepted' ||
    status === 'partially_filled' ||
    status === 'pending_cancel' ||
    status === 'pending_replace'
  );
}
