import pRetry from 'p-retry';
import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { OrderStatusReport } from '../broker/reports.js';
import type { Clock } from '../core/clock.js';
import { Decimal, roundToStep, ZERO } from '../core/decimal.js';
import { marketableLimit } from '../model/prices.js';
import { BrokerError, type BrokerErrorCategory, describeError, isBrokerError, SendWithdrawnError } from '../core/errors.js';
import type { EventSink } from '../events/event-bus.js';
import { applyOrderEvent } from '../model/apply-order-event.js';
import type { ResilienceEvents } from './resilience-events.js';
import { type Journal, UNSTAMPED } from '../journal/journal.js';
import { SEND_ATTEMPT_TOPIC, SEND_FAILED_TOPIC, type SendFailedNote } from '../journal/send-notes.js';
import type { Order } from '../model/order.js';
import type { OrderChanges } from '../model/order-event.js';
import { quantityStep } from '../risk/position-sizing.js';

export interface RetryPolicy {
  /** Retries after the first attempt. Default 3. */
  readonly retries?: number;
  /** First backoff delay, ms. Default 1 000 (then 2 000, 4 000 with the default factor). */
  readonly minDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** Default 30 000. */
  readonly maxDelayMs?: number;
}

export interface OrderErrorHandlerOptions {
  readonly adapter: BrokerAdapter;
  readonly clock: Clock;
  readonly events: EventSink<ResilienceEvents>;
  readonly journal: Journal;
  readonly retry?: RetryPolicy;
  /** On insufficient buying power, shrink the order to what the account affords and resend once. Default true. */
  readonly resizeOnInsufficientFunds?: boolean;
  /** The last price of a symbol, to size a resized market order (the engine passes its price feed). */
  readonly priceOf?: (symbol: string) => Decimal | undefined;
  /**
   * A market order the broker refuses as invalid (some refuse market orders for some assets or
   * sessions) is resent once as a marketable limit this many basis points through the last price.
   * Off when undefined (the default).
   */
  readonly fallbackLimitOffsetBps?: Decimal;
  /**
   * True once the order has been asked to be cancelled (the engine passes the lifecycle's answer): a
   * retry not yet sent is not sent, and the send ends with {@link SendWithdrawnError}.
   */
  readonly withdrawn?: (clientOrderId: string) => boolean;
}

export interface ErrorHandlerStats {
  readonly errorsByCategory: Readonly<Record<BrokerErrorCategory | 'UNCLASSIFIED', number>>;
  readonly retries: number;
  /** Sends that failed at least once and then succeeded (or were found at the broker). */
  readonly recovered: number;
  /** Sends that failed for good. */
  readonly failed: number;
  /** recovered / (recovered + failed); 1 when nothing has failed yet. */
  readonly recoveryRate: number;
  readonly resized: number;
  /** Orders found at the broker by client order id after a send that may have reached it. */
  readonly foundAfterTimeout: number;
}

/** One send's state across its attempts: the order as last sent (a resize or a fallback amends it) and what failed. */
interface SendRun {
  current: Order;
  lastError: BrokerError | undefined;
  /** An attempt failed in a way that may have reached the broker (it may land later, whatever the next attempts said). */
  mayHaveLanded?: boolean;
  triedResize: boolean;
  readonly amend: (changes: OrderChanges) => Order;
}

/**
 * Sends orders and recovers from broker failures by category — the lifecycle's `send`:
 *
 * - RETRYABLE (timeouts, resets, 429, 5xx): retry with exponential backoff (p-retry; 1 s, 2 s, 4 s
 *   by default), always with the same client order id. Before resending after a failure that may
 *   have reached the broker, ask the broker for the order by client order id: if it arrived, that
 *   is the answer, and nothing is sent twice.
 * - ADJUSTABLE (insufficient buying power, position too large): shrink the quantity to what the
 *   account affords and resend once (configurable).
 * - FATAL (invalid symbol, restricted account, bad credentials, pattern-day-trader refusals):
 *   no retry; an `alert` is raised.
 * - A duplicate-client-order-id refusal is never a rejection: it means an earlier send landed, so
 *   the order is looked up by client order id and the broker's answer adopted.
 * - WAITING (market closed, halt): no retry; the refusal is kept for the engine, which queues the
 *   signal for the open ({@link takeWaitingRefusal}).
 *
 * Every attempt is journaled (`order.send_attempt`, `order.send_failed`) and emitted
 * (`order:send_attempt`, `order:retry`, `order:resized`, `alert`). After the last attempt the
 * error is passed to the lifecycle, which looks once more by client order id and then marks the
 * order failed (or rejected) with the reason.
 */
