import { AnnounceInOrder } from 'tradewire';
import { describe, expect, it } from 'vitest';

describe('AnnounceInOrder', () => {
  it('emits at once when nothing else is in flight', () => {
    const line = new AnnounceInOrder();
    const heard: string[] = [];
    const emit = (c: string) => heard.push(c);
    const turn = line.begin('a', emit);
    expect(turn).toBeUndefined();
    line.end(turn, 'a', emit);
    expect(heard).toEqual(['a']);
  });

  it('a change applied inside another one\'s hooks is emitted after it, and nested ones in the order applied', () => {
    const line = new AnnounceInOrder();
    const heard: string[] = [];
    const emit = (c: string) => heard.push(c);
    /** Applies `name`; its "hooks" apply `inner` changes first. */
    const apply = (name: string, inner: () => void = () => undefined) => {
      const turn = line.begin(name, emit);
      inner();
      line.end(turn, name, emit);
    };
    apply('outer', () => {
      apply('first', () => apply('first.inner'));
      apply('second');
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual(['outer', 'first', 'first.inner', 'second']);
  });

  it('a change a listener applies while the line empties joins it behind those waiting', () => {
    const line = new AnnounceInOrder();
    const heard: string[] = [];
    const emit = (c: string): void => {
      heard.push(c);
      if (c === 'b') line.now('from listener', emit);
    };
    const turn = line.begin('a', emit);
    line.now('b', emit);
    line.now('c', emit);
    line.end(turn, 'a', emit);
    expect(heard).toEqual(['a', 'b', 'c', 'from listener']);
  });

  it('a change a listener applies while the only change is being emitted waits for all of its events', () => {
    const line = new AnnounceInOrder();
    const heard: string[] = [];
    // Each change is two events (as `order:accepted` then its `order:transition`); a listener of the
    // first event of 'a' applies 'x', whose own listener applies 'y'.
    const emit = (c: string): void => {
      heard.push(c);
      if (c === 'a') line.now('x', emit);
      if (c === 'x') line.now('y', emit);
      heard.push(`${c}:transition`);
    };
    line.now('a', emit);
    expect(heard).toEqual(['a', 'a:transition', 'x', 'x:transition', 'y', 'y:transition']);
  });
});
