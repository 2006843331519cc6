import { AnnounceInOrder, EventBus, type ListenerErrorPayload } from 'tradewire';
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

describe('EventBus: events announced in their turn', () => {
  type Events = { error: ListenerErrorPayload; change: string; alert: string; other: string };
  const heardOn = (bus: EventBus<Events>): string[] => {
    const heard: string[] = [];
    for (const event of ['change', 'alert', 'other'] as const) bus.on(event, (p) => heard.push(`${event} ${p}`));
    return heard;
  };

  it('an alert raised by a change\'s hooks is heard after that change, and after the changes applied before it; with nothing in flight, at once', () => {
    const bus = new EventBus<Events>(undefined, { inTurn: ['alert'] });
    const heard = heardOn(bus);
    const line = bus.announcements;
    const emit = (c: string): void => bus.emit('change', c);
    const turn = line.begin('fill', emit);
    // The hooks: a position changes, then the monitor raises an alert; an event not in turn is heard at once.
    line.now('position', emit);
    bus.emit('alert', 'slippage');
    bus.emit('other', 'now');
    expect(heard).toEqual(['other now']);
    expect(line.idle).toBe(false);
    line.end(turn, 'fill', emit);
    expect(heard).toEqual(['other now', 'change fill', 'change position', 'alert slippage']);
    expect(line.idle).toBe(true);
    bus.emit('alert', 'alone');
    expect(heard.at(-1)).toBe('alert alone');
  });

  it('an alert a listener raises while a change is heard follows all of that change\'s events', () => {
    const bus = new EventBus<Events>(undefined, { inTurn: ['alert'] });
    const heard = heardOn(bus);
    bus.on('change', (p) => {
      if (p === 'a:1') bus.emit('alert', 'from listener');
    });
    bus.announcements.now('a', (c) => {
      bus.emit('change', `${c}:1`);
      bus.emit('change', `${c}:2`);
    });
    expect(heard).toEqual(['change a:1', 'change a:2', 'alert from listener']);
  });

  it('a bus without inTurn emits every event at once, as before', () => {
    const bus = new EventBus<Events>();
    const heard = heardOn(bus);
    const turn = bus.announcements.begin('x', (c) => bus.emit('change', c));
    bus.emit('alert', 'hook');
    bus.announcements.end(turn, 'x', (c) => bus.emit('change', c));
    expect(heard).toEqual(['alert hook', 'change x']);
  });
});
