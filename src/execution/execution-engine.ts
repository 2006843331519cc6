import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { AccountSnapshot } from '../broker/reports.js';
import { type EngineConfig, resolveEngineConfig, type ResolvedEngineConfig } from '../config/engine-config.js';
import { allOrFailures } from '../core/all-settled.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { isAboveZero, parseDecimalIn, toDecimal } from '../core/decimal.js';
import { isTerminalStatus } from '../model/order-status.js';
import { describeError, type JournalWriteError, PositionNotClosedError, RecoveryIncompleteError, ValidationError, type ValidationIssue } from '../core/errors.js';
import { every, type Repeating } from '../core/every.js';
import { type IdGenerator, randomIds } from '../core/ids.js';
import type { InternalFailure } from '../core/internal-hooks.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { optionsOf } from '../core/options.js';
import { EventBus, type EventSource, type Listener, subscribeOnly } from '../events/event-bus.js';
import { InMemoryJournal } from '../journal/in-memory-journal.js';
import { type Journal, type JournalRecord, UNSTAMPED } from '../journal/journal.js';
import { announceMarketChange, type MarketChange } from '../market/market-events.js';
import type { MarketState } from '../market/market-state.js';
import { MarketStateManager } from '../market/market-state-manager.js';
import type { Order } from '../model/order.js';
import type { PnlSnapshot } from '../positions/position-events.js';
import type { Position } from '../positions/position.js';
import { PositionManager, type PositionsView } from '../positions/position-manager.js';
import type { PositionRepository } from '../positions/position-repository.js';
import { EngineRecovery, type RecoveryState } from '../recovery/engine-recovery.js';
import { checkpointSnapshot } from '../recovery/journal-checkpoint.js';
import { ACCOUNT_NOTE_EVERY_MS, ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, closedPositionRecord, POSITION_CLOSED_TOPIC } from '../journal/history-notes.js';
import type { ReconciliationReport, RecoveryReport } from '../recovery/reconciliation-report.js';
import { Reconciler } from '../recovery/reconciler.js';
import { OrderErrorHandler } from '../resilience/order-error-handler.js';
import { type RateLimit, RateLimitedAdapter } from '../resilience/rate-limited-adapter.js';
import { type BreakerSpec, CircuitBreakers } from '../risk/circuit-breakers.js';
import type { PreTradeRule } from '../risk/pre-trade-checks.js';
import { closeWorkingOn, type ProtectionOptions, RiskOrderManager } from '../risk/risk-order-manager.js';
import type { Signal } from '../signals/signal.js';
import { defaultSignalPolicy, type SignalPolicy } from '../signals/signal-policy.js';
import type { TradewireEvents } from '../tradewire-events.js';
import { AssetCache } from './asset-cache.js';
import { decideInTurn } from './decide-in-turn.js';
import { checkEngineParts } from './engine-parts.js';
import { BreakerGuard } from './breaker-guard.js';
import { BuyingPower } from './buying-power.js';
import type { RecordedDecision } from './decision-log.js';
import { OrderLifecycleManager, type OrdersView } from './order-lifecycle-manager.js';
import type { SignalDecision } from './signal-decision.js';
import { SignalPipeline } from './signal-pipeline.js';
import type { QueuedSignal } from './signal-queue.js';
import { TradingGate } from './trading-gate.js';
import { type BatchOptions, batchOrder, type BatchResult } from './signal-batch.js';
import { rebalance, type RebalanceOptions, type RebalanceResult } from './rebalance.js';
import { quantityStep } from '../risk/position-sizing.js';
import { ExecutionMonitor, type ExecutionMonitorOptions } from '../quality/execution-monitor.js';
import { ExposureIndex } from './exposure-index.js';
import { type HaltOptions, parseHaltOptions, type TradingState } from './trading-state.js';

export { DECISIONS_KEPT, EXECUTED_SIGNALS_KEPT } from './decision-log.js';

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
   * trade around the clock, or your own: the engine subscribes to it (`subscribe`), so queued
   * signals are released at its open and day orders cancelled at its close.
   */
  readonly market?: MarketState;
  /** Maps signals to intents. Default {@link defaultSignalPolicy}. */
  readonly policy?: SignalPolicy;
  /**
   * Where closed positions go (`engine.positions.history()`). Default: in memory, the newest 10 000 —
   * a bot that runs for months does not grow without bound; the durable journals keep every one
   * (`position.closed` notes, trade reports). `new InMemoryPositionRepository()` keeps all of them in
   * memory; implement {@link PositionRepository} to store them in your database.
   */
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
  /**
   * The execution monitor (default on): an execution record for every order (latencies, slippage,
   * fill rate), market impact, confirmation against the broker's books, and execution alerts.
   * Options tune it; `false` turns it off. See docs/reports.md.
   */
  readonly quality?: boolean | ExecutionMonitorOptions;
}

/**
 * The library's main job: a bot hands it a signal, and the engine decides (policy), sizes, checks,
 * submits and tracks — orders through the {@link OrderLifecycleManager}, positions and P&L through
 * the {@link PositionManager}, everything announced on one typed event bus.
 *
 * The engine is the composition root: it builds the components and wires the engine's own
 * bookkeeping as internal hooks, called in a fixed order before any host hears of a change —
 * positions, then buying power, then breakers, then protection. A hook that throws is journaled,
 * raised as a critical alert, and halts trading (state can no longer be trusted). Hosts get
 * {@link on}/{@link once}/{@link off} (and `events`, subscribe only).
 *
 * @example
 * const engine = new ExecutionEngine({ adapter: broker, clock, ids });
 * await engine.start();
 * engine.updatePrice('AAPL', '190.00');
 * const decision = await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 82, time: clock.now(), strategyId: 'breakout' });
 */
