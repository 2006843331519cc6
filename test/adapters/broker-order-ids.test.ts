import fc from 'fast-check';
import { BrokerOrderIds } from 'tradewire';
import { describe, expect, it } from 'vitest';

describe('BrokerOrderIds: an adapter’s client id ↔ broker ids, ended orders forgotten after a window', () => {
  it('names broker ids for our orders, follows a replace chain, and forgets an ended order once `retain` newer ones have ended', () => {
    const ids = new BrokerOrderIds(2);
    ids.alias('b1', 'a');
    ids.alias('b2', 'a'); // a replace: a new broker id, the same logical order
    ids.alias('b3', 'b');
    expect([ids.clientIdOf('b1'), ids.clientIdOf('b2'), ids.clientIdOf('b3')]).toEqual(['a', 'a', 'b']);
    expect(ids.brokerIdsOf('a')).toEqual(['b1', 'b2']);
    expect(ids.end('a')).toBeUndefined();
    expect(ids.end('b')).toBeUndefined();
    expect(ids.end('c')).toEqual({ clientOrderId: 'a', brokerOrderIds: ['b1', 'b2'] });
    expect(ids.clientIdOf('b1')).toBeUndefined();
    expect(ids.clientIdOf('b3')).toBe('b');
    expect(ids.size).toEqual({ orders: 1, brokerOrderIds: 1 });
  });

  it('an order heard of as working again after its end is not forgotten; an id named for another order moves to it', () => {
    const ids = new BrokerOrderIds(1);
    ids.alias('b1', 'a');
    ids.end('a');
    ids.living('a'); // e.g. a cancel refused: it still works
    expect(ids.end('x')).toBeUndefined();
    expect(ids.clientIdOf('b1')).toBe('a');
    ids.alias('b1', 'z');
    expect([ids.brokerIdsOf('a'), ids.brokerIdsOf('z')]).toEqual([[], ['b1']]);
  });

  it('-1 keeps every ended order; 0 forgets one as it ends; ending twice counts once', () => {
    const all = new BrokerOrderIds(-1);
    for (let i = 0; i < 100; i++) {
      all.alias(`b${i}`, `o${i}`);
      expect(all.end(`o${i}`)).toBeUndefined();
    }
    expect(all.size.orders).toBe(100);
    const none = new BrokerOrderIds(0);
    none.alias('b', 'o');
    expect(none.end('o')).toEqual({ clientOrderId: 'o', brokerOrderIds: ['b'] });
    const once = new BrokerOrderIds(1);
    once.alias('b', 'o');
    once.end('o');
    expect(once.end('o')).toBeUndefined();
    expect(once.clientIdOf('b')).toBe('o');
  });

  it('property: however orders are named, end and live again, what is remembered is the working orders and at most `retain` ended ones — and a working order is never forgotten', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alias' as const), order: fc.integer({ min: 0, max: 15 }), id: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('end' as const), order: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant('living' as const), order: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 200 }), (retain, ops) => {
        const ids = new BrokerOrderIds(retain);
        const model = new Map<string, string>(); // broker id → order, as the ids were last named
        const ended = new Set<string>();
        for (const o of ops) {
          const order = `o${o.order}`;
          if (o.kind === 'alias') {
            ids.alias(`b${o.id}`, order);
            model.set(`b${o.id}`, order);
            // As the adapters do: an id heard of for an order that has ended comes with its end again.
            if (ended.has(order)) {
              const forgotten = ids.end(order);
              if (forgotten) for (const id of forgotten.brokerOrderIds) model.delete(id);
            }
          } else if (o.kind === 'living') {
            ids.living(order);
            ended.delete(order);
          } else {
            ended.add(order);
            const forgotten = ids.end(order);
            if (forgotten) for (const id of forgotten.brokerOrderIds) model.delete(id);
          }
          for (const [id, owner] of model) if (!ended.has(owner)) expect(ids.clientIdOf(id)).toBe(owner);
          const working = new Set([...model.values()].filter((owner) => !ended.has(owner)));
          expect(ids.size.orders).toBeLessThanOrEqual(working.size + retain);
          expect(ids.size.brokerOrderIds).toBe(model.size);
        }
      }),
      { numRuns: 300 },
    );
  });
});
