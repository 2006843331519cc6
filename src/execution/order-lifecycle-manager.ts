import type { BrokerAdapter, ConnectionChange, OrderUpdate, Unsubscribe } from '../broker/broker-adapter.js';
import type { OrderStatusReport } from '../broker/reports.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { parsePositive } from '../core/decimal.js';
import {
  describeError,
  DuplicateOrderError,
  isBrokerError,
  OrderNotFoundError,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
} from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { EventBus } from '../events/event-bus.js';
import type { OrderChangedPayload, TradewireEvents } from '../events/tradewire-events.js';
import { InMemoryJournal } from '../journal/in-memory-journal.js';
import type { Journal, JournalQuery, JournalRecord } from '../journal/journal.js';
import { applyOrderEvent, type OrderTransition } from '../model/apply-order-event.js';
import { type Order, shapeOrder } from '../model/order.js';
import { type OrderChanges, type OrderEvent, ORDER_CHANGE_DECIMALS } from '../model/order-event.js';
import { listRoles, type OrderListKind, orderListIssues } from '../model/order-list.js';
import { createOrder, type OrderRequest } from '../model/order-request.js';
import { orderEventToJSON } from '../model/order-serialization.js';
import { isTerminalStatus, isWorkingStatus, type OrderStatus } from '../model/order-status.js';
import { eventsFromOrderReport } from '../reconciliation/order-report-diff.js';

export interface OrderLifecycleOptions {
  readonly adapter: BrokerAdapter;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The audit trail; default in memory. */
  readonly journal?: Journal;
  /** Share one bus across components (the engine does); default a new one. */
  readonly events?: EventBus<TradewireEvents>;
  readonly logger?: Logger;
  /**
   * Cancel an order not filled within this many ms of being sent (default 60 000).
   * `null` disables it; {@link SubmitOptions.timeoutMs} overrides it per order.
   */
  readonly orderTimeoutMs?: number | null;
  /** For adapters without a stream: how often to poll working orders (default 1 000 ms). */
  readonly pollIntervalMs?: number;
  /** How many ended orders to keep in memory for `get`/`orderList` (at least this many, at most twice; default 10 000). The journal keeps all. */
  readonly historyLimit?: number;
  /**
   * How an order reaches the broker. Default `adapter.submitOrder`; the error handler wraps it
   * with retries. Must reuse the order's client order id on every attempt. `amend` records a change
   * made before resending (a smaller quantity, a limit instead of a market) as a `modified` event,
   * and returns the amended order to send.
   */
  readonly send?: (order: Order, amend: (changes: OrderChanges) => Order) => Promise<OrderStatusReport>;
}

export interface SubmitOptions {
  /** Overrides the manager's `orderTimeoutMs` for this order; `null` lets it rest until it ends. */
  readonly timeoutMs?: number | null;
  /**
   * Called with the new order after it is registered and journaled, before it is sent — the
   * place to link it to other state, since its fills can arrive before `submit` resolves.
   */
  readonly onCreated?: (order: Order) => void;
}

/** What a caller may change on a working order. */
export interface ModifyRequest {
  readonly quantity?: DecimalInput;
  readonly limitPrice?: DecimalInput;
  readonly stopPrice?: DecimalInput;
  readonly trailPercent?: DecimalInput;
  readonly trailAmount?: DecimalInput;
}

/** Emitted names for applied events; fills are handled separately (their name depends on the status). */
const EVENT_NAMES = {
  validated: undefined,
  risk_rejected: 'order:risk_rejected',
  submitted: 'order:submitted',
  accepted: 'order:accepted',
  rejected: 'order:rejected',
  submit_failed: 'order:failed',
  cancel_requested: 'order:pending_cancel',
  cancel_rejected: 'order:cancel_rejected',
  cancelled: 'order:cancelled',
  expired: 'order:expired',
  replace_requested: 'order:pending_replace',
  modified: 'order:replaced',
  replace_rejected: 'order:replace_rejected',
  superseded: 'order:superseded',
} as const satisfies Record<Exclude<OrderEvent['type'], 'filled'>, keyof TradewireEvents | undefined>;

/**
 * Submits orders through one adapter and owns them until they end: applies the broker's
 * updates (streamed, or polled for adapters without a stream, through one code path),
 * cancels orders that outlive their timeout, modifies and cancels on request, and writes every
 * change to the journal before anyone hears of it.
 *
 * Orders are journaled before they are sent. All times come from the injected clock.
 */
