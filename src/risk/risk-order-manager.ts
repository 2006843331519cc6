import type { BrokerCapabilities } from '../broker/broker-adapter.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { Decimal, ZERO } from '../core/decimal.js';
import { describeError } from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../events/event-bus.js';
import type { AlertEvents } from '../events/alert.js';
import type { OrderLifecycleManager } from '../execution/order-lifecycle-manager.js';
import type { JournalEntry, JournalRecord } from '../journal/journal.js';
import type { Order } from '../model/order.js';
import type { OrderRequest } from '../model/order-request.js';
import { isTerminalStatus, isWorkingStatus } from '../model/order-status.js';
import { entrySide, type Position } from '../positions/position.js';
import type { PositionManager } from '../positions/position-manager.js';
import { realizedRewardRisk, stopAfterLeg, stopPrice as trailingStopAt, type TargetLeg, targetLegs, trailStop } from './protection-levels.js';
import { breakEvenStop, lockedNearTarget, roundStopToStep, roundTargetToStep, tighter, trailedStop, volatilityStop } from './stop-moves.js';
import { allOrFailures } from '../core/all-settled.js';
import { doublingDelayMs } from '../core/backoff.js';
import { AFTER_GIVE_UP_MAX_MS, AFTER_GIVE_UP_MS, CONVERGE_ATTEMPTS, OutOfStepLooks } from './out-of-step-looks.js';
import { checkProtectionOptions, type ProtectionOptions, warnHeldShares } from './protection-options.js';
import { exitSide, type Protection, PROTECTION, PROTECTION_STATE, type ProtectionStats, type SavedProtection, savedProtection } from './protection-state.js';
import { leaving, leftToPlace, legOf, legShares, LOST, midRequest, outOfStepSizes, REFUSED, resizable, targetShares } from './protection-legs.js';

export type { ProtectionOptions } from './protection-options.js';
export type { ProtectionStats } from './protection-state.js';

/** A close of `position` is working: an order of its exit side that is not protection's (an entry still filling is not a close). */
export function closeWorkingOn(orders: OrderLifecycleManager, position: Position): boolean {
  const closeSide = exitSide(position);
  return orders.hasWorkingOrder(position.symbol, (o) => RiskOrderManager.isProtective(o) || o.side !== closeSide);
}

/** How long protection waits for the cancels of a refused exit to land before putting the stop back (then it gives up: the stop is still pending cancel). */
const BLOCKED_EXIT_WAIT_MS = 600_000;
/** A refusal compares the position with the broker's at most this often per position: a streak of refusals asks once. */
const CHECK_AFTER_REFUSAL_MS = 30_000;
/** After a native pair's leg filled and its position closed: the other leg still working this long after is cancelled here. */
const NATIVE_SIBLING_GRACE_MS = 10_000;


/** Closed trades whose reward-to-risk {@link RiskOrderManager.stats} keeps: bounded, for a process that runs for months. */
const REWARD_RISK_KEPT = 1_000;
/** Protections that are over whose orders still find them (late news of those orders), before they are forgotten. */
const RETIRED_KEPT = 1_000;
const CENT = new Decimal('0.01');


/**
 * Protects every position: as soon as an entry fills, a stop for the filled quantity and the
 * take-profit leg(s) are placed (reduce-only, GTC, tagged `role: protection`), and they follow the
 * position — an added fill grows the stop, a target leg that fills shrinks the stop and moves it
 * (break-even after the first leg), a stop that fills cancels the targets (one-cancels-other,
 * emulated here: the core sends both and cancels the sibling), and a closed position takes its
 * orders with it. If both sides fill in a race and the position flips, the accidental position is
 * closed at once and an alert raised. Every change is an order event in the audit trail.
 */
export class RiskOrderManager {
  private readonly byPosition = new Map<string, Protection>();
  /** Symbols being force-closed: no new protection for them until released. */
  private readonly held = new Set<string>();
  /** Positions whose protective orders are being cancelled for an exit that waits on them (see makeRoomForExit). */
  private readonly makingRoom = new Set<string>();
  /** The tries after giving up, by position id (see tryAgainLater). */
  private readonly afterGiveUp = new Map<string, TimerHandle>();
  /**
   * Closes protection sent for a bare position, watched until they end, by client order id: one that
   * ends unfilled — hours later, as a market order queued out of hours can — brings the stop back.
   * Also closes another part sent (a force-close's, an exit beside a stop whose cancel was refused):
   * what they leave is protected once they end (`ended`: the work that waited for them).
   */
  private readonly closes = new Map<string, WatchedClose>();
  /** Positions opened by a protective order: their close asked, or — refused or not sent — kept and protected like any position (see protect). */
  private readonly overfills = new Map<string, 'closing' | 'kept'>();
  /** Symbols whose position a fill without levels opened while recover() ran, after it protected what was open (see {@link protectOpenedInRecovery}). */
  private readonly openedInRecovery = new Set<string>();
  private readonly byOrder = new Map<string, Protection>();
  /** Protections that are over, oldest first: the last {@link RETIRED_KEPT} are still found by their orders. */
  private readonly retired: Protection[] = [];
  /**
   * Protections whose position closed while some of their orders still worked: a checkpoint carries
   * them, so a restart knows those orders are left over (see {@link restore}). Left once they retire.
   */
  private readonly closing = new Set<Protection>();
  /** When protections whose orders a refused or failed request left out of step are looked at again, by position id (see {@link converge}). */
  private readonly outOfStep: OutOfStepLooks;
  /** Tries after giving up held back while the engine is stopped (see {@link suspend}). */
  private readonly tryAfterResume = new Set<string>();
  /** Native pairs whose fill closed the position, looked at once more (see {@link cancelLeftOfPair}); undefined while the engine is stopped. */
  private readonly pairChecks = new Map<Protection, TimerHandle | undefined>();
  private readonly rewardRisk: { symbol: string; r: Decimal }[] = [];
  private positionsSeen = 0;
  private protectedAtOnce = 0;
  /** `onStopLost` and `stopAttempts` with their defaults. */
  private readonly onStopLost: NonNullable<ProtectionOptions['onStopLost']>;
  private readonly stopAttempts: number;
  /** `breakEvenAtR` as a Decimal (default 1R), made once: break-even is asked on every price of every protected position. */
  private readonly breakEvenAtR: Decimal;

  constructor(
    private readonly deps: {
      readonly orders: OrderLifecycleManager;
      readonly positions: PositionManager;
      readonly events: EventSink<AlertEvents>;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly logger: Logger;
      readonly capabilities: BrokerCapabilities;
      /** Cancels the symbol's orders and closes its position at market; resolves with the close order, if one was sent. */
      readonly forceClose: (symbol: string, reason: string) => Promise<Order | undefined>;
      /**
       * Where a stop and target go for a position that has none recorded (one rebuilt from fills after
       * a restart, whose entry never got its protection): the engine answers from its stop/target config.
       */
      readonly levelsFor?: (position: Position) => { stopPrice: Decimal; targetPrice?: Decimal } | undefined;
      /**
       * True while the engine's `recover()` runs: a position opened by a fill it finds then waits for
       * {@link restore}, which protects every position together.
       */
      readonly recovering?: () => boolean;
      /**
       * Compares positions (and orders) with the broker now. A protective order the broker refuses
       * is most often one for a position it does not hold (a trade the engine has not heard of):
       * protection asks this first, then acts on the position as the broker has it.
       */
      readonly reconcile?: () => Promise<unknown>;
      /** The asset's price step (default 0.01): protective prices are rounded to it, not refused for it. */
      readonly priceIncrement?: (symbol: string) => Decimal | undefined;
      readonly options: ProtectionOptions;
    },
  ) {
    checkProtectionOptions(deps.options);
    warnHeldShares(deps.options, deps.capabilities, deps.logger);
    this.onStopLost = deps.options.onStopLost ?? 'replace';
    this.stopAttempts = deps.options.stopAttempts ?? 3;
    this.breakEvenAtR = new Decimal(deps.options.breakEvenAtR ?? 1);
    this.outOfStep = new OutOfStepLooks(deps.clock, (positionId) => {
      const p = this.byPosition.get(positionId);
      if (p) this.guard(() => this.converge(p));
      else this.outOfStep.done(positionId);
    });
    // Internal hooks, not bus listeners: called in a fixed order before any host hears of the change.
    deps.positions.addHook({
      name: 'protection',
      positionChanged: ({ position, reason, opened, closed }) => {
        if (reason === 'fill' && !closed) this.guard(() => this.follow(position));
        if (reason === 'mark') {
          this.guard(async () => {
            await this.trail(position);
            await this.breakEven(position);
            await this.tightenNearTarget(position);
          });
        }
        if (reason === 'reconciled' && !closed) this.guard(() => this.reconciled(position, opened));
        // Opened by a fill without levels (an entry given up on whose fill came after all: its tracking,
        // with the signal's stop, ended with it): protected at the config's levels, as one taken on
        // from the broker. While recover() runs, they wait for it: it protects them all together —
        // and, at its end, those opened after it had (see protectOpenedInRecovery).
        else if (opened && !position.stopPrice && this.deps.recovering?.()) this.openedInRecovery.add(position.symbol);
        else if (opened) this.guard(() => (position.stopPrice ? this.protect(position) : this.protectAtLevels(position)));
        if (closed) this.guard(() => this.closed(position));
      },
    });
    deps.orders.addHook({
      name: 'protection',
      orderChanged: ({ order, event, from }) => {
        const close = this.closes.get(order.clientOrderId);
        if (close && isTerminalStatus(order.status)) {
          this.closes.delete(order.clientOrderId);
          this.guard(() => close.ended(order));
        }
        const protection = this.byOrder.get(order.clientOrderId);
        if (!protection) {
          // A protective order a dead process gave up on (its send timed out), reported working after
          // the restart: no protection owns it — the restart's own stop guards the position — so it goes.
          if (from === 'failed' && !isTerminalStatus(order.status) && RiskOrderManager.isProtective(order)) this.guard(() => this.cancel(order.clientOrderId, 'a protective order given up on before a restart, working after it', true));
          // Where open exits hold the shares, an exit that ends (filled, short, or not at all) frees what
          // it held: the protective orders come to the position — live, or after a restart alike.
          if (this.deps.capabilities.exitsHoldQuantity && isTerminalStatus(order.status) && !isTerminalStatus(from) && !close) this.exitEnded(order);
          return;
        }
        if (protection.afterCancels && isTerminalStatus(order.status)) this.cancelSettled(protection, order.clientOrderId);
        // A refusal heard after the wait (a cancel let go by resume(), found working by a reconciliation
        // hours later): what waited on it with `orRefused` runs too — the halt's targets waited for good
        // beside the stop that worked on. Looked at once the lifecycle has counted the refusal.
        else if (protection.afterCancels && event.type === 'cancel_rejected') {
          const id = order.clientOrderId;
          this.guard(async () => {
            await Promise.resolve();
            this.cancelSettled(protection, id);
          });
        }
        // The stop a look waited on (mid-request, see converge) has ended — the host cancelled it, say:
        // the look goes now, not at its backoff's turn, minutes away after refusals, with a target
        // larger than the position meanwhile. (A stop back to working is left to the look's turn: a
        // look at once undid the room made for an exit where exits hold the shares.)
        if (order.clientOrderId === protection.stopOrderId && midRequest(from) && isTerminalStatus(order.status)) this.stopSettled(protection);
        // Over: closed, and every order it placed ended. Kept for good, a long-running engine held every
        // protection it ever made (see retireIfDone).
        if (isTerminalStatus(order.status) && this.byPosition.get(protection.positionId) !== protection) this.retireIfDone(protection);
        // A resize or a move that did not go through (a failed request, a refusal): the order is as it was.
        // So is one whose cancel the broker refused — and the position may have changed while the
        // cancel was pending (resizes skip an order on its way out) — unless the cancel is still
        // wanted (asked again until it ends) or an exit is waiting for it (see makeRoomForExit).
        if (event.type === 'replace_rejected' || (event.type === 'cancel_rejected' && !this.makingRoom.has(protection.positionId) && !this.deps.orders.cancelWantedUntilEnded(order.clientOrderId))) this.scheduleConverge(protection);
        else if (event.type === 'modified') this.afterModified(protection);
        if (event.type === 'filled') this.guard(() => this.protectiveFill(protection, order));
        // A protective order given up on (failed) that the broker did get after all, after its
        // replacement went out, or after its protection was over (the position closed): one stop too
        // many — a second trigger would sell what is not there.
        else if (from === 'failed' && !isTerminalStatus(order.status) && (this.byPosition.get(protection.positionId) !== protection || (order.clientOrderId !== protection.stopOrderId && !protection.targetOrderIds.includes(order.clientOrderId)))) {
          this.guard(() => this.cancel(order.clientOrderId, 'given up on, and replaced, before the broker reported it', true));
        }
        // One it still names (a target whose send was in doubt): the other legs may have grown into
        // its share meanwhile — together they are brought back within the position.
        else if (from === 'failed' && !isTerminalStatus(order.status)) this.afterModified(protection);
        // A leg the engine cancelled has ended (one with nothing of the position left for it when the
        // cancel was asked): the position may have grown meanwhile — a retry of that cancel ended a leg
        // a resize had given a share again, and the other leg was left short of the position.
        else if (order.status === 'cancelled' && !isTerminalStatus(from) && protection.targetOrderIds.includes(order.clientOrderId) && this.deps.orders.cancelRequested(order.clientOrderId)) this.afterModified(protection);
        // The stop ended without filling and the engine did not cancel it: the position is bare.
        else if (!this.lostJustNow(order, from)) return;
        else if (order.clientOrderId === protection.stopOrderId) this.guard(() => this.stopLost(protection, order));
        // An emulated target (a native one goes with its stop, handled above).
        else if (!protection.native && protection.targetOrderIds.includes(order.clientOrderId)) this.guard(() => this.targetLost(protection, order));
      },
    });
  }

