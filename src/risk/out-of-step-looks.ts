import type { Clock, TimerHandle } from '../core/clock.js';
import { doublingDelayMs } from '../core/backoff.js';

/** Quick looks at protective orders out of step (1 s, 2 s, 4 s … at most 30 s apart: ≈ 2.5 min in all) before the alert. */
export const CONVERGE_ATTEMPTS = 8;
/** Past the quick looks — and after giving up on a stop — tried again after 1 min, 2, 4 … at most an hour apart. */
export const AFTER_GIVE_UP_MS = 60_000;
export const AFTER_GIVE_UP_MAX_MS = 3_600_000;

/** A position's look: the backoff's count, its timer while pending, and whether a reconciliation hurried a look since the backoff's own last one. */
export interface OutOfStepLook {
  readonly attempt: number;
  readonly timer: TimerHandle | undefined;
  readonly hurried: boolean;
}

/**
 * When protection looks again at a position's protective orders that are out of step with it (a
 * replace or cancel the broker refused, or that failed on the way): one look per position on the
 * clock, 1 s, 2 s, 4 s … at most 30 s apart for {@link CONVERGE_ATTEMPTS} tries, then 1 min, 2, 4 …
 * at most an hour apart; brought forward when the broker is back, when the stop a look waited on has
 * ended, and by a reconciliation once between two of the backoff's own looks. What a look does is
 * `look(positionId)` (RiskOrderManager's converge); this class owns only when.
 */
export class OutOfStepLooks {
  private readonly looks = new Map<string, OutOfStepLook>();
  /** Positions whose looks a stop of the engine held back (see {@link suspend}). */
  private readonly afterResume = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly look: (positionId: string) => void,
  ) {}

  /** Whether a look of `positionId` is pending or running. */
  has(positionId: string): boolean {
    return this.looks.has(positionId);
  }

  /** The look of `positionId` as it stands (compared by identity: a newer one replaced it). */
  current(positionId: string): OutOfStepLook | undefined {
    return this.looks.get(positionId);
  }

  /**
   * A request did not go through: the next look goes on the clock, one step further — unless one is
   * on the clock already: the refusals of one look are one try (the stop's and a target's counted two,
   * the backoff climbing twice as fast). Returns the try's number, or undefined when none was added.
   */
  next(positionId: string): number | undefined {
    const previous = this.looks.get(positionId);
    if (previous?.timer !== undefined) return undefined;
    const attempt = (previous?.attempt ?? 0) + 1;
    this.arm(positionId, attempt, previous?.hurried === true);
    return attempt;
  }

  /**
   * A look that found nothing it could ask (its stop mid-request): looked at again at the same step —
   * no try, and a reconciliation's hurry given back (spent so, a target of 10 over 8 waited minutes
   * once the broker took cancels again).
   */
  again(positionId: string): void {
    this.arm(positionId, this.looks.get(positionId)?.attempt ?? 1, false);
  }

  /** In step (or nothing left to protect): the count starts again next time. */
  done(positionId: string): void {
    this.looks.delete(positionId);
  }

  /** The pending look goes now, its count and hurry kept (the broker back, the stop it waited on ended). */
  now(positionId: string): void {
    const look = this.looks.get(positionId);
    if (look?.timer !== undefined) this.goNow(positionId, look, look.hurried);
  }

  /** Every pending look goes now (see {@link now}). */
  allNow(keep: (positionId: string) => boolean): void {
    for (const positionId of [...this.looks.keys()]) if (keep(positionId)) this.now(positionId);
  }

  /**
   * A reconciliation compared the positions: a look past the quick ones goes now, once between two of
   * the backoff's own looks — a broker that takes the requests again had a target larger than the
   * position working up to an hour longer. `keep`: the positions whose symbol was compared.
   */
  hurry(keep: (positionId: string) => boolean): void {
    for (const [positionId, look] of [...this.looks]) {
      if (look.timer === undefined || look.hurried || look.attempt <= CONVERGE_ATTEMPTS || !keep(positionId)) continue;
      this.goNow(positionId, look, true);
    }
  }

  /** The engine stopped: no look fires while it is down (it would send through a stopped engine); {@link resume} puts them back. */
  suspend(): void {
    for (const [positionId, look] of this.looks) {
      if (look.timer !== undefined) this.clock.clearTimeout(look.timer);
      this.afterResume.add(positionId);
    }
    this.looks.clear();
  }

  /** The engine started again: the positions {@link suspend} held back, for `next` to look at again. */
  resume(): string[] {
    const ids = [...this.afterResume];
    this.afterResume.clear();
    return ids;
  }

  private arm(positionId: string, attempt: number, hurried: boolean): void {
    const delay = attempt <= CONVERGE_ATTEMPTS ? doublingDelayMs(attempt) : doublingDelayMs(attempt - CONVERGE_ATTEMPTS, AFTER_GIVE_UP_MS, AFTER_GIVE_UP_MAX_MS);
    const timer = this.clock.setTimeout(() => {
      // The backoff's own look, running now (not pending: a reconciliation does not hurry it too).
      this.looks.set(positionId, { attempt, timer: undefined, hurried: false });
      this.look(positionId);
    }, delay);
    this.looks.set(positionId, { attempt, timer, hurried });
  }

  private goNow(positionId: string, look: OutOfStepLook, hurried: boolean): void {
    if (look.timer !== undefined) this.clock.clearTimeout(look.timer);
    this.looks.set(positionId, { attempt: look.attempt, timer: undefined, hurried });
    this.look(positionId);
  }
}
