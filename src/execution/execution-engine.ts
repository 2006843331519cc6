import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { AccountSnapshot, AssetInfo } from '../broker/reports.js';
import { type EngineConfig, resolveEngineConfig, type ResolvedEngineConfig } from '../config/engine-config.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { addDecimals, compareDecimal, Decimal, type DecimalInput, subtractDecimals, toDecimal, ZERO, maxDecimal } from '../core/decimal.js';
import { describeError, ValidationError } from '../core/errors.js';
import { type IdGenerator, randomIds } from '../core/ids.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { EventBus, type Listener } from '../events/event-bus.js';
import type { PnlSnapshot, TradewireEvents } from '../events/tradewire-events.js';
import type { Journal } from '../journal/journal.js';
import type { MarketState } from '../market/market-state.js';
import { MarketStateManager } from '../market/market-state-manager.js';
import { marketableLimit } from '../model/prices.js';
import type { Mutable } from '../core/mutable.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderRequest } from '../model/order-request.js';
import { isTerminalStatus } from '../model/order-status.js';
import type { Position } from '../positions/position.js';
import { PositionManager } from '../positions/position-manager.js';
import type { PositionRepository } from '../positions/position-repository.js';
import { exitQuantity, quantityStep, sizePosition, sizingLimits, type SizingResult } from '../risk/position-sizing.js';
import { type ProtectionOptions, RiskOrderManager } from '../risk/risk-order-manager.js';
import { stopPrice, targetLegs } from '../risk/protection-levels.js';
import { type BreakerReadings, type BreakerSpec, type BreakerTrip, CircuitBreakers } from '../risk/circuit-breakers.js';
import { PRE_TRADE_RULES, type PreTradeContext, type PreTradeRule, runPreTradeChecks } from '../risk/pre-trade-checks.js';
import { type ParsedSignal, parseSignal, type Signal } from '../signals/signal.js';
import { type DecisionReason, defaultSignalPolicy, type SignalPolicy, type TradeIntent } from '../signals/signal-policy.js';
import { InMemoryJournal } from '../journal/in-memory-journal.js';
import { OrderErrorHandler } from '../resilience/order-error-handler.js';
import { Reconciler } from '../recovery/reconciler.js';
import { type RateLimit, RateLimitedAdapter } from '../resilience/rate-limited-adapter.js';
import type { ReconciliationReport } from '../events/tradewire-events.js';
import { AssetCache } from './asset-cache.js';
import { OrderLifecycleManager } from './order-lifecycle-manager.js';
import type { SignalDecision } from './signal-decision.js';
import { type QueueReason, type QueuedSignal, SignalQueue } from './signal-queue.js';
import { type HaltOptions, type TradingState, tradingGate } from './trading-state.js';

/** How many traded signal ids the engine remembers to refuse a replayed signal. */
export const EXECUTED_SIGNALS_KEPT = 100_000;

export interface ExecutionEngineOptions {
  readonly adapter: BrokerAdapter;
  /** Default: the system clock. Tests pass a `ManualClock`. */
  readonly clock?: Clock;
  /** Default: random, time-ordered ids. Tests pass `sequentialIds()`. */
  readonly ids?: IdGenerator;
  readonly config?: EngineConfig;
  readonly journal?: Journal;
  readonly logger?: Logger;
  /**
   * Answers the `market_open` check. Default: a {@link MarketStateManager} (US equity sessions and
   * holidays, 24/7 crypto, 24/5 forex) configured from `marketHours`. Pass `alwaysOpenMarket` to
   * trade around the clock, or your own.
   */
  readonly market?: MarketState;
  /** Maps signals to intents. Default {@link defaultSignalPolicy}. */
  readonly policy?: SignalPolicy;
  readonly positionRepository?: PositionRepository;
  /** The pre-trade rules; default {@link PRE_TRADE_RULES}. Add your own or replace them. */
  readonly rules?: readonly PreTradeRule[];
  /**
   * The rate limiter in front of every adapter call. Default: the adapter's own `rateLimit` (each
   * broker adapter declares its broker's limit; the mock declares none). Pass a `RateLimit` (e.g.
   * `RATE_LIMITS.twentyPerSecond`) to override it, or `false` to call the adapter directly.
   */
  readonly rateLimit?: RateLimit | false;
  /** Circuit breakers: drawdown, daily loss, rejection rate, volatility, position size — engine-wide or per strategy. */
  readonly breakers?: readonly BreakerSpec[];
  /**
   * Protect every position with a stop and take-profit orders as soon as its entry fills
   * (see RiskOrderManager). Off unless given; `true` uses the defaults.
   */
  readonly protection?: boolean | ProtectionOptions;
}

/**
 * The library's main job: a bot hands it a signal, and the engine decides (policy), sizes, checks,
 * submits and tracks — orders through the {@link OrderLifecycleManager}, positions and P&L through
 * the {@link PositionManager}, everything announced on one typed event bus.
 *
 * @example
 * const engine = new ExecutionEngine({ adapter: broker, clock, ids });
 * await engine.start();
 * engine.updatePrice('AAPL', '190.00');
 * const decision = await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 82, time: clock.now(), strategyId: 'breakout' });
 */
