import type { BrokerAdapter, ConnectionChange, OrderUpdate } from '../broker/broker-adapter.js';
import type { OrderStatusReport } from '../broker/reports.js';
import { AnnounceInOrder } from '../core/announce-in-order.js';
import type { Clock } from '../core/clock.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { parsePositive } from '../core/decimal.js';
import {
  describeError,
  DuplicateOrderError,
  isBrokerError,
  isTradewireError,
  type TradewireErrorCode,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
} from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import { HookList, type InternalFailureHandler } from '../core/internal-hooks.js';
import { KeptIds } from '../core/kept-ids.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { optionsOf } from '../core/options.js';
import { EventBus, type EventSink, type EventSource, subscribeOnly } from '../events/event-bus.js';
import { InMemoryJournal } from '../journal/in-memory-journal.js';
import { sendsThatMayLand } from '../journal/send-notes.js';
import { type Journal, type JournalEntry, type JournalQuery, type JournalRecord, UNSTAMPED } from '../journal/journal.js';
import { applyOrderEvent, type OrderTransition } from '../model/apply-order-event.js';
import { type Order, shapeOrder } from '../model/order.js';
import { type OrderChanges, type OrderEvent, ORDER_CHANGE_DECIMALS } from '../model/order-event.js';
import { type OrderListKind, orderListIssues } from '../model/order-list.js';
import { createOrder, type OrderRequest } from '../model/order-request.js';
import { orderEventToJSON } from '../model/order-serialization.js';
import { isTerminalStatus, isWorkingStatus, type OrderStatus } from '../model/order-status.js';
import { eventsFromOrderReport } from '../reconciliation/order-report-diff.js';
import { BrokerFeed } from './broker-feed.js';
import { CANCEL_REFUSALS, CANCEL_RETRIES, CancelRetries } from './cancel-retries.js';
import type { OrderChangedPayload, OrderLifecycleEvents } from './order-lifecycle-events.js';
import { type ListMembership, listLinks, listMembership, matchLegs } from './order-list-links.js';
import { OrderStore } from './order-store.js';
import { OrderTimeouts } from './order-timeouts.js';
import { LANDING_WINDOW_MS, OrdersInDoubt } from './orders-in-doubt.js';
import { OrdersToConfirm } from './orders-to-confirm.js';

/** How long, and how many, withdrawn sends (and replaces the restart found ended) are watched for a late landing. */
const WITHDRAWN_KEPT_MS = 86_400_000;
const WITHDRAWN_KEPT = 1_000;

export interface OrderLifecycleOptions {
  readonly adapter: BrokerAdapter;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The audit trail; default in memory. */
  readonly journal?: Journal;
  /** Share one bus across components (the engine does); default a new one. */
  readonly events?: EventBus<OrderLifecycleEvents>;
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
  /** Hears the symbol of every order stored (created, restored, or changed by an event). */
  readonly onOrderStored?: (symbol: string) => void;
  /**
   * How an order reaches the broker. Default `adapter.submitOrder`; the error handler wraps it
   * with retries. Must reuse the order's client order id on every attempt. `amend` records a change
   * made before resending (a smaller quantity, a limit instead of a market) as a `modified` event,
   * and returns the amended order to send.
   */
  readonly send?: (order: Order, amend: (changes: OrderChanges) => Order) => Promise<OrderStatusReport>;
  /**
   * When an internal hook (see {@link addHook}) throws. Default: journaled and reported as `error`.
   * The engine journals, raises a critical alert and halts trading.
   */
  readonly onInternalFailure?: InternalFailureHandler;
}

/** A request the dead process journaled pending (see {@link OrderLifecycleManager.resumeRequests}). */
export type InterruptedRequest = 'cancel' | 'replace';

export interface SubmitOptions {
  /** Overrides the manager's `orderTimeoutMs` for this order; `null` lets it rest until it ends. */
  readonly timeoutMs?: number | null;
  /**
   * Called with the new order after it is registered and journaled, before it is sent — the
   * place to link it to other state, since its fills can arrive before `submit` resolves.
   */
  readonly onCreated?: (order: Order) => void;
}

/**
 * A submit's options checked before anything is registered: a timeout that is not a number of
 * milliseconds (`'5s'`, `-1`, NaN) would arm a timer that cancels the order at once, and an
 * `onCreated` that is not a function would throw after the order was journaled, leaving it unsent.
 */
function submitOptions(options: SubmitOptions | null | undefined, defaultTimeoutMs: number | null): { timeoutMs: number | null; onCreated: SubmitOptions['onCreated'] } {
  const timeoutMs = options?.timeoutMs;
  const onCreated = options?.onCreated;
  const timeoutValid = timeoutMs === undefined || timeoutMs === null || (typeof timeoutMs === 'number' && timeoutMs >= 0);
  const onCreatedValid = onCreated === undefined || typeof onCreated === 'function';
  if (timeoutValid && onCreatedValid) return { timeoutMs: timeoutMs === undefined ? defaultTimeoutMs : timeoutMs, onCreated };
  const issues: ValidationIssue[] = [];
  if (!timeoutValid) issues.push({ field: 'timeoutMs', message: `must be a number of milliseconds, zero or more, or null, got ${JSON.stringify(timeoutMs) ?? String(timeoutMs)}` });
  if (!onCreatedValid) issues.push({ field: 'onCreated', message: `must be a function, got ${typeof onCreated}` });
  throw new ValidationError(issues, 'submit options');
}

/** What a caller may change on a working order. */
export interface ModifyRequest {
  readonly quantity?: DecimalInput;
  readonly limitPrice?: DecimalInput;
  readonly stopPrice?: DecimalInput;
  readonly trailPercent?: DecimalInput;
  readonly trailAmount?: DecimalInput;
}

/**
 * The engine's own reaction to an order change (positions, buying power, breakers, protection),
 * called in the order hooks were added, after the journal and before the public bus.
 */
export interface OrderHook {
  readonly name: string;
  orderChanged(transition: OrderTransition): void;
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
} as const satisfies Record<Exclude<OrderEvent['type'], 'filled'>, keyof OrderLifecycleEvents | undefined>;

const UNSENT: readonly OrderStatus[] = ['created', 'validated', 'submitted'];

/** Look-ups of one order before giving up on a stable answer, when it keeps changing while each is in flight. */
const STALE_LOOKUP_ASKS = 3;
/** A look-up whose order kept changing while it travelled: not applied (see askUntilCurrent). */
const STALE = Symbol('stale look-up');
/** Journal notes: orders kept to confirm after a stream gap, and each one confirmed (see ordersToConfirm). */
const TO_CONFIRM_TOPIC = 'orders.to_confirm';
const CONFIRMED_TOPIC = 'orders.confirmed';
/** Journal note: an order withdrawn before the broker acknowledged it (or whose replace was on its way when it ended), watched for a late landing (see withdrawn). */
const WITHDRAWN_TOPIC = 'orders.withdrawn';
/** Journal note: a pending cancel the broker reported that the engine did not ask for (made in the broker's app): a restart must not claim it. */
const CANCEL_HEARD_TOPIC = 'orders.cancel_heard';
/** Journal note: a cancel whose request failed on the way, to be asked again (see CancelRetries): a restart asks it. */
const CANCEL_RETRY_TOPIC = 'orders.cancel_retry';
/** Journal note: a cancel asked for an order not sent yet (the state table has no event for it): a restart cancels the order if it landed, and does not send it. */
const CANCEL_BEFORE_SEND_TOPIC = 'orders.cancel_before_send';
/** Journal notes: a cancel wanted until the order ends (`CancelOptions.untilEnded`, with its reason), and one wanted so no more: a restart asks it again. */
const UNTIL_ENDED_TOPIC = 'orders.cancel_until_ended';
const UNTIL_ENDED_RELEASED_TOPIC = 'orders.cancel_until_ended_released';
/**
 * How long a broker may take to act on a cancel it answered before a report of the order still
 * working (not pending cancel) means the cancel did not take: brokers that cancel asynchronously
 * (Alpaca) report the order pending cancel, or cancelled, within moments.
 */
const CANCEL_TAKES_MS = 5_000;

/** The error's code for the event that records a failed request (see `OrderEvent`): none for an error that is not tradewire's. */
function codeOf(error: unknown): { readonly code?: TradewireErrorCode } {
  return isTradewireError(error) ? { code: error.code } : {};
}

/**
 * Submits orders through one adapter and owns them until they end: applies the broker's
 * updates (streamed, or polled for adapters without a stream, through one code path),
 * cancels orders that outlive their timeout, modifies and cancels on request, and writes every
 * change to the journal before anyone hears of it.
 *
 * Every change goes: state machine → journal → indexes → internal hooks (in order) → public bus.
 * Orders are journaled before they are sent. All times come from the injected clock.
 */
export class OrderLifecycleManager {
  /** The lifecycle's events, for hosts: subscribe only. */
  readonly events: EventSource<OrderLifecycleEvents>;
  readonly journal: Journal;
  private readonly bus: EventSink<OrderLifecycleEvents>;
  private readonly adapter: BrokerAdapter;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  private readonly defaultTimeoutMs: number | null;
  private readonly send: (order: Order, amend: (changes: OrderChanges) => Order) => Promise<OrderStatusReport>;
  private readonly store: OrderStore;
  private readonly timeouts: OrderTimeouts;
  private readonly feed: BrokerFeed;
  private readonly hooks: HookList<OrderHook>;
  /** Callers of {@link whenEnded}, told of every order that ends. */
  private readonly endWaiters = new Set<() => void>();
  /** Cancels requested before the broker acknowledged the order: the broker may not have had it to cancel. */
  private readonly cancelBeforeAck = new Set<string>();
  /** Orders the engine asked the broker to cancel, until they end or the cancel is refused (see {@link cancelRequested}). */
  private readonly cancelsAsked = new Set<string>();
  /** Cancels whose request failed on the way, asked again on the clock (see {@link scheduleCancelRetry}). */
  private readonly cancelRetries: CancelRetries;
  /** Cancels wanted until the order ends (`CancelOptions.untilEnded`), with their reason and who asked; refusals asked again by {@link refusedCancels}. */
  private readonly untilEnded = new Map<string, WantedUntilEnded>();
  private readonly refusedCancels: CancelRetries;
  /** Cancels wanted until the order ends already named in a `cancel_failed` alert: asked on, not named again each time a round fails. */
  private readonly cancelFailedAlerted = new Set<string>();
  /** The order whose failed request is being recorded as `cancel_rejected` (not the broker's refusal). */
  private requestFailing: string | undefined;
  /**
   * The kill switch's cancels let go of by `resume()` (see {@link haltCancelsWantedNoMore}): a request
   * of one still on its way that fails after is not asked again — trading resumed, and the order is
   * protection's again (retried, it cancelled a stop protection had just taken back as working).
   * Until the order ends or a cancel of it is asked anew.
   */
  private readonly letGo = new Set<string>();
  /** Cancels whose request failed, while it is decided whether they are asked again (see {@link whenCancelsSettled}). */
  private readonly cancelsFailing = new Set<string>();
  /** After a restart: the dead process's cancels still to be asked again, until {@link resumeRequests} asks them (see {@link expectResumedCancels}). */
  private readonly cancelsToResume = new Set<string>();
  /** Orders given up on while the broker may hold them (see {@link ordersInDoubt}). */
  private readonly inDoubt: OrdersInDoubt;
  private readonly toConfirm: OrdersToConfirm;
  /**
   * Orders ended `cancelled` here because a cancel withdrew their send while an attempt that timed
   * out may still land — or ended, as a restart found them, while the dead process's replace was on
   * its way (a broker that replaces by cancel and create, like OANDA re-creating a trade's stop
   * standalone, may still create the new order): if the broker acknowledges one later, it is
   * cancelled there (see {@link endedButWorking}).
   */
  private readonly withdrawn: KeptIds;
  /**
   * After a restart: orders sent before it whose send may still be processed (see
   * `sendsThatMayLand`). Resent and refused for good, each is left in doubt, not rejected. Emptied as
   * the restart looks each one up or sends it again.
   */
  private readonly landingFromBefore = new Set<string>();
  /** Orders whose send (with its retries) is on its way in this process: only one send per order at a time. */
  private readonly sending = new Set<string>();
  /** Orders whose replace is on its way in this process (see {@link cancelMissedReplacement}). */
  private readonly replacing = new Set<string>();
  /** Cancels asked while the order's replace was on its way, with their reasons: asked of the replacement once it settles, where they missed it. */
  private readonly cancelAfterReplace = new Map<string, string>();
  /** Orders a look-up found ended while their replace was on its way: looked up again once it settles (see {@link applyReport}). */
  private readonly lookAfterReplace = new Set<string>();
  /** Between a `disconnected` and the next `reconnected`: what the broker does goes unheard. */
  private streamDown = false;
  /** Stopped after a start (see {@link stop}): the next start looks up what was missed meanwhile. */
  private stopped = false;
  /** The bus's: transitions emitted in the order applied, also those an internal hook causes while handling another. */
  private readonly inOrder: AnnounceInOrder;
  private readonly announceTransition = (transition: OrderTransition): void => this.emitTransition(transition);
  private readonly announceCreated = (payload: { readonly order: Order }): void => this.bus.emit('order:created', payload);
  /** A counter of applied changes, and the last value at which each symbol's orders changed. */
  private changes = 0;
  private readonly changedAt = new Map<string, number>();
  /**
   * The broker's cancel refusals that changed nothing here (the order already working again: its
   * cancel's request timed out, or was refused before) — by order, at the counter's value then. A
   * report read before such a refusal still says "pending cancel"; news the order itself does not show.
   */
  private readonly refusalsUnseen = new Map<string, number>();

