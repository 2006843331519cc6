import { appended } from '../core/appended.js';
import { AnnounceInOrder } from '../core/announce-in-order.js';
import type { Clock } from '../core/clock.js';
import { addExactly, compareDecimal, Decimal, isAboveZero, roundedToPrecision, subtractExactly, ZERO } from '../core/decimal.js';
import type { IdGenerator } from '../core/ids.js';
import { EMPTY_LIST } from '../core/empty.js';
import type { Mutable } from '../core/mutable.js';
import type { EventSink } from '../events/event-bus.js';
import { HookList, type InternalFailureHandler } from '../core/internal-hooks.js';
import type { PnlSnapshot, PositionChangeReason, PositionEvents } from './position-events.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { AssetClass } from '../model/trading-types.js';
import { applyPositionFill, markPosition } from './apply-position-fill.js';
import { entrySide, type Position, type PositionFill, type PositionSide, positionValue, shapePosition } from './position.js';
import type { PositionCheckpoint } from './position-checkpoint.js';
import { CLOSED_POSITIONS_KEPT, InMemoryPositionRepository, type PositionHistoryQuery, type PositionRepository } from './position-repository.js';
import { nextPositionState, type PositionEventType } from './position-state-table.js';
import { TradingDay } from './trading-day.js';

export interface PositionManagerOptions {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventSink<PositionEvents>;
  readonly accountId?: string;
  /** When an internal hook (see {@link PositionManager.addHook}) throws. Default: rethrown. */
  readonly onInternalFailure?: InternalFailureHandler;
  /** Where closed positions go; default in memory, the newest 10 000 (`InMemoryPositionRepository(10_000)`: a long-running engine does not grow without bound). */
  readonly repository?: PositionRepository;
  /** Hears every position stored or dropped (undefined), by symbol and id, restores included: what exposure totals re-read. */
  readonly onStored?: (symbol: string, id: string, position: Position | undefined) => void;
  /** The trading day's time zone, for the daily P&L reset. Default America/New_York. */
  readonly timeZone?: string;
  /** Account equity now, captured as start-of-day equity when the trading day rolls over. */
  readonly equity?: () => Decimal | undefined;
}

/** Signal details a position keeps about why it was opened. */
export interface PositionEntryContext {
  readonly signalId?: string;
  readonly signalStrength?: number;
  readonly strategyId?: string;
  readonly stopPrice?: Decimal;
  readonly targetPrice?: Decimal;
}

/** One change of a position, as the engine's own components hear of it. */
export interface PositionChange {
  readonly position: Position;
  readonly reason: PositionChangeReason;
  /** PENDING_ENTRY → OPEN on this change. */
  readonly opened: boolean;
  /** → CLOSED on this change. */
  readonly closed: boolean;
}

/**
 * The engine's own reaction to a position change (protection, breakers), called in the order hooks
 * were added, before the public bus.
 */
export interface PositionHook {
  readonly name: string;
  positionChanged?(change: PositionChange): void;
  /** Realized P&L changed (a fill realized some, or a position closed), or a mark moved unrealized P&L. */
  pnlChanged?(): void;
}

interface OrderLink {
  readonly positionId: string;
  readonly role: 'entry' | 'exit';
}

/**
 * Positions per symbol on one account, long or short, kept from fills at average cost.
 * Fills update them (scale-in re-averages, scale-out realizes P&L net of commission), prices
 * mark them to market, and daily P&L resets at the trading-day boundary. Closed positions go to
 * the repository. Emits `position:opened`, `position:updated`, `position:closed`, `pnl:updated`.
 */
export class PositionManager {
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly events: EventSink<PositionEvents>;
  private readonly hooks: HookList<PositionHook>;
  /** Rebuilding from the journal: nothing is announced (it is not news). */
  private quiet = false;
  /** The bus's (or its own): changes emitted in the order applied, also those a hook makes while handling another. */
  private readonly inOrder: AnnounceInOrder;
  private readonly announceChange = (change: PositionChange): void => this.emitChange(change);
  private readonly announcePnl = (): void => {
    if (this.events.listenerCount('pnl:updated') > 0) this.events.emit('pnl:updated', this.pnl());
  };
  private readonly accountId: string;
  private readonly repository: PositionRepository;
  private readonly day: TradingDay;
  private readonly equity: () => Decimal | undefined;

