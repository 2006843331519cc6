import { type Clock, systemClock } from '../core/clock.js';
import { Decimal, type DecimalInput, toDecimal, ZERO } from '../core/decimal.js';
import { ConfigurationError, describeError, ValidationError, type ValidationIssue } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { optionsOf } from '../core/options.js';
import type { AlertPayload } from '../events/alert.js';
import { EventBus, type EventSource, type Listener, type ListenerErrorPayload } from '../events/event-bus.js';
import { ExecutionEngine, type ExecutionEngineOptions } from '../execution/execution-engine.js';
import type { SignalDecision } from '../execution/signal-decision.js';
import { parseHaltOptions, type TradingState } from '../execution/trading-state.js';
import type { Order } from '../model/order.js';
import { type ReportFilters } from '../reports/report-data.js';
import type { ReportPeriod } from '../reports/report-period.js';
import { combinedStore, journalStore, type ReportStore } from '../reports/report-store.js';
import { type TradeReport, tradeReport } from '../reports/trade-report.js';
import { PRE_TRADE_RULES, type PreTradeRule } from '../risk/pre-trade-checks.js';
import { RateLimitedAdapter, type RateLimiterStats } from '../resilience/rate-limited-adapter.js';
import type { Signal } from '../signals/signal.js';
import type { DecisionReason } from '../signals/signal-policy.js';
import type { TradewireEvents } from '../tradewire-events.js';
import { type BrokerHealthReport, type BrokerHealthState, HealthTrackedAdapter, type HealthOptions } from './adapter-health.js';
import { type AccountScope, type RoutableAccount, routeByScope, type RoutingChoice, type RoutingPolicy } from './desk-routing.js';
import { aggregateBook, type DeskBook } from './desk-book.js';
import { allOrFailures } from '../core/all-settled.js';

/** One account on the desk: an engine's options (its own adapter, config, journal), an id, and what it trades. */
export interface DeskAccountSpec extends Omit<ExecutionEngineOptions, 'clock' | 'logger' | 'rules'> {
  readonly id: string;
  /** What this account may trade, for routing (default: anything). */
  readonly scope?: AccountScope;
  /** Lower is preferred when several accounts may take an entry (default 0). */
  readonly priority?: number;
  /** This account's own extra pre-trade rules (after the built-in ones and the desk's). */
  readonly rules?: readonly PreTradeRule[];
}

/** Limits across every account, in the desk's currency. */
export interface DeskLimits {
  /** Σ exposure (open positions and working entries) across accounts. */
  readonly maxExposure?: DecimalInput;
  /** When Σ today's P&L across accounts falls to −this, the desk goes REDUCING (exits only). */
  readonly maxDailyLoss?: DecimalInput;
  /** Open positions across accounts. */
  readonly maxPositions?: number;
}

