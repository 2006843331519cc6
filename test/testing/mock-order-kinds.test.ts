import { createOrder, ManualClock, OrderLifecycleManager, sequentialIds, ValidationError } from 'tradewire';
import { orderFromJSON, orderToJSON } from '../../src/model/order-serialization.js';
import { MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 15));
  const broker = new MockBroker({ clock });
  broker.setPrice('EUR_USD', '1.1000');
  const orders = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), orderTimeoutMs: null });
  orders.start();
  return { clock, broker, orders };
}

describe('market-if-touched, good-till-date and price-bound orders', () => {
  it('market-if-touched: a buy waits for the price to come down to the trigger, then fills at market', async () => {
    const { broker, orders } = setup();
    await orders.submit({ clientOrderId: 'mit', symbol: 'EUR_USD', assetClass: 'forex', side: 'buy', quantity: 1000, type: 'market_if_touched', stopPrice: '1.0950', timeInForce: 'gtc' });
    broker.setPrice('EUR_USD', '1.0960');
    expect(orders.get('mit')?.status).toBe('accepted');
    broker.setPrice('EUR_USD', '1.0940');
    expect([orders.get('mit')?.status, orders.get('mit')?.averageFillPrice?.toString()]).toEqual(['filled', '1.094']);
  });

  it('gtd: needs a future expiresAt, and expires when it passes', async () => {
    const { clock, broker, orders } = setup();
    expect(() => createOrder({ symbol: 'EUR_USD', side: 'buy', quantity: 1, type: 'limit', limitPrice: 1, timeInForce: 'gtd' }, { clock, ids: sequentialIds() })).toThrow(ValidationError);
    expect(() => createOrder({ symbol: 'EUR_USD', side: 'buy', quantity: 1, type: 'limit', limitPrice: 1, timeInForce: 'gtc', expiresAt: clock.now() + 1 }, { clock, ids: sequentialIds() })).toThrow(/expiresAt is only used by gtd orders/);
    const sent = await orders.submit({ clientOrderId: 'gtd', symbol: 'EUR_USD', side: 'buy', quantity: 1000, type: 'limit', limitPrice: '1.05', timeInForce: 'gtd', expiresAt: new Date(clock.now() + 60_000) });
    expect(orderFromJSON(orderToJSON(sent)).expiresAt).toBe(clock.now() + 60_000);
    clock.advance(60_000);
    broker.setPrice('EUR_USD', '1.0990');
    expect(orders.get('gtd')?.status).toBe('expired');
  });

  it('price bound: a market order that would fill beyond it is cancelled instead', async () => {
    const { broker, orders } = setup();
    broker.setPrice('EUR_USD', '1.1010');
    const bounded = await orders.submit({ clientOrderId: 'pb', symbol: 'EUR_USD', side: 'buy', quantity: 1000, priceBound: '1.1005' });
    expect([bounded.status, bounded.errorMessage]).toEqual(['cancelled', 'price 1.101 is beyond the bound 1.1005']);
    const ok = await orders.submit({ clientOrderId: 'pb2', symbol: 'EUR_USD', side: 'buy', quantity: 1000, priceBound: '1.1015' });
    expect(ok.status).toBe('filled');
    expect(() => createOrder({ symbol: 'EUR_USD', side: 'buy', quantity: 1, type: 'limit', limitPrice: 1, priceBound: 1 }, { clock: new ManualClock(0), ids: sequentialIds() })).toThrow(/priceBound is for market orders only/);
  });
});