export class ExecutionEngine {
  /** Every event the engine and its components emit, for hosts: subscribe only. */
  readonly events: EventSource<TradewireEvents>;
  /** The orders: read them, place, modify and cancel them — not the lifecycle's own update path. */
  readonly orders: OrdersView;
  /** The same lifecycle with everything, for the engine's own wiring. */
  private readonly lifecycle: OrderLifecycleManager;
  /** Positions and P&L, read-only: they change only through fills, marks and the engine's own calls. */
  readonly positions: PositionsView;
  /** The same positions with their mutators, for the engine's own bookkeeping. */
  private readonly book: PositionManager;
  readonly config: ResolvedEngineConfig;
  readonly adapter: BrokerAdapter;
  /** Retries, resizes and alerts for broker failures; `stats()` has the counters. */
  readonly errorHandler: OrderErrorHandler;
  /** When orders can be executed (the `market_open` check, the queue's release, cancel at the close). */
  readonly market: MarketState;
  /**
   * The market calendar when it is tradewire's own (the default, or a `MarketStateManager` you
   * passed): closures, early closes, halts, `hours(date)`, `nextOpen` — typed, no cast needed.
   */
  readonly calendar: MarketStateManager | undefined;
  /** The protective-order manager, when `protection` is on. */
  readonly protection: RiskOrderManager | undefined;
  /** The circuit breakers; `trips()` lists those that fired. */
  readonly breakers: CircuitBreakers;
  /** The execution monitor, unless `quality: false`: `recent()` records, `stats()`, `confirmNow()`. */
  readonly quality: ExecutionMonitor | undefined;

  private readonly bus: EventBus<TradewireEvents>;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  /** The audit trail and recovery log this engine writes (for reports: `journalStore(engine.journal)`). */
  readonly journal: Journal;
  private readonly prices = new Map<string, Decimal>();
  /** Exposure by group and strategy for the portfolio limits, kept as positions, orders and prices change. */
  private readonly exposures = new ExposureIndex({
    positions: () => this.book.list(),
    workingOrders: () => this.lifecycle.workingOrders(),
    workingOrdersOf: (symbol) => this.lifecycle.workingOrdersOf(symbol),
    price: (symbol) => this.prices.get(symbol),
  });
  private readonly gate: TradingGate;
  private readonly buyingPower: BuyingPower;
  private readonly breakerGuard: BreakerGuard;
  private readonly pipeline: SignalPipeline;
  /** What the broker says each symbol is (tradable, increments), looked up once an hour. */
  private readonly assets: AssetCache;
  private readonly reconciler: Reconciler;
  private readonly recovery: EngineRecovery;
  private readonly loops: Repeating[] = [];
  private running = false;
  /** Stops listening for the journal's write failures (while started). */
  private unwatchJournal: (() => void) | undefined;
  private reconcilePending = false;
  private lastAccountNoteAt: number | undefined;
  /** The kill switch's own closing orders: a breaker's cancel-all leaves them alone. */
  private readonly emergencyOrders = new Set<string>();