  constructor(options: OrderLifecycleOptions) {
    this.adapter = options.adapter;
    this.clock = options.clock;
    this.ids = options.ids;
    this.logger = options.logger ?? consoleLogger();
    const bus = options.events ?? new EventBus<OrderLifecycleEvents>(({ error, source }) => this.logger.error(`listener for ${source} threw`, { error: describeError(error) }));
    this.events = subscribeOnly(bus);
    this.bus = bus;
    this.inOrder = bus.announcements;
    this.journal = options.journal ?? new InMemoryJournal();
    this.defaultTimeoutMs = options.orderTimeoutMs === undefined ? 60_000 : options.orderTimeoutMs;
    this.send = options.send ?? ((order) => this.adapter.submitOrder(order));
    this.store = new OrderStore(options.historyLimit ?? 10_000, options.onOrderStored);
    this.timeouts = new OrderTimeouts(this.clock, (id, ms) => this.expire(id, ms));
    this.cancelRetries = new CancelRetries(this.clock, (id, reason) => void this.cancel(id, reason));
    // A refused cancel still wanted: asked again unless by then the order ended, its cancel is on
    // its way, or a retry of a request that failed on the way waits.
    this.refusedCancels = new CancelRetries(
      this.clock,
      (id, reason) => {
        const order = this.store.get(id);
        if (!order || !isWorkingStatus(order.status) || this.cancelsAsked.has(id) || this.cancelRetries.has(id)) return;
        // Pending cancel though the engine has not asked since the refusal: a report older than the
        // refusal, heard after it (a lagging stream) — the order works at the broker. Asked all the
        // same (a second cancel of an order that is ending is refused harmlessly); skipped, the
        // cancel was never asked again and the stop worked on over no position.
        if (order.status === 'pending_cancel') {
          this.cancelsAsked.add(id);
          void this.requestCancel(id, `${reason} (refused by the broker: asked again)`);
          return;
        }
        void this.cancel(id, `${reason} (refused by the broker: asked again)`).catch((error: unknown) => this.logger.warn(`asking again for the cancel of ${id} failed`, { error: describeError(error) }));
      },
      CANCEL_REFUSALS,
      true,
    );
    this.inDoubt = new OrdersInDoubt(this.clock);
    this.toConfirm = new OrdersToConfirm(this.clock);
    this.withdrawn = new KeptIds(this.clock, WITHDRAWN_KEPT_MS, WITHDRAWN_KEPT);
    this.hooks = new HookList(
      options.onInternalFailure ??
        (({ error, hook, subject }) => {
          this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'engine.internal_failure', data: { hook, subject, error: describeError(error) } });
          this.bus.emit('error', { error, source: `${hook} (${subject})` });
        }),
    );
    this.feed = new BrokerFeed({
      adapter: this.adapter,
      clock: this.clock,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      apply: (update) => this.applyUpdate(update),
      connectionChanged: (change: ConnectionChange) => this.connectionChanged(change),
      sync: () => this.syncWorkingOrders(),
    });
  }

  /** Adds an internal hook, called on every applied change after those added before it. */
  addHook(hook: OrderHook): void {
    this.hooks.add(hook);
  }

  /**
   * Listens to the adapter's stream (or starts polling when it has none). Idempotent. After a
   * {@link stop}, nothing the broker did meanwhile was heard: every order working then is looked up
   * now, as after a reconnect (a stop filled while the engine was stopped, its target still working
   * at the broker, would otherwise sell into a new short), each order's timeout is armed again, and
   * the cancels whose retries the stop held back are asked again.
   */
  start(): void {
    const listening = this.feed.running;
    this.feed.start();
    if (!this.stopped) {
      if (!listening) this.noticeStreamAlreadyDown();
      return;
    }
    this.stopped = false;
    this.streamDown = false;
    for (const id of this.store.workingIds()) this.armTimeout(id);
    this.cancelRetries.resume();
    this.refusedCancels.resume();
    void this.syncWorkingOrders().catch((error: unknown) => this.logger.warn('looking up the working orders after a restart failed', { error: describeError(error) }));
    this.noticeStreamAlreadyDown();
  }

  private connectionChanged(change: ConnectionChange): void {
    // What fills while the stream is down goes unheard: each order working at either end of the
    // gap, or placed during it, is confirmed by a look-up later, even if it ends first.
    this.keepToConfirm(this.store.workingIds());
    this.streamDown = change.state === 'disconnected';
    this.bus.emit('broker:connection', change);
  }

  /**
   * A stream already down when tracking starts — a start again during an outage (the adapter still
   * connected, its stream reconnecting), or a drop between `connect()` and now — was announced to
   * nobody: it is taken as a disconnect heard now, so what is sent meanwhile is confirmed by a look-up.
   */
  private noticeStreamAlreadyDown(): void {
    if (!this.adapter.capabilities.streaming || this.streamDown || this.adapter.health().streamConnected) return;
    this.connectionChanged({ state: 'disconnected', reason: 'the order stream was down when tracking started', at: this.clock.now() });
  }

  /** Stops listening and clears every timer (timeouts and cancel retries come back with {@link start}). Working orders stay working at the broker. */
  stop(): void {
    this.feed.stop();
    this.timeouts.stopAll();
    this.cancelRetries.suspend();
    this.refusedCancels.suspend();
    // Unheard from now on, as with the stream down: what works now is confirmed by a look-up on start.
    this.keepToConfirm(this.store.workingIds());
    this.streamDown = true;
    this.stopped = true;
  }

  /**
   * Validates, journals and sends a new order; resolves with the order as it stands once the
   * broker answered (often `accepted`, possibly already `filled`, or `rejected` / `failed`).
   * Throws {@link ValidationError} for a bad request and {@link DuplicateOrderError} for a
   * client order id already in use; in both cases nothing was sent or recorded.
   */
  submit(request: OrderRequest, given?: SubmitOptions): Promise<Order> {
    // Not `async` (the send is): an async function returning a promise costs two more promises and ticks per order.
    let id: string;
    try {
      const options = submitOptions(given, this.defaultTimeoutMs);
      const order = createOrder(request, { clock: this.clock, ids: this.ids });
      if (this.store.has(order.clientOrderId)) throw new DuplicateOrderError(order.clientOrderId);
      this.register(order, options.timeoutMs);
      id = order.clientOrderId;
      this.apply(id, { type: 'validated', at: this.clock.now() });
      options.onCreated?.(this.store.require(id));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendRegistered(id);
  }

  /**
   * Resolves once every listed order has ended (or at once when they already have), or after
   * `timeoutMs` on the injected clock; with whether they all ended. For waiting on a cancel's
   * confirmation before sending an order that needs what the cancelled one held.
   */
  whenEnded(clientOrderIds: readonly string[], timeoutMs: number): Promise<boolean> {
    const invalid = waitError(clientOrderIds, timeoutMs, 'whenEnded');
    if (invalid) return Promise.reject(invalid);
    return this.waitUntil(() => !clientOrderIds.some((id) => this.store.isWorking(id)), timeoutMs);
  }

  /**
   * Like {@link whenEnded}, but also true once an order the broker refused to cancel works again
   * with no cancel of it asked: each listed order ended, or is no longer on its way out. For work
   * that waits on a cancel and has something to do either way (a halt's cancel refused leaves the
   * stop working: the targets come back beside it at once, not after the whole wait).
   */
  whenCancelsSettled(clientOrderIds: readonly string[], timeoutMs: number): Promise<boolean> {
    const invalid = waitError(clientOrderIds, timeoutMs, 'whenCancelsSettled');
    if (invalid) return Promise.reject(invalid);
    return this.waitUntil(() => !clientOrderIds.some((id) => this.onItsWayOut(id)), timeoutMs);
  }

  /** The waits of {@link whenEnded} and {@link whenCancelsSettled} look again (an order ended, a cancel was refused or let go). */
  private wakeWaits(): void {
    if (this.endWaiters.size > 0) for (const waiter of [...this.endWaiters]) waiter();
  }

  /** Resolves true once `settled()` holds (looked at when an order ends or a cancel is refused), or with it after `timeoutMs`. */
  private waitUntil(settled: () => boolean, timeoutMs: number): Promise<boolean> {
    if (settled()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean): void => {
        this.endWaiters.delete(check);
        this.clock.clearTimeout(timer);
        resolve(result);
      };
      const check = (): void => {
        if (settled()) done(true);
      };
      this.endWaiters.add(check);
      const timer = this.clock.setTimeout(() => done(settled()), timeoutMs, { keepAlive: true });
    });
  }

  /**
   * The native list an order belongs to, rebuilt from the links `submitList` gave it: its kind and
   * every client order id, parent first. Undefined for an order sent on its own — and for what is
   * left of a list whose legs ended and are no longer kept (see `endedOrdersKept`).
   */
  listOf(clientOrderId: string): ListMembership | undefined {
    const order = this.store.get(clientOrderId);
    return order ? listMembership(order, (id) => this.store.get(id)) : undefined;
  }

  /**
   * Asks the broker for a list's parent and applies it with its legs (a leg the broker named itself
   * is matched by role). Resolves with whether the broker knows the list.
   */
  async refreshList(clientOrderId: string): Promise<boolean> {
    const list = this.listOf(clientOrderId);
    if (!list) return this.refreshOrder(clientOrderId);
    let unreported: string[] = [];
    const report = await this.askUntilCurrent(list.ids, list.ids[0]!, (current) => {
      const legs = matchLegs(list.kind, list.ids, current.legs ?? []);
      const reported = new Set([list.ids[0]!, ...legs.map((l) => l.id)]);
      for (const id of reported) this.inDoubt.resolved(id);
      this.applyListReport(list.kind, list.ids, current, false, false, legs);
      unreported = list.ids.filter((id) => !reported.has(id) && this.store.require(id).status === 'failed');
    });
    const found = this.lookedUp(list.ids.filter((id) => !unreported.includes(id)), report !== undefined);
    // Legs the parent's report left out (a broker answering for a filled entry alone) while they may be
    // there unheard — their send failed in doubt: each asked for by its own id. Else a take-profit that
    // landed and filled stayed failed here, its fill lost.
    await Promise.all(unreported.map((id) => this.refresh(id)));
    return found;
  }

  /**
   * Sends a list again whose orders were journaled but never reached the broker (a crash before the
   * answer): the same client order ids, as one list — never a leg on its own.
   */
  async resumeList(clientOrderId: string): Promise<Order[]> {
    const list = this.listOf(clientOrderId);
    if (!list || !this.adapter.submitOrderList) return [this.store.require(clientOrderId)];
    if (list.ids.some((id) => this.sending.has(id))) return list.ids.map((id) => this.store.require(id));
    if (!list.ids.every((id) => UNSENT.includes(this.store.require(id).status))) return list.ids.map((id) => this.store.require(id));
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
  async submitList(kind: OrderListKind, requests: readonly OrderRequest[], given?: SubmitOptions): Promise<Order[]> {
    const options = submitOptions(given, this.defaultTimeoutMs);
    if (!Array.isArray(requests)) throw new ValidationError([{ field: 'requests', message: `must be an array of order requests, got ${String(requests)}` }], `${String(kind)} order list`);
    if (!this.supportsList(kind) || !this.adapter.submitOrderList) throw new UnsupportedOperationError(`${this.adapter.name} has no native ${String(kind)} orders`);
    const ids = requests.map((r) => r.clientOrderId ?? this.ids.next('tw'));
    for (const id of ids) if (this.store.has(id)) throw new DuplicateOrderError(id);
    // Every leg only exits what its entry bought (and an OCO only exits a position held): reduce-only.
    const exit = (i: number): boolean => kind === 'oco' || i > 0;
    const orders = requests.map((request, i) =>
      createOrder({ ...request, clientOrderId: ids[i]!, links: { ...request.links, ...listLinks(kind, ids, i, requests) }, ...(exit(i) ? { reduceOnly: true } : {}) }, { clock: this.clock, ids: this.ids }),
    );
    const issues = orderListIssues(kind, orders);
    if (issues.length > 0) throw new ValidationError(issues, `${kind} order list`);
    orders.forEach((order, i) => {
      this.register(order, i === 0 ? options.timeoutMs : null);
      this.apply(order.clientOrderId, { type: 'validated', at: this.clock.now() });
    });
    for (const id of ids) options.onCreated?.(this.store.require(id));
    return this.sendList(kind, ids);
  }

  /** Sends a registered list — the first time, or again after a crash — and applies the answer. */
  private async sendList(kind: OrderListKind, ids: readonly string[]): Promise<Order[]> {
    for (const id of ids) if (this.store.require(id).status !== 'submitted') this.apply(id, { type: 'submitted', at: this.clock.now() });
    for (const id of ids) this.sending.add(id);
    try {
      return await this.sendListOnce(kind, ids);
    } finally {
      for (const id of ids) this.sending.delete(id);
      if (this.landingFromBefore.size > 0) for (const id of ids) this.landingFromBefore.delete(id);
    }
  }

  private async sendListOnce(kind: OrderListKind, ids: readonly string[]): Promise<Order[]> {
    try {
      // Durable before the broker sees it, as for one order.
      const durable = this.journal.sync?.();
      if (durable) await durable;
      const asked = this.changes;
      const report = await this.adapter.submitOrderList!({ kind, orders: ids.map((id) => this.store.require(id)) });
      // Its legs as placed: a resize heard on the stream meanwhile is newer (as for one order's send).
      this.applyListReport(kind, ids, report, this.changedSince(this.store.require(ids[0]!).symbol, asked), true);
    } catch (error) {
      if (ids.some((id) => this.brokerHasSpoken(this.store.require(id)))) {
        // Acknowledged meanwhile (the stream was faster than our failing request): the broker decides.
        await this.refreshList(ids[0]!).catch((lookupError: unknown) => this.logger.warn(`could not refresh list ${ids[0]!}`, { error: describeError(lookupError) }));
        for (const id of ids) this.armTimeout(id);
        return ids.map((id) => this.store.require(id));
      }
      // It may have arrived (or the dead process's send of it may: see landingFromBefore): the
      // parent's report (with its legs) is the answer, as for one order.
      const landing = isBrokerError(error) && (error.mayHaveReachedBroker || ids.some((id) => this.landingFromBefore.has(id)));
      let found: OrderStatusReport | undefined;
      const looked = this.changes;
      try {
        found = landing ? await this.adapter.getOrder({ clientOrderId: ids[0]! }) : undefined;
      } catch (lookupError) {
        // No answer either way: failed, and in doubt as a whole (looked up again through its parent).
        const reason = `${describeError(error)}; lookup failed: ${describeError(lookupError)}`;
        const failed = ids.map((id) => this.failMaybeLanded(id, reason)).filter((o) => o?.status === 'failed');
        failed.forEach((order, i) => this.doubt(order!, i === 0));
        for (const id of ids) this.armTimeout(id);
        return ids.map((id) => this.store.require(id));
      }
      if (found) this.applyListReport(kind, ids, found, this.changedSince(this.store.require(ids[0]!).symbol, looked));
      else {
        // Not there yet is not never (see onSubmitFailed): in doubt, quietly, looked up through its
        // parent. A cancel asked meanwhile stays wanted if it lands after all — also after an error
        // that says it did not arrive (OANDA's 500 can come after the broker placed it; the list is
        // not sent again, so only a reconciliation finds it, and took it back working).
        for (const id of ids) {
          // A refusal of this send does not end one that may land (a resend after a restart): failed, in doubt.
          if (landing) {
            this.failMaybeLanded(id, describeError(error));
            this.inDoubt.add(id);
          } else this.keepingCancel(id, () => this.markSendFailed(id, error));
        }
      }
    }
    for (const id of ids) this.armTimeout(id);
    return ids.map((id) => this.store.require(id));
  }

  /**
   * Takes ownership of an order created elsewhere (a recovered journal, a reconciliation)
   * without sending it. Journaled as created.
   */
  track(given: Order, timeoutMs: number | null = this.defaultTimeoutMs): Order {
    if (this.store.has(given.clientOrderId)) throw new DuplicateOrderError(given.clientOrderId);
    // Reshaped: an order built elsewhere gets every key, like the ones made here (see shapeOrder).
    const order = shapeOrder(given);
    this.register(order, timeoutMs);
    this.armTimeout(order.clientOrderId);
    return order;
  }

  /** A working order's own timeout in ms (`null`: none), as a checkpoint records it for the restart. */
  timeoutOf(clientOrderId: string): number | null {
    return this.timeouts.timeoutOf(clientOrderId);
  }

  /**
   * Takes back an order rebuilt from the journal after a restart: tracked again, not journaled
   * again (its records are already there), and announced to no one (it is not news). Its timeout
   * (the one journaled with it; the default when not given) counts from when it was first sent. Reconcile it with {@link refreshOrder} or {@link resume}.
   */
  restore(given: Order, timeoutMs: number | null = this.defaultTimeoutMs): Order {
    if (this.store.has(given.clientOrderId)) throw new DuplicateOrderError(given.clientOrderId);
    const order = shapeOrder(given);
    this.register(order, timeoutMs, false);
    this.armTimeout(order.clientOrderId);
    // Failed in the dead process, its send may still have landed: in doubt from when it failed
    // (the restart's look-up lets it go if that is past the landing window).
    if (order.status === 'failed') this.inDoubt.add(order.clientOrderId, order.updatedAt);
    return order;
  }

  /**
   * Sends an order that was registered but never reached the broker (journaled, then a crash).
   * Same client order id, so a broker that did receive it refuses a duplicate.
   */
  async resume(clientOrderId: string): Promise<Order> {
    const order = this.store.require(clientOrderId);
    // Its send is on its way in this process (a retry waiting out its backoff): that send owns it.
    // A second one would race it — two requests for one order, one refused, one landing unseen.
    if (!UNSENT.includes(order.status) || this.sending.has(clientOrderId)) return order;
    // A leg is never sent alone: its list goes again as a whole.
    if (this.listOf(clientOrderId)) {
      await this.resumeList(clientOrderId);
      return this.store.require(clientOrderId);
    }
    return this.sendRegistered(clientOrderId);
  }

  /**
   * Asks the broker for one order and applies what it says. Resolves with whether the broker knows it.
   * `cancelAskedBy` (a reconciliation's start): an order pending cancel here since before then that
   * the broker still works had its cancel not take — asked again, or working again here (see
   * {@link cancelNotTaken}), as when the broker's open-order list says so.
   */
  async refreshOrder(clientOrderId: string, cancelAskedBy?: number): Promise<boolean> {
    const report = await this.askUntilCurrent([clientOrderId], clientOrderId, (current) => {
      this.inDoubt.resolved(clientOrderId);
      this.applyReport(current);
      if (cancelAskedBy !== undefined) this.cancelNotTaken(current, cancelAskedBy);
    });
    return this.lookedUp([clientOrderId], report !== undefined);
  }

  /**
   * The broker answered a look-up of `ids` (one order, or a list through its parent): in doubt no more
   * — found, or not there a while after the send (sooner, a send that timed out may still land).
   * Resolves with whether it was found.
   */
  private lookedUp(ids: readonly string[], found: boolean): boolean {
    for (const id of ids) {
      if (found) {
        this.landingFromBefore.delete(id);
        this.inDoubt.resolved(id);
      } else {
        this.inDoubt.notFound(id);
        this.confirm(id);
      }
    }
    return found;
  }

  /**
   * The broker's report of `lookUp` (a list through its parent), asked again while any of `ids`
   * changed as the answer travelled (a stream update, a replace's answer): such an answer may be
   * older than the change, and applying it would roll it back — a quantity resized since, a fill it
   * does not count yet. Orders are immutable, so any change is a new object. {@link STALE} when it
   * kept changing ({@link STALE_LOOKUP_ASKS} times): the stream keeps it current. A current answer
   * is given to `apply` at once, in the same turn as the check: awaited first, news arriving in
   * between (a fill heard, a resize another answer set off) would be rolled back by it.
   */
  private async askUntilCurrent(ids: readonly string[], lookUp: string, apply: (report: OrderStatusReport) => void): Promise<OrderStatusReport | typeof STALE | undefined> {
    for (let asked = 1; ; asked++) {
      const before = ids.map((id) => this.store.get(id));
      const mark = this.changes;
      const report = await this.adapter.getOrder(ref(this.store.require(lookUp)));
      if (!report) return report;
      // A refusal heard meanwhile that changed nothing here is news too (the answer may still say "pending cancel").
      if (ids.every((id, i) => this.store.get(id) === before[i] && !this.refusedSince(id, mark))) {
        apply(report);
        return report;
      }
      if (asked >= STALE_LOOKUP_ASKS) {
        this.logger.warn(`order ${lookUp}: kept changing while it was looked up; its look-up is not applied (the stream keeps it current)`);
        return STALE;
      }
    }
  }

  /**
   * Requests a cancel. Resolves with the order once the broker accepted the request (usually
   * `pending_cancel`, or already `cancelled`); an order that already ended is returned as is. One
   * registered but not sent yet (`created`, `validated`) is returned as is and cancelled as soon as
   * the broker acknowledges it.
   */
  async cancel(clientOrderId: string, reason = 'cancel requested', options: CancelOptions = {}): Promise<Order> {
    const order = this.store.require(clientOrderId);
    if (this.letGo.size > 0) this.letGo.delete(clientOrderId);
    if (options.untilEnded === true && !isTerminalStatus(order.status)) this.wantUntilEnded(clientOrderId, { reason, halt: false });
    if (this.cancelOnItsWay(order)) return order;
    if (!isWorkingStatus(order.status) || order.status === 'pending_cancel') return order;
    if (order.acceptedAt === undefined) this.cancelBeforeAck.add(clientOrderId);
    this.cancelsAsked.add(clientOrderId);
    if (this.replacing.has(clientOrderId)) this.cancelAfterReplace.set(clientOrderId, reason);
    this.apply(clientOrderId, { type: 'cancel_requested', at: this.clock.now(), raw: { reason } });
    await this.requestCancel(clientOrderId, reason);
    return this.store.require(clientOrderId);
  }

  /**
   * An order registered but not sent yet (`created`, `validated`: its send is on its way — a signal's
   * order while the host cancels everything from a listener): there is nothing at the broker to cancel,
   * and the state table has no cancel for it, so the cancel is asked once the broker acknowledges it
   * (as for an order on the wire). True when `order` is such an order, now marked so.
   */
  private cancelOnItsWay(order: Order): boolean {
    if (order.status !== 'created' && order.status !== 'validated') return false;
    const id = order.clientOrderId;
    // Journaled: a crash once the send went would otherwise forget the cancel, and the order land working.
    if (!this.cancelBeforeAck.has(id)) this.journal.append({ kind: 'note', at: this.clock.now(), topic: CANCEL_BEFORE_SEND_TOPIC, clientOrderId: id, seq: UNSTAMPED });
    this.cancelBeforeAck.add(id);
    this.cancelsAsked.add(id);
    return true;
  }

  /** Sends the cancel of an order marked pending cancel; a request that failed is recorded and, when it may go through later, asked again. */
  private async requestCancel(clientOrderId: string, reason: string): Promise<void> {
    const sent = ref(this.store.require(clientOrderId));
    try {
      await this.adapter.cancelOrder(sent);
      if (!this.adapter.capabilities.streaming) await this.refresh(clientOrderId);
    } catch (error) {
      await this.cancelRequestFailed(clientOrderId, error, reason, sent.brokerOrderId);
    }
  }

  /**
   * A cancel request failed: recorded, and asked again when it may go through later — or, refused
   * outright while the cancel is wanted until the order ends, asked again all the same.
   */
  private async cancelRequestFailed(id: string, error: unknown, reason: string, sentTo?: string): Promise<void> {
    // Until it is decided whether the cancel is asked again, a wait on it does not settle (another
    // order's refusal heard meanwhile woke the waits between the failure and its retry).
    this.cancelsFailing.add(id);
    try {
      await this.onRequestFailed(id, error, 'cancel_rejected', 'pending_cancel');
      // Let go meanwhile (trading resumed: the halt's cancels are wanted no more): nothing more is
      // asked — asked of the replacement a resize had moved the order to, it cancelled the stop
      // protection had taken back, long after the resume.
      if (this.letGo.has(id)) return;
      if (this.cancelMissedReplacement(id, reason, sentTo)) return;
      this.scheduleCancelRetry(id, error, reason);
      if (this.untilEnded.has(id) && !this.cancelRetries.has(id) && this.store.isWorking(id)) this.refusedOnce(id);
    } finally {
      this.cancelsFailing.delete(id);
      // Not asked again (refused outright): a wait on its cancel settles now (see whenCancelsSettled).
      this.wakeWaits();
    }
  }

  /**
   * A cancel that failed while the order's replace was on its way, or that went to a broker order id
   * the replace has since moved the order from, was asked of the order being replaced — not of its
   * replacement: a broker that replaces by cancel and create (OANDA re-creating a trade's stop
   * standalone) refuses the cancel of the order its replace has just cancelled, and the replacement
   * then works. The cancel is asked of the replacement — once the replace settles (see
   * {@link cancelAfterReplaceSettled}). True when it is.
   */
  private cancelMissedReplacement(id: string, reason: string, sentTo: string | undefined): boolean {
    const order = this.store.get(id);
    if (!order || !isWorkingStatus(order.status) || order.status === 'pending_cancel') return false;
    if (this.replacing.has(id)) {
      this.cancelAfterReplace.set(id, reason);
      return true;
    }
    if (sentTo === undefined || order.brokerOrderId === undefined || order.brokerOrderId === sentTo) return false;
    void this.cancel(id, reason);
    return true;
  }

  /**
   * A replace has settled during which a cancel was asked: a cancel refused meanwhile is asked again
   * (the order works — as its replacement); one still pending whose request went to the order the
   * replace moved from (a broker id that changed: a cancel-all that no longer listed it, a cancel of
   * the replaced id) is asked of the replacement too — a second cancel of an order that is ending is
   * refused harmlessly; a replacement left working is not.
   */
  private async cancelAfterReplaceSettled(id: string, brokerOrderIdBefore: string | undefined): Promise<void> {
    const reason = this.cancelAfterReplace.get(id);
    if (reason === undefined) return;
    this.cancelAfterReplace.delete(id);
    // The kill switch's, let go meanwhile (trading resumed): the order is the host's and protection's
    // again — asked of the replacement, it would cancel a stop protection has taken back as working.
    if (this.letGo.has(id)) return;
    const order = this.store.require(id);
    if (order.status === 'pending_cancel') {
      if (order.brokerOrderId !== brokerOrderIdBefore) await this.requestCancel(id, reason);
    } else if (isWorkingStatus(order.status)) await this.cancel(id, reason);
  }

  /**
   * The broker refused a cancel wanted until the order ends: asked again later — 1 s, 2 s, 4 s …, and
   * once refused {@link CANCEL_REFUSALS} times, with a critical alert, 1 min, 2, 4 … at most an hour
   * apart until the order ends. Given up, a closed position's leftover target stayed working for good
   * and opened a position when the price came to it.
   */
  private refusedOnce(id: string): void {
    if (this.refusedCancels.next(id, this.untilEnded.get(id)?.reason ?? 'cancel requested') !== 'slowed') return;
    const order = this.store.get(id);
    this.alertCancelFailed(id, {
      message: `${order ? `${order.side} ${order.type} ${order.symbol}` : 'order'} (${id}): the broker refused its cancel ${CANCEL_REFUSALS} times — it is still working at the broker; asked again every few minutes, at most an hour apart, until it ends`,
      details: { ...(order ? { symbol: order.symbol } : {}), attempts: CANCEL_REFUSALS },
    });
  }

  /**
   * A critical `cancel_failed` alert: the order still works at the broker. A cancel wanted until the
   * order ends is named once — it is asked on, and an hour's outage raised one alert per round of
   * nine failed requests, a dozen for one order.
   */
  private alertCancelFailed(id: string, alert: { readonly message: string; readonly details: Record<string, unknown> }): void {
    if (this.untilEnded.has(id)) {
      if (this.cancelFailedAlerted.has(id)) return;
      this.cancelFailedAlerted.add(id);
    }
    this.bus.emit('alert', { severity: 'critical', code: 'cancel_failed', message: alert.message, clientOrderId: id, details: alert.details });
  }

  /**
   * A pending cancel that a report asked for at `askedAt` shows did not take: the broker works the
   * order (acknowledged, not pending cancel) though the cancel was asked at least 5 s before. The
   * engine's own cancel (the host's, a timeout's, a closed position's stop) is asked again — a
   * broker that answered the request and lost it kept the order working for good while it stayed
   * pending cancel here; one heard from the broker (made in its app) was refused there, and the
   * order is working here again. True when it did either.
   */
  cancelNotTaken(report: OrderStatusReport, askedAt: number): boolean {
    const order = this.store.get(report.clientOrderId);
    // Since its cancel was asked, not its last change: a fill heard meanwhile (the look-up that found
    // the order working applied it) is no newer cancel — taken as one, the refused cancel, unheard,
    // was never asked again and the order worked on for good.
    if (order?.status !== 'pending_cancel') return false;
    const since = order.cancelRequestedAt ?? order.updatedAt;
    if (since > askedAt - CANCEL_TAKES_MS) return false;
    if (report.status !== 'accepted' && report.status !== 'partially_filled') return false;
    const id = order.clientOrderId;
    // Not asked here (heard from the broker), or the kill switch's let go by resume(): the order works —
    // asked again, the cancel took an order trading had resumed with.
    if (!this.cancelsAsked.has(id) || this.letGo.has(id)) {
      this.applySafely(id, { type: 'cancel_rejected', reason: 'the broker works the order: its pending cancel did not take', at: this.clock.now() });
      return true;
    }
    this.logger.warn(`${id}: pending cancel since ${new Date(since).toISOString()}, still working at the broker; asking the cancel again`);
    void this.requestCancel(id, 'the cancel did not take at the broker');
    return true;
  }

  /**
   * After a restart, before protection is taken back: the cancels whose retry the dead process left
   * waiting (`cancelsInJournal`'s `retry`) count as coming ({@link cancelComing}) until
   * {@link resumeRequests} asks them — a wait on them (`whenCancelsSettled`) does not settle on the
   * order working before its cancel has even been asked; it settles on that cancel's end or refusal.
   */
  expectResumedCancels(retry: ReadonlyMap<string, string>): void {
    for (const id of retry.keys()) this.cancelsToResume.add(id);
  }

  /**
   * After a restart, once the broker has been asked for every order: the requests the dead process
   * journaled but may never have sent. An order still pending cancel (the broker still has it
   * working) has its cancel sent again — the stop of a position being closed must not outlive it; a
   * replace still pending is given up (`replace_rejected`: the order is as the broker has it, and
   * whoever asked — protection — brings it back in step). `interrupted`: the orders the journal left
   * pending, with the request (all that are pending when not given) — not one this process has since
   * seen pending at the broker: a cancel made in the broker's app, heard pending, is not the engine's
   * to claim. A replace whose order the broker reports ended is watched for a late landing: a broker
   * that replaces by cancel and create may still create the new order, which is then cancelled.
   * `retry`: orders whose cancel had failed on the way and was waiting to be asked again (with the
   * cancel's reason): still working, each is cancelled now — the host's cancel, or a timeout's, is
   * not dropped with the dead process's timers. So is an order whose cancel was wanted until it ends
   * (`CancelOptions.untilEnded`) and that still works — also one being replaced meanwhile (protection
   * bringing a stop it took back to the position): the cancel is asked of it as of any order mid-replace.
   */
  async resumeRequests(interrupted?: ReadonlyMap<string, InterruptedRequest>, retry?: ReadonlyMap<string, string>): Promise<void> {
    const at = this.clock.now();
    const cancels: Promise<unknown>[] = [];
    for (const order of this.store.workingOrders()) {
      const id = order.clientOrderId;
      const cut = interrupted === undefined || interrupted.has(id);
      if (cut && order.status === 'pending_replace') {
        this.applySafely(id, { type: 'replace_rejected', reason: 'the replace asked before the restart was not confirmed by the broker', at });
      }
      // A cancel whose retry waited, or wanted until the order ends (the kill switch's, a closed
      // position's stop): asked again — also of an order protection is resizing meanwhile (asked once
      // the replace settles). Skipped for being mid-replace, it was never asked, and protection waited
      // for good on the stop's cancel to end before protecting the position again: no target.
      const reason = retry?.get(id) ?? this.untilEnded.get(id)?.reason;
      const status = this.store.require(id).status;
      if (reason !== undefined && status !== 'pending_cancel') cancels.push(this.cancel(id, reason));
      else if (cut && status === 'pending_cancel') {
        this.cancelsAsked.add(id);
        cancels.push(this.requestCancel(id, 'cancel asked before the restart'));
      }
    }
    // Each asked above (counted by cancelsAsked now, until it ends or is refused), or not to be asked.
    this.cancelsToResume.clear();
    // A replace on its way when the process died, its order found ended: where the broker replaces by
    // cancel and create, the create may still land — a new order nobody here follows. Watched like a
    // withdrawn send (across checkpoints too), and cancelled there if it lands.
    for (const [id, request] of interrupted ?? []) {
      const order = this.store.get(id);
      if (request === 'replace' && order) this.watchReplacement(order, at);
    }
    await Promise.all(cancels);
  }

  /**
   * The kill switch for orders: marks every working order pending cancel and asks the broker to
   * cancel everything on the account in one call, falling back to one cancel per order if that
   * call fails. Resolves with the orders it marked; those not sent yet are cancelled once the broker
   * acknowledges them.
   */
  cancelAll(reason = 'cancel all', options: CancelOptions = {}): Promise<Order[]> {
    return this.cancelWorking(reason, options.untilEnded === true ? { reason, halt: false } : undefined);
  }

  /**
   * The engine's kill switch: {@link cancelAll}, each cancel wanted until its order ends and marked
   * as the halt's, so `resume()` lets go of these and only these ({@link haltCancelsWantedNoMore}) —
   * not a host's own cancels, whatever their reason says. Each cancel's reason is `halted: <haltReason>`.
   */
  cancelAllForHalt(haltReason: string): Promise<Order[]> {
    const reason = `${HALT_CANCEL_REASON}${haltReason}`;
    return this.cancelWorking(reason, { reason, halt: true });
  }

  private async cancelWorking(reason: string, untilEnded: WantedUntilEnded | undefined): Promise<Order[]> {
    // Orders still being sent are marked to be cancelled once the broker has them; the rest now.
    const ids: string[] = [];
    for (const order of this.store.workingOrders()) {
      if (untilEnded) this.wantUntilEnded(order.clientOrderId, untilEnded);
      if (order.status !== 'pending_cancel' && !this.cancelOnItsWay(order)) ids.push(order.clientOrderId);
    }
    const at = this.clock.now();
    for (const id of ids) {
      if (this.store.require(id).acceptedAt === undefined) this.cancelBeforeAck.add(id);
      this.cancelsAsked.add(id);
      if (this.replacing.has(id)) this.cancelAfterReplace.set(id, reason);
      this.apply(id, { type: 'cancel_requested', at, raw: { reason } });
    }
    try {
      await this.adapter.cancelAllOrders();
    } catch (error) {
      this.logger.warn('cancelAllOrders failed; cancelling one by one', { error: describeError(error) });
      await Promise.all(
        ids.map(async (id) => {
          const sent = ref(this.store.require(id));
          try {
            await this.adapter.cancelOrder(sent);
          } catch (cancelError) {
            await this.cancelRequestFailed(id, cancelError, reason, sent.brokerOrderId);
          }
        }),
      );
    }
    if (!this.adapter.capabilities.streaming) await this.syncWorkingOrders();
    return ids.map((id) => this.store.require(id));
  }

  /**
   * Changes a working order's quantity or prices through the broker's replace. The order keeps
   * its client order id across the chain even when the broker issues a new order id.
   */
  async modify(clientOrderId: string, request: ModifyRequest): Promise<Order> {
    if (!this.adapter.capabilities.replace) {
      throw new UnsupportedOperationError(`${this.adapter.name} cannot replace orders; cancel and submit a new one`);
    }
    const order = this.store.require(clientOrderId);
    const changes = parseChanges(request, order);
    if (order.status !== 'accepted' && order.status !== 'partially_filled') {
      throw new ValidationError([{ field: 'status', message: `must be accepted or partially_filled to modify, is ${order.status}` }], `modify of ${clientOrderId}`);
    }
    this.apply(clientOrderId, { type: 'replace_requested', changes, at: this.clock.now() });
    const asked = this.changes;
    this.replacing.add(clientOrderId);
    let mayLandLater = false;
    try {
      const report = await this.adapter.replaceOrder(this.store.require(clientOrderId), changes);
      const stale = this.changedSince(order.symbol, asked);
      // Confirmed while a cancel asked meanwhile is pending too: the order goes by the replacement's id
      // now (the cancel may have gone to the old one, see cancelAfterReplaceSettled).
      const status = this.store.require(clientOrderId).status;
      if (status === 'pending_replace' || status === 'pending_cancel') {
        this.apply(clientOrderId, { type: 'modified', changes, brokerOrderId: report.brokerOrderId, at: this.clock.now(), raw: report.raw });
      }
      this.applyReport(report, stale, true);
    } catch (error) {
      mayLandLater = isBrokerError(error) && error.mayHaveReachedBroker === true;
      await this.onRequestFailed(clientOrderId, error, 'replace_rejected', 'pending_replace');
    } finally {
      this.replacing.delete(clientOrderId);
    }
    if (this.lookAfterReplace.delete(clientOrderId)) await this.refresh(clientOrderId);
    // A replace lost on the way, its order found ended: a cancel-and-create replace's create may still
    // land — watched like a withdrawn send, and cancelled there if it does.
    if (mayLandLater) this.watchReplacement(this.store.require(clientOrderId));
    await this.cancelAfterReplaceSettled(clientOrderId, order.brokerOrderId);
    return this.store.require(clientOrderId);
  }

  /**
   * Applies one update from the broker (an event, or a snapshot brought in through the same diff as
   * a polled report). Unknown orders are reported as `order:unknown_update`;
   * an update the state machine refuses is journaled and reported as `error`, never thrown, so
   * one bad message cannot stop the stream.
   */
  applyUpdate(update: OrderUpdate): OrderTransition | undefined {
    const id = this.store.resolveId(update.clientOrderId, update.brokerOrderId, update.report?.replacesBrokerOrderId);
    if (id === undefined) {
      this.bus.emit('order:unknown_update', {
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

  /**
   * Brings a tracked order up to a broker report (the polling and reconciliation path). `stale`: the
   * report answers a request (a send, a replace) during which the symbol's orders changed — a resize
   * or a fill heard meanwhile is newer than it — so its size and prices are not taken (they would
   * roll back a later resize: a stop set back to a size its fills then overran); its fills and its
   * end still count, and a notional order still learns its quantity. `answer`: the report answers a
   * send or replace — the order as the broker took the request, not as it is when the answer arrives.
   */
  applyReport(report: OrderStatusReport, stale = false, answer = false): void {
    const id = this.store.resolveId(report.clientOrderId, report.brokerOrderId, report.replacesBrokerOrderId);
    if (id === undefined) return;
    // A broker that replaces by cancel and create has the order cancelled while the replace is on its
    // way (OANDA re-creating a trade's stop standalone): a look-up then says it ended, and its
    // replacement follows. Its fills count; its end waits for the replace to settle, then a look-up.
    if (!answer && this.replacing.has(id) && (report.status === 'cancelled' || report.status === 'expired')) {
      this.lookAfterReplace.add(id);
      this.bringUpTo(id, report, stale, true);
      return;
    }
    // A report closes a stream gap only once the stream is back (or the order has ended): with the
    // stream still down, what fills after the report is as unheard as before it. An answer never
    // does: it tells of the order when the request was taken, and what filled between then and now
    // (the engine stopped, the stream down) was not heard either.
    // Nor does one of an order ended here that works there (its cancel asked there, see
    // endedButWorking): watched until the broker ends it — what it fills meanwhile is the order's.
    const workingThereOnly = isWorkingStatus(report.status) && !this.store.isWorking(id);
    if (!answer && (!this.streamDown || isTerminalStatus(report.status)) && !workingThereOnly) this.confirm(id);
    this.bringUpTo(id, report, stale);
    // A withdrawn send found landed (with no stream to bring its acknowledgement): its fills are
    // taken above; working there, it is cancelled there — ended there, it is watched no longer.
    if (this.withdrawn.delete(id) && isWorkingStatus(report.status)) void this.endedButWorking(this.store.require(id), { brokerOrderId: report.brokerOrderId });
  }

  /** The events that bring order `id` up to `report` (a stale one's size and prices left out, see {@link applyReport}; `notItsEnd`: its fills, not its end). */
  private bringUpTo(id: string, report: OrderStatusReport, stale: boolean, notItsEnd = false): void {
    const order = this.store.require(id);
    for (const event of eventsFromOrderReport(order, report, this.clock.now())) {
      if (stale && event.type === 'modified' && order.notional === undefined) continue;
      if (notItsEnd && (event.type === 'cancelled' || event.type === 'expired')) continue;
      this.applySafely(id, event);
    }
  }

  /** Asks the broker for every working order, and every one in doubt, and applies what it says (after a reconnect, or when polling). */
  async syncWorkingOrders(): Promise<void> {
    // A list is asked for through its parent, once (its legs may have no id of their own at the broker).
    const lists = new Set<string>();
    const lookUp = (id: string): Promise<void> => {
      const list = this.listOf(id);
      if (!list) return this.refresh(id);
      if (lists.has(list.ids[0]!)) return Promise.resolve();
      lists.add(list.ids[0]!);
      return this.refreshList(list.ids[0]!).then(
        () => undefined,
        (error: unknown) => this.logger.warn(`could not refresh list ${list.ids[0]!}`, { error: describeError(error) }),
      );
    };
    const inDoubt = this.ordersInDoubt().map((order) => lookUp(order.clientOrderId));
    // Ended ones too: an order that ended while the stream was down may have filled first.
    const ended = this.toConfirm.ids().filter((id) => !this.store.isWorking(id) && this.store.get(id) !== undefined).map(lookUp);
    // And a send withdrawn while its timed-out attempt may still land: with no stream to bring its
    // acknowledgement (polling, or down when it landed), only a look-up finds it — working, or
    // already filled in part and ended by the broker (a reduce-only stop cut to the position).
    const landing = this.clock.now() - LANDING_WINDOW_MS;
    const withdrawn = this.withdrawn.ids((id) => this.store.get(id) !== undefined).filter((id) => (this.withdrawn.keptAt(id) ?? 0) >= landing && !this.store.isWorking(id));
    await Promise.all([...this.store.workingIds().map((id) => this.refresh(id)), ...ended, ...inDoubt, ...withdrawn.map(lookUp)]);
  }

  /** Journaled, so a restart still looks them up (see {@link restoreWatched}). */
  private keepToConfirm(ids: Iterable<string>): void {
    const added = this.toConfirm.addAll(ids);
    if (added.length > 0) this.journal.append({ kind: 'note', at: this.clock.now(), topic: TO_CONFIRM_TOPIC, data: { clientOrderIds: added }, seq: UNSTAMPED });
  }

  private confirm(clientOrderId: string): void {
    if (this.toConfirm.confirmed(clientOrderId)) this.journal.append({ kind: 'note', at: this.clock.now(), topic: CONFIRMED_TOPIC, clientOrderId, data: {}, seq: UNSTAMPED });
  }

  /**
   * After a restart: the orders taken back working are looked up, ended or not, like the orders of a
   * stream gap — the process heard nothing while it was down, and an order whose end the stream
   * brings before the restart's look-up (a timeout's cancel) would keep none of the fills it missed.
   */
  keepToConfirmAfterRestart(clientOrderIds: readonly string[]): void {
    this.keepToConfirm(clientOrderIds);
  }

  /**
   * After a restart: the orders the dead process still watched, from its journal notes — to confirm
   * (looked up by `recover()`), withdrawn before an acknowledgement that may still come, cancelled
   * before they were sent (cancelled at the broker if they landed, never sent again if not),
   * cancelled until they end (asked again by {@link resumeRequests}), and sent but unanswered with a
   * send that may still land (a resend refused for good leaves them in doubt, not rejected).
   */
  restoreWatched(records: readonly JournalRecord[]): void {
    const untilEnded = new Map<string, WantedUntilEnded>();
    for (const record of records) {
      if (record.kind !== 'note') continue;
      if (record.topic === UNTIL_ENDED_TOPIC && record.clientOrderId) untilEnded.set(record.clientOrderId, wantedUntilEndedOf(record.data as UntilEndedNote));
      else if (record.topic === UNTIL_ENDED_RELEASED_TOPIC && record.clientOrderId) untilEnded.delete(record.clientOrderId);
      if (record.topic === TO_CONFIRM_TOPIC) this.toConfirm.addAll((record.data as { clientOrderIds: string[] }).clientOrderIds, record.at);
      else if (record.topic === CONFIRMED_TOPIC && record.clientOrderId) this.toConfirm.confirmed(record.clientOrderId);
      else if (record.topic === WITHDRAWN_TOPIC && record.clientOrderId && this.store.get(record.clientOrderId)) this.restoreWithdrawn(this.store.require(record.clientOrderId), record.at);
      else if (record.topic === CANCEL_BEFORE_SEND_TOPIC && record.clientOrderId) this.restoreCancelAskedBeforeAck(record.clientOrderId);
    }
    // Asked again by resumeRequests once the broker has been asked for them.
    for (const [id, reason] of untilEnded) if (this.store.isWorking(id)) this.untilEnded.set(id, reason);
    // Sent by the dead process, unanswered (one this process is sending is its own send's to judge).
    const sent = new Set(this.store.workingOrders().filter((o) => o.status === 'submitted' && !this.sending.has(o.clientOrderId)).map((o) => o.clientOrderId));
    if (sent.size > 0) for (const id of sendsThatMayLand(records, sent)) this.landingFromBefore.add(id);
  }

  /**
   * What a journal checkpoint needs of the orders: every working order as it is now (its
   * `order.created` carries its state and fills) — and the ended ones still watched (in doubt, to
   * confirm, withdrawn before an acknowledgement that may still come), with the notes that say so
   * and since when: dropped with the records before the checkpoint, a late landing of theirs would
   * be an unknown order after the next restart, left working. `named`: ended orders another part's
   * notes still name (a protection's cancelled target, to be put back), kept as they ended.
   */
  checkpointEntries(at: number, named: Iterable<string> = []): JournalEntry[] {
    const withdrawn = this.withdrawn.ids((id) => this.store.get(id) !== undefined);
    const toConfirm = this.toConfirm.ids().filter((id) => this.store.get(id) !== undefined);
    const ended = new Set([...this.inDoubt.orders((id) => this.store.get(id)).map((o) => o.clientOrderId), ...withdrawn, ...toConfirm, ...[...named].filter((id) => this.store.get(id) !== undefined)].filter((id) => !this.store.isWorking(id)));
    const entries: JournalEntry[] = [];
    for (const order of [...this.store.workingOrders(), ...[...ended].map((id) => this.store.require(id))]) {
      entries.push({ kind: 'order.created', at, clientOrderId: order.clientOrderId, symbol: order.symbol, status: order.status, order, timeoutMs: this.timeoutOf(order.clientOrderId) });
    }
    for (const id of toConfirm) entries.push({ kind: 'note', at: this.toConfirm.keptAt(id) ?? at, topic: TO_CONFIRM_TOPIC, data: { clientOrderIds: [id] } });
    for (const id of withdrawn) entries.push({ kind: 'note', at: this.withdrawn.keptAt(id) ?? at, topic: WITHDRAWN_TOPIC, clientOrderId: id, data: {} });
    for (const order of this.store.workingOrders()) {
      if (order.status === 'pending_cancel' && !this.cancelsAsked.has(order.clientOrderId)) entries.push({ kind: 'note', at, topic: CANCEL_HEARD_TOPIC, clientOrderId: order.clientOrderId });
    }
    for (const [id, reason] of this.cancelRetries.waiting()) {
      if (this.store.isWorking(id)) entries.push({ kind: 'note', at, topic: CANCEL_RETRY_TOPIC, clientOrderId: id, data: { reason } });
    }
    for (const [id, wanted] of this.untilEnded) {
      if (this.store.isWorking(id)) entries.push({ kind: 'note', at, topic: UNTIL_ENDED_TOPIC, clientOrderId: id, data: untilEndedNote(wanted) });
    }
    return entries;
  }

  /**
   * After a restart: what the journal last recorded of each order's cancel, beyond its status.
   * `heard`: a pending cancel that was the broker's news, not the engine's request (made in the
   * broker's app) — not the dead process's to resume: sent again, its end would count as the
   * engine's own cancel, and a stop ended that way would not be reported lost. `retry`: a cancel
   * whose request had failed on the way, waiting to be asked again when the process died (with its
   * reason) — see {@link resumeRequests}.
   */
  cancelsInJournal(records: readonly JournalRecord[]): { heard: Set<string>; retry: Map<string, string> } {
    const heard = new Set<string>();
    const retry = new Map<string, string>();
    for (const record of records) {
      if (record.kind === 'order.event' && record.eventType === 'cancel_requested' && record.outcome === 'applied') {
        heard.delete(record.clientOrderId);
        retry.delete(record.clientOrderId);
      } else if (record.kind === 'note' && record.clientOrderId) {
        if (record.topic === CANCEL_HEARD_TOPIC) heard.add(record.clientOrderId);
        else if (record.topic === CANCEL_RETRY_TOPIC) retry.set(record.clientOrderId, (record.data as { reason: string }).reason);
      }
    }
    return { heard, retry };
  }

  /**
   * Orders that were working when the broker's stream dropped and whose full report has not been
   * applied since: a fill may have come unheard, also before an end heard later. Looked up on the
   * next reconnect and by every reconciliation, ended or not, until the broker's report is in. Also
   * orders ended here that work at the broker (`ended_order_working`), until it reports them ended.
   */
  ordersToConfirm(): Order[] {
    return this.toConfirm.ids().flatMap((id) => this.store.get(id) ?? []);
  }

  /**
   * Orders marked `failed` although the broker may hold them: the send timed out (or the
   * connection broke) after it may have arrived, and the look-up by client order id failed too. The
   * engine cannot tell, so the order is failed and nothing is sent again; these are looked up on the
   * next reconnect and by every reconciliation until the broker answers — its report then brings the
   * order back (and its fills into the position), or it says the order never arrived. Also orders
   * ended `cancelled` before the broker answered (a cancel withdrew a send whose attempt may still
   * land). Looked for a day, at most 1 000 of them.
   */
  ordersInDoubt(): Order[] {
    return this.inDoubt.orders((id) => this.store.get(id));
  }

  /**
   * `symbol`'s orders that were in doubt for a day with no answer from the broker (every look-up
   * failed) and are still kept: no longer looked up each time, but a reconciliation that finds the
   * symbol's position differs from the broker's asks for them first — their fills may be the
   * difference. Kept a month; forgotten once the broker answers or the difference is adopted.
   */
  ordersUnanswered(symbol: string): Order[] {
    return this.inDoubt.unansweredOf(symbol, (id) => this.store.get(id));
  }

  /** The broker's position of `symbol` was adopted: what its unanswered orders did is in it (see {@link ordersUnanswered}). */
  forgetUnanswered(symbol: string): void {
    this.inDoubt.forgetUnanswered(symbol, (id) => this.store.get(id));
  }

  /**
   * True while the engine has asked the broker to cancel this order (`cancel`, `cancelAll`) and
   * the order has not ended nor the cancel been refused — also inside the internal hooks that hear
   * of the order's end. It tells the engine's own cancels from an order the broker ended by itself
   * (cancelled from the broker's site, past its age limit, a corporate action).
   */
  cancelRequested(clientOrderId: string): boolean {
    return this.cancelsAsked.has(clientOrderId);
  }

  get(clientOrderId: string): Order | undefined {
    return this.store.get(clientOrderId);
  }

  getByBrokerOrderId(brokerOrderId: string): Order | undefined {
    return this.store.getByBrokerOrderId(brokerOrderId);
  }

  /** Orders that may still fill. */
  workingOrders(): Order[] {
    return this.store.workingOrders();
  }

  /** True when an order for `symbol` may still fill (`ignore` skips some, e.g. protective stops). */
  hasWorkingOrder(symbol: string, ignore?: (order: Order) => boolean): boolean {
    return this.store.hasWorkingOrder(symbol, ignore);
  }

  /** The working orders of `symbol`. */
  workingOrdersOf(symbol: string): Iterable<Order> {
    return this.store.workingOf(symbol);
  }

  /** Every order in memory (working and the most recent ended ones), optionally filtered. */
  orderList(filter?: { symbol?: string; status?: OrderStatus }): Order[] {
    return this.store.list(optionsOf(filter, 'orderList'));
  }

  /**
   * A mark in the stream of order changes: {@link changedSince} tells whether a symbol's orders
   * changed after it. Reconciliation takes one before reading the broker's positions, so a picture
   * taken while an order of that symbol moved is never applied as the truth.
   */
  get changeMark(): number {
    return this.changes;
  }

  /** True when an order of `symbol` changed (was sent, acknowledged, filled, ended…) after `mark`. */
  changedSince(symbol: string, mark: number): boolean {
    return (this.changedAt.get(symbol) ?? 0) > mark;
  }

  /**
   * True when `report` may be older than what was heard of its order after `mark`: it says "pending
   * cancel" and the broker refused a cancel of that order since (a refusal that changed nothing here,
   * the order already working again — the report would put a cancel nobody asks back on it).
   */
  reportOutrun(report: OrderStatusReport, clientOrderId: string, mark: number): boolean {
    return report.status === 'pending_cancel' && this.refusedSince(clientOrderId, mark);
  }

  private refusedSince(clientOrderId: string, mark: number): boolean {
    return this.refusalsUnseen.size > 0 && (this.refusalsUnseen.get(clientOrderId) ?? 0) > mark;
  }

  /** The audit trail: every transition, with time, from, to, reason and the broker's payload. */
  auditTrail(query?: JournalQuery): JournalRecord[] {
    return this.journal.query(optionsOf(query, 'auditTrail'));
  }

  private register(order: Order, timeoutMs: number | null, journal = true): void {
    this.store.add(order);
    if (this.streamDown) this.keepToConfirm([order.clientOrderId]);
    // An order restored already ended has nothing left to time out (and would never be cleared).
    if (!isTerminalStatus(order.status)) this.timeouts.set(order.clientOrderId, timeoutMs);
    if (!journal) return;
    // Journaled before it is sent: after a crash, this record is how we know to look for it.
    this.journal.append({
      kind: 'order.created',
      at: this.clock.now(),
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      status: order.status,
      order,
      timeoutMs,
      seq: UNSTAMPED,
    });
    this.inOrder.now({ order }, this.announceCreated);
  }

  private async sendRegistered(id: string): Promise<Order> {
    this.apply(id, { type: 'submitted', at: this.clock.now() });
    this.sending.add(id);
    try {
      // Durable before the broker sees it: after a crash, recovery knows to look for this order.
      // A durable journal's flush is shared by every order waiting on it (group commit).
      const durable = this.journal.sync?.();
      if (durable) await durable;
      const amend = (changes: OrderChanges): Order => this.apply(id, { type: 'modified', changes, at: this.clock.now(), raw: { reason: 'amended before resending' } }).order;
      const asked = this.changes;
      const report = await this.send(this.store.require(id), amend);
      this.applyReport(report, this.changedSince(this.store.require(id).symbol, asked), true);
    } catch (error) {
      await this.onSubmitFailed(id, error);
    } finally {
      this.sending.delete(id);
      if (this.landingFromBefore.size > 0) this.landingFromBefore.delete(id);
    }
    this.armTimeout(id);
    return this.store.require(id);
  }

  /**
   * An order that ended here without filling works at the broker — a send withdrawn by a cancel
   * whose timed-out attempt landed later, or one a reconciliation finds listed open: nothing may
   * work at the broker that the engine does not track (a stop nobody follows would sell what is not
   * there), so it is cancelled there, with a `ended_order_working` warning. A fill before the cancel
   * lands is still applied to the order (the state table takes late fills on ended orders). `ask`:
   * the broker is asked first whether it works the order (a late acknowledgement proves nothing).
   * `brokerOrderId`: the broker's id of what it reported working, where that is not the id kept
   * here — a replacement whose answer was lost and that landed after the order ended here is a
   * new order there; cancelling the id kept here would leave it working.
   */
  async endedButWorking(order: Order, options: { readonly ask?: boolean; readonly brokerOrderId?: string | undefined } = {}): Promise<void> {
    // A filled order works nowhere — but a second order under its client id may (a send that landed
    // late beside its resend, at a broker that takes an id again once its order has ended: OANDA).
    const duplicate = options.brokerOrderId !== undefined && order.brokerOrderId !== undefined && options.brokerOrderId !== order.brokerOrderId;
    if (!isTerminalStatus(order.status) || (order.status === 'filled' && !duplicate)) return;
    const id = order.clientOrderId;
    let working = { ...ref(order), ...(options.brokerOrderId ? { brokerOrderId: options.brokerOrderId } : {}) };
    if (options.ask) {
      const report = await this.adapter.getOrder(working).catch((error: unknown) => {
        this.logger.warn(`could not look up ${id}, acknowledged by the broker after it ended here`, { error: describeError(error) });
        return undefined;
      });
      if (!report || !isWorkingStatus(report.status)) return;
      if (report.brokerOrderId) working = { clientOrderId: id, brokerOrderId: report.brokerOrderId };
    }
    this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'order.working_after_end', clientOrderId: id, symbol: order.symbol, data: { status: order.status }, seq: UNSTAMPED });
    // Looked up on each reconnect and reconciliation until the broker ends it: its cancel there may
    // be refused, and a fill it makes unheard (the stream down, the engine stopped) is the order's —
    // lost, the order stayed cancelled with nothing filled while the broker's stop had filled 10.
    this.keepToConfirm([id]);
    this.bus.emit('alert', { severity: 'warning', code: 'ended_order_working', message: `${order.side} ${order.type} ${order.symbol} (${id}) ended ${order.status} here but works at the broker; cancelling it there`, clientOrderId: id, details: { symbol: order.symbol, status: order.status } });
    this.adapter.cancelOrder(working).catch((error: unknown) => {
      // Refused as not cancelable: it ended there meanwhile (filled, or cancelled by its sibling).
      if (isBrokerError(error) && !error.retryable) {
        this.logger.info(`${id}: the broker would not cancel it (${describeError(error)}); it is not working there`);
        return;
      }
      this.bus.emit('alert', { severity: 'critical', code: 'cancel_failed', message: `${order.side} ${order.type} ${order.symbol} (${id}) works at the broker though it ended here, and its cancel failed: ${describeError(error)}`, clientOrderId: id, details: { symbol: order.symbol, attempts: 1 } });
    });
  }

  /**
   * The kill switch's cancels ({@link cancelAllForHalt}) wanted until the order ends are wanted so no
   * more (trading resumed: protection takes a stop that is still working back): a refusal from now is
   * the broker's answer. Any other cancel wanted until its order ends (a closed position's stop, a
   * host's `cancelAll(…, { untilEnded: true })`, whatever its reason) still is.
   */
  haltCancelsWantedNoMore(): void {
    for (const [id, wanted] of [...this.untilEnded]) {
      if (!wanted.halt) continue;
      this.releaseUntilEnded(id);
      this.letGo.add(id);
      // A retry of a request that failed (the halt's, or an earlier cancel's — a force-close the halt
      // ended) waits no more either: fired after, it cancelled a target protection had taken back.
      if (this.cancelRetries.has(id)) {
        this.cancelRetries.clear(id);
        this.cancelsAsked.delete(id);
      }
    }
    this.wakeWaits();
  }

  /**
   * A reconciliation heard the broker: each cancel wanted until its order ends that waits on the slow
   * clock (refused five times and more) is asked now. Left to its timer, a closed position's stop
   * worked on up to an hour after the broker took cancels again — a fall through it opened a short.
   */
  askSlowCancelsNow(): void {
    this.refusedCancels.hurrySlow();
  }

  /** True while a cancel of this order is wanted until it ends (`CancelOptions.untilEnded`): a refusal of it is asked again, not taken as the broker's answer. */
  cancelWantedUntilEnded(clientOrderId: string): boolean {
    return this.untilEnded.has(clientOrderId);
  }

  /**
   * True while a cancel of this order is wanted until it ends for a reason other than the kill
   * switch (a closed position's stop, a protective order left with no position after a restart, a
   * host's `cancelAll(…, { untilEnded: true })`): `resume()` does not let go of it, and a restart's
   * protection does not take the order back for a new position.
   */
  cancelWantedForGood(clientOrderId: string): boolean {
    const wanted = this.untilEnded.get(clientOrderId);
    return wanted !== undefined && !wanted.halt;
  }

  /**
   * The first reason an order's cancel is wanted until it ends stands — but one that outlives a halt
   * takes the place of the halt's (see {@link haltCancelsWantedNoMore}): a closed position's stop
   * the halt was already cancelling was let go on resume, and worked on, refused, over no position.
   * Journaled, so a restart asks it again.
   */
  private wantUntilEnded(clientOrderId: string, wanted: WantedUntilEnded): void {
    const before = this.untilEnded.get(clientOrderId);
    if (before && !(before.halt && !wanted.halt)) return;
    this.untilEnded.set(clientOrderId, wanted);
    this.journal.append({ kind: 'note', at: this.clock.now(), topic: UNTIL_ENDED_TOPIC, clientOrderId, data: untilEndedNote(wanted), seq: UNSTAMPED });
  }

  /** The cancel is wanted so no more (journaled: a restart does not ask it again). */
  private releaseUntilEnded(clientOrderId: string): void {
    if (this.dropUntilEnded(clientOrderId)) this.journal.append({ kind: 'note', at: this.clock.now(), topic: UNTIL_ENDED_RELEASED_TOPIC, clientOrderId, seq: UNSTAMPED });
  }

  /** Forgets a cancel wanted until the order ends — its refusals' asks and its alert with it; false when none was. */
  private dropUntilEnded(clientOrderId: string): boolean {
    if (!this.untilEnded.delete(clientOrderId)) return false;
    this.refusedCancels.clear(clientOrderId);
    this.cancelFailedAlerted.delete(clientOrderId);
    return true;
  }

  /**
   * True when a cancel was asked for this order before the broker acknowledged it, and the order has
   * not ended: a send still being retried should not go out (see `OrderErrorHandlerOptions.withdrawn`).
   */
  cancelAskedBeforeAck(clientOrderId: string): boolean {
    return this.cancelBeforeAck.has(clientOrderId);
  }

  /**
   * True while a cancel the engine asked of this order is on its way or still to be asked: asked and
   * neither ended nor refused ({@link cancelRequested}), asked before the broker acknowledged the
   * order, waiting for the order's replace to settle (asked, or failed on the way, while the replace
   * travelled: it is asked of the order as the replace leaves it), failed on the way while it is
   * decided whether it is asked again, waiting to be retried (also a dead process's retry, until a
   * restart's {@link resumeRequests} asks it), or refused while it is wanted until the order ends
   * (`CancelOptions.untilEnded`: asked again). Work that takes the order as staying waits
   * until this is false — counted as staying, the retry then ended an order that work relied on.
   */
  cancelComing(clientOrderId: string): boolean {
    return (
      this.cancelsAsked.has(clientOrderId) ||
      this.cancelBeforeAck.has(clientOrderId) ||
      this.cancelsFailing.has(clientOrderId) ||
      this.cancelRetries.has(clientOrderId) ||
      this.refusedCancels.has(clientOrderId) ||
      (this.cancelsToResume.size > 0 && this.cancelsToResume.has(clientOrderId)) ||
      (this.cancelAfterReplace.size > 0 && this.cancelAfterReplace.has(clientOrderId))
    );
  }

  /**
   * True while the order has not ended and is on its way out: pending cancel at the broker, or a
   * cancel of it coming ({@link cancelComing}). What {@link whenCancelsSettled} waits out, and what
   * protection counts as leaving (a leg that holds room until it ends, then is placed again).
   */
  onItsWayOut(clientOrderId: string): boolean {
    const order = this.store.get(clientOrderId);
    return order !== undefined && !isTerminalStatus(order.status) && (order.status === 'pending_cancel' || this.cancelComing(clientOrderId));
  }

  /**
   * After a restart: the dead process asked to cancel this order before the broker acknowledged it
   * (its journal says so; the order may since have gone back to `submitted`, the cancel refused by a
   * broker that did not know the order yet). Remembered again, so the order is cancelled if the
   * broker turns out to hold it, and never sent again if it does not (see {@link withdrawUnsent}).
   */
  restoreCancelAskedBeforeAck(clientOrderId: string): void {
    const order = this.store.get(clientOrderId);
    if (!order || isTerminalStatus(order.status) || this.brokerHasSpoken(order)) return;
    this.cancelBeforeAck.add(clientOrderId);
    this.cancelsAsked.add(clientOrderId);
  }

  /**
   * An order cancelled before the broker acknowledged it, which the broker says it does not hold,
   * with no send of it on its way in this process: it never arrived, and is not wanted — it ends
   * `failed` here rather than being sent again (a kill switch's entry resent after a restart) or
   * left pending cancel for good. Resolves whether it ended it; a later report of it still counts.
   */
  withdrawUnsent(clientOrderId: string, reason: string): boolean {
    const order = this.store.get(clientOrderId);
    // An order the broker answered with its own id is at the broker, whatever one look-up said.
    if (!order || !this.cancelBeforeAck.has(clientOrderId) || this.sending.has(clientOrderId) || this.brokerHasSpoken(order) || order.brokerOrderId) return false;
    if (this.applySafely(clientOrderId, { type: 'submit_failed', reason, at: this.clock.now() })?.order.status !== 'failed') return false;
    // Not there yet is not never (the dead process's request may still land): looked up a while
    // longer, and cancelled at the broker if it does land (see keepWithdrawn).
    this.inDoubt.add(clientOrderId);
    this.keepWithdrawn(clientOrderId);
    return true;
  }

  /**
   * Orders the dead process sent (journaled `submitted`) that the broker does not hold at the
   * restart, and that are not sent again: they end `failed` — and stay in doubt, quietly, for a
   * while: a request on its way when the process died may still land (then its report brings the
   * order back, and its fills into the position).
   */
  notFoundAfterRestart(clientOrderIds: readonly string[], reason: string): void {
    for (const id of clientOrderIds) {
      this.landingFromBefore.delete(id);
      const sent = this.store.get(id)?.status === 'submitted';
      if (this.applySafely(id, { type: 'submit_failed', reason, at: this.clock.now() })?.order.status === 'failed' && sent) this.inDoubt.add(id);
    }
  }

  /** An order ended here unfilled while a cancel-and-create replace of it may still land: watched for that replacement. */
  private watchReplacement(order: Order, at = this.clock.now()): void {
    if (isTerminalStatus(order.status) && order.status !== 'filled') this.keepWithdrawn(order.clientOrderId, at);
  }

  /**
   * A withdrawn send the dead process watched: watched again — and, sent and never acknowledged, in
   * doubt again from when it was withdrawn, as it was there (see onSubmitFailed). Past the landing
   * window only the in-doubt look-up finds it: a restart hours later found no one asking, and its
   * fills at the broker were adopted as a position of no order's.
   */
  private restoreWithdrawn(order: Order, at: number): void {
    this.withdrawn.add(order.clientOrderId, at);
    if (order.status === 'cancelled' && order.submittedAt !== undefined && order.acceptedAt === undefined && order.brokerOrderId === undefined) this.inDoubt.add(order.clientOrderId, at);
  }

  /** Watched for a late landing, and journaled so a restart still watches (see {@link restoreWatched}). */
  private keepWithdrawn(clientOrderId: string, at = this.clock.now()): void {
    this.withdrawn.add(clientOrderId, at);
    this.journal.append({ kind: 'note', at, topic: WITHDRAWN_TOPIC, clientOrderId, data: {}, seq: UNSTAMPED });
  }

  private async onSubmitFailed(id: string, error: unknown): Promise<void> {
    if (isTradewireError(error) && error.code === 'send_withdrawn' && !this.brokerHasSpoken(this.store.require(id))) {
      // Never sent again after the cancel: it ends here, cancelled (a report of an earlier attempt that
      // did land still counts, and one acknowledged later is cancelled at the broker). An attempt that
      // went may land unheard (the engine stopped, the stream down past the landing window): in doubt,
      // quietly, so reconciliations look it up — a fill there is its own, not an adopted position.
      const sent = this.store.require(id).submittedAt !== undefined;
      this.applySafely(id, { type: 'cancelled', reason: describeError(error), at: this.clock.now() });
      this.keepWithdrawn(id);
      if (sent) this.inDoubt.add(id);
      return;
    }
    const reason = describeError(error);
    if (this.brokerHasSpoken(this.store.require(id))) {
      // The broker acknowledged (or filled) the order while our send was failing — a slow request
      // that landed, reported by the stream. Our failure is stale: only the broker may end it now.
      this.logger.warn(`send of ${id} failed after the broker acknowledged it; asking the broker`, { error: reason });
      await this.refresh(id);
      return;
    }
    // An attempt of the process before a restart may land too: this resend's refusal does not end it.
    if (isBrokerError(error) && (error.mayHaveReachedBroker || this.landingFromBefore.has(id))) {
      // It may have arrived: ask before declaring it failed, so nothing is ever lost or doubled.
      try {
        const report = await this.adapter.getOrder({ clientOrderId: id });
        if (report) {
          this.applyReport(report);
          return;
        }
        // Not there yet is not never: a request that timed out can be processed seconds later — also
        // when a later attempt was refused (it was judged alone, before the first landed). So `failed`
        // (which a late report may still bring back), not `rejected`, and looked up again (quietly) on
        // reconnects and reconciliations, until a look-up a while later.
        this.failMaybeLanded(id, describeError(error));
        this.inDoubt.add(id);
        return;
      } catch (lookupError) {
        const order = this.failMaybeLanded(id, `${reason}; lookup failed: ${describeError(lookupError)}`);
        if (order?.status === 'failed') this.doubt(order);
        return;
      }
    }
    this.markSendFailed(id, error);
  }

  /**
   * A cancel whose request failed on the way, not refused by the broker (a network error, a timeout,
   * a 5xx, a rate limit), is asked again — 1 s, 2 s, 4 s … (at most 30 s apart), up to
   * {@link CANCEL_RETRIES} times — until the order ends: a stop left working after its position
   * closed would sell what is no longer there. Meanwhile the cancel counts as the engine's own
   * ({@link cancelRequested}). Given up with a critical `cancel_failed` alert — but a cancel wanted
   * until the order ends is asked on as a refused one is ({@link refusedOnce}), the alert raised once.
   */
  private scheduleCancelRetry(id: string, error: unknown, reason: string): void {
    const order = this.store.get(id);
    const working = order !== undefined && isWorkingStatus(order.status) && order.status !== 'pending_cancel';
    if (!working || !isBrokerError(error) || !error.retryable) {
      // A refusal while a retry waits (a later request failed on the way) may be an older request's,
      // heard late: the retry stays. Cleared, it was never asked — and, still counted as asked, a
      // cancel wanted until its order ends was never asked again either: a closed position's target
      // worked on for good.
      if (!(working && this.cancelRetries.has(id))) this.cancelRetries.clear(id);
      return;
    }
    if (this.cancelRetries.next(id, reason) === 'spent') {
      this.alertCancelFailed(id, {
        message: `${order.side} ${order.type} ${order.symbol} (${id}) could not be cancelled after ${CANCEL_RETRIES + 1} requests: ${describeError(error)} — it is still working at the broker${this.untilEnded.has(id) ? '; asked on, at most an hour apart, until it ends' : ''}`,
        details: { symbol: order.symbol, attempts: CANCEL_RETRIES + 1 },
      });
      return;
    }
    this.cancelsAsked.add(id);
    this.journal.append({ kind: 'note', at: this.clock.now(), topic: CANCEL_RETRY_TOPIC, clientOrderId: id, data: { reason }, seq: UNSTAMPED });
  }

  /** Holds a failed order in doubt (see {@link ordersInDoubt}); `alert` false for a list's other legs (one alert per send). */
  private doubt(order: Order, alert = true): void {
    this.inDoubt.add(order.clientOrderId);
    if (!alert) return;
    this.bus.emit('alert', {
      severity: 'warning',
      code: 'order_in_doubt',
      message: `${order.side} ${order.quantity.toString()} ${order.symbol} (${order.clientOrderId}): the send and the look-up both failed; the broker may hold it — it is looked up again on reconnect and at each reconciliation`,
      clientOrderId: order.clientOrderId,
      details: { symbol: order.symbol, reason: order.errorMessage },
    });
  }

  /** True once the broker has told us of the order (an acknowledgement, a fill, or its own end). */
  private brokerHasSpoken(order: Order): boolean {
    return order.acceptedAt !== undefined || !(order.status === 'submitted' || order.status === 'pending_cancel');
  }

  /**
   * A send that may have landed, not found (yet): failed — which a late report may still bring back.
   * A cancel asked before the broker acknowledged it outlives this end: the order is watched as
   * withdrawn, so if it lands after all it is cancelled (the host's cancel-all is not dropped).
   */
  private failMaybeLanded(id: string, reason: string): Order | undefined {
    return this.keepingCancel(id, () => this.applySafely(id, { type: 'submit_failed', reason, at: this.clock.now() }))?.order;
  }

  /** Runs `end` (which may fail the order); a cancel asked before the acknowledgement is kept watching if it did. */
  private keepingCancel<T>(id: string, end: () => T): T {
    const cancelWanted = this.cancelBeforeAck.has(id);
    const result = end();
    if (cancelWanted && this.store.get(id)?.status === 'failed') this.keepWithdrawn(id);
    return result;
  }

  /**
   * A send that did not land: rejected when the broker said no for good, failed otherwise. A
   * duplicate-id refusal is never a rejection — the broker holds an order under that id — so when
   * no look-up found it, the order is failed (and a later report can still bring it back).
   */
  private markSendFailed(id: string, error: unknown): void {
    if (isBrokerError(error) && !error.retryable && error.code !== 'broker_duplicate_client_order_id') {
      this.applySafely(id, { type: 'rejected', reason: error.message, code: error.code, at: this.clock.now(), raw: { code: error.code, brokerCode: error.brokerCode, status: error.status } });
    } else {
      this.applySafely(id, { type: 'submit_failed', reason: describeError(error), ...codeOf(error), at: this.clock.now() });
    }
  }

  /** Applies a list's parent report and its legs (matched to ours by id, else by role: `legs`); `answer` as for {@link applyReport}. */
  private applyListReport(kind: OrderListKind, ids: readonly string[], report: OrderStatusReport, stale = false, answer = false, legs = matchLegs(kind, ids, report.legs ?? [])): void {
    this.applyReport(report, stale, answer);
    for (const { id, leg } of legs) {
      if (!answer) this.confirm(id);
      this.bringUpTo(id, leg, stale);
    }
  }

  /** A cancel or replace request failed: find out what really happened, then record the refusal. */
  private async onRequestFailed(id: string, error: unknown, type: 'cancel_rejected' | 'replace_rejected', pending: OrderStatus): Promise<void> {
    this.logger.warn(`${type} for ${id}`, { error: describeError(error) });
    if (isBrokerError(error) && error.code !== 'unauthorized') await this.refresh(id);
    if (this.store.require(id).status !== pending) return;
    this.requestFailing = id;
    try {
      this.applySafely(id, { type, reason: describeError(error), ...codeOf(error), at: this.clock.now() });
    } finally {
      this.requestFailing = undefined;
    }
  }

  /**
   * The broker acknowledged an order we had asked to cancel before it knew the order (a cancel-all
   * while the order was on the wire, a stop whose send was being retried when its position closed):
   * cancel it again, now that there is something to cancel — also when that first cancel was
   * refused meanwhile (the broker did not know the order yet) and the order went back to working.
   */
  private cancelLanded(id: string, order: Order): void {
    this.cancelBeforeAck.delete(id);
    const reason = 'cancel requested before the broker acknowledged the order';
    if (order.status !== 'pending_cancel') {
      if (isWorkingStatus(order.status)) void this.cancel(id, reason);
      return;
    }
    void this.adapter.cancelOrder(ref(order)).catch((error: unknown) => this.cancelRequestFailed(id, error, reason, order.brokerOrderId));
  }

  /** {@link refreshOrder} for background paths: a failed look-up is logged, not thrown. */
  private async refresh(id: string): Promise<void> {
    try {
      await this.refreshOrder(id);
    } catch (error) {
      this.logger.warn(`could not refresh order ${id}`, { error: describeError(error) });
    }
  }

  private armTimeout(id: string): void {
    const order = this.store.get(id);
    if (order && this.store.isWorking(id)) this.timeouts.arm(order);
  }

  /**
   * An order outlived its timeout: cancel it (unless it is already on its way out) — until it ends:
   * a refusal is asked again as the kill switch's are. Asked once, a refused cancel left a limit entry
   * resting for good past its timeout, its position pending, a restart none the wiser.
   */
  private expire(id: string, timeoutMs: number): void {
    const order = this.store.get(id);
    if (!order || !isWorkingStatus(order.status)) return;
    if (order.status === 'pending_cancel') {
      this.timeouts.markOverdue(id);
      return;
    }
    this.bus.emit('order:timeout', { order, timeoutMs });
    void this.cancel(id, `not filled within ${timeoutMs} ms`, { untilEnded: true });
  }

  private applySafely(id: string, event: OrderEvent): OrderTransition | undefined {
    try {
      return this.apply(id, event);
    } catch (error) {
      const order = this.store.require(id);
      this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'order.event_refused', clientOrderId: id, symbol: order.symbol, data: { event: orderEventToJSON(event), error: describeError(error) } });
      this.bus.emit('error', { error, source: `order ${id}` });
      return undefined;
    }
  }

  /** Applies one event: state machine, journal, indexes, internal hooks, then the public bus — in that order. */
  private apply(id: string, event: OrderEvent): OrderTransition {
    const transition = applyOrderEvent(this.store.require(id), event);
    const { order, outcome } = transition;
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
      seq: UNSTAMPED,
    });
    if (event.type === 'cancel_requested' && outcome === 'applied' && !this.cancelsAsked.has(id)) this.journal.append({ kind: 'note', at: event.at, topic: CANCEL_HEARD_TOPIC, clientOrderId: id, seq: UNSTAMPED });
    const ended = this.store.update(transition.previous, order);
    if (ended) {
      this.timeouts.clear(id);
      this.cancelBeforeAck.delete(id);
      this.cancelRetries.clear(id);
      if (this.letGo.size > 0) this.letGo.delete(id);
      this.dropUntilEnded(id);
      if (this.refusalsUnseen.size > 0) this.refusalsUnseen.delete(id);
    } else if (event.type === 'cancel_rejected') {
      // The broker's refusal of a cancel wanted until the order ends: asked again later. Any other
      // failed cancel leaves the order working: one that outlived its timeout meanwhile expires now.
      if (!this.untilEnded.has(id)) this.timeouts.cancelFailed(order);
      else if (this.requestFailing !== id) this.refusedOnce(id);
    }
    // A cancel asked before the acknowledgement that brings this one — or a send withdrawn after a
    // restart (failed here, the cancel still wanted) that landed after all — goes once this
    // transition has been heard (its own would otherwise reach hooks and listeners first); it
    // counts as the engine's own cancel from now.
    const cancelLanded = this.cancelBeforeAck.has(id) && (event.type === 'accepted' || isTerminalStatus(order.status));
    const withdrawnLanded = !cancelLanded && event.type === 'accepted' && outcome === 'applied' && this.withdrawn.delete(id);
    if (withdrawnLanded) this.cancelsAsked.add(id);

    if (outcome !== 'applied') {
      if (event.type === 'cancel_rejected' && this.requestFailing !== id && isWorkingStatus(order.status)) this.refusalsUnseen.set(id, ++this.changes);
      if (cancelLanded) this.cancelLanded(id, order);
      // A withdrawn send that landed after all — or a lost replace's replacement, under a new id:
      // working at the broker, ended here. (An acknowledgement can also come late, after the end:
      // the broker is asked first.)
      const landed = event.type === 'accepted' || (event.type === 'modified' && event.brokerOrderId !== undefined && event.brokerOrderId !== order.brokerOrderId);
      if (landed && this.withdrawn.delete(id)) void this.endedButWorking(order, { ask: true, brokerOrderId: event.brokerOrderId });
      this.bus.emit('order:ignored', { order, event, outcome });
      return transition;
    }
    this.changedAt.set(order.symbol, ++this.changes);
    // Listeners hear transitions in the order they were applied: one that a hook causes (a cancel
    // asked on an acknowledgement) waits until this one, whose hooks run first, has been heard.
    const turn = this.inOrder.begin(transition, this.announceTransition);
    if (this.hooks.size > 0) this.hooks.run(notifyHook, transition, describeTransition);
    // After the hooks, which may ask whether the engine cancelled the order it ended.
    if (this.cancelsAsked.size > 0 && (ended || event.type === 'cancel_rejected')) this.cancelsAsked.delete(id);
    if (ended || event.type === 'cancel_rejected') this.wakeWaits();
    this.inOrder.end(turn, transition, this.announceTransition);
    if (cancelLanded) this.cancelLanded(id, order);
    else if (withdrawnLanded) void this.cancel(id, 'withdrawn before the broker acknowledged it; it landed after all');
    return transition;
  }

  private emitTransition({ order, from, to, event }: OrderTransition): void {
    // Payloads only for events someone listens to: most of an order's events have no host listener
    // (the engine's own parts are internal hooks), and each payload was garbage on every order.
    const bus = this.bus;
    if (event.type === 'filled') {
      const name = to === 'filled' && from !== 'filled' ? 'order:filled' : to === 'partially_filled' ? 'order:partially_filled' : undefined;
      const toFill = bus.listenerCount('order:fill') > 0;
      const toNamed = name !== undefined && bus.listenerCount(name) > 0;
      if (toFill || toNamed) {
        const fillPayload = { order, previousStatus: from, event, fill: event.fill };
        if (toFill) bus.emit('order:fill', fillPayload);
        if (toNamed) bus.emit(name, fillPayload);
      }
    } else {
      const name = EVENT_NAMES[event.type];
      if (name && bus.listenerCount(name) > 0) bus.emit(name, { order, previousStatus: from, event } satisfies OrderChangedPayload);
    }
    if (bus.listenerCount('order:transition') > 0) bus.emit('order:transition', { order, previousStatus: from, event, to });
  }
}

