import { BrokerError, ConfigurationError, createOrder, Decimal, describeError, EventBus, isBrokerError, isTradewireError, ManualClock, randomIds, sequentialIds, toDecimal, ValidationError, type ListenerErrorPayload } from 'tradewire';
import { orderFromJSON, orderToJSON, orderEventFromJSON, orderEventToJSON } from '../../src/model/order-serialization.js';
import { describe, expect, it } from 'vitest';
import { fill, newOrder } from '../helpers.js';

describe('ManualClock', () => {
  it('fires timers in due order as time advances, including ones scheduled while firing', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 12);
    clock.clearTimeout(cancelled);
    clock.advance(30);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(30);
    expect(() => clock.advanceTo(10)).toThrow(ValidationError);
    expect(clock.now()).toBe(30);
  });

  it("a time that is not an instant, or a step that is not one, is a ValidationError and the clock's time stays as it was — NaN stopped time for good, 'abc' threw a TypeError", async () => {
    for (const start of [Number.NaN, Number.POSITIVE_INFINITY, 9e15, new Date('not a date'), 'abc', null]) {
      expect(() => new ManualClock(start as number), String(start)).toThrow(ValidationError);
    }
    const clock = new ManualClock(1_000);
    for (const step of [Number.NaN, -1, Number.POSITIVE_INFINITY, '5', undefined]) {
      expect(() => clock.advance(step as number), String(step)).toThrow(ValidationError);
      await expect(clock.advanceAsync(step as number), String(step)).rejects.toThrow(ValidationError);
    }
    for (const target of [Number.NaN, new Date('x'), 'soon']) expect(() => clock.advanceTo(target as number), String(target)).toThrow(ValidationError);
    expect(clock.now()).toBe(1_000);
    clock.advance(0);
    clock.advanceTo(new Date(2_000));
    expect(clock.now()).toBe(2_000);
  });
});

describe('ids', () => {
  it('random ids are unique, prefixed and within 48 characters', () => {
    const ids = randomIds();
    const seen = new Set(Array.from({ length: 1000 }, () => ids.next('tw')));
    expect(seen.size).toBe(1000);
    for (const id of seen) expect(id.length).toBeLessThanOrEqual(48);
  });

  it('sequential ids are deterministic, counted per prefix (orders never look missing)', () => {
    const ids = sequentialIds();
    expect([ids.next('tw'), ids.next('pos'), ids.next('tw'), ids.next('pos')]).toEqual(['tw-1', 'pos-1', 'tw-2', 'pos-2']);
    expect(sequentialIds(1_000).next('tw')).toBe('tw-1000');
  });
});

describe('EventBus', () => {
  interface Events {
    tick: { n: number };
    error: ListenerErrorPayload;
  }

  it('delivers typed payloads, supports once and off, and isolates a throwing listener', () => {
    const bus = new EventBus<Events>();
    const got: number[] = [];
    const errors: string[] = [];
    bus.on('error', (e) => errors.push(e.source));
    bus.on('tick', () => {
      throw new Error('boom');
    });
    bus.on('tick', ({ n }) => got.push(n));
    bus.once('tick', ({ n }) => got.push(n * 100));
    bus.emit('tick', { n: 1 });
    bus.emit('tick', { n: 2 });
    expect(got).toEqual([1, 100, 2]);
    expect(errors).toEqual(['tick', 'tick']);
  });

  it('hands errors nobody listens to to the fallback', () => {
    const unhandled: unknown[] = [];
    const bus = new EventBus<Events>((p) => unhandled.push(p.error));
    bus.on('tick', () => {
      throw new Error('boom');
    });
    bus.emit('tick', { n: 1 });
    expect(unhandled).toHaveLength(1);
  });

  it('next() resolves with the next payload', async () => {
    const bus = new EventBus<Events>();
    const next = bus.next('tick');
    bus.emit('tick', { n: 7 });
    expect(await next).toEqual({ n: 7 });
  });
});

describe('errors', () => {
  it('carry a literal code and a category, and are recognised by name across copies', () => {
    const error = new BrokerError('rate_limited', 'slow down', { status: 429 });
    expect(error.code).toBe('rate_limited');
    expect(error.category).toBe('RETRYABLE');
    expect(error.retryable).toBe(true);
    expect(error).toBeInstanceOf(Error);
    // A BrokerError from another loaded copy of the package: same name and shape, different class.
    const foreign = Object.assign(new Error('x'), { name: 'BrokerError', code: 'timeout', category: 'RETRYABLE' });
    expect(isBrokerError(foreign)).toBe(true);
    expect(isTradewireError(foreign)).toBe(true);
    expect(isTradewireError(new Error('plain'))).toBe(false);
    expect(new ConfigurationError([{ field: 'x', message: 'bad' }]).code).toBe('invalid_configuration');
  });

  it('toDecimal refuses NaN, infinities and junk with a typed error', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 'abc', '', undefined, {}]) {
      expect(() => toDecimal(bad, 'price')).toThrow(ValidationError);
    }
    expect(toDecimal('1.10', 'price').toString()).toBe('1.1');
  });
});