  /**
   * After a restart (`engine.recover()`): takes back the protection of every open position from the
   * journal's `protection.state` records and the protective orders still working (matched by
   * symbol: position ids are new after a restart), so an emulated OCO still cancels its sibling, a
   * trailing stop still trails and break-even / partial-exit progress goes on. A position that has
   * no protective order working (the process died between the entry fill and the stop) is
   * protected now — unless, on a broker whose open exits hold the shares, an exit is working (see
   * {@link watchExit}): that exit is watched. Resolves with the symbols it protected anew.
   */
  async restore(records: readonly JournalRecord[] = this.deps.orders.journal.query({ topic: PROTECTION_STATE })): Promise<string[]> {
    const { orders, positions } = this.deps;
    const saved = new Map<string, SavedProtection>();
    // Orders of protections whose position closed before they ended: no later position takes them.
    const leftOver = new Set<string>();
    const over = new Set<string>();
    for (const record of records) {
      if (record.kind !== 'note' || record.topic !== PROTECTION_STATE || !record.symbol) continue;
      const data = record.data as SavedProtection;
      if (data.closed) {
        over.add(data.positionId);
        for (const id of [data.stopOrderId, ...data.targetOrderIds]) if (id) leftOver.add(id);
        if (saved.get(record.symbol)?.positionId === data.positionId) saved.delete(record.symbol);
      } else if (!over.has(data.positionId)) saved.set(record.symbol, data);
    }
    // Cancels the restart asks again (a request that failed on the way, its retry waiting when the process died).
    const { retry } = orders.cancelsInJournal(records);
    const allWorking = orders.workingOrders().filter(RiskOrderManager.isProtective);
    // Left over too: an order a process before was cancelling for good (an orphan of an earlier
    // restart, a closed position's stop) — taken back, a stop being cancelled guarded a new position
    // of the symbol and its old target was placed again beside it, with no stop once the cancel landed.
    const left = (o: Order): boolean => leftOver.has(o.clientOrderId) || orders.cancelWantedForGood(o.clientOrderId);
    const working = allWorking.filter((o) => !left(o));
    const leftOverWorking = allWorking.filter(left);
    const protectedAnew: string[] = [];
    // The unprotected positions are protected together, each to its own end: one broker round trip,
    // and one that cannot be protected leaves none of the others bare.
    const protecting: Promise<void>[] = [];
    // The left-over orders' cancels go first: on a broker whose open orders hold the shares, a new
    // position's stop beside an old one would be refused.
    // Until they end, as a closed position's (a refusal asked again): a stop over no position opens one when it triggers.
    const cancelOrphan = (o: Order): Promise<void> => this.cancel(o.clientOrderId, 'protective order with no position after the restart', true);
    protecting.push(...leftOverWorking.map(cancelOrphan));
    for (const position of positions.openPositions()) {
      if (this.byPosition.has(position.id)) continue;
      const mine = working.filter((o) => o.symbol === position.symbol);
      // The last record of the symbol is this position's only if it names one of its working orders
      // (an older position's record would put the stop where that trade had it).
      const last = saved.get(position.symbol);
      const state = last && mine.some((o) => o.clientOrderId === last.stopOrderId || last.targetOrderIds.includes(o.clientOrderId)) ? last : undefined;
      if (mine.length === 0) {
        // An exit the dead process sent after cancelling the stop to make room for it (a broker
        // whose open exits hold the shares) is still working: a stop now would be refused for the
        // shares the exit holds. The exit is watched instead; ending without closing the position,
        // it brings the stop back.
        if (this.deps.capabilities.exitsHoldQuantity && this.closeWorking(position)) {
          this.watchWorkingCloses(position);
          continue;
        }
        const fresh = this.withLevels(position);
        if (fresh?.stopPrice) {
          protectedAnew.push(position.symbol);
          protecting.push(this.protect(fresh));
        }
        continue;
      }
      const adopted = this.adoptProtection(position, mine, state);
      // The dead process was cancelling them (a kill switch, a force-close or an exit making room,
      // cut off before its close went — or its cancel failed on the way, to be asked again): the
      // restart sends those cancels again, and once they land the position, still open, is protected
      // again — not left bare by cancels nobody follows up.
      const cancelling = mine.filter((o) => o.status === 'pending_cancel' || retry.has(o.clientOrderId)).map((o) => o.clientOrderId);
      if (cancelling.length > 0) {
        // Until they end or are refused: a refused stop works on and the targets whose cancels landed
        // come back beside it at once. A cancel the restart is yet to ask again (its request failed in
        // the dead process) counts as coming until it is asked and answered (`expectResumedCancels`):
        // settled before, the retry then ended the stop with nothing to put it back; waited on until
        // the stop ended, a refusal left the position without its targets for ten minutes. With no stop
        // working, the stop is not held back by the targets' cancels still to be asked again (unless
        // exits hold the shares, as at Alpaca): asked on a failing network, they could keep it off for minutes.
        const stopWorks = adopted.stopOrderId !== undefined && mine.some((o) => o.clientOrderId === adopted.stopOrderId);
        this.putBackWhenEnded(adopted, stopWorks || this.deps.capabilities.exitsHoldQuantity ? cancelling : cancelling.filter((id) => !retry.has(id)));
        // The targets to the position meanwhile (the dead process may have been shrinking them: a
        // partial exit on a broker that cannot replace cancels the stop first).
        protecting.push(this.converge(adopted));
        continue;
      }
      // Its targets work but its stop does not (it ended while the process was down, or was being put back): bare.
      const stop = adopted.stopOrderId ? orders.get(adopted.stopOrderId) : undefined;
      if (!stop || isTerminalStatus(stop.status)) {
        adopted.stopOrderId = undefined;
        // Then the targets to the position too (the dead process may have been changing them — a
        // partial exit's resize cut off between the stop and the target — or it changed meanwhile).
        protecting.push(this.actOnLostStop(adopted, position, `${position.symbol}: no stop working after the restart (${stop ? `the stop at ${adopted.stop.toString()} was ${stop.status}` : 'none found'})`, stop?.clientOrderId).then(() => this.converge(adopted)));
      }
      // An emulated target that ended unfilled while the process was down, as if heard live — not
      // awaited: it may wait minutes for a sibling leg's cancel to end (one the broker refuses), and
      // recover() hung on it; the stop guards the position meanwhile.
      for (const id of adopted.native ? [] : adopted.targetOrderIds) {
        const target = orders.get(id);
        if (target && LOST.has(target.status)) this.guard(() => this.targetLost(adopted, target, `ended ${target.status} before the restart (${target.errorMessage ?? 'it is not working'})`));
      }
      // The position may have changed while the process was down (a trade in the broker's app, taken
      // on by the reconciliation just before): the orders taken back are brought to its size.
      if (stop && !isTerminalStatus(stop.status)) protecting.push(this.converge(adopted));
    }
    // Protective orders no position's protection took back: their position closed while the process
    // was down (its exit filled unheard), or before it died with their cancels unfinished, or a second
    // stop of one symbol. A stop with no position under it would sell what is not there: cancelled.
    const unclaimed = working.filter((o) => !this.byOrder.has(o.clientOrderId) && !isTerminalStatus(orders.get(o.clientOrderId)?.status ?? 'cancelled'));
    protecting.push(...unclaimed.map(cancelOrphan));
    const orphans = [...leftOverWorking, ...unclaimed];
    if (orphans.length > 0) {
      this.deps.events.emit('alert', {
        severity: 'warning',
        code: 'protection_orphans_cancelled',
        message: `${orphans.length} protective order(s) with no position to protect after the restart are cancelled: ${orphans.map((o) => `${o.clientOrderId} (${o.symbol} ${o.type})`).join(', ')}`,
        details: { orders: orphans.map((o) => o.clientOrderId) },
      });
    }
    await allOrFailures(protecting, 'positions could not be protected');
    return protectedAnew;
  }

  /** A target may be placed for `p`: its position still open and protected by it, its stop not filled. */
  private liveFor(p: Protection): boolean {
    const position = this.stillOpen(p);
    return position !== undefined && position.quantity.greaterThan(0) && this.byPosition.get(position.id) === p && this.stopOf(p)?.status !== 'filled';
  }

  /** The protection's position while it is still open and not being force-closed (else there is nothing to put back). */
  private stillOpen(p: Protection): Position | undefined {
    const position = this.deps.positions.get(p.symbol);
    return position && position.id === p.positionId && !this.held.has(p.symbol) ? position : undefined;
  }

  /** How a protective order ended, in words: refused at placement, or ended by the broker. */
  private static howLost(order: Order): string {
    return `${REFUSED.has(order.status) ? 'could not be placed' : `was ${order.status} by the broker`} (${order.errorMessage ?? order.status})`;
  }

  /** The order has just ended without filling, and not because the engine cancelled it (refused, or ended by the broker). */
  private lostJustNow(order: Order, from: Order['status']): boolean {
    return LOST.has(order.status) && !isTerminalStatus(from) && !this.deps.orders.cancelRequested(order.clientOrderId);
  }

  /** The position with a stop and target: its own, or where the engine's config puts them (a position rebuilt or adopted has none). */
  private withLevels(position: Position): Position | undefined {
    if (!position.stopPrice) {
      const levels = this.deps.levelsFor?.(position);
      if (levels) this.deps.positions.setProtection(position.symbol, levels);
    }
    return this.deps.positions.get(position.symbol);
  }

  /** Protects the symbol's position where its levels are — its own, or the config's ({@link withLevels}). */
  private async protectAtLevels(position: Position): Promise<void> {
    const fresh = this.withLevels(position);
    if (fresh?.stopPrice) await this.protect(fresh);
  }

  /**
   * A reconciliation set the position to the broker's (a fill missed, a trade made outside the
   * engine, a corporate action). A position taken on from the broker is protected like any other;
   * a protected one has its stop and targets resized to it — a stop larger than the position would
   * sell what is not there, a smaller one leaves the rest bare.
   */
  private async reconciled(position: Position, opened: boolean): Promise<void> {
    const p = this.byPosition.get(position.id);
    if (!p) {
      if (!opened || this.held.has(position.symbol)) return;
      await this.protectAtLevels(position);
      return;
    }
    await p.placing?.catch(() => undefined);
    // The position is now the broker's size: refusals so far were for a size the broker did not hold,
    // so the next comparison may bring a try forward again — even if one was spent, or this change
    // came while a close of the old size was still working (its refusal gives up once more).
    p.triedOnCompare = false;
    // Given up on (the broker took neither a stop nor a close): the broker's picture has just changed
    // — an order that held the shares may have ended (Alpaca) — so the stop is tried now, not after
    // up to an hour of backoff.
    if (this.afterGiveUp.has(p.positionId)) return this.tryStopAgain(p);
    // The position as it is now: fills may have landed since the reconciliation set it.
    const now = this.stillOpen(p);
    if (!now || this.outOfStepOrders(p, now).length === 0) return;
    this.deps.events.emit('alert', { severity: 'warning', code: 'protection_resized', message: `${p.symbol}: the position is ${now.quantity.toString()} at the broker; its protective orders are resized to it` });
    await this.resizeToPosition(p);
  }

  /**
   * Brings the working protective orders to the position as it is when each request goes — fills
   * land while requests travel — one after another, the stop first (a native OCO's legs change as
   * a pair), each asked once. What is still out of step afterwards (an order that was mid-request, a
   * fill during the last request, a refusal) is looked at again on the clock.
   */
  private async resizeToPosition(p: Protection): Promise<void> {
    // Asked once per place (the stop, each leg), not per order: a leg placed again comes back under a
    // new id, and asked again each time it looped on for good when it could not be placed at its size.
    const place = (order: Order): string => (order.clientOrderId === p.stopOrderId ? 'stop' : `leg ${p.targetOrderIds.indexOf(order.clientOrderId)}`);
    const asked = new Set<string>();
    for (;;) {
      const position = this.stillOpen(p);
      const next = position ? this.resizes(p, position).find(([order]) => !asked.has(place(order))) : undefined;
      if (!next) break;
      asked.add(place(next[0]));
      await this.change(p, next[0], { quantity: next[1] });
    }
    const held = this.stillOpen(p);
    if (held) await this.lastLegAgain(p, held);
    const position = this.stillOpen(p);
    if (position && this.outOfStepOrders(p, position).length > 0) this.lookAgain(p);
  }

  /**
   * Every target leg filled and shares are still held — bought after the last one filled (an entry
   * filling on past its take-profit), or more than the leg could be resized to in time: the last leg
   * is placed again for them, as a native bracket's target (sized to the whole entry) sells them —
   * not left to the stop alone. Legs cancelled earlier for having nothing of the position left
   * (`emptiedLegs`: a sale in the broker's app shrank it, and it grew again before the near leg
   * could grow into it) come back instead, each at its own price for its share — left off, the far
   * leg's share of the position had no target once the near leg filled. A leg lost or left off has
   * not filled: its own rules apply.
   */
  private async lastLegAgain(p: Protection, position: Position): Promise<void> {
    if (p.native || p.targetOrderIds.length === 0) return;
    const emptied = (target: Order): boolean => p.emptiedLegs?.has(target.clientOrderId) === true && isTerminalStatus(target.status);
    const targets = this.targetsWhere(p, (target) => target.status === 'filled' || emptied(target));
    if (targets.length !== p.targetOrderIds.length) return;
    // The stop gone or going: closing or placing it again is another path's (which brings targets back with it).
    const stop = this.stopOf(p);
    if (!stop || leaving(stop)) return;
    if (targets.some((target) => target.status !== 'filled')) return this.targetsAgain(p);
    const quantity = this.targetRoom(p, position);
    const last = targets.reduce((far, target) => (legOf(target) > legOf(far) ? target : far));
    if (!quantity.greaterThan(0) || !last.limitPrice) return;
    await this.targetAgain(p, p.targetOrderIds.indexOf(last.clientOrderId), last.limitPrice, last.tags, quantity);
  }

