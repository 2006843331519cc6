import { describe, expect, it } from 'vitest';
import { appended } from '../../src/core/appended.js';

describe('appended', () => {
  it('returns a new array with the item last, leaving the list as it was', () => {
    const list = Object.freeze(['a', 'b']);
    const out = appended(list, 'c');
    expect(out).toEqual(['a', 'b', 'c']);
    expect(list).toEqual(['a', 'b']);
    expect(out).not.toBe(list);
    expect(appended([], 'x')).toEqual(['x']);
  });

  it('appends an array item as one item, as a spread does', () => {
    const pairs: (readonly [string, number])[] = [['a', 1]];
    expect(appended(pairs, ['b', 2])).toEqual([['a', 1], ['b', 2]]);
    expect(appended<number[]>([], [1, 2])).toEqual([[1, 2]]);
  });
});
