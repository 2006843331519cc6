import type { Clock } from '../core/clock.js';
import { KeptIds } from '../core/kept-ids.js';
import type { Order } from '../model/order.js';

/** How long an order in doubt is looked for (a day: past it, reconciliation's position check is what is left). */
const IN_DOUBT_MS = 86_400_000;
/** Orders in doubt kept at most (each is a look-up per reconciliation). */
const IN_DOUBT_KEPT = 1_000;
/** How long an order in doubt for a day with no answer is kept for a reconciliation whose position differs (a month). */
const UNANSWERED_MS = 30 * 86_400_000;
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
  /**
   * In doubt for a day and never answered (every look-up failed: a broker down that long): no longer
   * looked up each time, but a reconciliation that finds its symbol's position differs asks for them
   * before it adopts the broker's — their fills are the difference, and theirs.
   */
  private readonly unanswered: KeptIds;

  constructor(private readonly clock: Clock) {
    this.kept = new KeptIds(clock, IN_DOUBT_MS, IN_DOUBT_KEPT);
    this.unanswered = new KeptIds(clock, UNANSWERED_MS, IN_DOUBT_KEPT);
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
    this.unanswered.delete(clientOrderId);
  }

  /**
   * The broker does not know it: it never arrived — once {@link LANDING_WINDOW_MS} have passed since
   * it was put in doubt. Sooner, a request that timed out may still be processed: kept.
   */
  notFound(clientOrderId: string): void {
    this.unanswered.delete(clientOrderId);
    const since = this.kept.keptAt(clientOrderId);
    if (since !== undefined && this.clock.now() - since >= LANDING_WINDOW_MS) this.kept.delete(clientOrderId);
  }

  /** The orders still in doubt, oldest first (forgetting the ones that are not any more; those a day old go to {@link unansweredOf}). */
  orders(get: (clientOrderId: string) => Order | undefined): Order[] {
    return this.kept.ids((id) => stillInDoubt(get(id)), (id) => this.unanswered.add(id)).map((id) => get(id)!);
  }

  /** `symbol`'s orders in doubt for a day that the broker never answered for (see {@link unanswered}). */
  unansweredOf(symbol: string, get: (clientOrderId: string) => Order | undefined): Order[] {
    this.orders(get); // the ones a day old move over first
    return this.unanswered.ids((id) => stillInDoubt(get(id))).flatMap((id) => {
      const order = get(id)!;
      return order.symbol === symbol ? [order] : [];
    });
  }

  /** A reconciliation adopted the broker's position of `symbol`: that accounts for what its unanswered orders did. */
  forgetUnanswered(symbol: string, get: (clientOrderId: string) => Order | undefined): void {
    for (const order of this.unansweredOf(symbol, get)) this.unanswered.delete(order.clientOrderId);
  }
}

/** Failed, or cancelled before the broker answered: what the broker may still hold. */
function stillInDoubt(order: Order | undefined): boolean {
  return order?.status === 'failed' || order?.status === 'cancelled';
}