export interface TradingDeskOptions {
  readonly accounts: readonly DeskAccountSpec[];
  readonly limits?: DeskLimits;
  /** Where new entries go (default {@link routeByScope}). */
  readonly routing?: RoutingPolicy;
  /** Send a new entry to the next account when the preferred one's broker is down (default false). Exits never move. */
  readonly failover?: boolean;
  readonly health?: HealthOptions;
  /** The desk's currency (default USD); an account in another needs `toDeskCurrency`. */
  readonly currency?: string;
  /** Converts an amount in an account's currency into the desk's (for desk-wide limits and totals). */
  readonly toDeskCurrency?: (amount: Decimal, currency: string) => Decimal;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A signal for the desk: for one named account, for several (mirrored), or routed by the policy. */
export type DeskSignal = Signal & {
  /** Only this account. */
  readonly account?: string;
  /**
   * Mirror the signal on several accounts (each gets `<id>@<account>`): the named ones (default
   * every account the routing policy returns), each sized by its own engine, times its weight —
   * `equal` (1 each), `equity` (its equity ÷ the mean equity of the mirroring accounts), or fixed
   * weights by account.
   */
  readonly mirror?: { readonly accounts?: readonly string[]; readonly weights?: 'equal' | 'equity' | Readonly<Record<string, DecimalInput>> };
};

/** What one account did with a desk signal. */
export interface DeskOutcome {
  readonly account: string;
  readonly broker: string;
  /** The engine's decision; absent when the desk refused before asking it. */
  readonly decision?: SignalDecision;
  /** Why the desk refused (desk state, routing, a down broker). */
  readonly refused?: readonly DecisionReason[];
}

export interface DeskDecision {
  readonly signal: DeskSignal;
  readonly outcomes: readonly DeskOutcome[];
  /** Why the routing policy chose as it did, when it said (e.g. `routeByMeasuredCost`'s numbers). */
  readonly routing?: Readonly<Record<string, unknown>>;
  /** When the preferred account's broker was down and the entry went elsewhere. */
  readonly failover?: { readonly from: string; readonly to: string; readonly reason: string };
}

/** Every engine event, named by the account it came from. */
export type AccountEvents = { [K in Exclude<keyof TradewireEvents, 'error'>]: { readonly account: string; readonly broker: string; readonly payload: TradewireEvents[K] } };

/** The desk's own events, and every engine's (as {@link AccountEvents}). */
export interface DeskEvents extends AccountEvents {
  'desk:trading_state': { readonly state: TradingState; readonly reason: string; readonly at: number };
  'desk:decision': DeskDecision;
  'broker:health': BrokerHealthReport & { readonly previous: BrokerHealthState; readonly at: number };
  'desk:alert': AlertPayload & { readonly account?: string };
  error: ListenerErrorPayload;
}

interface Seat {
  readonly id: string;
  readonly engine: ExecutionEngine;
  readonly adapter: HealthTrackedAdapter;
  readonly scope: AccountScope;
  readonly priority: number;
}

/**
 * Many accounts, many brokers, one desk: each account is an `ExecutionEngine` with its own adapter,
 * configuration, journal and P&L; the desk routes signals (by scope, by a policy, mirrored), holds
 * desk-wide limits (exposure, daily loss, positions) that no interleaving of signals across
 * accounts can break, has one kill switch and trading state over every account, watches each
 * broker's health and fails new entries over when one is down (exits stay where the position is),
 * aggregates the book, and speaks one event stream in which every event names its account.
 */
export class TradingDesk {
  private readonly seats = new Map<string, Seat>();
  private readonly bus: EventBus<DeskEvents>;
  private readonly forwarded = new Set<string>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly routing: RoutingPolicy;
  private readonly failover: boolean;
  private readonly maxExposure: Decimal | undefined;
  private readonly maxDailyLoss: Decimal | undefined;
  private readonly maxPositions: number | undefined;
  private readonly currency: string;
  private readonly toDeskCurrency: TradingDeskOptions['toDeskCurrency'];
  private state: TradingState = 'ACTIVE';
  private stateReason = '';
  /** Entries are decided one at a time across the desk: a limit checked is a limit held. */
  private entryQueue: Promise<unknown> = Promise.resolve();
  /** Where each signal went, so a signal sent again goes to the same account (or is looked up before it moves). */
  private readonly routed = new Map<string, string>();

