import type { Clock } from '../core/clock.js';
import { Decimal, ZERO } from '../core/decimal.js';
import { describeError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../events/event-bus.js';
import type { AlertEvents } from '../events/alert.js';
import type { Journal, JournalEntry, JournalRecord } from '../journal/journal.js';
import type { Order } from '../model/order.js';
import type { PositionManager } from '../positions/position-manager.js';
import { type BreakerReadings, type BreakerTrip, CircuitBreakers } from '../risk/circuit-breakers.js';
import { RiskOrderManager } from '../risk/risk-order-manager.js';
import type { EngineStateEvents } from './engine-events.js';
import type { OrderLifecycleManager } from './order-lifecycle-manager.js';

/** What a tripped breaker may do, carried out by the engine. */
export interface BreakerActions {
  halt(reason: string): Promise<void>;
  reduceOnly(reason: string): void;
  workingOrders(): Order[];
  cancel(clientOrderId: string, reason: string): Promise<unknown>;
  forceClose(symbol: string, reason: string): Promise<unknown>;
  /** The kill switch's own closing orders: a breaker's cancel-all leaves them alone. */
  isEmergencyOrder(clientOrderId: string): boolean;
}

/** No strategy's daily P&L: what the readings carry when no strategy breaker is configured. */
const NO_STRATEGIES: ReadonlyMap<string, Decimal> = new Map();

/**
 * Runs the circuit breakers: reads P&L, equity, the largest position and the host's volatility
 * measure whenever they change (internal hooks on orders and positions, not bus listeners), and
 * carries out a trip's actions in order — notify, reduce-only, halt (the engine, or only the
 * breaker's strategy), cancel open orders, close positions.
 */
export class BreakerGuard {
  /** Strategies stopped by their own breaker (new entries refused; exits pass). */
  private readonly blockedStrategies = new Map<string, string>();
  private volatility: Decimal | undefined;
  /** Whether a configured breaker measures the largest position / a strategy's P&L: read on every mark only then. */
  private readonly readsLargest: boolean;
  private readonly readsStrategies: boolean;

  constructor(
    readonly breakers: CircuitBreakers,
    private readonly deps: {
      readonly clock: Clock;
      readonly journal: Journal;
      readonly logger: Logger;
      readonly events: EventSink<EngineStateEvents & AlertEvents>;
      readonly orders: OrderLifecycleManager;
      readonly positions: PositionManager;
      /** Account equity from the last snapshot. */
      readonly equity: () => Decimal | undefined;
      readonly actions: BreakerActions;
    },
  ) {
    this.readsLargest = breakers.configured.some((spec) => spec.kind === 'position_size');
    this.readsStrategies = breakers.configured.some((spec) => spec.kind === 'daily_loss' && spec.strategyId !== undefined);
    // Without breakers there is nothing to read: no hook on the hot path.
    if (breakers.configured.length === 0) return;
    deps.positions.addHook({ name: 'breakers', pnlChanged: () => this.check() });
    // Rejection rates count accepted and rejected orders; without a rejection-rate breaker, no hook on every order.
    if (!breakers.configured.some((spec) => spec.kind === 'rejection_rate')) return;
    deps.orders.addHook({
      name: 'breakers',
      orderChanged: ({ order, event }) => {
        if (event.type === 'accepted') this.breakers.recordOrder(order.strategyId, false, deps.clock.now());
        else if (event.type === 'rejected') {
          this.breakers.recordOrder(order.strategyId, true, deps.clock.now());
          this.check();
        }
      },
    });
  }

  /** Why a strategy's new entries are refused, if its breaker stopped it. */
  blocked(strategyId: string): string | undefined {
    return this.blockedStrategies.get(strategyId);
  }

  /** A host-supplied volatility reading (zero or more: the engine checked it). */
  reportVolatility(value: Decimal): void {
    this.volatility = value;
    this.check();
  }

  /**
   * After a restart: the breakers that had tripped (and were not reset since) stay tripped, and
   * a strategy a breaker stopped stays stopped — as before the restart, until an operator resets it.
   * A halt or reduce-only a trip caused comes back with the trading state.
   */
  restore(records: readonly JournalRecord[]): BreakerTrip[] {
    const standing = new Map<string, BreakerTrip>();
    for (const record of records) {
      if (record.kind !== 'note') continue;
      const data = record.data as Record<string, unknown> | undefined;
      if (record.topic === 'breaker.tripped' && data && typeof data.id === 'string') {
        standing.set(data.id, { ...(data as unknown as BreakerTrip), value: new Decimal(String(data.value)), threshold: new Decimal(String(data.threshold)) });
      } else if (record.topic === 'breaker.reset' && data && typeof data.id === 'string') standing.delete(data.id);
    }
    const restored: BreakerTrip[] = [];
    for (const trip of standing.values()) {
      if (!this.breakers.restoreTrip(trip)) continue;
      restored.push(trip);
      if (trip.strategyId && trip.actions.includes('halt_new_orders')) {
        this.blockedStrategies.set(trip.strategyId, `breaker ${trip.id} (strategy ${trip.strategyId}): ${trip.kind} ${trip.value.toFixed(2)} ≥ ${trip.threshold.toString()} (before the restart)`);
      }
    }
    return restored;
  }

  /** The trips standing now, as the notes a journal checkpoint carries forward. */
  checkpointNotes(at: number): JournalEntry[] {
    return this.breakers.trips().map((trip) => ({ kind: 'note', at, topic: 'breaker.tripped', data: { ...trip, value: trip.value.toString(), threshold: trip.threshold.toString() } }));
  }

  /**
   * Re-arms a tripped breaker and lifts its strategy block: true when it had tripped, false when it
   * was armed. An id no breaker has is a {@link ValidationError}: an operator's typo must not pass
   * for a reset while the strategy stays stopped.
   */
  reset(id: string): boolean {
    if (!this.breakers.configured.some((spec) => spec.id === id)) {
      const known = this.breakers.configured.map((spec) => spec.id);
      throw new ValidationError([{ field: 'id', message: `is not a configured breaker, got ${typeof id === 'string' ? JSON.stringify(id) : typeof id} (${known.length ? `configured: ${known.join(', ')}` : 'none configured'})` }], 'breaker reset');
    }
    const trip = this.breakers.trips().find((t) => t.id === id);
    if (!this.breakers.reset(id)) return false;
    if (trip?.strategyId) this.blockedStrategies.delete(trip.strategyId);
    this.deps.journal.append({ kind: 'note', at: this.deps.clock.now(), topic: 'breaker.reset', data: { id } });
    return true;
  }

  check(): void {
    if (this.breakers.configured.length === 0) return;
    const { positions } = this.deps;
    const pnl = positions.pnl();
    const equity = (pnl.startOfDayEquity ?? this.deps.equity() ?? ZERO).plus(pnl.daily);
    // Read on every fill and every mark: what only some breakers measure is asked only when one is
    // configured, and the book keeps it (walking the positions each time cost ≈ 830 µs a tick
    // beside 1 000 positions, against ≈ 4 without breakers; docs/benchmarks.md).
    const largest = this.readsLargest ? positions.largestPositionValue() : ZERO;
    const readings: BreakerReadings = {
      equity,
      dailyPnl: pnl.daily,
      strategyDailyPnl: this.readsStrategies ? positions.strategyDailyPnl() : NO_STRATEGIES,
      largestPositionPct: equity.greaterThan(0) ? largest.dividedBy(equity).times(100) : ZERO,
      volatility: this.volatility,
    };
    for (const trip of this.breakers.check(readings, this.deps.clock.now())) void this.onTrip(trip);
  }

  /** A breaker tripped: journal it, announce it, then run its actions in order. */
  private async onTrip(trip: BreakerTrip): Promise<void> {
    const { journal, events, actions, positions } = this.deps;
    const scope = trip.strategyId ? ` (strategy ${trip.strategyId})` : '';
    const reason = `breaker ${trip.id}${scope}: ${trip.kind} ${trip.value.toFixed(2)} ≥ ${trip.threshold.toString()}`;
    journal.append({ kind: 'note', at: trip.at, topic: 'breaker.tripped', data: { ...trip, value: trip.value.toString(), threshold: trip.threshold.toString() } });
    events.emit('breaker:tripped', trip);
    const mine = (strategyId: string | undefined): boolean => !trip.strategyId || strategyId === trip.strategyId;
    // Each action runs whatever the one before it did: a failed cancel must not keep the positions open.
    for (const action of trip.actions) {
      try {
        if (action === 'notify') events.emit('alert', { severity: 'critical', code: 'breaker_tripped', message: reason });
        else if (action === 'reduce_only') actions.reduceOnly(reason);
        else if (action === 'halt_new_orders') {
          if (trip.strategyId) this.blockedStrategies.set(trip.strategyId, reason);
          else await actions.halt(reason);
        } else if (action === 'cancel_open_orders') {
          // Together: one broker round trip for every order, not one after another. Stops and targets
          // stay — protection's, a bracket's legs (an unfilled entry's go with it): they only take risk
          // off; close_all_positions takes them with the positions.
          const cancels = actions.workingOrders().filter((order) => mine(order.strategyId) && !actions.isEmergencyOrder(order.clientOrderId) && !RiskOrderManager.isProtective(order) && order.links.parentId === undefined);
          await this.settleAll(trip, action, cancels.map((order) => actions.cancel(order.clientOrderId, reason)));
        } else if (action === 'close_all_positions') {
          // Every position at once, each to its own end: one that cannot be closed leaves none of the others open.
          const closes = positions.openPositions().filter((position) => mine(position.strategyId));
          await this.settleAll(trip, action, closes.map((position) => actions.forceClose(position.symbol, reason)));
        }
      } catch (error) {
        this.deps.logger.error(`breaker ${trip.id}: ${action} failed`, { error: describeError(error) });
      }
    }
  }

  /** Waits for every one of an action's requests; each failure is logged, none stops the others. */
  private async settleAll(trip: BreakerTrip, action: string, requests: readonly Promise<unknown>[]): Promise<void> {
    for (const result of await Promise.allSettled(requests)) {
      if (result.status === 'rejected') this.deps.logger.error(`breaker ${trip.id}: ${action} failed`, { error: describeError(result.reason) });
    }
  }
}