  /**
   * The working protective orders whose size no longer fits `position`, stop first, each with the
   * quantity it needs: the stop the position's size, a target no more than it (a native OCO's
   * legs carry one quantity, so its target the position's size too).
   */
  private resizes(p: Protection, position: Position): [Order, Decimal][] {
    return this.outOfStepOrders(p, position).filter(([order]) => resizable(order));
  }

  /** As {@link resizes}, with the orders mid-request too (their size is known once the request settles). */
  private outOfStepOrders(p: Protection, position: Position): [Order, Decimal][] {
    // Where open exits hold the shares (Alpaca), the protective orders cover what an exit working
    // leaves: asked for more, the broker refuses — again and again, while the exit works.
    const stop = this.stopOf(p);
    const { reserved, held } = this.roomOfLegsLeaving(p);
    return outOfStepSizes(p, stop && !leaving(stop) ? stop : undefined, this.targetsWhere(p, (target) => !leaving(target)), this.covered(position), reserved, held);
  }

  /**
   * What `p`'s target legs on their way out hold: `reserved`, what those to be placed again (see
   * {@link resend}) will take; `held`, what those leaving for good (pending cancel) still hold — they
   * may yet fill, or work on, their cancel refused — so no other leg grows into it before they end
   * (then the others are looked at again).
   */
  private roomOfLegsLeaving(p: Protection): { reserved: Decimal; held: Decimal } {
    let reserved = ZERO;
    let held = ZERO;
    for (const leg of this.targetsWhere(p, leaving)) {
      const resent = this.reservedFor(p, leg);
      if (resent) reserved = reserved.plus(resent);
      else if (leg.status === 'pending_cancel') held = held.plus(leg.quantity.minus(leg.filledQuantity));
    }
    return { reserved, held };
  }

  /** What the exits working on `position` (the engine's closing-side orders, not protection's) still hold. */
  private heldByExits(position: Position): Decimal {
    const closeSide = exitSide(position);
    let held = ZERO;
    for (const order of this.deps.orders.workingOrders()) {
      if (order.symbol === position.symbol && order.side === closeSide && !RiskOrderManager.isProtective(order)) held = held.plus(order.quantity.minus(order.filledQuantity));
    }
    return held;
  }

  /** True for the orders this manager placed (they do not count as "an order still working"). */
  static isProtective(order: Order): boolean {
    return order.tags.role === PROTECTION;
  }

  stats(): ProtectionStats {
    return {
      positions: this.positionsSeen,
      protectedAtOnce: this.protectedAtOnce,
      protectedShare: this.positionsSeen === 0 ? 1 : this.protectedAtOnce / this.positionsSeen,
      rewardRisk: [...this.rewardRisk],
    };
  }

  /**
   * Before an exit of `quantity` on a broker whose open exits hold the shares (Alpaca): a full exit
   * cancels the protective orders and waits (up to `timeoutMs`) for the broker to confirm; a partial
   * exit shrinks them to what will be left, so the position stays covered. Resolves with whether
   * there is room for the exit.
   */
  async makeRoomForExit(symbol: string, quantity: Decimal, timeoutMs = 10_000): Promise<boolean> {
    const position = this.deps.positions.get(symbol);
    const p = this.bySymbol(symbol);
    if (!position || !p || !this.deps.capabilities.exitsHoldQuantity) return true;
    // Orders still on their way cannot be cancelled or shrunk by id yet: let their sends answer first.
    await p.placing?.catch(() => undefined);
    const live = [p.stopOrderId, ...p.targetOrderIds]
      .map((id) => (id ? this.deps.orders.get(id) : undefined))
      .filter((o): o is Order => o !== undefined && !isTerminalStatus(o.status));
    const left = position.quantity.minus(quantity);
    // Each request to its own order, all together: the exit waits one broker round trip, not one per order.
    if (left.greaterThan(0)) {
      const shrinks: Promise<unknown>[] = [];
      for (const order of live) {
        if (order.status !== 'accepted' && order.status !== 'partially_filled') continue;
        const target = order.filledQuantity.plus(left);
        if (target.lessThan(order.quantity)) shrinks.push(this.change(p, order, { quantity: target }));
      }
      await Promise.all(shrinks);
      return true;
    }
    this.makingRoom.add(p.positionId);
    try {
      await Promise.all(live.map((order) => this.cancel(order.clientOrderId, 'making room for an exit')));
      const ids = live.map((o) => o.clientOrderId);
      const room = await this.deps.orders.whenEnded(ids, timeoutMs);
      if (!room) this.afterBlockedExit(p, ids);
      return room;
    } finally {
      this.makingRoom.delete(p.positionId);
    }
  }

  /**
   * The exit is refused because the protective orders' cancels did not confirm in time. The
   * position stays open (the exit was not sent), so once the cancels land its stop is placed again:
   * it is never left bare waiting for an exit that will not come.
   */
  private afterBlockedExit(p: Protection, ids: readonly string[]): void {
    // A cancel the broker refused leaves its order working (not pending cancel): told apart from one not yet confirmed.
    const refused = ids.filter((id) => {
      const order = this.deps.orders.get(id);
      return order !== undefined && !isTerminalStatus(order.status) && order.status !== 'pending_cancel';
    });
    const why = refused.length > 0 ? `the broker refused to cancel ${refused.join(', ')}, which keeps the position protected` : 'the protective orders did not confirm their cancel in time; the stop is placed again once they end';
    this.deps.events.emit('alert', { severity: 'warning', code: 'exit_blocked', message: `${p.symbol}: the exit was refused: ${why}`, details: { refused } });
    // Working again, they are brought to the position as it is now (it may have changed while they were leaving).
    if (refused.length > 0) this.scheduleConverge(p);
    this.putBackWhenEnded(p, ids);
  }

  /**
   * Once the cancels of `ids` (protective orders of `p`) have landed or been refused, a position
   * still open gets its stop and targets back ({@link putBackCancelled}) — a stop whose cancel the
   * broker refused works on, and the targets whose cancels landed come back beside it — unless a
   * close is working on the position (then that close is watched: a stop beside it would race it, or
   * be refused for the shares it holds). Asked again while waiting (a second refused exit: the same
   * orders), it waits once: the stop is put back once, not once per ask (a second pair was refused
   * for the shares the first holds, and its loss tore the first one down).
   */
  private putBackWhenEnded(p: Protection, ids: readonly string[]): void {
    if (p.puttingBack) return;
    p.puttingBack = true;
    this.guard(async () => {
      // A refusal settles the wait too: the stop works on, and the targets whose cancels
      // landed come back beside it now (they waited ten minutes, then not at all: a restart that took
      // back a halt's cancels left a position with its stop alone).
      const ended = await this.cancelsEnded(p, ids, () => this.putBackWhenEnded(p, ids)).finally(() => (p.puttingBack = false));
      if (!ended) return;
      await this.putBackCancelled(p, () => Promise.resolve(this.putBackWhenEnded(p, ids)), () => undefined);
    });
  }

  /**
   * Waits up to {@link BLOCKED_EXIT_WAIT_MS} for the cancels of `ids` (protective orders of `p`) to
   * end. False when they outlast it, still pending cancel, with `p`'s position open: `resume` then
   * runs when the protection hook hears the last of them end (the stream down into the close, say,
   * confirms them hours later) — or, `orRefused`, settle: the stop comes back then, not never.
   */
  private async cancelsEnded(p: Protection, ids: readonly string[], resume: () => void, orRefused = true): Promise<boolean> {
    // `orRefused` (the callers' usual case: they have work either way): a cancel the broker refused
    // settles the wait too; without it, only the orders' end does.
    if (await (orRefused ? this.deps.orders.whenCancelsSettled(ids, BLOCKED_EXIT_WAIT_MS) : this.deps.orders.whenEnded(ids, BLOCKED_EXIT_WAIT_MS))) return true;
    if (!this.stillOpen(p) || !ids.some((id) => this.deps.orders.get(id)?.status === 'pending_cancel')) return true;
    (p.afterCancels ??= []).push({ ids, resume, orRefused });
    return false;
  }

  /**
   * One of `p`'s orders ended, or its cancel was refused: the work waiting on it (see
   * {@link cancelsEnded}) runs once all of its orders have ended — or, waiting with `orRefused`, once
   * none is on its way out.
   */
  private cancelSettled(p: Protection, clientOrderId: string): void {
    if (!p.afterCancels) return;
    const orders = this.deps.orders;
    const ended = (id: string): boolean => isTerminalStatus(orders.get(id)?.status ?? 'cancelled');
    const ready = p.afterCancels.filter((w) => w.ids.includes(clientOrderId) && w.ids.every((id) => ended(id) || (w.orRefused && !orders.onItsWayOut(id))));
    if (ready.length === 0) return;
    p.afterCancels = p.afterCancels.filter((w) => !ready.includes(w));
    for (const w of ready) w.resume();
  }

  /**
   * Places no new protection for `symbol` until the returned function is called: while the engine
   * force-closes it, a stop appearing would hold the very shares being sold.
   */
  hold(symbol: string): () => void {
    this.held.add(symbol);
    return () => {
      this.held.delete(symbol);
      // A position taken on while the symbol was held (a reconciliation adopting the broker's during
      // the close) is protected now — unless a close is still working on it.
      const position = this.deps.positions.get(symbol);
      // A position still waiting for its entry's fill holds nothing to protect: the fill's hook protects it.
      if (!position || !position.quantity.greaterThan(0) || this.byPosition.has(position.id) || this.closeWorking(position)) return;
      this.guard(() => this.protectAtLevels(position));
    };
  }

  /** Resolves once the protective orders of `symbol`'s position have been answered by the broker. */
  async settled(symbol: string): Promise<void> {
    const position = this.deps.positions.get(symbol);
    await (position ? this.byPosition.get(position.id)?.placing : undefined)?.catch(() => undefined);
  }

  /** The stop and targets currently guarding a symbol's position. */
  protectionOf(symbol: string): { stop?: Order; targets: Order[] } | undefined {
    const p = this.bySymbol(symbol);
    if (!p) return undefined;
    const get = (id: string): Order | undefined => this.deps.orders.get(id);
    const stop = p.stopOrderId ? get(p.stopOrderId) : undefined;
    return { ...(stop ? { stop } : {}), targets: p.targetOrderIds.map(get).filter((o): o is Order => o !== undefined) };
  }

  /** Rebuilds one position's protection from its working protective orders and the last saved state. */
  private adoptProtection(position: Position, working: readonly Order[], state: SavedProtection | undefined): Protection {
    const stop = working.find((o) => o.tags.leg === 'stop');
    const targets = working.filter((o) => o.tags.leg?.startsWith('target-')).sort((a, b) => (a.tags.leg ?? '').localeCompare(b.tags.leg ?? ''));
    const stopPrice = state ? new Decimal(state.stop) : (stop?.stopPrice ?? position.stopPrice ?? position.averageEntryPrice);
    const legs: TargetLeg[] = state
      ? state.legs.map((l) => ({ price: new Decimal(l.price), fraction: new Decimal(l.fraction), r: new Decimal(l.r) }))
      : targets.map((t) => ({ price: t.limitPrice!, fraction: new Decimal(1).dividedBy(targets.length), r: new Decimal(0) }));
    const protection: Protection = {
      positionId: position.id,
      symbol: position.symbol,
      side: position.side,
      entry: state ? new Decimal(state.entry) : position.averageEntryPrice,
      initialStop: state ? new Decimal(state.initialStop) : stopPrice,
      stop: stopPrice,
      legs,
      targetOrderIds: (state?.targetOrderIds ?? targets.map((t) => t.clientOrderId)).slice(),
      orderIds: [],
      legsFilled: state?.legsFilled ?? 0,
      openedAt: position.entryTime ?? this.deps.clock.now(),
      protectedAt: this.deps.clock.now(),
      native: state?.native ?? Boolean(stop?.links.ocoSiblingId),
      widened: state?.widened ?? false,
      stopsLost: state?.stopsLost ?? 0,
      targetsLost: state?.targetsLost ?? 0,
      closesRefused: state?.closesRefused ?? 0,
    };
    if (state?.stopOrderId ?? stop) protection.stopOrderId = state?.stopOrderId ?? stop!.clientOrderId;
    this.byPosition.set(position.id, protection);
    for (const id of [protection.stopOrderId, ...protection.targetOrderIds]) if (id) this.own(protection, id);
    this.record(protection);
    return protection;
  }

  /**
   * The orders those notes name — ended ones too (a target a halt cancelled, to be put back at the
   * resume): a restart from the checkpoint takes them back as they ended, as it would from the whole journal.
   */
  checkpointOrderIds(): string[] {
    return [...this.byPosition.values()].flatMap((p) => [...(p.stopOrderId ? [p.stopOrderId] : []), ...p.targetOrderIds]);
  }

  /** Where every protected position's protection stands, as the notes a journal checkpoint carries — and which closed ones left orders working. */
  checkpointNotes(at: number): JournalEntry[] {
    const notes: JournalEntry[] = [...this.byPosition.values()].map((p) => ({ kind: 'note', at, topic: PROTECTION_STATE, symbol: p.symbol, data: savedProtection(p) }));
    for (const p of this.closing) {
      if (this.stillWorks(p)) notes.push({ kind: 'note', at, topic: PROTECTION_STATE, symbol: p.symbol, data: { ...savedProtection(p), closed: true } });
      else this.closing.delete(p);
    }
    return notes;
  }

  /** Journals where a position's protection stands, so a restart can take it back (see {@link restore}); `closed`: its position closed. */
  private record(p: Protection, closed?: true): void {
    this.deps.orders.journal.append({ kind: 'note', at: this.deps.clock.now(), topic: PROTECTION_STATE, symbol: p.symbol, data: closed ? { ...savedProtection(p), closed } : savedProtection(p) });
  }