export class OrderLifecycleManager {
  readonly events: EventBus<TradewireEvents>;
  readonly journal: Journal;
  private readonly adapter: BrokerAdapter;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  private readonly defaultTimeoutMs: number | null;
  private readonly pollIntervalMs: number;
  private readonly historyLimit: number;
  private readonly send: (order: Order, amend: (changes: OrderChanges) => Order) => Promise<OrderStatusReport>;

  private readonly orders = new Map<string, Order>();
  private readonly working = new Set<string>();
  private ended: string[] = [];
  private readonly byBrokerId = new Map<string, string>();
  private readonly timeouts = new Map<string, TimerHandle>();
  private readonly timeoutMs = new Map<string, number>();
  /** Cancels requested before the broker acknowledged the order: the broker may not have had it to cancel. */
  private readonly cancelBeforeAck = new Set<string>();
  private subscriptions: Unsubscribe[] = [];
  private pollTimer: TimerHandle | undefined;
  private polling = false;

  constructor(options: OrderLifecycleOptions) {
    this.adapter = options.adapter;
    this.clock = options.clock;
    this.ids = options.ids;
    this.logger = options.logger ?? consoleLogger();
    this.events = options.events ?? new EventBus<TradewireEvents>(({ error, source }) => this.logger.error(`listener for ${source} threw`, { error: describeError(error) }));
    this.journal = options.journal ?? new InMemoryJournal();
    this.defaultTimeoutMs = options.orderTimeoutMs === undefined ? 60_000 : options.orderTimeoutMs;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.historyLimit = options.historyLimit ?? 10_000;
    this.send = options.send ?? ((order) => this.adapter.submitOrder(order));
  }

  /** Listens to the adapter's stream (or starts polling when it has none). Idempotent. */
  start(): void {
    if (this.subscriptions.length > 0) return;
    this.subscriptions = [
      this.adapter.onOrderUpdate((update) => this.applyUpdate(update)),
      this.adapter.onConnectionChange((change) => this.onConnectionChange(change)),
    ];
    if (!this.adapter.capabilities.streaming) this.schedulePoll();
  }

  /** Stops listening and clears every timer. Working orders stay working at the broker. */
  stop(): void {
    for (const unsubscribe of this.subscriptions) unsubscribe();
    this.subscriptions = [];
    if (this.pollTimer !== undefined) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    for (const handle of this.timeouts.values()) this.clock.clearTimeout(handle);
    this.timeouts.clear();
  }

  /**
   * Validates, journals and sends a new order; resolves with the order as it stands once the
   * broker answered (often `accepted`, possibly already `filled`, or `rejected` / `failed`).
   * Throws {@link ValidationError} for a bad request and {@link DuplicateOrderError} for a
   * client order id already in use; in both cases nothing was sent or recorded.
   */
  async submit(request: OrderRequest, options: SubmitOptions = {}): Promise<Order> {
    const order = createOrder(request, { clock: this.clock, ids: this.ids });
    if (this.orders.has(order.clientOrderId)) throw new DuplicateOrderError(order.clientOrderId);
    this.register(order, options.timeoutMs === undefined ? this.defaultTimeoutMs : options.timeoutMs);
    const id = order.clientOrderId;
    this.apply(id, { type: 'validated', at: this.clock.now() });
    options.onCreated?.(this.require(id));
    return this.sendRegistered(id);
  }

