import { doublingDelayMs } from '../core/backoff.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { type Decimal, ZERO } from '../core/decimal.js';
import { describeError, isBrokerError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AlertEvents } from '../events/alert.js';
import type { EventSink } from '../events/event-bus.js';
import type { RestoredDecisions } from '../execution/decision-log.js';
import type { InterruptedRequest, OrderLifecycleManager } from '../execution/order-lifecycle-manager.js';
import type { Journal, JournalRecord } from '../journal/journal.js';
import type { Order } from '../model/order.js';
import type { Reconciler } from './reconciler.js';
import type { ChangedWhileDown, ReconciliationEvents, RecoveryReport } from './reconciliation-report.js';

/** Where the engine is with `recover()`: signals are refused while `recovering` and after `failed`. */
export type RecoveryState = 'idle' | 'recovering' | 'failed' | 'recovered';

export interface EngineRecoveryDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly journal: Journal;
  readonly events: EventSink<ReconciliationEvents & AlertEvents>;
  readonly orders: OrderLifecycleManager;
  readonly reconciler: Reconciler;
  /** Takes back the trading state (a halt, reduce-only) from the journal's records. */
  readonly restoreTradingState: (records: readonly JournalRecord[]) => void;
  /** Takes back the signal decisions and the queue, given the orders restored. */
  readonly restoreDecisions: (orders: readonly Order[], records: readonly JournalRecord[]) => RestoredDecisions;
  /** Takes back (or places) the protection of every open position; safe to call again. */
  readonly restoreProtection?: (records: readonly JournalRecord[]) => Promise<unknown>;
  /** What the dead process was doing and the restart finishes once the broker is reconciled (a kill switch's flatten). */
  readonly finishInterrupted?: () => Promise<void>;
  /** Protects positions opened while recover() ran, after it had taken protection back (see RiskOrderManager.protectOpenedInRecovery). */
  readonly protectOpenedMeanwhile?: () => Promise<void>;
  readonly retry: { readonly retries: number; readonly retryDelayMs: number; readonly retryAfterFailureMs: number };
}

const MAX_DELAY_MS = 30_000;

/**
 * The engine's `recover()`, in two halves. The local half — orders, positions, decisions, the queue
 * and the trading state rebuilt from the journal — runs once per process, quietly. The network half
 * — reconciling with the broker and restoring protection — retries retryable broker failures with
 * backoff on the injected clock, and can be called again after it failed: it only ever brings
 * local state up to the broker's. One `recovered` event sums the restart up. When the network half
 * fails on the network, it is tried again by itself (`retryAfterFailureMs`) until it succeeds —
 * a bot left running through an outage trades again once the broker is back, without a host's call.
 */
export class EngineRecovery {
  private current: RecoveryState = 'idle';
  private restored:
    | {
        orders: readonly Order[];
        decisions: RestoredDecisions;
        before: Map<string, { status: string; filled: Decimal }>;
        records: readonly JournalRecord[] | undefined;
        /** The requests the dead process left pending (cancels, replaces): resumed by the first recovery that succeeds, then none. */
        interrupted: Map<string, InterruptedRequest>;
        /** Cancels whose request had failed and were waiting to be asked again (with their reasons): asked once, likewise. */
        cancelRetries: Map<string, string>;
      }
    | undefined;
  private running: Promise<RecoveryReport> | undefined;
  /** The attempt scheduled after a failure on the network, while one is. */
  private later: TimerHandle | undefined;
  /** The last failure was the network's: worth trying again by itself. */
  private failedOnNetwork = false;
  /** Failures since the last success: the first raises the alert, the rest are logged. */
  private failuresInRow = 0;
  private suspended = false;

  constructor(private readonly deps: EngineRecoveryDeps) {}

  get state(): RecoveryState {
    return this.current;
  }

  /** Why signals must wait, or undefined when they may be decided. */
  get blocking(): 'recovering' | 'failed' | undefined {
    return this.current === 'recovering' || this.current === 'failed' ? this.current : undefined;
  }

