import { Decimal, type DecimalInput, parseDecimalIn } from '../core/decimal.js';
import { ConfigurationError, type ValidationIssue } from '../core/errors.js';
import { checkWholeNumber } from '../core/options.js';

/** What a breaker watches. */
export type BreakerKind = 'drawdown' | 'daily_loss' | 'rejection_rate' | 'volatility' | 'position_size';

/** What it does when it trips (any combination, in this order). */
export type BreakerAction = 'notify' | 'reduce_only' | 'halt_new_orders' | 'cancel_open_orders' | 'close_all_positions';

/**
 * One circuit breaker. Thresholds:
 * - `drawdown`: % below the peak equity seen (e.g. 5);
 * - `daily_loss`: an amount lost today, in account currency (e.g. 2 000);
 * - `rejection_rate`: the share of orders rejected (0–1) over `windowMs`, once `minOrders` were sent;
 * - `volatility`: a host-supplied measure (`engine.reportVolatility`) above the threshold;
 * - `position_size`: any position's value as % of equity.
 * With `strategyId`, it watches that strategy only (daily loss and rejections by strategy) and its
 * `halt_new_orders` stops only that strategy.
 */
export interface BreakerSpec {
  /** Unique among the engine's breakers (a trip is kept, restored and reset by it). */
  readonly id: string;
  readonly kind: BreakerKind;
  readonly threshold: DecimalInput;
  readonly actions: readonly BreakerAction[];
  readonly strategyId?: string;
  /** For `rejection_rate`: the window, ms (default 300 000) and the fewest orders to judge (default 5); at most the latest 1 000 orders in the window are judged. */
  readonly windowMs?: number;
  readonly minOrders?: number;
}

/** What a breaker measured when it tripped. */
export interface BreakerTrip {
  readonly id: string;
  readonly kind: BreakerKind;
  readonly value: Decimal;
  readonly threshold: Decimal;
  readonly actions: readonly BreakerAction[];
  readonly strategyId?: string;
  readonly at: number;
}

/** The facts the breakers judge, gathered by the engine. */
export interface BreakerReadings {
  readonly equity: Decimal;
  readonly dailyPnl: Decimal;
  /** Daily P&L by strategy (realized today + unrealized). */
  readonly strategyDailyPnl: ReadonlyMap<string, Decimal>;
  /** The largest position value as % of equity. */
  readonly largestPositionPct: Decimal;
  readonly volatility: Decimal | undefined;
}

/** A rejection rate judges at most the latest this many orders in its window. */
const OUTCOMES_KEPT = 1_000;

/**
 * The breakers' state and their pure judgement: `check(readings)` returns the breakers that trip
 * now (each trips once until `reset`); `recordOrder` feeds the rejection-rate windows.
 */
export class CircuitBreakers {
  private readonly specs: readonly (BreakerSpec & { readonly limit: Decimal })[];
  private readonly tripped = new Map<string, BreakerTrip>();
  private readonly outcomes = new Map<string | undefined, { at: number; rejected: boolean }[]>();
  private peakEquity: Decimal | undefined;

  /** Throws a `ConfigurationError` naming every spec that is not a breaker that can trip (see {@link checkBreakerSpecs}). */
  constructor(specs: readonly BreakerSpec[] = []) {
    this.specs = checkBreakerSpecs(specs);
  }

  get configured(): readonly BreakerSpec[] {
    return this.specs;
  }

  /** One order's outcome (accepted or rejected), for the rejection-rate breakers: the account's, and its strategy's. */
  recordOrder(strategyId: string | undefined, rejected: boolean, at: number): void {
    this.recordOutcome(undefined, at, rejected);
    // An order without a strategy counts once: twice in the account's window, it halved `minOrders`.
    if (strategyId !== undefined) this.recordOutcome(strategyId, at, rejected);
  }

  private recordOutcome(key: string | undefined, at: number, rejected: boolean): void {
    let list = this.outcomes.get(key);
    if (!list) this.outcomes.set(key, (list = []));
    list.push({ at, rejected });
    // Trimmed in batches: one entry dropped from the front of a full list on every order moved the
    // other 999 each time. Only the latest OUTCOMES_KEPT are judged (see measure).
    if (list.length >= 2 * OUTCOMES_KEPT) list.splice(0, list.length - OUTCOMES_KEPT);
  }

  /** The breakers that trip at these readings (not already tripped). */
  check(readings: BreakerReadings, at: number): BreakerTrip[] {
    if (!this.peakEquity || readings.equity.greaterThan(this.peakEquity)) this.peakEquity = readings.equity;
    const trips: BreakerTrip[] = [];
    for (const spec of this.specs) {
      if (this.tripped.has(spec.id)) continue;
      const value = this.measure(spec, readings, at);
      if (value === undefined || !value.greaterThanOrEqualTo(spec.limit)) continue;
      const trip: BreakerTrip = { id: spec.id, kind: spec.kind, value, threshold: spec.limit, actions: spec.actions, at, ...(spec.strategyId ? { strategyId: spec.strategyId } : {}) };
      this.tripped.set(spec.id, trip);
      trips.push(trip);
    }
    return trips;
  }

  /** After a restart: a breaker that had tripped stays tripped (only an operator's reset re-arms it). */
  restoreTrip(trip: BreakerTrip): boolean {
    if (!this.specs.some((s) => s.id === trip.id)) return false;
    this.tripped.set(trip.id, trip);
    return true;
  }

