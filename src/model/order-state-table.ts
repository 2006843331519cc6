import type { OrderEventType } from './order-event.js';
import type { OrderStatus } from './order-status.js';

/**
 * Where an event takes an order. Besides a plain status:
 * - `$fill`: apply the fill; `filled` when complete, otherwise `partially_filled` from a working
 *   state, or the current status from a pending or ended one (see {@link resolveFillStatus});
 * - `$working`: back to the working status a pending request interrupted (see {@link workingStatus});
 * - `$same`: apply the event's data and keep the status;
 * - `$ignore`: a duplicate or late event; nothing changes and it is audited as ignored;
 * - `$grow`: a change that makes the order larger than it has filled reopens it (`$working`) — the
 *   broker's word that a replace whose answer was lost did land, and the order filled past the old
 *   size; any other change is `$ignore`.
 * An event missing from a row is illegal in that status and raises InvalidOrderTransitionError.
 */
export type TransitionTarget = OrderStatus | '$fill' | '$working' | '$same' | '$ignore' | '$grow';

/** Late acknowledgements of an order that has already moved on. */
const LATE_ACKS = { submitted: '$ignore', accepted: '$ignore', validated: '$ignore' } as const;

/**
 * A refusal of a cancel or replace that is already applied: the request's own error answer put the
 * order back to working, and the broker's stream reports the same refusal (Alpaca's
 * `order_cancel_rejected`, OANDA's `ORDER_CANCEL_REJECT`) — or someone else's refused request. The
 * order is working either way.
 */
const LATE_REFUSALS = { cancel_rejected: '$ignore', replace_rejected: '$ignore' } as const;

/**
 * The order state machine, as data. Rows are the current status, columns the event.
 * Surprising rows carry a one-line why.
 */
export const ORDER_STATE_TABLE = {
  created: {
    validated: 'validated',
    risk_rejected: 'risk_rejected',
    submitted: 'submitted',
    submit_failed: 'failed',
  },
  validated: {
    validated: '$ignore',
    risk_rejected: 'risk_rejected',
    submitted: 'submitted',
    submit_failed: 'failed',
  },
  risk_rejected: {
    risk_rejected: '$ignore',
  },
  submitted: {
    ...LATE_REFUSALS,
    submitted: '$ignore',
    accepted: 'accepted',
    rejected: 'rejected',
    submit_failed: 'failed',
    // Brokers may report the execution before the acknowledgement.
    filled: '$fill',
    cancel_requested: 'pending_cancel',
    // IOC and FOK orders can go straight from submitted to cancelled.
    cancelled: 'cancelled',
    expired: 'expired',
    // Amended before the broker acknowledged it: resized or re-typed on a resend.
    modified: '$same',
  },
  accepted: {
    ...LATE_ACKS,
    ...LATE_REFUSALS,
    accepted: '$ignore',
    // An exchange can reject an order its broker already acknowledged.
    rejected: 'rejected',
    filled: '$fill',
    cancel_requested: 'pending_cancel',
    cancelled: 'cancelled',
    expired: 'expired',
    replace_requested: 'pending_replace',
    // The broker may modify an order by itself (e.g. a corporate action adjusting prices).
    modified: '$working',
    superseded: 'replaced',
  },
  partially_filled: {
    ...LATE_ACKS,
    ...LATE_REFUSALS,
    filled: '$fill',
    cancel_requested: 'pending_cancel',
    // A partial fill then a cancel of the rest ends cancelled, keeping what filled.
    cancelled: 'cancelled',
    expired: 'expired',
    replace_requested: 'pending_replace',
    modified: '$working',
    superseded: 'replaced',
  },
  pending_cancel: {
    ...LATE_ACKS,
    cancel_requested: '$ignore',
    // A fill can race the cancel request; it is real and always applied.
    filled: '$fill',
    cancel_rejected: '$working',
    cancelled: 'cancelled',
    expired: 'expired',
    rejected: 'rejected',
    // Cancelled before the broker acknowledged it, and its send then failed: it never arrived (an
    // order in doubt is looked up again). Refused, it stayed pending cancel for good and the
    // reconciliation deferred its symbol's position forever.
    submit_failed: 'failed',
    // A replace confirmed just before our cancel request landed.
    modified: '$same',
    replace_rejected: '$same',
    superseded: 'replaced',
  },
  pending_replace: {
    ...LATE_ACKS,
    replace_requested: '$ignore',
    // The old order can fill before the replace lands.
    filled: '$fill',
    modified: '$working',
    replace_rejected: '$working',
    superseded: 'replaced',
    cancel_requested: 'pending_cancel',
    cancelled: 'cancelled',
    expired: 'expired',
  },
  filled: {
    ...LATE_ACKS,
    // A new execution id on a filled order is an overfill (typed error); a replayed one is a no-op.
    filled: '$fill',
    // The cancel or replace lost the race to the fill: the fill stands.
    cancelled: '$ignore',
    expired: '$ignore',
    cancel_rejected: '$ignore',
    // A late change is ignored, unless the broker says the order is larger than it filled (see $grow).
    modified: '$grow',
    replace_rejected: '$ignore',
    superseded: '$ignore',
  },
  cancelled: {
    ...LATE_ACKS,
    cancelled: '$ignore',
    // A real-world possibility: an execution before the cancel took effect, reported after it.
    filled: '$fill',
    expired: '$ignore',
    cancel_rejected: '$ignore',
    modified: '$ignore',
    replace_rejected: '$ignore',
  },
  expired: {
    ...LATE_ACKS,
    expired: '$ignore',
    // As for cancelled: an execution can be reported after the expiry.
    filled: '$fill',
    cancelled: '$ignore',
    cancel_rejected: '$ignore',
    replace_rejected: '$ignore',
  },
  rejected: {
    rejected: '$ignore',
    submitted: '$ignore',
    cancelled: '$ignore',
    expired: '$ignore',
  },
  failed: {
    submit_failed: '$ignore',
    // We gave up on a send that timed out, but the broker did receive it: the broker is the truth.
    accepted: 'accepted',
    filled: '$fill',
    rejected: 'rejected',
    cancelled: 'cancelled',
    expired: 'expired',
  },
  replaced: {
    ...LATE_ACKS,
    // The superseded order can still report a fill that happened before the replacement.
    filled: '$fill',
    cancelled: '$ignore',
    expired: '$ignore',
    superseded: '$ignore',
  },
} as const satisfies Record<OrderStatus, Partial<Record<OrderEventType, TransitionTarget>>>;

/** The target for `event` in `status`, or undefined when the table forbids it. */
export function lookupTransition(status: OrderStatus, event: OrderEventType): TransitionTarget | undefined {
  const row: Partial<Record<OrderEventType, TransitionTarget>> = ORDER_STATE_TABLE[status];
  return row[event];
}
