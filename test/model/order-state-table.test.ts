import { applyOrderEvent, InvalidOrderTransitionError, lookupTransition, ORDER_EVENT_TYPES, ORDER_STATE_TABLE, ORDER_STATUSES, type OrderEvent, type OrderEventType, type OrderStatus, OverfillError, TERMINAL_ORDER_STATUSES } from 'tradewire';
import { orderToJSON } from '../../src/model/order-serialization.js';
import { describe, expect, it } from 'vitest';
import { d, fill, orderIn } from '../helpers.js';

function sampleEvent(type: OrderEventType): OrderEvent {
  const at = 5_000;
  switch (type) {
    case 'filled':
      return { type, at, fill: fill('x-new', 10, 11) };
    case 'risk_rejected':
    case 'rejected':
    case 'submit_failed':
    case 'cancel_rejected':
    case 'replace_rejected':
      return { type, at, reason: `${type} reason` };
    case 'replace_requested':
    case 'modified':
      return { type, at, changes: { quantity: d(120) } };
    case 'superseded':
      return { type, at, replacedBy: 'c-2' };
    default:
      return { type, at } as OrderEvent;
  }
}

/** What the table promises for (status, event), spelled out independently of the resolver. */
function expectedStatus(status: OrderStatus, type: OrderEventType): OrderStatus | 'ignored' | 'illegal' | 'overfill' {
  const target = lookupTransition(status, type);
  if (target === undefined) return 'illegal';
  if (target === '$ignore') return 'ignored';
  if (target === '$same') return status;
  // The sample change (quantity 120) is larger than any sample order filled: it grows.
  if (target === '$grow') return 'partially_filled';
  if (target === '$fill') {
    if (status === 'filled') return 'overfill';
    if (['pending_cancel', 'pending_replace', 'cancelled', 'expired', 'replaced'].includes(status)) return status;
    return 'partially_filled';
  }
  if (target === '$working') {
    const order = orderIn(status);
    if (order.filledQuantity.greaterThan(0)) return 'partially_filled';
    return order.acceptedAt === undefined ? 'submitted' : 'accepted';
  }
  return target;
}

