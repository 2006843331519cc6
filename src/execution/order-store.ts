import { OrderNotFoundError } from '../core/errors.js';
import type { Order } from '../model/order.js';
import { isTerminalStatus, type OrderStatus } from '../model/order-status.js';

/**
 * The orders one lifecycle owns, with their indexes: by client order id, the working ones, by broker
 * order id (every id of a replace chain), and the ended ones kept for look-ups (at least
 * `historyLimit`, at most twice; the journal keeps all). It changes nothing by itself: the
 * lifecycle stores what the state machine returned.
 */
export class OrderStore {
  private readonly orders = new Map<string, Order>();
  private readonly working = new Set<string>();
  private ended: string[] = [];
  private readonly byBrokerId = new Map<string, string>();

  constructor(private readonly historyLimit: number) {}

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

  /** Our id for a broker's update: its client order id when we know it, else through its broker id. */
  resolveId(clientOrderId: string | undefined, brokerOrderId: string | undefined): string | undefined {
    if (clientOrderId && this.orders.has(clientOrderId)) return clientOrderId;
    return brokerOrderId === undefined ? undefined : this.byBrokerId.get(brokerOrderId);
  }

  /** A new order (or one restored after a restart). */
  add(order: Order): void {
    this.orders.set(order.clientOrderId, order);
    if (!isTerminalStatus(order.status)) this.working.add(order.clientOrderId);
    for (const brokerId of order.brokerOrderIds) this.byBrokerId.set(brokerId, order.clientOrderId);
    if (order.brokerOrderId) this.byBrokerId.set(order.brokerOrderId, order.clientOrderId);
  }

  /** Stores the order the state machine returned; resolves with true when it has just ended. */
  update(previous: Order, order: Order): boolean {
    const id = order.clientOrderId;
    this.orders.set(id, order);
    if (order.brokerOrderIds !== previous.brokerOrderIds) for (const brokerId of order.brokerOrderIds) this.byBrokerId.set(brokerId, id);
    if (!isTerminalStatus(order.status) || !this.working.has(id)) return false;
    this.working.delete(id);
    this.ended.push(id);
    // Evict in batches: shifting a long array once per order would copy it every time.
    if (this.ended.length > this.historyLimit * 2) {
      for (const old of this.ended.splice(0, this.ended.length - this.historyLimit)) {
        const evicted = this.orders.get(old);
        this.orders.delete(old);
        for (const brokerId of evicted?.brokerOrderIds ?? []) this.byBrokerId.delete(brokerId);
      }
    }
    return true;
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

  /** True when an order for `symbol` may still fill (`ignore` skips some, e.g. protective stops). */
  hasWorkingOrder(symbol: string, ignore?: (order: Order) => boolean): boolean {
    for (const id of this.working) {
      const order = this.orders.get(id);
      if (order?.symbol === symbol && !ignore?.(order)) return true;
    }
    return false;
  }

  list(filter: { symbol?: string; status?: OrderStatus } = {}): Order[] {
    return [...this.orders.values()].filter(
      (o) => (filter.symbol === undefined || o.symbol === filter.symbol) && (filter.status === undefined || o.status === filter.status),
    );
  }
}
