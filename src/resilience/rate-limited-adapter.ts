import Bottleneck from 'bottleneck';
import type { AccountEvent, AdapterHealth, BrokerAdapter, BrokerCapabilities, ConnectionChange, OrderRef, OrderUpdate, Unsubscribe } from '../broker/broker-adapter.js';
import type { AccountSnapshot, AssetInfo, MarketCalendarDay, MarketClock, OrderStatusReport, PositionReport } from '../broker/reports.js';
import type { OrderList } from '../model/order-list.js';
import { type Clock, systemClock } from '../core/clock.js';
import { ConfigurationError, describeError, isBrokerError, type ValidationIssue } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { checkWholeNumber } from '../core/options.js';
import type { Order } from '../model/order.js';
import type { OrderChanges } from '../model/order-event.js';

/** At most `requests` calls per `perMs` milliseconds. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
  /** Most calls in flight at once (default unlimited). */
  readonly maxConcurrent?: number;
  /**
   * Calls that may go at once after an idle spell (a token bucket's capacity; the rest of the
   * window's budget is spread evenly). Default `requests / 20` (Alpaca: 10), at least 1.
   */
  readonly burst?: number;
}

/** Published limits, as a starting point. */
export const RATE_LIMITS = {
  /** Alpaca trading API: 200 requests per minute per account. */
  alpaca: { requests: 200, perMs: 60_000 },
  /** OANDA v20 REST: 100 requests per second on one connection. */
  oanda: { requests: 100, perMs: 1_000 },
  /** The product specification's example. */
  twentyPerSecond: { requests: 20, perMs: 1_000 },
} as const satisfies Record<string, RateLimit>;

/**
 * Bottleneck priorities (0 runs first): the kill switch and cancels go ahead of everything,
 * replaces next, then reads, then new orders.
 */
export const CALL_PRIORITY = { cancelAll: 0, cancel: 1, replace: 3, read: 5, submit: 7 } as const;

export interface RateLimitedAdapterOptions {
  readonly limit: RateLimit;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How often one call is retried after a 429 before its error is passed on (default 5). */
  readonly maxRateLimitRetries?: number;
  /** How long the limiter stays slowed after a 429, ms (default one `perMs` window). */
  readonly cooldownMs?: number;
}

export interface RateLimiterStats {
  readonly queued: number;
  readonly running: number;
  /** 429s received from the broker (each was retried, not passed on, up to the retry limit). */
  readonly rateLimited: number;
  /** The current spacing between calls, ms (doubled while cooling down after a 429). */
  readonly spacingMs: number;
}

/**
 * Puts a bottleneck limiter in front of every call to `inner`, so a burst is queued instead of
 * refused. Calls are spaced evenly — a token bucket holding one token, refilled every
 * `perMs / (requests − 1)` ms — which keeps every window, sliding or aligned, within the limit. Because calls wait in the queue for a token, priorities work: cancels and the kill
 * switch jump ahead of queued new orders. A 429 from the broker
 * slows the limiter down (double spacing for a cool-down) and the call is retried after the
 * broker's `Retry-After`, so no rate-limit error reaches the caller unless the broker keeps refusing.
 * A 429 halves the rate for `cooldownMs`; further 429s extend the cool-down.
 *
 * Streams and health are passed through unlimited (they are not REST calls).
 */
export class RateLimitedAdapter implements BrokerAdapter {
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  readonly getMarketClock?: () => Promise<MarketClock>;
  readonly getCalendar?: (from: string, to: string) => Promise<readonly MarketCalendarDay[]>;
  readonly submitOrderList?: (list: OrderList) => Promise<OrderStatusReport>;
  readonly onAccountEvent?: (listener: (event: AccountEvent) => void) => Unsubscribe;
  readonly rateLimit: RateLimit;
  private readonly limiter: Bottleneck;
  /** A half-rate gate calls pass through first while cooling down after a 429. */
  private readonly slowGate: Bottleneck;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly baseSpacing: number;
  private readonly maxRetries: number;
  private readonly cooldownMs: number;
  private rateLimited = 0;
  private coolingUntil = 0;

