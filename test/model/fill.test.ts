import { applyOrderEvent, OverfillError, ValidationError } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { d, fill, orderIn } from '../helpers.js';

describe('applying fills', () => {
  it('keeps a volume-weighted average price and sums commission', () => {
    let order = orderIn('accepted');
    order = applyOrderEvent(order, { type: 'filled', at: 1, fill: fill('a', 30, '10.00', '0.30') }).order;
    order = applyOrderEvent(order, { type: 'filled', at: 2, fill: fill('b', 70, '10.10', '0.70') }).order;
    // (30 × 10 + 70 × 10.10) / 100 = 10.07
    expect(order.averageFillPrice?.toString()).toBe('10.07');
    expect(order.commission.toString()).toBe('1');
    expect(order.status).toBe('filled');
    expect(order.filledAt).toBe(2_000);
    expect(order.fills.map((f) => f.executionId)).toEqual(['a', 'b']);
  });

  it('is exact in decimals where binary floats are not', () => {
    let order = orderIn('accepted');
    order = applyOrderEvent(order, { type: 'filled', at: 1, fill: fill('a', '0.1', '0.2') }).order;
    order = applyOrderEvent(order, { type: 'filled', at: 2, fill: fill('b', '0.2', '0.1') }).order;
    expect(order.filledQuantity.toString()).toBe('0.3');
    // (0.1 × 0.2 + 0.2 × 0.1) / 0.3 = 0.04 / 0.3, to Decimal's 20 significant digits
    expect(order.averageFillPrice?.toString()).toBe('0.13333333333333333333');
  });

  it('counts the same execution id once', () => {
    let order = orderIn('accepted');
    order = applyOrderEvent(order, { type: 'filled', at: 1, fill: fill('a', 30, 10) }).order;
    const again = applyOrderEvent(order, { type: 'filled', at: 2, fill: fill('a', 30, 10) });
    expect(again.outcome).toBe('duplicate');
    expect(again.order).toBe(order);
  });

  it('refuses an overfill with a typed error and changes nothing', () => {
    const order = applyOrderEvent(orderIn('accepted'), { type: 'filled', at: 1, fill: fill('a', 90, 10) }).order;
    const error = (() => {
      try {
        applyOrderEvent(order, { type: 'filled', at: 2, fill: fill('b', 20, 10) });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OverfillError);
    expect((error as OverfillError).code).toBe('overfill');
    expect((error as OverfillError).executionId).toBe('b');
    expect(order.filledQuantity.toString()).toBe('90');
  });

  it('refuses non-positive quantities and prices', () => {
    const order = orderIn('accepted');
    expect(() => applyOrderEvent(order, { type: 'filled', at: 1, fill: fill('a', 0, 10) })).toThrow(OverfillError);
    expect(() => applyOrderEvent(order, { type: 'filled', at: 1, fill: fill('a', 10, 0) })).toThrow(ValidationError);
  });

  it('refuses a modify below the filled quantity', () => {
    const order = applyOrderEvent(orderIn('accepted'), { type: 'filled', at: 1, fill: fill('a', 50, 10) }).order;
    const pending = applyOrderEvent(order, { type: 'replace_requested', at: 2, changes: { quantity: d(40) } }).order;
    expect(() => applyOrderEvent(pending, { type: 'modified', at: 3, changes: { quantity: d(40) } })).toThrow(ValidationError);
  });
});