export class OrderErrorHandler {
  private readonly adapter: BrokerAdapter;
  private readonly clock: Clock;
  private readonly events: EventSink<ResilienceEvents>;
  private readonly journal: Journal;
  private readonly retry: Required<RetryPolicy>;
  private readonly resize: boolean;
  private readonly priceOf: (symbol: string) => Decimal | undefined;
  private readonly errors: Record<BrokerErrorCategory | 'UNCLASSIFIED', number> = { RETRYABLE: 0, ADJUSTABLE: 0, FATAL: 0, WAITING: 0, UNCLASSIFIED: 0 };
  private retries = 0;
  private recovered = 0;
  private failed = 0;
  private resized = 0;
  private found = 0;
  private readonly waiting = new Map<string, BrokerError>();
  private readonly fallbackOffset: Decimal | undefined;
  private readonly withdrawn: ((clientOrderId: string) => boolean) | undefined;

  constructor(options: OrderErrorHandlerOptions) {
    this.adapter = options.adapter;
    this.clock = options.clock;
    this.events = options.events;
    this.journal = options.journal;
    this.retry = { retries: 3, minDelayMs: 1_000, factor: 2, maxDelayMs: 30_000, ...options.retry };
    this.resize = options.resizeOnInsufficientFunds ?? true;
    this.priceOf = options.priceOf ?? (() => undefined);
    this.fallbackOffset = options.fallbackLimitOffsetBps;
    this.withdrawn = options.withdrawn;
  }

  /** Pass this as the lifecycle's `send`. */
  readonly send = async (order: Order, amend?: (changes: OrderChanges) => Order): Promise<OrderStatusReport> => {
    // Almost every order succeeds first time: its attempt goes straight to the adapter, and a send's
    // retry state is built only after a failure (its closures were ≈ 0.8 KB of garbage per order, measured).
    this.announce(order, 1);
    try {
      return await this.adapter.submitOrder(order);
    } catch (error) {
      return this.recover({ current: order, lastError: undefined, triedResize: false, amend: amend ?? ((changes) => this.amendAlone(order, changes)) }, error);
    }
  };

