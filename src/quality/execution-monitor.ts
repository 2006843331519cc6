import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { AccountSnapshot, PositionReport } from '../broker/reports.js';
import type { AlertPayload } from '../events/alert.js';
import type { EventSink, EventSource } from '../events/event-bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { Decimal, type DecimalInput, toDecimal, ZERO } from '../core/decimal.js';
import { ConfigurationError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Journal, UNSTAMPED } from '../journal/journal.js';
import type { OrderLifecycleEvents } from '../execution/order-lifecycle-events.js';
import type { SignalEvents } from '../execution/signal-events.js';
import type { Order } from '../model/order.js';
import { isTerminalStatus } from '../model/order-status.js';
import type { OrderTransition } from '../model/apply-order-event.js';
import type { Position } from '../positions/position.js';
import { brokerQuantity, CashExpectation, type ExecutionConfirmation, type PositionCheck } from './execution-confirmation.js';
import {
  buildExecutionRecord,
  EXECUTION_CONFIRMED_TOPIC,
  EXECUTION_IMPACT_TOPIC,
  EXECUTION_TOPIC,
  type ExecutionContext,
  type ExecutionRecord,
  type ImpactSubject,
  marketImpact,
} from './execution-record.js';
import type { QualityEvents } from './quality-events.js';
import type { Mutable } from '../core/mutable.js';
import { BoundedRing } from '../core/bounded-ring.js';
import { type MeasuredCost, RecentCost } from './recent-cost.js';

/** How the execution monitor judges executions; every field has a default. */
export interface ExecutionMonitorOptions {
  /** Alert `slippage_exceeded` when slippage against the expected price is above this percentage (default 0.5). */
  readonly slippageAlertPercent?: DecimalInput;
  /** Alert `slow_fill` when an order took longer than this from submission to its last fill (default 5 000 ms). */
  readonly slowFillMs?: number;
  /** Alert `rejection_rate` when at least `threshold` (0–1) of the last `window` orders sent were rejected or failed (default 20 orders, 0.25). */
  readonly rejectionRate?: { readonly window?: number; readonly threshold?: number };
  /** Measure market impact this long after an order completes (default 60 000 ms; 0 turns it off). */
  readonly impactHorizonMs?: number;
  /**
   * At most this many impact measurements wait for their horizon (default 50 000): past it the
   * oldest is dropped and counted (`stats().impactsDropped`). Memory stays bounded when the clock
   * does not move (a loop that never advances a manual clock).
   */
  readonly maxPendingImpacts?: number;
  /**
   * After orders fill, look at the broker's positions (and cash, for cash-settled assets) and compare
   * them with the engine's: at most once per `everyMs` (default 2 000), covering every order that
   * filled since the last look. A difference is reported (alerts `position_mismatch`,
   * `cash_mismatch`) only when it lasts over two looks. `cash: false` skips the cash check (an
   * account with deposits, dividends or interest moving cash); `cashTolerance` (default 0.01) is
   * rounding. `maxPending` (default 10 000): with that many orders waiting, the broker is asked at
   * once rather than at the next look (memory stays bounded when the clock does not move). `false`
   * turns confirmation off.
   */
  readonly confirm?: false | { readonly everyMs?: number; readonly cash?: boolean; readonly cashTolerance?: DecimalInput; readonly maxPending?: number };
  /** How many of the newest records `recent()` keeps (default 1 000; the journal keeps them all). */
  readonly recentKept?: number;
}

/** What the monitor needs from the engine around it. */
export interface ExecutionMonitorDeps {
  readonly events: EventSource<Pick<OrderLifecycleEvents, 'order:created'> & SignalEvents> & EventSink<QualityEvents & { alert: AlertPayload }>;
  readonly clock: Clock;
  readonly journal: Journal;
  readonly logger: Logger;
  readonly adapter: Pick<BrokerAdapter, 'name' | 'getPositions' | 'getAccount'>;
  /** The last price the engine saw for a symbol. */
  readonly priceOf: (symbol: string) => Decimal | undefined;
  /** The engine's open position in a symbol. */
  readonly positionOf: (symbol: string) => Position | undefined;
  readonly accountId: () => string | undefined;
}

interface SignalSeen {
  readonly time: number;
  readonly receivedAt: number;
  readonly arrivalPrice: Decimal | undefined;
  readonly expectedPrice: Decimal | undefined;
}

/** Signals waiting for their order are dropped past this many (a signal that never traded leaves nothing behind). */
const SIGNALS_KEPT = 10_000;


