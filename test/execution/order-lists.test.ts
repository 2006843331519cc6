import { describe, expect, it } from 'vitest';
import { Decimal, ManualClock, OrderLifecycleManager, sequentialIds, UnsupportedOperationError, ValidationError } from 'tradewire';
import { MockBroker } from 'tradewire/testing';

function setup(capabilities = { nativeOco: true, nativeBracket: true }) {
  const clock = new ManualClock(1_000);
  const broker = new MockBroker({ clock, capabilities });
  broker.setPrice('AAPL', '100');
  const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), orderTimeoutMs: null });
  orders.start();
  return { clock, broker, orders };
}

const bracket = [
  { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy' as const, quantity: 10, type: 'limit' as const, limitPrice: '99', timeInForce: 'gtc' as const },
  { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell' as const, quantity: 10, type: 'limit' as const, limitPrice: '110', timeInForce: 'gtc' as const },
  { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell' as const, quantity: 10, type: 'stop' as const, stopPrice: '95', timeInForce: 'gtc' as const },
];

describe('native order lists through the lifecycle (mock broker)', () => {
  it('bracket: the legs are held until the entry fills, then released at once', async () => {
    const { broker, orders } = setup();
    const sent = await orders.submitList('bracket', [{ ...bracket[0]!, limitPrice: '90' }, bracket[1]!, { ...bracket[2]!, stopPrice: '89' }]);
    expect(sent.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(orders.get('tp')?.links).toEqual({ parentId: 'entry', ocoSiblingId: 'sl' });
    expect(orders.get('entry')?.links).toEqual({ takeProfitId: 'tp', stopLossId: 'sl' });

    broker.setPrice('AAPL', '88'); // below the stop, but the entry (limit 90) has not filled yet…
    // …so it fills now at 88, which releases the legs; 88 is through the stop, which triggers at once.
    expect(orders.get('entry')?.status).toBe('filled');
    expect(orders.get('sl')?.status).toBe('filled');
    expect(orders.get('tp')?.status).toBe('cancelled');
    expect(broker.positionReports()).toEqual([]);
  });

  it('bracket: held legs do not fill while the entry rests', async () => {
    const { broker, orders } = setup();
    await orders.submitList('bracket', [{ ...bracket[0]!, limitPrice: '90' }, bracket[1]!, bracket[2]!]);
    broker.setPrice('AAPL', '112'); // above the target, but the take-profit is held with the entry unfilled
    expect(['entry', 'tp', 'sl'].map((id) => orders.get(id)?.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(broker.positionReports()).toEqual([]);
  });

  it('bracket: a take-profit fill cancels the stop; the account ends flat', async () => {
    const { broker, orders } = setup();
    await orders.submitList('bracket', bracket);
    broker.setPrice('AAPL', '99');
    expect(orders.get('entry')?.status).toBe('filled');
    broker.setPrice('AAPL', '111');
    expect(orders.get('tp')?.status).toBe('filled');
    expect(orders.get('sl')?.status).toBe('cancelled');
    expect(orders.get('tp')?.averageFillPrice?.toString()).toBe('111');
    expect(broker.positionReports()).toEqual([]);
  });

  it('oco: a partial fill of the target shrinks the stop; the rest of the fill cancels it', async () => {
    const { broker, orders } = setup();
    broker.setPrice('AAPL', '100');
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 });
    await orders.submitList('oco', [bracket[1]!, bracket[2]!]);
    broker.setLiquidity('AAPL', 4);
    broker.setPrice('AAPL', '110');
    expect(orders.get('tp')?.filledQuantity.toString()).toBe('4');
    expect(orders.get('sl')?.quantity.toString()).toBe('6');
    broker.setLiquidity('AAPL', undefined);
    broker.setPrice('AAPL', '110.5');
    expect(orders.get('tp')?.status).toBe('filled');
    expect(orders.get('sl')?.status).toBe('cancelled');
    expect(broker.positionReports()).toEqual([]);
  });

  it('oco: the stop filling cancels the target', async () => {
    const { broker, orders } = setup();
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 });
    await orders.submitList('oco', [bracket[1]!, bracket[2]!]);
    broker.setPrice('AAPL', '94.5');
    expect(orders.get('sl')?.status).toBe('filled');
    expect(orders.get('tp')?.status).toBe('cancelled');
  });

  it("a leg resized on the stream while the list's answer is on its way keeps its new size (the answer is older)", async () => {
    const { orders } = setup();
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 10 });
    await orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    // The stop leg is acknowledged on the stream before the send resolves; the host resizes it at once.
    let resizing: Promise<unknown> | undefined;
    const off = orders.events.on('order:transition', ({ order, to }) => {
      if (order.clientOrderId === 'sl' && to === 'accepted' && !resizing) resizing = orders.modify('sl', { quantity: '15' });
    });
    await orders.submitList('oco', [bracket[1]!, bracket[2]!]);
    await resizing;
    off();
    // The list's answer (the stop at 10, as placed) came after the resize: it does not set it back.
    expect(orders.get('sl')?.quantity.toString()).toBe('15');
  });

  it('an unfilled entry cancelled takes its legs with it', async () => {
    const { orders } = setup();
    await orders.submitList('bracket', bracket);
    await orders.cancel('entry');
    expect(['entry', 'tp', 'sl'].map((id) => orders.get(id)?.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('refuses a list the broker cannot take, or one that breaks the rules, registering nothing', async () => {
    const plain = setup({ nativeOco: false, nativeBracket: false });
    await expect(plain.orders.submitList('bracket', bracket)).rejects.toBeInstanceOf(UnsupportedOperationError);
    const { orders } = setup();
    const inverted = [bracket[0]!, { ...bracket[1]!, limitPrice: '90' }, bracket[2]!];
    const error = await orders.submitList('bracket', inverted).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toContain('takeProfit.limitPrice');
    await expect(orders.submitList('oco', [bracket[1]!, { ...bracket[2]!, quantity: 5 }])).rejects.toThrow(/stopLoss.quantity must equal 10/);
    expect(orders.orderList()).toEqual([]);
  });

  it('journals every order of a list before the list is sent', async () => {
    const { broker, orders } = setup();
    let journaledBeforeSend = 0;
    const original = broker.submitOrderList.bind(broker);
    broker.submitOrderList = (list) => {
      journaledBeforeSend = orders.auditTrail({}).filter((r) => r.kind === 'order.created').length;
      return original(list);
    };
    await orders.submitList('bracket', bracket);
    expect(journaledBeforeSend).toBe(3);
    expect(new Decimal(orders.get('entry')!.quantity).toString()).toBe('10');
  });
});