  constructor(options: TradingDeskOptions) {
    const issues: ValidationIssue[] = [];
    if (!options.accounts?.length) issues.push({ field: 'accounts', message: 'must name at least one account' });
    const ids = new Set<string>();
    for (const [i, a] of (options.accounts ?? []).entries()) {
      if (typeof a.id !== 'string' || a.id === '') issues.push({ field: `accounts[${i}].id`, message: 'must be a non-empty string' });
      else if (ids.has(a.id)) issues.push({ field: `accounts[${i}].id`, message: `${a.id} is used twice` });
      ids.add(a.id);
    }
    const limit = (field: keyof DeskLimits): Decimal | undefined => {
      const value = options.limits?.[field];
      if (value === undefined) return undefined;
      try {
        const parsed = toDecimal(value, `limits.${field}`);
        if (!parsed.greaterThan(0)) issues.push({ field: `limits.${field}`, message: 'must be greater than zero' });
        return parsed;
      } catch {
        issues.push({ field: `limits.${field}`, message: `must be a decimal, got ${String(value)}` });
        return undefined;
      }
    };
    this.maxExposure = limit('maxExposure');
    this.maxDailyLoss = limit('maxDailyLoss');
    const maxPositions = options.limits?.maxPositions;
    if (maxPositions !== undefined && (!Number.isInteger(maxPositions) || maxPositions <= 0)) issues.push({ field: 'limits.maxPositions', message: 'must be a positive whole number' });
    this.maxPositions = maxPositions;
    if (issues.length > 0) throw new ConfigurationError(issues);

    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    this.routing = options.routing ?? routeByScope;
    this.failover = options.failover ?? false;
    this.currency = options.currency ?? 'USD';
    this.toDeskCurrency = options.toDeskCurrency;
    this.bus = new EventBus<DeskEvents>(({ error, source }) => this.logger.error(`desk listener for ${source} threw`, { error: describeError(error) }));
    const deskRules = this.rules();
    for (const spec of options.accounts) {
      const adapter = new HealthTrackedAdapter(spec.adapter, this.clock, spec.id, (report, previous) => this.healthChanged(report, previous), options.health);
      const { id, scope, priority, rules, ...engineOptions } = spec;
      const engine = new ExecutionEngine({ ...engineOptions, adapter, clock: this.clock, logger: this.logger, rules: [...PRE_TRADE_RULES, ...deskRules(id), ...(rules ?? [])] });
      // Σ daily P&L is watched on every change: the desk goes REDUCING the moment the loss limit is met.
      engine.on('pnl:updated', () => this.checkDailyLoss());
      this.seats.set(id, { id, engine, adapter, scope: scope ?? {}, priority: priority ?? 0 });
    }
  }

  /** Subscribes to a desk event, or to an engine event of every account (payload `{ account, broker, payload }`). */
  on<K extends keyof DeskEvents & string>(event: K, listener: Listener<DeskEvents[K]>): () => void {
    this.forward(event);
    return this.bus.on(event, listener);
  }

  get events(): EventSource<DeskEvents> {
    return this.bus;
  }

  /** The account's engine (for what the desk does not wrap). Throws for an unknown id. */
  engine(account: string): ExecutionEngine {
    return this.seat(account).engine;
  }

  get accounts(): readonly string[] {
    return [...this.seats.keys()];
  }

  /**
   * Starts every account at once (each connects and reads its account from its own broker); one
   * that cannot start does not keep the others from starting. Rejects with the failure (an
   * `AggregateError` for several).
   */
  async start(): Promise<void> {
    await allOrFailures([...this.seats.values()].map((seat) => seat.engine.start()), 'accounts could not start');
  }

  /** Stops every account (each one's timers and stream; orders stay working at the brokers). */
  async stop(): Promise<void> {
    await allOrFailures([...this.seats.values()].map((seat) => seat.engine.stop()), 'accounts could not stop cleanly');
  }

  /**
   * Every account recovers from its journal and reconciles with its broker — all at once, each to
   * its own end: one that cannot recover (it keeps refusing signals until it does) does not keep
   * the others from trading. Rejects with the failure (an `AggregateError` for several).
   */
  async recover(): Promise<void> {
    await allOrFailures([...this.seats.values()].map((seat) => seat.engine.recover()), 'accounts could not recover');
  }

  /** A price for every account that trades the symbol. */
  updatePrice(symbol: string, price: DecimalInput): void {
    for (const seat of this.seats.values()) seat.engine.updatePrice(symbol, price);
  }

  get tradingState(): TradingState {
    return this.state;
  }

  /** Why the desk is in its trading state (the reason given to `halt`, `reduceOnly` or `resume`). */
  get tradingStateReason(): string {
    return this.stateReason;
  }

