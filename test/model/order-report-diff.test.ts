import { applyOrderEvent, Decimal, eventsFromOrderReport, type Order, type OrderStatusReport } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { d, fill, orderIn } from '../helpers.js';

function report(overrides: Partial<OrderStatusReport>): OrderStatusReport {
  return { clientOrderId: 'c-1', brokerOrderId: 'b-1', symbol: 'AAPL', side: 'buy', type: 'market', status: 'accepted', quantity: d(100), filledQuantity: d(0), updatedAt: 9, ...overrides };
}

const applyAll = (order: Order, r: OrderStatusReport): Order => eventsFromOrderReport(order, r, 10).reduce((o, e) => applyOrderEvent(o, e).order, order);

describe('eventsFromOrderReport', () => {
  it('acknowledges a submitted order and applies listed executions', () => {
    const after = applyAll(orderIn('submitted'), report({ status: 'partially_filled', filledQuantity: d(30), averageFillPrice: d(10), fills: [fill('e1', 30, 10)] }));
    expect(after.status).toBe('partially_filled');
    expect(after.brokerOrderId).toBe('b-1');
    expect(after.fills.map((f) => f.executionId)).toEqual(['e1']);
  });

  it('infers the missing fill from totals at the price that makes the average right, idempotently', () => {
    let order = applyOrderEvent(orderIn('accepted'), { type: 'filled', at: 1, fill: fill('e1', 40, 10) }).order;
    const r = report({ status: 'filled', filledQuantity: d(100), averageFillPrice: d('10.6') });
    order = applyAll(order, r);
    expect(order.status).toBe('filled');
    // 100 × 10.6 − 40 × 10 = 660 over 60 = 11
    expect(order.fills[1]?.price.toString()).toBe('11');
    expect(order.averageFillPrice?.toString()).toBe('10.6');
    expect(eventsFromOrderReport(order, r, 11)).toEqual([]);
  });

  it('closes cancelled, expired and rejected orders, and revives one we had marked failed', () => {
    expect(applyAll(orderIn('accepted'), report({ status: 'cancelled' })).status).toBe('cancelled');
    expect(applyAll(orderIn('accepted'), report({ status: 'expired' })).status).toBe('expired');
    expect(applyAll(orderIn('submitted'), report({ status: 'rejected', reason: 'no' })).errorMessage).toBe('no');
    expect(applyAll(orderIn('failed'), report({ status: 'accepted' })).status).toBe('accepted');
  });

  it("a report of size zero does not know the size (OANDA's stop-loss of a closed trade): the order ends at its own size", () => {
    const after = applyAll(orderIn('accepted'), report({ status: 'cancelled', quantity: d(0) }));
    expect([after.status, after.quantity.toString()]).toEqual(['cancelled', '100']);
  });

  it('picks up a modification made at the broker', () => {
    const after = applyAll({ ...orderIn('accepted'), type: 'limit', limitPrice: d(10) }, report({ limitPrice: d('10.5'), quantity: d(120), brokerOrderId: 'b-2' }));
    expect(after.limitPrice?.toString()).toBe('10.5');
    expect(after.quantity.toString()).toBe('120');
    expect(after.brokerOrderIds).toEqual(['b-1', 'b-2']);
    expect(after.status).toBe('accepted');
  });

  it("takes the id of the order a replace issued even when nothing else changed (a stop moved away and back in the broker's app), but not a link it has left", () => {
    const order = { ...orderIn('accepted'), type: 'stop' as const, stopPrice: d(98) };
    const successor = report({ type: 'stop', stopPrice: d(98), brokerOrderId: 'b-3', replacesBrokerOrderId: 'b-2' });
    const after = applyAll(order, successor);
    expect([after.brokerOrderId, after.status, after.stopPrice?.toString()]).toEqual(['b-3', 'accepted', '98']);
    expect(eventsFromOrderReport(after, successor, 11)).toEqual([]);
    // A late report of a link already left (b-1 → b-3 → b-4): the order stays on b-4.
    const later = applyAll(after, report({ type: 'stop', stopPrice: d(98), brokerOrderId: 'b-4', replacesBrokerOrderId: 'b-3' }));
    expect(eventsFromOrderReport(later, successor, 12)).toEqual([]);
    // Without a replace behind it, a report under another id changes nothing by itself.
    expect(eventsFromOrderReport(order, report({ type: 'stop', stopPrice: d(98), brokerOrderId: 'b-9' }), 13)).toEqual([]);
  });

  it('brings an order the broker ended at another size to that size first: a replace whose answer was lost, then filled at its new size, ends filled', () => {
    // We asked for 100 → 60; the answer was lost; the broker filled the 60.
    const waiting = applyOrderEvent(orderIn('accepted'), { type: 'replace_requested', changes: { quantity: d(60) }, at: 2 }).order;
    const after = applyAll(waiting, report({ status: 'filled', quantity: d(60), filledQuantity: d(60), averageFillPrice: d(10) }));
    expect(after.status).toBe('filled');
    expect(after.quantity.toString()).toBe('60');
    // Already part-filled at our size (the fills heard, the new size not): the size completes it.
    const partly = applyOrderEvent(orderIn('accepted'), { type: 'filled', at: 3, fill: fill('e1', 60, 10) }).order;
    expect(partly.status).toBe('partially_filled');
    const done = applyAll(partly, report({ status: 'filled', quantity: d(60), filledQuantity: d(60), averageFillPrice: d(10) }));
    expect(done.status).toBe('filled');
    expect(done.fills).toHaveLength(1);
    // A replaced leg's report carries the old parameters: they are not taken.
    expect(eventsFromOrderReport(orderIn('accepted'), report({ status: 'replaced', quantity: d(60) }), 10).some((e) => e.type === 'modified')).toBe(false);
  });

  it('a filled order the broker reports larger, with more filled (a replace up that landed unseen, the old size completed by fills heard after it), reopens and completes at the broker\'s size', () => {
    const filled = orderIn('filled'); // 100 of 100
    const events = eventsFromOrderReport(filled, report({ status: 'filled', quantity: d(120), filledQuantity: d(120), averageFillPrice: d(10) }), 10);
    expect(events.map((e) => e.type)).toEqual(['modified', 'filled']);
    const after = applyAll(filled, report({ status: 'filled', quantity: d(120), filledQuantity: d(120), averageFillPrice: d(10) }));
    expect([after.status, after.quantity.toString(), after.filledQuantity.toString()]).toEqual(['filled', '120', '120']);
    // A late change that does not grow it past its fills is still ignored.
    expect(applyOrderEvent(filled, { type: 'modified', changes: { quantity: d(100), limitPrice: d(11) }, at: 11 }).outcome).toBe('ignored');
    expect(applyOrderEvent(filled, { type: 'modified', changes: { limitPrice: d(11) }, at: 11 }).outcome).toBe('ignored');
  });

  it('produces nothing when the order already matches', () => {
    expect(eventsFromOrderReport(orderIn('accepted'), report({}), 10)).toEqual([]);
  });
});
