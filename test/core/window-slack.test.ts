import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropOldest, slackOf } from '../../src/core/window-slack.js';

describe('slackOf: how far a bounded window grows past its capacity before it compacts', () => {
  it('never more than the capacity itself (a window holds at most twice what it keeps), a quarter of a large one, and always at least one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (capacity) => {
        const slack = slackOf(capacity);
        expect(slack).toBeGreaterThanOrEqual(1);
        expect(slack).toBeLessThanOrEqual(capacity);
        if (capacity >= 256) expect(slack).toBe(Math.ceil(capacity / 4));
      }),
    );
    expect([slackOf(30), slackOf(100), slackOf(50_000), slackOf(Number.POSITIVE_INFINITY)]).toEqual([30, 64, 12_500, Number.POSITIVE_INFINITY]);
  });
});

describe('dropOldest: a bounded window drops its oldest items in place', () => {
  it('keeps the newest items in order, in the same array', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 200 }), fc.nat(200), (items, n) => {
        const count = Math.min(n, items.length);
        const window = [...items];
        dropOldest(window, count);
        expect(window).toEqual(items.slice(count));
        window.push(1);
        expect(window.at(-1)).toBe(1);
      }),
    );
  });
});
