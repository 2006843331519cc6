import { ManualClock } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { CONVERGE_ATTEMPTS, OutOfStepLooks } from '../../src/risk/out-of-step-looks.js';

/** Looks on a manual clock, each recorded with the time it ran. */
function looks() {
  const clock = new ManualClock(0);
  const ran: number[] = [];
  const outOfStep = new OutOfStepLooks(clock, () => ran.push(clock.now()));
  return { clock, ran, outOfStep };
}

/** Refused at each look: the next one goes on the clock, `n` looks in all. */
function refusedAtEachLook(clock: ManualClock, ran: number[], outOfStep: OutOfStepLooks, n: number): void {
  outOfStep.next('p');
  while (ran.length < n) {
    const seen = ran.length;
    clock.advance(1_000);
    if (ran.length > seen) outOfStep.next('p');
  }
}

describe('when out-of-step protective orders are looked at again', () => {
  it('1 s, 2 s, 4 s … at most 30 s apart for the quick looks, then 1 min, 2, 4 …; a refusal while a look is on the clock adds no try', () => {
    const { clock, ran, outOfStep } = looks();
    expect(outOfStep.next('p')).toBe(1);
    // The stop's refusal and a target's in one look: one try.
    expect(outOfStep.next('p')).toBeUndefined();
    clock.advance(999);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual([1_000]);
    expect(outOfStep.next('p')).toBe(2);
    clock.advance(2_000);
    expect(ran).toEqual([1_000, 3_000]);
    refusedAtEachLook(clock, ran, outOfStep, CONVERGE_ATTEMPTS + 2);
    const gaps = ran.slice(1).map((t, i) => t - ran[i]!);
    expect(gaps).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 60_000, 120_000]);
  });

  it('a look that could ask nothing (its stop mid-request) is no try: the same step again, and the hurry given back', () => {
    const { clock, ran, outOfStep } = looks();
    refusedAtEachLook(clock, ran, outOfStep, CONVERGE_ATTEMPTS + 1);
    outOfStep.hurry(() => true);
    expect(ran).toHaveLength(CONVERGE_ATTEMPTS + 2);
    // The hurried look found the stop mid-request: again, at the same step, and the next
    // reconciliation may hurry it.
    const step = outOfStep.current('p')!.attempt;
    outOfStep.again('p');
    expect(outOfStep.current('p')).toMatchObject({ attempt: step, hurried: false });
    outOfStep.hurry(() => true);
    expect(ran).toHaveLength(CONVERGE_ATTEMPTS + 3);
  });

  it('a reconciliation hurries a look past the quick ones, once between two of the backoff’s own looks; the broker back, or the stop ended, brings the pending look forward', () => {
    const { clock, ran, outOfStep } = looks();
    outOfStep.next('p');
    // Quick looks are not hurried.
    outOfStep.hurry(() => true);
    expect(ran).toEqual([]);
    refusedAtEachLook(clock, ran, outOfStep, CONVERGE_ATTEMPTS + 1);
    outOfStep.next('p'); // refused again: the next look is a minute or more away
    const before = ran.length;
    // Not for a position whose symbol the reconciliation deferred.
    outOfStep.hurry(() => false);
    expect(ran).toHaveLength(before);
    outOfStep.hurry(() => true);
    expect(ran).toHaveLength(before + 1);
    outOfStep.next('p'); // the hurried look was refused too
    outOfStep.hurry(() => true);
    expect(ran).toHaveLength(before + 1); // once between two of the backoff's own looks
    // The broker back: the pending look goes now.
    outOfStep.now('p');
    expect(ran).toHaveLength(before + 2);
    outOfStep.now('p'); // running now, no look pending: nothing more
    expect(ran).toHaveLength(before + 2);
    outOfStep.done('p');
    expect(outOfStep.has('p')).toBe(false);
  });

  it('a stopped engine fires no look; the positions it held back are handed back on resume', () => {
    const { clock, ran, outOfStep } = looks();
    outOfStep.next('p');
    outOfStep.next('q');
    outOfStep.suspend();
    clock.advance(3_600_000);
    expect(ran).toEqual([]);
    expect(outOfStep.resume().sort()).toEqual(['p', 'q']);
    expect(outOfStep.resume()).toEqual([]);
  });
});
