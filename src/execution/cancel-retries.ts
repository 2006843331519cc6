import { doublingDelayMs } from '../core/backoff.js';
import type { Clock, TimerHandle } from '../core/clock.js';

/** Cancel requests asked again after one failed on the way (≈ 2.5 min at most, with the backoff). */
export const CANCEL_RETRIES = 8;
/** Cancels the broker refused, asked again when they are wanted until the order ends (see `CancelOptions.untilEnded`). */
export const CANCEL_REFUSALS = 5;

/**
 * Cancels to ask again on the clock, 1 s, 2 s, 4 s … (at most 30 s apart), up to `limit` times,
 * until the order ends: those whose request failed on the way (a network error, a timeout, a 5xx, a
 * rate limit — {@link CANCEL_RETRIES}), and, in an instance of their own, those the broker refused
 * while the cancel is wanted until the order ends ({@link CANCEL_REFUSALS}).
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
  ) {}

  /** Schedules the next request (with the cancel's reason) for an order whose cancel just failed or was refused; false once the `limit` is spent. */
  next(clientOrderId: string, reason: string): boolean {
    const previous = this.pending.get(clientOrderId);
    this.clear(clientOrderId);
    const attempt = (previous?.attempt ?? 0) + 1;
    if (attempt > this.limit) return false;
    this.pending.set(clientOrderId, { attempt, reason, timer: this.schedule(clientOrderId, attempt, reason), waiting: true });
    return true;
  }

  private schedule(clientOrderId: string, attempt: number, reason: string): TimerHandle {
    return this.clock.setTimeout(() => {
      // Asked: no longer waiting — still counted. Left "waiting", a refusal heard after this request
      // (asked again in the other instance) was skipped for a retry that had already gone, for good.
      this.pending.set(clientOrderId, { attempt, reason, timer: undefined, waiting: false });
      this.ask(clientOrderId, reason);
    }, doublingDelayMs(attempt));
  }

  /** The order ended (or the cancel was refused for good): nothing more to ask. */
  clear(clientOrderId: string): void {
    const retry = this.pending.get(clientOrderId);
    if (!retry) return;
    if (retry.timer !== undefined) this.clock.clearTimeout(retry.timer);
    this.pending.delete(clientOrderId);
  }

  /** Whether the order's cancel is to be asked again (a retry waits on the clock, or for the engine to start). */
  has(clientOrderId: string): boolean {
    return this.pending.get(clientOrderId)?.waiting === true;
  }

  /** The orders whose cancel is to be asked again, with the cancel's reason. */
  waiting(): [clientOrderId: string, reason: string][] {
    return [...this.pending].flatMap(([id, retry]) => (retry.waiting ? [[id, retry.reason] as [string, string]] : []));
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
