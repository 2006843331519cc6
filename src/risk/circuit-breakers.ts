import { Decimal, type DecimalInput, toDecimal } from '../core/decimal.js';

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

  constructor(specs: readonly BreakerSpec[] = []) {
    this.specs = specs.map((s) => ({ ...s, limit: toDecimal(s.threshold, `breaker ${s.id} threshold`) }));
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
