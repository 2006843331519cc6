import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { OrderStatusReport, PositionReport } from '../broker/reports.js';
import type { Order } from '../model/order.js';
import type { Clock } from '../core/clock.js';
import { type Decimal, ZERO } from '../core/decimal.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../events/event-bus.js';
import type { AlertEvents } from '../events/alert.js';
import type { ReconciliationEvents, ReconciliationReport } from './reconciliation-report.js';
import type { OrderLifecycleManager } from '../execution/order-lifecycle-manager.js';
import { POSITION_ADOPTED_TOPIC, replayJournal } from './replay-journal.js';
import { type Journal, type JournalRecord, UNSTAMPED } from '../journal/journal.js';
import { applyReplayed, lastPositionsCheckpoint } from '../positions/positions-from-journal.js';
import { isTerminalStatus } from '../model/order-status.js';
import { RiskOrderManager } from '../risk/risk-order-manager.js';
import type { PositionManager } from '../positions/position-manager.js';

export interface RecoveryPolicy {
  /** When local positions disagree with the broker: take the broker's (`adopt`) or stop trading (`halt`). */
  readonly onMismatch: 'adopt' | 'halt';
  /** Send journaled orders the broker never received (same client order id). */
  readonly resendUnacknowledged: boolean;
  /** …but only if journaled less than this long ago; older ones are marked failed. */
  readonly maxResendAgeMs: number;
}

/** What one reconciliation looks at (see {@link Reconciler.reconcile}). */
export interface ReconcileOptions {
  /** Orders a restart took back from the journal, for the report. */
  readonly recovered?: number | undefined;
  /** Also look up failed orders (after a restart: the broker may hold one given up on). */
  readonly includeFailed?: boolean;
}

export interface ReconcilerDeps {
  readonly adapter: BrokerAdapter;
  readonly orders: OrderLifecycleManager;
  readonly positions: PositionManager;
  readonly journal: Journal;
  readonly events: EventSink<ReconciliationEvents & AlertEvents>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: RecoveryPolicy;
  /** Called when the policy says to stop trading. */
  readonly halt: (reason: string) => void;
  /** Called when a run goes through after one that failed: the broker answers again. */
  readonly answersAgain?: () => void;
}

/**
 * Crash recovery and drift detection. `recover()` rebuilds orders and positions from the journal,
 * then reconciles; `reconcile()` compares the broker's orders and positions with ours and closes the
 * gap through the same code paths as live updates (reports → events). Each run is journaled and
 * emitted as a `reconciliation` report.
 */
export class Reconciler {
  /** Unknown broker orders already alerted (the ones still open at the last run: bounded by what is open). */
  private unknownAlerted = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  /**
   * Rebuilds orders and positions from the journal — local work only, no network. History is not
   * news: nothing is announced. Returns the orders it took back; an order already tracked is left
   * alone, so a second call restores nothing twice.
   */
  restore(records: readonly JournalRecord[] = this.deps.journal.query()): readonly Order[] {
    const { orders, positions, logger } = this.deps;
    const replayed = replayJournal(records);
    for (const skipped of replayed.skipped) logger.warn(`journal record ${skipped.seq} not replayed: ${skipped.reason}`);
    // A checkpoint stands for every fill before it: positions start from it, then the fills after.
    const checkpoint = lastPositionsCheckpoint(records);
    // Orders this process already tracks (sent before recover(), or restored by an earlier call) stay as they are.
    const fresh = replayed.orders.filter((o) => orders.get(o.clientOrderId) === undefined);
    const byId = new Map(fresh.map((o) => [o.clientOrderId, o]));
    for (const order of fresh) orders.restore(order, replayed.timeouts.has(order.clientOrderId) ? replayed.timeouts.get(order.clientOrderId) : timeoutBeforeItWasJournaled(order));
    restoreCancelsBeforeAck(records, fresh, orders);
    // Orders whose fills a stream gap may have hidden: the reconciliation looks them up, ended or not.
    orders.restoreWatched(records);
    orders.keepToConfirmAfterRestart(fresh.filter((o) => !isTerminalStatus(o.status)).map((o) => o.clientOrderId));
    positions.restoring(() => {
      if (checkpoint) positions.restoreCheckpoint(checkpoint);
      // Fills and the adoptions of reconciliations, in the order they happened.
      applyReplayed(positions, replayed, byId);
      for (const order of fresh) {
        if (isTerminalStatus(order.status)) continue;
        // Protection's stops and targets guard the position; they are not an exit working (live, they
        // are never linked as one): taken as exits, every protected position came back PENDING_EXIT
        // and refused scale-ins and rebalances a live engine takes.
        if (RiskOrderManager.isProtective(order)) continue;
        if (order.reduceOnly) positions.trackExit(order);
        else positions.trackEntry(order, { ...(order.signalId ? { signalId: order.signalId } : {}), ...(order.strategyId ? { strategyId: order.strategyId } : {}) });
      }
      // A checkpoint's pending position whose order ended after it waits on nothing.
      if (checkpoint) positions.settlePendingWithoutOrders();
    });
    return fresh;
  }