  /**
   * Resolves once every listed order has ended (or at once when they already have), or after
   * `timeoutMs` on the injected clock; with whether they all ended. For waiting on a cancel's
   * confirmation before sending an order that needs what the cancelled one held.
   */
  whenEnded(clientOrderIds: readonly string[], timeoutMs: number): Promise<boolean> {
    const open = (): string[] => clientOrderIds.filter((id) => this.working.has(id));
    if (open().length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ended: boolean): void => {
        unsubscribe();
        this.clock.clearTimeout(timer);
        resolve(ended);
      };
      const unsubscribe = this.events.on('order:transition', () => {
        if (open().length === 0) done(true);
      });
      const timer = this.clock.setTimeout(() => done(open().length === 0), timeoutMs);
    });
  }

  /**
   * The native list an order belongs to, rebuilt from the links `submitList` gave it: its kind and
   * every client order id, parent first. Undefined for an order sent on its own.
   */
  listOf(clientOrderId: string): { readonly kind: OrderListKind; readonly ids: readonly string[] } | undefined {
    const order = this.orders.get(clientOrderId);
    if (!order) return undefined;
    const { parentId, ocoSiblingId, takeProfitId, stopLossId } = order.links;
    const parent = parentId ? this.orders.get(parentId) : takeProfitId || stopLossId ? order : undefined;
    if (parent) {
      const tp = parent.links.takeProfitId;
      const sl = parent.links.stopLossId;
      if (tp && sl) return { kind: 'bracket', ids: [parent.clientOrderId, tp, sl] };
      const exit = tp ?? sl;
      return exit ? { kind: 'oto', ids: [parent.clientOrderId, exit] } : undefined;
    }
    const sibling = ocoSiblingId ? this.orders.get(ocoSiblingId) : undefined;
    if (!sibling) return undefined;
    const [takeProfit, stopLoss] = order.type === 'limit' ? [order, sibling] : [sibling, order];
    return { kind: 'oco', ids: [takeProfit.clientOrderId, stopLoss.clientOrderId] };
  }

  /**
   * Asks the broker for a list's parent and applies it with its legs (a leg the broker named itself
   * is matched by role). Resolves with whether the broker knows the list.
   */
  async refreshList(clientOrderId: string): Promise<boolean> {
    const list = this.listOf(clientOrderId);
    if (!list) return this.refreshOrder(clientOrderId);
    const report = await this.adapter.getOrder(ref(this.require(list.ids[0]!)));
    if (report) this.applyListReport(list.kind, list.ids, report);
    return report !== undefined;
  }

  /**
   * Sends a list again whose orders were journaled but never reached the broker (a crash before the
   * answer): the same client order ids, as one list — never a leg on its own.
   */
  async resumeList(clientOrderId: string): Promise<Order[]> {
    const list = this.listOf(clientOrderId);
    if (!list || !this.adapter.submitOrderList) return [this.require(clientOrderId)];
    const unsent = (id: string): boolean => ['created', 'validated', 'submitted'].includes(this.require(id).status);
    if (!list.ids.every(unsent)) return list.ids.map((id) => this.require(id));
    return this.sendList(list.kind, list.ids);
  }

  /** True when the adapter sends `kind` lists natively (see {@link submitList}). */
  supportsList(kind: OrderListKind): boolean {
    const native = kind === 'oco' ? this.adapter.capabilities.nativeOco : this.adapter.capabilities.nativeBracket;
    return native && typeof this.adapter.submitOrderList === 'function';
  }

  /**
   * Sends linked orders as one native list — a bracket `[entry, takeProfit, stopLoss]`, an OTO
   * `[entry, exit]` or an OCO `[takeProfit, stopLoss]` — where the adapter has them (see
   * `capabilities.nativeBracket` / `nativeOco`). Each order is tracked and journaled on its own,
   * linked to the others (`parentId`, `ocoSiblingId`, `takeProfitId`, `stopLossId`); legs are
   * reduce-only and rest without a timeout. Every order is journaled before the list is sent; a list that fails validation
   * registers nothing. Throws {@link UnsupportedOperationError} when the adapter has no native list.
   */
  async submitList(kind: OrderListKind, requests: readonly OrderRequest[], options: SubmitOptions = {}): Promise<Order[]> {
    if (!this.supportsList(kind) || !this.adapter.submitOrderList) throw new UnsupportedOperationError(`${this.adapter.name} has no native ${kind} orders`);
    const ids = requests.map((r) => r.clientOrderId ?? this.ids.next('tw'));
    for (const id of ids) if (this.orders.has(id)) throw new DuplicateOrderError(id);
    // Every leg only exits what its entry bought (and an OCO only exits a position held): reduce-only.
    const exit = (i: number): boolean => kind === 'oco' || i > 0;
    const orders = requests.map((request, i) =>
      createOrder({ ...request, clientOrderId: ids[i]!, links: { ...request.links, ...listLinks(kind, ids, i, requests) }, ...(exit(i) ? { reduceOnly: true } : {}) }, { clock: this.clock, ids: this.ids }),
    );
    const issues = orderListIssues(kind, orders);
    if (issues.length > 0) throw new ValidationError(issues, `${kind} order list`);
    orders.forEach((order, i) => {
      this.register(order, i === 0 ? (options.timeoutMs === undefined ? this.defaultTimeoutMs : options.timeoutMs) : null);
      this.apply(order.clientOrderId, { type: 'validated', at: this.clock.now() });
    });
    for (const id of ids) options.onCreated?.(this.require(id));
    return this.sendList(kind, ids);
  }

  /** Sends a registered list — the first time, or again after a crash — and applies the answer. */
  private async sendList(kind: OrderListKind, ids: readonly string[]): Promise<Order[]> {
    for (const id of ids) if (this.require(id).status !== 'submitted') this.apply(id, { type: 'submitted', at: this.clock.now() });
    try {
      // Durable before the broker sees it, as for one order.
      this.journal.sync?.();
      const report = await this.adapter.submitOrderList!({ kind, orders: ids.map((id) => this.require(id)) });
      this.applyListReport(kind, ids, report);
    } catch (error) {
      // It may have arrived: the parent's report (with its legs) is the answer, as for one order.
      const found = isBrokerError(error) && error.mayHaveReachedBroker ? await this.adapter.getOrder({ clientOrderId: ids[0]! }).catch(() => undefined) : undefined;
      if (found) this.applyListReport(kind, ids, found);
      else for (const id of ids) this.markSendFailed(id, error);
    }
    for (const id of ids) this.armTimeout(id);
    return ids.map((id) => this.require(id));
  }

  /**
   * Takes ownership of an order created elsewhere (a recovered journal, a reconciliation)
   * without sending it. Journaled as created.
   */
  track(given: Order, timeoutMs: number | null = this.defaultTimeoutMs): Order {
    if (this.orders.has(given.clientOrderId)) throw new DuplicateOrderError(given.clientOrderId);
    // Reshaped: an order built elsewhere gets every key, like the ones made here (see shapeOrder).
    const order = shapeOrder(given);
    this.register(order, timeoutMs);
    if (isWorkingStatus(order.status)) this.armTimeout(order.clientOrderId);
    return order;
  }

  /**
   * Takes back an order rebuilt from the journal after a restart: tracked again, not journaled
   * again (its records are already there). Reconcile it with {@link refreshOrder} or {@link resume}.
   */
  restore(given: Order, timeoutMs: number | null = this.defaultTimeoutMs): Order {
    if (this.orders.has(given.clientOrderId)) throw new DuplicateOrderError(given.clientOrderId);
    const order = shapeOrder(given);
    this.register(order, timeoutMs, false);
    if (isWorkingStatus(order.status)) this.armTimeout(order.clientOrderId);
    return order;
  }

  /**
   * Sends an order that was registered but never reached the broker (journaled, then a crash).
   * Same client order id, so a broker that did receive it refuses a duplicate.
   */
  async resume(clientOrderId: string): Promise<Order> {
    const order = this.require(clientOrderId);
    if (order.status !== 'created' && order.status !== 'validated' && order.status !== 'submitted') return order;
    // A leg is never sent alone: its list goes again as a whole.
    if (this.listOf(clientOrderId)) {
      await this.resumeList(clientOrderId);
      return this.require(clientOrderId);
    }
    return this.sendRegistered(clientOrderId);
  }

  /** Asks the broker for one order and applies what it says. Resolves with whether the broker knows it. */
  async refreshOrder(clientOrderId: string): Promise<boolean> {
    const order = this.require(clientOrderId);
    const report = await this.adapter.getOrder(ref(order));
    if (report) this.applyReport(report);
    return report !== undefined;
  }

  /**
   * Requests a cancel. Resolves with the order once the broker accepted the request (usually
   * `pending_cancel`, or already `cancelled`); an order that already ended is returned as is.
   */
  async cancel(clientOrderId: string, reason = 'cancel requested'): Promise<Order> {
    const order = this.require(clientOrderId);
    if (!isWorkingStatus(order.status) || order.status === 'pending_cancel') return order;
    if (order.acceptedAt === undefined) this.cancelBeforeAck.add(clientOrderId);
    this.apply(clientOrderId, { type: 'cancel_requested', at: this.clock.now(), raw: { reason } });
    try {
      await this.adapter.cancelOrder(ref(this.require(clientOrderId)));
      if (!this.adapter.capabilities.streaming) await this.refresh(clientOrderId);
    } catch (error) {
      await this.onRequestFailed(clientOrderId, error, 'cancel_rejected', 'pending_cancel');
    }
    return this.require(clientOrderId);
  }

  /**
   * The kill switch for orders: marks every working order pending cancel and asks the broker to
   * cancel everything on the account in one call, falling back to one cancel per order if that
   * call fails. Resolves with the orders it acted on.
   */
  async cancelAll(reason = 'cancel all'): Promise<Order[]> {
    const ids = [...this.working].filter((id) => this.require(id).status !== 'pending_cancel');
    const at = this.clock.now();
    for (const id of ids) {
      if (this.require(id).acceptedAt === undefined) this.cancelBeforeAck.add(id);
      this.apply(id, { type: 'cancel_requested', at, raw: { reason } });
    }
    try {
      await this.adapter.cancelAllOrders();
    } catch (error) {
      this.logger.warn('cancelAllOrders failed; cancelling one by one', { error: describeError(error) });
      await Promise.all(
        ids.map(async (id) => {
          try {
            await this.adapter.cancelOrder(ref(this.require(id)));
          } catch (cancelError) {
            await this.onRequestFailed(id, cancelError, 'cancel_rejected', 'pending_cancel');
          }
        }),
      );
    }
    if (!this.adapter.capabilities.streaming) await this.syncWorkingOrders();
    return ids.map((id) => this.require(id));
  }

  /**
   * Changes a working order's quantity or prices through the broker's replace. The order keeps
   * its client order id across the chain even when the broker issues a new order id.
   */
  async modify(clientOrderId: string, request: ModifyRequest): Promise<Order> {
    if (!this.adapter.capabilities.replace) {
      throw new UnsupportedOperationError(`${this.adapter.name} cannot replace orders; cancel and submit a new one`);
    }
    const order = this.require(clientOrderId);
    const changes = parseChanges(request, order);
    if (order.status !== 'accepted' && order.status !== 'partially_filled') {
      throw new ValidationError([{ field: 'status', message: `must be accepted or partially_filled to modify, is ${order.status}` }], `modify of ${clientOrderId}`);
    }
    this.apply(clientOrderId, { type: 'replace_requested', changes, at: this.clock.now() });
    try {
      const report = await this.adapter.replaceOrder(this.require(clientOrderId), changes);
      if (this.require(clientOrderId).status === 'pending_replace') {
        this.apply(clientOrderId, { type: 'modified', changes, brokerOrderId: report.brokerOrderId, at: this.clock.now(), raw: report.raw });
      }
      this.applyReport(report);
    } catch (error) {
      await this.onRequestFailed(clientOrderId, error, 'replace_rejected', 'pending_replace');
    }
    return this.require(clientOrderId);
  }

  /**
   * Applies one update from the broker (an event, or a snapshot brought in through the same diff as
   * a polled report). Unknown orders are reported as `order:unknown_update`;
   * an update the state machine refuses is journaled and reported as `error`, never thrown, so
   * one bad message cannot stop the stream.
   */
  applyUpdate(update: OrderUpdate): OrderTransition | undefined {
    const id = this.resolveId(update.clientOrderId, update.brokerOrderId);
    if (id === undefined) {
      this.events.emit('order:unknown_update', {
        clientOrderId: update.clientOrderId,
        ...(update.event ? { event: update.event } : { report: update.report }),
        ...(update.brokerOrderId ? { brokerOrderId: update.brokerOrderId } : {}),
      });
      return undefined;
    }
    if (update.report) {
      this.applyReport(update.report);
      return undefined;
    }
    return this.applySafely(id, update.event);
  }

  /** Brings a tracked order up to a broker report (the polling and reconciliation path). */
  applyReport(report: OrderStatusReport): void {
    const id = this.resolveId(report.clientOrderId, report.brokerOrderId);
    if (id === undefined) return;
    for (const event of eventsFromOrderReport(this.require(id), report, this.clock.now())) this.applySafely(id, event);
  }

  /** Asks the broker for every working order and applies what it says (after a reconnect, or when polling). */
  async syncWorkingOrders(): Promise<void> {
    await Promise.all([...this.working].map((id) => this.refresh(id)));
  }

  get(clientOrderId: string): Order | undefined {
    return this.orders.get(clientOrderId);
  }

  getByBrokerOrderId(brokerOrderId: string): Order | undefined {
    const id = this.byBrokerId.get(brokerOrderId);
    return id === undefined ? undefined : this.orders.get(id);
  }

  /** Orders that may still fill. */
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

  /** Every order in memory (working and the most recent ended ones), optionally filtered. */
  orderList(filter: { symbol?: string; status?: OrderStatus } = {}): Order[] {
    return [...this.orders.values()].filter(
      (o) => (filter.symbol === undefined || o.symbol === filter.symbol) && (filter.status === undefined || o.status === filter.status),
    );
  }

  /** The audit trail: every transition, with time, from, to, reason and the broker's payload. */
  auditTrail(query: JournalQuery = {}): JournalRecord[] {
    return this.journal.query(query);
  }

  private register(order: Order, timeoutMs: number | null, journal = true): void {
    this.orders.set(order.clientOrderId, order);
    // Only orders that have a timeout are listed (no entry means none).
    if (timeoutMs === null) this.timeoutMs.delete(order.clientOrderId);
    else this.timeoutMs.set(order.clientOrderId, timeoutMs);
    if (!isTerminalStatus(order.status)) this.working.add(order.clientOrderId);
    if (order.brokerOrderId) this.byBrokerId.set(order.brokerOrderId, order.clientOrderId);
    if (!journal) return;
    // Journaled before it is sent: after a crash, this record is how we know to look for it.
    this.journal.append({
      kind: 'order.created',
      at: this.clock.now(),
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      status: order.status,
      order,
    });
    this.events.emit('order:created', { order });
  }

  private async sendRegistered(id: string): Promise<Order> {
    this.apply(id, { type: 'submitted', at: this.clock.now() });
    try {
      // Durable before the broker sees it: after a crash, recovery knows to look for this order.
      this.journal.sync?.();
      const amend = (changes: OrderChanges): Order => this.apply(id, { type: 'modified', changes, at: this.clock.now(), raw: { reason: 'amended before resending' } }).order;
      const report = await this.send(this.require(id), amend);
      this.applyReport(report);
    } catch (error) {
      await this.onSubmitFailed(id, error);
    }
    this.armTimeout(id);
    return this.require(id);
  }

  private async onSubmitFailed(id: string, error: unknown): Promise<void> {
    const reason = describeError(error);
    if (isBrokerError(error) && error.mayHaveReachedBroker) {
      // It may have arrived: ask before declaring it failed, so nothing is ever lost or doubled.
      try {
        const report = await this.adapter.getOrder({ clientOrderId: id });
        if (report) {
          this.applyReport(report);
          return;
        }
      } catch (lookupError) {
        this.applySafely(id, { type: 'submit_failed', reason: `${reason}; lookup failed: ${describeError(lookupError)}`, at: this.clock.now() });
        return;
      }
    }
    this.markSendFailed(id, error);
  }

  /** A send that did not land: rejected when the broker said no for good, failed otherwise. */
  private markSendFailed(id: string, error: unknown): void {
    if (isBrokerError(error) && !error.retryable) {
      this.applySafely(id, { type: 'rejected', reason: error.message, at: this.clock.now(), raw: { code: error.code, brokerCode: error.brokerCode, status: error.status } });
    } else {
      this.applySafely(id, { type: 'submit_failed', reason: describeError(error), at: this.clock.now() });
    }
  }

  /**
   * Applies a list's parent report and its legs. A broker that names legs itself (Alpaca) reports
   * them under its own client order ids: such a leg is matched to ours by role (limit → take-profit,
   * stop kinds → stop-loss), and its broker id is recorded so later updates find it.
   */
  private applyListReport(kind: OrderListKind, ids: readonly string[], report: OrderStatusReport): void {
    this.applyReport(report);
    const roles = listRoles(kind);
    const open = new Set(ids.slice(1));
    for (const leg of report.legs ?? []) {
      const id = open.has(leg.clientOrderId)
        ? leg.clientOrderId
        : [...open].find((candidate) => {
            const role = roles[ids.indexOf(candidate)];
            return role === 'exit' || (role === 'takeProfit') === (leg.type === 'limit');
          });
      if (id === undefined) continue;
      open.delete(id);
      for (const event of eventsFromOrderReport(this.require(id), leg, this.clock.now())) this.applySafely(id, event);
    }
  }

  /** A cancel or replace request failed: find out what really happened, then record the refusal. */
  private async onRequestFailed(id: string, error: unknown, type: 'cancel_rejected' | 'replace_rejected', pending: OrderStatus): Promise<void> {
    this.logger.warn(`${type} for ${id}`, { error: describeError(error) });
    if (isBrokerError(error) && error.code !== 'unauthorized') await this.refresh(id);
    if (this.require(id).status === pending) this.applySafely(id, { type, reason: describeError(error), at: this.clock.now() });
  }

  /**
   * The broker acknowledged an order we had asked to cancel before it knew the order (a cancel-all
   * while the order was on the wire): cancel it again, now that there is something to cancel.
   */
  private cancelLanded(id: string, order: Order): void {
    this.cancelBeforeAck.delete(id);
    if (order.status !== 'pending_cancel') return;
    void this.adapter.cancelOrder(ref(order)).catch((error: unknown) => this.onRequestFailed(id, error, 'cancel_rejected', 'pending_cancel'));
  }

  /** {@link refreshOrder} for background paths: a failed look-up is logged, not thrown. */
  private async refresh(id: string): Promise<void> {
    try {
      await this.refreshOrder(id);
    } catch (error) {
      this.logger.warn(`could not refresh order ${id}`, { error: describeError(error) });
    }
  }

  private onConnectionChange(change: ConnectionChange): void {
    this.events.emit('broker:connection', change);
    // Updates may have been missed while the stream was down: ask for the truth.
    if (change.state === 'reconnected') void this.syncWorkingOrders();
  }

  private schedulePoll(): void {
    this.pollTimer = this.clock.setTimeout(() => {
      if (this.polling) return this.schedulePoll();
      this.polling = true;
      void this.syncWorkingOrders().finally(() => {
        this.polling = false;
        if (this.subscriptions.length > 0) this.schedulePoll();
      });
    }, this.pollIntervalMs);
  }

  private armTimeout(id: string): void {
    const ms = this.timeoutMs.get(id);
    if (ms === null || ms === undefined || !this.working.has(id) || this.timeouts.has(id)) return;
    const handle = this.clock.setTimeout(() => {
      this.timeouts.delete(id);
      const order = this.orders.get(id);
      if (!order || !isWorkingStatus(order.status) || order.status === 'pending_cancel') return;
      this.events.emit('order:timeout', { order, timeoutMs: ms });
      void this.cancel(id, `not filled within ${ms} ms`);
    }, ms);
    this.timeouts.set(id, handle);
  }

  private applySafely(id: string, event: OrderEvent): OrderTransition | undefined {
    try {
      return this.apply(id, event);
    } catch (error) {
      const order = this.require(id);
      this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'order.event_refused', clientOrderId: id, symbol: order.symbol, data: { event: orderEventToJSON(event), error: describeError(error) } });
      this.events.emit('error', { error, source: `order ${id}` });
      return undefined;
    }
  }

  /** Applies one event: state machine, then journal, then indexes, then listeners — in that order. */
  private apply(id: string, event: OrderEvent): OrderTransition {
    const transition = applyOrderEvent(this.require(id), event);
    const { order, outcome } = transition;
    this.orders.set(id, order);
    this.journal.append({
      kind: 'order.event',
      at: event.at,
      clientOrderId: id,
      symbol: order.symbol,
      from: transition.from,
      status: transition.to,
      outcome,
      eventType: event.type,
      event,
      // Always both keys (undefined when absent): one record shape, no spreads on the hot path.
      brokerOrderId: order.brokerOrderId || undefined,
      reason: ('reason' in event && event.reason) || undefined,
    });
    if (order.brokerOrderIds !== transition.previous.brokerOrderIds) for (const brokerId of order.brokerOrderIds) this.byBrokerId.set(brokerId, id);
    if (isTerminalStatus(order.status) && this.working.has(id)) this.retire(id);
    if (this.cancelBeforeAck.has(id) && (event.type === 'accepted' || isTerminalStatus(order.status))) this.cancelLanded(id, order);

    if (outcome !== 'applied') {
      this.events.emit('order:ignored', { order, event, outcome });
      return transition;
    }
    this.emitTransition(transition);
    return transition;
  }

  private emitTransition({ order, from, to, event }: OrderTransition): void {
    const bus = this.events;
    const payload: OrderChangedPayload = { order, previousStatus: from, event };
    if (event.type === 'filled') {
      const name = to === 'filled' && from !== 'filled' ? 'order:filled' : to === 'partially_filled' ? 'order:partially_filled' : undefined;
      if (bus.listenerCount('order:fill') > 0 || name) {
        const fillPayload = { order, previousStatus: from, event, fill: event.fill };
        bus.emit('order:fill', fillPayload);
        if (name) bus.emit(name, fillPayload);
      }
    } else {
      const name = EVENT_NAMES[event.type];
      if (name) bus.emit(name, payload);
    }
    if (bus.listenerCount('order:transition') > 0) bus.emit('order:transition', { order, previousStatus: from, event, to });
  }

  private retire(id: string): void {
    this.working.delete(id);
    const handle = this.timeouts.get(id);
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this.timeouts.delete(id);
    this.timeoutMs.delete(id);
    this.cancelBeforeAck.delete(id);
    this.ended.push(id);
    // Evict in batches: shifting a long array once per order would copy it every time.
    if (this.ended.length > this.historyLimit * 2) {
      for (const old of this.ended.splice(0, this.ended.length - this.historyLimit)) {
        const order = this.orders.get(old);
        this.orders.delete(old);
        for (const brokerId of order?.brokerOrderIds ?? []) this.byBrokerId.delete(brokerId);
      }
    }
  }

  private resolveId(clientOrderId: string | undefined, brokerOrderId: string | undefined): string | undefined {
    if (clientOrderId && this.orders.has(clientOrderId)) return clientOrderId;
    return brokerOrderId === undefined ? undefined : this.byBrokerId.get(brokerOrderId);
  }

  private require(id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new OrderNotFoundError(id);
    return order;
  }
}