  /** After a first attempt failed: the category's remedy, then retries with backoff (p-retry), on the clock. */
  private async recover(run: SendRun, firstError: unknown): Promise<OrderStatusReport> {
    try {
      let report: OrderStatusReport;
      try {
        report = await this.afterFailure(run, 1, firstError);
      } catch (first) {
        if (!isBrokerError(first) || !first.retryable || this.retry.retries === 0) throw first;
        await this.backoff(run, 1, first);
        report = await pRetry((n) => this.attempt(run, n + 1), {
          retries: this.retry.retries - 1,
          // p-retry's own timer would ignore the injected clock: it waits 0 ms, and the backoff is
          // waited in onFailedAttempt, on the clock, so a ManualClock (or fake timers) drives it.
          minTimeout: 0,
          maxTimeout: 0,
          randomize: false,
          shouldRetry: ({ error }) => isBrokerError(error) && error.retryable,
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (isBrokerError(error) && error.retryable && retriesLeft > 0) await this.backoff(run, attemptNumber + 1, error);
          },
        });
      }
      this.recovered++;
      return report;
    } catch (caught) {
      this.failed++;
      // The last attempt was refused outright (a rate limit), but an earlier one may have reached the
      // broker and be processed later: the error says so, so the lifecycle looks the order up.
      const error = isBrokerError(caught) && run.mayHaveLanded && !caught.mayHaveReachedBroker ? new BrokerError(caught.code, caught.message, { ...(caught.status === undefined ? {} : { status: caught.status }), cause: caught, mayHaveReachedBroker: true }) : caught;
      if (isBrokerError(error) && error.retryable) {
        this.events.emit('alert', {
          severity: 'warning',
          code: 'order_send_failed',
          message: `${run.current.clientOrderId} could not be sent after ${this.retry.retries + 1} attempts: ${error.message}`,
          clientOrderId: run.current.clientOrderId,
        });
      }
      throw error;
    }
  }

  /** A retry: asks the broker first when the last failure may have reached it, so a retry never makes a second order. */
  private async attempt(run: SendRun, attempt: number): Promise<OrderStatusReport> {
    const unanswered = run.lastError;
    if (unanswered?.mayHaveReachedBroker) {
      let existing: OrderStatusReport | undefined;
      try {
        existing = await this.adapter.getOrder({ clientOrderId: run.current.clientOrderId });
      } catch (lookupError) {
        // The question is still the send's: did it arrive? A failed look-up does not answer it, so the
        // send's error goes on (to a retry, or to the lifecycle, which then holds the order in doubt).
        this.note(run.current, 'order.lookup_failed', { attempt, message: describeError(lookupError) });
        throw unanswered;
      }
      if (existing) {
        this.found++;
        this.note(run.current, 'order.found_after_failure', { attempt, brokerOrderId: existing.brokerOrderId });
        return existing;
      }
    }
    // Cancelled during the backoff (a kill switch, its position closed): the retry stays unsent.
    if (this.withdrawn?.(run.current.clientOrderId)) throw new SendWithdrawnError(run.current.clientOrderId);
    this.announce(run.current, attempt);
    try {
      return await this.adapter.submitOrder(run.current);
    } catch (error) {
      return this.afterFailure(run, attempt, error);
    }
  }

  private announce(order: Order, attempt: number): void {
    this.note(order, SEND_ATTEMPT_TOPIC, { attempt, quantity: order.quantity.toString() });
    if (this.events.listenerCount('order:send_attempt') > 0) this.events.emit('order:send_attempt', { order, attempt });
  }

  /** What a failed attempt leads to: an adopted duplicate, a resized or limit resend, or the error (for a retry or the lifecycle). */
  private async afterFailure(run: SendRun, attempt: number, error: unknown): Promise<OrderStatusReport> {
    this.count(error);
    if (!isBrokerError(error)) throw error;
    run.lastError = error;
    if (error.mayHaveReachedBroker) run.mayHaveLanded = true;
    const current = run.current;
    // `reached`: a restart resending this order knows the attempt may still be processed (see sendsThatMayLand).
    const failed: SendFailedNote = { attempt, code: error.code, category: error.category, message: error.message, ...(error.mayHaveReachedBroker ? { reached: true as const } : {}) };
    this.note(current, SEND_FAILED_TOPIC, failed);
    if (error.code === 'broker_duplicate_client_order_id') return this.adoptDuplicate(current, attempt, error);
    if (error.category === 'ADJUSTABLE' && this.resize && !run.triedResize && error.code === 'insufficient_buying_power') {
      run.triedResize = true;
      const smaller = await this.affordable(current);
      if (smaller) {
        this.resized++;
        this.events.emit('order:resized', { order: current, from: current.quantity, to: smaller, reason: error.message });
        this.note(current, 'order.resized', { from: current.quantity.toString(), to: smaller.toString() });
        run.current = run.amend({ quantity: smaller });
        return await this.adapter.submitOrder(run.current);
      }
    }
    const fallback = this.fallbackFor(current, error);
    if (fallback) {
      this.note(current, 'order.fallback', { type: 'limit', limitPrice: fallback.limitPrice.toString(), reason: error.message });
      this.events.emit('alert', { severity: 'info', code: 'order_fallback', message: `${current.clientOrderId}: market order refused (${error.message}); resent as a limit at ${fallback.limitPrice.toString()}`, clientOrderId: current.clientOrderId });
      run.current = run.amend(fallback);
      return await this.adapter.submitOrder(run.current);
    }
    if (error.category === 'FATAL') this.alertFor(current, error);
    if (error.category === 'WAITING') this.waiting.set(current.clientOrderId, error);
    throw error;
  }

  private async backoff(run: SendRun, attempt: number, error: BrokerError): Promise<void> {
    this.retries++;
    const base = Math.min(this.retry.minDelayMs * this.retry.factor ** (attempt - 1), this.retry.maxDelayMs);
    // A broker's Retry-After wins when it asks for longer.
    const delayMs = Math.max(base, error.retryAfterMs ?? 0);
    this.events.emit('order:retry', { order: run.current, attempt, delayMs, error });
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs, { keepAlive: true }));
  }

  /**
   * The WAITING refusal (market closed, halt) an order met, if any — taken once. The engine uses it
   * to queue the order's signal for the open instead of dropping it.
   */
  takeWaitingRefusal(clientOrderId: string): BrokerError | undefined {
    const error = this.waiting.get(clientOrderId);
    this.waiting.delete(clientOrderId);
    return error;
  }

  stats(): ErrorHandlerStats {
    const settled = this.recovered + this.failed;
    return {
      errorsByCategory: { ...this.errors },
      retries: this.retries,
      recovered: this.recovered,
      failed: this.failed,
      recoveryRate: settled === 0 ? 1 : this.recovered / settled,
      resized: this.resized,
      foundAfterTimeout: this.found,
    };
  }

  /**
   * The broker already holds an order with this client order id — an earlier send that landed after
   * we stopped waiting for it. That order is ours: look it up and answer with it. Only when the
   * broker cannot find it either does the refusal stand (and the lifecycle records a failure, never
   * a rejection).
   */
  private async adoptDuplicate(order: Order, attempt: number, error: BrokerError): Promise<OrderStatusReport> {
    const existing = await this.adapter.getOrder({ clientOrderId: order.clientOrderId });
    if (!existing) {
      this.events.emit('alert', {
        severity: 'warning',
        code: 'duplicate_client_order_id_unresolved',
        message: `${order.clientOrderId}: the broker refused it as a duplicate but cannot find the order it holds under that id`,
        clientOrderId: order.clientOrderId,
      });
      throw error;
    }
    this.found++;
    this.note(order, 'order.found_after_duplicate', { attempt, brokerOrderId: existing.brokerOrderId, status: existing.status });
    return existing;
  }

  /** What the account affords now, rounded down to the asset's step; undefined when nothing useful. */
  private async affordable(order: Order): Promise<Decimal | undefined> {
    const price = order.limitPrice ?? order.stopPrice ?? this.priceOf(order.symbol);
    if (!price) return undefined;
    const [account, asset] = await Promise.all([this.adapter.getAccount(), this.adapter.getAsset(order.symbol)]);
    const step = quantityStep(asset, order.assetClass, true);
    // Leave 1% for price movement and fees between now and the fill.
    const quantity = roundToStep(account.buyingPower.times('0.99').dividedBy(price), step, Decimal.ROUND_DOWN);
    return quantity.greaterThan(ZERO) && quantity.lessThan(order.quantity) ? quantity : undefined;
  }

  /** The change that turns a refused market order into a marketable limit, when the fallback is on and applies. */
  private fallbackFor(order: Order, error: BrokerError): { type: 'limit'; limitPrice: Decimal } | undefined {
    if (!this.fallbackOffset || order.type !== 'market' || error.code !== 'invalid_order') return undefined;
    const price = this.priceOf(order.symbol);
    if (!price) return undefined;
    return { type: 'limit', limitPrice: marketableLimit(price, order.side, this.fallbackOffset) };
  }

  /**
   * Without a lifecycle to record it, a change before resending still goes through the order model
   * (the state table and its checks), never a spread over the order.
   */
  private amendAlone(order: Order, changes: OrderChanges): Order {
    return applyOrderEvent(order, { type: 'modified', changes, at: this.clock.now(), raw: { reason: 'amended before resending' } }).order;
  }

  private alertFor(order: Order, error: BrokerError): void {
    const pdt = error.code === 'pattern_day_trader';
    this.events.emit('alert', {
      severity: 'critical',
      code: error.code,
      message: pdt
        ? `Pattern-day-trader protection refused ${order.clientOrderId}${error.details.dayTradeCount === undefined ? '' : ` (day trades: ${String(error.details.dayTradeCount)})`}`
        : `${order.clientOrderId} refused for good: ${error.message}`,
      clientOrderId: order.clientOrderId,
      details: { ...error.details, brokerCode: error.brokerCode, status: error.status },
    });
  }

  private count(error: unknown): void {
    if (isBrokerError(error)) this.errors[error.category]++;
    else this.errors.UNCLASSIFIED++;
  }

  private note(order: Order, topic: string, data: object): void {
    this.journal.append({ kind: 'note', at: this.clock.now(), topic, clientOrderId: order.clientOrderId, symbol: order.symbol, data, seq: UNSTAMPED });
  }
}

