import type { Clock, TimerHandle } from '../core/clock.js';
import { doublingDelayMs } from '../core/backoff.js';

/** How many refusals of one order's cancel are answered with the cancel asked again. */
export const CANCEL_REFUSALS = 5;

/**
 * Cancels the broker refused that are still wanted — the kill switch's, the stop and target of a
 * position that has closed (left working, that stop would open a position when it triggers). Each
 * refusal has the cancel asked again on the clock (1 s, 2 s, 4 s …), unless by then the order
 * ended, its cancel is on its way, or a retry of a request that failed on the way waits; after
 * {@link CANCEL_REFUSALS} refusals `giveUp` is told instead.
 */
export class RefusedCancels {
  /** Per order: the refusals so far, and the request waiting on the clock (or held while the engine is stopped). */
  private readonly refused = new Map<string, { count: number; timer?: TimerHandle | undefined; held?: boolean }>();

  constructor(
    private readonly clock: Clock,
    private readonly deps: {
      /** Whether the order still needs asking: working, not pending cancel, no retry of a failed request waiting. */
      readonly needsAsking: (clientOrderId: string) => boolean;
      readonly ask: (clientOrderId: string) => void;
      readonly giveUp: (clientOrderId: string, refusals: number) => void;
    },
  ) {}

  /** The broker refused the order's cancel (again). */
  refusedOnce(clientOrderId: string): void {
    const count = (this.refused.get(clientOrderId)?.count ?? 0) + 1;
    this.clearTimer(clientOrderId);
    if (count > CANCEL_REFUSALS) {
      this.refused.delete(clientOrderId);
      this.deps.giveUp(clientOrderId, count - 1);
      return;
    }
    this.refused.set(clientOrderId, { count, timer: this.schedule(clientOrderId, count) });
  }

  /** The order ended: nothing more to ask. */
  ended(clientOrderId: string): void {
    this.clearTimer(clientOrderId);
    this.refused.delete(clientOrderId);
  }

  /** The engine stopped: no request goes while it is down; each is kept for {@link resume}. */
  suspend(): void {
    for (const [id, entry] of this.refused) {
      if (entry.timer === undefined) continue;
      this.clock.clearTimeout(entry.timer);
      this.refused.set(id, { count: entry.count, held: true });
    }
  }

  /** The engine started again: each held back is asked again after its own delay. */
  resume(): void {
    for (const [id, entry] of this.refused) if (entry.held) this.refused.set(id, { count: entry.count, timer: this.schedule(id, entry.count) });
  }

  private schedule(clientOrderId: string, count: number): TimerHandle {
    return this.clock.setTimeout(() => {
      const entry = this.refused.get(clientOrderId);
      if (entry) this.refused.set(clientOrderId, { count: entry.count });
      if (this.deps.needsAsking(clientOrderId)) this.deps.ask(clientOrderId);
    }, doublingDelayMs(count));
  }

  private clearTimer(clientOrderId: string): void {
    const timer = this.refused.get(clientOrderId)?.timer;
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }
}