  /** Throws {@link ConfigurationError} naming every invalid configuration field. */
  constructor(options: ExecutionEngineOptions) {
    checkEngineParts(options);
    this.config = resolveEngineConfig(options.config);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    const limit = options.rateLimit === false ? undefined : (options.rateLimit ?? options.adapter.rateLimit);
    this.adapter = limit ? new RateLimitedAdapter(options.adapter, { limit, clock: this.clock, logger: this.logger }) : options.adapter;
    this.ids = options.ids ?? randomIds(() => this.clock.now());
    // An alert a hook raises while an order or a position changes reaches hosts after that change.
    this.bus = new EventBus<TradewireEvents>(({ error, source }) => this.logger.error(`listener for ${source} threw`, { error: describeError(error) }), { inTurn: ['alert'] });
    this.events = subscribeOnly(this.bus);
    this.journal = options.journal ?? new InMemoryJournal();
    const onInternalFailure = (failure: InternalFailure): void => this.internalFailure(failure);

    this.market = options.market ?? new MarketStateManager({ clock: this.clock, preMarket: this.config.marketHours.preMarket, afterHours: this.config.marketHours.afterHours, broker: this.adapter });
    this.calendar = this.market instanceof MarketStateManager ? this.market : undefined;
    this.market.subscribe?.((change) => this.marketChanged(change));
    this.gate = new TradingGate({ clock: this.clock, journal: this.journal, events: this.bus });
    this.buyingPower = new BuyingPower(this.config);
    this.errorHandler = new OrderErrorHandler({
      adapter: this.adapter,
      clock: this.clock,
      events: this.bus,
      journal: this.journal,
      retry: this.config.errorHandling,
      resizeOnInsufficientFunds: this.config.errorHandling.resizeOnInsufficientFunds,
      priceOf: (symbol) => this.prices.get(symbol),
      withdrawn: (clientOrderId) => this.lifecycle.cancelAskedBeforeAck(clientOrderId),
      ...(this.config.errorHandling.fallbackOrderType === 'marketable_limit' ? { fallbackLimitOffsetBps: this.config.orderManagement.limitOffsetBps } : {}),
    });
    this.orders = this.lifecycle = new OrderLifecycleManager({
      adapter: this.adapter,
      clock: this.clock,
      ids: this.ids,
      events: this.bus,
      logger: this.logger,
      journal: this.journal,
      send: this.errorHandler.send,
      orderTimeoutMs: this.config.orderManagement.orderTimeoutMs,
      pollIntervalMs: this.config.orderManagement.pollIntervalMs,
      historyLimit: this.config.orderManagement.endedOrdersKept,
      onInternalFailure,
      onOrderStored: (symbol) => this.exposures.symbolChanged(symbol),
    });
    this.positions = this.book = new PositionManager({
      clock: this.clock,
      ids: this.ids,
      events: this.bus,
      equity: () => this.buyingPower.snapshot?.equity,
      onInternalFailure,
      onStored: (symbol, id, position) => this.exposures.positionChanged(symbol, id, position),
      ...(options.positionRepository ? { repository: options.positionRepository } : {}),
    });
    const positions = this.book;
    // The order of these hooks is the order of the engine's bookkeeping: positions first (every
    // other component reads them), then buying power, breakers and protection.
    this.lifecycle.addHook({
      name: 'positions',
      orderChanged: ({ order, event }) => {
        if (event.type === 'filled') positions.applyFill(order, event.fill);
        if (isTerminalStatus(order.status)) positions.orderEnded(order);
      },
    });
    this.lifecycle.addHook(this.buyingPower);
    // History worth querying later: every closed position and every alert, as journal notes.
    positions.addHook({
      name: 'position history',
      positionChanged: ({ position, closed }) => {
        if (closed) this.journal.append({ kind: 'note', at: this.clock.now(), topic: POSITION_CLOSED_TOPIC, symbol: position.symbol, data: closedPositionRecord(position, this.adapter.name), seq: UNSTAMPED });
      },
    });
    this.bus.on('alert', (alert) => {
      this.journal.append({ kind: 'note', at: this.clock.now(), topic: ALERT_TOPIC, ...(alert.clientOrderId ? { clientOrderId: alert.clientOrderId } : {}), data: { severity: alert.severity, code: alert.code, message: alert.message } });
    });
    this.quality =
      options.quality === false
        ? undefined
        : new ExecutionMonitor(
            {
              events: this.bus,
              clock: this.clock,
              journal: this.journal,
              logger: this.logger,
              adapter: this.adapter,
              priceOf: (symbol) => this.prices.get(symbol),
              positionOf: (symbol) => positions.get(symbol),
              accountId: () => this.buyingPower.snapshot?.accountId,
            },
            options.quality === true || options.quality === undefined ? {} : options.quality,
          );
    const quality = this.quality;
    if (quality) {
      // An observer on the order path: its failure is logged, never a halt (it feeds no state the engine trades on).
      this.lifecycle.addHook({
        name: 'execution monitor',
        orderChanged: (transition) => {
          try {
            quality.orderChanged(transition);
          } catch (error) {
            this.logger.error('the execution monitor failed on an order change', { error: describeError(error), clientOrderId: transition.order.clientOrderId });
          }
        },
      });
    }
    this.breakers = new CircuitBreakers(options.breakers);
    this.breakerGuard = new BreakerGuard(this.breakers, {
      clock: this.clock,
      journal: this.journal,
      logger: this.logger,
      events: this.bus,
      orders: this.lifecycle,
      positions,
      equity: () => this.buyingPower.snapshot?.equity,
      actions: {
        halt: (reason) => this.halt({ reason, cancelOpen: false }),
        reduceOnly: (reason) => this.reduceOnly(reason),
        workingOrders: () => this.orders.workingOrders(),
        cancel: (id, reason) => this.orders.cancel(id, reason),
        forceClose: (symbol, reason) => this.forceClose(symbol, reason),
        isEmergencyOrder: (id) => this.emergencyOrders.has(id),
      },
    });
    this.assets = new AssetCache(this.adapter, this.clock);
    this.protection = options.protection
      ? new RiskOrderManager({
          orders: this.lifecycle,
          positions,
          events: this.bus,
          clock: this.clock,
          ids: this.ids,
          logger: this.logger,
          capabilities: this.adapter.capabilities,
          // Protection watches its own closes: not through forceClose, which would watch them too.
          forceClose: (symbol, reason) => this.closeAtMarket(symbol, reason),
          priceIncrement: (symbol) => this.assets.peek(symbol)?.asset?.priceIncrement,
          recovering: () => this.recovery.blocking === 'recovering',
          reconcile: () => this.reconciler.reconcile(),
          levelsFor: (position) => {
            const long = position.side === 'long';
            const entry = position.averageEntryPrice;
            const stop = this.pipeline.stopFor({}, entry, long);
            return { stopPrice: stop, targetPrice: this.pipeline.targetFor({}, entry, stop, long) };
          },
          options: {
            ...(this.config.stopLoss.method === 'trailing' ? { trailingPercent: this.config.stopLoss.trailingPercent } : {}),
            ...(this.config.takeProfit.method === 'partial' ? { partialExits: [{ r: 1, fraction: '0.5' }, { r: 2, fraction: '0.5' }] } : {}),
            ...(options.protection === true ? {} : options.protection),
          },
        })
      : undefined;
    this.reconciler = new Reconciler({
      adapter: this.adapter,
      orders: this.lifecycle,
      positions,
      journal: this.journal,
      events: this.bus,
      clock: this.clock,
      logger: this.logger,
      policy: this.config.recovery,
      halt: (reason) => void this.halt({ reason, cancelOpen: false }),
      // The broker is back after an outage: protection's backed-off looks and tries go now.
      answersAgain: () => this.protection?.brokerBack(),
    });
    if (this.protection) this.bus.on('broker:connection', (change) => change.state === 'reconnected' && this.protection?.brokerBack());
    // A position protection gave up on, compared with the broker's just now: its stop is tried again at once.
    if (this.protection) this.bus.on('reconciliation', (report) => this.protection?.positionsCompared(report.positionsDeferred));
    this.pipeline = new SignalPipeline({
      config: this.config,
      clock: this.clock,
      ids: this.ids,
      logger: this.logger,
      journal: this.journal,
      events: this.bus,
      policy: options.policy ?? defaultSignalPolicy,
      ...(options.rules ? { rules: options.rules } : {}),
      capabilities: this.adapter.capabilities,
      assets: this.assets,
      prices: this.prices,
      exposures: this.exposures,
      market: this.market,
      orders: this.lifecycle,
      positions,
      gate: this.gate,
      buyingPower: this.buyingPower,
      breakers: this.breakerGuard,
      errorHandler: this.errorHandler,
      protection: this.protection,
      recovering: () => this.recovery.blocking !== undefined,
    });
    const protection = this.protection;
    this.recovery = new EngineRecovery({
      clock: this.clock,
      logger: this.logger,
      journal: this.journal,
      events: this.bus,
      orders: this.lifecycle,
      reconciler: this.reconciler,
      restoreTradingState: (records) => {
        this.gate.restore(records);
        this.breakerGuard.restore(records);
      },
      restoreDecisions: (orders, records) => this.pipeline.restore(orders, records),
      ...(protection ? { restoreProtection: (records: readonly JournalRecord[]) => protection.restore(records), protectOpenedMeanwhile: () => protection.protectOpenedInRecovery() } : {}),
      finishInterrupted: () => this.finishFlatten(),
      retry: this.config.recovery,
    });
    this.adapter.onAccountEvent?.((event) => {
      this.bus.emit('broker:account_event', event);
      if (event.type === 'margin_call_enter' || event.type === 'margin_call_extend') {
        this.bus.emit('alert', { severity: 'critical', code: 'margin_call', message: `broker margin call: ${event.detail}` });
      }
      if (event.type === 'closeout') {
        this.bus.emit('alert', { severity: 'critical', code: 'broker_closeout', message: `the broker closed positions by itself: ${event.detail}` });
        this.reconcileSoon('broker closeout');
      }
    });
    // A fill of an order this engine never placed (a closeout, a liquidation, a trade made by hand)
    // changes a position now: reconcile now, not at the next interval.
    this.bus.on('order:unknown_update', (update) => {
      if (update.event?.type === 'filled' || (update.report && update.report.filledQuantity.greaterThan(0))) this.reconcileSoon(`a fill of an order this engine did not place (${update.clientOrderId})`);
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof TradewireEvents & string>(event: K, listener: Listener<TradewireEvents[K]>): () => void {
    return this.bus.on(event, listener);
  }

  /** Subscribes to the next occurrence of an event only. */
  once<K extends keyof TradewireEvents & string>(event: K, listener: Listener<TradewireEvents[K]>): () => void {
    return this.bus.once(event, listener);
  }

  /** Removes a listener added with {@link on} or {@link once}. */
  off<K extends keyof TradewireEvents & string>(event: K, listener: Listener<TradewireEvents[K]>): void {
    this.bus.off(event, listener);
  }

  /** Connects the adapter, starts order tracking and loads the account. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unwatchJournal = this.journal.onWriteError?.((failure) => this.journalWriteError(failure));
    await this.adapter.connect();
    this.lifecycle.start();
    this.quality?.resume();
    this.protection?.resume();
    this.recovery.resume();
    await this.refreshAccount();
    const market = this.market;
    if (market.syncWithBroker && this.adapter.capabilities.marketClock) {
      await market.syncWithBroker().catch((error: unknown) => this.logger.warn('market clock sync failed; using the local calendar', { error: describeError(error) }));
    }
    market.start?.();
    const warn = (what: string) => (error: unknown) => this.logger.warn(`${what} failed`, { error: describeError(error) });
    this.loops.push(
      every(this.clock, this.config.accountRefreshMs, () => this.refreshAccount(), warn('account refresh')),
      every(this.clock, this.config.recovery.reconcileIntervalMs, () => this.reconciler.reconcile(), warn('reconciliation')),
      every(this.clock, this.config.marketHours.queueCheckIntervalMs, () => this.pipeline.releaseReady(), warn('releasing queued signals')),
      every(this.clock, this.config.recovery.checkpointCheckMs, () => this.checkpointIfDue(), warn('journal checkpoint')),
    );
  }

  /**
   * Stops tracking and timers. Orders stay working at the broker; call `orders.cancelAll()` first to
   * flatten. With `drain`, first waits for the signals being decided and sent (see {@link drain}).
   * Resolves once everything journaled is written (and, for a durable journal, on disk). A later
   * {@link start} looks up every order that was working (what filled or ended meanwhile was not
   * heard), arms their timeouts again and asks again the cancels whose retries were held back.
   */
  async stop(options: { readonly drain?: boolean | { readonly timeoutMs: number } } = {}): Promise<void> {
    if (options.drain) await this.drain(typeof options.drain === 'object' ? options.drain.timeoutMs : undefined);
    this.running = false;
    this.unwatchJournal?.();
    this.unwatchJournal = undefined;
    for (const loop of this.loops.splice(0)) loop.stop();
    this.lifecycle.stop();
    this.quality?.suspend();
    this.protection?.suspend();
    this.recovery.suspend();
    this.market.stop?.();
    // Everything journaled so far reaches the file (and, for a durable journal, the disk) before stop
    // resolves; a journal that cannot write makes stop reject with its error, once disconnected.
    let unwritten: unknown;
    try {
      const durable = this.journal.sync?.();
      if (durable) await durable;
    } catch (error) {
      unwritten = error;
    }
    await this.adapter.disconnect();
    if (unwritten !== undefined) throw unwritten;
  }

  /**
   * The journal cannot write (a full disk, an I/O error): no order may go without its records on
   * disk, so each would fail — new orders are halted instead (working orders and their stops stay),
   * with an `error` event and a critical `journal_write_failed` alert. Once it writes again, an
   * `info` alert; trading stays halted until the host calls {@link resume}.
   */
  private journalWriteError(failure: JournalWriteError | undefined): void {
    if (!failure) {
      const message = 'the journal writes again; trading stays halted until resume()';
      this.logger.info(message);
      this.bus.emit('alert', { severity: 'info', code: 'journal_write_recovered', message });
      return;
    }
    this.logger.error('the journal cannot write', { error: describeError(failure) });
    this.bus.emit('error', { error: failure, source: 'journal' });
    this.bus.emit('alert', { severity: 'critical', code: 'journal_write_failed', message: `${failure.message}; new orders are halted`, details: { operation: failure.operation, unwritten: failure.unwritten } });
    if (this.gate.state !== 'HALTED') void this.halt({ reason: `the journal cannot write (${failure.operation} failed)`, cancelOpen: false }).catch((error: unknown) => this.logger.error('halting on the journal failure failed', { error: describeError(error) }));
  }

  /**
   * Waits until no signal is being decided or sent — from `executeSignal`, a batch, a rebalance or
   * the queue, those arriving meanwhile included; a retry's backoff, a slow broker — so a script's
   * last signals are not cut off at exit.
   * Resolves true when idle, false if `timeoutMs` of the clock's time passed first.
   */
  async drain(timeoutMs?: number): Promise<boolean> {
    let timedOut = false;
    let timer: TimerHandle | undefined;
    const timeout = timeoutMs === undefined ? undefined : new Promise<void>((resolve) => (timer = this.clock.setTimeout(() => ((timedOut = true), resolve()), timeoutMs, { keepAlive: true })));
    await Promise.race([this.pipeline.idle(), ...(timeout ? [timeout] : [])]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    return !timedOut;
  }

  /**
   * After a restart: takes back, from the journal and without announcing any of it, the orders,
   * positions, signal decisions (and queued signals) and trading state (a halt survives); then
   * reconciles with the broker — orders the broker still lists come from one open-orders call, the
   * rest are looked up by client order id; missed fills are applied, unsent orders resent or failed,
   * positions adopted or trading halted per `recovery.onMismatch` — and restores the protection of
   * every open position. Emits one `recovered` event with what changed while the process was down.
   *
   * The broker half retries retryable failures (`recovery.retries`, backoff from
   * `recovery.retryDelayMs` on the injected clock); if it still fails it throws, and may simply be
   * called again — a failure on the network is also tried again by itself every
   * `recovery.retryAfterFailureMs` while the engine runs (one `recovery_failed` alert per outage;
   * the `recovered` event says when it is back). Call it after `start()`: from the call until it resolves (and after a failure, until
   * a later call succeeds), `executeSignal` throws {@link RecoveryIncompleteError} rather than decide
   * against half-restored state.
   */
  async recover(): Promise<RecoveryReport> {
    const report = await this.recovery.run();
    this.checkpointIfDue();
    return report;
  }

  /**
   * Compacts the journal (where it supports it: `FileJournal`): starts a new segment that opens with
   * the state everything before adds up to — working orders, positions and P&L, trading state,
   * protection, remembered decisions — and archives the old one. A restart then reads the checkpoint
   * and what came after, however long the history. Runs by itself every
   * `recovery.checkpointEveryRecords` records (checked each `recovery.checkpointCheckMs`) and after a
   * successful `recover()`. Returns false when the journal cannot.
   */
  checkpoint(): boolean {
    if (!this.journal.checkpoint) return false;
    // Records still to be sent belong with their orders: nothing is checkpointed mid-send.
    if (this.orders.workingOrders().some((o) => o.status === 'created' || o.status === 'validated' || o.status === 'submitted')) return false;
    // Nor while a stream gap's orders wait to be confirmed: an ended one would not be in the new segment to look up after a restart.
    if (this.orders.ordersToConfirm().length > 0) return false;
    const parts = [this.gate, this.breakerGuard, this.pipeline, ...(this.protection ? [this.protection] : [])];
    this.journal.checkpoint(checkpointSnapshot({ clock: this.clock, orders: this.lifecycle, positions: this.book, parts }), this.clock.now());
    return true;
  }

  /** A checkpoint when the journal has grown past `recovery.checkpointEveryRecords` since the last. */
  private checkpointIfDue(): void {
    const every = this.config.recovery.checkpointEveryRecords;
    if (every > 0 && (this.journal.sinceCheckpoint ?? 0) >= every) this.checkpoint();
  }

  /** Where `recover()` stands: `idle` (never called), `recovering`, `failed` or `recovered`. */
  get recoveryState(): RecoveryState {
    return this.recovery.state;
  }

  /**
   * What the engine decided for a signal id — `executed` (with the order), `rejected` (with every
   * reason) or `queued` — also for decisions made before a restart; undefined for a signal it never
   * decided. A signal is decided once: the same id again is refused as `duplicate_signal`.
   */
  decisionFor(signalId: string): RecordedDecision | undefined {
    return this.pipeline.decisionFor(signalId);
  }

  /**
   * A reconciliation soon, for changes the broker made on its own (a burst of them coalesces into
   * one run, 100 ms on the injected clock). While a symbol is deferred — its orders still moving, as
   * a closeout's cancels of the protective orders are — it runs again, a few times.
   */
  private reconcileSoon(why: string, attempt = 1): void {
    if (this.reconcilePending || !this.running) return;
    this.reconcilePending = true;
    this.clock.setTimeout(() => {
      this.reconcilePending = false;
      this.reconciler.reconcile().then(
        (report) => {
          if (report.positionsDeferred.length > 0 && attempt < 5) this.reconcileSoon(why, attempt + 1);
        },
        (error: unknown) => this.logger.warn(`reconciliation after ${why} failed`, { error: describeError(error) }),
      );
    }, 100 * attempt);
  }

  /**
   * Compares orders and positions with the broker now (it also runs every `recovery.reconcileIntervalMs`).
   * One reconciliation at a time: asked while one runs, it runs right after it, shared by every caller meanwhile.
   */
  reconcile(): Promise<ReconciliationReport> {
    return this.reconciler.reconcile();
  }

  /**
   * The kill switch: stops every new order (state HALTED) at once — a signal already in flight is
   * stopped at the gate right before it would be sent — then, by default, cancels every working
   * order (one still on its way is cancelled when it lands), and with `flatten`
   * closes every position at market, all at once. A position that cannot be closed does not keep
   * the others open: every close is tried, then the halt rejects with that close's error — a
   * {@link PositionNotClosedError} when the broker refused it or its send failed; an
   * `AggregateError` when several failed. `resume()` takes an explicit call. Journaled and emitted.
   * Without options: reason "kill switch", open orders cancelled, positions kept; options that are
   * not what they should be (`flatten: 'yes'`) are a `ValidationError`, and nothing is halted.
   */
  async halt(options?: HaltOptions | string): Promise<void> {
    const { reason, cancelOpen, flatten } = parseHaltOptions(options);
    this.gate.halt(reason, cancelOpen, flatten);
    this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'engine.halted', data: { reason, cancelOpen, flatten } });
    // An order still on its way is covered too: the lifecycle re-sends the cancel when it lands.
    // Until they end (or trading resumes): an order the broker refuses to cancel would work (and fill) through the halt.
    if (cancelOpen) await this.lifecycle.cancelAllForHalt(reason);
    if (!flatten) return;
    // Every position at once, each to its own end: the closes go out together (not one broker round
    // trip after another), and one that fails leaves none of the others open.
    await allOrFailures(this.closeEach(this.positions.openPositions(), `halted: ${reason}`), 'positions could not be closed');
  }

  /**
   * Force-closes `positions` together, one promise each: it rejects when the position was not
   * closed — the close refused by the broker or its send failed (`PositionNotClosedError`: a flatten
   * must not report the book flat), or the force-close itself threw.
   */
  private closeEach(positions: readonly Position[], reason: string): Promise<void>[] {
    return positions.map(async (position) => {
      const close = await this.forceClose(position.symbol, reason);
      if (close && (close.status === 'rejected' || close.status === 'failed')) throw new PositionNotClosedError(position.symbol, close.clientOrderId, close.errorMessage ?? close.status);
    });
  }

  /**
   * After a restart into a halt that asked to flatten (the kill switch, the process killed during or
   * after it): every position still open is closed — but not one a close is already working on (the
   * dead process's, looked up by the restart: a second would sell twice). A close that fails is
   * alerted (`position_not_closed`), not thrown: the restart itself went through.
   */
  private async finishFlatten(): Promise<void> {
    if (!this.gate.flattenAfterRestart) return;
    const open = this.positions.openPositions().filter((position) => !closeWorkingOn(this.lifecycle, position));
    if (open.length === 0) return;
    const reason = `halted: ${this.gate.reason ?? 'kill switch'} (flatten finished after a restart)`;
    const outcomes = await Promise.allSettled(this.closeEach(open, reason));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      this.bus.emit('alert', { severity: 'critical', code: 'position_not_closed', message: `${open[i]!.symbol}: the flatten finished after a restart could not close it: ${describeError(outcome.reason)}` });
    });
  }