  /**
   * The desk-wide kill switch: every account halts (cancelling working orders unless told otherwise),
   * all at once; once every account has done what it could, rejects with what failed (an
   * `AggregateError` for several).
   */
  async halt(reason: string, options?: { readonly cancelOpen?: boolean; readonly flatten?: boolean }): Promise<void> {
    // Checked before anything halts: a refused halt leaves the desk and every account as they were.
    const halt = parseHaltOptions({ ...optionsOf(options, 'desk halt'), reason });
    this.setState('HALTED', halt.reason);
    await allOrFailures([...this.seats.values()].map((s) => s.engine.halt({ ...halt, reason: `desk: ${halt.reason}` })), 'accounts could not halt cleanly');
  }

  /** Exits only, on every account. */
  reduceOnly(reason: string): void {
    this.setState('REDUCING', reason);
    for (const seat of this.seats.values()) seat.engine.reduceOnly(`desk: ${reason}`);
  }

  /** Back to ACTIVE on every account; it takes an explicit call. */
  resume(): void {
    this.setState('ACTIVE', 'resumed');
    for (const seat of this.seats.values()) seat.engine.resume();
  }

  /** Each broker connection's health, with the rate limiter's headroom where the engine has one (queued, running, 429s, spacing). */
  health(): (BrokerHealthReport & { readonly rateLimit?: RateLimiterStats })[] {
    return [...this.seats.values()].map((s) => {
      const limiter = s.engine.adapter instanceof RateLimitedAdapter ? s.engine.adapter.stats() : undefined;
      return limiter ? { ...s.adapter.report(), rateLimit: limiter } : s.adapter.report();
    });
  }

  /**
   * Decides a signal across the desk. An exit goes to the account(s) holding the position; an entry
   * to the named account, to every mirroring account, or to the first the routing policy names —
   * the next one when that one's broker is down and `failover` is on. Entries are decided one at
   * a time (desk-wide limits hold whatever the interleaving); every refusal names its account.
   */
  async executeSignal(signal: DeskSignal): Promise<DeskDecision> {
    checkDeskFields(signal);
    const holders = this.holders(signal);
    if (holders.length > 0 && !signal.mirror) {
      // An exit (or a reduction) stays with the broker that holds the position.
      const targets = signal.account ? holders.filter((s) => s.id === signal.account) : holders;
      const outcomes = await Promise.all(targets.map((seat) => this.send(seat, signal)));
      return this.decided({ signal, outcomes });
    }
    const run = this.entryQueue.then(() => this.enter(signal));
    this.entryQueue = run.catch(() => undefined);
    return run;
  }

  /** The book now: exposure, P&L and positions by account, broker, strategy and symbol (desk currency). */
  book(): DeskBook {
    return aggregateBook(
      [...this.seats.values()].map((seat) => {
        const e = seat.engine;
        const currency = e.account()?.currency ?? this.currency;
        const convert = (amount: Decimal): Decimal => this.converted(amount, currency) ?? ZERO;
        const pnl = e.pnl();
        const equity = e.account()?.equity;
        return { id: seat.id, broker: e.adapter.name, positions: e.positions.openPositions(), exposure: convert(e.exposure()), dailyPnl: convert(pnl.daily), realizedTotal: convert(pnl.realizedTotal), equity: equity ? convert(equity) : undefined, convert };
      }),
    );
  }

  /** Every account's journal as one report store (reports by account, by broker, and across them). */
  reportStore(): ReportStore {
    return combinedStore([...this.seats.values()].map((s) => journalStore(s.engine.journal)));
  }

  /** A trade report across the desk (filter by `accountId` or `broker` for one account's or one broker's). */
  report(period: ReportPeriod, filters: ReportFilters = {}): Promise<TradeReport> {
    return tradeReport(this.reportStore(), { period, filters, now: this.clock.now() });
  }

  // ── entries ─────────────────────────────────────────────────────────────────────────────────

