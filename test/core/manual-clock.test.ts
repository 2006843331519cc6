import fc from 'fast-check';
import { ManualClock } from 'tradewire';
import { describe, expect, it } from 'vitest';

/**
 * The clock's timers as specified, the plainest way: a list, the earliest due (ties in creation
 * order) found by a scan, a cleared timer removed at once.
 */
class ListClock {
  private time = 0;
  now(): number {
    return this.time;
  }
  private nextId = 1;
  private timers: { id: number; due: number; callback: () => void }[] = [];
  setTimeout(callback: () => void, ms: number): number {
    this.timers.push({ id: this.nextId, due: this.time + Math.max(0, ms), callback });
    return this.nextId++;
  }
  clearTimeout(id: number): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!due) break;
      this.clearTimeout(due.id);
      this.time = due.due;
      due.callback();
    }
    this.time = end;
  }
}

type Step = { op: 'set'; ms: number; nested: number | undefined } | { op: 'clear'; pick: number } | { op: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), ms: fc.integer({ min: 0, max: 30 }), nested: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }) }),
  fc.record({ op: fc.constant('clear' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
);

/** Plays `steps` on a clock and returns what fired, when, and what was pending after each step. */
function play(clock: Pick<ManualClock, 'clearTimeout' | 'advance' | 'now' | 'pendingTimers'> & { setTimeout(callback: () => void, ms: number): unknown }, steps: readonly Step[]): string[] {
  const log: string[] = [];
  const handles: unknown[] = [];
  let label = 0;
  for (const s of steps) {
    if (s.op === 'set') {
      const name = `t${label++}`;
      const nested = s.nested;
      handles.push(
        clock.setTimeout(() => {
          log.push(`${name}@${clock.now()}`);
          // A timer that schedules another: it fires in the same advance if it falls due within it.
          if (nested !== undefined) handles.push(clock.setTimeout(() => log.push(`${name}.nested@${clock.now()}`), nested));
        }, s.ms),
      );
    } else if (s.op === 'clear') {
      if (handles.length > 0) clock.clearTimeout(handles[s.pick % handles.length] as never);
    } else clock.advance(s.ms);
    log.push(`pending ${clock.pendingTimers} at ${clock.now()}`);
  }
  return log;
}

describe('ManualClock timers', () => {
  it('fire exactly as the plain list does — due order, ties in creation order, clears, nested timers — for any sequence', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const list = new ListClock();
        const heap = new ManualClock(0);
        expect(play(heap, steps)).toEqual(play(list, steps));
      }),
      { numRuns: 300 },
    );
  });

  it('thousands of pending timers, most cleared before they fire: the pending count stays exact', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const handles = Array.from({ length: 5_000 }, (_, i) => clock.setTimeout(() => fired.push(i), 60_000 + i));
    // Orders that filled: their timeouts cleared (some twice: clearing is idempotent).
    for (let i = 0; i < 5_000; i++) if (i % 10 !== 0) clock.clearTimeout(handles[i]!);
    clock.clearTimeout(handles[1]!);
    expect(clock.pendingTimers).toBe(500);
    clock.advance(60_000 + 4_999);
    expect(fired).toEqual(Array.from({ length: 500 }, (_, k) => k * 10));
    expect(clock.pendingTimers).toBe(0);
    // A handle of a timer that already fired changes nothing.
    clock.clearTimeout(handles[0]!);
    expect(clock.pendingTimers).toBe(0);
  });
});
