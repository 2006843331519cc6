import { createOrder, type OrderRequest } from 'tradewire';
import { alpacaListIssues, alpacaOrderIssues } from 'tradewire/alpaca';
import { ManualClock, sequentialIds } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

/**
 * Alpaca's order rules, checked before anything is sent (docs.alpaca.markets: "Orders" — time in
 * force per asset class, extended hours, fractional and notional orders, bracket / OCO / OTO): an
 * order Alpaca would refuse is refused here with every reason, and nothing goes on the wire.
 */
const deps = { clock: new ManualClock(Date.UTC(2026, 10, 30, 15)), ids: sequentialIds() };
/** A request over the defaults; a key set to undefined removes the default (a notional order has no quantity). */
type Loose = { [K in keyof OrderRequest]?: OrderRequest[K] | undefined };
const order = (request: Loose) => createOrder({ symbol: 'AAPL', side: 'buy', quantity: 10, ...request } as OrderRequest, deps);

describe('Alpaca order rules', () => {
  it('accepts what Alpaca takes', () => {
    const fine: Loose[] = [
      {},
      { type: 'limit', limitPrice: '100', timeInForce: 'gtc' },
      { type: 'limit', limitPrice: '100', timeInForce: 'day', extendedHours: true },
      { type: 'market', timeInForce: 'opg' },
      { type: 'limit', limitPrice: '100', timeInForce: 'cls' },
      { type: 'trailing_stop', side: 'sell', trailPercent: '1.5', timeInForce: 'gtc' },
      { quantity: '0.5' }, // fractional: market, day
      { quantity: undefined, notional: '250' },
      { symbol: 'BTC/USD', assetClass: 'crypto', quantity: '0.000123456', timeInForce: 'gtc' },
      { symbol: 'BTC/USD', assetClass: 'crypto', quantity: '1', type: 'stop_limit', stopPrice: '60000', limitPrice: '60100', timeInForce: 'ioc' },
    ];
    for (const request of fine) expect(alpacaOrderIssues(order(request)), JSON.stringify(request)).toEqual([]);
  });

  it.each<[string, Loose, RegExp]>([
    ['a price bound on a market order', { priceBound: '101' }, /no price bound/],
    ['extended hours on a market order', { extendedHours: true }, /extended hours orders must be limit orders with time in force day/],
    ['extended hours on a GTC limit', { type: 'limit', limitPrice: '100', timeInForce: 'gtc', extendedHours: true }, /extended hours/],
    ['crypto with time in force day', { symbol: 'BTC/USD', assetClass: 'crypto', quantity: '1', timeInForce: 'day' }, /crypto orders take time in force gtc or ioc, not day/],
    ['a crypto stop', { symbol: 'BTC/USD', assetClass: 'crypto', quantity: '1', type: 'stop', side: 'sell', stopPrice: '60000', timeInForce: 'gtc' }, /crypto orders are market, limit or stop_limit, not stop/],
    ['an opening-auction stop', { type: 'stop', side: 'sell', stopPrice: '95', timeInForce: 'opg' }, /opg orders must be market or limit/],
    ['a GTC notional order', { quantity: undefined, notional: '250', timeInForce: 'gtc' }, /notional orders must be market orders with time in force day/],
    ['a fractional limit', { quantity: '0.5', type: 'limit', limitPrice: '100' }, /a fractional quantity \(0\.5\) must be a market order with time in force day/],
    ['a fractional GTC market order', { quantity: '0.5', timeInForce: 'gtc' }, /fractional/],
    ['ten decimal places', { symbol: 'BTC/USD', assetClass: 'crypto', quantity: '0.0000000001', timeInForce: 'gtc' }, /qty takes at most 9 decimal places/],
  ])('refuses %s', (_what, request, reason) => {
    const issues = alpacaOrderIssues(order(request));
    expect(issues.join('; ')).toMatch(reason);
  });

  it('lists: day or gtc equities, no extended hours, an OCO sent as its limit, no trailing stop inside', () => {
    const entry = order({ clientOrderId: 'e', type: 'limit', limitPrice: '99', timeInForce: 'gtc' });
    const target = order({ clientOrderId: 't', side: 'sell', type: 'limit', limitPrice: '110', timeInForce: 'gtc', reduceOnly: true });
    const stop = order({ clientOrderId: 's', side: 'sell', type: 'stop', stopPrice: '95', timeInForce: 'gtc', reduceOnly: true });
    expect(alpacaListIssues({ kind: 'bracket', orders: [entry, target, stop] })).toEqual([]);
    expect(alpacaListIssues({ kind: 'oco', orders: [target, stop] })).toEqual([]);

    const ioc = { ...entry, timeInForce: 'ioc' as const };
    expect(alpacaListIssues({ kind: 'bracket', orders: [ioc, target, stop] }).join('; ')).toMatch(/bracket orders take time in force day or gtc, not ioc/);
    expect(alpacaListIssues({ kind: 'oco', orders: [stop, target] }).join('; ')).toMatch(/an OCO is sent as its limit \(take-profit\) order/);
    const trailing = order({ clientOrderId: 'tr', side: 'sell', type: 'trailing_stop', trailPercent: '2', timeInForce: 'gtc', reduceOnly: true });
    expect(alpacaListIssues({ kind: 'bracket', orders: [entry, target, trailing] }).join('; ')).toMatch(/Alpaca does not allow a trailing stop inside a bracket/);
    const crypto = order({ clientOrderId: 'c', symbol: 'BTC/USD', assetClass: 'crypto', quantity: '1', type: 'limit', limitPrice: '60000', timeInForce: 'gtc' });
    expect(alpacaListIssues({ kind: 'oto', orders: [crypto, { ...stop, symbol: 'BTC/USD', assetClass: 'crypto' }] }).join('; ')).toMatch(/oto orders are for equities only/);
    // Every reason once, however many legs share it.
    const issues = alpacaListIssues({ kind: 'bracket', orders: [{ ...entry, extendedHours: true }, { ...target, extendedHours: true }, { ...stop, extendedHours: true }] });
    expect(issues.filter((i) => i === 'bracket orders cannot trade in extended hours')).toHaveLength(1);
  });
});
