import { BrokerError, createOrder, Decimal, isBrokerError, sequentialIds, silentLogger, systemClock } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { afterEach, describe, expect, it } from 'vitest';
import { runDuplicateIdRace } from '../duplicate-id-race.js';
import { hostRecorder } from '../host-recorder.js';
import { alpacaHarness } from './alpaca-harness.js';
import { FAKE_KEY, FAKE_SECRET } from './fake-alpaca-server.js';

type Harness = Awaited<ReturnType<typeof alpacaHarness>>;
let h: Harness | undefined;
const start = async (options: Parameters<typeof alpacaHarness>[0] = {}): Promise<Harness> => {
  h = await alpacaHarness(options);
  return h;
};
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const limit = (clientOrderId: string, limitPrice: string, side: 'buy' | 'sell' = 'buy', quantity = 10) =>
  ({ clientOrderId, symbol: 'AAPL', side, quantity, type: 'limit', limitPrice, timeInForce: 'gtc' }) as const;
const stop = (clientOrderId: string, stopPrice: string, side: 'buy' | 'sell' = 'sell', quantity = 10) =>
  ({ clientOrderId, symbol: 'AAPL', side, quantity, type: 'stop', stopPrice, timeInForce: 'gtc' }) as const;

describe('AlpacaAdapter against a local Alpaca-compatible server (real SDK, real wire format)', () => {
  it('the duplicate-id race: a slow POST lands after the 404 look-up; the resend’s 422 "client_order_id must be unique" is looked up and the order adopted', async () => {
    const harness = await start({ adapter: { timeoutMs: 300 } });
    const order = await runDuplicateIdRace(harness, { submit: /^\/v2\/orders$/, lookup: /^\/v2\/orders:by_client_order_id$/ }, limit('race-1', '95'));
    expect(order.status).toBe('accepted');
    const atBroker = [...harness.exchange.orders.values()].filter((o) => o.client_order_id === 'race-1');
    expect(atBroker).toHaveLength(1);
    expect(order.brokerOrderId).toBe(atBroker[0]!.id);
    expect(harness.journal.query({ topic: 'order.found_after_duplicate' })).toHaveLength(1);
    // It is live and ours: a fill reaches it.
    harness.exchange.setPrice('AAPL', '94.9');
    await harness.until(() => expect(harness.orders.get('race-1')?.status).toBe('filled'));
  });

  it('a 500 to an order POST that Alpaca did act on: looked up before the resend, never sent twice', async () => {
    const { orders, server, exchange, until, handler } = await start();
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status: 500, body: { code: 50010000, message: 'internal server error' }, afterProcessing: true });
    let done = false;
    void orders.submit(limit('five-1', '90')).then(() => (done = true)); // the retry's backoff runs on the manual clock that until() advances
    await until(() => expect(done).toBe(true));
    expect(orders.get('five-1')?.status).toBe('accepted');
    expect([...exchange.orders.values()].filter((o) => o.client_order_id === 'five-1')).toHaveLength(1);
    expect(handler.stats().foundAfterTimeout).toBe(1);
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders')).toHaveLength(1);
  });

  it('errors are classified by status and Alpaca’s numeric code; the message only separates refusals sharing a code', async () => {
    const { alpacaErrorFromResponse } = await import('../../../src/adapters/alpaca/errors.js');
    const cases: [number, number, string, string][] = [
      [403, 40310000, 'insufficient buying power', 'insufficient_buying_power'],
      [403, 40310000, 'trade denied due to pattern day trading protection', 'pattern_day_trader'],
      [403, 40310000, 'insufficient qty available for order (requested: 10, available: 0)', 'invalid_order'],
      [422, 40010001, 'client_order_id must be unique', 'broker_duplicate_client_order_id'],
      [422, 42210000, 'qty must be > 0', 'invalid_order'],
      [403, 40110000, 'request is not authorized', 'unauthorized'],
      [422, 40410000, 'some new wording for a missing order', 'broker_not_found'],
      [403, 42910000, 'too many requests', 'rate_limited'],
      [422, 42210000, 'sub-penny increment does not fulfill minimum pricing criteria', 'sub_penny_price'],
      [422, 42210000, 'asset XYZ is not tradable', 'not_tradable'],
      [422, 42210000, 'asset "XYZZ" not found', 'invalid_symbol'],
      [403, 40310000, 'asset GME cannot be sold short', 'not_shortable'],
      [422, 42210000, 'market is closed', 'market_closed'],
      [422, 42210000, 'trading is halted for this security', 'trading_halted'],
      [403, 40310000, 'account is restricted from trading', 'account_restricted'],
      [403, 40310000, 'forbidden', 'unauthorized'],
      [422, 42210000, 'order is not cancelable', 'order_not_cancelable'],
      [409, 40910000, 'a conflict Alpaca may add later', 'broker_unknown'],
      [429, 42910000, 'rate limit exceeded', 'rate_limited'],
      [404, 40410000, 'order not found', 'broker_not_found'],
    ];
    for (const [status, code, message, expected] of cases) expect(alpacaErrorFromResponse(status, { code, message }).code, message).toBe(expected);
    expect(alpacaErrorFromResponse(500, { code: 50010000, message: 'x' }, undefined, true).mayHaveReachedBroker).toBe(true);
    expect(alpacaErrorFromResponse(500, { code: 50010000, message: 'x' }, undefined, false).mayHaveReachedBroker).toBe(false);
  });

  it('after a reconnect, the look-up of each order that ended meanwhile goes through the engine’s rate limiter (no burst)', async () => {
    const { RateLimitedAdapter } = await import('tradewire');
    const { orders, server, exchange, until, adapter } = await start();
    // The engine wraps the adapter: its gate now paces the adapter's own fan-out (5 per second here).
    new RateLimitedAdapter(adapter, { limit: { requests: 5, perMs: 1_000, burst: 1 }, logger: silentLogger });
    for (let i = 0; i < 6; i++) await orders.submit(limit(`rl-${i}`, String(90 + i)));
    server.dropStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    for (const o of exchange.orders.values()) if (o.client_order_id.startsWith('rl-')) exchange.cancel(o.id);
    const before = server.requests.length;
    server.restoreStream();
    await until(() => expect(orders.orderList().filter((o) => o.clientOrderId.startsWith('rl-') && o.status === 'cancelled')).toHaveLength(6), 10_000);
    const lookups = server.requests.slice(before).filter((r) => r.method === 'GET' && /^\/v2\/orders\/[^/]+$/.test(r.path)).map((r) => r.at);
    expect(lookups).toHaveLength(6);
    // ~200 ms apart (5 per second), not all at once. A loaded machine stalls the limiter's timer and
    // two tokens may then come close together (a token bucket catching up; seen at 266 ms for three
    // with two search loops on the other core), so pairs are judged loosely: no three look-ups inside
    // 150 ms (a burst sends all six within a few), and the six spread over a second at least.
    for (let i = 2; i < lookups.length; i++) expect(lookups[i]! - lookups[i - 2]!).toBeGreaterThanOrEqual(150);
    expect(lookups.at(-1)! - lookups[0]!).toBeGreaterThanOrEqual(1_000);
  });

  it('cancel-all: an order the 207 body reports as not cancelled (status 500 inside) makes the core cancel one by one', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit(limit('ca-1', '90'));
    await orders.submit(limit('ca-2', '91'));
    const stuck = orders.get('ca-2')!.brokerOrderId!;
    exchange.uncancelableInBulk.add(stuck);
    const acted = await orders.cancelAll('kill switch');
    expect(acted.map((o) => o.clientOrderId).sort()).toEqual(['ca-1', 'ca-2']);
    // The bulk call cancelled ca-1; ca-2 was cancelled by its own DELETE, the fallback.
    await until(() => expect([orders.get('ca-1')?.status, orders.get('ca-2')?.status]).toEqual(['cancelled', 'cancelled']));
    expect(h!.server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toContain(`/v2/orders/${stuck}`);
  });

  it('market order: accepted by REST, filled over the stream with Alpaca’s execution id', async () => {
    const { orders, until } = await start();
    const order = await orders.submit({ clientOrderId: 'mkt-1', symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(order.brokerOrderId).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => expect(orders.get('mkt-1')?.status).toBe('filled'));
    const filled = orders.get('mkt-1')!;
    expect(filled.fills).toHaveLength(1);
    expect(filled.fills[0]!.executionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(filled.averageFillPrice?.toString()).toBe('100');
  });

  it('partial fills: the order is tracked through partially_filled to filled, one fill per execution', async () => {
    const { orders, exchange, until } = await start();
    exchange.liquidity.set('AAPL', new Decimal(4));
    await orders.submit(limit('part-1', '100'));
    await until(() => expect(orders.get('part-1')?.status).toBe('partially_filled'));
    expect(orders.get('part-1')?.filledQuantity.toString()).toBe('4');
    exchange.setPrice('AAPL', '99.5');
    exchange.liquidity.delete('AAPL');
    exchange.setPrice('AAPL', '99.4');
    await until(() => expect(orders.get('part-1')?.status).toBe('filled'));
    const fills = orders.get('part-1')!.fills;
    expect(fills.map((f) => f.quantity.toString())).toEqual(['4', '4', '2']);
    // The stream's price is the order's running average; each execution's own price is derived
    // from the change of filled_qty and filled_avg_price, and keeps Alpaca's execution id.
    expect(fills.map((f) => f.price.toString())).toEqual(['100', '99.5', '99.4']);
    expect(fills.every((f) => /^[0-9a-f-]{36}$/.test(f.executionId))).toBe(true);
    expect(orders.get('part-1')!.averageFillPrice?.toString()).toBe('99.68');
  });

  it('a bracket: legs held until the entry fills; the take-profit fills and Alpaca cancels the stop', async () => {
    const { orders, exchange, until } = await start();
    await orders.submitList('bracket', [limit('br-entry', '99'), limit('br-tp', '110', 'sell'), stop('br-sl', '95')]);
    // Alpaca names the legs itself; the core matched them by role and recorded their ids.
    expect(orders.get('br-tp')?.brokerOrderId).toBeTruthy();
    expect(orders.get('br-sl')?.brokerOrderId).toBeTruthy();
    exchange.setPrice('AAPL', '111'); // the target's price, but the entry has not filled: nothing
    exchange.setPrice('AAPL', '98.9');
    await until(() => expect(orders.get('br-entry')?.status).toBe('filled'));
    exchange.setPrice('AAPL', '110.2');
    await until(() => expect([orders.get('br-tp')?.status, orders.get('br-sl')?.status]).toEqual(['filled', 'cancelled']));
  });

  it('an OTO: the stop exit is held until the entry fills, then works on its own', async () => {
    const { orders, exchange, until } = await start();
    await orders.submitList('oto', [limit('oto-in', '99'), stop('oto-sl', '95')]);
    const leg = [...exchange.orders.values()].find((o) => o.id === orders.get('oto-sl')?.brokerOrderId);
    expect([leg?.status, leg?.order_class]).toEqual(['held', 'oto']);
    exchange.setPrice('AAPL', '94'); // through the stop, but the entry (limit 99) fills first at 94…
    await until(() => expect(orders.get('oto-in')?.status).toBe('filled'));
    await until(() => expect(orders.get('oto-sl')?.status).toBe('filled')); // …and releases the stop, which triggers
    expect(exchange.positionList()).toEqual([]);
  });

  it('an OCO exit for a position held: the stop triggers and Alpaca cancels the take-profit', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ clientOrderId: 'buy-1', symbol: 'AAPL', side: 'buy', quantity: 10 });
    await until(() => expect(orders.get('buy-1')?.status).toBe('filled'));
    await orders.submitList('oco', [limit('oco-tp', '110', 'sell'), stop('oco-sl', '95')]);
    exchange.setPrice('AAPL', '94.9');
    await until(() => expect([orders.get('oco-sl')?.status, orders.get('oco-tp')?.status]).toEqual(['filled', 'cancelled']));
  });

  it('a trailing stop follows the price and fills on the retreat', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ clientOrderId: 'buy-t', symbol: 'AAPL', side: 'buy', quantity: 10 });
    await until(() => expect(orders.get('buy-t')?.status).toBe('filled'));
    await orders.submit({ clientOrderId: 'trail-1', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'trailing_stop', trailPercent: 2, timeInForce: 'gtc' });
    exchange.setPrice('AAPL', '110'); // stop at 107.80
    exchange.setPrice('AAPL', '108');
    exchange.setPrice('AAPL', '107.7');
    await until(() => expect(orders.get('trail-1')?.status).toBe('filled'));
    expect(orders.get('trail-1')?.averageFillPrice?.toString()).toBe('107.7');
  });

  it('a replace chain: every PATCH makes a new Alpaca order, the core keeps one logical order', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit(limit('rep-1', '90'));
    await orders.modify('rep-1', { limitPrice: '91' });
    await orders.modify('rep-1', { limitPrice: '92', quantity: 12 });
    const order = orders.get('rep-1')!;
    expect(order.brokerOrderIds).toHaveLength(3);
    expect([order.status, order.limitPrice?.toString(), order.quantity.toString()]).toEqual(['accepted', '92', '12']);
    const [first, second, third] = order.brokerOrderIds;
    expect(exchange.orders.get(first!)?.replaced_by).toBe(second);
    expect(exchange.orders.get(third!)?.replaces).toBe(second);
    exchange.setPrice('AAPL', '92');
    await until(() => expect(orders.get('rep-1')?.status).toBe('filled'));
    expect(orders.get('rep-1')?.filledQuantity.toString()).toBe('12');
  });

  it('the ids replaces gave are remembered while the order works and forgotten once retainEndedOrders newer orders have ended: memory stays bounded over many replaced orders', async () => {
    const { adapter, orders, exchange, until } = await start({ adapter: { retainEndedOrders: 2 } });
    await orders.submit(limit('keep-1', '80'));
    await orders.modify('keep-1', { limitPrice: '81' });
    for (let i = 0; i < 6; i++) {
      await orders.submit(limit(`gone-${i}`, '85'));
      await orders.modify(`gone-${i}`, { limitPrice: '86' });
      await orders.modify(`gone-${i}`, { limitPrice: '87' });
      await orders.cancel(`gone-${i}`);
      await until(() => expect(orders.get(`gone-${i}`)?.status).toBe('cancelled'));
    }
    // keep-1 (working) and the newest 2 ended orders, each with the ids its replaces gave it.
    await until(() => expect(adapter.remembered()).toEqual({ orders: 3, orderIds: 5 }));
    // The working order's replacement is still ours: its fill reports under our client id.
    exchange.setPrice('AAPL', '81');
    await until(() => expect(orders.get('keep-1')?.status).toBe('filled'));
    expect(() => new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, retainEndedOrders: -2 })).toThrow(/retainEndedOrders/);
  });

  it('looked up by our client id alone (recovery after a crash that lost the broker ids): a replace chain is followed to the live order, a bracket parent comes with its legs', async () => {
    const { orders, adapter } = await start();
    await orders.submit(limit('look-1', '90'));
    await orders.modify('look-1', { limitPrice: '91' });
    await orders.modify('look-1', { limitPrice: '92' });
    const live = orders.get('look-1')!.brokerOrderIds[2]!;
    const found = await adapter.getOrder({ clientOrderId: 'look-1' });
    expect([found?.clientOrderId, found?.brokerOrderId, found?.status, found?.limitPrice?.toString()]).toEqual(['look-1', live, 'accepted', '92']);
    await orders.submitList('bracket', [limit('look-in', '80'), limit('look-tp', '110', 'sell'), stop('look-sl', '75')]);
    const parent = await adapter.getOrder({ clientOrderId: 'look-in' });
    expect(parent?.legs?.map((leg) => leg.brokerOrderId).sort()).toEqual([orders.get('look-tp')!.brokerOrderId, orders.get('look-sl')!.brokerOrderId].sort());
    expect(parent?.legs?.map((leg) => leg.status)).toEqual(['accepted', 'accepted']);
  });

  it('the old order fills before the replace lands: Alpaca refuses the PATCH and the fill is kept', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit(limit('race-1', '99'));
    exchange.setPrice('AAPL', '98.5'); // fills at Alpaca; the stream event is still on its way
    const after = await orders.modify('race-1', { limitPrice: '98' });
    await until(() => expect(orders.get('race-1')?.status).toBe('filled'));
    expect(['filled', 'accepted', 'pending_replace']).toContain(after.status);
    expect(orders.get('race-1')?.fills).toHaveLength(1);
    expect(orders.get('race-1')?.brokerOrderIds).toHaveLength(1);
  });

  it('a cancel racing a fill: the fill wins and is recorded, the cancel refusal is absorbed', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit(limit('cx-1', '99'));
    exchange.setPrice('AAPL', '98'); // filled at Alpaca…
    await orders.cancel('cx-1'); // …as the cancel goes out
    await until(() => expect(orders.get('cx-1')?.status).toBe('filled'));
    expect(orders.get('cx-1')?.filledQuantity.toString()).toBe('10');
  });

  it('429 then success: retried with the same client order id, never doubled', async () => {
    const { orders, server, until, emitted } = await start();
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, headers: { 'retry-after': '1' } });
    let settled = false;
    void orders.submit({ clientOrderId: 'rl-1', symbol: 'AAPL', side: 'buy', quantity: 3 }).then(() => (settled = true));
    await until(() => expect([settled, orders.get('rl-1')?.status]).toEqual([true, 'filled']));
    expect(server.exchange.created.get('rl-1')).toBe(1);
    expect(server.requests.filter((r) => r.method === 'POST').length).toBe(2);
    expect(emitted.some((e) => e.name === 'order:retry')).toBe(true);
  });

  it('a 504 after Alpaca took the order: found by client order id, not sent again', async () => {
    const { orders, server, until } = await start();
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status: 504, body: { message: 'gateway timeout' }, afterProcessing: true });
    let settled = false;
    void orders.submit({ clientOrderId: 'gw-1', symbol: 'AAPL', side: 'buy', quantity: 2 }).then(() => (settled = true));
    await until(() => expect([settled, orders.get('gw-1')?.status]).toEqual([true, 'filled']));
    expect(server.exchange.created.get('gw-1')).toBe(1);
  });

  it('a 504 after Alpaca took the order, every look-up a 500, the stream down: failed and in doubt, found when the stream is back', async () => {
    const { orders, server, until, adapter, emitted } = await start();
    server.dropStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status: 504, body: { message: 'gateway timeout' }, afterProcessing: true });
    for (let i = 0; i < 12; i++) server.failNext({ method: 'GET', path: /^\/v2\/orders:by_client_order_id$/, status: 500, body: { code: 50010000, message: 'internal server error' } });
    let settled = false;
    void orders.submit({ clientOrderId: 'doubt-1', symbol: 'AAPL', side: 'buy', quantity: 2 }).then(() => (settled = true));
    await until(() => expect(settled).toBe(true));
    // Alpaca filled it (a market order); nobody could hear it or ask.
    expect(orders.get('doubt-1')?.status).toBe('failed');
    expect(orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual(['doubt-1']);
    expect(emitted.some((e) => e.name === 'alert' && (e.payload as { code: string }).code === 'order_in_doubt')).toBe(true);
    server.clearFailures();
    server.restoreStream();
    await until(() => expect(orders.get('doubt-1')?.status).toBe('filled'));
    expect(orders.get('doubt-1')?.filledQuantity.toString()).toBe('2');
    expect(orders.ordersInDoubt()).toEqual([]);
    expect(server.exchange.created.get('doubt-1')).toBe(1);
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders')).toHaveLength(1);
  });

  it('a cancel whose DELETE got a 500 (Alpaca never acted on it) is asked again on the clock, and the order is cancelled', async () => {
    const { orders, server, until } = await start();
    await orders.submit(limit('retry-cancel', '90'));
    server.failNext({ method: 'DELETE', path: /^\/v2\/orders\/[^/]+$/, status: 500, body: { code: 50010000, message: 'internal server error' } });
    const first = await orders.cancel('retry-cancel');
    expect(first.status).toBe('accepted');
    await until(() => expect(orders.get('retry-cancel')?.status).toBe('cancelled'));
    expect(server.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith('/v2/orders/'))).toHaveLength(2);
  });

  it('a dropped stream: a fill during the gap is recovered before new orders go out, then `reconnected`', async () => {
    const { orders, server, exchange, until, emitted, adapter } = await start();
    await orders.submit(limit('gap-1', '99'));
    server.dropStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    exchange.setPrice('AAPL', '98'); // fills while nobody listens
    expect(server.lostEvents).toBeGreaterThan(0);
    expect(orders.get('gap-1')?.status).toBe('accepted');
    server.restoreStream();
    await until(() => expect(orders.get('gap-1')?.status).toBe('filled'));
    const changes = emitted.filter((e) => e.name === 'broker:connection').map((e) => (e.payload as { state: string }).state);
    expect(changes).toEqual(['disconnected', 'reconnected']);
    // The missed fill came from the reconciliation snapshot (inferred from Alpaca's totals), counted once.
    expect(orders.get('gap-1')?.fills).toHaveLength(1);
    const next = await orders.submit({ clientOrderId: 'after-gap', symbol: 'AAPL', side: 'buy', quantity: 1 });
    expect(next.status).not.toBe('failed');
  });

  it('reads the paper endpoint’s binary frames and plain text frames alike', async () => {
    const { orders, until } = await start({ binaryFrames: false });
    await orders.submit({ clientOrderId: 'txt-1', symbol: 'AAPL', side: 'buy', quantity: 1 });
    await until(() => expect(orders.get('txt-1')?.status).toBe('filled'));
  });

  it('account, positions, assets, clock and calendar in the core’s types', async () => {
    const { adapter, orders, until, exchange } = await start();
    await orders.submit({ clientOrderId: 'acc-1', symbol: 'AAPL', side: 'buy', quantity: 10 });
    await until(() => expect(orders.get('acc-1')?.status).toBe('filled'));
    const account = await adapter.getAccount();
    expect([account.accountId, account.currency, account.cash.toString(), account.dayTradeCount, account.patternDayTrader]).toEqual(['PA0000FAKE', 'USD', '99000', 3, false]);
    expect(account.equity.toString()).toBe('100000');
    const [position] = await adapter.getPositions();
    expect([position?.symbol, position?.quantity.toString(), position?.averageEntryPrice.toString()]).toEqual(['AAPL', '10', '100']);
    const asset = await adapter.getAsset('AAPL');
    expect([asset?.tradable, asset?.fractionable, asset?.shortable, asset?.easyToBorrow, asset?.quantityIncrement.toString()]).toEqual([true, true, true, true, '1e-9']);
    expect((await adapter.getAsset('BTC/USD'))?.assetClass).toBe('crypto');
    // The currency each is priced in (the account_currency check): an equity in USD, a crypto pair in its quote.
    exchange.assets.set('ETH/BTC', { symbol: 'ETH/BTC', class: 'crypto', fractionable: true, shortable: false, easy_to_borrow: false, tradable: true });
    expect(await Promise.all(['AAPL', 'BTC/USD', 'ETH/BTC'].map(async (s) => (await adapter.getAsset(s))?.quoteCurrency))).toEqual(['USD', 'USD', 'BTC']);
    const clock = await adapter.getMarketClock();
    expect([clock.isOpen, new Date(clock.nextClose).toISOString()]).toEqual([true, '2026-11-23T21:00:00.000Z']);
    expect((await adapter.getCalendar('2026-11-24', '2026-11-27')).map((d) => `${d.date} ${d.open}-${d.close}`)).toEqual(['2026-11-24 09:30-16:00', '2026-11-25 09:30-16:00', '2026-11-27 09:30-13:00']);
  });

  it('rounds prices to Alpaca’s increments instead of being refused as sub-penny', async () => {
    const { orders, exchange } = await start();
    await orders.submit(limit('rnd-1', '50.129'));
    await orders.submit({ ...limit('rnd-2', '0.123456'), quantity: 100 });
    await orders.submit({ ...limit('rnd-3', '150.121', 'sell'), quantity: 1 }).catch(() => undefined);
    const sent = [...exchange.orders.values()].map((o) => [o.client_order_id, o.limit_price]);
    expect(sent).toContainEqual(['rnd-1', '50.12']); // a buy never pays more than asked
    expect(sent).toContainEqual(['rnd-2', '0.1234']);
    expect(orders.get('rnd-1')?.limitPrice?.toString()).toBe('50.12'); // the core took Alpaca's price
  });

  it('checks Alpaca’s rules before sending: nothing reaches Alpaca', async () => {
    const { adapter, orders, server } = await start();
    const posts = (): number => server.requests.filter((r) => r.method === 'POST').length;
    const refused = [
      await orders.submit({ clientOrderId: 'eh-1', symbol: 'AAPL', side: 'buy', quantity: 1, type: 'market', extendedHours: true }),
      await orders.submit({ clientOrderId: 'cr-1', symbol: 'BTC/USD', assetClass: 'crypto', side: 'buy', quantity: '0.01', type: 'market', timeInForce: 'day' }),
    ];
    expect(refused.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(refused[0]?.errorMessage).toMatch(/extended hours orders must be limit orders with time in force day/);
    expect(refused[1]?.errorMessage).toMatch(/crypto orders take time in force gtc or ioc/);
    const list = await orders.submitList('bracket', [{ ...limit('bx-1', '99'), timeInForce: 'ioc' }, limit('bx-2', '110', 'sell'), { clientOrderId: 'bx-3', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'trailing_stop', trailPercent: 1, timeInForce: 'gtc' }]);
    expect(list.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(list[0]?.errorMessage).toMatch(/time in force day or gtc, not ioc.*trailing stop inside a bracket/);
    expect(posts()).toBe(0);
    expect(adapter.health().streamConnected).toBe(true);
  });
});