  /** Only orders that reduce exposure pass until `resume()` (or a halt). Journaled and emitted. */
  reduceOnly(reason: string): void {
    this.gate.reduceOnly(reason);
  }

  /**
   * Back to ACTIVE after a halt or reducing; it takes an explicit call. With protection on, each open
   * position whose stop and targets a halt cancelled gets them back (see {@link RiskOrderManager.afterHalt}).
   */
  resume(): void {
    const halted = this.gate.state === 'HALTED';
    this.gate.resume();
    // The halt's cancels (also a dead process's, restored) are wanted no more: a stop still working is protection's again.
    this.lifecycle.haltCancelsWantedNoMore();
    if (halted && this.protection) void this.protection.afterHalt().catch((error: unknown) => this.logger.error('protection could not be put back after the halt', { error: describeError(error) }));
  }

  /**
   * A host-supplied volatility measure (e.g. a VIX reading or realised volatility): for the `volatility` breakers, and for protection's `volatility` rule (wider stops while it is high).
   * @throws {@link ValidationError} for a value that is not a finite decimal, or is negative.
   */
  reportVolatility(value: DecimalInput): void {
    const issues: ValidationIssue[] = [];
    const volatility = parseDecimalIn(value, 'volatility', (d) => d.greaterThanOrEqualTo(0), 'zero or more', issues);
    if (!volatility) throw new ValidationError(issues);
    this.breakerGuard.reportVolatility(volatility);
    // Protection may widen (or restore) its stops for the new volatility.
    if (this.protection) void this.protection.onVolatility(volatility).catch((error: unknown) => this.logger.error('protection could not adjust to volatility', { error: describeError(error) }));
  }