  /** Some order the protection names (its stop, its targets) has not ended. */
  private stillWorks(p: Protection): boolean {
    for (const id of [p.stopOrderId, ...p.targetOrderIds]) {
      const status = id === undefined ? undefined : this.deps.orders.get(id)?.status;
      if (status !== undefined && !isTerminalStatus(status)) return true;
    }
    return false;
  }

  /**
   * recover() is done: a position opened while it ran by a fill without levels, after its protection
   * had been taken back (a send withdrawn before the restart that landed and filled during it), is
   * protected at the config's levels. It was left bare: waiting for recover(), which had already passed.
   */
  async protectOpenedInRecovery(): Promise<void> {
    const symbols = [...this.openedInRecovery];
    this.openedInRecovery.clear();
    await Promise.all(
      symbols.map((symbol) => {
        const position = this.deps.positions.get(symbol);
        return position ? this.guarded(() => this.protectAtLevels(position)) : undefined;
      }),
    );
  }

  private async protect(position: Position): Promise<void> {
    // Protected already (the restart protected a position opened while recover() ran, before
    // protectOpenedInRecovery came to it): nothing to do — taken for an accident, it was closed.
    if (this.byPosition.has(position.id)) return;
    // A position opened by a protective order is an accident of a race: both sides filled. (Opened by
    // one: a target's fill that reduced a position is among its orders too, not first.)
    const opener = position.orderIds[0];
    if (opener !== undefined && this.byOrder.has(opener) && this.overfills.get(position.id) !== 'kept') {
      // Once per position: a close the broker refuses (it holds no such position: a reconciliation
      // sets the engine's right) would otherwise be asked again each time the close's hold ends.
      if (this.overfills.has(position.id)) return;
      if (this.overfills.size >= 1_000) this.overfills.clear();
      this.overfills.set(position.id, 'closing');
      this.deps.events.emit('alert', { severity: 'critical', code: 'protection_overfill', message: `${position.symbol}: both protective orders filled; closing the accidental ${position.side} position` });
      const close = await this.deps.forceClose(position.symbol, 'protective orders both filled').catch((error: unknown) => {
        this.deps.logger.warn(`${position.symbol}: the close of the accidental position could not be sent`, { error: describeError(error) });
        return undefined;
      });
      if (close && !REFUSED.has(close.status)) return;
      // Refused or not sent, the position stays: protected like any other until a reconciliation
      // sets the engine's right — a stop the broker refuses for a position it does not hold asks for
      // one. Left bare, it stayed so for good once the broker did hold it (a sale in its app).
      const now = this.deps.positions.get(position.symbol);
      if (!now || now.id !== position.id || this.byPosition.has(now.id)) return;
      this.overfills.set(now.id, 'kept');
      await this.protectAtLevels(now);
      return;
    }
    if (!position.stopPrice || this.held.has(position.symbol) || !position.quantity.greaterThan(0)) return;
    this.positionsSeen++;
    const entry = position.averageEntryPrice;
    const step = this.stepOf(position.symbol);
    // Rounded toward the market: a stop never risks more than planned, a target never asks for more.
    const stopPrice = roundStopToStep(position.side, position.stopPrice, step);
    const target = position.targetPrice ? roundTargetToStep(position.side, position.targetPrice, step) : undefined;
    // An entry that filled at or through its stop's price (slippage in a thin market, a gap): no risk
    // to measure targets by — a target at "1R" would sit on the entry, or on the stop's side of it —
    // so the stop alone (at or through the market, it closes the position as it would have).
    const throughTheStop = !tighter(position.side, entry, stopPrice);
    if (throughTheStop && (target || this.deps.options.partialExits)) {
      // The same details as a target given up on (`left_off`): a host routes both by symbol, not by parsing the message.
      this.deps.events.emit('alert', { severity: 'warning', code: 'protection_no_target', message: `${position.symbol}: the entry filled at ${entry.toString()}, at or through its stop at ${stopPrice.toString()}; only the stop is placed`, details: { symbol: position.symbol, entry: entry.toString(), stopPrice: stopPrice.toString(), action: 'left_off' } });
    }
    const legs = throughTheStop
      ? []
      : this.deps.options.partialExits
      ? targetLegs(position.side, entry, stopPrice, { method: 'partial', legs: this.deps.options.partialExits }).map((l) => ({ ...l, price: roundTargetToStep(position.side, l.price, step) }))
      : target
        ? [{ price: target, fraction: new Decimal(1), r: target.minus(entry).abs().dividedBy(entry.minus(stopPrice).abs()) }]
        : [];
    this.deps.positions.setProtection(position.symbol, { stopPrice, ...(legs.at(-1) ? { targetPrice: legs.at(-1)!.price } : {}) });
    const protection: Protection = {
      positionId: position.id,
      symbol: position.symbol,
      side: position.side,
      entry,
      initialStop: stopPrice,
      stop: stopPrice,
      legs,
      targetOrderIds: [],
      orderIds: [],
      legsFilled: 0,
      openedAt: this.deps.clock.now(),
    };
    this.byPosition.set(position.id, protection);
    const placing = this.nativePair(protection)
      ? this.placeNativeOco(protection, position.quantity)
      : Promise.all([this.placeStop(protection, position.quantity), this.placeTargets(protection)]);
    protection.placing = placing;
    // The ids are known once the orders are registered (before their sends answer): journal them now
    // (a native pair has journaled itself, see placeNativeOco).
    if (!protection.native) this.record(protection);
    await placing;
    if (protection.targetOrderIds.length > 1) this.record(protection);
  }

  /**
   * One stop and one target on a broker with native OCO: sent as one OCO, so the broker cancels the
   * sibling itself (and brokers that hold shares for open exits, like Alpaca, accept both). Partial
   * exits and trailing stops are emulated instead: brokers do not put them in an OCO.
   */
  private nativePair(p: Protection): boolean {
    return this.deps.capabilities.nativeOco && this.deps.orders.supportsList('oco') && p.legs.length === 1 && !this.deps.options.trailingPercent;
  }

  private async placeNativeOco(p: Protection, quantity: Decimal): Promise<void> {
    const [stopId, targetId] = [this.deps.ids.next('tw'), this.deps.ids.next('tw')];
    p.stopOrderId = stopId;
    p.targetOrderIds.push(targetId);
    p.native = true;
    this.own(p, stopId);
    this.own(p, targetId);
    this.markProtected(p);
    const common = { symbol: p.symbol, side: exitSide(p), quantity, timeInForce: 'gtc' as const, reduceOnly: true };
    const sending = this.deps.orders.submitList(
      'oco',
      [
        { ...common, clientOrderId: targetId, type: 'limit', limitPrice: p.legs[0]!.price, tags: { role: PROTECTION, leg: 'target-1', positionId: p.positionId } },
        { ...common, clientOrderId: stopId, type: 'stop', stopPrice: p.stop, tags: { role: PROTECTION, leg: 'stop', positionId: p.positionId } },
      ],
      { timeoutMs: null },
    );
    // Journaled once the ids are registered, before the send answers (as protect() does): a restart
    // meanwhile finds this protection — its levels and its target — by the new pair.
    this.record(p);
    const sent = await sending;
    // A refused stop leg is handled where every lost stop is (the order hook → stopLost).
    if (!sent[1]) this.deps.events.emit('alert', { severity: 'critical', code: 'position_unprotected', message: `${p.symbol}: the OCO stop was not sent`, clientOrderId: stopId });
  }

  private markProtected(p: Protection): void {
    if (p.protectedAt !== undefined) return;
    p.protectedAt = this.deps.clock.now();
    if (p.protectedAt === p.openedAt) this.protectedAtOnce++;
  }

  private async placeStop(p: Protection, quantity: Decimal): Promise<void> {
    const native = Boolean(this.deps.options.trailingPercent && this.deps.capabilities.nativeTrailingStop);
    // A new trailing stop trails from the price now: below the best since, looser than the one it
    // follows. Then a fixed stop at the level that one reached, trailed by the engine from there.
    const reached = native ? this.reachedByTrail(p) : undefined;
    if (reached) p.stop = reached;
    p.trailedTo = undefined;
    const trailing = native && !reached;
    const id = this.deps.ids.next('tw');
    p.stopOrderId = id;
    this.own(p, id);
    this.markProtected(p);
    const common = { clientOrderId: id, symbol: p.symbol, side: exitSide(p), quantity, timeInForce: 'gtc', reduceOnly: true, tags: { role: PROTECTION, leg: 'stop', positionId: p.positionId } } as const;
    // No conditional literal spread into the request: Node 20.20's V8 crashed (SIGSEGV) in this
    // method's optimised code, storing an object at a garbage allocation top — 7 of 10 long searches;
    // built this way, none of 3 (docs/testing.md, "A search's worker dies").
    const request: OrderRequest = trailing ? Object.assign({ type: 'trailing_stop' as const, trailPercent: this.deps.options.trailingPercent! }, common) : Object.assign({ type: 'stop' as const, stopPrice: p.stop }, common);
    // A refusal is handled where every lost stop is (the order hook → stopLost).
    await this.deps.orders.submit(request, { timeoutMs: null });
  }

  /** The level a trailing stop of `p`'s placed now would start below that of the one before, as reached: that level. */
  private reachedByTrail(p: Protection): Decimal | undefined {
    const price = this.deps.positions.get(p.symbol)?.currentPrice;
    if (!p.trailedTo || !price) return undefined;
    const fresh = roundStopToStep(p.side, trailingStopAt(p.side, price, { method: 'trailing', percent: this.deps.options.trailingPercent! }), this.stepOf(p.symbol));
    return tighter(p.side, p.trailedTo, fresh) ? p.trailedTo : undefined;
  }

  /** Where the position's stop stands: a broker's trailing stop's level as reached, else the stop's price. */
  private static stopLevel(p: Protection): Decimal {
    return p.trailedTo ?? p.stop;
  }

  /**
   * A stop ended without filling and without the engine asking (refused, or ended by the broker)
   * while its position is open: per `onStopLost`, placed again at its level, or the position closed
   * — at once when the price is already through the stop, or after `stopAttempts` lost stops.
   */
  private async stopLost(p: Protection, stop: Order): Promise<void> {
    // Out of the hook that reported it: the orders below go through the lifecycle afresh.
    await Promise.resolve();
    const position = this.stillOpen(p);
    if (!position || p.stopOrderId !== stop.clientOrderId) return;
    p.stopOrderId = undefined;
    // A native pair whose target filled: the broker cancelled the stop as one-cancels-other — the pair
    // did its work for what it covered. Shares bought since (an entry filling on past the target) get
    // a pair of their own: no alarm, and no stop counted as lost (three would close the position).
    if (p.native && stop.status === 'cancelled' && this.targetsWhere(p, (target) => target.status === 'filled').length > 0) {
      await this.replaceStop(p, position);
      return;
    }
    if (stop.status === 'rejected' && !(await this.brokerAgrees(p))) return;
    // Protected again meanwhile (an exit that left the position open put its stop back while this
    // one's refusal was being checked): one stop — two would each sell the position.
    if (this.stopPlaced(p)) return;
    await this.actOnLostStop(p, position, `${p.symbol}: the stop at ${RiskOrderManager.stopLevel(p).toString()} ${RiskOrderManager.howLost(stop)}`, stop.clientOrderId);
  }

  /** What `onStopLost` says to do for a position whose stop is gone (`what` says how), alerted as `position_unprotected`. */
  private async actOnLostStop(p: Protection, position: Position, what: string, clientOrderId: string | undefined): Promise<void> {
    p.stopsLost = (p.stopsLost ?? 0) + 1;
    const policy = this.onStopLost;
    const price = position.currentPrice;
    const level = RiskOrderManager.stopLevel(p);
    const through = price !== undefined && !tighter(p.side, price, level);
    const action = policy === 'alert' ? 'alert' : policy === 'close' || through || p.stopsLost >= this.stopAttempts ? 'close' : 'replace';
    const doing = {
      alert: 'the position is left without a stop (onStopLost: alert)',
      close: through && policy === 'replace' ? `the price ${price!.toString()} is through it: closing the position` : policy === 'close' ? 'closing the position (onStopLost: close)' : `${p.stopsLost} stops lost: closing the position`,
      replace: 'placing it again',
    }[action];
    this.deps.events.emit('alert', { severity: 'critical', code: 'position_unprotected', message: `${what}; ${doing}`, ...(clientOrderId ? { clientOrderId } : {}), details: { stopsLost: p.stopsLost, action } });
    this.record(p);
    if (action === 'close') await this.closeOrProtect(p, `stop lost: ${what}`);
    else if (action === 'replace') await this.replaceStop(p, position);
  }

  /**
   * Closes a position whose stop is lost; when the broker refuses the close too, the stop is put
   * back rather than leave the position bare — until `stopAttempts` closes were refused (a broker
   * refusing everything: then it is alerted and left, not retried forever).
   */
  private async closeOrProtect(p: Protection, reason: string): Promise<void> {
    let close: Order | undefined;
    let failure: string | undefined;
    try {
      close = await this.deps.forceClose(p.symbol, reason);
    } catch (error) {
      failure = describeError(error);
    }
    if (close?.status === 'rejected' && !(await this.brokerAgrees(p))) return;
    if (close && !REFUSED.has(close.status) && failure === undefined) {
      // Working: if it ends without closing the position (a venue's rejection after the broker's
      // acknowledgement, an expiry, however late), the position is bare again — the stop comes back then.
      const ended = this.deps.orders.get(close.clientOrderId) ?? close;
      if (isTerminalStatus(ended.status)) await this.closeEnded(p, ended, reason);
      else this.closes.set(close.clientOrderId, { p, ended: (order) => this.closeEnded(p, order, reason) });
      return;
    }
    await this.closeRefused(p, closeOutcome(close, failure));
  }

  /**
   * A force-close (an operator's, a breaker's, a halt's flatten) cancelled `symbol`'s protective
   * orders and sent `close`. Once the close has ended — at once when none went or it failed — a
   * position still open (the close refused, failed, ended unfilled, or the position grew while it
   * worked) gets its stop and targets back: a close that did not happen must not leave it bare.
   */
  watchForceClose(symbol: string, close: Order | undefined, why?: string): void {
    this.watchClose(symbol, close, 'force-close', why);
  }