  private readonly active = new Map<string, Position>();
  /** Σ |quantity| × (current, else average) price over `active`, and Σ unrealized P&L: kept by put/drop. */
  private exposureTotal: Decimal = ZERO;
  private unrealizedTotal: Decimal = ZERO;
  private readonly bySymbol = new Map<string, string>();
  /** Working orders linked to their position; every link's order is also in that position's `orderIds` (trackEntry / trackExit add both). */
  private readonly links = new Map<string, OrderLink>();
  private readonly stored: ((symbol: string, id: string, position: Position | undefined) => void) | undefined;
  private realizedToday = ZERO;
  private readonly realizedTodayByStrategy = new Map<string, Decimal>();
  private realizedTotal = ZERO;
  /**
   * The active positions' count and Σ unrealized P&L by strategy, kept by put/drop once
   * {@link strategyDailyPnl} is first asked (a strategy's daily-loss breaker asks on every mark:
   * walking the book each time cost ≈ 0.3 µs a position a tick). Undefined until then.
   */
  private byStrategy: Map<string, { positions: number; unrealized: Decimal }> | undefined;
  /**
   * The most valuable active position, kept by put/drop once {@link largestPositionValue} is first
   * asked (a position-size breaker asks on every mark); `stale` when that position lost value or
   * went, so the next question looks at every position again — on a mark of one symbol in n, that is
   * rare. Undefined until asked.
   */
  private largest: { id: string | undefined; value: Decimal; stale: boolean } | undefined;
  private unrealizedAtDayStart = ZERO;
  private startOfDayEquity: Decimal | undefined;

  constructor(options: PositionManagerOptions) {
    this.clock = options.clock;
    this.ids = options.ids;
    this.events = options.events;
    this.inOrder = options.events.announcements ?? new AnnounceInOrder();
    this.accountId = options.accountId ?? 'default';
    this.repository = options.repository ?? new InMemoryPositionRepository(CLOSED_POSITIONS_KEPT);
    this.stored = options.onStored;
    this.day = new TradingDay(options.timeZone);
    this.equity = options.equity ?? (() => undefined);
    this.hooks = new HookList(
      options.onInternalFailure ??
        (({ error }) => {
          throw error;
        }),
    );
    this.rollDay(this.clock.now());
  }

  /** Adds an internal hook, called on every change after those added before it. */
  addHook(hook: PositionHook): void {
    this.hooks.add(hook);
  }

  /**
   * Runs `work` (rebuilding positions from journaled fills after a restart) without announcing
   * anything: no hook and no host hears of history as if it were news.
   */
  restoring<T>(work: () => T): T {
    this.quiet = true;
    try {
      return work();
    } finally {
      this.quiet = false;
    }
  }

  /**
   * Links an entry order to the symbol's position (a new PENDING_ENTRY one, or the open one it scales
   * into). An entry of the other side while a position is open — one still working after a
   * reconciliation closed its own position and the broker's took its place, re-linked by a restart —
   * is left unlinked: its fills reduce the open position first, then open the other side, as any
   * unlinked fill does (a new position here would leave the open one unreachable by its symbol).
   */
  trackEntry(order: Order, context: PositionEntryContext = {}): Position {
    const side: PositionSide = order.side === 'buy' ? 'long' : 'short';
    const existing = this.get(order.symbol);
    if (existing && existing.side !== side && existing.quantity.greaterThan(0)) return existing;
    // One position a symbol: an entry of the other side while one is still pending with nothing held
    // joins it (the first to fill sets its side, see applyTo). A second position took the symbol's
    // place, and once its entry ended unfilled the first was no longer the symbol's — its fills
    // then held shares that `get` did not see.
    const position = existing ?? this.create(order.symbol, order.assetClass, side, context);
    this.links.set(order.clientOrderId, { positionId: position.id, role: 'entry' });
    return this.transition(position, 'entry_submitted', 'state', position.state, addId(position.orderIds, order.clientOrderId));
  }

  /** Links an exit order to the symbol's position (PENDING_EXIT while it works). */
  trackExit(order: Order): Position | undefined {
    const position = this.get(order.symbol);
    if (!position || position.state === 'PENDING_ENTRY') return undefined;
    this.links.set(order.clientOrderId, { positionId: position.id, role: 'exit' });
    return this.transition(position, 'exit_submitted', 'state', position.state, addId(position.orderIds, order.clientOrderId));
  }