  /**
   * Re-arms a tripped breaker and lifts its strategy block; true when it had tripped, false when it
   * was armed. Trading halted by it still needs `resume()`.
   * @throws {@link ValidationError} for an id no configured breaker has (a typo is not a reset).
   */
  resetBreaker(id: string): boolean {
    return this.breakerGuard.reset(id);
  }

  get tradingState(): TradingState {
    return this.gate.state;
  }

  /** Why trading is REDUCING or HALTED (undefined while ACTIVE). */
  get tradingStateReason(): string | undefined {
    return this.gate.state === 'ACTIVE' ? undefined : this.gate.reason;
  }

  /** Why trading is halted, or undefined when it is not. */
  get halted(): string | undefined {
    return this.gate.state === 'HALTED' ? this.gate.reason : undefined;
  }

  /** Fetches the account from the broker (equity, cash, buying power). */
  async refreshAccount(): Promise<AccountSnapshot> {
    const account = await this.adapter.getAccount();
    this.buyingPower.setAccount(account);
    if (this.book.startOfDay === undefined) this.book.setStartOfDayEquity(account.equity);
    // The account's history: a snapshot at most once a minute (the refresh itself runs every few seconds).
    const at = this.clock.now();
    if (this.lastAccountNoteAt === undefined || at - this.lastAccountNoteAt >= ACCOUNT_NOTE_EVERY_MS) {
      this.lastAccountNoteAt = at;
      this.journal.append({ kind: 'note', at, topic: ACCOUNT_SNAPSHOT_TOPIC, data: { accountId: account.accountId, currency: account.currency, equity: account.equity.toString(), cash: account.cash.toString(), buyingPower: account.buyingPower.toString() } });
    }
    return account;
  }

