import { BoundedRing } from '../core/bounded-ring.js';
import { OrderNotFoundError } from '../core/errors.js';
import type { Order } from '../model/order.js';
import { isTerminalStatus, type OrderStatus } from '../model/order-status.js';

/**
 * The orders one lifecycle owns, with their indexes: by client order id, the working ones, by broker
 * order id (every id of a replace chain), and the newest `historyLimit` ended ones kept for
 * look-ups (the journal keeps all). It changes nothing by itself: the lifecycle stores what the
 * state machine returned.
 */
export class OrderStore {
  private readonly orders = new Map<string, Order>();
  private readonly working = new Set<string>();
  /**
   * The working ids by symbol, for {@link hasWorkingOrder} (asked by every signal): a walk over every
   * working order made a book's signals cost O(working orders) — protective stops included — and a
   * batch of resting entries quadratic. A symbol's set stays when it empties (no set made per order).
   */
  private readonly workingBySymbol = new Map<string, Set<string>>();
  /** The ended orders kept: each that ends pushes out the oldest, forgotten then (not 10 000 at once: a 2–3 ms stall every 10 000 orders). */
  private readonly ended: BoundedRing<string>;
  private readonly byBrokerId = new Map<string, string>();

  /** `stored` hears the symbol of every order stored (added, or changed by an event): what exposure totals re-read. */
  constructor(historyLimit: number, private readonly stored?: (symbol: string) => void) {
    this.ended = new BoundedRing(historyLimit);
  }

  has(clientOrderId: string): boolean {
    return this.orders.has(clientOrderId);
  }

  get(clientOrderId: string): Order | undefined {
    return this.orders.get(clientOrderId);
  }

  /** The order, or {@link OrderNotFoundError}. */
  require(clientOrderId: string): Order {
    const order = this.orders.get(clientOrderId);
    if (!order) throw new OrderNotFoundError(clientOrderId);
    return order;
  }

  getByBrokerOrderId(brokerOrderId: string): Order | undefined {
    const id = this.byBrokerId.get(brokerOrderId);
    return id === undefined ? undefined : this.orders.get(id);
  }

  /**
   * Our id for a broker's update: its client order id when we know it, else through its broker id —
   * or, for an order a replace issued that we never heard named (a native list's leg the broker
   * names itself, replaced from the broker's app or by a replace whose answer was lost), through
   * the broker id it replaced.
   */
  resolveId(clientOrderId: string | undefined, brokerOrderId: string | undefined, replacesBrokerOrderId?: string): string | undefined {
    if (clientOrderId && this.orders.has(clientOrderId)) return clientOrderId;
    const id = brokerOrderId === undefined ? undefined : this.byBrokerId.get(brokerOrderId);
    return id ?? (replacesBrokerOrderId === undefined ? undefined : this.byBrokerId.get(replacesBrokerOrderId));
  }

  /** A new order (or one restored after a restart). */
  add(order: Order): void {
    this.orders.set(order.clientOrderId, order);
    this.stored?.(order.symbol);
    // One restored already ended counts among the ended kept, like any other.
    if (isTerminalStatus(order.status)) this.keepEnded(order.clientOrderId);
    else this.startWorking(order);
    for (const brokerId of order.brokerOrderIds) this.byBrokerId.set(brokerId, order.clientOrderId);
    if (order.brokerOrderId) this.byBrokerId.set(order.brokerOrderId, order.clientOrderId);
  }

  /** Stores the order the state machine returned; resolves with true when it has just ended. */
  update(previous: Order, order: Order): boolean {
    const id = order.clientOrderId;
    this.orders.set(id, order);
    this.stored?.(order.symbol);
    if (order.brokerOrderIds !== previous.brokerOrderIds) for (const brokerId of order.brokerOrderIds) this.byBrokerId.set(brokerId, id);
    if (!isTerminalStatus(order.status)) {
      // An order given up on (failed) that the broker reports after all works again: a working order like any other.
      if (!this.working.has(id)) this.startWorking(order);
      return false;
    }
    if (!this.working.has(id)) return false;
    this.working.delete(id);
    this.workingBySymbol.get(order.symbol)?.delete(id);
    this.keepEnded(id);
    return true;
  }

  private startWorking(order: Order): void {
    this.working.add(order.clientOrderId);
    const ids = this.workingBySymbol.get(order.symbol);
    if (ids) ids.add(order.clientOrderId);
    else this.workingBySymbol.set(order.symbol, new Set([order.clientOrderId]));
  }

  /** Keeps an ended order, forgetting the oldest kept once there are `historyLimit`. */
  private keepEnded(clientOrderId: string): void {
    const oldest = this.ended.add(clientOrderId);
    if (oldest !== undefined) this.forget(oldest);
  }

  /** Drops an ended order and its broker ids from memory. */
  private forget(clientOrderId: string): void {
    // Ended once, working again since (revived): not forgotten while it works.
    if (this.working.has(clientOrderId)) return;
    const order = this.orders.get(clientOrderId);
    this.orders.delete(clientOrderId);
    for (const brokerId of order?.brokerOrderIds ?? []) this.byBrokerId.delete(brokerId);
  }

  isWorking(clientOrderId: string): boolean {
    return this.working.has(clientOrderId);
  }

  workingIds(): string[] {
    return [...this.working];
  }

  workingOrders(): Order[] {
    return [...this.working].map((id) => this.require(id));
  }

  /** The working orders of `symbol`. */
  *workingOf(symbol: string): Generator<Order> {
    for (const id of this.workingBySymbol.get(symbol) ?? []) {
      const order = this.orders.get(id);
      if (order !== undefined) yield order;
    }
  }

  /** True when an order for `symbol` may still fill (`ignore` skips some, e.g. protective stops). */
  hasWorkingOrder(symbol: string, ignore?: (order: Order) => boolean): boolean {
    const ids = this.workingBySymbol.get(symbol);
    if (ids === undefined) return false;
    for (const id of ids) {
      const order = this.orders.get(id);
      if (order !== undefined && !ignore?.(order)) return true;
    }
    return false;
  }

  list(filter: { symbol?: string; status?: OrderStatus } = {}): Order[] {
    return [...this.orders.values()].filter(
      (o) => (filter.symbol === undefined || o.symbol === filter.symbol) && (filter.status === undefined || o.status === filter.status),
    );
  }
}