  /** Runs recovery; a call while one runs joins it. */
  run(): Promise<RecoveryReport> {
    this.cancelLater();
    this.running ??= this.attempt().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The engine stopped: no attempt by itself until {@link resume}. */
  suspend(): void {
    this.suspended = true;
    this.cancelLater();
  }

  /** The engine started again: a recovery that failed on the network is tried again by itself. */
  resume(): void {
    this.suspended = false;
    if (this.current === 'failed' && this.failedOnNetwork) this.scheduleLater();
  }

  private scheduleLater(): void {
    const delayMs = this.deps.retry.retryAfterFailureMs;
    if (delayMs <= 0 || this.suspended || this.later !== undefined) return;
    this.later = this.deps.clock.setTimeout(() => {
      this.later = undefined;
      // Its failure is reported (alert or log) and scheduled again by attempt(); nobody awaits this one.
      this.run().catch(() => undefined);
    }, delayMs);
  }

  private cancelLater(): void {
    if (this.later === undefined) return;
    this.deps.clock.clearTimeout(this.later);
    this.later = undefined;
  }

  private async attempt(): Promise<RecoveryReport> {
    const { reconciler, clock, logger, events, journal } = this.deps;
    this.current = 'recovering';
    const restored = (this.restored ??= this.restoreLocal());
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const report = await reconciler.reconcile({ recovered: restored.orders.length, includeFailed: true });
        // The protection is taken back first (its orders adopted before its first await), so a replace
        // given up is brought back in step by it — and the dead process's requests go while it
        // settles: awaited first, a stop to be placed again once a cancel the dead process asked had
        // ended waited ten minutes for that cancel, sent again only after (recover() hung).
        // The dead process's cancels still to be asked again count as coming from now: protection,
        // taken back first, waits on their answer, not on the orders working before they are asked.
        this.deps.orders.expectResumedCancels(restored.cancelRetries);
        const protecting = this.deps.restoreProtection?.(restored.records ?? this.deps.journal.query());
        await Promise.all([protecting, this.deps.orders.resumeRequests(restored.interrupted, restored.cancelRetries)]);
        await this.deps.finishInterrupted?.();
        await this.deps.protectOpenedMeanwhile?.();
        // The journal's records were kept only for the protection: let them go. The dead process's
        // requests are resumed: a later recover() here finds only what this process has heard.
        restored.records = undefined;
        restored.interrupted = new Map();
        restored.cancelRetries = new Map();
        const summary: RecoveryReport = {
          ...report,
          signalIds: restored.orders.flatMap((o) => (o.signalId ? [o.signalId] : [])),
          decisionsRestored: restored.decisions.decided,
          signalsRequeued: restored.decisions.queued.map((q) => q.signal.id),
          changedWhileDown: this.changedWhileDown(restored.before),
          attempts,
        };
        this.current = 'recovered';
        this.failedOnNetwork = false;
        if (this.failuresInRow > 0) logger.info(`recover() succeeded after ${this.failuresInRow} failed call(s)`);
        this.failuresInRow = 0;
        journal.append({ kind: 'note', at: clock.now(), topic: 'engine.recovered', data: { attempts, orders: restored.orders.length, changedWhileDown: summary.changedWhileDown.length, resent: report.ordersResent.length } });
        events.emit('recovered', summary);
        return summary;
      } catch (error) {
        const onNetwork = isBrokerError(error) && error.retryable;
        if (!onNetwork || attempts > this.deps.retry.retries) {
          this.current = 'failed';
          this.failedOnNetwork = onNetwork;
          this.failuresInRow++;
          const laterMs = onNetwork ? this.deps.retry.retryAfterFailureMs : 0;
          const next = laterMs > 0 ? `; trying again by itself every ${laterMs / 1000} s until it does` : '';
          const message = `recover() failed after ${attempts} attempt(s); signals are refused until it succeeds${next}: ${describeError(error)}`;
          // One alert per outage, not one a minute: the later failures are logged.
          if (this.failuresInRow === 1) events.emit('alert', { severity: 'critical', code: 'recovery_failed', message });
          else logger.warn(message, { failuresInRow: this.failuresInRow });
          if (onNetwork) this.scheduleLater();
          throw error;
        }
        const delayMs = Math.max(doublingDelayMs(attempts, this.deps.retry.retryDelayMs, MAX_DELAY_MS), error.retryAfterMs ?? 0);
        logger.warn(`recover(): the broker failed (attempt ${attempts}); retrying in ${delayMs} ms`, { error: describeError(error) });
        await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs, { keepAlive: true }));
      }
    }
  }

  /** The local half: everything the journal knows, taken back without a word to anyone. */
  private restoreLocal(): NonNullable<EngineRecovery['restored']> {
    // One read of the journal (since its last checkpoint) for every part that restores from it.
    const records = this.deps.journal.query();
    this.deps.restoreTradingState(records);
    const orders = this.deps.reconciler.restore(records);
    const decisions = this.deps.restoreDecisions(orders, records);
    const before = new Map(orders.map((o) => [o.clientOrderId, { status: o.status, filled: o.filledQuantity }]));
    // A pending cancel the broker reported without being asked (made in its app) is not the dead process's request.
    const { heard, retry } = this.deps.orders.cancelsInJournal(records);
    const interrupted = new Map<string, InterruptedRequest>();
    for (const o of orders) {
      if (o.status === 'pending_cancel' && !heard.has(o.clientOrderId)) interrupted.set(o.clientOrderId, 'cancel');
      else if (o.status === 'pending_replace') interrupted.set(o.clientOrderId, 'replace');
    }
    return { orders, decisions, before, records, interrupted, cancelRetries: retry };
  }

  private changedWhileDown(before: ReadonlyMap<string, { status: string; filled: Decimal }>): ChangedWhileDown[] {
    const changed: ChangedWhileDown[] = [];
    for (const [clientOrderId, was] of before) {
      const now = this.deps.orders.get(clientOrderId);
      if (!now || (now.status === was.status && now.filledQuantity.equals(was.filled))) continue;
      const filledWhileDown = now.filledQuantity.minus(was.filled);
      changed.push({ clientOrderId, symbol: now.symbol, from: was.status, to: now.status, filledWhileDown: filledWhileDown.isNegative() ? ZERO : filledWhileDown });
    }
    return changed;
  }
}