/**
 * Watches every order from the signal that asked for it to the end of its life and records how it
 * executed ({@link ExecutionRecord}: latencies, expected vs filled price, slippage, fill rate,
 * commission), journaled (`execution.recorded`) and announced (`execution:recorded`); later the
 * market impact, and a confirmation of positions and cash against the broker's own books. Raises
 * `slippage_exceeded`, `slow_fill`, `rejection_rate`, `position_mismatch` and `cash_mismatch`
 * alerts.
 *
 * It listens on the public bus like any host, on purpose: it observes and never feeds the engine's
 * own state, so a failure here is an `error` event, never a halt.
 */
export class ExecutionMonitor {
  private readonly slippageAlertBps: Decimal;
  private readonly slowFillMs: number;
  private readonly rejectionWindow: number;
  private readonly rejectionThreshold: number;
  private readonly impactHorizonMs: number;
  private readonly confirmEveryMs: number | undefined;
  private readonly maxPendingImpacts: number;
  private readonly maxPendingConfirmations: number;
  private readonly signals = new Map<string, SignalSeen>();
  /** Orders without a signal: the price when they were created. */
  private readonly arrivals = new Map<string, Decimal>();
  /**
   * The context of every working order, and of the newest ended ones for a late fill (bounded:
   * {@link ENDED_KEPT}, evicted in the order they ended by a ring of ids). One map, so an order that
   * ends is not moved from one map to another (a delete and an insert per order, ≈ 2% of the signal
   * path's CPU in a profile, the delete reallocating the table each time the working set empties).
   */
  private readonly contexts = new Map<string, Context>();
  private readonly endedRing = new BoundedRing<string>(ENDED_KEPT);
  /** The newest records (`recentKept` of them). */
  private readonly recentRecords: BoundedRing<ExecutionRecord>;
  /** The measured cost of {@link recentRecords}, kept as records arrive once someone first asks (a desk routing by cost). */
  private recentCost: RecentCost | undefined;
  /** The last `rejectionWindow` outcomes (true: rejected or failed) as a ring, with a running count of failures. */
  private readonly outcomes: boolean[] = [];
  private outcomesNext = 0;
  private failuresInWindow = 0;
  private rejectionAlerting = false;
  /** What an impact measurement needs (not the whole record: at thousands of orders a second, a minute of records is a lot of memory). */
  private readonly impacts: { readonly record: ImpactSubject; readonly due: number }[] = [];
  private impactHead = 0;
  private impactTimer: TimerHandle | undefined;
  /**
   * The orders filled since the last look at the broker's books, and their symbols, side by side: a
   * push per order, not a Map grown and cleared every look (repeats — a late fill — are merged when
   * the look is taken).
   */
  private confirmIds: string[] = [];
  private confirmSymbols: string[] = [];
  private confirmTimer: TimerHandle | undefined;
  private readonly cash: CashExpectation | undefined;
  /** Symbols whose quantities differed at the last look: reported if they still differ at the next. */
  private suspectSymbols = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  /** While the engine is stopped: nothing is measured or confirmed, and nothing is lost. */
  private suspended = false;
  private stopped = false;
  private counts = { recorded: 0, slippageAlerts: 0, slowFills: 0, mismatches: 0, impactsDropped: 0 };
  /** A confirmation started early (too many orders waiting) is in flight: no second one. */
  private confirmingEarly = false;

  constructor(
    private readonly deps: ExecutionMonitorDeps,
    options: ExecutionMonitorOptions = {},
  ) {
    const issues: { field: string; message: string }[] = [];
    const positive = (field: string, value: number | undefined, fallback: number, allowZero = false): number => {
      if (value === undefined) return fallback;
      if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) issues.push({ field, message: `must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}` });
      return value;
    };
    this.slippageAlertBps = toDecimal(options.slippageAlertPercent ?? '0.5', 'quality.slippageAlertPercent').times(100);
    this.slowFillMs = positive('quality.slowFillMs', options.slowFillMs, 5_000);
    this.rejectionWindow = positive('quality.rejectionRate.window', options.rejectionRate?.window, 20);
    this.rejectionThreshold = positive('quality.rejectionRate.threshold', options.rejectionRate?.threshold, 0.25);
    if (this.rejectionThreshold > 1) issues.push({ field: 'quality.rejectionRate.threshold', message: 'must be at most 1' });
    this.impactHorizonMs = positive('quality.impactHorizonMs', options.impactHorizonMs, 60_000, true);
    this.recentRecords = new BoundedRing(Math.floor(positive('quality.recentKept', options.recentKept, 1_000, true)));
    const confirm = options.confirm === false ? undefined : (options.confirm ?? {});
    this.confirmEveryMs = confirm ? positive('quality.confirm.everyMs', confirm.everyMs, 2_000) : undefined;
    this.maxPendingImpacts = positive('quality.maxPendingImpacts', options.maxPendingImpacts, 50_000);
    this.maxPendingConfirmations = positive('quality.confirm.maxPending', confirm ? confirm.maxPending : undefined, 10_000);
    this.cash = confirm && confirm.cash !== false ? new CashExpectation(toDecimal(confirm.cashTolerance ?? '0.01', 'quality.confirm.cashTolerance')) : undefined;
    if (issues.length > 0) throw new ConfigurationError(issues);

