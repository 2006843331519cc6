import { describe, expect, it } from 'vitest';
import { OrderStore } from '../../src/execution/order-store.js';
import type { Order } from '../../src/model/order.js';
import { newOrder } from '../helpers.js';

const ended = (id: string): Order => ({ ...newOrder({ clientOrderId: id }), status: 'filled', brokerOrderId: `b-${id}`, brokerOrderIds: [`b-${id}`] });
const working = (id: string): Order => ({ ...newOrder({ clientOrderId: id }), status: 'accepted', brokerOrderId: `b-${id}`, brokerOrderIds: [`b-${id}`] });

describe('OrderStore: the ended orders kept', () => {
  it('keeps the newest N ended orders, forgetting the oldest (and its broker ids) as each ends — restored ended orders count too', () => {
    const store = new OrderStore(2);
    // Restored after a restart, already ended.
    store.add(ended('r1'));
    store.add(ended('r2'));
    store.add(working('w1'));
    expect(store.has('r1') && store.has('r2')).toBe(true);
    // A working order that ends takes the oldest's place.
    const before = store.require('w1');
    expect(store.update(before, { ...before, status: 'filled' })).toBe(true);
    expect(store.has('r1')).toBe(false);
    expect(store.getByBrokerOrderId('b-r1')).toBeUndefined();
    expect(store.has('r2') && store.has('w1')).toBe(true);
    // Another restored ended order: r2 goes; working orders are never forgotten.
    store.add(working('w2'));
    store.add(ended('r3'));
    expect(['r2', 'w1', 'r3', 'w2'].map((id) => store.has(id))).toEqual([false, true, true, true]);
    expect(store.getByBrokerOrderId('b-w2')?.clientOrderId).toBe('w2');
    expect(store.isWorking('w2')).toBe(true);
  });

  it('an order given up on (failed) that the broker reports after all is working again: listed, and not forgotten while it works', () => {
    const store = new OrderStore(1);
    store.add(working('x'));
    const sent = store.require('x');
    expect(store.update(sent, { ...sent, status: 'failed' })).toBe(true);
    expect(store.isWorking('x')).toBe(false);
    const failed = store.require('x');
    expect(store.update(failed, { ...failed, status: 'accepted' })).toBe(false);
    expect([store.isWorking('x'), store.workingOrders().map((o) => o.clientOrderId)]).toEqual([true, ['x']]);
    // Another order ends and pushes x's old place out of the kept ones: x still works, so it stays.
    store.add(ended('y'));
    expect(store.has('x')).toBe(true);
    const revived = store.require('x');
    expect(store.update(revived, { ...revived, status: 'cancelled' })).toBe(true);
    expect(store.isWorking('x')).toBe(false);
  });
});

describe('OrderStore: working orders by symbol', () => {
  it('hasWorkingOrder looks at the symbol’s working orders only, skips the ignored ones, and forgets an order that ended (and knows one revived)', () => {
    const store = new OrderStore(10);
    const on = (id: string, symbol: string): Order => ({ ...working(id), symbol });
    store.add(on('a1', 'AAA'));
    store.add(on('b1', 'BBB'));
    store.add({ ...on('b0', 'BBB'), status: 'filled' });
    expect([store.hasWorkingOrder('AAA'), store.hasWorkingOrder('BBB'), store.hasWorkingOrder('CCC')]).toEqual([true, true, false]);
    expect(store.hasWorkingOrder('BBB', (o) => o.clientOrderId === 'b1')).toBe(false);
    store.add(on('b2', 'BBB'));
    expect(store.hasWorkingOrder('BBB', (o) => o.clientOrderId === 'b1')).toBe(true);
    for (const id of ['b1', 'b2']) {
      const before = store.require(id);
      store.update(before, { ...before, status: 'cancelled' });
    }
    expect([store.hasWorkingOrder('BBB'), store.hasWorkingOrder('AAA')]).toEqual([false, true]);
    const failed = store.require('a1');
    store.update(failed, { ...failed, status: 'failed' });
    expect(store.hasWorkingOrder('AAA')).toBe(false);
    const revived = store.require('a1');
    store.update(revived, { ...revived, status: 'accepted' });
    expect(store.hasWorkingOrder('AAA')).toBe(true);
  });
});
