import type { OrderEvent } from 'tradewire';
import type { AlpacaTradeUpdateJson } from './wire.js';

/**
 * What one `trade_updates` event means to the core:
 * - an `event` to apply;
 * - `snapshot`: fetch nothing, bring the order up to the message's order object (events whose
 *   meaning is "the order now looks like this": fills — with the execution's id —, `calculated`,
 *   `done_for_day`, the `new` of an order a replace issued, and a `replaced` whose successor is
 *   fetched by the adapter);
 * - `none`: informational, no transition (`pending_new`, `pending_replace`, `stopped`, `suspended`).
 */
export type TradeUpdateMeaning =
  | { readonly kind: 'event'; readonly event: OrderEvent }
  | { readonly kind: 'snapshot'; readonly executionId?: string }
  | { readonly kind: 'replaced'; readonly by: string }
  | { readonly kind: 'none' };

/** Every event Alpaca documents, mapped. Unknown future events become snapshots, never silence. */
export function tradeUpdateMeaning(update: AlpacaTradeUpdateJson, at: number): TradeUpdateMeaning {
  const order = update.order;
  const raw = update;
  switch (update.event) {
    case 'new':
    case 'accepted':
    case 'held':
      // An order a replace issued comes as a whole report: its size and prices are the change, and
      // it carries the id it replaced (all the core may know it by: a leg Alpaca named itself).
      if (order.replaces) return { kind: 'snapshot' };
      return { kind: 'event', event: { type: 'accepted', brokerOrderId: order.id, at, raw } };
    case 'fill':
    case 'partial_fill':
      // The streaming docs give `price` as "the average price per share at which the order was
      // filled" — the order's, not this execution's. So the execution is derived from the change of
      // the order's `filled_qty` and `filled_avg_price` (the core diffs them against what it has),
      // which is right under either reading, and takes Alpaca's `execution_id`.
      return { kind: 'snapshot', ...(update.execution_id ? { executionId: update.execution_id } : {}) };
    case 'canceled':
    case 'expired':
      // The order object says what filled before the end: a notional order's fills are only known
      // from it (its units are withheld while it works), so the end is applied as a snapshot —
      // the filled part first, then the cancel or expiry.
      return { kind: 'snapshot' };
    case 'rejected':
      return { kind: 'event', event: { type: 'rejected', reason: 'rejected by Alpaca', brokerOrderId: order.id, at, raw } };
    case 'pending_cancel':
      return { kind: 'event', event: { type: 'cancel_requested', at, raw } };
    case 'order_cancel_rejected':
      return { kind: 'event', event: { type: 'cancel_rejected', reason: 'Alpaca refused the cancel', at, raw } };
    case 'order_replace_rejected':
      return { kind: 'event', event: { type: 'replace_rejected', reason: 'Alpaca refused the replace', at, raw } };
    case 'replaced':
      return order.replaced_by ? { kind: 'replaced', by: order.replaced_by } : { kind: 'none' };
    case 'pending_new':
    case 'pending_replace':
    case 'stopped':
    case 'suspended':
      return { kind: 'none' };
    default:
      // calculated, done_for_day and anything Alpaca adds later: trust the order object.
      return { kind: 'snapshot' };
  }
}