  /**
   * After a restart, once the working orders are linked again: a position the checkpoint left
   * pending on an entry (or an exit) no working order of that role is linked to any more — the order
   * ended after the checkpoint, and an ended order is not linked again — ends that wait as it would
   * have live: an entry that filled nothing leaves nothing, an exit that ended leaves the position open.
   * Left pending, a long of nothing waited for good on an entry long cancelled.
   */
  settlePendingWithoutOrders(): void {
    for (const position of [...this.active.values()]) {
      if (position.state !== 'PENDING_ENTRY' && position.state !== 'PENDING_EXIT') continue;
      const role = position.state === 'PENDING_ENTRY' ? 'entry' : 'exit';
      if (!this.waitsOn(position, role)) this.transition(position, role === 'entry' ? 'entry_ended' : 'exit_ended', 'state');
    }
  }

  /**
   * True while an order of `role` linked to `position` still works. The position's own orders are
   * walked (every link is one of them), not every link: that made each order's end O(working
   * orders), and cancelling a book of resting entries quadratic.
   */
  private waitsOn(position: Position, role: OrderLink['role']): boolean {
    for (const id of position.orderIds) {
      const link = this.links.get(id);
      if (link !== undefined && link.positionId === position.id && link.role === role) return true;
    }
    return false;
  }

  /** Applies an execution of `order` (linked or not: an order placed elsewhere still moves the position). */
  applyFill(order: Order, fill: Fill): void {
    this.rollDay(fill.time);
    const positionFill: PositionFill = {
      executionId: fill.executionId,
      clientOrderId: order.clientOrderId,
      side: order.side,
      quantity: fill.quantity,
      price: fill.price,
      commission: fill.commission,
      time: fill.time,
    };
    const link = this.links.get(order.clientOrderId);
    const linked = link ? this.active.get(link.positionId) : undefined;
    let position = linked ?? this.get(order.symbol);
    // Not tracked (a replay after a restart, an order placed elsewhere): the order says what it can of why.
    if (!position) position = this.create(order.symbol, order.assetClass, order.side === 'buy' ? 'long' : 'short', { ...(order.signalId ? { signalId: order.signalId } : {}), ...(order.strategyId ? { strategyId: order.strategyId } : {}) });
    this.applyTo(position, positionFill, order.assetClass);
  }

  /** An order linked to a position ended (cancelled, expired, rejected, failed, or filled). */
  orderEnded(order: Order): void {
    const link = this.links.get(order.clientOrderId);
    if (!link) return;
    this.links.delete(order.clientOrderId);
    const position = this.active.get(link.positionId);
    // A filled entry changed the state with its fill; a filled exit that left the position open (it
    // grew while the exit worked: shares bought elsewhere) ends like an exit cancelled part-way.
    if (!position || (order.status === 'filled' && link.role === 'entry')) return;
    // Another order of the same role still working keeps the pending state.
    if (this.waitsOn(position, link.role)) return;
    this.transition(position, link.role === 'entry' ? 'entry_ended' : 'exit_ended', 'state');
  }

  /** Marks the symbol's position to `price`. */
  markPrice(symbol: string, price: Decimal): void {
    const position = this.get(symbol);
    if (!position) return;
    const marked = markPosition(position, price, this.clock.now());
    this.put(marked);
    this.announce(marked, 'mark', false, false);
    this.emitPnl();
  }