  /** {@link restore}, then {@link reconcile} (the engine's `recover()` adds retries, decisions and protection). */
  async recover(): Promise<ReconciliationReport & { signalIds: readonly string[] }> {
    const restored = this.restore();
    const report = await this.reconcile({ recovered: restored.length, includeFailed: true });
    return { ...report, signalIds: restored.flatMap((o) => (o.signalId ? [o.signalId] : [])) };
  }

  /**
   * Brings local state up to the broker's: every order we think is working (and, after a restart,
   * every one we gave up on) is looked up by client order id and updated; journaled orders the broker
   * never saw are resent or failed per policy; open orders we do not know are reported; positions
   * that disagree are adopted or trading is halted.
   *
   * One run at a time. Asked while one runs, it runs once more right after — a run already under way
   * may have read the broker before what the caller wants checked happened — and everyone who asks
   * meanwhile shares that run and its report. Two runs never interleave, so an older picture of the
   * broker is never adopted over a newer one.
   */
  reconcile(options: ReconcileOptions = {}): Promise<ReconciliationReport> {
    if (this.next) {
      this.next.options = { recovered: options.recovered ?? this.next.options.recovered, includeFailed: options.includeFailed === true || this.next.options.includeFailed === true };
      return this.next.report;
    }
    const running = this.running;
    if (!running) return this.track(this.compare(options));
    const next: { options: ReconcileOptions; report: Promise<ReconciliationReport> } = { options, report: undefined as never };
    next.report = running.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.track(this.compare(next.options));
    });
    this.next = next;
    return next.report;
  }

  /** The run in progress, and the one asked for while it runs (see {@link reconcile}). */
  private running: Promise<ReconciliationReport> | undefined;
  private next: { options: ReconcileOptions; report: Promise<ReconciliationReport> } | undefined;
  /** Whether the last run failed (see `answersAgain`). */
  private lastFailed = false;

  private track(run: Promise<ReconciliationReport>): Promise<ReconciliationReport> {
    this.running = run;
    const done = (failed: boolean): void => {
      if (this.running === run) this.running = undefined;
      if (!failed && this.lastFailed) this.deps.answersAgain?.();
      this.lastFailed = failed;
    };
    run.then(
      () => done(false),
      () => done(true),
    );
    return run;
  }

  private async compare(options: ReconcileOptions): Promise<ReconciliationReport> {
    const { adapter, orders, positions, policy, clock, journal, events } = this.deps;
    const at = clock.now();
    const resent: string[] = [];
    const missing: string[] = [];
    const found: string[] = [];
    // One call for every order still open at the broker; only what it lacks (ended, or never
    // arrived) is looked up one by one — a restart costs a request per change, not per order.
    const asked = orders.changeMark;
    const open = openOrderIndex(await adapter.getOpenOrders());
    // The broker answers: cancels it refused again and again are asked now, not at a slow ask an hour away.
    orders.askSlowCancelsNow();
    // An order of a symbol that moved while the list travelled (a fill, a replace's answer) may be
    // newer here than in the list: asked for by itself instead (see OrderLifecycleManager.refreshOrder).
    // So may one whose "pending cancel" the broker refused while the list travelled, with nothing
    // changed here (the order already worked again): the list would put that cancel back.
    const fresh = (order: Order, report: OrderStatusReport): boolean => !orders.changedSince(order.symbol, asked) && !orders.reportOutrun(report, order.clientOrderId, asked);
    // Ended here, working there (a send given up on or withdrawn whose timed-out attempt landed later):
    // its report applied (fills count), then cancelled at the broker if it is still ended here. First,
    // before this reconciliation's own look-ups change the symbol's orders and make the list stale.
    // Which ones the list answers is decided before any is applied (applying one changes its symbol);
    // one whose symbol moved while the list travelled is looked up by itself, and the broker asked again.
    // Also a second order under the client id of one that filled here (a send that landed late beside
    // its resend after a restart, at a broker that takes an id again once its order ended): never
    // meant to work — cancelled by its own broker id (alerted as a duplicate below too).
    const endedHere: { report: OrderStatusReport; id: string; current: boolean }[] = [];
    const duplicates: { order: Order; brokerOrderId: string }[] = [];
    for (const report of open.reports) {
      const byId = orders.get(report.clientOrderId);
      if (byId?.status === 'filled' && byId.brokerOrderId !== undefined && report.brokerOrderId && report.brokerOrderId !== byId.brokerOrderId) {
        duplicates.push({ order: byId, brokerOrderId: report.brokerOrderId });
        continue;
      }
      const mine = byId ?? orders.getByBrokerOrderId(report.brokerOrderId);
      if (mine && isTerminalStatus(mine.status) && mine.status !== 'filled') endedHere.push({ report, id: mine.clientOrderId, current: fresh(mine, report) });
    }
    for (const { order, brokerOrderId } of duplicates) void orders.endedButWorking(order, { ask: true, brokerOrderId });
    for (const { report, id, current } of endedHere) {
      if (current) {
        orders.applyReport(report);
        void orders.endedButWorking(orders.get(id)!, { brokerOrderId: report.brokerOrderId });
      } else void orders.refreshOrder(id).then(() => orders.endedButWorking(orders.get(id)!, { ask: true, brokerOrderId: report.brokerOrderId }), (error: unknown) => this.deps.logger.warn(`could not look up ${id}, listed open at the broker though it ended here`, { error: describeError(error) }));
    }
    // The working orders (kept as a set): a periodic reconcile costs what is open, not the whole
    // order history (a backtest reconciling on its simulated clock went quadratic). After a restart,
    // failed ones are looked at too; before that, the ones given up on while the broker may hold
    // them (send and look-up both failed): found, their fills reach the position before it is compared.
    // Also the ones that were working when the stream dropped and have not been confirmed since
    // (ended ones included: a fill may have come unheard before the end heard later).
    const toConfirm = orders.ordersToConfirm();
    // In doubt also after a restart: a send withdrawn while its attempt may land ended cancelled, not failed.
    const candidates = unique(options.includeFailed ? orders.orderList().filter((o) => !isTerminalStatus(o.status) || o.status === 'failed') : orders.workingOrders(), [...orders.ordersInDoubt(), ...toConfirm]);
    // Ended here but asked for all the same (to confirm, in doubt, failed after a restart): the open
    // list cannot answer for them — a filled bracket entry given up on is in no open list, though its
    // legs are (their answer let the list pass as answered, and the entry's fill was lost).
    const endedAsked = new Set(candidates.filter((o) => isTerminalStatus(o.status)).map((o) => o.clientOrderId));
    const listsSeen = new Set<string>();
    // What the open list answers is applied at once; the rest is looked up (and resent, or marked
    // missing) together — a restart after many changes costs one round trip, not one per order —
    // and reported in the orders' order.
    const lookups: Promise<Outcome>[] = [];
    for (const order of candidates) {
      const id = order.clientOrderId;
      const list = orders.listOf(id);
      if (list) {
        // A native list is looked up (and, if it never arrived, resent) as a whole, through its parent.
        const parent = list.ids[0]!;
        if (listsSeen.has(parent)) continue;
        listsSeen.add(parent);
        const members = list.ids.map((member) => orders.get(member)!).filter((o) => !isTerminalStatus(o.status));
        const reports = members.map((o) => open.find(o));
        // A member that ended while unheard fills may have come first is not in the open list: the list is asked for.
        const answered = members.length > 0 && reports.every((r) => r !== undefined) && members.every((o, i) => fresh(o, reports[i]!)) && !list.ids.some((member) => endedAsked.has(member));
        if (answered) {
          for (const report of reports) orders.applyReport(report!);
          for (const report of reports) orders.cancelNotTaken(report!, at);
          lookups.push(Promise.resolve({ found: list.ids }));
          continue;
        }
        lookups.push(this.lookUpList(order, parent, list.ids, at));
        continue;
      }
      const listed = open.find(order);
      if (listed && fresh(order, listed)) {
        orders.applyReport(listed);
        // Still working there a while after its cancel: the cancel did not take.
        orders.cancelNotTaken(listed, at);
        lookups.push(Promise.resolve({ found: [id] }));
        continue;
      }
      lookups.push(this.lookUpOrder(order, at));
    }
    for (const outcome of await Promise.all(lookups)) {
      if (outcome.found) found.push(...outcome.found);
      if (outcome.resent) resent.push(...outcome.resent);
      if (outcome.missing) missing.push(...outcome.missing);
    }

    const unknown = open.reports.filter((r) => {
      if (orders.getByBrokerOrderId(r.brokerOrderId)) return false;
      const mine = orders.get(r.clientOrderId);
      return mine === undefined || open.isDuplicate(r, mine);
    });
    const unknownBrokerOrders = unknown.map((r) => r.clientOrderId || r.brokerOrderId);
    this.alertUnknown(unknown);
    let { brokerPositions, positionMismatches, positionsDeferred } = await this.comparePositions();
    // A difference that orders given up on long ago may explain (in doubt for a day, every look-up
    // failed: a broker down that long) — asked for first, and the positions read again if one is
    // found: its fills are the difference, and the order's own (adopted, they were lost to it).
    const unanswered = positionMismatches.flatMap((m) => orders.ordersUnanswered(m.symbol));
    if (unanswered.length > 0) {
      const outcomes = await Promise.all(unanswered.map((order) => this.lookUpOrder(order, at).catch((): Outcome => ({}))));
      const more = outcomes.flatMap((outcome) => outcome.found ?? []);
      if (more.length > 0) {
        found.push(...more);
        ({ brokerPositions, positionMismatches, positionsDeferred } = await this.comparePositions());
      }
    }
    let action: ReconciliationReport['action'] = 'none';
    if (positionMismatches.length > 0) {
      if (policy.onMismatch === 'adopt') {
        action = 'adopted';
        for (const m of positionMismatches) {
          const broker = brokerPositions.find((p) => p.symbol === m.symbol);
          const assetClass = broker?.assetClass ?? 'equity';
          const averagePrice = broker?.averageEntryPrice ?? ZERO;
          const adopt = (quantity: Decimal): void => {
            // Journaled where it happens among the fills: a restart's replay sets the position here too.
            journal.append({ kind: 'note', at, topic: POSITION_ADOPTED_TOPIC, symbol: m.symbol, data: { symbol: m.symbol, assetClass, quantity: quantity.toFixed(), averagePrice: averagePrice.toFixed() }, seq: UNSTAMPED });
            positions.adopt(m.symbol, assetClass, quantity, averagePrice);
            orders.forgetUnanswered(m.symbol);
          };
          // The other side is two steps, journaled as such: the close, then the broker's side. A
          // listener of the close may open the symbol again (a signal sent from it): the broker's
          // picture predates that position's order, and the next reconciliation compares them.
          const local = positions.get(m.symbol);
          if (local && !m.broker.isZero() && (local.side === 'long') !== m.broker.isPositive()) {
            adopt(ZERO);
            if (positions.get(m.symbol)) {
              positionsDeferred.push(m.symbol);
              continue;
            }
          }
          adopt(m.broker);
        }
      } else {
        action = 'halted';
        this.deps.halt(`positions disagree with the broker: ${positionMismatches.map((m) => `${m.symbol} local ${m.local.toString()} vs broker ${m.broker.toString()}`).join('; ')}`);
      }
    }
    const report: ReconciliationReport = {
      at,
      ordersRecovered: options.recovered ?? 0,
      ordersFoundAtBroker: found,
      ordersResent: resent,
      ordersMissing: missing,
      unknownBrokerOrders,
      positionMismatches,
      positionsDeferred,
      action,
    };
    journal.append({ kind: 'note', at, topic: 'reconciliation', data: serializable(report) });
    events.emit('reconciliation', report);
    return report;
  }

  /**
   * The broker's positions against ours, as a consistent cut: compared only for symbols whose orders
   * did not move while the picture was taken (see comparable()); the others are deferred.
   */
  private async comparePositions(): Promise<{ brokerPositions: readonly PositionReport[]; positionMismatches: { symbol: string; local: Decimal; broker: Decimal }[]; positionsDeferred: string[] }> {
    const mark = this.deps.orders.changeMark;
    const brokerPositions = await this.deps.adapter.getPositions();
    const positionsDeferred: string[] = [];
    const positionMismatches: { symbol: string; local: Decimal; broker: Decimal }[] = [];
    for (const mismatch of this.positionDiff(brokerPositions)) {
      if (await this.comparable(mismatch.symbol, mark)) positionMismatches.push(mismatch);
      else positionsDeferred.push(mismatch.symbol);
    }
    return { brokerPositions, positionMismatches, positionsDeferred };
  }

  /**
   * Open orders at the broker that this engine did not place — a person at the broker's site,
   * another program on the account, an engine whose journal was lost — can fill and move positions
   * under it: alerted once each (a periodic run does not repeat it while they stay open).
   */
  private alertUnknown(unknown: readonly OrderStatusReport[]): void {
    const fresh = unknown.filter((r) => !this.unknownAlerted.has(r.brokerOrderId));
    this.unknownAlerted = new Set(unknown.map((r) => r.brokerOrderId));
    if (fresh.length === 0) return;
    const shown = fresh.slice(0, 5).map((r) => `${r.side} ${r.quantity.toString()} ${r.symbol} ${r.type} (${r.clientOrderId || r.brokerOrderId})`);
    this.deps.events.emit('alert', {
      severity: 'warning',
      code: 'unknown_broker_orders',
      message: `${fresh.length} open order${fresh.length === 1 ? '' : 's'} at the broker that this engine did not place: ${shown.join(', ')}${fresh.length > 5 ? ', …' : ''}`,
      details: { orders: fresh.map((r) => ({ clientOrderId: r.clientOrderId, brokerOrderId: r.brokerOrderId, symbol: r.symbol, side: r.side, quantity: r.quantity.toString(), type: r.type })) },
    });
  }

  /** A native list the open orders did not account for: asked for through its parent; resent whole if it never arrived, else its unsent members marked failed. */
  private async lookUpList(order: Order, parent: string, ids: readonly string[], at: number): Promise<Outcome> {
    const { orders, policy } = this.deps;
    if (await orders.refreshList(parent)) {
      // A leg the parent's answer did not carry (a broker that does not nest them) and still working
      // here, though the open orders did not list it: asked for by its own id.
      const stale = ids.filter((member) => member !== parent && orders.get(member) !== undefined && !isTerminalStatus(orders.get(member)!.status));
      await Promise.all(stale.map((member) => orders.refreshOrder(member).catch(() => false)));
      return { found: ids };
    }
    // Cancelled before it reached the broker (the kill switch while its send was on the way): not sent
    // now, and not left pending cancel for good — as for one order (see lookUpOrder).
    const withdrawn = ids.filter((member) => orders.withdrawUnsent(member, 'cancelled before the broker acknowledged it, and not found at the broker'));
    const unsent = ids.filter((member) => ['created', 'validated', 'submitted'].includes(orders.get(member)?.status ?? ''));
    if (unsent.length === 0) return withdrawn.length > 0 ? { missing: withdrawn } : {};
    if (withdrawn.length === 0 && policy.resendUnacknowledged && at - order.createdAt <= policy.maxResendAgeMs && unsent.length === ids.length) {
      await orders.resumeList(parent);
      return { resent: ids };
    }
    orders.notFoundAfterRestart(unsent, 'not found at the broker after a restart');
    return { missing: [...withdrawn, ...unsent] };
  }

  /** An order the open orders did not list: asked for; one the broker never saw is resent (when young enough) or marked failed. */
  private async lookUpOrder(order: Order, at: number): Promise<Outcome> {
    const { orders, policy } = this.deps;
    const id = order.clientOrderId;
    // Looked up by itself (its symbol moved while the list travelled): a cancel that did not take is caught here too.
    if (await orders.refreshOrder(id, at)) return { found: [id] };
    // Cancelled before it reached the broker: not sent now.
    if (orders.withdrawUnsent(id, 'cancelled before the broker acknowledged it, and not found at the broker')) return { missing: [id] };
    if (order.status !== 'created' && order.status !== 'validated' && order.status !== 'submitted') return {};
    if (policy.resendUnacknowledged && at - order.createdAt <= policy.maxResendAgeMs) {
      await orders.resume(id);
      return { resent: [id] };
    }
    orders.notFoundAfterRestart([id], 'not found at the broker after a restart');
    return { missing: [id] };
  }

  /**
   * Whether the broker's picture of `symbol`, read after `mark`, can be compared with ours. Not when
   * an order of that symbol changed since `mark` (a fill or an answer crossed the read), nor when one
   * was sent and not yet acknowledged (it may have filled at the broker unseen). A symbol with
   * orders working at the broker is re-read: each is asked for again, and only if none of them
   * moved meanwhile does the picture hold — every fill up to the read is then applied here too.
   */
  private async comparable(symbol: string, mark: number): Promise<boolean> {
    const { orders } = this.deps;
    if (orders.changedSince(symbol, mark)) return false;
    const working = orders.workingOrders().filter((o) => o.symbol === symbol);
    if (working.some((o) => o.status === 'created' || o.status === 'validated' || o.status === 'submitted')) return false;
    for (const order of working) {
      if (!(await orders.refreshOrder(order.clientOrderId).catch(() => false))) return false;
    }
    return !orders.changedSince(symbol, mark);
  }

  /** Symbols whose signed quantity differs between us and the broker. */
  private positionDiff(broker: readonly PositionReport[]): ReconciliationReport['positionMismatches'] {
    const local = new Map<string, Decimal>();
    for (const p of this.deps.positions.openPositions()) local.set(p.symbol, p.side === 'long' ? p.quantity : p.quantity.negated());
    const remote = new Map<string, Decimal>(broker.map((p) => [p.symbol, p.quantity]));
    const out: { symbol: string; local: Decimal; broker: Decimal }[] = [];
    for (const symbol of new Set([...local.keys(), ...remote.keys()])) {
      const l = local.get(symbol) ?? ZERO;
      const b = remote.get(symbol) ?? ZERO;
      if (!l.equals(b)) out.push({ symbol, local: l, broker: b });
    }
    return out;
  }
}


