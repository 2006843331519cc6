import type { Clock, TimerHandle } from './clock.js';

/** A loop started by {@link every}. */
export interface Repeating {
  /** Stops the loop; a run in progress finishes, and no other is scheduled. */
  stop(): void;
}

/**
 * Runs `task` every `ms` on the injected clock, the next run scheduled only once the previous one
 * settled (an async task never overlaps itself). A task that throws or rejects is given to
 * `onError` and the loop goes on. `ms <= 0` runs nothing.
 */
export function every(clock: Clock, ms: number, task: () => unknown, onError: (error: unknown) => void = () => undefined): Repeating {
  let timer: TimerHandle | undefined;
  let stopped = ms <= 0;
  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      let result: unknown;
      try {
        result = task();
      } catch (error) {
        onError(error);
        schedule();
        return;
      }
      if (result instanceof Promise) result.catch(onError).finally(schedule);
      else schedule();
    }, ms);
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
