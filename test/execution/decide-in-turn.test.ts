import { describe, expect, it } from 'vitest';
import { decideInTurn } from '../../src/execution/decide-in-turn.js';

/** A run that hands over at once and settles when told to. */
function pendingRuns() {
  const log: string[] = [];
  const finish = new Map<number, () => void>();
  const run = (item: number, onSubmitted: () => void): Promise<void> | undefined => {
    log.push(`start ${item}`);
    if (item < 0) return undefined;
    const settled = new Promise<void>((resolve) => finish.set(item, resolve)).then(() => void log.push(`settled ${item}`));
    if (item % 2 === 0) onSubmitted(); // odd items never hand over: they are decided when they settle
    return settled;
  };
  return { log, finish, run };
}

describe('decideInTurn', () => {
  it('starts the next item once the one before hands over or settles; skips what returns undefined; resolves when every run has settled', async () => {
    const { log, finish, run } = pendingRuns();
    let done = false;
    const all = decideInTurn([0, -1, 2, 3, 4], run).then(() => (done = true));
    // A run that hands over before it waits lets the next start at once, in the same tick (no promise or tick per item).
    expect(log).toEqual(['start 0', 'start -1', 'start 2', 'start 3']);
    await new Promise((r) => setImmediate(r));
    // 0 and 2 handed over; 3 has not, so 4 waits for it.
    expect(log).toEqual(['start 0', 'start -1', 'start 2', 'start 3']);
    finish.get(3)!();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start 0', 'start -1', 'start 2', 'start 3', 'settled 3', 'start 4']);
    expect(done).toBe(false);
    for (const i of [0, 2, 4]) finish.get(i)!();
    await all;
    expect(done).toBe(true);
  });

  it('after a failure starts nothing more, waits for the runs already started, then throws the failure', async () => {
    const started: number[] = [];
    let finishFirst!: () => void;
    let firstSettled = false;
    const run = (item: number, onSubmitted: () => void): Promise<void> => {
      started.push(item);
      if (item === 1) return Promise.reject(new Error('bug'));
      onSubmitted();
      return new Promise<void>((resolve) => (finishFirst = resolve)).then(() => void (firstSettled = true));
    };
    const all = decideInTurn([0, 1, 2], run);
    let settled = false;
    const outcome = all.then(() => 'resolved', (error: Error) => error.message).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(false); // item 0 is still on the wire
    finishFirst();
    expect(await outcome).toBe('bug');
    expect(firstSettled).toBe(true);
  });
});