  private async enter(signal: DeskSignal): Promise<DeskDecision> {
    if (this.state !== 'ACTIVE') return this.decided({ signal, outcomes: [this.refusal(signal.account ?? '(desk)', 'desk_trading_state', `the desk is ${this.state}: ${this.stateReason}`)] });
    if (signal.mirror) return this.mirror(signal);
    if (signal.account) {
      const seat = this.seats.get(signal.account);
      if (!seat) return this.decided({ signal, outcomes: [this.refusal(signal.account, 'unknown_account', `no account ${signal.account} on the desk`)] });
      return this.decided({ signal, outcomes: [await this.send(seat, signal)] });
    }
    const { seats: candidates, why } = this.route(signal);
    if (candidates.length === 0) return this.decided({ signal, outcomes: [this.refusal('(desk)', 'no_route', `no account may trade ${signal.symbol} (${signal.assetClass ?? 'equity'}, strategy ${signal.strategyId})`)] });
    // A signal seen before goes where it went: its engine decides it once.
    const before = this.routed.get(signal.id);
    const preferred = before ? this.seat(before) : candidates[0]!;
    const routing = why ? { routing: why } : {};
    if (preferred.adapter.healthState !== 'down') return this.decided({ signal, outcomes: [await this.send(preferred, signal, why)], ...routing });
    if (!this.failover) return this.decided({ signal, outcomes: [this.refusal(preferred.id, 'broker_down', `${preferred.adapter.name} (account ${preferred.id}) is down: ${preferred.adapter.report().reason}`)] });
    const landed = await this.mayHaveLanded(preferred, signal.id);
    if (landed) return this.decided({ signal, outcomes: [this.refusal(preferred.id, 'entry_may_be_at_broker', landed)] });
    const next = candidates.find((s) => s !== preferred && s.adapter.healthState !== 'down');
    if (!next) return this.decided({ signal, outcomes: [this.refusal(preferred.id, 'broker_down', `${preferred.adapter.name} is down and no other account may take ${signal.symbol}`)] });
    const outcome = await this.send(next, signal, why);
    return this.decided({ signal, outcomes: [outcome], failover: { from: preferred.id, to: next.id, reason: preferred.adapter.report().reason }, ...routing });
  }

  private async mirror(signal: DeskSignal): Promise<DeskDecision> {
    const named = signal.mirror!.accounts;
    const seats = named ? named.map((id) => this.seats.get(id)) : this.route(signal).seats;
    const outcomes: DeskOutcome[] = [];
    const present = seats.filter((s): s is Seat => s !== undefined);
    for (const id of named ?? []) if (!this.seats.has(id)) outcomes.push(this.refusal(id, 'unknown_account', `no account ${id} on the desk`));
    const weights = this.weights(signal, present);
    // Every account's asset looked up first (together): then each account decides at once, in the
    // accounts' order — the first has the first claim on a desk-wide limit, as when they went one
    // after another — and the orders are on the wire together: the last account's order does not
    // wait for every other broker's answer.
    await Promise.all(present.map((seat) => seat.engine.preloadAssets([signal.symbol])));
    const sent = await Promise.allSettled(
      present.map((seat) => {
        const weight = weights.get(seat.id)!;
        const { mirror: _mirror, ...single } = signal;
        const copy = { ...single, id: `${signal.id}@${seat.id}`, ...(weight.equals(1) ? {} : { allocation: weight.times(new Decimal(signal.allocation ?? 1)).toFixed() }) };
        return seat.adapter.healthState === 'down' ? this.refusal(seat.id, 'broker_down', `${seat.adapter.name} is down`) : this.send(seat, copy);
      }),
    );
    for (const result of sent) {
      // Only the caller's mistake (an invalid signal) is thrown by send: the same for every copy.
      if (result.status === 'rejected') throw result.reason;
      outcomes.push(result.value);
    }
    return this.decided({ signal, outcomes });
  }

