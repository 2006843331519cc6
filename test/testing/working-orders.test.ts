import fc from 'fast-check';
import { addExactly, Decimal, roundedToPrecision } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { type ReservingOrder, WorkingOrders } from '../../src/testing/working-orders.js';

interface TestOrder extends ReservingOrder {
  readonly id: number;
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), symbol: fc.constantFrom('A', 'B', 'C'), quantity: fc.integer({ min: 1, max: 100 }), per: fc.constantFrom('0', '1', '99.5', '12.345', '98765432.109876543') }),
  fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), quantity: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('resize' as const), pick: fc.nat(), quantity: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('end' as const), pick: fc.nat() }),
  // A look at the total: orders placed since the last look are summed then (until then a fill, a resize or an end costs no arithmetic).
  fc.constant({ kind: 'read' as const }),
);

describe('WorkingOrders: what the mock broker asks of its working orders, kept as they change', () => {
  it('property: after any orders placed, filled, resized and ended, the buying power held equals a walk over the working orders, and each symbol lists its own', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const working = new WorkingOrders<TestOrder>();
        const placed: TestOrder[] = [];
        const check = (): void => {
          // Summed exactly and rounded once (a per-unit reserve of 17 digits: a sum of them outgrows the precision).
          let walked = new Decimal(0);
          for (const o of working) walked = addExactly(walked, o.reservePerUnit.times(o.quantity.minus(o.filledQuantity)));
          walked = roundedToPrecision(walked);
          expect(working.reserved.equals(walked), `${working.reserved.toString()} vs ${walked.toString()}`).toBe(true);
          for (const symbol of ['A', 'B', 'C']) expect([...working.ofSymbol(symbol)].map((o) => o.id)).toEqual([...working].filter((o) => o.symbol === symbol).map((o) => o.id));
        };
        for (const s of steps) {
          if (s.kind === 'add') {
            const order: TestOrder = { id: placed.length, symbol: s.symbol, quantity: new Decimal(s.quantity), filledQuantity: new Decimal(0), reservePerUnit: new Decimal(s.per) };
            placed.push(order);
            working.add(order);
          } else if (s.kind !== 'read' && placed.length > 0) {
            const order = placed[s.pick % placed.length]!;
            const left = order.quantity.minus(order.filledQuantity);
            // The broker's rules: a fill takes at most what is left (and ends the order at zero), a resize stays above the filled part.
            if (s.kind === 'fill' && left.greaterThan(0)) {
              working.setFilled(order, order.filledQuantity.plus(Decimal.min(left, s.quantity)));
              if (order.filledQuantity.equals(order.quantity)) working.delete(order);
            } else if (s.kind === 'resize' && new Decimal(s.quantity).greaterThan(order.filledQuantity)) working.setQuantity(order, new Decimal(s.quantity));
            else if (s.kind === 'end') working.delete(order);
          }
          if (s.kind === 'read') check();
        }
        check();
        for (const o of placed) working.delete(o);
        expect([working.size, working.reserved.isZero(), working.ofSymbol('A').size]).toEqual([0, true, 0]);
      }),
    );
  });

  it('an order ended or changed while not working holds nothing (its fill or resize after the end moves no total)', () => {
    const working = new WorkingOrders<TestOrder>();
    const a: TestOrder = { id: 1, symbol: 'A', quantity: new Decimal(10), filledQuantity: new Decimal(0), reservePerUnit: new Decimal(5) };
    const b: TestOrder = { id: 2, symbol: 'A', quantity: new Decimal(4), filledQuantity: new Decimal(0), reservePerUnit: new Decimal(2) };
    working.add(a);
    working.add(b);
    working.add(a); // twice: counted once
    expect(working.reserved.toString()).toBe('58');
    // Placed and ended before anyone looked: never summed, never counted.
    const c: TestOrder = { id: 3, symbol: 'B', quantity: new Decimal(7), filledQuantity: new Decimal(0), reservePerUnit: new Decimal(3) };
    working.add(c);
    working.setFilled(c, new Decimal(2));
    expect(working.reserved.toString()).toBe('73');
    working.delete(c);
    expect(working.reserved.toString()).toBe('58');
    expect(working.delete(a)).toBe(true);
    expect(working.delete(a)).toBe(false);
    working.setFilled(a, new Decimal(3));
    working.setQuantity(a, new Decimal(20));
    expect([working.reserved.toString(), a.filledQuantity.toString(), a.quantity.toString()]).toEqual(['8', '3', '20']);
    expect(working.ofSymbol('Z').size).toBe(0);
  });

  it('a total with more digits than the precision does not drift: orders of a 17-digit reserve, placed, filled in parts and ended', () => {
    const working = new WorkingOrders<TestOrder>();
    const orders = Array.from({ length: 12 }, (_, i): TestOrder => ({ id: i, symbol: 'A', quantity: new Decimal(199 - i), filledQuantity: new Decimal(0), reservePerUnit: new Decimal('98765432.109876543') }));
    for (const order of orders) working.add(order);
    expect(working.reserved.toString()).toBe(roundedToPrecision(orders.reduce((sum, o) => addExactly(sum, o.reservePerUnit.times(o.quantity)), new Decimal(0))).toString());
    for (const [i, order] of orders.entries()) working.setFilled(order, new Decimal(1 + (i % 5)));
    working.delete(orders[3]!);
    const left = orders.filter((o) => working.has(o));
    const walked = roundedToPrecision(left.reduce((sum, o) => addExactly(sum, o.reservePerUnit.times(o.quantity.minus(o.filledQuantity))), new Decimal(0)));
    expect(working.reserved.toString()).toBe(walked.toString());
  });
});