  /** The last account snapshot, if any. */
  account(): AccountSnapshot | undefined {
    return this.buyingPower.snapshot;
  }

  /**
   * Looks the symbols' assets up at the broker now, together (one round trip), and caches them (an
   * hour): the signals that follow on them are decided without waiting on the broker — e.g. a
   * strategy's universe just before the open. Symbols already cached are not asked for again; one
   * whose look-up fails is left for its signal to try again and refuse with the reason.
   */
  preloadAssets(symbols: Iterable<string>): Promise<void> {
    // A string is iterable too: 'AAPL' would preload A, P and L.
    const iterable = typeof symbols === 'object' && symbols !== null && typeof (symbols as Partial<Iterable<string>>)[Symbol.iterator] === 'function';
    const list: unknown[] = iterable ? [...symbols] : [];
    if (!iterable || list.some((s) => typeof s !== 'string' || s === '')) {
      return Promise.reject(new ValidationError([{ field: 'symbols', message: `must be a list of symbols, got ${iterable ? `[${list.map((s) => JSON.stringify(s) ?? String(s)).join(', ')}]` : String(symbols)}` }], 'preloadAssets'));
    }
    return this.assets.loadAll(list as string[]);
  }

  /** Feeds the last trade price of `symbol`: sizing uses it and positions are marked to it. */
  updatePrice(symbol: string, price: DecimalInput): void {
    const value = toDecimal(price, 'price');
    // isAboveZero, not greaterThan(0): decimal.js builds a Decimal of its argument on every comparison (a backtest marks every bar).
    if (!isAboveZero(value)) throw new ValidationError([{ field: 'price', message: `must be greater than zero, got ${value.toString()}` }], `price of ${symbol}`);
    this.prices.set(symbol, value);
    this.exposures.symbolChanged(symbol);
    this.book.markPrice(symbol, value);
  }