/**
 * The restored orders the broker had not acknowledged when the dead process asked to cancel them:
 * remembered again by the lifecycle (see OrderLifecycleManager.restoreCancelAskedBeforeAck).
 */
function restoreCancelsBeforeAck(records: readonly JournalRecord[], restored: readonly Order[], orders: ReconcilerDeps['orders']): void {
  const unacknowledged = new Set<string>();
  for (const order of restored) {
    if (order.acceptedAt !== undefined || isTerminalStatus(order.status)) continue;
    // Still pending cancel says it; one whose cancel was refused (back to `submitted`) only the
    // journal's records do (a checkpoint keeps the state, not that record: see docs/architecture.md).
    if (order.status === 'pending_cancel') orders.restoreCancelAskedBeforeAck(order.clientOrderId);
    else unacknowledged.add(order.clientOrderId);
  }
  if (unacknowledged.size === 0) return;
  for (const record of records) {
    if (record.kind === 'order.event' && record.eventType === 'cancel_requested' && unacknowledged.has(record.clientOrderId)) orders.restoreCancelAskedBeforeAck(record.clientOrderId);
  }
}

/** The broker's open orders, found by our client order id or, for legs the broker named, by its order id. */
function openOrderIndex(reports: readonly OrderStatusReport[]) {
  const byClient = new Map(reports.map((r) => [r.clientOrderId, r]));
  const byBroker = new Map(reports.map((r) => [r.brokerOrderId, r]));
  return {
    reports,
    // The order's own broker id first: two open orders under one client id (a request that landed
    // late beside its retry) must not take turns being the order, one reconciliation to the next.
    find: (order: Order): OrderStatusReport | undefined => (order.brokerOrderId ? byBroker.get(order.brokerOrderId) : undefined) ?? byClient.get(order.clientOrderId),
    /** A second open order under `order`'s client id, beside the order itself (listed under its own broker id): the engine did not place it. */
    isDuplicate: (report: OrderStatusReport, order: Order): boolean => order.brokerOrderId !== undefined && report.brokerOrderId !== order.brokerOrderId && byBroker.has(order.brokerOrderId),
  };
}

function serializable(report: ReconciliationReport): Record<string, unknown> {
  return { ...report, positionMismatches: report.positionMismatches.map((m) => ({ symbol: m.symbol, local: m.local.toString(), broker: m.broker.toString() })) };
}

/** What looking one order (or native list) up came to, for the reconciliation's report. */
interface Outcome {
  readonly found?: readonly string[];
  readonly resent?: readonly string[];
  readonly missing?: readonly string[];
}

/** `first` then the orders of `more` not in it, each once. */
function unique(first: readonly Order[], more: readonly Order[]): Order[] {
  if (more.length === 0) return [...first];
  const seen = new Set(first.map((o) => o.clientOrderId));
  return [...first, ...more.filter((o) => !seen.has(o.clientOrderId) && (seen.add(o.clientOrderId), true))];
}

/**
 * The timeout of an order from a journal written before timeouts were journaled: none for the orders
 * that never had one — protection's stops and targets (timed out, a restart a minute later cancelled
 * every stop) and a list's legs after the first — the default for the rest.
 */
function timeoutBeforeItWasJournaled(order: Order): number | null | undefined {
  return RiskOrderManager.isProtective(order) || order.links.parentId !== undefined ? null : undefined;
}
