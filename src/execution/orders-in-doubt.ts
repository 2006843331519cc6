import type { Clock } from '../core/clock.js';
import { KeptIds } from '../core/kept-ids.js';
import type { Order } from '../model/order.js';

/** How long an order in doubt is looked for (a day: past it, reconciliation's position check is what is left). */
const IN_DOUBT_MS = 86_400_000;
/** Orders in doubt kept at most (each is a look-up per reconciliation). */
const IN_DOUBT_KEPT = 1_000;
/** How long after a send that timed out a "not found" is not yet an answer: the request may still be processed. */
export const LANDING_WINDOW_MS = 60_000;

/**
 * Orders marked `failed` although the broker may hold them — the send's answer was lost (a timeout,
 * a broken connection) and so was every look-up by client order id — or ended `cancelled` before the
 * broker answered (a cancel withdrew a send whose attempt may still land), with when. The lifecycle looks
 * them up again on each reconnect and reconciliation until the broker answers; they are dropped once
 * it has (found, or never arrived), once the order is no longer failed, after a day, or past
 * {@link IN_DOUBT_KEPT} (the oldest first).
 */
export class OrdersInDoubt {
  private readonly kept: KeptIds;

  constructor(private readonly clock: Clock) {
    this.kept = new KeptIds(clock, IN_DOUBT_MS, IN_DOUBT_KEPT);
  }

  /** `at`: when it was put in doubt (a restart's restore gives the time the dead process failed it). */
  add(clientOrderId: string, at?: number): void {
    this.kept.add(clientOrderId, at);
  }

  /** When it was put in doubt, while it is. */
  since(clientOrderId: string): number | undefined {
    return this.kept.keptAt(clientOrderId);
  }

  /** The broker answered for it: found (or it is no longer failed). */
  resolved(clientOrderId: string): void {
    this.kept.delete(clientOrderId);
  }

  /**
   * The broker does not know it: it never arrived — once {@link LANDING_WINDOW_MS} have passed since
   * it was put in doubt. Sooner, a request that timed out may still be processed: kept.
   */
  notFound(clientOrderId: string): void {
    const since = this.kept.keptAt(clientOrderId);
    if (since !== undefined && this.clock.now() - since >= LANDING_WINDOW_MS) this.kept.delete(clientOrderId);
  }

  /** The orders still in doubt, oldest first (forgetting the ones that are not any more). */
  orders(get: (clientOrderId: string) => Order | undefined): Order[] {
    return this.kept.ids((id) => {
      const status = get(id)?.status;
      return status === 'failed' || status === 'cancelled';
    }).map((id) => get(id)!);
  }
}