  private weights(signal: DeskSignal, seats: readonly Seat[]): Map<string, Decimal> {
    const spec = signal.mirror?.weights ?? 'equal';
    const out = new Map<string, Decimal>();
    if (spec === 'equal') for (const s of seats) out.set(s.id, new Decimal(1));
    else if (spec === 'equity') {
      const equities = seats.map((s) => this.converted(s.engine.account()?.equity ?? ZERO, s.engine.account()?.currency ?? this.currency) ?? ZERO);
      const mean = equities.reduce((a, b) => a.plus(b), ZERO).dividedBy(Math.max(1, seats.length));
      seats.forEach((s, i) => out.set(s.id, mean.isZero() ? new Decimal(1) : equities[i]!.dividedBy(mean).toDecimalPlaces(6)));
    } else {
      for (const s of seats) {
        const w = spec[s.id];
        if (w === undefined) throw new ValidationError([{ field: `mirror.weights.${s.id}`, message: 'every mirroring account needs a weight' }], 'desk signal');
        out.set(s.id, toDecimal(w, `mirror.weights.${s.id}`));
      }
    }
    return out;
  }

  /** Sends a signal to one account; a routing policy's reasons are journaled there with it. */
  private async send(seat: Seat, signal: Signal, why?: Readonly<Record<string, unknown>>): Promise<DeskOutcome> {
    this.routed.set(signal.id, seat.id);
    if (why) seat.engine.journal.append({ kind: 'note', at: this.clock.now(), topic: 'desk.routing', symbol: signal.symbol, data: { signalId: signal.id, account: seat.id, ...why } });
    try {
      const { account: _a, mirror: _m, ...plain } = signal as DeskSignal;
      const decision = await seat.engine.executeSignal(plain);
      return { account: seat.id, broker: seat.adapter.name, decision };
    } catch (error) {
      // Invalid signals throw the engine's ValidationError: the caller's mistake, said as such.
      if (error instanceof ValidationError) throw error;
      return this.refusal(seat.id, 'engine_error', describeError(error));
    }
  }

  /**
   * Whether an entry sent for this signal may have reached the (down) broker: then it is not sent
   * elsewhere. Nothing sent, or refused outright: no. Sent and not heard of since: ask the broker;
   * if it cannot answer, assume it may have.
   */
  private async mayHaveLanded(seat: Seat, signalId: string): Promise<string | undefined> {
    const order = seat.engine.orders.orderList().find((o: Order) => o.signalId === signalId);
    if (!order) return undefined;
    if (order.status === 'created' || order.status === 'validated' || order.status === 'risk_rejected' || order.status === 'rejected') return undefined;
    if (order.status !== 'failed') return `order ${order.clientOrderId} for signal ${signalId} is ${order.status} at ${seat.adapter.name}`;
    try {
      const report = await seat.adapter.getOrder({ clientOrderId: order.clientOrderId });
      return report ? `order ${order.clientOrderId} for signal ${signalId} reached ${seat.adapter.name} (${report.status})` : undefined;
    } catch (error) {
      return `order ${order.clientOrderId} for signal ${signalId} may have reached ${seat.adapter.name}, which cannot be asked (${describeError(error)})`;
    }
  }

  // ── desk-wide limits ───────────────────────────────────────────────────────────────────────