  /**
   * An exit (a signal's) sent after {@link makeRoomForExit} cancelled the position's protective
   * orders — a broker where open exits hold the shares: watched like a force-close, so an exit that
   * ends without closing the position (refused, expired, filled short of a position that grew)
   * brings the stop and targets back. An exit sent while the stop still works needs nothing here:
   * the fills resize the stop — and where exits hold the shares, the stop shrunk for a partial exit
   * comes back to the position when the order hook hears the exit end (see exitEnded).
   */
  watchExit(exit: Order): void {
    if (this.stopCancelledFor(exit.symbol)) this.watchClose(exit.symbol, exit, 'exit');
  }

  /**
   * An exit that made room (see {@link makeRoomForExit}) was not sent — queued for later: a full
   * exit's stop is placed again. (A partial exit's order was refused, an end the hook hears.)
   */
  exitNotSent(symbol: string): void {
    if (this.deps.capabilities.exitsHoldQuantity && this.stopCancelledFor(symbol)) this.watchClose(symbol, undefined, 'exit', 'the exit was not sent');
  }

  /** The symbol's position is protected but its stop is gone (cancelled to make room for a full exit, or lost) — not on its way back (see {@link resend}). */
  private stopCancelledFor(symbol: string): boolean {
    const p = this.bySymbol(symbol);
    return p !== undefined && !p.resendingStop && !this.stopPlaced(p);
  }

  /** The protection of the symbol's open position, if it has one. */
  private bySymbol(symbol: string): Protection | undefined {
    const position = this.deps.positions.get(symbol);
    return position ? this.byPosition.get(position.id) : undefined;
  }

  /** The order of `p`'s stop, as the lifecycle has it (undefined when there is none). */
  private stopOf(p: Protection): Order | undefined {
    return p.stopOrderId ? this.deps.orders.get(p.stopOrderId) : undefined;
  }

  /** `p` has a stop that has not ended (one being sent included: the lifecycle registers it as it is submitted). */
  private stopPlaced(p: Protection): boolean {
    const stop = this.stopOf(p);
    return stop !== undefined && !isTerminalStatus(stop.status);
  }

  /** The stop works (not on its way out) on a broker whose exits hold the shares: {@link makeRoomForExit} shrank it for a partial exit. */
  private shrankFor(stop: Order): boolean {
    return this.deps.capabilities.exitsHoldQuantity === true && !leaving(stop);
  }

  /** An order of the engine's ended on a broker whose exits hold the shares: a protected position it was an exit of is brought in step. */
  private exitEnded(order: Order): void {
    const p = this.bySymbol(order.symbol);
    if (!p || order.side !== exitSide(p)) return;
    const stop = this.stopOf(p);
    if (stop && this.shrankFor(stop)) this.guard(() => this.afterPartialExit(p));
  }

  /** A partial exit ended: the protective orders are brought to the position as it is now. */
  private async afterPartialExit(p: Protection): Promise<void> {
    const position = this.stillOpen(p);
    if (!position || this.outOfStepOrders(p, position).length === 0) return;
    await this.resizeToPosition(p);
  }

  private watchClose(symbol: string, close: Order | undefined, by: CloseKind, why?: string): void {
    const now = close ? (this.deps.orders.get(close.clientOrderId) ?? close) : undefined;
    if (now && !isTerminalStatus(now.status)) this.closes.set(now.clientOrderId, this.afterClose(symbol, by));
    else this.guard(() => this.afterForceClose(symbol, why ?? (now ? closeWhy(now) : 'no close was sent'), by));
  }

  /**
   * Another close works on a position protection would otherwise protect again now: that close is
   * watched instead, so if it too ends without closing the position, the stop and targets come back
   * then (not left bare for a close that did not happen).
   */
  private watchWorkingCloses(position: Position, ended?: () => Promise<void>): void {
    const closeSide = exitSide(position);
    for (const order of this.deps.orders.workingOrders()) {
      if (order.symbol !== position.symbol || order.side !== closeSide || RiskOrderManager.isProtective(order) || this.closes.has(order.clientOrderId)) continue;
      this.closes.set(order.clientOrderId, ended ? { ended } : this.afterClose(position.symbol, 'close'));
    }
  }

  /** A watched close of `symbol` ({@link watchClose}): if it ends with the position still open, {@link afterForceClose}. */
  private afterClose(symbol: string, by: CloseKind): WatchedClose {
    return { ended: (order) => this.afterForceClose(symbol, closeWhy(order), by) };
  }

  /** See {@link watchForceClose}: the position is still open after its force-close or exit (`why`). */
  private async afterForceClose(symbol: string, why: string, by: CloseKind = 'force-close'): Promise<void> {
    const before = this.deps.positions.get(symbol);
    if (!before) return;
    const p = this.byPosition.get(before.id);
    if (!p) {
      // Opened while the symbol was held (its entry's fill heard during the force-close) and left
      // unprotected for the close that was working then: protected now, at its levels.
      if (!before.quantity.greaterThan(0) || this.held.has(symbol)) return;
      if (this.closeWorking(before)) return this.watchWorkingCloses(before);
      this.deps.events.emit('alert', { severity: 'critical', code: 'position_unprotected', message: `${symbol}: the ${by} left the position open (${why}); it is protected now`, details: { action: 'replace' } });
      await this.protectAtLevels(before);
      return;
    }
    await this.putBackCancelled(p, () => this.afterForceClose(symbol, why, by), (stopWorks) =>
      stopWorks
        ? // Its cancel refused, the stop works on: no alert of its own, yet the position is still open.
          this.deps.events.emit('alert', { severity: 'warning', code: 'position_not_closed', message: `${symbol}: the ${by} left the position open (${why}); its stop still works and its targets are placed again`, details: { action: 'kept' } })
        : this.deps.events.emit('alert', { severity: 'critical', code: 'position_unprotected', message: `${symbol}: the ${by} left the position open (${why}); its stop is placed again`, details: { action: 'replace' } }),
    );
  }

  /**
   * Trading resumed after a halt whose cancels (`cancelOpen`) took the protective orders: each
   * position still open gets them back where they were — the stop at its level (trailed, at
   * break-even), the targets not yet filled at their prices — so the bot trades again with every
   * position covered (a `protection_restored` warning each). Resolves once they are sent.
   */
  async afterHalt(): Promise<void> {
    const restoring: Promise<void>[] = [];
    for (const position of this.deps.positions.openPositions()) {
      const p = this.byPosition.get(position.id);
      if (!p || this.held.has(position.symbol)) continue;
      const restore = (): Promise<void> =>
        this.putBackCancelled(p, restore, (stopWorks) => {
          // A stop whose cancel the broker refused protected the position all along.
          if (!stopWorks) this.deps.events.emit('alert', { severity: 'warning', code: 'protection_restored', message: `${p.symbol}: trading resumed; the stop and targets the halt cancelled are placed again` });
        });
      restoring.push(restore());
    }
    await allOrFailures(restoring, 'positions could not be protected again');
  }

  /**
   * `p`'s stop and targets were cancelled by the engine (a force-close, a halt) and its position is
   * still open: they are placed again — once the stop's cancel has ended (`again` runs when a cancel
   * outlasts the wait), unless the stop still works (a cancel the broker refused) or a close works on
   * the position (watched in turn). `announce` says so first (`stopWorks`: the stop was not lost).
   */
  private async putBackCancelled(p: Protection, again: () => Promise<void>, announce: (stopWorks: boolean) => void): Promise<void> {
    // The stop's cancel may still be on its way (retried after a failure, a resize went first, or the
    // stop was itself on its way: cancelled when the broker acknowledges it): its end decides.
    const cancelling = p.stopOrderId !== undefined && this.deps.orders.cancelComing(p.stopOrderId);
    // A refused cancel ends the wait too: the stop works on, and the targets come back beside it now.
    if (cancelling && !(await this.cancelsEnded(p, [p.stopOrderId!], () => this.guard(again)))) return;
    const position = this.stillOpen(p);
    if (!position || !position.quantity.greaterThan(0) || this.byPosition.get(p.positionId) !== p) return;
    const stop = this.stopOf(p);
    // The stop works (its cancel refused, or another path placed it again — a resend whose cancel the
    // halt's overtook): the targets the halt cancelled still come back, unless a close works on it —
    // and it is brought to the position, which may have grown while its cancel was on the way.
    if (stop && !isTerminalStatus(stop.status)) {
      // An exit working beside it (a partial exit sent as trading resumed): the targets come back
      // once it ends, for what it leaves — they were left off for good.
      if (this.closeWorking(position)) return this.watchWorkingCloses(position, again);
      announce(true);
      if (!p.native) await this.legsBack(p);
      if (!this.closeWorking(position)) await this.converge(p);
      return;
    }
    if (this.closeWorking(position)) return this.watchWorkingCloses(position);
    announce(false);
    p.stopOrderId = undefined;
    await this.replaceStop(p, position);
  }

  /**
   * Every emulated target leg back beside a stop that works again: the legs never placed (a
   * force-close began between the stop and its targets, and ended unfilled) at their share first,
   * then the ones cancelled put back beside them — the other way round, a leg put back took the
   * room of all the legs and the one never placed found none (a stop and one target for 10 of
   * two legs' 5 and 5).
   */
  private async legsBack(p: Protection): Promise<void> {
    const placed = new Set(this.targetsWhere(p, () => true).map(legOf));
    const missing = p.legs.map((_, leg) => leg).filter((leg) => !placed.has(leg));
    if (missing.length > 0) await this.placeTargets(p, missing);
    await this.targetsAgain(p);
  }

  /**
   * The emulated targets a force-close or a halt cancelled — or that were cancelled for having
   * nothing of the position left, once it grew back (see {@link lastLegAgain}) — placed again at their
   * prices, each leg not filled for its share of what the position holds now (it may have grown
   * since); the ones still working keep theirs, and together they never sell more than is held.
   */
  private async targetsAgain(p: Protection, waited = false): Promise<void> {
    // Legs whose cancel is still on its way (the halt caught one mid-send): put back once it ends.
    const cancelling = this.legsBeingCancelled(p);
    for (let index = 0; index < p.targetOrderIds.length; index++) {
      // Looked at afresh for each leg: the position and the other legs change while one is sent (an
      // exit fills, a working leg grows into the room) — sized once up front, they sold 12 of 7.
      const position = this.stillOpen(p);
      if (!position) return;
      const target = this.deps.orders.get(p.targetOrderIds[index]!);
      if (!target?.limitPrice || !isTerminalStatus(target.status) || target.status === 'filled') continue;
      const legs = this.targetsWhere(p, (leg) => leg.limitPrice !== undefined && leg.status !== 'filled');
      const share = targetShares(p, legs, this.covered(position))[legs.indexOf(target)]!;
      const quantity = Decimal.min(share, this.targetRoom(p, position));
      if (!quantity.greaterThan(0)) continue;
      await this.targetAgain(p, index, target.limitPrice, target.tags, quantity);
    }
    if (cancelling.length === 0 || waited) return;
    const again = (): Promise<void> => this.targetsAgain(p, true);
    if (await this.cancelsEnded(p, cancelling, () => this.guard(again))) await again();
  }

  /**
   * `p`'s target legs (but `except`) on their way out: not ended, their cancel pending at the broker,
   * asked and not refused (one whose request failed is asked again), or asked before the broker
   * acknowledged them. They hold room until they end: a leg lost meanwhile is placed again after.
   */
  private legsBeingCancelled(p: Protection, except?: string): string[] {
    return p.targetOrderIds.filter((id) => id !== except && this.deps.orders.onItsWayOut(id));
  }

  /**
   * Runs `again` once `p`'s target legs on their way out (but `except`) have ended — or, with
   * `orRefused`, once their cancels have settled. False, and nothing runs, when none is on its way out.
   */
  private async afterLegsLeave(p: Protection, except: string, again: () => Promise<void>, orRefused = true): Promise<boolean> {
    const leaving = this.legsBeingCancelled(p, except);
    if (leaving.length === 0) return false;
    if (await this.cancelsEnded(p, leaving, () => this.guard(again), orRefused)) await again();
    return true;
  }

  /** `p`'s target orders (one per leg placed) that `keep` takes, in leg order. */
  private targetsWhere(p: Protection, keep: (target: Order) => boolean): Order[] {
    return p.targetOrderIds.flatMap((id) => {
      const target = this.deps.orders.get(id);
      return target && keep(target) ? [target] : [];
    });
  }

  /**
   * What the targets still working (but `except`) leave of what `position` covers — a leg on its way
   * out to be placed again counted for what it will be placed for: together they never sell more than is held.
   */
  private targetRoom(p: Protection, position: Position, except?: string): Decimal {
    let room = this.covered(position);
    for (const id of p.targetOrderIds) {
      const leg = id === except ? undefined : this.deps.orders.get(id);
      const reserved = leg && this.reservedFor(p, leg);
      if (reserved) room = room.minus(reserved);
      else if (leg && !isTerminalStatus(leg.status)) room = room.minus(leg.quantity.minus(leg.filledQuantity));
    }
    return room;
  }

  /**
   * The room held for `leg` while it is on its way out to be placed again — none once the broker
   * refused its cancel: it works on at its own size, and counted twice (working, and held for) it was
   * cancelled as having nothing of the position left, the target lost for good. What it fills while
   * its cancel travels comes off the room held: it is placed again only for the rest — held for all,
   * a leg the halt had cancelled found no room and was never put back. Asked only of `p`'s legs (its
   * callers walk `targetOrderIds`): a leg no longer the protection's (ended by the broker and placed
   * again under a new id while its resend's cancel was still answering) holds nothing — its
   * replacement counts at its own size; held for it too, the far leg was cancelled as having nothing
   * left, 2 of 10 shares with no target.
   */
  private reservedFor(p: Protection, leg: Order): Decimal | undefined {
    const size = leaving(leg) ? p.resendingTargets?.get(leg.clientOrderId) : undefined;
    return size && leftToPlace(size, leg);
  }