/** How the orders of a list point at each other. */
function listLinks(kind: OrderListKind, ids: readonly string[], index: number, requests: readonly OrderRequest[]): Order['links'] {
  const roles = listRoles(kind);
  const idOf = (role: string): string | undefined => ids[roles.indexOf(role as never)];
  const role = roles[index];
  const parent = kind === 'oco' ? undefined : ids[0];
  // An OTO's one exit is named by what it is: a limit takes profit, anything else stops the loss.
  const otoExit = kind === 'oto' ? (requests[1]?.type === 'limit' ? 'takeProfit' : 'stopLoss') : undefined;
  const takeProfitId = idOf('takeProfit') ?? (otoExit === 'takeProfit' ? ids[1] : undefined);
  const stopLossId = idOf('stopLoss') ?? (otoExit === 'stopLoss' ? ids[1] : undefined);
  if (role === 'entry') return { ...(takeProfitId ? { takeProfitId } : {}), ...(stopLossId ? { stopLossId } : {}) };
  const sibling = role === 'takeProfit' ? stopLossId : role === 'stopLoss' ? takeProfitId : undefined;
  return { ...(parent ? { parentId: parent } : {}), ...(sibling ? { ocoSiblingId: sibling } : {}) };
}

function ref(order: Order): { clientOrderId: string; brokerOrderId?: string } {
  return order.brokerOrderId ? { clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId } : { clientOrderId: order.clientOrderId };
}

function parseChanges(request: ModifyRequest, order: Order): OrderChanges {
  const issues: ValidationIssue[] = [];
  const changes: Record<string, Decimal> = {};
  for (const key of ORDER_CHANGE_DECIMALS) {
    const parsed = parsePositive(request[key], key, issues);
    if (parsed) changes[key] = parsed;
  }
  if (changes.quantity && changes.quantity.lessThanOrEqualTo(order.filledQuantity)) {
    issues.push({ field: 'quantity', message: `must exceed the filled quantity ${order.filledQuantity.toString()}` });
  }
  if (changes.limitPrice && order.type !== 'limit' && order.type !== 'stop_limit') issues.push({ field: 'limitPrice', message: `is not used by ${order.type} orders` });
  if (changes.stopPrice && order.type !== 'stop' && order.type !== 'stop_limit') issues.push({ field: 'stopPrice', message: `is not used by ${order.type} orders` });
  if (Object.keys(changes).length === 0 && issues.length === 0) issues.push({ field: 'changes', message: 'must change at least one of quantity, limitPrice, stopPrice, trailPercent, trailAmount' });
  if (issues.length > 0) throw new ValidationError(issues, `modify of ${order.clientOrderId}`);
  return changes;
}