  /**
   * Takes the broker's view of one symbol as the truth (reconciliation): the local position gets
   * the broker's signed quantity and average price — created, resized, flipped or closed as needed —
   * through the position state table's `reconciled` event. Realized P&L already booked is kept.
   * Emits `position:updated` with reason `reconciled`.
   */
  adopt(symbol: string, assetClass: AssetClass, signedQuantity: Decimal, averagePrice: Decimal): Position | undefined {
    const local = this.get(symbol);
    const now = this.clock.now();
    if (signedQuantity.isZero()) {
      if (!local) return undefined;
      const flat = shapePosition(local) as Mutable<Position>;
      flat.quantity = ZERO;
      flat.unrealizedPnl = ZERO;
      return this.transition(flat, 'reconciled', 'reconciled', local.state);
    }
    const side: PositionSide = signedQuantity.isPositive() ? 'long' : 'short';
    const base = local && local.side === side ? local : undefined;
    if (local && !base) {
      this.adopt(symbol, assetClass, ZERO, ZERO);
      // A hook or listener of that close opened the symbol again (a signal sent from it): the
      // broker's picture predates that position's order, so it is not adopted beside it — one
      // position per symbol; the next reconciliation compares them.
      if (this.get(symbol)) return undefined;
    }
    const position = base ?? this.create(symbol, assetClass, side, {});
    const resized = shapePosition(position) as Mutable<Position>;
    resized.quantity = signedQuantity.abs();
    resized.averageEntryPrice = averagePrice;
    resized.entryTime = position.entryTime ?? now;
    return this.transition(markPosition(resized, position.currentPrice ?? averagePrice, now), 'reconciled', 'reconciled', position.state);
  }

  /** Records where the position's stop and target are (for hosts that draw them). */
  setProtection(symbol: string, protection: { stopPrice?: Decimal; targetPrice?: Decimal }): Position | undefined {
    const position = this.get(symbol);
    if (!position) return undefined;
    const next = shapePosition(position) as Mutable<Position>;
    if (protection.stopPrice) next.stopPrice = protection.stopPrice;
    if (protection.targetPrice) next.targetPrice = protection.targetPrice;
    next.updatedAt = this.clock.now();
    this.put(next);
    this.announce(next, 'protection', false, false);
    return next;
  }

  /** The symbol's position that is not closed, if any. */
  get(symbol: string): Position | undefined {
    const id = this.bySymbol.get(symbol);
    return id === undefined ? undefined : this.active.get(id);
  }

  /** Positions not yet closed (pending entry, open, pending exit). */
  list(): Position[] {
    return [...this.active.values()];
  }

  /** How many positions are not yet closed. */
  get count(): number {
    return this.active.size;
  }

  /** Positions holding quantity (open or pending exit). */
  openPositions(): Position[] {
    return this.list().filter((p) => p.quantity.greaterThan(0));
  }

  /** Σ |quantity| × price (current, else average cost) over open positions. */
  exposure(): Decimal {
    return roundedToPrecision(this.exposureTotal);
  }

  /**
   * Every change to the active positions goes through here, keeping Σ exposure as a running total:
   * the exposure checks run for every signal, and summing the book each time made a batch that
   * opens n positions cost O(n²) (docs/benchmarks.md#batches). The totals are kept exact (see
   * addExactly) and read rounded once: the positions' exact sum to the last digit, also with an
   * average cost that does not terminate, whatever order the changes came in.
   */
  private put(position: Position): void {
    const previous = this.active.get(position.id);
    this.active.set(position.id, position);
    this.stored?.(position.symbol, position.id, position);
    // A change of state alone (an order linked, an exit submitted) moves neither total: no arithmetic.
    if (previous && sameValue(previous, position) && previous.strategyId === position.strategyId) return;
    if (previous) {
      this.exposureTotal = subtractExactly(this.exposureTotal, positionValue(previous));
      this.unrealizedTotal = subtractExactly(this.unrealizedTotal, previous.unrealizedPnl);
      if (this.byStrategy) this.countStrategy(previous, -1);
    }
    const value = positionValue(position);
    this.exposureTotal = addExactly(this.exposureTotal, value);
    this.unrealizedTotal = addExactly(this.unrealizedTotal, position.unrealizedPnl);
    if (this.byStrategy) this.countStrategy(position, 1);
    const largest = this.largest;
    if (largest && !largest.stale) {
      if (largest.id === position.id ? compareDecimal(value, largest.value) >= 0 : compareDecimal(value, largest.value) > 0) this.largest = { id: position.id, value, stale: false };
      else if (largest.id === position.id) largest.stale = true;
    }
  }

  /** The value (|quantity| × price, current else average cost) of the most valuable position not closed; zero without one. */
  largestPositionValue(): Decimal {
    if (!this.largest || this.largest.stale) {
      let top: { id: string | undefined; value: Decimal; stale: boolean } = { id: undefined, value: ZERO, stale: false };
      for (const p of this.active.values()) {
        const value = positionValue(p);
        if (compareDecimal(value, top.value) > 0) top = { id: p.id, value, stale: false };
      }
      this.largest = top;
    }
    return this.largest.value;
  }

