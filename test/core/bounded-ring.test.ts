import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedRing } from '../../src/core/bounded-ring.js';

describe('BoundedRing', () => {
  it('pushes out exactly what a first-in-first-out list of the newest N would drop, one item per add once full, and lists what it keeps oldest first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer(), { maxLength: 40 }), (capacity, items) => {
        const ring = new BoundedRing<number>(capacity);
        const kept: number[] = [];
        for (const item of items) {
          kept.push(item);
          const expected = kept.length > capacity ? kept.shift() : undefined;
          expect(ring.add(item)).toBe(expected);
          expect(ring.values()).toEqual(kept);
        }
      }),
    );
  });

  it('with no capacity keeps nothing: each item is pushed out as it comes', () => {
    const ring = new BoundedRing<string>(0);
    expect(ring.add('a')).toBe('a');
    expect(ring.values()).toEqual([]);
  });

  it('with an infinite capacity keeps everything', () => {
    const ring = new BoundedRing<string>(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) expect(ring.add(`x${i}`)).toBeUndefined();
  });
});