  /** A close {@link closeOrProtect} sent has ended: unfilled, the stop comes back; filled short of a position that grew meanwhile, the rest is closed too. */
  private async closeEnded(p: Protection, close: Order, reason: string): Promise<void> {
    if (this.byPosition.get(p.positionId) !== p) return;
    if (close.status !== 'filled') await this.closeRefused(p, closeOutcome(close));
    else {
      // The position outgrew its close while it worked (shares traded outside the engine): the rest goes the same way.
      const rest = this.deps.positions.get(p.symbol);
      if (rest?.id === p.positionId && rest.quantity.greaterThan(0)) await this.closeOrProtect(p, `${reason} (the rest: the position grew while it was being closed)`);
    }
  }

  /**
   * The broker refused a stop or close of `p`'s position — as it does for a position it does not
   * hold. Before another order goes (and before giving up on it), the positions are compared with
   * the broker's, at most once per {@link CHECK_AFTER_REFUSAL_MS}: true when the position is still
   * open as the engine had it and still bare, so protection goes on; false when the reconciliation
   * closed it (the broker held none) or protected it meanwhile. A reconciliation that fails leaves
   * protection to go on as before.
   */
  private async brokerAgrees(p: Protection): Promise<boolean> {
    const { reconcile, clock, logger } = this.deps;
    const now = clock.now();
    if (!reconcile || (p.checkedAt !== undefined && now - p.checkedAt < CHECK_AFTER_REFUSAL_MS)) return true;
    p.checkedAt = now;
    try {
      await reconcile();
    } catch (error) {
      logger.warn(`${p.symbol}: the reconciliation after a refused protective order failed`, { error: describeError(error) });
    }
    return this.stillOpen(p) !== undefined && this.byPosition.get(p.positionId) === p && !this.stopPlaced(p);
  }

  /** A close of a position whose stop was lost did not close it (`outcome`: how, see closeOutcome): the stop is put back, until `stopAttempts` closes failed. */
  private async closeRefused(p: Protection, outcome: string): Promise<void> {
    const position = this.stillOpen(p);
    // Protected again meanwhile (a resume put the stop back while the close was on its way): nothing is bare.
    if (!position || this.stopPlaced(p)) return;
    p.closesRefused = (p.closesRefused ?? 0) + 1;
    const giveUp = p.closesRefused >= this.stopAttempts;
    this.deps.events.emit('alert', {
      severity: 'critical',
      code: 'position_unprotected',
      message: `${p.symbol}: ${outcome}; ${giveUp ? 'left as it is: neither a stop nor a close went through' : 'placing the stop again'}`,
      details: { closesRefused: p.closesRefused, action: giveUp ? 'alert' : 'replace' },
    });
    this.record(p);
    if (!giveUp) await this.replaceStop(p, position);
    else this.tryAgainLater(p);
  }

  /**
   * Protection gave up on `p` — the broker refused every stop and close, as it does when it holds
   * no such position (a trade the engine has not heard of yet) or the account is restricted. Not for
   * good: once the reconciliations have had their say, the stop is tried again — after 1 min, then 2,
   * 4 … at most an hour apart — each try with its full count of attempts.
   */
  private tryAgainLater(p: Protection): void {
    p.giveUps = (p.giveUps ?? 0) + 1;
    this.scheduleTry(p);
  }

  /** The try after the `p.giveUps`-th give-up, on the clock. */
  private scheduleTry(p: Protection): void {
    this.clearTryAgain(p.positionId);
    const timer = this.deps.clock.setTimeout(() => {
      // The backoff's own try: a comparison after it may bring one forward again (see positionsCompared).
      p.triedOnCompare = false;
      this.tryStopAgain(p);
    }, doublingDelayMs(p.giveUps ?? 1, AFTER_GIVE_UP_MS, AFTER_GIVE_UP_MAX_MS));
    this.afterGiveUp.set(p.positionId, timer);
  }

  /** The try after a give-up (see {@link scheduleTry}): the stop, with its full count of attempts. */
  private tryStopAgain(p: Protection): void {
    // Brought forward (the broker back, a reconciliation), its timer goes.
    this.clearTryAgain(p.positionId);
    this.guard(async () => {
      const position = this.stillOpen(p);
      if (!position || this.byPosition.get(p.positionId) !== p) return;
      // Protected meanwhile (a stop placed again), or a close working on it: nothing to try.
      if (this.stopPlaced(p) || this.closeWorking(position)) return;
      p.stopsLost = 0;
      p.closesRefused = 0;
      this.deps.events.emit('alert', { severity: 'warning', code: 'position_unprotected', message: `${p.symbol}: trying the stop at ${p.stop.toString()} again after giving up (${p.giveUps} time(s))`, details: { action: 'replace', giveUps: p.giveUps } });
      await this.replaceStop(p, position);
    });
  }

  /** A close of `position` is working: an order of its exit side, not one of protection's (an entry still filling is not a close). */
  private closeWorking(position: Position): boolean {
    return closeWorkingOn(this.deps.orders, position);
  }

  private clearTryAgain(positionId: string): void {
    const timer = this.afterGiveUp.get(positionId);
    if (timer === undefined) return;
    this.deps.clock.clearTimeout(timer);
    this.afterGiveUp.delete(positionId);
  }

  /**
   * A take-profit ended without filling and without the engine asking, while its position is
   * open: placed again for what it had left at its price, up to `stopAttempts` times (the stop
   * still guards the position; with `onStopLost: 'alert'` it is only alerted).
   */
  private async targetLost(p: Protection, target: Order, how = RiskOrderManager.howLost(target)): Promise<void> {
    await Promise.resolve();
    const position = this.stillOpen(p);
    const index = p.targetOrderIds.indexOf(target.clientOrderId);
    if (!position || index < 0) return;
    // What it had, or its share of the position as it is now if more (it may have grown since), no more than the other targets
    // leave of it (a far leg cancelled for nothing left, taken as lost after a restart, came back
    // beside the near one).
    // Every leg not filled counts, placed or not yet (its siblings may still be on their way out).
    const filled = new Set(this.targetsWhere(p, (leg) => leg.status === 'filled').map(legOf));
    const open = p.legs.map((_, i) => i).filter((i) => !filled.has(i) || i === legOf(target));
    // A leg the plan does not know (a protection taken back without its saved state): all it covers.
    const share = open.includes(legOf(target)) ? legShares(p, open, this.covered(position))[open.indexOf(legOf(target))]! : this.covered(position);
    const left = Decimal.min(Decimal.max(target.quantity.minus(target.filledQuantity), share), this.targetRoom(p, position, target.clientOrderId));
    if (!left.greaterThan(0)) {
      // The room is held by legs on their way out (their cancels still travelling): looked at again once they end.
      await this.afterLegsLeave(p, target.clientOrderId, () => this.targetLost(p, target, how), false);
      return;
    }
    if (!target.limitPrice) return;
    p.targetsLost = (p.targetsLost ?? 0) + 1;
    const again = this.onStopLost !== 'alert' && p.targetsLost < this.stopAttempts;
    this.deps.events.emit('alert', {
      severity: 'warning',
      code: REFUSED.has(target.status) ? 'target_not_placed' : 'target_lost',
      message: `${p.symbol}: the take-profit at ${target.limitPrice.toString()} ${how}; ${again ? 'placing it again' : 'left off: the stop still guards the position'}`,
      clientOrderId: target.clientOrderId,
      details: { symbol: p.symbol, action: again ? 'replace' : 'left_off' },
    });
    if (!again) {
      this.record(p);
      return;
    }
    await this.targetAgain(p, index, target.limitPrice, target.tags, left);
  }

  /** Places the target at `index` again (a new id, journaled first), at its price, for `quantity`. */
  private async targetAgain(p: Protection, index: number, limitPrice: Decimal, tags: Order['tags'], quantity: Decimal): Promise<void> {
    if (!this.liveFor(p) || index < 0) return;
    const id = this.deps.ids.next('tw');
    p.emptiedLegs?.delete(p.targetOrderIds[index]!);
    p.targetOrderIds[index] = id;
    this.own(p, id);
    this.record(p);
    await this.deps.orders.submit(
      { clientOrderId: id, symbol: p.symbol, side: exitSide(p), quantity, type: 'limit', limitPrice, timeInForce: 'gtc', reduceOnly: true, tags: { ...tags } },
      { timeoutMs: null },
    );
  }

  /** Places a lost stop again for the whole position; a native OCO is placed again as a pair (its target went with the stop). */
  private async replaceStop(p: Protection, position: Position): Promise<void> {
    // A pair needs its target's level: one taken back with none known (no record named its orders) is protected by a stop alone.
    if (p.native && p.legs.length === 0) p.native = false;
    if (p.native) {
      // The new pair must not be refused for shares the old target still holds: it ends first.
      const targets = p.targetOrderIds.splice(0);
      await Promise.all(targets.map((id) => this.cancel(id, 'stop lost: the pair is placed again')));
      await this.deps.orders.whenEnded(targets, 10_000);
      // The position may have changed while the old target ended (a reconciliation adopting the
      // broker's): the pair is placed for what is held now.
      const now = this.stillOpen(p);
      if (!now) return;
      // Another path placed the pair meanwhile (a second force-close ended unfilled while this one
      // waited): one pair — two would each sell the whole position.
      if (p.stopOrderId && !isTerminalStatus(this.deps.orders.get(p.stopOrderId)?.status ?? 'cancelled')) return;
      await this.placeNativeOco(p, now.quantity);
    } else {
      // Another path placed a stop meanwhile (trading resumed and put back what the halt cancelled,
      // as a refused close asked for one): one stop — two would each sell the position.
      if (this.stopPlaced(p)) return;
      // For what is held when it goes: `position` may be older than a reconciliation a refusal asked for.
      const now = this.stillOpen(p) ?? position;
      const placing = this.placeStop(p, now.quantity);
      // Journaled once its id is registered, before the send answers (as protect() does): a restart
      // meanwhile finds this protection — its targets too — by the new stop.
      this.record(p);
      await placing;
      // The targets that went with the old stop (a halt's cancels, its fill's one-cancels-other when it
      // filled short of the position) come back beside the new one, for what is held — once it works
      // (a refused stop asks for a reconciliation, which orders on their way would only defer).
      const stop = this.stopOf(p);
      if (stop && !isTerminalStatus(stop.status) && stop.status !== 'submitted') {
        await this.legsBack(p);
        // Then every leg to its share together (as putBackCancelled does): a leg still working was
        // sized for what a leg on its way out left — put back at its share beside it, they sold 5 of 7.
        const after = this.stillOpen(p);
        if (after && !this.closeWorking(after)) await this.converge(p);
      }
    }
    this.record(p);
  }

  private async placeTargets(p: Protection, only?: readonly number[]): Promise<void> {
    const every = p.legs.map((_, leg) => leg);
    for (const i of only ?? every) {
      // The stop went first and may have filled already (the price through it): a target now would
      // open the other side of a closed position. (So the position is still open below.)
      if (!this.liveFor(p)) return;
      // Each leg its share of the position as it is when it goes — among the legs not filled (what is
      // held is theirs) — within what the legs working leave. The sends before it take their time: the
      // position grows (a leg sized up front for 2 of the 3 held left a share with no target once a
      // halt put the near leg back), and a resume meanwhile puts the nearer leg back for all of a
      // position it alone knew (3 over 2).
      const position = this.stillOpen(p)!;
      const filled = new Set(this.targetsWhere(p, (target) => target.status === 'filled').map(legOf));
      const counted = every.filter((leg) => !filled.has(leg));
      const q = legShares(p, counted, position.quantity)[counted.indexOf(i)]!;
      const room = this.targetRoom(p, position);
      if (!q.greaterThan(0) || !room.greaterThan(0)) continue;
      const leg = p.legs[i]!;
      const id = this.deps.ids.next('tw');
      p.targetOrderIds.push(id);
      this.own(p, id);
      // A refusal is handled where every lost target is (the order hook → targetLost).
      await this.deps.orders.submit(
        { clientOrderId: id, symbol: p.symbol, side: exitSide(p), quantity: Decimal.min(q, room), type: 'limit', limitPrice: leg.price, timeInForce: 'gtc', reduceOnly: true, tags: { role: PROTECTION, leg: `target-${i + 1}`, positionId: p.positionId } },
        { timeoutMs: null },
      );
    }
  }

  /**
   * A fill of an order other than the protective ones changed the position — a later entry added to
   * it, an exit filled in part: the stop covers the whole of it, and no target more than it (a native
   * OCO's target as its stop), so a stop that triggers while the exit works never sells more than is
   * held. While a protective order is mid-request it is looked at again once that settles.
   */
  private async follow(position: Position): Promise<void> {
    const p = this.byPosition.get(position.id);
    const fill = position.fills.at(-1);
    // Their own fills are protectiveFill's.
    if (!p || !fill || fill.clientOrderId === p.stopOrderId || p.targetOrderIds.includes(fill.clientOrderId)) return;
    // The targets too when the stop is gone (lost at the broker, being placed again for the position as it is then).
    await this.resizeToPosition(p);
  }