  /** Adds (1) or takes out (-1) a position's part of its strategy's count and unrealized P&L. */
  private countStrategy(position: Position, sign: 1 | -1): void {
    const id = position.strategyId;
    if (!id) return;
    const kept = this.byStrategy!.get(id);
    if (!kept) {
      if (sign === 1) this.byStrategy!.set(id, { positions: 1, unrealized: position.unrealizedPnl });
    } else if (sign === -1 && kept.positions <= 1) this.byStrategy!.delete(id);
    else {
      kept.positions += sign;
      kept.unrealized = sign === 1 ? addExactly(kept.unrealized, position.unrealizedPnl) : subtractExactly(kept.unrealized, position.unrealizedPnl);
    }
  }

  private drop(id: string): void {
    const previous = this.active.get(id);
    if (!previous) return;
    this.exposureTotal = subtractExactly(this.exposureTotal, positionValue(previous));
    this.unrealizedTotal = subtractExactly(this.unrealizedTotal, previous.unrealizedPnl);
    if (this.byStrategy) this.countStrategy(previous, -1);
    if (this.largest?.id === id) this.largest.stale = true;
    this.active.delete(id);
    this.stored?.(previous.symbol, id, undefined);
  }

  /** Closed positions, newest last. */
  history(query?: PositionHistoryQuery): Position[] {
    return this.repository.query(query);
  }

  /** Today's and all-time P&L, in the account currency. */
  pnl(): PnlSnapshot {
    const { key } = this.rollDay(this.clock.now());
    const unrealized = this.unrealizedTotal;
    const snapshot: Mutable<PnlSnapshot> = {
      tradingDay: key,
      // Kept exact (see addExactly), told rounded once: the exact sum to decimal.js's precision.
      realizedToday: roundedToPrecision(this.realizedToday),
      unrealized: roundedToPrecision(unrealized),
      daily: roundedToPrecision(subtractExactly(addExactly(this.realizedToday, unrealized), this.unrealizedAtDayStart)),
      realizedTotal: roundedToPrecision(this.realizedTotal),
    };
    if (this.startOfDayEquity) snapshot.startOfDayEquity = this.startOfDayEquity;
    return snapshot;
  }

  /** Today's P&L per strategy: realized today plus the unrealized P&L of its open positions. */
  strategyDailyPnl(): Map<string, Decimal> {
    this.rollDay(this.clock.now());
    if (!this.byStrategy) {
      this.byStrategy = new Map();
      for (const p of this.active.values()) this.countStrategy(p, 1);
    }
    const out = new Map<string, Decimal>();
    for (const [id, realized] of this.realizedTodayByStrategy) out.set(id, roundedToPrecision(addExactly(realized, this.byStrategy.get(id)?.unrealized ?? ZERO)));
    for (const [id, { unrealized }] of this.byStrategy) if (!out.has(id)) out.set(id, roundedToPrecision(unrealized));
    return out;
  }

  /** Sets the equity today's loss limit is measured against (the engine does this from the account). */
  /** The state a journal checkpoint stands for: open positions and the P&L counters. */
  checkpoint(): PositionCheckpoint {
    return {
      at: this.clock.now(),
      positions: [...this.active.values()],
      realizedToday: this.realizedToday,
      realizedTodayByStrategy: [...this.realizedTodayByStrategy],
      realizedTotal: this.realizedTotal,
      unrealizedAtDayStart: this.unrealizedAtDayStart,
      ...(this.startOfDayEquity ? { startOfDayEquity: this.startOfDayEquity } : {}),
    };
  }