  /** Re-arms a tripped breaker (an operator's call). */
  reset(id: string): boolean {
    return this.tripped.delete(id);
  }

  trips(): BreakerTrip[] {
    return [...this.tripped.values()];
  }

  private measure(spec: BreakerSpec, r: BreakerReadings, at: number): Decimal | undefined {
    switch (spec.kind) {
      case 'drawdown':
        return this.peakEquity && this.peakEquity.greaterThan(0) ? this.peakEquity.minus(r.equity).dividedBy(this.peakEquity).times(100) : undefined;
      case 'daily_loss':
        return (spec.strategyId ? (r.strategyDailyPnl.get(spec.strategyId) ?? new Decimal(0)) : r.dailyPnl).negated();
      case 'position_size':
        return r.largestPositionPct;
      case 'volatility':
        return r.volatility;
      case 'rejection_rate': {
        // The latest OUTCOMES_KEPT orders, those in the window.
        const list = this.outcomes.get(spec.strategyId) ?? [];
        const since = at - (spec.windowMs ?? 300_000);
        let counted = 0;
        let rejected = 0;
        const oldest = Math.max(0, list.length - OUTCOMES_KEPT);
        for (let i = list.length - 1; i >= oldest; i--) {
          const outcome = list[i]!;
          if (outcome.at <= since) continue;
          counted++;
          if (outcome.rejected) rejected++;
        }
        if (counted < (spec.minOrders ?? 5)) return undefined;
        return new Decimal(rejected).dividedBy(counted);
      }
    }
  }
}

const KINDS: readonly BreakerKind[] = ['drawdown', 'daily_loss', 'rejection_rate', 'volatility', 'position_size'];
const ACTIONS: readonly BreakerAction[] = ['notify', 'reduce_only', 'halt_new_orders', 'cancel_open_orders', 'close_all_positions'];

/**
 * The specs with their thresholds as decimals, or a `ConfigurationError` naming each field that
 * would leave a breaker unable to trip, or tripping at once — checked when the engine is made, not
 * found out in a drawdown: an unknown kind (never measured), a duplicate id (the first one's trip
 * kept the other from being judged), a threshold that is not positive (a 0 % drawdown trips at the
 * first reading), a rejection share above 1, no or unknown actions, a window or minimum that is
 * not a positive whole number, or one given to a breaker that has none.
 */
function checkBreakerSpecs(specs: readonly BreakerSpec[]): (BreakerSpec & { readonly limit: Decimal })[] {
  if (!Array.isArray(specs)) throw new ConfigurationError([{ field: 'breakers', message: `must be a list of breaker specs, got ${String(specs)}` }]);
  const issues: ValidationIssue[] = [];
  const ids = new Set<string>();
  const checked = specs.map((spec: BreakerSpec | undefined, i) => {
    const at = (field: string): string => `breakers[${i}].${field}`;
    if (typeof spec !== 'object' || spec === null) {
      issues.push({ field: `breakers[${i}]`, message: `must be { id, kind, threshold, actions }, got ${String(spec)}` });
      return undefined;
    }
    if (typeof spec.id !== 'string' || spec.id === '') issues.push({ field: at('id'), message: `must be a non-empty string, got ${JSON.stringify(spec.id) ?? String(spec.id)}` });
    else if (ids.has(spec.id)) issues.push({ field: at('id'), message: `${JSON.stringify(spec.id)} is used by another breaker (a trip is kept by id: the other would not be judged)` });
    else ids.add(spec.id);
    if (!KINDS.includes(spec.kind)) issues.push({ field: at('kind'), message: `must be one of ${KINDS.join(', ')}, got ${JSON.stringify(spec.kind) ?? String(spec.kind)}` });
    const limit =
      spec.kind === 'rejection_rate'
        ? parseDecimalIn(spec.threshold, at('threshold'), (d) => d.greaterThan(0) && d.lessThanOrEqualTo(1), 'a share of orders rejected in (0, 1] (0.5 for half)', issues)
        : parseDecimalIn(spec.threshold, at('threshold'), (d) => d.greaterThan(0), 'positive (it trips at a reading at or above it)', issues);
    if (!Array.isArray(spec.actions) || spec.actions.length === 0) issues.push({ field: at('actions'), message: `must list what it does when it trips (${ACTIONS.join(', ')})` });
    else spec.actions.forEach((action, j) => {
      if (!ACTIONS.includes(action)) issues.push({ field: at(`actions[${j}]`), message: `must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(action) ?? String(action)}` });
    });
    if (spec.strategyId !== undefined && (typeof spec.strategyId !== 'string' || spec.strategyId === '')) issues.push({ field: at('strategyId'), message: 'must be a non-empty string when given' });
    for (const field of ['windowMs', 'minOrders'] as const) {
      if (spec[field] !== undefined && spec.kind !== 'rejection_rate') issues.push({ field: at(field), message: `is for rejection_rate breakers only, this one is ${String(spec.kind)}` });
      else checkWholeNumber(spec[field], at(field), 1, issues);
    }
    return limit ? { ...spec, limit } : undefined;
  });
  if (issues.length > 0) throw new ConfigurationError(issues);
  return checked as (BreakerSpec & { readonly limit: Decimal })[];
}