  /** The desk's pre-trade rules, given to every account's engine (entries only). */
  private rules(): (account: string) => PreTradeRule[] {
    return (account) => [
      {
        code: 'desk_trading_state',
        guardsExits: false,
        check: () => (this.state === 'ACTIVE' ? undefined : `the desk is ${this.state}: ${this.stateReason}`),
      },
      {
        code: 'desk_exposure',
        guardsExits: false,
        check: (c) => {
          if (!this.maxExposure) return undefined;
          const adding = this.converted(c.notional, this.seat(account).engine.account()?.currency ?? this.currency);
          const total = this.totalExposure();
          if (!adding || !total) return `exposure in another currency than the desk's (${this.currency}) without toDeskCurrency`;
          return total.plus(adding).greaterThan(this.maxExposure) ? `desk exposure would be ${total.plus(adding).toFixed(2)} ${this.currency}, over the desk's ${this.maxExposure.toFixed(2)}` : undefined;
        },
      },
      {
        code: 'desk_positions',
        guardsExits: false,
        check: (c) => {
          if (this.maxPositions === undefined || !c.opensNewPosition) return undefined;
          const open = [...this.seats.values()].reduce((n, s) => n + s.engine.positions.count, 0);
          return open >= this.maxPositions ? `${open} positions are open across the desk (max ${this.maxPositions})` : undefined;
        },
      },
      {
        code: 'desk_daily_loss',
        guardsExits: false,
        check: () => {
          if (!this.maxDailyLoss) return undefined;
          const daily = this.totalDailyPnl();
          return daily && !daily.greaterThan(this.maxDailyLoss.negated()) ? `the desk's P&L today is ${daily.toFixed(2)} ${this.currency}, at or past the loss limit of ${this.maxDailyLoss.toFixed(2)}` : undefined;
        },
      },
    ];
  }

  private checkDailyLoss(): void {
    if (!this.maxDailyLoss || this.state !== 'ACTIVE') return;
    const daily = this.totalDailyPnl();
    if (!daily || daily.greaterThan(this.maxDailyLoss.negated())) return;
    const reason = `desk daily loss ${daily.toFixed(2)} ${this.currency} reached the limit of ${this.maxDailyLoss.toFixed(2)}`;
    this.reduceOnly(reason);
    this.bus.emit('desk:alert', { severity: 'critical', code: 'desk_daily_loss', message: reason });
  }

  private totalExposure(): Decimal | undefined {
    return this.deskTotal((engine) => engine.exposure());
  }

  private totalDailyPnl(): Decimal | undefined {
    return this.deskTotal((engine) => engine.pnl().daily);
  }

  /** Σ of an amount over every account, in the desk's currency; undefined when one cannot be converted. */
  private deskTotal(amountOf: (engine: ExecutionEngine) => Decimal): Decimal | undefined {
    let total = ZERO;
    for (const seat of this.seats.values()) {
      const value = this.converted(amountOf(seat.engine), seat.engine.account()?.currency ?? this.currency);
      if (!value) return undefined;
      total = total.plus(value);
    }
    return total;
  }

  /** An amount in the desk's currency; undefined when it is in another and there is no converter. */
  private converted(amount: Decimal, currency: string): Decimal | undefined {
    if (currency === this.currency) return amount;
    return this.toDeskCurrency ? this.toDeskCurrency(amount, currency) : undefined;
  }

  // ── routing, events, state ───────────────────────────────────────────────────────────────

  /** The accounts holding a position the signal would reduce (the opposite side). */
  private holders(signal: DeskSignal): Seat[] {
    const out: Seat[] = [];
    for (const seat of this.seats.values()) {
      const p = seat.engine.positions.get(signal.symbol);
      if (p && p.quantity.greaterThan(0) && (p.side === 'long') === (signal.side === 'sell')) out.push(seat);
    }
    return out;
  }

  /** The routing policy's choice: the accounts in order, and its reasons when it gives them. */
  private route(signal: Signal): { seats: Seat[]; why?: Readonly<Record<string, unknown>> } {
    const views: RoutableAccount[] = [...this.seats.values()].map((s) => {
      const view = {
        id: s.id,
        broker: s.adapter.name,
        scope: s.scope,
        priority: s.priority,
        buyingPower: s.engine.account()?.buyingPower.toFixed(),
        healthy: s.adapter.healthState !== 'down',
      };
      // Read only when a policy reads it, and kept by the account's monitor as its orders end: summing
      // every recent record of every account for each signal was ≈ 60% of a desk's time per signal.
      return Object.defineProperty(view, 'quality', { enumerable: true, get: () => s.engine.quality?.measuredCost() }) as RoutableAccount;
    });
    const choice = this.routing(signal, views);
    const ids = Array.isArray(choice) ? (choice as readonly string[]) : (choice as RoutingChoice).accounts;
    const why = Array.isArray(choice) ? undefined : (choice as RoutingChoice).why;
    const seats = ids.map((id) => this.seats.get(id)).filter((s): s is Seat => s !== undefined);
    return why ? { seats, why } : { seats };
  }