describe('describeError', () => {
  it('spells out the failures of an AggregateError (the first five), not only how many there were', () => {
    expect(describeError(new ValidationError([{ field: 'x', message: 'is bad' }], 'thing'))).toMatch(/^ValidationError: /);
    const several = new AggregateError([new Error('AAPL refused'), new BrokerError('timeout', 'MSFT timed out')], '2 positions could not be closed');
    expect(describeError(several)).toBe('AggregateError: 2 positions could not be closed (Error: AAPL refused; BrokerError: MSFT timed out)');
    const many = new AggregateError(Array.from({ length: 7 }, (_, i) => new Error(`e${i}`)), '7 failed');
    expect(describeError(many)).toBe('AggregateError: 7 failed (Error: e0; Error: e1; Error: e2; Error: e3; Error: e4; and 2 more)');
    expect(describeError('plain')).toBe('plain');
  });
});

describe('createOrder', () => {
  const deps = { clock: new ManualClock(0), ids: sequentialIds() };

  it('applies defaults: market, day, equity; gtc for crypto', () => {
    const order = createOrder({ symbol: ' AAPL ', side: 'buy', quantity: '10' }, deps);
    expect(order).toMatchObject({ symbol: 'AAPL', type: 'market', timeInForce: 'day', assetClass: 'equity', status: 'created', extendedHours: false });
    expect(order.clientOrderId).toBe('tw-1');
    expect(createOrder({ symbol: 'BTC/USD', side: 'buy', quantity: '0.01', assetClass: 'crypto' }, deps).timeInForce).toBe('gtc');
  });

  it('lists every problem at once', () => {
    try {
      createOrder({ symbol: 'X', side: 'buy', quantity: 1, type: 'trailing_stop', limitPrice: 1, clientOrderId: 'has space' }, deps);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.field).sort()).toEqual(['clientOrderId', 'limitPrice', 'trailPercent']);
    }
    expect(() => createOrder({ symbol: 'X', side: 'buy', quantity: 1, clientOrderId: 'x'.repeat(49) }, deps)).toThrow(/at most 48/);
    expect(() => createOrder({ symbol: 'X', side: 'buy', quantity: Number.NaN }, deps)).toThrow(/quantity must be a finite decimal/);
    expect(() => createOrder({ symbol: 'X', side: 'buy', quantity: 1, type: 'stop_limit', stopPrice: 0, limitPrice: 1 }, deps)).toThrow(/stopPrice must be greater than zero/);
  });
});

describe('serialization', () => {
  it('round-trips orders and events through JSON exactly', () => {
    const order = { ...newOrder({ type: 'limit', limitPrice: '10.05' }), fills: [fill('a', '1.5', '10.01', '0.01')], filledQuantity: new Decimal('1.5'), averageFillPrice: new Decimal('10.01') };
    const json = JSON.parse(JSON.stringify(orderToJSON(order)));
    const back = orderFromJSON(json);
    expect(back.limitPrice?.toString()).toBe('10.05');
    expect(back.fills[0]?.price.toString()).toBe('10.01');
    expect(back.averageFillPrice).toBeInstanceOf(Decimal);
    expect(orderToJSON(back)).toEqual(json);
    const event = { type: 'filled' as const, at: 5, fill: fill('a', 1, 2) };
    expect(orderEventToJSON(orderEventFromJSON(JSON.parse(JSON.stringify(orderEventToJSON(event)))))).toEqual(orderEventToJSON(event));
  });
});

describe('journal records as JSON', () => {
  it('round-trip through JSON text exactly, as a durable journal will store them', async () => {
    const { InMemoryJournal, journalRecordFromJSON, journalRecordToJSON } = await import('tradewire');
    const journal = new InMemoryJournal();
    const order = { ...newOrder({ type: 'limit', limitPrice: '10.05' }), status: 'accepted' as const };
    journal.append({ kind: 'order.created', at: 1, clientOrderId: order.clientOrderId, symbol: 'AAPL', status: 'created', order });
    journal.append({ kind: 'order.event', at: 2, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'accepted', status: 'filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 2, fill: fill('e', 100, '10.05') } });
    journal.append({ kind: 'note', at: 3, topic: 'x', data: { a: 1 } });
    for (const record of journal.query()) {
      const text = JSON.stringify(journalRecordToJSON(record));
      const back = journalRecordFromJSON(JSON.parse(text));
      expect(JSON.stringify(journalRecordToJSON(back))).toBe(text);
    }
    const created = journalRecordFromJSON(JSON.parse(JSON.stringify(journalRecordToJSON(journal.query()[0]!))));
    expect(created.kind === 'order.created' && created.order.limitPrice instanceof Decimal).toBe(true);
  });
});