  private async protectiveFill(p: Protection, order: Order): Promise<void> {
    if (order.clientOrderId === p.stopOrderId) {
      // One-cancels-other: the stop went, so the targets go; a partial stop fill shrinks them.
      // The targets' cancels go together: a target left working a round trip longer could fill into
      // a new position. A native OCO's broker cancels and resizes the sibling itself.
      if (order.status !== 'filled') {
        if (!p.native) await this.shrinkTargets(p);
        return;
      }
      if (!p.native) await Promise.all(p.targetOrderIds.map((id) => this.cancel(id, 'stop filled')));
      await this.closeRemainder(p, order);
      return;
    }
    if (p.native) return;
    if (order.status !== 'filled') {
      // A target filled in part: the stop covers only what is left.
      const stop = this.stopOf(p);
      const position = this.deps.positions.get(p.symbol);
      if (!stop || !position || leaving(stop)) return;
      // Mid-request (being placed again, a replace on its way): brought to the position once it settles.
      if (!resizable(stop)) return this.lookAgain(p);
      const needed = position.quantity.plus(stop.filledQuantity);
      if (needed.lessThan(stop.quantity) && position.quantity.greaterThan(0)) await this.change(p, stop, { quantity: needed });
      return;
    }
    p.legsFilled++;
    const position = this.deps.positions.get(p.symbol);
    const stop = this.stopOf(p);
    if (!position || position.quantity.isZero() || !stop || isTerminalStatus(stop.status)) return;
    // A target leg filled: the stop shrinks to what is left and moves up (break-even after the first leg).
    // A last leg placed again for shares bought after it filled moves the stop no further.
    const moved = stopAfterLeg(p.entry, p.legs, Math.min(p.legsFilled, p.legs.length) - 1);
    const better = p.side === 'long' ? Decimal.max(p.stop, moved) : Decimal.min(p.stop, moved);
    p.stop = better;
    this.record(p);
    // Mid-request: the look-again brings its size and level (p.stop) once the request settles.
    if (!resizable(stop)) return this.lookAgain(p);
    await this.change(p, stop, { quantity: position.quantity.plus(stop.filledQuantity), ...(stop.type === 'stop' ? { stopPrice: better } : {}) });
    // The legs left cover what is left (sized while the position was another, they may fall short of it).
    // (Either way, legs cancelled earlier for nothing left come back if none is left working: see lastLegAgain.)
    const now = this.stillOpen(p);
    if (!now) return;
    if (this.outOfStepOrders(p, now).some(([o]) => o.clientOrderId !== p.stopOrderId)) await this.resizeToPosition(p);
    else await this.lastLegAgain(p, now);
  }

  /**
   * A protective order was changed and its protection is out of step with the position — a replace
   * given up on (timed out) that landed after a newer one (the stop set back to 11 under a position
   * of 12), or a change made at the broker's site: looked at again on the clock. Out of step may be
   * another order than the changed one: a near leg grown back to 6 under a position of 9 keeps its 6,
   * and the far leg's 4 is what no longer fits (the legs sold 10 of 9).
   */
  private afterModified(p: Protection): void {
    const position = this.stillOpen(p);
    if (position && this.outOfStepOrders(p, position).length > 0) this.lookAgain(p);
  }

  /** Brings the protective orders in step on the clock (see {@link converge}), unless that is already scheduled. */
  private lookAgain(p: Protection): void {
    if (!this.outOfStep.has(p.positionId)) this.scheduleConverge(p);
  }

  /**
   * A stop that filled whole while its position is still open was smaller than the position (a
   * resize that did not go through, shares bought in the broker's app). The price went through the
   * stop: what it left is closed, as a stop of the right size would have — not left bare.
   */
  private async closeRemainder(p: Protection, stop: Order): Promise<void> {
    const position = this.stillOpen(p);
    if (!position || !position.quantity.greaterThan(0)) return;
    this.deps.events.emit('alert', {
      severity: 'critical',
      code: 'position_unprotected',
      message: `${p.symbol}: the stop filled ${stop.filledQuantity.toString()} of a ${position.side} position of ${position.quantity.plus(stop.filledQuantity).toString()}; closing the ${position.quantity.toString()} left`,
      clientOrderId: stop.clientOrderId,
      details: { stopsLost: p.stopsLost ?? 0, action: 'close' },
    });
    p.stopOrderId = undefined;
    this.record(p);
    await this.closeOrProtect(p, `the stop filled short of the position (${stop.clientOrderId})`);
  }

  /** After a partial stop fill, the targets together may sell no more than the position holds. */
  private async shrinkTargets(p: Protection): Promise<void> {
    let left = this.deps.positions.get(p.symbol)?.quantity ?? ZERO;
    const requests: Promise<unknown>[] = [];
    for (const id of p.targetOrderIds) {
      const target = this.deps.orders.get(id);
      if (!target || isTerminalStatus(target.status)) continue;
      const open = target.quantity.minus(target.filledQuantity);
      const allowed = Decimal.min(open, left);
      left = left.minus(allowed);
      if (allowed.equals(open)) continue;
      if (allowed.isZero() || target.status === 'pending_replace' || target.status === 'pending_cancel') requests.push(this.cancel(id, 'stop filled in part: nothing left for this target'));
      else requests.push(this.change(p, target, { quantity: target.filledQuantity.plus(allowed) }));
    }
    // Decided in order (each target gets what the ones before it leave), sent together.
    await Promise.all(requests);
  }

  /**
   * Emulated trailing stop, for brokers without one: the fixed stop follows the price (never back)
   * by `trailingPercent`, one replace per move, rounded to the price step.
   */
  private async trail(position: Position): Promise<void> {
    const percent = this.deps.options.trailingPercent;
    const p = this.byPosition.get(position.id);
    if (!percent || !p || !position.currentPrice) return;
    if (this.stopOf(p)?.type === 'trailing_stop') {
      // The broker trails it; the level it reached is kept for a stop placed again (see placeStop).
      p.trailedTo = roundStopToStep(p.side, trailStop(p.side, RiskOrderManager.stopLevel(p), position.currentPrice, { percent }), this.stepOf(p.symbol));
      return;
    }
    // A fixed stop: emulated where the broker has no trailing stop, or placed again at a trailing stop's level.
    const stop = this.movableStop(p);
    const trailed = stop && trailedStop(p.side, p.stop, position.currentPrice, percent, this.stepOf(p.symbol));
    if (stop && trailed) await this.moveStop(p, stop, trailed);
  }

  /**
   * The host's volatility measure changed: widen the stops still on the loss side when it reaches
   * the threshold, and bring them back when it falls below (see {@link ProtectionOptions.volatility}).
   */
  async onVolatility(measure: Decimal): Promise<void> {
    const rule = this.deps.options.volatility;
    if (!rule) return;
    const high = measure.greaterThanOrEqualTo(rule.threshold);
    const factor = new Decimal(rule.factor);
    // Every stop moved at once, each to its own end: when volatility jumps, the last position's stop
    // must not wait a broker round trip per position before it, nor stay put because one failed.
    const moves: Promise<void>[] = [];
    for (const p of this.byPosition.values()) {
      if (high === Boolean(p.widened)) continue;
      const stop = this.movableStop(p);
      const next = stop && volatilityStop(p.side, p.entry, p.stop, high, factor, this.stepOf(p.symbol));
      if (!stop || !next) continue;
      p.widened = high;
      moves.push(this.moveStop(p, stop, next));
    }
    await allOrFailures(moves, 'stops could not be moved');
  }

  /** Near the target, lock in part of the gain (see {@link ProtectionOptions.tightenNearTarget}). */
  private async tightenNearTarget(position: Position): Promise<void> {
    const rule = this.deps.options.tightenNearTarget;
    const p = this.byPosition.get(position.id);
    const price = position.currentPrice;
    const target = p?.legs.at(-1)?.price;
    if (!rule || !p || !price || !target || !p.stopOrderId) return;
    const locked = lockedNearTarget(p.side, { entry: p.entry, stop: p.stop, target }, price, rule, this.stepOf(p.symbol));
    const stop = locked && this.movableStop(p);
    if (stop) await this.moveStop(p, stop, locked);
  }

  /** Once the price is `breakEvenAtR` in profit, the stop moves to the entry. */
  private async breakEven(position: Position): Promise<void> {
    const p = this.byPosition.get(position.id);
    if (!p || !position.currentPrice || !p.stopOrderId) return;
    const level = breakEvenStop(p.side, p, position.currentPrice, this.breakEvenAtR);
    const stop = level && this.movableStop(p);
    if (stop) await this.moveStop(p, stop, level);
  }

  /** The asset's price step (default a cent). */
  private stepOf(symbol: string): Decimal {
    return this.deps.priceIncrement?.(symbol) ?? CENT;
  }

  /** The position's stop when it can be moved: a fixed stop the broker has accepted (not a trailing one, not mid-request). */
  private movableStop(p: Protection): Order | undefined {
    const stop = this.stopOf(p);
    return stop && stop.type === 'stop' && stop.status === 'accepted' ? stop : undefined;
  }

  /**
   * Changes a protective order's size or stop price: a replace at the broker — or, on a broker that
   * cannot replace (`capabilities.replace` false), the order cancelled and placed again as it should
   * now be (see {@link resend}).
   */
  private async change(p: Protection, order: Order, change: { quantity?: Decimal; stopPrice?: Decimal }): Promise<void> {
    // Nothing left for it (a target the position no longer reaches): cancelled, not resized to nothing.
    if (change.quantity && !change.quantity.greaterThan(order.filledQuantity)) {
      if (order.clientOrderId !== p.stopOrderId) (p.emptiedLegs ??= new Set()).add(order.clientOrderId);
      await this.cancel(order.clientOrderId, 'nothing of the position left for it');
      return;
    }
    if (this.deps.capabilities.replace) {
      await this.deps.orders.modify(order.clientOrderId, change);
      return;
    }
    await this.resend(p, order, change.quantity);
  }

  /**
   * A change on a broker that cannot replace: the order is cancelled first and, once the cancel has
   * landed, placed again — the stop at the protection's level (`p.stop`, already moved by the caller)
   * for what the position holds then, a target at its price for what `quantity` left open (never more
   * than the other legs leave), a native pair as a new pair. Cancel first: two stops working together could
   * both trigger and sell the position twice; the position is bare for the round trip in between.
   * A cancel that outlasts the wait brings the order back when it is heard to end.
   */
  private async resend(p: Protection, order: Order, quantity: Decimal | undefined): Promise<void> {
    const id = order.clientOrderId;
    // A native pair goes as a pair: its stop's resend cancels and places both legs.
    const stop = id === p.stopOrderId || p.native;
    if (stop && p.resendingStop) {
      p.stopChangedMeanwhile = true;
      return;
    }
    if (!stop && order.status === 'pending_cancel') return;
    if (stop) p.resendingStop = true;
    // The leg's room is held for it until it is placed again (or left off): see targetResent.
    else (p.resendingTargets ??= new Map()).set(id, quantity ?? order.quantity);
    try {
      const ids = stop && p.native ? [p.stopOrderId, ...p.targetOrderIds].filter((x): x is string => x !== undefined) : [id];
      await Promise.all(ids.map((x) => this.cancel(x, 'changed: the broker cannot replace an order, so it is placed again')));
      const placeAgain = (): Promise<void> => (stop ? this.stopResent(p, ids) : this.targetResent(p, order, quantity));
      // A refusal settles the wait too (placeAgain does nothing for an order still working; the
      // refusal asks for a new look): waited out, a restart's recover() hung ten minutes on it.
      if (await this.cancelsEnded(p, ids, () => this.guard(placeAgain))) await placeAgain();
    } catch (error) {
      // A throw (the journal unable to record the cancel, say): the leg's room is held for it no longer.
      if (!stop) p.resendingTargets?.delete(id);
      throw error;
    } finally {
      if (stop) this.stopResendEnded(p);
    }
  }

  /**
   * A resend of the stop has run its course. A change asked meanwhile went nowhere; if the stop still
   * works (its cancel refused), it is looked at as after any refusal — the refusal's own look had
   * come during the wait and gone nowhere either: a stop of 2 stayed over a short of 1 for good.
   */
  private stopResendEnded(p: Protection): void {
    p.resendingStop = false;
    if (!p.stopChangedMeanwhile) return;
    p.stopChangedMeanwhile = false;
    if (resizable(this.stopOf(p))) this.scheduleConverge(p);
  }

  /** The stop's cancel (a native pair's: both legs') has landed: a stop for what the position holds now, unless it filled away. */
  private async stopResent(p: Protection, cancelled: readonly string[]): Promise<void> {
    const position = this.stillOpen(p);
    if (!position || this.byPosition.get(position.id) !== p || !cancelled.includes(p.stopOrderId ?? '')) return;
    if (!cancelled.every((id) => isTerminalStatus(this.deps.orders.get(id)?.status ?? 'cancelled'))) return;
    p.stopOrderId = undefined;
    // The same placing as for a lost stop: a native pair as a new pair, else a stop for what is held.
    await this.replaceStop(p, position);
  }

  /**
   * A target's cancel has landed: the leg placed again for what `quantity` left open, within what the
   * other legs leave of the position (waiting for legs still on their way out); left off when they cover it.
   */
  private async targetResent(p: Protection, old: Order, quantity: Decimal | undefined): Promise<void> {
    const position = this.stillOpen(p);
    const ended = this.deps.orders.get(old.clientOrderId);
    if (!position || this.byPosition.get(position.id) !== p || !ended || !isTerminalStatus(ended.status) || !p.targetOrderIds.includes(old.clientOrderId)) {
      // Its cancel refused (it works on at its size), or nothing left to place it for.
      p.resendingTargets?.delete(old.clientOrderId);
      return;
    }
    const open = Decimal.min(leftToPlace(quantity ?? ended.quantity, ended), this.covered(position));
    // Within what the other legs working leave: a leg resized while this one was on its way out (its
    // share then all of the position) already covers it — both placed, they bought 8 of a short of 4.
    const room = this.targetRoom(p, position, old.clientOrderId);
    // The room is held by legs on their way out too (placed again, or not, once they end): looked at again then.
    if (open.greaterThan(0) && !room.greaterThan(0) && (await this.afterLegsLeave(p, old.clientOrderId, () => this.targetResent(p, old, quantity)))) return;
    p.resendingTargets?.delete(old.clientOrderId);
    // Settled meanwhile by another look at the same leg (the wait above yields): nothing left to do —
    // an index of -1 took the last leg off instead, a working target no longer resized.
    const index = p.targetOrderIds.indexOf(old.clientOrderId);
    if (index < 0) return;
    if (!open.greaterThan(0) || !room.greaterThan(0) || !ended.limitPrice) {
      p.targetOrderIds.splice(index, 1);
      this.record(p);
      return;
    }
    await this.targetAgain(p, index, ended.limitPrice, ended.tags, Decimal.min(open, room));
  }