  pnl(): PnlSnapshot {
    return this.positions.pnl();
  }

  /**
   * Decides, sizes, checks and submits. Resolves with what it did: `executed` with the order
   * (already filled, working, or refused by the broker), `queued` until the market opens, or
   * `rejected` with every reason, in which case nothing was sent and no state changed. A signal id
   * trades once: a second call with the same id (also while the first is still being decided) is
   * rejected as `duplicate_signal`, and so is one decided before a restart (see {@link decisionFor}).
   * Throws {@link ValidationError} listing every problem of an invalid signal, and
   * {@link RecoveryIncompleteError} while `recover()` runs or after it failed.
   */
  executeSignal(signal: Signal): Promise<SignalDecision> {
    // Not `async`: an async function returning a promise costs two more promises and ticks per signal.
    try {
      this.assertRecovered();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pipeline.run(signal, false);
  }

  /**
   * Decides a batch of signals together (a bar's worth): exits first, then entries by strength, so
   * when the limits (positions, exposure, buying power, groups) cannot take them all the strongest
   * win; at most `maxOrders` orders, the rest refused with `batch_cap`; the account refreshed once
   * first. Each signal gets the same checks as `executeSignal`; an invalid one is refused with its
   * issues instead of failing the batch. Signals are decided one at a time, but the next is decided
   * as soon as the previous order is handed to the lifecycle: the batch's orders are on the wire
   * together (one broker round trip, one shared journal flush), not one after another. Resolves
   * once every order has the broker's answer; decisions come back in the order given.
   */
  async executeSignals(signals: readonly Signal[], given?: BatchOptions): Promise<BatchResult> {
    this.assertRecovered();
    if (!Array.isArray(signals)) throw new ValidationError([{ field: 'signals', message: `must be an array of signals, got ${signals === null ? 'null' : typeof signals}` }], 'batch');
    const options: BatchOptions = optionsOf(given, 'batch');
    const maxOrders = options.maxOrders ?? Number.POSITIVE_INFINITY;
    if (!(maxOrders >= 0)) throw new ValidationError([{ field: 'maxOrders', message: `must be zero or more, got ${String(options.maxOrders)}` }], 'batch');
    if (options.refreshAccount !== false && signals.length > 0) await this.refreshAccount().catch((error: unknown) => this.logger.warn('account refresh before a batch failed; deciding on the last snapshot', { error: describeError(error) }));
    const isExit = (signal: Signal): boolean => {
      const position = this.positions.get(signal?.symbol);
      return position !== undefined && position.quantity.greaterThan(0) && (position.side === 'long') === (signal.side === 'sell');
    };
    const order = batchOrder(signals, isExit);
    await this.assets.loadAll(signals.map((s) => s?.symbol).filter((symbol): symbol is string => typeof symbol === 'string'));
    const decisions: SignalDecision[] = new Array(signals.length);
    // Decided one at a time, in rank order, each with every earlier decision in view (reservations,
    // pending entries); sent together (see decideInTurn).
    let sent = 0;
    await decideInTurn(order, (i, onSubmitted) => {
      const signal = signals[i]!;
      // Every order counts, exits too — they are decided first, so the cap never holds an exit behind an entry.
      if (sent >= maxOrders) {
        decisions[i] = { kind: 'rejected', signal, reasons: [{ code: 'batch_cap', message: `this batch already sent ${sent} orders (maxOrders ${maxOrders})` }], decidedAt: this.clock.now() };
        this.bus.emit('signal:rejected', decisions[i] as Extract<SignalDecision, { kind: 'rejected' }>);
        return undefined;
      }
      const handOver = (): void => {
        sent++;
        onSubmitted();
      };
      return this.pipeline.run(signal, false, handOver).then(
        (decision) => void (decisions[i] = decision),
        (error: unknown) => {
          if (!(error instanceof ValidationError)) throw error;
          decisions[i] = { kind: 'rejected', signal, reasons: error.issues.map((issue) => ({ code: 'invalid_signal', message: `${issue.field} ${issue.message}` })), decidedAt: this.clock.now() };
        },
      );
    });
    const count = (kind: SignalDecision['kind']): number => decisions.filter((d) => d.kind === kind).length;
    return { decisions, executed: count('executed'), rejected: count('rejected'), queued: count('queued'), decidedInOrder: order.map((i) => String(signals[i]?.id)) };
  }

  /**
   * Rebalances to target weights of equity (`{ AAPL: 0.10, MSFT: 0.08 }`): sells first, then buys,
   * within drift bands and the minimum trade size, in whole lots, every order through the same
   * checks as a signal; `dryRun` returns the plan without sending. The account is refreshed first.
   * See docs/portfolio.md.
   */
  async rebalance(targets: Readonly<Record<string, DecimalInput>>, given?: RebalanceOptions): Promise<RebalanceResult> {
    this.assertRecovered();
    const options: RebalanceOptions = optionsOf(given, 'rebalance');
    await this.refreshAccount().catch((error: unknown) => this.logger.warn('account refresh before a rebalance failed; planning on the last snapshot', { error: describeError(error) }));
    return rebalance(targets, options, {
      equity: () => this.buyingPower.snapshot?.equity,
      price: (symbol) => this.prices.get(symbol),
      positions: () => this.positions.openPositions(),
      quantityStep: async (symbol) => {
        // Through the asset cache: the order's own checks then find it looked up already.
        const asset = await this.assets.load(symbol).catch(() => undefined);
        return quantityStep(asset, asset?.assetClass ?? 'equity', this.config.allowFractional);
      },
      minTradeSize: this.config.minTradeSize,
      now: () => this.clock.now(),
      execute: (signal, onSubmitted) => this.pipeline.run(signal, false, onSubmitted),
    });
  }

  /** Signals wait while `recover()` runs (or after it failed): decided now, they could trade twice. */
  private assertRecovered(): void {
    const blocking = this.recovery.blocking;
    if (blocking) throw new RecoveryIncompleteError(blocking);
  }

  /**
   * What the account has at stake: Σ |quantity| × price over open positions, plus the notional
   * reserved by working entry orders (what the exposure checks count).
   */
  exposure(): Decimal {
    return this.positions.exposure().plus(this.buyingPower.reserved());
  }

  /** The engine's last price for a symbol (from `updatePrice`). */
  price(symbol: string): Decimal | undefined {
    return this.prices.get(symbol);
  }

  /** Signals waiting for the market or an operator, in arrival order. */
  queuedSignals(): QueuedSignal[] {
    return this.pipeline.queue.list();
  }

  /** Re-runs a queued signal now, through every check (it queues again if the market is still closed). */
  async releaseQueued(signalId: string): Promise<SignalDecision | undefined> {
    this.assertRecovered();
    return this.pipeline.release(signalId, 'released');
  }

  /** An operator's go-ahead: runs a queued signal now, every check but `market_open`. */
  async approveQueued(signalId: string): Promise<SignalDecision | undefined> {
    this.assertRecovered();
    return this.pipeline.release(signalId, 'approved');
  }

  /** An operator's no: drops a queued signal (journaled and emitted as rejected). */
  rejectQueued(signalId: string, reason = 'rejected by an operator'): SignalDecision | undefined {
    return this.pipeline.rejectQueued(signalId, reason);
  }

  /**
   * Closes a position at market now, bypassing the pre-trade checks (even while halted): cancels
   * the symbol's working orders, then sends a reduce-only market order for the whole quantity.
   * Journaled, emitted as `position:force_closed`, and raised as an alert. A close that does not
   * close the position — refused, failed on the network, or ended unfilled however late — gives the
   * position its stop and targets back (with protection on; a critical `position_unprotected` alert).
   */
  async forceClose(symbol: string, reason = 'forced by an operator'): Promise<Order | undefined> {
    let order: Order | undefined;
    try {
      order = await this.closeAtMarket(symbol, reason);
    } catch (error) {
      this.protection?.watchForceClose(symbol, undefined, describeError(error));
      throw error;
    }
    this.protection?.watchForceClose(symbol, order);
    return order;
  }

  /** {@link forceClose}'s work, unwatched (protection watches the closes it sends itself). */
  private async closeAtMarket(symbol: string, reason: string): Promise<Order | undefined> {
    const at = this.clock.now();
    // No new protection while closing; protective orders still on their way are answered first,
    // since an order cannot be cancelled by id before the broker has it.
    const release = this.protection?.hold(symbol);
    let order: Order | undefined;
    try {
      await this.protection?.settled(symbol);
      const cancelled = this.orders.workingOrders().filter((o) => o.symbol === symbol);
      // Together: one round trip for a stop and its targets, not one each.
      await Promise.all(cancelled.map((working) => this.orders.cancel(working.clientOrderId, reason)));
      // Where open exits hold the shares (Alpaca), the close can only go once the cancels are confirmed.
      if (this.adapter.capabilities.exitsHoldQuantity) await this.orders.whenEnded(cancelled.map((o) => o.clientOrderId), 10_000);
      const position = this.positions.get(symbol);
      if (position && position.quantity.greaterThan(0)) {
        const clientOrderId = this.ids.next('tw');
        this.emergencyOrders.add(clientOrderId);
        order = await this.orders.submit(
          { clientOrderId, symbol, side: position.side === 'long' ? 'sell' : 'buy', quantity: position.quantity, assetClass: position.assetClass, type: 'market', reduceOnly: true },
          { onCreated: (created) => this.book.trackExit(created) },
        );
      }
    } finally {
      release?.();
    }
    this.journal.append({ kind: 'note', at, topic: 'position.force_closed', symbol, data: { reason, clientOrderId: order?.clientOrderId } });
    this.bus.emit('position:force_closed', { symbol, reason, order, at });
    this.bus.emit('alert', { severity: 'warning', code: 'position_force_closed', message: `${symbol} ${forceCloseOutcome(order)}: ${reason}`, ...(order ? { clientOrderId: order.clientOrderId } : {}) });
    return order;
  }

  /** A market opened or closed (or a symbol halted): tell the hosts, release the queue, cancel day orders. */
  private marketChanged(change: MarketChange): void {
    announceMarketChange(this.bus, change);
    // The market opened: release its queued signals now rather than at the next periodic check.
    if (change.type === 'opened') void this.pipeline.releaseReady(change.assetClass);
    else if (change.type === 'closed' && change.assetClass === 'equity' && this.config.marketHours.cancelAtClose) void this.cancelDayOrders();
  }

  /** Cancel at the close: every working equity day order. */
  private async cancelDayOrders(): Promise<void> {
    const day = this.orders.workingOrders().filter((o) => o.assetClass === 'equity' && o.timeInForce === 'day');
    await Promise.all(day.map((o) => this.orders.cancel(o.clientOrderId, 'cancelled at the close'))).catch((error: unknown) =>
      this.logger.warn('cancel at the close failed', { error: describeError(error) }),
    );
  }

  /**
   * An internal hook threw: the engine's own state (positions, buying power, breakers, protection)
   * may no longer match the broker. Journaled, raised as a critical alert, and trading halts (new
   * orders stop; working ones stay) until an operator has looked and calls `resume()`.
   */
  private internalFailure({ error, hook, subject }: InternalFailure): void {
    const message = `internal ${hook} update failed on ${subject}: ${describeError(error)}`;
    this.logger.error(message, { error: describeError(error) });
    this.journal.append({ kind: 'note', at: this.clock.now(), topic: 'engine.internal_failure', data: { hook, subject, error: describeError(error) } });
    this.bus.emit('alert', { severity: 'critical', code: 'internal_failure', message, details: { hook, subject } });
    void this.halt({ reason: message, cancelOpen: false });
  }
}

/** What a force-close came to, for its alert: a close on its way (or filled), refused, never sent, or nothing to close. */
function forceCloseOutcome(order: Order | undefined): string {
  if (!order) return 'force-close: no position to close, working orders cancelled';
  if (order.status === 'rejected' || order.status === 'risk_rejected') return `force-close refused by the broker (${order.errorMessage ?? order.status})`;
  if (order.status === 'failed') return `force-close could not be sent (${order.errorMessage ?? 'failed'})`;
  return 'force-closed';
}