  /**
   * After a restart from a journal checkpoint: takes its positions and counters back, quietly (the
   * fills after the checkpoint are applied next, and the working orders' links re-made by
   * `trackEntry` / `trackExit`). Positions already tracked are kept as they are.
   */
  restoreCheckpoint(checkpoint: PositionCheckpoint): void {
    for (const position of checkpoint.positions) {
      if (this.active.has(position.id) || this.bySymbol.has(position.symbol)) continue;
      this.put(position);
      this.bySymbol.set(position.symbol, position.id);
    }
    this.realizedTotal = checkpoint.realizedTotal;
    // Today's counters only if the checkpoint was taken today (the trading day has not rolled since).
    if (this.day.keyOf(checkpoint.at) === this.day.keyOf(this.clock.now())) {
      this.realizedToday = checkpoint.realizedToday;
      this.realizedTodayByStrategy.clear();
      for (const [id, amount] of checkpoint.realizedTodayByStrategy) this.realizedTodayByStrategy.set(id, amount);
      this.unrealizedAtDayStart = checkpoint.unrealizedAtDayStart;
      if (checkpoint.startOfDayEquity && !this.startOfDayEquity) this.startOfDayEquity = checkpoint.startOfDayEquity;
    }
  }

  setStartOfDayEquity(equity: Decimal): void {
    this.startOfDayEquity = equity;
  }

  get startOfDay(): Decimal | undefined {
    return this.startOfDayEquity;
  }

  private applyTo(tracked: Position, fill: PositionFill, assetClass: AssetClass): void {
    // Entries of both sides pending with nothing held (see trackEntry): the first fill sets the side —
    // without the other side's stop and target (a long's stop below the entry would not guard a short).
    const flips = tracked.state === 'PENDING_ENTRY' && tracked.quantity.isZero() && fill.side !== entrySide(tracked.side);
    const position = flips ? shapePosition({ ...tracked, side: tracked.side === 'long' ? 'short' : 'long', stopPrice: undefined, targetPrice: undefined }) : tracked;
    const result = applyPositionFill(position, fill);
    if (result.duplicate) return;
    const entry = fill.side === entrySide(position.side);
    const event: PositionEventType = entry ? 'entry_filled' : 'exit_filled';
    const updated = this.transition(result.position, event, 'fill', position.state);
    if (!result.realized.isZero()) {
      this.realizedToday = addExactly(this.realizedToday, result.realized);
      this.realizedTotal = addExactly(this.realizedTotal, result.realized);
      if (position.strategyId) this.realizedTodayByStrategy.set(position.strategyId, addExactly(this.realizedTodayByStrategy.get(position.strategyId) ?? ZERO, result.realized));
    }
    if (updated.state === 'CLOSED' || !result.realized.isZero()) this.emitPnl();
    if (isAboveZero(result.excess)) {
      // Sold (or bought) through flat: the rest opens the other side.
      const reversed = this.create(position.symbol, assetClass, position.side === 'long' ? 'short' : 'long', {});
      const commission = fill.commission.times(result.excess).dividedBy(fill.quantity);
      this.applyTo(reversed, { ...fill, executionId: `${fill.executionId}:reversal`, quantity: result.excess, commission }, assetClass);
    }
  }

  private create(symbol: string, assetClass: AssetClass, side: PositionSide, context: PositionEntryContext): Position {
    const now = this.clock.now();
    const position = shapePosition({
      id: this.ids.next('pos'),
      accountId: this.accountId,
      symbol,
      assetClass,
      side,
      state: 'PENDING_ENTRY',
      quantity: ZERO,
      averageEntryPrice: ZERO,
      entryTime: undefined,
      createdAt: now,
      updatedAt: now,
      closedAt: undefined,
      signalId: context.signalId || undefined,
      signalStrength: context.signalStrength,
      strategyId: context.strategyId || undefined,
      currentPrice: undefined,
      unrealizedPnl: ZERO,
      realizedPnl: ZERO,
      commission: ZERO,
      openEntryCommission: ZERO,
      stopPrice: context.stopPrice || undefined,
      targetPrice: context.targetPrice || undefined,
      fills: EMPTY_LIST,
      orderIds: EMPTY_LIST,
    });
    this.put(position);
    this.bySymbol.set(symbol, position.id);
    return position;
  }