export class ExecutionEngine {
  readonly events: EventBus<TradewireEvents>;
  readonly orders: OrderLifecycleManager;
  readonly positions: PositionManager;
  readonly config: ResolvedEngineConfig;
  readonly adapter: BrokerAdapter;
  /** Retries, resizes and alerts for broker failures; `stats()` has the counters. */
  readonly errorHandler: OrderErrorHandler;

  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  /** When orders can be executed (the `market_open` check, the queue's release, cancel at the close). */
  readonly market: MarketState;
  private readonly policy: SignalPolicy;
  private readonly rules: readonly PreTradeRule[];
  private readonly assets: AssetCache;
  private readonly prices = new Map<string, Decimal>();
  /** Notional held for working entry orders, released as they fill or end. */
  private readonly reservations = new Map<string, Decimal>();
  private snapshot: AccountSnapshot | undefined;
  /** The percentage limits as amounts, recomputed when the account snapshot changes. */
  private limits = { maxPositionNotional: ZERO, maxExposureNotional: ZERO };
  /** Entry notional filled since the last account snapshot (the snapshot does not know it yet). */
  private filledSinceSnapshot = ZERO;
  private refreshTimer: TimerHandle | undefined;
  private reconcileTimer: TimerHandle | undefined;
  private running = false;
  private readonly reconciler: Reconciler;
  /**
   * Signals that produced an order (restored by `recover()`), so a replayed signal is not traded
   * twice. The newest {@link EXECUTED_SIGNALS_KEPT} are kept: a bot replays its recent feed, not its history.
   */
  private readonly executedSignals = new Set<string>();
  private state: TradingState = 'ACTIVE';
  private stateReason: string | undefined;
  /** The kill switch's own closing orders: a breaker's cancel-all leaves them alone. */
  private readonly emergencyOrders = new Set<string>();
  /** The protective-order manager, when `protection` is on. */
  readonly protection: RiskOrderManager | undefined;
  /** The circuit breakers; `trips()` lists those that fired. */
  readonly breakers: CircuitBreakers;
  /** Strategies stopped by their own breaker (new entries refused; exits pass). */
  private readonly blockedStrategies = new Map<string, string>();
  private volatility: Decimal | undefined;
  private readonly queue = new SignalQueue();
  private queueTimer: TimerHandle | undefined;

