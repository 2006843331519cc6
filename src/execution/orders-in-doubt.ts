import type { Clock } from '../core/clock.js';
import { KeptIds } from '../core/kept-ids.js';
import type { Order } from '../model/order.js';

/** How long an order in doubt is looked for (a day: past it, reconciliation's position check is what is left). */
const IN_DOUBT_MS = 86_400_000;
/** Orders in doubt kept at most (each is a look-up per reconciliation). */
const IN_DOUBT_KEPT = 1_000;

/**
 * Orders marked `failed` although the broker may hold them — the send's answer was lost (a timeout,
 * a broken connection) and so was every look-up by client order id — with when. The lifecycle looks
 * them up again on each reconnect and reconciliation until the broker answers; they are dropped once
 * it has (found, or never arrived), once the order is no longer failed, after a day, or past
 * {@link IN_DOUBT_KEPT} (the oldest first).
 */
export class OrdersInDoubt {
  private readonly kept: KeptIds;

  constructor(clock: Clock) {
    this.kept = new KeptIds(clock, IN_DOUBT_MS, IN_DOUBT_KEPT);
  }

  add(clientOrderId: string): void {
    this.kept.add(clientOrderId);
  }

  /** The broker answered for it (found, or not there). */
  resolved(clientOrderId: string): void {
    this.kept.delete(clientOrderId);
  }

  /** The orders still in doubt, oldest first (forgetting the ones that are not any more). */
  orders(get: (clientOrderId: string) => Order | undefined): Order[] {
    return this.kept.ids((id) => get(id)?.status === 'failed').map((id) => get(id)!);
  }
}
