import { afterEach, describe, expect, it } from 'vitest';
import { alpacaHarness } from './alpaca-harness.js';

/**
 * Every event of Alpaca's `trade_updates` stream that the local exchange does not produce by itself,
 * sent as Alpaca documents it (the order object as the REST API shows it) over the WebSocket, read by
 * the real SDK, and applied by the core: what each one does to the order, and that none of them is
 * refused as an illegal transition or leaves the order stuck.
 */
type Harness = Awaited<ReturnType<typeof alpacaHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const limit = (clientOrderId: string, limitPrice = '90', quantity = 10) => ({ clientOrderId, symbol: 'AAPL', side: 'buy', quantity, type: 'limit', limitPrice, timeInForce: 'day' }) as const;

/** A working limit order at the exchange, acknowledged by the core; its Alpaca id. */
async function working(harness: Harness, clientOrderId: string): Promise<string> {
  const order = await harness.orders.submit(limit(clientOrderId));
  expect(order.status).toBe('accepted');
  return order.brokerOrderId!;
}

/** What the core refused or reported as an error while the events were applied. */
function refusals(harness: Harness): unknown[] {
  return [...harness.journal.query({ topic: 'order.event_refused' }), ...harness.emitted.filter((e) => e.name === 'error')];
}

describe('Alpaca trade_updates events over the wire (real SDK, local server)', () => {
  it('informational events (pending_new, held, stopped, suspended, pending_replace) leave a working order as it is', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'info-1');
    for (const event of ['pending_new', 'held', 'stopped', 'suspended', 'pending_replace']) h.exchange.announce(id, event);
    // A marker event after them: once it is applied, every earlier frame has been read.
    h.exchange.announce(id, 'partial_fill', { status: 'partially_filled', filled_qty: '4', filled_avg_price: '90' }, { execution_id: 'x-info-1', price: '90', qty: '4' });
    await h.until(() => expect(h!.orders.get('info-1')?.status).toBe('partially_filled'));
    const order = h.orders.get('info-1')!;
    expect(order.filledQuantity.toString()).toBe('4');
    expect(order.fills.map((f) => f.executionId)).toEqual(['x-info-1']);
    expect(refusals(h)).toEqual([]);
  });

  it('rejected after the acknowledgement (the venue refused what Alpaca accepted): the order ends rejected', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'rej-1');
    h.exchange.announce(id, 'rejected', { status: 'rejected' });
    await h.until(() => expect(h!.orders.get('rej-1')?.status).toBe('rejected'));
    expect(h.orders.get('rej-1')!.errorMessage).toBe('rejected by Alpaca');
    expect(h.orders.workingOrders()).toEqual([]);
    expect(refusals(h)).toEqual([]);
  });

  it('a cancel the venue refuses (pending_cancel, then order_cancel_rejected): the order works on and can still fill', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'keep-1');
    h.exchange.cancelsRefused.add(id);
    const statuses: string[] = [];
    h.events.on('order:transition', ({ order, to }) => {
      if (order.clientOrderId === 'keep-1') statuses.push(to);
    });
    await h.orders.cancel('keep-1');
    await h.until(() => expect(statuses).toContain('accepted'));
    expect(statuses).toEqual(['pending_cancel', 'accepted']);
    expect(h.journal.query({ clientOrderId: 'keep-1' }).filter((r) => r.kind === 'order.event').map((r) => r.kind === 'order.event' && r.eventType)).toEqual(
      expect.arrayContaining(['cancel_requested', 'cancel_rejected']),
    );
    h.exchange.cancelsRefused.delete(id);
    h.exchange.setPrice('AAPL', '89.5');
    await h.until(() => expect(h!.orders.get('keep-1')?.status).toBe('filled'));
    expect(refusals(h)).toEqual([]);
  });

  it('done_for_day with a part filled: the part is a fill and the order stays partially filled; calculated then completes it', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'dfd-1');
    h.exchange.announce(id, 'done_for_day', { status: 'done_for_day', filled_qty: '3', filled_avg_price: '89.9' });
    await h.until(() => expect(h!.orders.get('dfd-1')?.status).toBe('partially_filled'));
    let order = h.orders.get('dfd-1')!;
    expect(order.filledQuantity.toString()).toBe('3');
    expect(order.averageFillPrice?.toString()).toBe('89.9');
    // `calculated`: done, settlement pending; the order object is the whole of it.
    h.exchange.announce(id, 'calculated', { status: 'calculated', filled_qty: '10', filled_avg_price: '89.97' });
    await h.until(() => expect(h!.orders.get('dfd-1')?.status).toBe('filled'));
    order = h.orders.get('dfd-1')!;
    expect(order.filledQuantity.toString()).toBe('10');
    // The second fill is derived from the change of filled_qty and filled_avg_price: 7 at 90 (3 × 89.9 + 7 × 90 = 10 × 89.97).
    expect(order.fills.map((f) => [f.quantity.toString(), f.price.toString()])).toEqual([
      ['3', '89.9'],
      ['7', '90'],
    ]);
    expect(refusals(h)).toEqual([]);
  });

  it('an event Alpaca adds later is read as a snapshot of the order, never dropped: a fill it carries is applied', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'new-evt-1');
    h.exchange.announce(id, 'some_future_event', { status: 'filled', filled_qty: '10', filled_avg_price: '90', filled_at: new Date().toISOString() });
    await h.until(() => expect(h!.orders.get('new-evt-1')?.status).toBe('filled'));
    expect(h.orders.get('new-evt-1')!.filledQuantity.toString()).toBe('10');
    expect(refusals(h)).toEqual([]);
  });

  it('our cancel refused by its HTTP answer (422) and again by the stream: applied once, the stream’s copy ignored', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'dup-1');
    h.server.failNext({ method: 'DELETE', path: /^\/v2\/orders\/[^/]+$/, status: 422, body: { code: 42210000, message: 'order is not cancelable' } });
    expect((await h.orders.cancel('dup-1')).status).toBe('accepted');
    h.exchange.announce(id, 'order_cancel_rejected');
    h.exchange.announce(id, 'partial_fill', { status: 'partially_filled', filled_qty: '1', filled_avg_price: '90' }, { execution_id: 'x-dup-1', price: '90', qty: '1' });
    await h.until(() => expect(h!.orders.get('dup-1')?.status).toBe('partially_filled'));
    const refusalsAudited = h.journal.query({ clientOrderId: 'dup-1' }).filter((r) => r.kind === 'order.event' && r.eventType === 'cancel_rejected');
    expect(refusalsAudited.map((r) => r.kind === 'order.event' && [r.from, r.outcome])).toEqual([
      ['pending_cancel', 'applied'],
      ['accepted', 'ignored'],
    ]);
    expect(refusals(h)).toEqual([]);
  });

  it('a refusal already applied from the request’s own answer, reported again by the stream (order_cancel_rejected, order_replace_rejected on a working order), is ignored, not an error', async () => {
    h = await alpacaHarness();
    const id = await working(h, 'rr-1');
    h.exchange.announce(id, 'order_replace_rejected');
    h.exchange.announce(id, 'order_cancel_rejected');
    h.exchange.announce(id, 'partial_fill', { status: 'partially_filled', filled_qty: '2', filled_avg_price: '90' }, { execution_id: 'x-rr-1', price: '90', qty: '2' });
    await h.until(() => expect(h!.orders.get('rr-1')?.status).toBe('partially_filled'));
    expect(refusals(h)).toEqual([]);
    const audited = h.journal.query({ clientOrderId: 'rr-1' }).filter((r) => r.kind === 'order.event' && (r.eventType === 'cancel_rejected' || r.eventType === 'replace_rejected'));
    expect(audited.map((r) => r.kind === 'order.event' && [r.eventType, r.outcome])).toEqual([
      ['replace_rejected', 'ignored'],
      ['cancel_rejected', 'ignored'],
    ]);
  });
});