  /** What the protective orders cover of `position`: all of it, or what its working exits leave where exits hold the shares. */
  private covered(position: Position): Decimal {
    return this.deps.capabilities.exitsHoldQuantity ? position.quantity.minus(this.heldByExits(position)) : position.quantity;
  }

  /** Moves the stop: a replace at the broker, with its record in the audit trail. */
  private async moveStop(p: Protection, stop: Order, price: Decimal): Promise<void> {
    p.stop = price;
    this.record(p);
    await this.change(p, stop, { stopPrice: price });
  }

  /** `p` placed order `id`: the hook finds `p` by it. */
  private own(p: Protection, id: string): void {
    this.byOrder.set(id, p);
    p.orderIds.push(id);
  }

  /**
   * A protection that is over — its position closed (or protected anew) and every order it placed
   * ended (one given up on, `failed`, may still be found at the broker: not over until it ends) — is
   * retired: still found by its orders for a while (a fill reported after its order's cancel is still
   * handled as protection's), forgotten once {@link RETIRED_KEPT} newer ones have retired.
   */
  private retireIfDone(p: Protection): void {
    if (p.retired || p.afterCancels?.length) return;
    for (const id of p.orderIds) {
      const status = this.deps.orders.get(id)?.status;
      if (status !== undefined && (!isTerminalStatus(status) || status === 'failed')) return;
    }
    p.retired = true;
    this.closing.delete(p);
    this.retired.push(p);
    if (this.retired.length <= RETIRED_KEPT) return;
    const oldest = this.retired.shift()!;
    for (const id of oldest.orderIds) if (this.byOrder.get(id) === oldest) this.byOrder.delete(id);
  }

  /** Orders the protection manager still knows (its own: those of open positions, and of the last 1 000 protections that are over). */
  get trackedOrders(): number {
    return this.byOrder.size;
  }

  private async closed(position: Position): Promise<void> {
    const p = this.byPosition.get(position.id);
    if (!p) return;
    this.byPosition.delete(position.id);
    this.clearTryAgain(position.id);
    for (const [id, close] of this.closes) if (close.p === p) this.closes.delete(id);
    const exit = lastExitPrice(position);
    if (exit) {
      if (this.rewardRisk.length >= REWARD_RISK_KEPT) this.rewardRisk.shift();
      this.rewardRisk.push({ symbol: position.symbol, r: realizedRewardRisk(p.side, p.entry, p.initialStop, exit) });
    }
    const ids = [p.stopOrderId, ...p.targetOrderIds].filter((id): id is string => id !== undefined);
    // Its orders still working are left over: journaled as such, a restart cancels them instead of
    // handing them to the symbol's next position (a cancel that fails on the way leaves them working).
    if (this.stillWorks(p)) {
      this.closing.add(p);
      this.record(p, true);
    }
    // A native OCO one of whose legs filled whole: the broker cancels the other. A leg that filled
    // only in part (the position was smaller than the pair) leaves its sibling working: ours to cancel.
    // Belt and braces: a sibling still working a while later (a pair the broker does not link — an
    // adapter's own after a restart —, its cancel lost) is cancelled here.
    if (p.native && ids.some((id) => this.deps.orders.get(id)?.status === 'filled')) {
      this.checkPairLater(p);
      return;
    }
    // Until they end: a stop left working over a closed position would open one when it triggers.
    await Promise.all(ids.map((id) => this.cancel(id, 'position closed', true)));
    // Its orders all ended before it closed (an exit made room first): nothing more will be heard of them.
    this.retireIfDone(p);
  }

  private checkPairLater(p: Protection): void {
    const timer = this.deps.clock.setTimeout(() => {
      this.pairChecks.delete(p);
      this.guard(() => this.cancelLeftOfPair(p));
    }, NATIVE_SIBLING_GRACE_MS);
    this.pairChecks.set(p, timer);
  }

  /** A native pair's legs still working after one filled and the position closed: the broker did not end them, so they are cancelled. */
  private async cancelLeftOfPair(p: Protection): Promise<void> {
    const ids = [p.stopOrderId, ...p.targetOrderIds].filter((id): id is string => id !== undefined);
    const left = ids.filter((id) => {
      const status = this.deps.orders.get(id)?.status;
      return status !== undefined && isWorkingStatus(status) && status !== 'pending_cancel';
    });
    if (left.length === 0) return;
    this.deps.logger.warn(`${p.symbol}: the other side of a filled pair still works ${NATIVE_SIBLING_GRACE_MS / 1_000} s after the position closed; cancelling it`, { clientOrderIds: left });
    await Promise.all(left.map((id) => this.cancel(id, 'the other side of a filled pair, not ended by the broker', true)));
  }

  /** `untilEnded`: a refusal by the broker is answered with the cancel asked again (see `CancelOptions`). */
  private async cancel(id: string, reason: string, untilEnded = false): Promise<void> {
    const order = this.deps.orders.get(id);
    if (order && !isTerminalStatus(order.status)) await this.deps.orders.cancel(id, reason, untilEnded ? { untilEnded } : {});
  }

  /**
   * A replace of a protective order did not go through — the request failed on the way, or the
   * broker refused it — so the order is as it was: a stop still the size of a position a target has
   * since halved sells what is not there when it triggers, one short of a grown position leaves the
   * rest bare. Looked at again on the clock (1 s, 2 s, 4 s …, at most 30 s apart) until the orders
   * are what the position needs; after {@link CONVERGE_ATTEMPTS} tries a critical
   * `protection_out_of_step` alert, and the looks go on slower — 1 min, 2, 4 … at most an hour
   * apart — so a broker back after a long outage still gets the stop brought to the position.
   */
  private scheduleConverge(p: Protection): void {
    if (this.outOfStep.next(p.positionId) !== CONVERGE_ATTEMPTS + 1) return;
    this.deps.events.emit('alert', { severity: 'critical', code: 'protection_out_of_step', message: `${p.symbol}: the protective orders could not be brought to the position after ${CONVERGE_ATTEMPTS} tries — check the stop's size and price at the broker; trying again every few minutes`, details: { symbol: p.symbol, stop: p.stop.toString() } });
  }

  /**
   * Brings the working stop to the position (its size, and its level unless it trails at the
   * broker) and every target to no more than the position (a native OCO's target to its size, as
   * its stop). A replace refused again schedules the next look (the order hook hears it).
   */
  private async converge(p: Protection): Promise<void> {
    const position = this.stillOpen(p);
    if (!position || this.byPosition.get(p.positionId) !== p) {
      this.outOfStep.done(p.positionId);
      return;
    }
    const stop = this.stopOf(p);
    if (stop && midRequest(stop.status)) {
      // Mid-request (a cancel, a replace): looked at once it has ended (see stopSettled), or at this
      // step of the backoff again — nothing was asked, so it is no try.
      this.outOfStep.again(p.positionId);
      return;
    }
    // The orders to change, the stop first (a native OCO's legs change as a pair) — and the stop's
    // level too, unless it trails at the broker.
    const orders = this.resizes(p, position).map(([order]) => order);
    const level = resizable(stop) && stop.type === 'stop' && stop.stopPrice && !stop.stopPrice.equals(p.stop) ? p.stop : undefined;
    if (level && stop && !orders.includes(stop)) orders.unshift(stop);
    // The entry stays while the replaces go, so a refusal of one counts as the next attempt; none
    // refused (no new look scheduled meanwhile): in step, and the count starts again next time.
    const look = this.outOfStep.current(p.positionId);
    for (const order of orders) {
      // Each sized as it goes, one after another: a leg sized up front, beside a leg being placed again
      // (no replace), took all 11 held and went out beside that leg's 6 once the stop's resend had settled.
      const now = this.stillOpen(p);
      const quantity = now ? this.resizes(p, now).find(([o]) => o === order)?.[1] : undefined;
      const stopPrice = order === stop ? level : undefined;
      if (quantity || stopPrice) await this.change(p, order, { ...(quantity ? { quantity } : {}), ...(stopPrice ? { stopPrice } : {}) });
    }
    if (this.outOfStep.current(p.positionId) !== look) return;
    this.outOfStep.done(p.positionId);
    // Fills heard while the replaces travelled asked for a look of their own, folded into this one
    // (it was pending): the orders are brought to the position as it is now — left at the size this
    // look asked for, a stop of 2 stayed under a short of 11.
    // (Also the last leg placed again when every leg has filled with shares still held.)
    if (this.stillOpen(p)) await this.resizeToPosition(p);
  }

  /**
   * The engine stopped: no look-again fires while it is down (it would send a replace through a
   * stopped engine); the protections still out of step are looked at again on {@link resume}.
   */
  suspend(): void {
    this.outOfStep.suspend();
    for (const [positionId, timer] of this.afterGiveUp) {
      this.deps.clock.clearTimeout(timer);
      this.tryAfterResume.add(positionId);
    }
    this.afterGiveUp.clear();
    // (A pair's look is kept, to run again from resume: a cancel through a stopped engine would fail.)
    for (const [p, timer] of this.pairChecks) {
      if (timer !== undefined) this.deps.clock.clearTimeout(timer);
      this.pairChecks.set(p, undefined);
    }
  }

  /**
   * The broker answers again after an outage (the stream reconnected, or a reconciliation went
   * through after one that failed): protective orders a failed replace left out of step are looked
   * at now, and a stop given up on is tried now — not at the next step of their backoff, which after
   * a long outage is up to an hour away, with the stop the wrong size or missing all that time. The
   * counts stay where they were, so a broker that still refuses is asked no more often than before.
   */
  brokerBack(): void {
    // (One already being looked at now, by an earlier call, is left to that look.)
    this.outOfStep.allNow((positionId) => this.byPosition.has(positionId));
    for (const [positionId] of [...this.afterGiveUp]) {
      const p = this.byPosition.get(positionId);
      if (p) this.tryStopAgain(p);
    }
  }

  /**
   * A reconciliation compared positions with the broker's — all but the `deferred` symbols. A
   * position protection gave up on (every stop and close refused: often for a position the broker
   * did not hold, while the engine's own retries kept the symbol's orders moving and each comparison
   * deferred) now stands as the broker has it: its stop is tried at once rather than after up to an
   * hour of backoff — once between two of the backoff's own tries, which go on as before.
   */
  positionsCompared(deferred: readonly string[]): void {
    for (const [positionId] of [...this.afterGiveUp]) {
      const p = this.byPosition.get(positionId);
      if (!p || deferred.includes(p.symbol) || p.triedOnCompare) continue;
      p.triedOnCompare = true;
      this.tryStopAgain(p);
    }
    // Protective orders out of step past the quick looks (the broker refused their replaces or
    // cancels again and again): looked at now, once between two of the backoff's own looks.
    this.outOfStep.hurry((positionId) => {
      const p = this.byPosition.get(positionId);
      return p !== undefined && !deferred.includes(p.symbol);
    });
  }

  /** A look of `p` that waited for its stop to settle (see {@link converge}) goes now: the stop has ended. */
  private stopSettled(p: Protection): void {
    if (this.byPosition.get(p.positionId) === p) this.outOfStep.now(p.positionId);
  }

  /** The engine started again: the looks {@link suspend} held back are scheduled again. */
  resume(): void {
    for (const positionId of this.outOfStep.resume()) {
      const p = this.byPosition.get(positionId);
      if (p) this.scheduleConverge(p);
    }
    for (const positionId of this.tryAfterResume) {
      const p = this.byPosition.get(positionId);
      // The count stays: the delay is the one it would have had.
      if (p) this.scheduleTry(p);
    }
    this.tryAfterResume.clear();
    for (const [p, timer] of this.pairChecks) if (timer === undefined) this.checkPairLater(p);
  }

  /** Protection must never break the engine: failures are logged and alerted, not thrown. */
  private guard(work: () => Promise<void>): void {
    void this.guarded(work);
  }

  /** `work`, its failure logged and alerted (`protection_failed`) rather than thrown. */
  private guarded(work: () => Promise<void>): Promise<void> {
    return work().catch((error: unknown) => {
      this.deps.logger.error('protection failed', { error: describeError(error) });
      this.deps.events.emit('alert', { severity: 'critical', code: 'protection_failed', message: describeError(error) });
    });
  }
}

/** Who sent a close protection watches (see watchForceClose), for its alert. */
type CloseKind = 'force-close' | 'exit' | 'close';

/** A close watched until it ends (see `RiskOrderManager.closes`): `ended` runs then; `p`: the protection that sent it, if it did. */
interface WatchedClose {
  readonly p?: Protection;
  readonly ended: (close: Order) => Promise<void>;
}

/** Why a watched close that ended left the position open, for an alert. */
function closeWhy(close: Order): string {
  return close.status === 'filled' ? 'filled, but the position had grown while it worked' : (close.errorMessage ?? close.status);
}

/** How a close that did not close the position ended, for an alert: never sent, refused, or ended unfilled. */
function closeOutcome(close: Order | undefined, failure?: string): string {
  if (failure !== undefined || close?.status === 'failed') return `the close could not be sent (${failure ?? close?.errorMessage ?? 'failed'})`;
  if (!close) return 'no close was sent';
  if (close.status === 'rejected' || close.status === 'risk_rejected') return `the close was refused (${close.errorMessage ?? close.status})`;
  return `the close ended unfilled (${close.errorMessage ?? close.status})`;
}


function lastExitPrice(position: Position): Decimal | undefined {
  const exits = position.fills.filter((f) => f.side !== entrySide(position.side));
  if (exits.length === 0) return undefined;
  const quantity = exits.reduce((s, f) => s.plus(f.quantity), ZERO);
  return exits.reduce((s, f) => s.plus(f.quantity.times(f.price)), ZERO).dividedBy(quantity);
}