  constructor(
    private readonly inner: BrokerAdapter,
    options: RateLimitedAdapterOptions,
  ) {
    checkLimiterOptions(options);
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.rateLimit = options.limit;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    // A token bucket: up to `burst` tokens stored, one more per tick. A window can see the stored
    // tokens plus one per tick; ticking every perMs / (requests − burst) keeps that at `requests`.
    const { perMs, requests } = options.limit;
    const burst = Math.max(1, Math.min(requests - 1, options.limit.burst ?? Math.floor(requests / 20)));
    this.baseSpacing = Math.ceil(perMs / Math.max(1, requests - burst));
    this.maxRetries = options.maxRateLimitRetries ?? 5;
    this.cooldownMs = options.cooldownMs ?? options.limit.perMs;
    this.limiter = new Bottleneck({
      maxConcurrent: options.limit.maxConcurrent ?? null,
      reservoir: burst,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseMaximum: burst,
      reservoirIncreaseInterval: this.baseSpacing,
      // Bottleneck refills only on its heartbeat (250 ms by default): tick at the spacing.
      heartbeatInterval: this.baseSpacing,
    });
    this.slowGate = new Bottleneck({
      reservoir: 1,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseMaximum: 1,
      reservoirIncreaseInterval: this.baseSpacing * 2,
      heartbeatInterval: this.baseSpacing * 2,
    });
    const marketClock = inner.getMarketClock?.bind(inner);
    if (marketClock) this.getMarketClock = () => this.schedule(CALL_PRIORITY.read, marketClock);
    const calendar = inner.getCalendar?.bind(inner);
    if (calendar) this.getCalendar = (from, to) => this.schedule(CALL_PRIORITY.read, () => calendar(from, to));
    const accountEvents = inner.onAccountEvent?.bind(inner);
    if (accountEvents) this.onAccountEvent = accountEvents;
    const list = inner.submitOrderList?.bind(inner);
    if (list) this.submitOrderList = (orders) => this.schedule(CALL_PRIORITY.submit, () => list(orders));
    // The adapter's own fan-outs (look-ups after a reconnect, cancels one by one) share the budget.
    inner.useRequestGate?.((call, kind) => this.schedule(kind === 'cancel' ? CALL_PRIORITY.cancel : CALL_PRIORITY.read, call));
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  /** Disconnects the broker and stops the limiter (queued calls are dropped with an error). */
  async disconnect(): Promise<void> {
    await this.inner.disconnect();
    await Promise.all([this.limiter.stop({ dropWaitingJobs: true }), this.slowGate.stop({ dropWaitingJobs: true })]);
  }

  getAccount(): Promise<AccountSnapshot> {
    return this.schedule(CALL_PRIORITY.read, () => this.inner.getAccount());
  }

  getPositions(): Promise<readonly PositionReport[]> {
    return this.schedule(CALL_PRIORITY.read, () => this.inner.getPositions());
  }

  getOpenOrders(): Promise<readonly OrderStatusReport[]> {
    return this.schedule(CALL_PRIORITY.read, () => this.inner.getOpenOrders());
  }

  getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined> {
    return this.schedule(CALL_PRIORITY.read, () => this.inner.getOrder(ref));
  }

  getAsset(symbol: string): Promise<AssetInfo | undefined> {
    return this.schedule(CALL_PRIORITY.read, () => this.inner.getAsset(symbol));
  }

  submitOrder(order: Order): Promise<OrderStatusReport> {
    return this.schedule(CALL_PRIORITY.submit, () => this.inner.submitOrder(order));
  }

  replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    return this.schedule(CALL_PRIORITY.replace, () => this.inner.replaceOrder(order, changes));
  }

  cancelOrder(ref: OrderRef): Promise<void> {
    return this.schedule(CALL_PRIORITY.cancel, () => this.inner.cancelOrder(ref));
  }

  cancelAllOrders(): Promise<void> {
    return this.schedule(CALL_PRIORITY.cancelAll, () => this.inner.cancelAllOrders());
  }

  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe {
    return this.inner.onOrderUpdate(listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    return this.inner.onConnectionChange(listener);
  }

  health(): AdapterHealth {
    return this.inner.health();
  }

  stats(): RateLimiterStats {
    const counts = this.limiter.counts();
    const spacingMs = this.clock.now() < this.coolingUntil ? this.baseSpacing * 2 : this.baseSpacing;
    return { queued: counts.QUEUED + counts.RECEIVED, running: counts.RUNNING + counts.EXECUTING, rateLimited: this.rateLimited, spacingMs };
  }

  private async schedule<T>(priority: number, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        // Cooling down after a 429: pass a half-rate gate first (same priorities). Reconfiguring the
        // limiter instead would stop its refill heartbeat: bottleneck 2.19.5's updateSettings clears it.
        if (this.clock.now() < this.coolingUntil) return await this.slowGate.schedule({ priority }, () => this.limiter.schedule({ priority }, call));
        return await this.limiter.schedule({ priority }, call);
      } catch (error) {
        if (!isBrokerError(error) || error.code !== 'rate_limited' || attempt >= this.maxRetries) throw error;
        this.rateLimited++;
        this.coolingUntil = this.clock.now() + this.cooldownMs;
        const wait = error.retryAfterMs ?? this.baseSpacing;
        this.logger.warn(`rate limited by ${this.name}; retrying in ${wait} ms`, { error: describeError(error), attempt: attempt + 1 });
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait, { keepAlive: true }));
      }
    }
  }
}

/**
 * The limit and retry options, checked when the limiter is made: a `NaN` or zero window spaces
 * calls by `NaN` or 0 ms (the bucket never refills, or refills in a busy loop), a `requests` of 0
 * or a fraction is not a limit anyone means. A `ConfigurationError` naming each field
 * (`rateLimit.requests`, …).
 */
function checkLimiterOptions(options: RateLimitedAdapterOptions): void {
  const limit = options?.limit as Partial<RateLimit> | undefined;
  if (typeof limit !== 'object' || limit === null) throw new ConfigurationError([{ field: 'rateLimit', message: `must be { requests, perMs, burst?, maxConcurrent? } or false, got ${String(limit)}` }]);
  const issues: ValidationIssue[] = [];
  // Required: absent reads as NaN, which the check refuses.
  checkWholeNumber(limit.requests ?? Number.NaN, 'rateLimit.requests', 1, issues);
  checkWholeNumber(limit.perMs ?? Number.NaN, 'rateLimit.perMs', 1, issues);
  checkWholeNumber(limit.burst, 'rateLimit.burst', 1, issues);
  checkWholeNumber(limit.maxConcurrent, 'rateLimit.maxConcurrent', 1, issues);
  checkWholeNumber(options.maxRateLimitRetries, 'maxRateLimitRetries', 0, issues);
  checkWholeNumber(options.cooldownMs, 'cooldownMs', 0, issues);
  if (issues.length > 0) throw new ConfigurationError(issues);
}
