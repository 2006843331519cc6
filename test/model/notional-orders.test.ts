import { createOrder, Decimal, ManualClock, OrderLifecycleManager, sequentialIds, ValidationError } from 'tradewire';
import { orderFromJSON, orderToJSON } from '../../src/model/order-serialization.js';
import { MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

const deps = { clock: new ManualClock(0), ids: sequentialIds() };

describe('notional orders (an amount of money instead of a quantity)', () => {
  it('a market order for an amount: quantity zero until the broker says, notional kept, round-trips through JSON', () => {
    const order = createOrder({ symbol: 'AAPL', side: 'buy', notional: '250.50' }, deps);
    expect([order.quantity.toString(), order.notional?.toString(), order.type]).toEqual(['0', '250.5', 'market']);
    expect(orderFromJSON(orderToJSON(order))).toEqual(order);
  });

  it('needs exactly one of quantity and notional, and a market order', () => {
    const error = (request: Parameters<typeof createOrder>[0]): string[] => {
      try {
        createOrder(request, deps);
        return [];
      } catch (e) {
        return (e as ValidationError).issues.map((i) => `${i.field} ${i.message}`);
      }
    };
    expect(error({ symbol: 'AAPL', side: 'buy' })).toEqual(['quantity is required']);
    expect(error({ symbol: 'AAPL', side: 'buy', notional: 100, quantity: 1 })).toEqual(['quantity must not be given with notional (one or the other)']);
    expect(error({ symbol: 'AAPL', side: 'buy', notional: 100, type: 'limit', limitPrice: 10 })).toEqual(['notional is for market orders only, not limit']);
    expect(error({ symbol: 'AAPL', side: 'buy', notional: -5 })[0]).toMatch(/^notional /);
  });

  it('the mock broker works out the units at the current price and the core follows', async () => {
    const clock = new ManualClock(0);
    const broker = new MockBroker({ clock, assets: [{ symbol: 'AAPL', fractionable: true, quantityIncrement: new Decimal('0.0001') }] });
    broker.setPrice('AAPL', '300');
    const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds() });
    orders.start();
    const order = await orders.submit({ symbol: 'AAPL', side: 'buy', notional: '1000' });
    expect([order.status, order.quantity.toString(), order.filledQuantity.toString()]).toEqual(['filled', '3.3333', '3.3333']);
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('3.3333');
  });
});