  /** Applies a position event through the state table, stores the result and emits. */
  private transition(position: Position, event: PositionEventType, reason: PositionChangeReason, before = position.state, orderIds?: readonly string[]): Position {
    const flat = position.quantity.isZero();
    const state = nextPositionState(position.id, position.state, event, flat);
    const now = this.clock.now();
    // One copy, then the changed keys written into it (one hidden class for every position; see shapePosition).
    const next = shapePosition(position) as Mutable<Position>;
    next.state = state;
    next.updatedAt = Math.max(position.updatedAt, now);
    if (orderIds) next.orderIds = orderIds;
    if (state === 'CLOSED' && !position.closedAt) next.closedAt = now;
    if (state === 'CLOSED') {
      this.drop(next.id);
      if (this.bySymbol.get(next.symbol) === next.id) this.bySymbol.delete(next.symbol);
      for (const orderId of next.orderIds) {
        const link = this.links.get(orderId);
        if (link !== undefined && link.positionId === next.id && (link.role === 'exit' || event === 'reconciled')) this.links.delete(orderId);
      }
    } else {
      this.put(next);
    }
    const opened = before === 'PENDING_ENTRY' && state === 'OPEN';
    // A position that never held anything (an entry that ended unfilled) is not history.
    const closed = state === 'CLOSED' && before !== 'CLOSED' && (next.fills.length > 0 || event === 'reconciled');
    if (closed) this.repository.save(next);
    this.announce(next, reason, opened, closed);
    return next;
  }

  /** Internal hooks first, in order; then the hosts. Nothing while restoring. */
  private announce(position: Position, reason: PositionChangeReason, opened: boolean, closed: boolean): void {
    if (this.quiet) return;
    const change = { position, reason, opened, closed };
    // Emitted in the order applied: a change a hook makes (protection setting an adopted position's levels) waits for this one.
    const turn = this.inOrder.begin(change, this.announceChange);
    if (this.hooks.size > 0) this.hooks.run(notifyChange, change, describeChange);
    this.inOrder.end(turn, change, this.announceChange);
  }

  private emitChange({ position, reason, opened, closed }: PositionChange): void {
    // Payloads only for events someone listens to (see OrderLifecycleManager.emitTransition).
    const events = this.events;
    if (events.listenerCount('position:updated') > 0) events.emit('position:updated', { position, reason });
    if (opened && events.listenerCount('position:opened') > 0) events.emit('position:opened', { position });
    if (closed && events.listenerCount('position:closed') > 0) events.emit('position:closed', { position });
  }

  private rollDay(at: number): { key: string } {
    const day = this.day.observe(at);
    const { rolled } = day;
    if (!rolled && this.startOfDayEquity !== undefined) return day;
    if (rolled) {
      this.realizedToday = ZERO;
      this.realizedTodayByStrategy.clear();
      this.unrealizedAtDayStart = this.unrealizedTotal;
      this.startOfDayEquity = undefined;
    }
    const equity = this.equity();
    if (equity) this.startOfDayEquity = equity;
    return day;
  }

  private emitPnl(): void {
    if (this.quiet) return;
    // In line with the position events (see announce); the snapshot is taken when it is emitted.
    const turn = this.inOrder.begin(undefined, this.announcePnl);
    if (this.hooks.size > 0) this.hooks.run(notifyPnl, undefined, describePnl);
    this.inOrder.end(turn, undefined, this.announcePnl);
  }
}

const notifyChange = (hook: PositionHook, change: PositionChange): void => hook.positionChanged?.(change);
const describeChange = ({ position, reason }: PositionChange): string => `position ${position.symbol} ${reason}`;
const notifyPnl = (hook: PositionHook): void => hook.pnlChanged?.();
const describePnl = (): string => 'pnl';

function addId(ids: readonly string[], id: string): readonly string[] {
  return ids.includes(id) ? ids : appended(ids, id);
}

/** True when `b` counts what `a` counted toward exposure and unrealized P&L: the same decimals, not only equal ones. */
function sameValue(a: Position, b: Position): boolean {
  return a.quantity === b.quantity && a.currentPrice === b.currentPrice && a.averageEntryPrice === b.averageEntryPrice && a.unrealizedPnl === b.unrealizedPnl;
}

/**
 * What a host reads of the positions (`engine.positions`): the positions, their history, exposure
 * and P&L, and internal hooks for plugins — not the mutators (`applyFill`, `adopt`, `markPrice`, …),
 * which only the engine's own bookkeeping calls.
 */
export type PositionsView = Pick<PositionManager, 'get' | 'list' | 'count' | 'openPositions' | 'exposure' | 'history' | 'pnl' | 'strategyDailyPnl' | 'startOfDay' | 'addHook'>;