describe('Alpaca errors, mapped to the core’s categories', () => {
  const cases: [string, number, string, string, Record<string, unknown>][] = [
    ['insufficient buying power', 403, 'insufficient_buying_power', 'ADJUSTABLE', { code: 40310000, message: 'insufficient buying power' }],
    ['invalid order', 422, 'invalid_order', 'FATAL', { code: 40010001, message: 'qty must be > 0' }],
    ['sub-penny', 422, 'sub_penny_price', 'ADJUSTABLE', { code: 42210000, message: 'invalid limit_price 100.123. sub-penny increment does not fulfill minimum pricing criteria' }],
    ['rate limited', 429, 'rate_limited', 'RETRYABLE', { code: 42910000, message: 'rate limit exceeded' }],
    ['server error', 500, 'server_error', 'RETRYABLE', { code: 50010000, message: 'internal server error' }],
    ['unavailable', 503, 'server_error', 'RETRYABLE', { message: 'service unavailable' }],
  ];
  it.each(cases)('%s (%i) → %s, %s', async (_name, status, code, category, body) => {
    const { adapter, server } = await start();
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status, body });
    const { createOrder, sequentialIds, systemClock } = await import('tradewire');
    const order = createOrder({ symbol: 'AAPL', side: 'buy', quantity: 1, clientOrderId: `err-${status}` }, { clock: systemClock(), ids: sequentialIds() });
    const error = await adapter.submitOrder(order).catch((e: unknown) => e);
    expect(isBrokerError(error) && [error.code, error.category, error.status]).toEqual([code, category, status]);
    if (isBrokerError(error)) expect(error.message).toContain(String(body.message));
  });

  it('pattern-day-trader refusal (403) is reported as such, with the day-trade count', async () => {
    const { adapter, exchange } = await start();
    exchange.patternDayTrader = true;
    exchange.dayTradeCount = 4;
    const { createOrder, sequentialIds, systemClock } = await import('tradewire');
    const error = await adapter.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 1 }, { clock: systemClock(), ids: sequentialIds() })).catch((e: unknown) => e);
    expect(isBrokerError(error) && [error.code, error.category, error.details.dayTradeCount]).toEqual(['pattern_day_trader', 'FATAL', 4]);
  });

  it('not found (404): getOrder answers undefined, cancel throws broker_not_found', async () => {
    const { adapter } = await start();
    expect(await adapter.getOrder({ clientOrderId: 'nope' })).toBeUndefined();
    const error = await adapter.cancelOrder({ clientOrderId: 'nope', brokerOrderId: '00000000-0000-0000-0000-000000000000' }).catch((e: unknown) => e);
    expect(isBrokerError(error) && error.code).toBe('broker_not_found');
  });

  it('unauthorized (401): REST fails fatally and the stream refuses to authenticate', async () => {
    const { server } = await start();
    const wrong = new AlpacaAdapter({ keyId: FAKE_KEY, secret: 'wrong-secret', baseUrl: server.baseUrl, streamUrl: server.streamUrl, connectTimeoutMs: 2_000 });
    const rest = await wrong.getAccount().catch((e: unknown) => e);
    expect(isBrokerError(rest) && [rest.code, rest.category]).toEqual(['unauthorized', 'FATAL']);
    const stream = await wrong.connect().catch((e: unknown) => e);
    expect(stream).toBeInstanceOf(BrokerError);
    expect((stream as BrokerError).code).toBe('unauthorized');
    await wrong.disconnect();
  });
});