  private seat(account: string): Seat {
    const seat = this.seats.get(account);
    if (!seat) throw new ValidationError([{ field: 'account', message: `no account ${account} on the desk` }], 'desk');
    return seat;
  }

  private refusal(account: string, code: string, message: string): DeskOutcome {
    return { account, broker: this.seats.get(account)?.adapter.name ?? '', refused: [{ code, message }] };
  }

  private decided(decision: DeskDecision): DeskDecision {
    this.bus.emit('desk:decision', decision);
    return decision;
  }

  private setState(state: TradingState, reason: string): void {
    this.state = state;
    this.stateReason = reason;
    this.bus.emit('desk:trading_state', { state, reason, at: this.clock.now() });
  }

  private healthChanged(report: BrokerHealthReport, previous: BrokerHealthState): void {
    this.bus.emit('broker:health', { ...report, previous, at: this.clock.now() });
    if (report.state !== 'healthy') this.bus.emit('desk:alert', { severity: report.state === 'down' ? 'critical' : 'warning', code: `broker_${report.state}`, message: `${report.broker} (account ${report.account}) is ${report.state}: ${report.reason}`, account: report.account });
  }

  /** Starts forwarding an engine event from every account (on first subscription: engines build no payload nobody reads). */
  private forward(event: string): void {
    if (this.forwarded.has(event) || event.startsWith('desk:') || event === 'broker:health' || event === 'error') return;
    this.forwarded.add(event);
    for (const seat of this.seats.values()) {
      const broker = seat.adapter.name;
      seat.engine.on(event as keyof TradewireEvents & string, (payload: unknown) => this.bus.emit(event as keyof AccountEvents, { account: seat.id, broker, payload } as never));
    }
  }
}

/**
 * The desk's own fields of a signal, checked before it is routed (the engine checks the rest): a
 * mirror's accounts that are not a list, or weights that are neither 'equal', 'equity' nor an
 * object of weights, are the caller's mistake — a `ValidationError`, not a `TypeError` mid-route.
 */
function checkDeskFields(signal: DeskSignal): void {
  if (typeof signal !== 'object' || signal === null) throw new ValidationError([{ field: 'signal', message: `must be an object, got ${String(signal)}` }], 'desk signal');
  const issues: ValidationIssue[] = [];
  if (signal.account !== undefined && (typeof signal.account !== 'string' || signal.account === '')) issues.push({ field: 'account', message: `must be an account id, got ${JSON.stringify(signal.account) ?? String(signal.account)}` });
  const mirror: unknown = signal.mirror;
  if (mirror !== undefined) {
    if (typeof mirror !== 'object' || mirror === null) issues.push({ field: 'mirror', message: `must be { accounts?, weights? }, got ${JSON.stringify(mirror) ?? String(mirror)}` });
    else {
      const { accounts, weights } = mirror as { accounts?: unknown; weights?: unknown };
      if (accounts !== undefined && !(Array.isArray(accounts) && accounts.every((a) => typeof a === 'string'))) issues.push({ field: 'mirror.accounts', message: `must be a list of account ids, got ${JSON.stringify(accounts) ?? String(accounts)}` });
      if (weights !== undefined && weights !== 'equal' && weights !== 'equity' && (typeof weights !== 'object' || weights === null || Array.isArray(weights))) {
        issues.push({ field: 'mirror.weights', message: `must be 'equal', 'equity' or weights by account, got ${JSON.stringify(weights) ?? String(weights)}` });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(issues, 'desk signal');
}