    const { events } = deps;
    this.unsubscribe.push(
      events.on('signal:received', ({ signal }) => this.signalReceived(signal.id, signal.symbol, signal.time, signal.expectedPrice)),
      events.on('signal:rejected', ({ signal }) => void this.signals.delete(signal.id)),
      events.on('order:created', ({ order }) => this.orderCreated(order)),
    );
  }

  /**
   * Every applied order event, from the engine's order hook (no payload is built for it on the
   * public bus): the steps' times, fills for the cash expectation, and the end of the order — or a
   * fill reported after it ended (a fill after a cancel is real), which records it again.
   */
  orderChanged({ order, from, event }: Pick<OrderTransition, 'order' | 'from' | 'event'>): void {
    if (this.stopped) return;
    switch (event.type) {
      case 'submitted':
        this.stamp(order, 'submittedAt');
        break;
      case 'accepted':
        this.stamp(order, 'acknowledgedAt');
        break;
      case 'filled':
        this.stamp(order, 'firstFillAt');
        if (this.cash && order.assetClass !== 'forex') this.cash.fill(order.side, event.fill.quantity, event.fill.price, event.fill.commission);
        break;
    }
    if (isTerminalStatus(order.status) && (!isTerminalStatus(from) || event.type === 'filled')) this.orderEnded(order);
  }

  /** The newest records (the journal holds them all), oldest first. */
  recent(): readonly ExecutionRecord[] {
    return this.recentRecords.values();
  }

  /**
   * What this account's recent filled orders cost (those of {@link recent}): mean slippage, mean
   * commission as bps of notional, median submit → first fill; undefined when none filled. Kept
   * up to date as orders end from the first call on, so asking for every signal costs nothing.
   */
  measuredCost(): MeasuredCost | undefined {
    if (!this.recentCost) {
      const records = this.recentRecords.values();
      this.recentCost = new RecentCost(this.recentRecords.capacity);
      for (const r of records) this.recentCost.push(r);
    }
    return this.recentCost.value();
  }

  /** Counters since the monitor started. */
  stats(): { readonly recorded: number; readonly slippageAlerts: number; readonly slowFills: number; readonly mismatches: number; readonly impactsDropped: number; readonly pendingImpacts: number } {
    return { ...this.counts, pendingImpacts: this.impacts.length - this.impactHead };
  }

  /** The engine stopped: timers are cleared; what is pending waits for {@link resume}. */
  suspend(): void {
    this.suspended = true;
    if (this.impactTimer !== undefined) this.deps.clock.clearTimeout(this.impactTimer);
    if (this.confirmTimer !== undefined) this.deps.clock.clearTimeout(this.confirmTimer);
    this.impactTimer = this.confirmTimer = undefined;
  }

  /** The engine started again: pending measurements and confirmations are scheduled again. */
  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.armImpactTimer();
    if (this.confirmIds.length > 0) this.scheduleConfirm();
  }

  /** Stops listening for good and drops pending impact measurements and confirmations. */
  stop(): void {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.impactTimer !== undefined) this.deps.clock.clearTimeout(this.impactTimer);
    if (this.confirmTimer !== undefined) this.deps.clock.clearTimeout(this.confirmTimer);
    this.impactTimer = this.confirmTimer = undefined;
    this.impacts.length = 0;
    this.impactHead = 0;
    this.confirmIds = [];
    this.confirmSymbols = [];
  }

  /**
   * Looks at the broker's books now, for the orders filled since the last look (what the timer
   * does by itself); resolves with the result, or undefined when nothing filled or confirmation is off.
   */
  async confirmNow(): Promise<ExecutionConfirmation | undefined> {
    if (this.confirmTimer !== undefined) this.deps.clock.clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
    if (this.confirmEveryMs === undefined || this.confirmIds.length === 0) return undefined;
    const [ids, filledSymbols] = [this.confirmIds, this.confirmSymbols];
    this.confirmIds = [];
    this.confirmSymbols = [];
    const { adapter, clock } = this.deps;
    // The engine's side is read when the broker is asked: fills heard of while the answer travels are the next look's.
    const symbols = new Set([...filledSymbols, ...this.suspectSymbols]);
    const engineQuantities = new Map([...symbols].map((symbol) => [symbol, signedQuantity(this.deps.positionOf(symbol))]));
    const cashMark = this.cash?.mark();
    let reports: readonly PositionReport[];
    let account: AccountSnapshot | undefined;
    try {
      [reports, account] = await Promise.all([adapter.getPositions(), this.cash ? adapter.getAccount() : undefined]);
    } catch (error) {
      // Not lost: these orders are covered by the next look.
      for (let i = 0; i < ids.length; i++) {
        this.confirmIds.push(ids[i]!);
        this.confirmSymbols.push(filledSymbols[i]!);
      }
      this.scheduleConfirm();
      throw error;
    }
    const positions: PositionCheck[] = [];
    const suspect = new Set<string>();
    for (const symbol of symbols) {
      const engine = engineQuantities.get(symbol)!;
      const broker = brokerQuantity(reports, symbol);
      const match = engine.equals(broker);
      positions.push({ symbol, engineQuantity: engine.toFixed(), brokerQuantity: broker.toFixed(), match });
      if (match) continue;
      if (this.suspectSymbols.has(symbol)) {
        this.counts.mismatches++;
        this.alert('critical', 'position_mismatch', `${symbol}: the engine holds ${engine.toFixed()}, the broker reports ${broker.toFixed()}`, { symbol, engineQuantity: engine.toFixed(), brokerQuantity: broker.toFixed() });
      } else suspect.add(symbol);
    }
    this.suspectSymbols = suspect;
    const cash = account ? this.cash!.check(account, cashMark!) : undefined;
    if (cash?.lasting) {
      this.counts.mismatches++;
      this.alert('critical', 'cash_mismatch', `cash: the fills leave ${cash.check.expected}, the broker reports ${cash.check.broker}`, { ...cash.check });
    }
    const confirmation: ExecutionConfirmation = {
      at: clock.now(),
      clientOrderIds: [...new Set(ids)],
      positions,
      ...(cash ? { cash: cash.check } : {}),
      confirmed: positions.every((p) => p.match) && (cash?.check.match ?? true),
    };
    this.deps.journal.append({ kind: 'note', at: confirmation.at, topic: EXECUTION_CONFIRMED_TOPIC, data: confirmation });
    this.deps.events.emit('execution:confirmed', confirmation);
    // A difference seen once is looked at again, even if nothing else fills.
    if (this.suspectSymbols.size > 0 || (cash && !cash.check.match)) this.scheduleConfirm();
    return confirmation;
  }

  private signalReceived(id: string, symbol: string, time: number, expected: DecimalInput | undefined): void {
    // Signals that never produced an order: dropped wholesale past the bound (rare; a Map read from the front after many deletes is slow).
    if (this.signals.size >= SIGNALS_KEPT) this.signals.clear();
    let expectedPrice: Decimal | undefined;
    try {
      expectedPrice = expected === undefined ? undefined : toDecimal(expected);
    } catch {
      expectedPrice = undefined; // the pipeline refuses the signal and says why
    }
    this.signals.set(id, { time, receivedAt: this.deps.clock.now(), arrivalPrice: this.deps.priceOf(symbol), expectedPrice });
  }

  private orderCreated(order: Order): void {
    const seen = order.signalId ? this.signals.get(order.signalId) : undefined;
    if (seen) this.signals.delete(order.signalId!);
    const context = newContext(this.deps.adapter.name, this.deps.accountId(), seen?.time, seen?.receivedAt, seen ? seen.arrivalPrice : this.deps.priceOf(order.symbol), seen?.expectedPrice);
    this.contexts.set(order.clientOrderId, context);
  }

  /** The first time the engine saw this step of an order (its own clock). */
  private stamp(order: Order, step: 'submittedAt' | 'acknowledgedAt' | 'firstFillAt'): void {
    const context = this.contextOf(order);
    if (context[step] === undefined) context[step] = this.deps.clock.now();
  }

  /** A working order's context, an ended one's (a late fill), or a new one (an order restored after a restart: what is known from now on). */
  private contextOf(order: Order): Context {
    const id = order.clientOrderId;
    let context = this.contexts.get(id);
    if (!context) this.contexts.set(id, (context = newContext(this.deps.adapter.name, this.deps.accountId())));
    return context;
  }

  private orderEnded(order: Order): void {
    const context = this.contextOf(order);
    const now = this.deps.clock.now();
    context.revision++;
    context.completedAt ??= now;
    const record = buildExecutionRecord(order, context, context.completedAt);
    const revised = context;
    // Ended (the first time): kept a while for a late fill, then forgotten (the journal has the record).
    if (context.revision === 1) {
      // A ring, not the Map's oldest key: a V8 Map read from the front after many deletes walks their tombstones.
      const evicted = this.endedRing.add(order.clientOrderId);
      if (evicted !== undefined) this.contexts.delete(evicted);
    }
    this.counts.recorded++;
    this.deps.journal.append({ kind: 'note', at: now, topic: EXECUTION_TOPIC, clientOrderId: record.clientOrderId, symbol: record.symbol, data: record, seq: UNSTAMPED });
    this.recentRecords.add(record);
    this.recentCost?.push(record);
    if (this.deps.events.listenerCount('execution:recorded') > 0) this.deps.events.emit('execution:recorded', { record });
    if (revised.revision === 1) this.judge(record);
    if (record.fills > 0) {
      if (this.impactHorizonMs > 0 && record.arrivalPrice) this.scheduleImpact(record);
      if (this.confirmEveryMs !== undefined) {
        this.confirmIds.push(record.clientOrderId);
        this.confirmSymbols.push(record.symbol);
        if (this.confirmIds.length >= this.maxPendingConfirmations && !this.confirmingEarly && !this.suspended) this.confirmEarly();
        else this.scheduleConfirm();
      }
    }
  }

  /** The alerts one record can raise (once per order: a revision does not raise them again). */
  private judge(record: ExecutionRecord): void {
    // Zero or favourable slippage (most fills) is never parsed back into a Decimal.
    if (record.slippageBps !== undefined && (this.slippageAlertBps.isNegative() || (record.slippageBps !== '0' && record.slippageBps[0] !== '-')) && new Decimal(record.slippageBps).greaterThan(this.slippageAlertBps)) {
      this.counts.slippageAlerts++;
      this.alert('warning', 'slippage_exceeded', `${record.side} ${record.filledQuantity} ${record.symbol} filled at ${record.averageFillPrice}, ${record.slippageBps} bps worse than ${record.expectedPrice} (${record.expectedPriceSource})`, {
        slippageBps: record.slippageBps,
        slippageCost: record.slippageCost,
        thresholdBps: this.slippageAlertBps.toFixed(),
      }, record.clientOrderId);
    }
    // Only market orders are expected to fill at once; a resting limit or stop is not slow.
    const took = record.type === 'market' && record.firstFillAt !== undefined && record.submittedAt !== undefined ? record.completedAt - record.submittedAt : undefined;
    if (took !== undefined && took > this.slowFillMs) {
      this.counts.slowFills++;
      this.alert('warning', 'slow_fill', `${record.clientOrderId} (${record.symbol}) took ${took} ms from submission to its last fill`, { ms: took, thresholdMs: this.slowFillMs }, record.clientOrderId);
    }
    if (record.status === 'risk_rejected' || record.status === 'replaced') return;
    // A ring and a running count: the rate costs the same per order whatever the window.
    const failed = record.status === 'rejected' || record.status === 'failed';
    const outcomes = this.outcomes;
    if (outcomes.length < this.rejectionWindow) outcomes.push(failed);
    else {
      if (outcomes[this.outcomesNext]) this.failuresInWindow--;
      outcomes[this.outcomesNext] = failed;
      this.outcomesNext = (this.outcomesNext + 1) % this.rejectionWindow;
    }
    if (failed) this.failuresInWindow++;
    if (outcomes.length < this.rejectionWindow) return;
    const rate = this.failuresInWindow / this.rejectionWindow;
    if (!this.rejectionAlerting && rate >= this.rejectionThreshold) {
      this.rejectionAlerting = true;
      this.alert('critical', 'rejection_rate', `${Math.round(rate * 100)}% of the last ${this.rejectionWindow} orders were rejected or failed`, { rate, window: this.rejectionWindow, threshold: this.rejectionThreshold });
    } else if (this.rejectionAlerting && rate < this.rejectionThreshold / 2) this.rejectionAlerting = false;
  }

  private scheduleImpact(r: ExecutionRecord): void {
    const subject: ImpactSubject = { clientOrderId: r.clientOrderId, symbol: r.symbol, side: r.side, arrivalPrice: r.arrivalPrice!, strategyId: r.strategyId, broker: r.broker, accountId: r.accountId };
    if (this.impacts.length - this.impactHead >= this.maxPendingImpacts) {
      this.impactHead++;
      this.counts.impactsDropped++;
      this.compactImpacts();
    }
    this.impacts.push({ record: subject, due: r.completedAt + this.impactHorizonMs });
    if (this.impactTimer === undefined && !this.suspended) this.armImpactTimer();
  }

  /** One timer for the queue's head: completions arrive in time order, so the queue is sorted by due time. */
  private armImpactTimer(): void {
    const head = this.impacts[this.impactHead];
    if (!head || this.suspended) return;
    this.impactTimer = this.deps.clock.setTimeout(() => {
      this.impactTimer = undefined;
      const now = this.deps.clock.now();
      const queue = this.impacts;
      while (this.impactHead < queue.length && queue[this.impactHead]!.due <= now) this.measureImpact(queue[this.impactHead++]!.record, now);
      this.compactImpacts();
      this.armImpactTimer();
    }, Math.max(0, head.due - this.deps.clock.now()));
  }

  /** Drops the measured (or dropped) head now and then: a queue that shifts would copy it every time. */
  private compactImpacts(): void {
    if (this.impactHead > 1_024 && this.impactHead * 2 > this.impacts.length) {
      this.impacts.splice(0, this.impactHead);
      this.impactHead = 0;
    }
  }

  private measureImpact(record: ImpactSubject, now: number): void {
    const price = this.deps.priceOf(record.symbol);
    const impact = price ? marketImpact(record, price, this.impactHorizonMs, now) : undefined;
    if (!impact) return;
    this.deps.journal.append({ kind: 'note', at: now, topic: EXECUTION_IMPACT_TOPIC, clientOrderId: record.clientOrderId, symbol: record.symbol, data: impact, seq: UNSTAMPED });
    this.deps.events.emit('execution:impact', impact);
  }

  /** Memory stays bounded when the clock does not move (a backtest loop): the broker is asked now. */
  private confirmEarly(): void {
    this.confirmingEarly = true;
    void this.confirmLogged().finally(() => (this.confirmingEarly = false));
  }

  /** {@link confirmNow} for the monitor's own looks: a failure is logged (the orders wait for the next look). */
  private confirmLogged(): Promise<unknown> {
    return this.confirmNow().catch((error: unknown) => this.deps.logger.warn('could not confirm executions with the broker; trying again at the next look', { error: describeError(error) }));
  }

  private scheduleConfirm(): void {
    if (this.confirmTimer !== undefined || this.suspended) return;
    this.confirmTimer = this.deps.clock.setTimeout(() => {
      this.confirmTimer = undefined;
      void this.confirmLogged();
    }, this.confirmEveryMs!);
  }

  private alert(severity: AlertPayload['severity'], code: string, message: string, details: Record<string, unknown>, clientOrderId?: string): void {
    this.deps.events.emit('alert', { severity, code, message, details, ...(clientOrderId ? { clientOrderId } : {}) });
  }
}

/** Contexts kept after an order ended, for a fill reported late. */
const ENDED_KEPT = 10_000;

type Context = Mutable<ExecutionContext> & { completedAt?: number | undefined };

/**
 * A context with every key from the start (absent ones undefined): the steps stamped later fill
 * slots instead of adding properties, so every context keeps one hidden class and no backing store.
 */
function newContext(broker: string, accountId: string | undefined, signalTime?: number, receivedAt?: number, arrivalPrice?: Decimal, signalExpectedPrice?: Decimal): Context {
  return { broker, accountId, signalTime, receivedAt, arrivalPrice, signalExpectedPrice, submittedAt: undefined, acknowledgedAt: undefined, firstFillAt: undefined, completedAt: undefined, revision: 0 };
}

function signedQuantity(position: Position | undefined): Decimal {
  if (!position) return ZERO;
  return position.side === 'short' ? position.quantity.negated() : position.quantity;
}
