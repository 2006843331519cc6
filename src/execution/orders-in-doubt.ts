import type { Clock } from '../core/clock.js';
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
  private readonly since = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  add(clientOrderId: string): void {
    if (this.since.size >= IN_DOUBT_KEPT) this.since.delete(this.since.keys().next().value!);
    this.since.set(clientOrderId, this.clock.now());
  }

  /** The broker answered for it (found, or not there). */
  resolved(clientOrderId: string): void {
    this.since.delete(clientOrderId);
  }

  /** The orders still in doubt, oldest first (forgetting the ones that are not any more). */
  orders(get: (clientOrderId: string) => Order | undefined): Order[] {
    const out: Order[] = [];
    const oldest = this.clock.now() - IN_DOUBT_MS;
    for (const [id, at] of this.since) {
      const order = get(id);
      if (!order || order.status !== 'failed' || at < oldest) this.since.delete(id);
      else out.push(order);
    }
    return out;
  }
}