  /** Throws {@link ConfigurationError} naming every invalid configuration field. */
  constructor(options: ExecutionEngineOptions) {
    this.config = resolveEngineConfig(options.config);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    const limit = options.rateLimit === false ? undefined : (options.rateLimit ?? options.adapter.rateLimit);
    this.adapter = limit ? new RateLimitedAdapter(options.adapter, { limit, clock: this.clock, logger: this.logger }) : options.adapter;
    this.ids = options.ids ?? randomIds(() => this.clock.now());
    this.policy = options.policy ?? defaultSignalPolicy;
    this.rules = options.rules ?? PRE_TRADE_RULES;
    this.events = new EventBus<TradewireEvents>(({ error, source }) => this.logger.error(`listener for ${source} threw`, { error: describeError(error) }));
    this.market =
      options.market ??
      new MarketStateManager({
        clock: this.clock,
        events: this.events,
        preMarket: this.config.marketHours.preMarket,
        afterHours: this.config.marketHours.afterHours,
        broker: this.adapter,
      });
    const journal = options.journal ?? new InMemoryJournal();
    this.errorHandler = new OrderErrorHandler({
      adapter: this.adapter,
      clock: this.clock,
      events: this.events,
      journal,
      retry: this.config.errorHandling,
      resizeOnInsufficientFunds: this.config.errorHandling.resizeOnInsufficientFunds,
      priceOf: (symbol) => this.prices.get(symbol),
      ...(this.config.errorHandling.fallbackOrderType === 'marketable_limit' ? { fallbackLimitOffsetBps: this.config.orderManagement.limitOffsetBps } : {}),
    });
    this.orders = new OrderLifecycleManager({
      adapter: this.adapter,
      clock: this.clock,
      ids: this.ids,
      events: this.events,
      logger: this.logger,
      journal,
      send: this.errorHandler.send,
      orderTimeoutMs: this.config.orderManagement.orderTimeoutMs,
      pollIntervalMs: this.config.orderManagement.pollIntervalMs,
      historyLimit: this.config.orderManagement.endedOrdersKept,
    });
    this.positions = new PositionManager({
      clock: this.clock,
      ids: this.ids,
      events: this.events,
      equity: () => this.snapshot?.equity,
      ...(options.positionRepository ? { repository: options.positionRepository } : {}),
    });
    this.assets = new AssetCache(this.adapter, this.clock);
    this.reconciler = new Reconciler({
      adapter: this.adapter,
      orders: this.orders,
      positions: this.positions,
      journal,
      events: this.events,
      clock: this.clock,
      logger: this.logger,
      policy: this.config.recovery,
      halt: (reason) => void this.halt({ reason, cancelOpen: false }),
    });
    // Registered before any host listener, so positions are current when a host hears of a fill.
    this.events.on('order:fill', ({ order, fill }) => {
      this.positions.applyFill(order, fill);
      this.onFill(order, fill);
    });
    this.protection = options.protection
      ? new RiskOrderManager({
          orders: this.orders,
          positions: this.positions,
          events: this.events,
          clock: this.clock,
          ids: this.ids,
          logger: this.logger,
          capabilities: this.adapter.capabilities,
          forceClose: (symbol, reason) => this.forceClose(symbol, reason),
          priceIncrement: (symbol) => this.assets.peek(symbol)?.asset?.priceIncrement,
          options: {
            ...(this.config.stopLoss.method === 'trailing' ? { trailingPercent: this.config.stopLoss.trailingPercent } : {}),
            ...(this.config.takeProfit.method === 'partial' ? { partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] } : {}),
            ...(options.protection === true ? {} : options.protection),
          },
        })
      : undefined;
    this.breakers = new CircuitBreakers(options.breakers);
    if (this.breakers.configured.length > 0) {
      const check = (): void => this.checkBreakers();
      this.events.on('pnl:updated', check);
      this.events.on('order:accepted', ({ order }) => this.breakers.recordOrder(order.strategyId, false, this.clock.now()));
      this.events.on('order:rejected', ({ order }) => {
        this.breakers.recordOrder(order.strategyId, true, this.clock.now());
        check();
      });
    }
    this.adapter.onAccountEvent?.((event) => {
      this.events.emit('broker:account_event', event);
      if (event.type === 'margin_call_enter' || event.type === 'margin_call_extend') {
        this.events.emit('alert', { severity: 'critical', code: 'margin_call', message: `broker margin call: ${event.detail}` });
      }
    });
    // The market opened: release its queued signals now rather than at the next periodic check.
    this.events.on('market:opened', ({ assetClass }) => void this.releaseReady(assetClass));
    this.events.on('market:closed', ({ assetClass }) => {
      if (assetClass === 'equity' && this.config.marketHours.cancelAtClose) void this.cancelDayOrders();
    });
    this.events.on('order:transition', ({ order, to }) => {
      if (!isTerminalStatus(to)) return;
      this.reservations.delete(order.clientOrderId);
      this.positions.orderEnded(order);
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof TradewireEvents & string>(event: K, listener: Listener<TradewireEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  /** Connects the adapter, starts order tracking and loads the account. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.adapter.connect();
    this.orders.start();
    await this.refreshAccount();
    if (this.market instanceof MarketStateManager) {
      if (this.adapter.capabilities.marketClock) {
        await this.market.syncWithBroker().catch((error: unknown) => this.logger.warn('market clock sync failed; using the local calendar', { error: describeError(error) }));
      }
      this.market.start();
    }
    this.scheduleRefresh();
    this.scheduleReconcile();
    this.scheduleQueueCheck();
  }

  /**
   * After a restart: rebuilds orders and positions from the journal, then reconciles with the
   * broker (missed fills applied, unsent orders resent or failed, positions adopted or trading
   * halted per `recovery.onMismatch`). Call after `start()`, before new signals.
   */
  async recover(): Promise<ReconciliationReport> {
    const report = await this.reconciler.recover();
    for (const id of report.signalIds) this.rememberSignal(id);
    return report;
  }

  /** Compares orders and positions with the broker now (it also runs every `recovery.reconcileIntervalMs`). */
  reconcile(): Promise<ReconciliationReport> {
    return this.reconciler.reconcile();
  }

  /**
   * The kill switch: stops every new order (state HALTED) at once — a signal already in flight is
   * stopped at the gate right before it would be sent — then, by default, cancels every working
   * order (one still on its way is cancelled when it lands), and with `flatten`
   * closes every position at market. `resume()` takes an explicit call. Journaled and emitted.
   */
  async halt(options: HaltOptions | string): Promise<void> {
    const { reason, cancelOpen = true, flatten = false } = typeof options === 'string' ? { reason: options } : options;
    const at = this.clock.now();
    if (this.state !== 'HALTED') {
      this.setState('HALTED', reason);
      this.events.emit('engine:halted', { reason, at, cancelOpen, flatten });
      this.events.emit('alert', { severity: 'critical', code: 'trading_halted', message: `trading halted: ${reason}` });
    }
    this.orders.journal.append({ kind: 'note', at, topic: 'engine.halted', data: { reason, cancelOpen, flatten } });
    // An order still on its way is covered too: the lifecycle re-sends the cancel when it lands.
    if (cancelOpen) await this.orders.cancelAll(`halted: ${reason}`);
    if (flatten) for (const position of this.positions.openPositions()) await this.forceClose(position.symbol, `halted: ${reason}`);
  }

  /** Only orders that reduce exposure pass until `resume()` (or a halt). Journaled and emitted. */
  reduceOnly(reason: string): void {
    if (this.state !== 'ACTIVE') return;
    this.setState('REDUCING', reason);
  }

  /** Back to ACTIVE after a halt or reducing; it takes an explicit call. */
  resume(): void {
    if (this.state === 'ACTIVE') return;
    this.setState('ACTIVE', 'resumed');
    this.events.emit('engine:resumed', { at: this.clock.now() });
  }

  /** A host-supplied volatility measure (e.g. a VIX reading or realised volatility): for the `volatility` breakers, and for protection's `volatility` rule (wider stops while it is high). */
  reportVolatility(value: DecimalInput): void {
    this.volatility = toDecimal(value, 'volatility');
    this.checkBreakers();
    // Protection may widen (or restore) its stops for the new volatility.
    if (this.protection) void this.protection.onVolatility(this.volatility).catch((error: unknown) => this.logger.error('protection could not adjust to volatility', { error: describeError(error) }));
  }

  /** Re-arms a tripped breaker and lifts its strategy block. Trading halted by it still needs `resume()`. */
  resetBreaker(id: string): void {
    const trip = this.breakers.trips().find((t) => t.id === id);
    if (!this.breakers.reset(id)) return;
    if (trip?.strategyId) this.blockedStrategies.delete(trip.strategyId);
    this.orders.journal.append({ kind: 'note', at: this.clock.now(), topic: 'breaker.reset', data: { id } });
  }

  get tradingState(): TradingState {
    return this.state;
  }

  /** Why trading is halted, or undefined when it is not. */
  get halted(): string | undefined {
    return this.state === 'HALTED' ? this.stateReason : undefined;
  }

  private checkBreakers(): void {
    if (this.breakers.configured.length === 0) return;
    const pnl = this.positions.pnl();
    const equity = (pnl.startOfDayEquity ?? this.snapshot?.equity ?? ZERO).plus(pnl.daily);
    let largest = ZERO;
    for (const p of this.positions.openPositions()) {
      const value = p.quantity.times(p.currentPrice ?? p.averageEntryPrice);
      if (value.greaterThan(largest)) largest = value;
    }
    const readings: BreakerReadings = {
      equity,
      dailyPnl: pnl.daily,
      strategyDailyPnl: this.positions.strategyDailyPnl(),
      largestPositionPct: equity.greaterThan(0) ? largest.dividedBy(equity).times(100) : ZERO,
      volatility: this.volatility,
    };
    for (const trip of this.breakers.check(readings, this.clock.now())) void this.onBreaker(trip);
  }

  /** A breaker tripped: journal it, announce it, then run its actions in order. */
  private async onBreaker(trip: BreakerTrip): Promise<void> {
    const scope = trip.strategyId ? ` (strategy ${trip.strategyId})` : '';
    const reason = `breaker ${trip.id}${scope}: ${trip.kind} ${trip.value.toFixed(2)} ≥ ${trip.threshold.toString()}`;
    this.orders.journal.append({ kind: 'note', at: trip.at, topic: 'breaker.tripped', data: { ...trip, value: trip.value.toString(), threshold: trip.threshold.toString() } });
    this.events.emit('breaker:tripped', trip);
    const mine = (strategyId: string | undefined): boolean => !trip.strategyId || strategyId === trip.strategyId;
    try {
      for (const action of trip.actions) {
        if (action === 'notify') this.events.emit('alert', { severity: 'critical', code: 'breaker_tripped', message: reason });
        else if (action === 'reduce_only') this.reduceOnly(reason);
        else if (action === 'halt_new_orders') {
          if (trip.strategyId) this.blockedStrategies.set(trip.strategyId, reason);
          else await this.halt({ reason, cancelOpen: false });
        } else if (action === 'cancel_open_orders') {
          for (const order of this.orders.workingOrders()) if (mine(order.strategyId) && !this.emergencyOrders.has(order.clientOrderId)) await this.orders.cancel(order.clientOrderId, reason);
        } else if (action === 'close_all_positions') {
          for (const position of this.positions.openPositions()) if (mine(position.strategyId)) await this.forceClose(position.symbol, reason);
        }
      }
    } catch (error) {
      this.logger.error(`breaker ${trip.id} actions failed`, { error: describeError(error) });
    }
  }

  private setState(state: TradingState, reason: string): void {
    const at = this.clock.now();
    this.state = state;
    this.stateReason = reason;
    this.orders.journal.append({ kind: 'note', at, topic: 'engine.trading_state', data: { state, reason } });
    this.events.emit('engine:trading_state', { state, reason, at });
  }

  /** Stops tracking and timers. Orders stay working at the broker; call `orders.cancelAll()` first to flatten. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.refreshTimer !== undefined) this.clock.clearTimeout(this.refreshTimer);
    if (this.reconcileTimer !== undefined) this.clock.clearTimeout(this.reconcileTimer);
    if (this.queueTimer !== undefined) this.clock.clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.refreshTimer = undefined;
    this.reconcileTimer = undefined;
    this.orders.stop();
    if (this.market instanceof MarketStateManager) this.market.stop();
    await this.adapter.disconnect();
  }

  /** Fetches the account from the broker (equity, cash, buying power). */
  async refreshAccount(): Promise<AccountSnapshot> {
    const account = await this.adapter.getAccount();
    this.snapshot = account;
    this.limits = sizingLimits(this.config, account.equity);
    this.filledSinceSnapshot = ZERO;
    if (this.positions.startOfDay === undefined) this.positions.setStartOfDayEquity(account.equity);
    return account;
  }

  /** The last account snapshot, if any. */
  account(): AccountSnapshot | undefined {
    return this.snapshot;
  }

  /** Feeds the last trade price of `symbol`: sizing uses it and positions are marked to it. */
  updatePrice(symbol: string, price: DecimalInput): void {
    const value = toDecimal(price, 'price');
    if (!value.greaterThan(0)) throw new ValidationError([{ field: 'price', message: `must be greater than zero, got ${value.toString()}` }], `price of ${symbol}`);
    this.prices.set(symbol, value);
    this.positions.markPrice(symbol, value);
  }

  pnl(): PnlSnapshot {
    return this.positions.pnl();
  }

  /**
   * Decides, sizes, checks and submits. Resolves with what it did: `executed` with the order
   * (already filled, working, or refused by the broker), or `rejected` with every reason, in which
   * case nothing was sent and no state changed. Throws {@link ValidationError} listing every problem
   * of an invalid signal.
   */
  async executeSignal(signal: Signal): Promise<SignalDecision> {
    return this.run(signal, false);
  }

  /** Signals waiting for the market or an operator, in arrival order. */
  queuedSignals(): QueuedSignal[] {
    return this.queue.list();
  }

  /** Re-runs a queued signal now, through every check (it queues again if the market is still closed). */
  async releaseQueued(signalId: string): Promise<SignalDecision | undefined> {
    const entry = this.dequeue(signalId, 'released');
    return entry ? this.run(entry.signal, false) : undefined;
  }

  /** An operator's go-ahead: runs a queued signal now, every check but `market_open`. */
  async approveQueued(signalId: string): Promise<SignalDecision | undefined> {
    const entry = this.dequeue(signalId, 'approved');
    return entry ? this.run(entry.signal, true) : undefined;
  }

  /** An operator's no: drops a queued signal (journaled and emitted as rejected). */
  rejectQueued(signalId: string, reason = 'rejected by an operator'): SignalDecision | undefined {
    const entry = this.dequeue(signalId, 'rejected');
    return entry ? this.reject(entry.signal, [{ code: 'rejected_by_operator', message: reason }]) : undefined;
  }

  /**
   * Closes a position at market now, bypassing the pre-trade checks (even while halted): cancels
   * the symbol's working orders, then sends a reduce-only market order for the whole quantity.
   * Journaled, emitted as `position:force_closed`, and raised as an alert.
   */
  async forceClose(symbol: string, reason = 'forced by an operator'): Promise<Order | undefined> {
    const at = this.clock.now();
    // No new protection while closing; protective orders still on their way are answered first,
    // since an order cannot be cancelled by id before the broker has it.
    const release = this.protection?.hold(symbol);
    let order: Order | undefined;
    try {
      await this.protection?.settled(symbol);
      const cancelled = this.orders.workingOrders().filter((o) => o.symbol === symbol);
      for (const working of cancelled) await this.orders.cancel(working.clientOrderId, reason);
      // Where open exits hold the shares (Alpaca), the close can only go once the cancels are confirmed.
      if (this.adapter.capabilities.exitsHoldQuantity) await this.orders.whenEnded(cancelled.map((o) => o.clientOrderId), 10_000);
      const position = this.positions.get(symbol);
      if (position && position.quantity.greaterThan(0)) {
        const clientOrderId = this.ids.next('tw');
        this.emergencyOrders.add(clientOrderId);
        order = await this.orders.submit(
          { clientOrderId, symbol, side: position.side === 'long' ? 'sell' : 'buy', quantity: position.quantity, assetClass: position.assetClass, type: 'market', reduceOnly: true },
          { onCreated: (created) => this.positions.trackExit(created) },
        );
      }
    } finally {
      release?.();
    }
    this.orders.journal.append({ kind: 'note', at, topic: 'position.force_closed', symbol, data: { reason, clientOrderId: order?.clientOrderId } });
    this.events.emit('position:force_closed', { symbol, reason, order, at });
    this.events.emit('alert', { severity: 'warning', code: 'position_force_closed', message: `${symbol} force-closed: ${reason}`, ...(order ? { clientOrderId: order.clientOrderId } : {}) });
    return order;
  }

  /** Remembers a traded signal id; past the bound, the oldest are forgotten (a Set iterates in insertion order). */
  private rememberSignal(id: string): void {
    this.executedSignals.add(id);
    if (this.executedSignals.size <= EXECUTED_SIGNALS_KEPT) return;
    for (const oldest of this.executedSignals) {
      this.executedSignals.delete(oldest);
      if (this.executedSignals.size <= EXECUTED_SIGNALS_KEPT) break;
    }
  }

  private async run(signal: Signal, approved: boolean): Promise<SignalDecision> {
    this.events.emit('signal:received', { signal });
    let parsed: ParsedSignal;
    try {
      parsed = parseSignal(signal);
    } catch (error) {
      if (error instanceof ValidationError) {
        this.reject(signal, error.issues.map((i) => ({ code: 'invalid_signal', message: `${i.field} ${i.message}` })));
      }
      throw error;
    }
    if (this.state === 'HALTED') return this.reject(signal, [tradingGate(this.state, false, this.stateReason)!]);
    if (this.executedSignals.has(parsed.id)) return this.reject(signal, [{ code: 'duplicate_signal', message: `signal ${parsed.id} already produced an order` }]);
    const cached = this.assets.peek(parsed.symbol);
    const asset = cached ? cached.asset : await this.assets.load(parsed.symbol);
    // A signal that does not say what it trades trades what the broker says the symbol is
    // (EUR_USD is forex on OANDA): its market hours, sizing and order follow from that.
    if (signal.assetClass === undefined && asset && asset.assetClass !== parsed.assetClass) parsed = { ...parsed, assetClass: asset.assetClass };
    const position = this.positions.get(parsed.symbol);
    const intent = this.policy(parsed, { config: this.config, position, capabilities: this.adapter.capabilities, asset });
    if (intent.action === 'none') return this.reject(signal, [intent.reason]);
    const stopped = tradingGate(this.state, intent.action === 'close', this.stateReason);
    if (stopped) return this.reject(signal, [stopped]);
    const blocked = this.blockedStrategies.get(parsed.strategyId);
    if (blocked && intent.action !== 'close') return this.reject(signal, [{ code: 'strategy_halted', message: `strategy ${parsed.strategyId} is stopped: ${blocked}` }]);

    const price = this.prices.get(parsed.symbol) ?? parsed.expectedPrice ?? position?.currentPrice;
    if (!price) return this.reject(signal, [{ code: 'no_price', message: `no price for ${parsed.symbol}: call updatePrice or give expectedPrice` }]);
    return intent.action === 'close' ? this.exit(signal, parsed, intent, asset, price, approved) : this.enter(signal, parsed, intent, asset, price, position, approved);
  }

  private async enter(
    signal: Signal,
    parsed: ParsedSignal,
    intent: Extract<TradeIntent, { action: 'open' | 'scale_in' }>,
    asset: AssetInfo | undefined,
    price: Decimal,
    position: Position | undefined,
    approved: boolean,
  ): Promise<SignalDecision> {
    const long = intent.action === 'open' ? intent.direction === 'long' : intent.position.side === 'long';
    const stopPrice = this.stopFor(parsed, price, long);
    const targetPrice = this.targetFor(parsed, price, stopPrice, long);
    const equity = this.snapshot?.equity ?? ZERO;
    const buyingPower = this.availableBuyingPower();
    const exposure = this.exposure();
    const positionNotional = position ? position.quantity.times(price) : ZERO;
    const sizing = sizePosition({
      config: this.config,
      price,
      stopPrice,
      strength: parsed.strength,
      equity,
      buyingPower,
      exposure,
      positionNotional,
      asset,
      assetClass: parsed.assetClass,
      ...this.limits,
    });

    const reasons: DecisionReason[] = [];
    if (sizing.quantity.isZero() || compareDecimal(sizing.notional, this.config.minTradeSize) < 0) {
      const capped = sizing.caps.length > 0 ? ` after capping by ${sizing.caps.join(', ')}` : '';
      reasons.push({ code: 'below_min_trade_size', message: `the sized order is ${sizing.notional.toFixed(2)}${capped}; the minimum trade is ${this.config.minTradeSize.toFixed(2)}` });
    }
    reasons.push(
      ...runPreTradeChecks(
        this.checkContext(parsed, 'entry', sizing.notional, asset, {
          equity,
          buyingPower,
          exposure,
          positionNotional,
          opensNewPosition: intent.action === 'open',
          scalingIn: intent.action === 'scale_in',
          hasPosition: position !== undefined,
        }),
        this.rules,
      ),
    );
    const held = this.holdOrReject(signal, reasons, approved);
    if (held) return held;

    // Checked again at the last moment: a halt that arrived while this signal awaited must stop it.
    const late = tradingGate(this.state, false, this.stateReason);
    if (late) return this.reject(signal, [late]);
    const side = long ? 'buy' : 'sell';
    const request = this.orderRequest(parsed, side, sizing.quantity, price, false);
    this.reservations.set(request.clientOrderId as string, sizing.notional);
    const order = await this.orders.submit(request, {
      onCreated: (created) =>
        this.positions.trackEntry(created, {
          signalId: parsed.id,
          signalStrength: parsed.strength,
          strategyId: parsed.strategyId,
          stopPrice,
          targetPrice,
        }),
    });
    return this.afterSubmit(signal, intent, order, sizing);
  }

  private async exit(
    signal: Signal,
    parsed: ParsedSignal,
    intent: Extract<TradeIntent, { action: 'close' }>,
    asset: AssetInfo | undefined,
    price: Decimal,
    approved: boolean,
  ): Promise<SignalDecision> {
    const position = intent.position;
    const step = quantityStep(asset, position.assetClass, this.config.allowFractional);
    const quantity = exitQuantity(position.quantity, intent.fraction, step);
    const reasons = runPreTradeChecks(
      // Exits are judged only by market, tradability and working orders: no exposure arithmetic needed.
      this.checkContext(parsed, 'exit', quantity.times(price), asset, {
        equity: this.snapshot?.equity ?? ZERO,
        buyingPower: ZERO,
        exposure: ZERO,
        positionNotional: ZERO,
        opensNewPosition: false,
        scalingIn: false,
        hasPosition: true,
      }),
      this.rules,
    );
    if (position.quantity.isZero()) reasons.push({ code: 'position_not_filled', message: `the ${parsed.symbol} entry has not filled yet` });
    else if (quantity.isZero()) reasons.push({ code: 'below_min_trade_size', message: `${intent.fraction.toString()} of ${position.quantity.toString()} rounds to nothing` });
    const held = this.holdOrReject(signal, reasons, approved);
    if (held) return held;

    const late = tradingGate(this.state, true, this.stateReason);
    if (late) return this.reject(signal, [late]);
    const side = position.side === 'long' ? 'sell' : 'buy';
    // Where open exits hold the shares (Alpaca), the protective orders first give up what this exit sells.
    if (this.protection && !(await this.protection.makeRoomForExit(parsed.symbol, quantity))) {
      return this.reject(signal, [{ code: 'exit_blocked', message: `${parsed.symbol}: the protective orders did not confirm their cancel in time` }]);
    }
    const order = await this.orders.submit(this.orderRequest(parsed, side, quantity, price, true), {
      onCreated: (created) => this.positions.trackExit(created),
    });
    return this.afterSubmit(signal, intent, order, undefined);
  }

  /**
   * Where the stop goes (it sizes fixed-fractional risk and is recorded on the position): the
   * signal's explicit `stopPrice` hint, else the configured method — percent, ATR × multiple (with
   * the signal's ATR), beyond the signal's support (long) / resistance (short) level by the buffer,
   * or the trailing percent — falling back to percent when the method's input is missing.
   */
  private stopFor(signal: ParsedSignal, price: Decimal, long: boolean): Decimal {
    if (signal.stopPrice) return signal.stopPrice;
    const side = long ? 'long' : 'short';
    const rule = this.config.stopLoss;
    const level = long ? signal.supportLevel : signal.resistanceLevel;
    if (rule.method === 'atr' && signal.atr) return stopPrice(side, price, { method: 'atr', atr: signal.atr, multiplier: rule.atrMultiplier });
    if (rule.method === 'support' && level) return stopPrice(side, price, { method: 'support', level, bufferPct: rule.supportBufferPct });
    if (rule.method === 'trailing') return stopPrice(side, price, { method: 'trailing', percent: rule.trailingPercent });
    return stopPrice(side, price, { method: 'percent', percent: rule.percent });
  }

  /** The target: the signal's `targetPrice` hint, else the resistance (long) / support (short) level, else reward:risk. */
  private targetFor(signal: ParsedSignal, price: Decimal, stop: Decimal, long: boolean): Decimal {
    if (signal.targetPrice) return signal.targetPrice;
    const side = long ? 'long' : 'short';
    const level = long ? signal.resistanceLevel : signal.supportLevel;
    if (this.config.takeProfit.method === 'resistance' && level) return targetLegs(side, price, stop, { method: 'resistance', level })[0]!.price;
    const ratio = this.config.takeProfit.method === 'partial' ? 2 : this.config.takeProfit.riskRewardRatio;
    return targetLegs(side, price, stop, { method: 'risk_reward', ratio })[0]!.price;
  }

  private orderRequest(signal: ParsedSignal, side: 'buy' | 'sell', quantity: Decimal, price: Decimal, reduceOnly: boolean): OrderRequest & { clientOrderId: string } {
    const om = this.config.orderManagement;
    // Outside the regular session brokers take only limit orders flagged for extended hours.
    const session = this.market instanceof MarketStateManager ? this.market.session(signal.symbol, signal.assetClass) : 'regular';
    const extended = signal.assetClass === 'equity' && (session === 'pre_market' || session === 'after_hours');
    // Exits are market orders (getting out must not wait on a price), except where the session forbids them.
    const limit = extended || (om.entryOrderType === 'limit' && !reduceOnly);
    const request: Mutable<OrderRequest> & { clientOrderId: string } = {
      clientOrderId: this.ids.next('tw'),
      symbol: signal.symbol,
      side,
      quantity,
      assetClass: signal.assetClass,
      type: limit ? 'limit' : 'market',
      reduceOnly,
      signalId: signal.id,
      strategyId: signal.strategyId,
    };
    if (limit) request.limitPrice = marketableLimit(price, side, om.limitOffsetBps);
    if (extended) {
      request.extendedHours = true;
      request.timeInForce = 'day';
    } else if (om.timeInForce) {
      request.timeInForce = om.timeInForce;
    }
    return request;
  }

  private checkContext(
    signal: ParsedSignal,
    purpose: 'entry' | 'exit',
    notional: Decimal,
    asset: AssetInfo | undefined,
    facts: Pick<PreTradeContext, 'equity' | 'buyingPower' | 'exposure' | 'positionNotional' | 'opensNewPosition' | 'scalingIn' | 'hasPosition'>,
  ): PreTradeContext {
    const pnl = this.positions.pnl();
    // Listed, not spread: a spread followed by more keys builds a slow dictionary-mode object in V8.
    return {
      maxPositionNotional: purpose === 'entry' ? this.limits.maxPositionNotional : undefined,
      maxExposureNotional: purpose === 'entry' ? this.limits.maxExposureNotional : undefined,
      equity: facts.equity,
      buyingPower: facts.buyingPower,
      exposure: facts.exposure,
      positionNotional: facts.positionNotional,
      opensNewPosition: facts.opensNewPosition,
      scalingIn: facts.scalingIn,
      hasPosition: facts.hasPosition,
      config: this.config,
      symbol: signal.symbol,
      purpose,
      notional,
      openPositions: this.positions.count,
      dailyPnl: pnl.daily,
      startOfDayEquity: pnl.startOfDayEquity ?? facts.equity,
      marketOpen: this.market.isMarketOpen(signal.symbol, signal.assetClass, this.clock.now()),
      asset,
      hasWorkingOrder: this.orders.hasWorkingOrder(signal.symbol, RiskOrderManager.isProtective),
    };
  }

  private availableBuyingPower(): Decimal {
    return maxDecimal(subtractDecimals(subtractDecimals(this.snapshot?.buyingPower ?? ZERO, this.reserved()), this.filledSinceSnapshot), ZERO);
  }

  private exposure(): Decimal {
    return addDecimals(this.positions.exposure(), this.reserved());
  }

  /** Notional held for working entry orders. */
  private reserved(): Decimal {
    let total = ZERO;
    for (const amount of this.reservations.values()) total = addDecimals(total, amount);
    return total;
  }

  /** An entry's fill uses up its reservation (an exit has none: no arithmetic). */
  private onFill(order: Order, fill: Fill): void {
    const reservation = this.reservations.get(order.clientOrderId);
    if (reservation) {
      const notional = fill.quantity.times(fill.price);
      this.reservations.set(order.clientOrderId, maxDecimal(reservation.minus(notional), ZERO));
      this.filledSinceSnapshot = this.filledSinceSnapshot.plus(notional);
    }
  }

  private scheduleReconcile(): void {
    const interval = this.config.recovery.reconcileIntervalMs;
    if (interval <= 0) return;
    this.reconcileTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      void this.reconciler
        .reconcile()
        .catch((error: unknown) => this.logger.warn('reconciliation failed', { error: describeError(error) }))
        .finally(() => this.running && this.scheduleReconcile());
    }, interval);
  }

  private scheduleRefresh(): void {
    this.refreshTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      void this.refreshAccount()
        .catch((error: unknown) => this.logger.warn('account refresh failed', { error: describeError(error) }))
        .finally(() => this.running && this.scheduleRefresh());
    }, this.config.accountRefreshMs);
  }

  /**
   * Decides what failed checks mean: nothing failed → go on (undefined); only the market is closed
   * and queueing is on → queue; an operator approved it → ignore `market_open`; else reject.
   */
  private holdOrReject(signal: Signal, reasons: DecisionReason[], approved: boolean): SignalDecision | undefined {
    const remaining = approved ? reasons.filter((r) => r.code !== 'market_open') : reasons;
    if (remaining.length === 0) return undefined;
    if (remaining.length === 1 && remaining[0]!.code === 'market_open' && this.config.marketHours.queueWhenClosed) {
      return this.enqueue(signal, 'market_closed', remaining[0]!.message);
    }
    return this.reject(signal, remaining);
  }

  /** After a send: a WAITING refusal (market closed, halt) queues the signal rather than losing it. */
  private afterSubmit(signal: Signal, intent: Exclude<TradeIntent, { action: 'none' }>, order: Order, sizing: SizingResult | undefined): SignalDecision {
    const waiting = this.errorHandler.takeWaitingRefusal(order.clientOrderId);
    if (waiting && order.status === 'rejected') {
      return this.enqueue(signal, waiting.code === 'trading_halted' ? 'trading_halted' : 'market_closed', waiting.message, order.clientOrderId);
    }
    return this.executed(signal, intent, order, sizing);
  }

  private enqueue(signal: Signal, reason: QueueReason, detail: string, refusedOrderId?: string): SignalDecision {
    const at = this.clock.now();
    this.queue.add({ signal, symbol: signal.symbol, reason, detail, queuedAt: at, ...(refusedOrderId ? { refusedOrderId } : {}) });
    this.orders.journal.append({ kind: 'note', at, topic: 'signal.queued', symbol: signal.symbol, data: { signalId: signal.id, reason, detail, refusedOrderId } });
    const decision = { kind: 'queued' as const, signal, reason, detail, decidedAt: at };
    this.events.emit('signal:queued', decision);
    return decision;
  }

  private dequeue(signalId: string, how: 'released' | 'approved' | 'rejected'): QueuedSignal | undefined {
    const entry = this.queue.take(signalId);
    if (!entry) return undefined;
    const at = this.clock.now();
    this.orders.journal.append({ kind: 'note', at, topic: `signal.${how}`, symbol: entry.symbol, data: { signalId } });
    this.events.emit('signal:dequeued', { signal: entry.signal, how, at });
    return entry;
  }

  /** Releases the queued signals (of one asset class, or all) whose market is open now. */
  private async releaseReady(assetClass?: 'equity' | 'forex'): Promise<void> {
    const now = this.clock.now();
    for (const entry of this.queue.list()) {
      const entryClass = entry.signal.assetClass ?? 'equity';
      if ((assetClass && entryClass !== assetClass) || !this.market.isMarketOpen(entry.symbol, entryClass, now)) continue;
      await this.releaseQueued(entry.signal.id).catch((error: unknown) => this.logger.warn('releasing a queued signal failed', { error: describeError(error) }));
    }
  }

  /** Cancel at the close: every working equity day order. */
  private async cancelDayOrders(): Promise<void> {
    const day = this.orders.workingOrders().filter((o) => o.assetClass === 'equity' && o.timeInForce === 'day');
    await Promise.all(day.map((o) => this.orders.cancel(o.clientOrderId, 'cancelled at the close')));
  }

  /** Releases queued signals whose market has opened, on the injected clock. */
  private scheduleQueueCheck(): void {
    this.queueTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      void this.releaseReady().finally(() => this.running && this.scheduleQueueCheck());
    }, this.config.marketHours.queueCheckIntervalMs);
  }

  private reject(signal: Signal, reasons: readonly DecisionReason[]): SignalDecision {
    const decision = { kind: 'rejected' as const, signal, reasons, decidedAt: this.clock.now() };
    this.events.emit('signal:rejected', decision);
    return decision;
  }

  private executed(signal: Signal, intent: Exclude<TradeIntent, { action: 'none' }>, order: Order, sizing: SizingResult | undefined): SignalDecision {
    if (order.signalId) this.rememberSignal(order.signalId);
    const decision: Mutable<Extract<SignalDecision, { kind: 'executed' }>> = { kind: 'executed', signal, intent, order, quantity: order.quantity, decidedAt: this.clock.now() };
    if (sizing) decision.sizing = sizing;
    this.events.emit('signal:executed', decision);
    return decision;
  }
}

