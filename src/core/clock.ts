import { ValidationError } from './errors.js';

/** The largest instant a JavaScript Date holds (±100 000 000 days from the epoch). */
const MAX_INSTANT = 8.64e15;

/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/**
 * The only source of time in tradewire. Every manager and adapter takes one, so a test
 * can drive hours of trading with a {@link ManualClock} and never sleep.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (UTC). */
  now(): number;
  /**
   * Runs `callback` once after `ms` milliseconds of this clock's time. A timer is background work
   * by default (a periodic check, an order's timeout): it does not keep a finished process alive.
   * `keepAlive: true` marks the continuation of work in flight — a retry's backoff, a broker's
   * latency — which must (the process waits for it, as it waits for a socket).
   */
  setTimeout(callback: () => void, ms: number, options?: TimerOptions): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** See {@link Clock.setTimeout}. */
export interface TimerOptions {
  readonly keepAlive?: boolean;
}

/** The longest delay a Node timer holds (2^31 − 1 ms, ~24.8 days); a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/** A timer beyond {@link MAX_TIMER_MS}: re-armed in steps until its time; `timer` is the current step. */
class LongTimer {
  constructor(public timer: NodeJS.Timeout) {}
}

/** The real wall clock: `Date.now` and the host's timers. */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms, options) => {
      const arm = (delay: number, fire: () => void): NodeJS.Timeout => {
        const timer = setTimeout(fire, delay);
        // A pending order timeout must not keep a finished process alive; a retry in flight must.
        if (!options?.keepAlive) timer.unref?.();
        return timer;
      };
      if (!(ms > MAX_TIMER_MS)) return arm(ms, callback);
      // The next session of a market closed for weeks is further than a Node timer reaches.
      const due = Date.now() + ms;
      const long = new LongTimer(arm(MAX_TIMER_MS, () => step()));
      const step = (): void => {
        const left = due - Date.now();
        long.timer = left > MAX_TIMER_MS ? arm(MAX_TIMER_MS, step) : arm(Math.max(0, left), callback);
      };
      return long;
    },
    clearTimeout: (handle) => clearTimeout(handle instanceof LongTimer ? handle.timer : (handle as NodeJS.Timeout)),
  };
}

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  /** Cleared: left in the heap and skipped when it reaches the top (no search on clear). */
  cleared: boolean;
}

/** Whether `a` fires before `b`: earlier due time, ties in creation order. */
const firesBefore = (a: ManualTimer, b: ManualTimer): boolean => a.due < b.due || (a.due === b.due && a.id < b.id);

/**
 * A clock that moves only when told to. Timers fire in due order (ties in creation order)
 * as {@link ManualClock.advance} passes them; a timer scheduled by a firing timer fires in
 * the same advance if it falls due within it.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  /**
   * A binary min-heap by due time, then id: setting, clearing and firing a timer cost O(log n)
   * whatever is pending (a backtest with hundreds of resting orders, each with a timeout, had every
   * clear copy the whole list and every step of time scan it).
   */
  private heap: ManualTimer[] = [];
  /** The timers not yet fired nor cleared, by id. */
  private readonly live = new Map<number, ManualTimer>();

  /** @throws {@link ValidationError} when `start` is not an instant (a finite epoch ms, or a valid Date). */
  constructor(start: number | Date = Date.UTC(2024, 0, 2, 15, 0, 0)) {
    this.current = instantOf(start, 'start');
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { id: this.nextId++, due: this.current + Math.max(0, ms), callback, cleared: false };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.live.get(handle as number);
    if (!timer) return;
    timer.cleared = true;
    this.live.delete(timer.id);
    // Mostly cleared timers (orders that filled before their timeout): rebuilt without them, so
    // the heap never holds more than twice what is pending.
    if (this.heap.length > 64 && this.live.size < this.heap.length / 2) this.rebuild();
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.live.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + stepOf(ms));
  }

  /** Moves time forward to `target` (epoch ms or Date); never backwards. */
  advanceTo(target: number | Date): void {
    const end = this.target(target);
    while (this.fireNext(end));
    this.current = end;
  }

  /**
   * Like {@link advance}, for code that awaits: before each timer fires, and once at the end, the
   * work already started is let run ({@link settle}) — a broker's answer, a retry's next step, a
   * timeout's cancel — so they happen in the order they would in real time. `advance` is
   * synchronous and fires every due timer back to back.
   */
  async advanceAsync(ms: number): Promise<void> {
    await this.advanceToAsync(this.current + stepOf(ms));
  }

  /** {@link advanceAsync} to `target` (epoch ms or Date). */
  async advanceToAsync(target: number | Date): Promise<void> {
    const end = this.target(target);
    do await settle();
    while (this.fireNext(end));
    this.current = end;
  }

  private target(target: number | Date): number {
    const end = instantOf(target, 'target');
    if (end < this.current) throw new ValidationError([{ field: 'target', message: `is before the clock's time (${new Date(this.current).toISOString()}): a ManualClock cannot move backwards` }], 'ManualClock time');
    return end;
  }

  /** Fires the earliest timer due by `end`, moving time to it; false when none is. */
  private fireNext(end: number): boolean {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.cleared) this.pop();
    const next = heap[0];
    if (!next || next.due > end) return false;
    this.pop();
    this.live.delete(next.id);
    this.current = next.due;
    next.callback();
    return true;
  }

  private push(timer: ManualTimer): void {
    const heap = this.heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!firesBefore(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length > 0) this.siftDown(last, 0);
  }

  /** Puts `timer` at `i` and moves it down to where it belongs. */
  private siftDown(timer: ManualTimer, i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && firesBefore(heap[child + 1]!, heap[child]!)) child++;
      if (!firesBefore(heap[child]!, timer)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = timer;
  }

  private rebuild(): void {
    this.heap = [...this.live.values()];
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(this.heap[i]!, i);
  }
}

/**
 * The real `setImmediate`, taken when this module loads, so `settle()` still works under a test
 * runner's fake timers (which replace the global afterwards).
 */
const realSetImmediate: (callback: () => void) => unknown = globalThis.setImmediate ?? ((callback: () => void) => setTimeout(callback, 0));

/**
 * Lets work already started run to a stop: `rounds` turns of the event loop (default 5), each
 * draining promise callbacks and then I/O callbacks. With the mock broker (no latency) one signal's
 * whole path — decide, send, fill, position — completes within a round or two. For tests; what is
 * waiting on a timer of a ManualClock still waits (advance it).
 */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => void realSetImmediate(resolve));
}

/** An epoch-ms instant JavaScript dates can hold, from a number or a Date; a ValidationError otherwise (NaN would stop time for good). */
function instantOf(value: unknown, field: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Number.NaN;
  if (!(Math.abs(ms) <= MAX_INSTANT)) throw new ValidationError([{ field, message: `must be epoch milliseconds or a valid Date, got ${String(value)}` }], 'ManualClock time');
  return ms;
}

/** A step of time: a finite number of milliseconds, 0 or more. */
function stepOf(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 0 && Number.isFinite(ms))) throw new ValidationError([{ field: 'ms', message: `must be a finite number of milliseconds, 0 or more, got ${String(ms)}` }], 'ManualClock step');
  return ms;
}