const notifyHook = (hook: OrderHook, transition: OrderTransition): void => hook.orderChanged(transition);
const describeTransition = ({ order, event }: OrderTransition): string => `order ${order.clientOrderId} ${event.type}`;

function ref(order: Order): { clientOrderId: string; brokerOrderId?: string } {
  return order.brokerOrderId ? { clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId } : { clientOrderId: order.clientOrderId };
}

function parseChanges(request: ModifyRequest, order: Order): OrderChanges {
  // Missing or not an object (a JS caller's `modify(id)`): refused like no changes, not a TypeError.
  if (typeof request !== 'object' || request === null) throw new ValidationError([{ field: 'changes', message: 'must be an object with at least one of quantity, limitPrice, stopPrice, trailPercent, trailAmount' }], `modify of ${order.clientOrderId}`);
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

/** A cancel wanted until its order ends: the reason it was asked for, and whether the kill switch asked it (released by `resume()`). */
interface WantedUntilEnded {
  readonly reason: string;
  readonly halt: boolean;
}

/** The journal note's data; `halt` is absent only in notes earlier builds wrote. */
type UntilEndedNote = { readonly reason: string; readonly halt?: boolean };

/**
 * The kill switch's cancels go by this reason prefix (then the halt's). Journals written by earlier
 * builds, whose notes do not say `halt`, are read back by it; since, the mark decides, not the reason.
 */
const HALT_CANCEL_REASON = 'halted: ';

function untilEndedNote({ reason, halt }: WantedUntilEnded): UntilEndedNote {
  return { reason, halt };
}

function wantedUntilEndedOf(note: UntilEndedNote): WantedUntilEnded {
  return { reason: note.reason, halt: note.halt ?? note.reason.startsWith(HALT_CANCEL_REASON) };
}

/** Options of {@link OrderLifecycleManager.cancel} and {@link OrderLifecycleManager.cancelAll}. */
export interface CancelOptions {
  /**
   * The cancel is wanted until the order ends: one the broker refuses (Alpaca's
   * `order_cancel_rejected`, or a refusal with the order still working) is asked again — 1 s, 2 s,
   * 4 s … — and after 5 refusals a critical `cancel_failed` alert names the order still working; it
   * is asked on, 1 min, 2, 4 … at most an hour apart, and by each reconciliation, until the order
   * ends (a restart asks it again).
   * One failing on the network is asked on the same way once its nine requests fail; either way the
   * order is named in one `cancel_failed` alert. The kill switch's cancels are wanted until the
   * order ends, protection's of a closed position's stop and targets, and an order's timeout's.
   */
  readonly untilEnded?: boolean;
}

/**
 * What a host does with the orders (`engine.orders`): read them and their audit trail, place,
 * modify and cancel them, wait for them to end, add hooks — not the lifecycle's own update path
 * (`applyUpdate`, `applyReport`, `track`, `restore`, `start`, …), which only the engine calls.
 */
export type OrdersView = Pick<
  OrderLifecycleManager,
  'events' | 'submit' | 'submitList' | 'supportsList' | 'cancel' | 'cancelAll' | 'modify' | 'whenEnded' | 'whenCancelsSettled' | 'listOf' | 'get' | 'getByBrokerOrderId' | 'workingOrders' | 'ordersInDoubt' | 'ordersUnanswered' | 'ordersToConfirm' | 'hasWorkingOrder' | 'orderList' | 'auditTrail' | 'addHook'
>;

/** What is wrong with a wait's arguments (see `whenEnded`), if anything. */
function waitError(clientOrderIds: readonly string[], timeoutMs: number, context: string): ValidationError | undefined {
  if (Array.isArray(clientOrderIds) && timeoutMs >= 0) return undefined;
  const issues = [...(Array.isArray(clientOrderIds) ? [] : [{ field: 'clientOrderIds', message: `must be an array of client order ids, got ${String(clientOrderIds)}` }]), ...(timeoutMs >= 0 ? [] : [{ field: 'timeoutMs', message: `must be a number of milliseconds, zero or more, got ${String(timeoutMs)}` }])];
  return new ValidationError(issues, context);
}