describe('credentials and environments', () => {
  it('a key or secret never appears in a log line, an event, an error or the journal', async () => {
    const { orders, server, journal, emitted, logger, until, adapter } = await start();
    server.failNext({ method: 'POST', path: /^\/v2\/orders$/, status: 500, body: { message: 'boom' } });
    let settled = 0;
    void orders.submit({ clientOrderId: 'sec-1', symbol: 'AAPL', side: 'buy', quantity: 1 }).then(() => settled++);
    void orders.submit({ clientOrderId: 'sec-2', symbol: 'NOPE', side: 'buy', quantity: 1 }).then(() => settled++);
    await until(() => expect(settled).toBe(2));
    server.dropStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    server.restoreStream();
    await until(() => expect(adapter.health().streamConnected).toBe(true));
    const everything = JSON.stringify([journal.query({}), emitted.map((e) => ({ ...e, payload: e.payload instanceof Error ? { message: e.payload.message, stack: e.payload.stack } : e.payload })), logger.lines, orders.orderList(), adapter.health()]);
    expect(everything.length).toBeGreaterThan(1_000);
    expect(everything).not.toContain(FAKE_SECRET);
    expect(everything).not.toContain(FAKE_KEY);
  });

  it('key and secret are not in util.inspect or JSON.stringify of the adapter (connected), nor in an error body that echoes them', async () => {
    const { adapter, server } = await start();
    await adapter.getAccount(); // the SDK client now exists, with the credentials inside
    const { inspect } = await import('node:util');
    for (const shown of [inspect(adapter, { depth: null, showHidden: true }), JSON.stringify(adapter), inspect({ nested: adapter }, { depth: null })]) {
      expect(shown).not.toContain(FAKE_SECRET);
      expect(shown).not.toContain(FAKE_KEY);
      expect(shown).toContain('alpaca');
    }
    server.failNext({ method: 'GET', path: /^\/v2\/account$/, status: 500, body: { code: 50010000, message: `proxy error for APCA-API-SECRET-KEY=${FAKE_SECRET}`, headers: { 'APCA-API-KEY-ID': FAKE_KEY, 'APCA-API-SECRET-KEY': FAKE_SECRET } } });
    const error = await adapter.getAccount().catch((e: unknown) => e);
    expect(isBrokerError(error)).toBe(true);
    const shown = JSON.stringify({ message: (error as Error).message, body: (error as { body?: unknown }).body, details: (error as { details?: unknown }).details });
    expect(shown).not.toContain(FAKE_SECRET);
    expect(shown).not.toContain(FAKE_KEY);
  });

  it('missing credentials: a ConfigurationError that names the variables, not their values', () => {
    const saved = [process.env.APCA_API_KEY_ID, process.env.APCA_API_SECRET_KEY];
    delete process.env.APCA_API_KEY_ID;
    delete process.env.APCA_API_SECRET_KEY;
    try {
      expect(() => new AlpacaAdapter()).toThrow(/keyId is required \(or set APCA_API_KEY_ID\).*secret is required/);
      expect(() => new AlpacaAdapter({ keyId: 'PKONLY' })).toThrow(/^(?!.*PKONLY).*secret is required/);
    } finally {
      if (saved[0] !== undefined) process.env.APCA_API_KEY_ID = saved[0];
      if (saved[1] !== undefined) process.env.APCA_API_SECRET_KEY = saved[1];
    }
  });

  it('paper by default; live only when asked; keys from the environment', async () => {
    const { hosts, fetch: fetchStub } = hostRecorder({ id: 'a', equity: '1', cash: '1', buying_power: '1' });
    process.env.APCA_API_KEY_ID = 'PKENV';
    process.env.APCA_API_SECRET_KEY = 'env-secret';
    try {
      const paper = new AlpacaAdapter({ fetch: fetchStub });
      const live = new AlpacaAdapter({ fetch: fetchStub, live: true });
      await paper.getAccount();
      await live.getAccount();
      expect(hosts).toEqual(['paper-api.alpaca.markets', 'api.alpaca.markets']);
      expect([paper.live, live.live, paper.health().detail]).toEqual([false, true, 'paper']);
    } finally {
      delete process.env.APCA_API_KEY_ID;
      delete process.env.APCA_API_SECRET_KEY;
    }
  });

  it('APCA_API_BASE_URL points it elsewhere (the SDK’s convention); the other environment’s host is refused', async () => {
    const { hosts, fetch: fetchStub } = hostRecorder({ id: 'a', equity: '1', cash: '1', buying_power: '1' });
    process.env.APCA_API_BASE_URL = 'http://127.0.0.1:9/';
    try {
      await new AlpacaAdapter({ keyId: 'PK', secret: 's', fetch: fetchStub }).getAccount();
      await new AlpacaAdapter({ keyId: 'PK', secret: 's', fetch: fetchStub, baseUrl: 'http://127.0.0.1:10' }).getAccount(); // the option wins
      expect(hosts).toEqual(['127.0.0.1:9', '127.0.0.1:10']);
      process.env.APCA_API_BASE_URL = 'https://api.alpaca.markets';
      expect(() => new AlpacaAdapter({ keyId: 'PK', secret: 's' })).toThrow(/baseUrl points at api\.alpaca\.markets, the other environment's host/);
      expect(() => new AlpacaAdapter({ keyId: 'AK', secret: 's', live: true, streamUrl: 'wss://paper-api.alpaca.markets/stream' })).toThrow(/streamUrl points at paper-api\.alpaca\.markets/);
      process.env.APCA_API_BASE_URL = 'not a url';
      expect(() => new AlpacaAdapter({ keyId: 'PK', secret: 's' })).toThrow(/baseUrl is not a URL \(APCA_API_BASE_URL\)/);
    } finally {
      delete process.env.APCA_API_BASE_URL;
    }
  });
});

describe('order bodies to the letter of the docs', () => {
  const make = (request: Partial<Parameters<typeof createOrder>[0]>) => createOrder({ clientOrderId: 'b-1', symbol: 'AAPL', side: 'buy', quantity: 1, ...request }, { clock: systemClock(), ids: sequentialIds() });

  it('decimals in fixed notation, never exponents (Decimal writes 5e-8)', async () => {
    const { alpacaOrderBody } = await import('../../../src/adapters/alpaca/order-request.js');
    const body = alpacaOrderBody(make({ quantity: '0.00000005', type: 'market', timeInForce: 'day' }));
    expect(body.qty).toBe('0.00000005');
    const crypto = alpacaOrderBody(make({ symbol: 'BTC/USD', assetClass: 'crypto', quantity: '0.0000001', type: 'limit', limitPrice: '0.00000012', timeInForce: 'gtc' }));
    expect([crypto.qty, crypto.limitPrice]).toEqual(['0.0000001', '0.00000012']);
  });

  it('fractional quantities only for market day orders, at most 9 decimals; a trailing stop’s dollar offset rounds like a price', async () => {
    const { alpacaOrderBody } = await import('../../../src/adapters/alpaca/order-request.js');
    expect(() => alpacaOrderBody(make({ quantity: '1.5', type: 'limit', limitPrice: '100', timeInForce: 'day' }))).toThrow(/fractional quantity \(1.5\) must be a market order with time in force day/);
    expect(() => alpacaOrderBody(make({ quantity: '1.5', type: 'market', timeInForce: 'gtc' }))).toThrow(/fractional/);
    expect(alpacaOrderBody(make({ quantity: '1.5', type: 'market', timeInForce: 'day' })).qty).toBe('1.5');
    expect(() => alpacaOrderBody(make({ quantity: '0.0000000001', type: 'market', timeInForce: 'day' }))).toThrow(/at most 9 decimal places/);
    const trailing = alpacaOrderBody(make({ side: 'sell', quantity: 10, type: 'trailing_stop', trailAmount: '0.127', timeInForce: 'gtc' }));
    expect(trailing.trailPrice).toBe('0.12');
  });
});

describe('the SDK’s reshaping of stream orders', () => {
  it('legs rebuilt in camelCase by the SDK (OrderFromJSON) are read back with their client ids and fills', async () => {
    const { trading } = await import('@alpacahq/alpaca-trade-api');
    const { orderFromSdk, orderReportFromAlpaca } = await import('../../../src/adapters/alpaca/wire.js');
    const wire = {
      id: 'p-1', client_order_id: 'entry', symbol: 'AAPL', side: 'buy', type: 'limit', time_in_force: 'gtc', status: 'filled', qty: '10', filled_qty: '10', filled_avg_price: '99', limit_price: '99', order_class: 'bracket', notional: null,
      legs: [{ id: 'l-1', client_order_id: 'tp', symbol: 'AAPL', side: 'sell', type: 'limit', order_type: 'limit', time_in_force: 'gtc', status: 'partially_filled', qty: '10', filled_qty: '4', filled_avg_price: '110', limit_price: '110', notional: null, updated_at: '2026-11-30T15:00:00Z' }],
    };
    const viaSdk = trading.OrderFromJSON(wire) as unknown as Parameters<typeof orderFromSdk>[0];
    expect((viaSdk.legs![0] as unknown as Record<string, unknown>).client_order_id).toBeUndefined(); // what the SDK does
    const leg = orderReportFromAlpaca(orderFromSdk(viaSdk)).legs![0]!;
    expect([leg.clientOrderId, leg.status, leg.filledQuantity.toString(), leg.averageFillPrice?.toString(), leg.limitPrice?.toString()]).toEqual(['tp', 'partially_filled', '4', '110', '110']);
  });
});

describe('notional (fractional, by amount) orders', () => {
  it('filled in part, then cancelled: the filled part is reported (units from the amount at the average price), then the cancel', async () => {
    const { orders, exchange, until } = await start();
    exchange.liquidity.set('AAPL', new Decimal('1.5'));
    await orders.submit({ clientOrderId: 'ntl-part', symbol: 'AAPL', side: 'buy', notional: '500', type: 'market', timeInForce: 'day' });
    const wire = [...exchange.orders.values()].find((o) => o.client_order_id === 'ntl-part')!;
    await until(() => expect(wire.filled_qty).toBe('1.5'));
    expect(wire.qty).toBeNull();
    await orders.cancel('ntl-part');
    await until(() => expect(orders.get('ntl-part')?.status).toBe('cancelled'));
    const order = orders.get('ntl-part')!;
    // $500 at 100 is 5 units, of which 1.5 filled before the cancel.
    expect([order.filledQuantity.toString(), order.quantity.toString(), order.fills.length]).toEqual(['1.5', '5', 1]);
    expect(order.averageFillPrice?.toString()).toBe('100');
  });

  it('done_for_day with a filled part is partially filled, not accepted', async () => {
    const { orderStatusFromAlpaca } = await import('../../../src/adapters/alpaca/wire.js');
    expect(orderStatusFromAlpaca({ status: 'done_for_day', filled_qty: '3', qty: '10' } as never)).toBe('partially_filled');
    expect(orderStatusFromAlpaca({ status: 'done_for_day', filled_qty: '0', qty: '10' } as never)).toBe('accepted');
  });

  it('sends notional instead of qty; the fill fixes the quantity, counted once', async () => {
    const { orders, exchange, until } = await start();
    exchange.setPrice('AAPL', '300');
    const sent = await orders.submit({ clientOrderId: 'ntl-1', symbol: 'AAPL', side: 'buy', notional: '500', type: 'market', timeInForce: 'day' });
    expect([sent.quantity.toString(), sent.notional?.toString()]).toEqual(['0', '500']);
    const wire = [...exchange.orders.values()].find((o) => o.client_order_id === 'ntl-1')!;
    expect([wire.notional, wire.qty === null || wire.qty === wire.filled_qty]).toEqual(['500.00', true]);
    await until(() => expect(orders.get('ntl-1')?.status).toBe('filled'));
    const order = orders.get('ntl-1')!;
    expect(order.quantity.toString()).toBe('1.666666666');
    expect(order.filledQuantity.toString()).toBe('1.666666666');
    expect(order.averageFillPrice?.toString()).toBe('300');
  });

  it('refuses a notional order that is not a day market order before sending it', async () => {
    const { orders, server } = await start();
    const refused = await orders.submit({ clientOrderId: 'ntl-2', symbol: 'AAPL', side: 'buy', notional: '500', timeInForce: 'gtc' });
    expect(refused.status).toBe('rejected');
    expect(refused.errorMessage).toMatch(/notional orders must be market orders with time in force day/);
    expect(server.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});