describe('order state table', () => {
  it('has a row for every status, and terminal states are exactly the ends', () => {
    expect(Object.keys(ORDER_STATE_TABLE).sort()).toEqual([...ORDER_STATUSES].sort());
    expect([...TERMINAL_ORDER_STATUSES].sort()).toEqual(['cancelled', 'expired', 'failed', 'filled', 'rejected', 'replaced', 'risk_rejected']);
  });

  // Every (status, event) pair: 14 × 15 = 210 cases.
  for (const status of ORDER_STATUSES) {
    for (const type of ORDER_EVENT_TYPES) {
      const expected = expectedStatus(status, type);
      it(`${status} + ${type} → ${expected}`, () => {
        const order = orderIn(status);
        const event = sampleEvent(type);
        if (expected === 'illegal') {
          expect(() => applyOrderEvent(order, event)).toThrow(InvalidOrderTransitionError);
          return;
        }
        if (expected === 'overfill') {
          expect(() => applyOrderEvent(order, event)).toThrow(OverfillError);
          return;
        }
        const result = applyOrderEvent(order, event);
        if (expected === 'ignored') {
          expect(result.outcome).toBe('ignored');
          expect(result.order.status).toBe(status);
          expect(result.order.filledQuantity.equals(order.filledQuantity)).toBe(true);
        } else {
          expect(result.outcome).toBe('applied');
          expect(result.order.status).toBe(expected);
          expect(result.from).toBe(status);
          expect(result.to).toBe(expected);
        }
      });
    }
  }

  it('an illegal transition changes nothing and names the order, status and event', () => {
    const order = orderIn('filled');
    const snapshot = orderToJSON(order);
    try {
      applyOrderEvent(order, sampleEvent('cancel_requested'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOrderTransitionError);
      const e = error as InvalidOrderTransitionError;
      expect(e.code).toBe('invalid_order_transition');
      expect(e.from).toBe('filled');
      expect(e.eventType).toBe('cancel_requested');
      expect(e.clientOrderId).toBe('c-1');
    }
    expect(orderToJSON(order)).toEqual(snapshot);
  });
});

describe('races real brokers produce', () => {
  it('a fill after a cancel request is applied; the cancel then ends the rest', () => {
    let order = orderIn('pending_cancel');
    order = applyOrderEvent(order, { type: 'filled', at: 6, fill: fill('x-1', 20, 12) }).order;
    expect(order.status).toBe('pending_cancel');
    expect(order.filledQuantity.toString()).toBe('20');
    order = applyOrderEvent(order, { type: 'cancelled', at: 7 }).order;
    expect(order.status).toBe('cancelled');
    expect(order.filledQuantity.toString()).toBe('20');
  });

  it('a fill that completes the order while a cancel is pending wins: filled, and the late cancel is ignored', () => {
    let order = orderIn('pending_cancel');
    order = applyOrderEvent(order, { type: 'filled', at: 6, fill: fill('x-1', 100, 12) }).order;
    expect(order.status).toBe('filled');
    const late = applyOrderEvent(order, { type: 'cancelled', at: 7 });
    expect(late.outcome).toBe('ignored');
    expect(late.order.status).toBe('filled');
  });

  it('a fill reported after the cancel confirmation is still counted', () => {
    let order = applyOrderEvent(orderIn('accepted'), { type: 'cancelled', at: 6 }).order;
    order = applyOrderEvent(order, { type: 'filled', at: 7, fill: fill('x-1', 30, 12) }).order;
    expect(order.status).toBe('cancelled');
    expect(order.filledQuantity.toString()).toBe('30');
  });

  it('a duplicate event is ignored, a replayed execution counts once', () => {
    let order = orderIn('submitted');
    order = applyOrderEvent(order, { type: 'accepted', at: 6, brokerOrderId: 'b-9' }).order;
    expect(applyOrderEvent(order, { type: 'accepted', at: 7 }).outcome).toBe('ignored');
    order = applyOrderEvent(order, { type: 'filled', at: 8, fill: fill('x-1', 30, 12) }).order;
    const replay = applyOrderEvent(order, { type: 'filled', at: 9, fill: fill('x-1', 30, 12) });
    expect(replay.outcome).toBe('duplicate');
    expect(replay.order.filledQuantity.toString()).toBe('30');
  });

  it('a late "accepted" after "filled" is ignored, not applied, but still records the broker id', () => {
    let order = orderIn('submitted');
    order = applyOrderEvent(order, { type: 'filled', at: 6, fill: fill('x-1', 100, 12) }).order;
    expect(order.status).toBe('filled');
    const late = applyOrderEvent(order, { type: 'accepted', at: 7, brokerOrderId: 'b-7' });
    expect(late.outcome).toBe('ignored');
    expect(late.order.status).toBe('filled');
    expect(late.order.brokerOrderId).toBe('b-7');
  });

  it('a partial fill then a cancel of the rest keeps the partial quantity', () => {
    let order = orderIn('accepted');
    order = applyOrderEvent(order, { type: 'filled', at: 6, fill: fill('x-1', 50, 12) }).order;
    expect(order.status).toBe('partially_filled');
    order = applyOrderEvent(order, { type: 'cancel_requested', at: 7 }).order;
    order = applyOrderEvent(order, { type: 'cancelled', at: 8 }).order;
    expect(order.status).toBe('cancelled');
    expect(order.filledQuantity.toString()).toBe('50');
    expect(order.cancelledAt).toBe(8);
  });

  it('cancelRequestedAt: when the cancel was asked — not moved by a fill or a second report of the same request, moved by a cancel asked again after a refusal, kept once the order ends', () => {
    let order = applyOrderEvent(orderIn('accepted'), { type: 'cancel_requested', at: 6 }).order;
    order = applyOrderEvent(order, { type: 'filled', at: 7, fill: fill('x-1', 10, 12) }).order;
    order = applyOrderEvent(order, { type: 'cancel_requested', at: 8 }).order; // the stream's echo: ignored
    expect([order.status, order.updatedAt, order.cancelRequestedAt]).toEqual(['pending_cancel', 7, 6]);
    order = applyOrderEvent(order, { type: 'cancel_rejected', at: 9, reason: 'too late' }).order;
    expect([order.status, order.cancelRequestedAt]).toEqual(['partially_filled', 6]);
    order = applyOrderEvent(order, { type: 'cancel_requested', at: 10 }).order;
    order = applyOrderEvent(order, { type: 'cancelled', at: 11 }).order;
    expect([order.status, order.cancelRequestedAt, order.cancelledAt]).toEqual(['cancelled', 10, 11]);
    expect(orderIn('accepted').cancelRequestedAt).toBeUndefined();
  });

  it('a cancel rejected returns to the working status the request interrupted', () => {
    const accepted = applyOrderEvent(orderIn('accepted'), { type: 'cancel_requested', at: 6 }).order;
    expect(applyOrderEvent(accepted, { type: 'cancel_rejected', at: 7, reason: 'too late' }).order.status).toBe('accepted');
    const partial = applyOrderEvent(orderIn('partially_filled'), { type: 'cancel_requested', at: 6 }).order;
    expect(applyOrderEvent(partial, { type: 'cancel_rejected', at: 7, reason: 'too late' }).order.status).toBe('partially_filled');
  });

  it('an order cancelled before its acknowledgement, acknowledged while the cancel is pending, then the cancel refused: accepted, not submitted (the ack was ignored whole — found by the crash search)', () => {
    let order = applyOrderEvent(orderIn('submitted'), { type: 'cancel_requested', at: 6 }).order;
    const ack = applyOrderEvent(order, { type: 'accepted', at: 7, brokerOrderId: 'b-7' });
    expect([ack.outcome, ack.order.status, ack.order.acceptedAt, ack.order.brokerOrderId]).toEqual(['ignored', 'pending_cancel', 7, 'b-7']);
    order = applyOrderEvent(ack.order, { type: 'cancel_rejected', at: 8, reason: 'cancel refused by the broker' }).order;
    expect(order.status).toBe('accepted');
    // An order acknowledged already keeps its first acknowledgement.
    expect(applyOrderEvent(orderIn('accepted'), { type: 'accepted', at: 9, brokerOrderId: 'b-1' }).order.acceptedAt).toBe(1_500);
  });

  it('a cancel or replace refusal reported again once the order works on (the request’s answer, then the stream) is ignored', () => {
    for (const status of ['submitted', 'accepted', 'partially_filled'] as const) {
      let order = applyOrderEvent(orderIn(status), { type: 'cancel_requested', at: 6 }).order;
      order = applyOrderEvent(order, { type: 'cancel_rejected', at: 7, reason: 'not cancelable' }).order;
      expect(order.status).toBe(status);
      for (const type of ['cancel_rejected', 'replace_rejected'] as const) {
        const again = applyOrderEvent(order, { type, at: 8, reason: 'from the stream' });
        expect([again.outcome, again.order.status]).toEqual(['ignored', status]);
      }
    }
  });

  it('an order we gave up on (failed) that the broker did receive comes back to life', () => {
    const failed = orderIn('failed');
    const revived = applyOrderEvent(failed, { type: 'accepted', at: 6, brokerOrderId: 'b-3' }).order;
    expect(revived.status).toBe('accepted');
    expect(revived.brokerOrderId).toBe('b-3');
  });

  it('a replace keeps one logical order across broker ids', () => {
    let order = orderIn('accepted');
    order = applyOrderEvent(order, { type: 'replace_requested', at: 6, changes: { quantity: d(150) } }).order;
    expect(order.status).toBe('pending_replace');
    order = applyOrderEvent(order, { type: 'modified', at: 7, changes: { quantity: d(150) }, brokerOrderId: 'b-2' }).order;
    expect(order.status).toBe('accepted');
    expect(order.quantity.toString()).toBe('150');
    expect(order.brokerOrderId).toBe('b-2');
    expect(order.brokerOrderIds).toEqual(['b-1', 'b-2']);
    expect(order.clientOrderId).toBe('c-1');
  });

  it('the old order filling before the replace lands is applied', () => {
    let order = applyOrderEvent(orderIn('accepted'), { type: 'replace_requested', at: 6, changes: { quantity: d(150) } }).order;
    order = applyOrderEvent(order, { type: 'filled', at: 7, fill: fill('x-1', 100, 10) }).order;
    expect(order.status).toBe('filled');
    expect(applyOrderEvent(order, { type: 'replace_rejected', at: 8, reason: 'filled' }).outcome).toBe('ignored');
  });

  it('an order cancelled before the broker acknowledged it whose send then failed ends failed (it never arrived), not stuck pending cancel', () => {
    expect(applyOrderEvent(orderIn('pending_cancel'), { type: 'submit_failed', at: 6, reason: 'timed out; lookup failed' }).order.status).toBe('failed');
  });

  it('IOC orders may go straight from submitted to cancelled', () => {
    expect(applyOrderEvent(orderIn('submitted'), { type: 'cancelled', at: 6 }).order.status).toBe('cancelled');
  });
});

describe('docs/architecture.md', () => {
  it('shows the state diagram generated from the table', async () => {
    const { readFileSync } = await import('node:fs');
    const { orderStateDiagram } = await import('tradewire');
    const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    expect(doc).toContain(`\`\`\`mermaid\n${orderStateDiagram()}\n\`\`\``);
  });
});
