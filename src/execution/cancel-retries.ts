import { doublingDelayMs } from '../core/backoff.js';
import type { Clock, TimerHandle } from '../core/clock.js';

/** Cancel requests asked again after one failed on the way (≈ 2.5 min at most, with the backoff). */
export const CANCEL_RETRIES = 8;
/** Cancels the broker refused, asked again when they are wanted until the order ends (see `CancelOptions.untilEnded`) — then on {@link SLOW_FIRST_MS}'s slower clock. */
export const CANCEL_REFUSALS = 5;
/** Once the quick asks are spent, a cancel still wanted is asked 1 min, 2, 4 … at most an hour apart: a broker that refused for minutes (an outage, a venue halt) still ends the order later. */
const SLOW_FIRST_MS = 60_000;
const SLOW_MAX_MS = 3_600_000;

/**
 * What {@link CancelRetries.next} did: asked again `soon` (1 s, 2 s, 4 s …); moved to the slow clock,
 * the quick asks spent (`slowed`: the caller alerts once); asked again `slowly`; or nothing (`spent`).
 */
export type RetryTurn = 'soon' | 'slowed' | 'slowly' | 'spent';

/**
 * Cancels to ask again on the clock, 1 s, 2 s, 4 s … (at most 30 s apart), up to `limit` times,
 * until the order ends: those whose request failed on the way (a network error, a timeout, a 5xx, a
 * rate limit — {@link CANCEL_RETRIES}), and, in an instance of their own, those the broker refused
 * while the cancel is wanted until the order ends ({@link CANCEL_REFUSALS}) — those go on after the
 * limit on a slow clock (`thenSlowly`) until the order ends: given up, a closed position's leftover
 * stop or target worked on over no position. A slow ask is not a cancel "coming" ({@link has}): work that waits for cancels
 * to settle does not wait for one asked an hour from now.
 */
export class CancelRetries {
  /**
   * Per order: the attempts so far (kept after a request goes, for the backoff and the limit should it
   * fail again) and, while one is to be asked, its timer (undefined while the engine is suspended).
   */
  private readonly pending = new Map<string, { readonly attempt: number; readonly reason: string; readonly timer: TimerHandle | undefined; readonly waiting: boolean }>();

  constructor(
    private readonly clock: Clock,
    private readonly ask: (clientOrderId: string, reason: string) => void,
    private readonly limit = CANCEL_RETRIES,
    private readonly thenSlowly = false,
  ) {}

  /** Schedules the next request (with the cancel's reason) for an order whose cancel just failed or was refused; `spent` once the `limit` is (unless `thenSlowly`). */
  next(clientOrderId: string, reason: string): RetryTurn {
    const previous = this.pending.get(clientOrderId);
    this.clear(clientOrderId);
    const attempt = (previous?.attempt ?? 0) + 1;
    if (attempt > this.limit && !this.thenSlowly) return 'spent';
    this.pending.set(clientOrderId, { attempt, reason, timer: this.schedule(clientOrderId, attempt, reason), waiting: true });
    return attempt <= this.limit ? 'soon' : attempt === this.limit + 1 ? 'slowed' : 'slowly';
  }

  private delayMs(attempt: number): number {
    return attempt <= this.limit ? doublingDelayMs(attempt) : doublingDelayMs(attempt - this.limit, SLOW_FIRST_MS, SLOW_MAX_MS);
  }

  private schedule(clientOrderId: string, attempt: number, reason: string): TimerHandle {
    return this.clock.setTimeout(() => {
      // Asked: no longer waiting — still counted. Left "waiting", a refusal heard after this request
      // (asked again in the other instance) was skipped for a retry that had already gone, for good.
      this.pending.set(clientOrderId, { attempt, reason, timer: undefined, waiting: false });
      this.ask(clientOrderId, reason);
    }, this.delayMs(attempt));
  }

  /** The order ended (or the cancel was refused for good): nothing more to ask. */
  clear(clientOrderId: string): void {
    const retry = this.pending.get(clientOrderId);
    if (!retry) return;
    if (retry.timer !== undefined) this.clock.clearTimeout(retry.timer);
    this.pending.delete(clientOrderId);
  }

  /** Whether the order's cancel is to be asked again soon (a retry waits on the clock, or for the engine to start) — not one on the slow clock. */
  has(clientOrderId: string): boolean {
    const retry = this.pending.get(clientOrderId);
    return retry?.waiting === true && retry.attempt <= this.limit;
  }

  /** The orders whose cancel is to be asked again soon, with the cancel's reason. */
  waiting(): [clientOrderId: string, reason: string][] {
    return [...this.pending].flatMap(([id, retry]) => (retry.waiting && retry.attempt <= this.limit ? [[id, retry.reason] as [string, string]] : []));
  }

  /**
   * Those on the slow clock are asked now rather than when their timer fires (up to an hour away):
   * the broker answered (a reconciliation), and one that takes cancels again ends them now. A
   * refusal moves the next ask on the slow clock as before. Not while suspended.
   */
  hurrySlow(): void {
    for (const [id, retry] of [...this.pending]) {
      if (retry.attempt <= this.limit || !retry.waiting || retry.timer === undefined) continue;
      this.clock.clearTimeout(retry.timer);
      this.pending.set(id, { ...retry, timer: undefined, waiting: false });
      this.ask(id, retry.reason);
    }
  }

  /** The engine stopped: no retry fires while it is down; each is kept, to be asked again on {@link resume}. */
  suspend(): void {
    for (const [id, retry] of this.pending) {
      if (!retry.waiting) continue;
      if (retry.timer !== undefined) this.clock.clearTimeout(retry.timer);
      this.pending.set(id, { ...retry, timer: undefined });
    }
  }

  /** The engine started again: every retry held back by {@link suspend} is asked again, each after its own delay. */
  resume(): void {
    for (const [id, retry] of this.pending) {
      if (retry.waiting && retry.timer === undefined) this.pending.set(id, { ...retry, timer: this.schedule(id, retry.attempt, retry.reason) });
    }
  }
}
