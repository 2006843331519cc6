import { createOrder, Decimal, isBrokerError, ManualClock, sequentialIds, silentLogger, systemClock } from 'tradewire';
import { OandaAdapter } from 'tradewire/oanda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ID, FAKE_TOKEN } from './fake-oanda-server.js';
import { runDuplicateIdRace } from '../duplicate-id-race.js';
import { hostRecorder } from '../host-recorder.js';
import { oandaHarness } from './oanda-harness.js';

type Harness = Awaited<ReturnType<typeof oandaHarness>>;
let h: Harness | undefined;
const start = async (options: Parameters<typeof oandaHarness>[0] = {}): Promise<Harness> => {
  h = await oandaHarness(options);
  return h;
};
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const fx = { symbol: 'EUR_USD', assetClass: 'forex' } as const;

describe('OandaAdapter against a local v20-compatible server (real wire format)', () => {
  it('the duplicate-id race: a slow POST lands after the 404 look-up; the resend’s CLIENT_ORDER_ID_ALREADY_EXISTS is looked up and the order adopted', async () => {
    const harness = await start({ adapter: { timeoutMs: 300 } });
    const request = { ...fx, clientOrderId: 'race-1', side: 'buy', quantity: 10_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' } as const;
    const order = await runDuplicateIdRace(harness, { submit: new RegExp(`^/v3/accounts/${ACCOUNT_ID}/orders$`), lookup: new RegExp(`^/v3/accounts/${ACCOUNT_ID}/orders/(@|%40)race-1`) }, request);
    expect(order.status).toBe('accepted');
    const atBroker = [...harness.exchange.orders.values()].filter((o) => o.clientExtensions?.id === 'race-1');
    expect(atBroker).toHaveLength(1);
    expect(order.brokerOrderId).toBe(atBroker[0]!.id);
    // The refused resend's ORDER_REJECT transaction (it carries our id) did not reject the live order.
    expect(harness.exchange.transactions.some((t) => t.type === 'LIMIT_ORDER_REJECT')).toBe(true);
    harness.exchange.setPrice('EUR_USD', '1.08990');
    await harness.until(() => expect(harness.orders.get('race-1')?.status).toBe('filled'));
  });

  it('market fill with on-fill stop and take-profit: legs born with our ids; the target closes the trade and OANDA cancels the stop', async () => {
    const { orders, exchange, until } = await start();
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'in-1', side: 'buy', quantity: 10_000 },
      { ...fx, clientOrderId: 'tp-1', side: 'sell', quantity: 10_000, type: 'limit', limitPrice: '1.10500', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-1', side: 'sell', quantity: 10_000, type: 'stop', stopPrice: '1.09800', timeInForce: 'gtc' },
    ]);
    await until(() => expect(orders.get('in-1')?.status).toBe('filled'));
    const wire = [...exchange.orders.values()];
    expect(wire.find((o) => o.clientExtensions?.id === 'tp-1')).toMatchObject({ type: 'TAKE_PROFIT', price: '1.10500', state: 'PENDING' });
    expect(wire.find((o) => o.clientExtensions?.id === 'sl-1')).toMatchObject({ type: 'STOP_LOSS', price: '1.09800', state: 'PENDING' });
    expect(orders.get('in-1')?.fills[0]?.executionId).toMatch(/^\d+$/); // the ORDER_FILL transaction id
    exchange.setPrice('EUR_USD', '1.10510');
    await until(() => expect([orders.get('tp-1')?.status, orders.get('sl-1')?.status]).toEqual(['filled', 'cancelled']));
    expect(orders.get('sl-1')?.errorMessage ?? '').toContain('LINKED_TRADE_CLOSED');
    expect(exchange.openTrades()).toEqual([]);
  });

  it('REDUCE_ONLY with nothing to reduce: the order is cancelled, no position is opened', async () => {
    const { orders, exchange, until } = await start();
    const naked = await orders.submit({ ...fx, clientOrderId: 'ro-1', side: 'sell', quantity: 1_000, reduceOnly: true });
    await until(() => expect(orders.get(naked.clientOrderId)?.status).toBe('cancelled'));
    expect(exchange.openTrades()).toEqual([]);
  });

  it('REDUCE_ONLY larger than the position: a fill-or-kill market order is cancelled whole, an IOC one is trimmed to the position', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'ro-2', side: 'buy', quantity: 3_000 });
    await until(() => expect(orders.get('ro-2')?.status).toBe('filled'));
    await orders.submit({ ...fx, clientOrderId: 'ro-3', side: 'sell', quantity: 5_000, reduceOnly: true });
    await until(() => expect(orders.get('ro-3')?.status).toBe('cancelled'));
    expect(exchange.openTrades().map((t) => t.currentUnits)).toEqual(['3000']);
    await orders.submit({ ...fx, clientOrderId: 'ro-4', side: 'sell', quantity: 5_000, reduceOnly: true, timeInForce: 'ioc' });
    await until(() => expect([orders.get('ro-4')?.status, orders.get('ro-4')?.filledQuantity.toString()]).toEqual(['cancelled', '3000']));
    expect(exchange.openTrades()).toEqual([]);
  });

  it('a limit order rests, then fills when the price comes to it', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'lim-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09500', timeInForce: 'gtc' });
    expect(orders.get('lim-1')?.status).toBe('accepted');
    exchange.setPrice('EUR_USD', '1.09600');
    exchange.setPrice('EUR_USD', '1.09490');
    await until(() => expect(orders.get('lim-1')?.status).toBe('filled'));
    expect(orders.get('lim-1')?.averageFillPrice?.toString()).toBe('1.0949');
  });

  it('a partial fill: an IOC limit fills what the market has and the rest is cancelled', async () => {
    const { orders, exchange, until } = await start();
    exchange.liquidity.set('EUR_USD', new Decimal(400));
    await orders.submit({ ...fx, clientOrderId: 'ioc-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.10010', timeInForce: 'ioc' });
    await until(() => expect(orders.get('ioc-1')?.status).toBe('cancelled'));
    expect(orders.get('ioc-1')?.filledQuantity.toString()).toBe('400');
  });

  it('the POST answer of an IOC that filled in part (a fill and a cancel) is cancelled with the part filled, not filled short', async () => {
    const { adapter, exchange } = await start();
    exchange.liquidity.set('EUR_USD', new Decimal(400));
    const order = createOrder({ ...fx, clientOrderId: 'ioc-answer', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.10010', timeInForce: 'ioc' }, { clock: systemClock(), ids: sequentialIds() });
    const report = await adapter.submitOrder(order);
    expect([report.status, report.quantity.toString(), report.filledQuantity.toString(), report.reason]).toEqual(['cancelled', '1000', '400', 'INSUFFICIENT_LIQUIDITY']);
  });

  it('fill prices come from the trade fields (v20 deprecates ORDER_FILL.price), units-weighted, else fullVWAP', async () => {
    const { fillFromOanda } = await import('../../../src/adapters/oanda/wire.js');
    const tx = { id: '77', type: 'ORDER_FILL', units: '10000', price: '9.99999', fullVWAP: '1.10006', time: '2026-11-30T15:00:00Z', tradesClosed: [{ tradeID: '5', units: '3000', price: '1.10000' }], tradeOpened: { tradeID: '77', units: '7000', price: '1.10010' } };
    expect(fillFromOanda(tx).price.toString()).toBe('1.10007');
    const { tradesClosed: _closed, tradeOpened: _opened, ...bare } = tx;
    expect(fillFromOanda(bare).price.toString()).toBe('1.10006');
  });

  it('a transaction lost on a live stream is noticed (the next id, or the heartbeat’s lastTransactionID) and fetched at once', async () => {
    const { orders, server, exchange, until, logger } = await start();
    await orders.submit({ ...fx, clientOrderId: 'gap-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    await until(() => expect(orders.get('gap-1')?.status).toBe('accepted'));
    server.loseNext(); // the ORDER_FILL never arrives on the stream; only heartbeats follow
    exchange.setPrice('EUR_USD', '1.08990');
    await until(() => expect(orders.get('gap-1')?.status).toBe('filled'));
    expect(server.missed).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.includes('missed on the stream'))).toBe(true);
  });

  it('the fetch of a lost transaction fails (a 503): the stream reconnects and the replay from the last delivered id brings the fill', async () => {
    const { orders, server, exchange, until, logger, events } = await start();
    const connection: string[] = [];
    events.on('broker:connection', (c) => connection.push(c.state));
    await orders.submit({ ...fx, clientOrderId: 'gap-2', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    await until(() => expect(orders.get('gap-2')?.status).toBe('accepted'));
    server.failNext({ method: 'GET', path: /\/transactions\/sinceid$/, status: 503, body: { errorMessage: 'Service Unavailable' } });
    server.loseNext();
    exchange.setPrice('EUR_USD', '1.08990');
    await until(() => expect(orders.get('gap-2')?.status).toBe('filled'));
    expect(orders.get('gap-2')!.fills).toHaveLength(1);
    expect(logger.lines.some((l) => l.includes('fetching missed transactions failed; reconnecting'))).toBe(true);
    expect(connection).toEqual(expect.arrayContaining(['disconnected', 'reconnected']));
  });

  it('the replay after a reconnect fails: nothing is delivered out of order, and the next connection replays it', async () => {
    const { orders, server, exchange, until, logger } = await start();
    await orders.submit({ ...fx, clientOrderId: 'gap-3', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    await until(() => expect(orders.get('gap-3')?.status).toBe('accepted'));
    server.stallStream(); // silent: the watchdog drops it
    exchange.setPrice('EUR_USD', '1.08990'); // fills while nobody listens
    server.failNext({ method: 'GET', path: /\/transactions\/sinceid$/, status: 503, body: { errorMessage: 'Service Unavailable' } });
    server.resumeStream();
    await until(() => expect(orders.get('gap-3')?.status).toBe('filled'), 10_000);
    expect(orders.get('gap-3')!.fills).toHaveLength(1);
    expect(logger.lines.some((l) => l.includes('replay after connecting failed; reconnecting'))).toBe(true);
  });

  it('an order whose client id is changed elsewhere (ORDER_CLIENT_EXTENSIONS_MODIFY) stays ours: looked up and cancelled by OANDA’s id', async () => {
    const { orders, exchange, until, adapter, logger, server } = await start();
    await orders.submit({ ...fx, clientOrderId: 'ren-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    const oandaId = orders.get('ren-1')!.brokerOrderId!;
    exchange.renameClientId('@ren-1', 'manual-77');
    await until(() => expect(logger.lines.some((l) => l.includes(`order ren-1 (${oandaId}) was given the client id manual-77`))).toBe(true));
    expect((await adapter.getOrder({ clientOrderId: 'ren-1' }))?.clientOrderId).toBe('ren-1');
    await orders.cancel('ren-1');
    await until(() => expect(orders.get('ren-1')?.status).toBe('cancelled'));
    expect(server.requests.some((r) => r.method === 'PUT' && r.path.endsWith(`/orders/${oandaId}/cancel`))).toBe(true);
  });

  it('cancel, and a cancel refused because the order already filled', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'cx-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    await orders.cancel('cx-1');
    await until(() => expect(orders.get('cx-1')?.status).toBe('cancelled'));
    await orders.submit({ ...fx, clientOrderId: 'cx-2', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    exchange.setPrice('EUR_USD', '1.08990'); // fills at OANDA…
    await orders.cancel('cx-2'); // …while the cancel is on its way: refused, and the fill stands
    await until(() => expect(orders.get('cx-2')?.status).toBe('filled'));
  });

  it.each([
    ['INSUFFICIENT_MARGIN', 'insufficient_buying_power', 'ADJUSTABLE'],
    ['UNITS_LIMIT_EXCEEDED', 'position_too_large', 'ADJUSTABLE'],
    ['PRICE_PRECISION_EXCEEDED', 'sub_penny_price', 'ADJUSTABLE'],
    ['INSTRUMENT_UNKNOWN', 'invalid_symbol', 'FATAL'],
    ['MARKET_HALTED', 'market_closed', 'WAITING'],
    ['ACCOUNT_LOCKED', 'account_restricted', 'FATAL'],
    ['CLIENT_ORDER_ID_ALREADY_EXISTS', 'broker_duplicate_client_order_id', 'FATAL'],
    ['UNITS_PRECISION_EXCEEDED', 'invalid_order', 'FATAL'],
  ])('reject reason %s → %s (%s)', async (reason, code, category) => {
    const { adapter, server } = await start();
    server.failNext({ method: 'POST', path: /\/orders$/, status: 400, body: { orderRejectTransaction: { type: 'MARKET_ORDER_REJECT', rejectReason: reason }, errorCode: reason, errorMessage: `rejected: ${reason}` } });
    const error = await adapter.submitOrder(createOrder({ ...fx, side: 'buy', quantity: 100 }, { clock: systemClock(), ids: sequentialIds() })).catch((e: unknown) => e);
    expect(isBrokerError(error) && [error.code, error.category, error.brokerCode]).toEqual([code, category, reason]);
  });

  it('401, 404, 429 and 5xx map to fatal, not found, and retryable', async () => {
    const { adapter, server } = await start();
    const order = () => createOrder({ ...fx, side: 'buy', quantity: 100 }, { clock: systemClock(), ids: sequentialIds() });
    for (const [status, code] of [[429, 'rate_limited'], [500, 'server_error'], [503, 'server_error']] as const) {
      server.failNext({ method: 'POST', path: /\/orders$/, status, body: { errorMessage: 'busy' } });
      const error = await adapter.submitOrder(order()).catch((e: unknown) => e);
      expect(isBrokerError(error) && [error.code, error.retryable]).toEqual([code, true]);
    }
    expect(await adapter.getOrder({ clientOrderId: 'never' })).toBeUndefined();
    const wrong = new OandaAdapter({ token: 'wrong-token', accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url });
    const unauthorized = await wrong.getAccount().catch((e: unknown) => e);
    expect(isBrokerError(unauthorized) && [unauthorized.code, unauthorized.category]).toEqual(['unauthorized', 'FATAL']);
    await expect(wrong.connect()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('a market order whose POST OANDA carried out but answered 500: looked up by its id before any resend — one trade, the order filled (a resend would have traded twice)', async () => {
    const { orders, exchange, server, until, adapter } = await start();
    // The stream silent: the fill is not heard, only a look-up can find it.
    server.stallStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    server.failNext({ method: 'POST', path: new RegExp(`^/v3/accounts/${ACCOUNT_ID}/orders$`), status: 500, body: { errorMessage: 'Internal error' }, afterProcessing: true });
    void orders.submit({ ...fx, clientOrderId: 'm500-1', side: 'buy', quantity: 1_000 });
    await until(() => expect(orders.get('m500-1')?.status).toBe('filled'));
    expect(server.requests.filter((r) => r.method === 'POST' && /\/orders$/.test(r.path))).toHaveLength(1);
    expect(server.requests.some((r) => r.method === 'GET' && /\/orders\/(@|%40)m500-1/.test(r.path))).toBe(true);
    expect(exchange.openTrades().map((t) => t.currentUnits)).toEqual(['1000']);
  });

  it('a 5xx to a request that changes something may have been carried out; to a read it was not', async () => {
    const { oandaErrorFromResponse } = await import('tradewire/oanda');
    expect([500, 502, 503].map((status) => oandaErrorFromResponse(status, undefined, undefined, true).mayHaveReachedBroker)).toEqual([true, true, true]);
    expect([500, 502, 503].map((status) => oandaErrorFromResponse(status, undefined).mayHaveReachedBroker)).toEqual([false, false, false]);
    expect([oandaErrorFromResponse(504, undefined).mayHaveReachedBroker, oandaErrorFromResponse(400, undefined, undefined, true).mayHaveReachedBroker]).toEqual([true, false]);
  });

  it('429 then success: retried with the same clientExtensions id, never doubled', async () => {
    const { orders, server, until } = await start();
    server.failNext({ method: 'POST', path: /\/orders$/, status: 429, body: { errorMessage: 'Too many requests' }, headers: { 'retry-after': '1' } });
    let settled = false;
    void orders.submit({ ...fx, clientOrderId: 'rl-1', side: 'buy', quantity: 1_000 }).then(() => (settled = true));
    await until(() => expect([settled, orders.get('rl-1')?.status]).toEqual([true, 'filled']));
    expect(server.exchange.created.get('rl-1')).toBe(1);
  });

  it('a stream that stops sending heartbeats: the watchdog reconnects and a fill missed in the gap is replayed by sinceid', async () => {
    const { orders, server, exchange, until, emitted } = await start();
    await orders.submit({ ...fx, clientOrderId: 'gap-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09500', timeInForce: 'gtc' });
    server.stallStream();
    exchange.setPrice('EUR_USD', '1.09400'); // fills; the stalled stream does not say so
    expect(server.missed).toBeGreaterThan(0);
    await until(() => expect(emitted.some((e) => e.name === 'broker:connection' && (e.payload as { state: string }).state === 'disconnected')).toBe(true));
    expect(orders.get('gap-1')?.status).toBe('accepted');
    server.resumeStream();
    await until(() => expect(orders.get('gap-1')?.status).toBe('filled'));
    const states = emitted.filter((e) => e.name === 'broker:connection').map((e) => (e.payload as { state: string; reason?: string }).state);
    expect(states).toEqual(['disconnected', 'reconnected']);
    expect(orders.get('gap-1')?.fills).toHaveLength(1);
  });

  it('polling instead of streaming: GET /changes brings the same transactions', async () => {
    const { orders, exchange, until, server } = await start({ adapter: { transport: 'poll' } });
    await orders.submit({ ...fx, clientOrderId: 'poll-1', side: 'sell', quantity: 2_000, type: 'limit', limitPrice: '1.10100', timeInForce: 'gtc' });
    exchange.setPrice('EUR_USD', '1.10150');
    await until(() => expect(orders.get('poll-1')?.status).toBe('filled'));
    expect(server.streamConnections).toBe(0);
    expect(server.requests.some((r) => r.path.includes('/changes?sinceTransactionID='))).toBe(true);
  });

  it('replace when OANDA will not reuse the client id (CLIENT_ORDER_ID_ALREADY_EXISTS): the replacement goes unnamed, stays ours, and is cancelled by its own id', async () => {
    const { orders, exchange, until } = await start();
    exchange.refuseClientIdOnReplace = true;
    await orders.submit({ ...fx, clientOrderId: 'rep-x', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    const modified = await orders.modify('rep-x', { limitPrice: '1.09100' });
    expect([modified.status, modified.limitPrice?.toString()]).toEqual(['accepted', '1.091']);
    const replacement = exchange.pending().find((o) => o.price === '1.09100')!;
    expect(replacement.clientExtensions?.id).toBeUndefined();
    await orders.cancel('rep-x');
    await until(() => expect(orders.get('rep-x')?.status).toBe('cancelled'));
    expect(exchange.order(replacement.id).state).toBe('CANCELLED');
  });

  it('replace: a new OANDA order id under the same client order id; a stop-loss changed through its trade; its size changed, re-created standalone and reduce-only', async () => {
    const { orders, exchange, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'rep-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    await orders.modify('rep-1', { limitPrice: '1.09100' });
    // The answer's orderCancelTransaction cancels the replaced order, not the replacement: still working.
    expect(orders.get('rep-1')?.status).toBe('accepted');
    expect(orders.get('rep-1')?.brokerOrderIds).toHaveLength(2);
    expect(orders.get('rep-1')?.limitPrice?.toString()).toBe('1.091');
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'in-2', side: 'buy', quantity: 5_000 },
      { ...fx, clientOrderId: 'tp-2', side: 'sell', quantity: 5_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-2', side: 'sell', quantity: 5_000, type: 'stop', stopPrice: '1.09500', timeInForce: 'gtc' },
    ]);
    await until(() => expect(exchange.pending().some((o) => o.clientExtensions?.id === 'sl-2')).toBe(true));
    await until(() => expect(orders.get('sl-2')?.status).toBe('accepted'));
    await orders.modify('sl-2', { stopPrice: '1.09700' });
    const stop = exchange.pending().find((o) => o.clientExtensions?.id === 'sl-2');
    expect([stop?.type, stop?.price, stop?.replacesOrderID !== undefined]).toEqual(['STOP_LOSS', '1.09700', true]);
    // A trade's stop-loss covers its trade: another size is a standalone reduce-only stop (the dependent cancelled), to the core a replace.
    const dependent = stop!.id;
    await expect(orders.modify('sl-2', { quantity: 4_000 })).resolves.toMatchObject({ status: 'accepted' });
    const standalone = exchange.pending().find((o) => o.type === 'STOP' && o.units === '-4000')!;
    expect([standalone.price, standalone.positionFill, standalone.tradeID, exchange.order(dependent).state]).toEqual(['1.09700', 'REDUCE_ONLY', undefined, 'CANCELLED']);
    await until(() => expect(orders.get('sl-2')?.brokerOrderId).toBe(standalone.id));
    expect([orders.get('sl-2')?.status, orders.get('sl-2')?.quantity.toString()]).toEqual(['accepted', '4000']);
  });

  it('a replace OANDA refuses (MARKET_HALTED): the order stays working as it was — the reject transaction, which names the refused replacement, does not end it', async () => {
    const { orders, exchange, until, clock, emitted } = await start();
    await orders.submit({ ...fx, clientOrderId: 'rep-no', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    const oandaId = orders.get('rep-no')!.brokerOrderId;
    exchange.refuseReplacements = { reason: 'MARKET_HALTED', left: 1 };
    const refused = await orders.modify('rep-no', { limitPrice: '1.09100' });
    expect(refused).toMatchObject({ status: 'accepted', brokerOrderId: oandaId });
    expect(refused.limitPrice?.toString()).toBe('1.09');
    const reject = exchange.transactions.find((t) => t.type === 'LIMIT_ORDER_REJECT');
    expect(reject).toMatchObject({ intendedReplacesOrderID: oandaId, clientExtensions: { id: 'rep-no' } });
    // The stream has carried the reject past the lifecycle (a later transaction arrived after it).
    exchange.inject('DAILY_FINANCING', { financing: '0' });
    clock.advance(10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(orders.get('rep-no')).toMatchObject({ status: 'accepted', brokerOrderId: oandaId });
    // Neither a rejected order nor an illegal transition (a reject heard while the replace was pending).
    expect(emitted.filter((e) => e.name === 'error' || (e.name === 'order:transition' && (e.payload as { order: { status: string } }).order.status === 'rejected'))).toEqual([]);
    // Still the order it was: it fills at its own price.
    exchange.setPrice('EUR_USD', '1.08990');
    await until(() => expect(orders.get('rep-no')?.status).toBe('filled'));
  });

  it('a replace OANDA made whose answer was lost: the look-up that follows finds the replacement, and the order follows it (not left on the cancelled one)', async () => {
    const { orders, exchange, server, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'rep-lost', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' });
    const first = orders.get('rep-lost')!.brokerOrderId!;
    server.failNext({ method: 'PUT', path: new RegExp(`^/v3/accounts/${ACCOUNT_ID}/orders/${first}$`), status: 503, body: { errorMessage: 'Service unavailable' }, afterProcessing: true });
    await orders.modify('rep-lost', { limitPrice: '1.09100' });
    const replacement = exchange.pending().find((o) => o.price === '1.09100')!;
    expect(exchange.order(first).state).toBe('CANCELLED');
    await until(() => expect(orders.get('rep-lost')?.brokerOrderId).toBe(replacement.id));
    expect([orders.get('rep-lost')?.status, orders.get('rep-lost')?.limitPrice?.toString()]).toEqual(['accepted', '1.091']);
    await orders.cancel('rep-lost');
    await until(() => expect(exchange.order(replacement.id).state).toBe('CANCELLED'));
  });

  it("a trade's stop-loss re-created standalone whose send's answer is lost: found by its name, one stop — not a second one nobody knows (found by the wire search)", async () => {
    const { orders, exchange, server, until } = await start();
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'in-3', side: 'buy', quantity: 5_000 },
      { ...fx, clientOrderId: 'tp-3', side: 'sell', quantity: 5_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-3', side: 'sell', quantity: 5_000, type: 'stop', stopPrice: '1.09500', timeInForce: 'gtc' },
    ]);
    await until(() => expect(orders.get('sl-3')?.status).toBe('accepted'));
    server.failNext({ method: 'POST', path: new RegExp(`^/v3/accounts/${ACCOUNT_ID}/orders$`), status: 500, body: { errorMessage: 'Internal error' }, afterProcessing: true });
    await orders.modify('sl-3', { quantity: 7_000 });
    const stops = exchange.pending().filter((o) => o.type === 'STOP' || o.type === 'STOP_LOSS');
    expect(stops.map((o) => `${o.type} ${o.units} ${o.clientExtensions?.id}`)).toEqual(['STOP -7000 sl-3~r1']);
    await until(() => expect([orders.get('sl-3')?.brokerOrderId, orders.get('sl-3')?.status, orders.get('sl-3')?.quantity.toString()]).toEqual([stops[0]!.id, 'accepted', '7000']));
  });

  it("a trade's take-profit and stop-loss both re-created standalone by a restarted adapter (the position grew past the trade): they name each other and cancel each other at the fill — re-created after a restart, they named no sibling", async () => {
    const { adapter, orders, exchange, server, until } = await start();
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'in-t', side: 'buy', quantity: 5_000 },
      { ...fx, clientOrderId: 'tp-t', side: 'sell', quantity: 5_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-t', side: 'sell', quantity: 5_000, type: 'stop', stopPrice: '1.09000', timeInForce: 'gtc' },
    ]);
    await until(() => expect([orders.get('tp-t')?.status, orders.get('sl-t')?.status]).toEqual(['accepted', 'accepted']));
    // A second trade made on OANDA's platform: the position is 10 000, past the bracket's trade.
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' });
    await adapter.disconnect();
    const next = new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url, logger: silentLogger, clock: systemClock(), heartbeatTimeoutMs: 300 });
    try {
      await next.connect();
      await next.getOpenOrders();
      await next.replaceOrder(orders.get('sl-t')!, { quantity: new Decimal(10_000) });
      await next.replaceOrder(orders.get('tp-t')!, { quantity: new Decimal(10_000) });
      expect(exchange.pending().map((o) => `${o.type} ${o.units} ${o.tradeID ?? '-'} ${o.clientExtensions?.id} ${o.clientExtensions?.comment}`).sort()).toEqual(['LIMIT -10000 - tp-t~r1 tradewire oco sl-t', 'STOP -10000 - sl-t~r1 tradewire oco tp-t']);
      exchange.setPrice('EUR_USD', '1.11010');
      await vi.waitFor(() => expect(exchange.pending()).toEqual([]), { timeout: 3_000, interval: 10 });
      expect(exchange.openTrades()).toEqual([]);
    } finally {
      await next.disconnect();
    }
  });

  it("a standalone pair's legs name each other in their comments: a restarted adapter links them again from the open orders, and the target's fill cancels the stop at once", async () => {
    const { adapter, orders, exchange, server, until } = await start();
    // A position of two trades: the pair is two standalone reduce-only orders.
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' });
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' });
    await orders.submitList('oco', [
      { ...fx, clientOrderId: 'tp-p', side: 'sell', quantity: 10_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-p', side: 'sell', quantity: 10_000, type: 'stop', stopPrice: '1.09000', timeInForce: 'gtc' },
    ]);
    await until(() => expect([orders.get('tp-p')?.status, orders.get('sl-p')?.status]).toEqual(['accepted', 'accepted']));
    expect(exchange.pending().map((o) => `${o.type} ${o.tradeID ?? '-'} ${o.clientExtensions?.comment}`).sort()).toEqual(['LIMIT - tradewire oco sl-p', 'STOP - tradewire oco tp-p']);
    // The process ends; a new one (a new adapter, nothing in memory) lists the open orders, as recover() does.
    await adapter.disconnect();
    const next = new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url, logger: silentLogger, clock: systemClock(), heartbeatTimeoutMs: 300 });
    try {
      await next.connect();
      await next.getOpenOrders();
      exchange.setPrice('EUR_USD', '1.11010');
      await vi.waitFor(() => expect(exchange.pending()).toEqual([]), { timeout: 3_000, interval: 10 });
      expect(exchange.openTrades()).toEqual([]);
    } finally {
      await next.disconnect();
    }
  });

  it("an OCO for a short set while OANDA holds a long (the position turned over, unheard yet): refused — the trade's own take-profit and stop-loss would close the long at once (found by the wire search)", async () => {
    const { orders, exchange, until } = await start();
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' }); // long 5 000 at OANDA
    await orders.submitList('oco', [
      { ...fx, clientOrderId: 'tp-x', side: 'buy', quantity: 5_000, type: 'limit', limitPrice: '1.06000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-x', side: 'buy', quantity: 5_000, type: 'stop', stopPrice: '1.12000', timeInForce: 'gtc' },
    ]);
    await until(() => expect([orders.get('tp-x')?.status, orders.get('sl-x')?.status]).toEqual(['rejected', 'rejected']));
    expect(exchange.pending()).toEqual([]);
    expect(exchange.openTrades().map((t) => t.currentUnits)).toEqual(['5000']);
  });

  it('the margin check uses the larger of the instrument’s and the account’s margin rate', async () => {
    const { adapter, exchange } = await start();
    const order = (id: string, quantity: number) => createOrder({ ...fx, clientOrderId: id, side: 'buy', quantity }, { clock: systemClock(), ids: sequentialIds() });
    // At the instrument's 3.33%, 1 000 000 EUR_USD needs ~36 600 USD: it would pass.
    exchange.accountMarginRate = '0.1'; // the account is set to 10:1
    const refused = await adapter.submitOrder(order('mr-1', 1_000_000)).catch((e: unknown) => e);
    expect(isBrokerError(refused) && refused.code).toBe('insufficient_buying_power');
    expect((refused as Error).message).toMatch(/needs 110000\.00 USD of margin/);
    expect((await adapter.submitOrder(order('mr-2', 500_000))).status).toBe('filled');
  });

  it('rounds to the instrument: units down to its precision, prices to its display precision; margin checked before sending', async () => {
    const { adapter, orders, exchange, server } = await start();
    await orders.submit({ ...fx, clientOrderId: 'rnd-1', side: 'buy', quantity: '1000.7', type: 'limit', limitPrice: '1.0912345', timeInForce: 'gtc' });
    const wire = exchange.order('@rnd-1');
    expect([wire.units, wire.price]).toEqual(['1000', '1.09123']);
    const posts = server.requests.filter((r) => r.method === 'POST').length;
    const big = await adapter.submitOrder(createOrder({ ...fx, side: 'buy', quantity: 5_000_000 }, { clock: systemClock(), ids: sequentialIds() })).catch((e: unknown) => e);
    expect(isBrokerError(big) && [big.code, big.category]).toEqual(['insufficient_buying_power', 'ADJUSTABLE']);
    expect((big as Error).message).toMatch(/needs 183150\.00 USD of margin, 100000\.00 available/);
    expect(server.requests.filter((r) => r.method === 'POST').length).toBe(posts);
    const asset = await adapter.getAsset('EUR/USD');
    expect([asset?.symbol, asset?.quantityIncrement.toString(), asset?.priceIncrement?.toString(), asset?.marginRate?.toString(), asset?.minQuantity?.toString()]).toEqual(['EUR_USD', '1', '0.00001', '0.0333', '1']);
    expect(await adapter.getAsset('XAU_XYZ')).toBeUndefined();
  });

  it('account summary, positions (long and short sides) and open trades', async () => {
    const { adapter, orders, exchange, until } = await start();
    await orders.submit({ ...fx, clientOrderId: 'p-1', side: 'buy', quantity: 3_000 });
    exchange.setPrice('USD_JPY', '150.000');
    await orders.submit({ symbol: 'USD_JPY', assetClass: 'forex', clientOrderId: 'p-2', side: 'sell', quantity: 2_000 });
    await until(() => expect(orders.get('p-2')?.status).toBe('filled'));
    const account = await adapter.getAccount();
    expect([account.accountId, account.currency, account.cash.toString(), account.marginAvailable?.greaterThan(0)]).toEqual([ACCOUNT_ID, 'USD', '100000', true]);
    expect(account.buyingPower.toString()).toBe(account.marginAvailable!.dividedBy('0.02').toString());
    const positions = await adapter.getPositions();
    expect(positions.map((p) => `${p.symbol} ${p.quantity.toString()} @ ${p.averageEntryPrice.toString()}`).sort()).toEqual(['EUR_USD 3000 @ 1.1', 'USD_JPY -2000 @ 150']);
    expect((await adapter.getOpenTrades()).length).toBe(2);
  });

  it('margin calls and financing arrive as account events', async () => {
    const { adapter, exchange } = await start();
    const seen: string[] = [];
    adapter.onAccountEvent((event) => seen.push(`${event.type}${event.amount ? ` ${event.amount.toString()}` : ''}`));
    exchange.inject('MARGIN_CALL_ENTER');
    exchange.inject('DAILY_FINANCING', { financing: '-1.2345' });
    exchange.inject('MARGIN_CALL_EXIT');
    const { vi } = await import('vitest');
    await vi.waitFor(() => expect(seen).toEqual(['margin_call_enter', 'financing -1.2345', 'margin_call_exit']), { timeout: 5_000, interval: 5 });
  });
});

describe('OANDA adapter memory: what it keeps about orders stays bounded, and a pair lives as long as both its legs', () => {
  const twoTrades = (exchange: Harness['exchange']): void => {
    // A position of two trades: an OCO over it is two standalone reduce-only orders the adapter pairs.
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' });
    exchange.createOrder({ type: 'MARKET', instrument: 'EUR_USD', units: '5000', timeInForce: 'FOK' });
  };
  const oco = (n: string) =>
    [
      { ...fx, clientOrderId: `tp-${n}`, side: 'sell', quantity: 10_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: `sl-${n}`, side: 'sell', quantity: 10_000, type: 'stop', stopPrice: '1.09000', timeInForce: 'gtc' },
    ] as const;

  it('ended orders are forgotten once retainEndedOrders newer ones have ended: names, OANDA ids and pair entries stay bounded over many orders; working ones are kept', async () => {
    const { adapter, orders, exchange, until } = await start({ adapter: { retainEndedOrders: 4 } });
    await orders.submit({ ...fx, clientOrderId: 'rest-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.05000', timeInForce: 'gtc' });
    for (let i = 0; i < 12; i++) await orders.submit({ ...fx, clientOrderId: `mkt-${i}`, side: i % 2 ? 'sell' : 'buy', quantity: 1_000 });
    await until(() => expect(orders.get('mkt-11')?.status).toBe('filled'));
    twoTrades(exchange);
    for (let i = 0; i < 6; i++) {
      await orders.submitList('oco', oco(String(i)));
      await until(() => expect([orders.get(`tp-${i}`)?.status, orders.get(`sl-${i}`)?.status]).toEqual(['accepted', 'accepted']));
      await orders.cancel(`tp-${i}`);
      await orders.cancel(`sl-${i}`);
      await until(() => expect([orders.get(`tp-${i}`)?.status, orders.get(`sl-${i}`)?.status]).toEqual(['cancelled', 'cancelled']));
    }
    // 12 market orders and 12 pair legs ended: 4 of them remembered, with the resting order (2 OANDA ids each at most).
    const kept = adapter.remembered();
    expect(kept.orders).toBeLessThanOrEqual(5);
    expect(kept.orderIds).toBeLessThanOrEqual(5);
    // Of the pairs, at most the sibling and the standalone mark of each remembered leg.
    expect(kept.pairEntries).toBeLessThanOrEqual(8);
    // The resting order is still ours by OANDA's id: its fill reports under our client id.
    exchange.setPrice('EUR_USD', '1.04990');
    await until(() => expect(orders.get('rest-1')?.status).toBe('filled'));
  });

  it('a bracket or OCO refused outright leaves nothing behind: no unborn legs, no pair; a bracket resting keeps its legs until its entry ends', async () => {
    const { adapter, orders, server, until } = await start();
    const bracket = (n: string, entry: Record<string, unknown> = {}) =>
      [
        { ...fx, clientOrderId: `in-${n}`, side: 'buy', quantity: 1_000, ...entry },
        { ...fx, clientOrderId: `tp-${n}`, side: 'sell', quantity: 1_000, type: 'limit', limitPrice: '1.11000', timeInForce: 'gtc' },
        { ...fx, clientOrderId: `sl-${n}`, side: 'sell', quantity: 1_000, type: 'stop', stopPrice: '1.09000', timeInForce: 'gtc' },
      ] as const;
    // OANDA refuses the entry (a 400 with its reject): the legs will never be born.
    server.failNext({ method: 'POST', path: /\/orders$/, status: 400, body: { orderRejectTransaction: { type: 'MARKET_ORDER_REJECT', rejectReason: 'INSUFFICIENT_MARGIN' }, errorCode: 'INSUFFICIENT_MARGIN', errorMessage: 'rejected' } });
    await orders.submitList('bracket', bracket('x'));
    await until(() => expect(orders.get('in-x')?.status).toBe('rejected'));
    expect(adapter.remembered()).toMatchObject({ unbornLegs: 0, pairEntries: 0 });
    // An OCO over a position not held is refused before anything is sent: no pair is kept for it.
    await orders.submitList('oco', oco('none'));
    await until(() => expect(orders.get('tp-none')?.status).toBe('rejected'));
    expect(adapter.remembered()).toMatchObject({ unbornLegs: 0, pairEntries: 0 });
    // A resting entry's legs wait for it (looked up as working under our ids), and go when it is cancelled.
    await orders.submitList('bracket', bracket('r', { type: 'limit', limitPrice: '1.05000', timeInForce: 'gtc' }));
    await until(() => expect(orders.get('in-r')?.status).toBe('accepted'));
    expect(adapter.remembered().unbornLegs).toBe(2);
    expect((await adapter.getOrder({ clientOrderId: 'sl-r' }))?.status).toBe('accepted');
    await orders.cancel('in-r');
    await until(() => expect([orders.get('in-r')?.status, orders.get('sl-r')?.status]).toEqual(['cancelled', 'cancelled']));
    expect(adapter.remembered().unbornLegs).toBe(0);
  });

  it('a bracket whose send may have landed keeps its legs while it still could; looked up not found a minute after it went, it never will, and its legs are let go (kept, they stayed in memory for good)', async () => {
    const { server } = await start();
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 0));
    const adapter = new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url, logger: silentLogger, clock, timeoutMs: 2_000 });
    const ids = sequentialIds();
    const order = (fields: Record<string, unknown>) => createOrder({ ...fx, side: 'sell', quantity: 1_000, timeInForce: 'gtc', ...fields } as Parameters<typeof createOrder>[0], { clock, ids });
    const list = (n: string) => ({ kind: 'bracket' as const, orders: [order({ clientOrderId: `in-${n}`, side: 'buy' }), order({ clientOrderId: `tp-${n}`, type: 'limit', limitPrice: '1.11000' }), order({ clientOrderId: `sl-${n}`, type: 'stop', stopPrice: '1.09000' })] });
    // A 500 before OANDA processed it: it may have landed as far as the adapter can tell.
    server.failNext({ method: 'POST', path: /\/orders$/, status: 500, body: { errorMessage: 'Internal error' } });
    const error = await adapter.submitOrderList(list('x')).catch((e: unknown) => e);
    expect(isBrokerError(error) && error.mayHaveReachedBroker).toBe(true);
    expect(adapter.remembered().unbornLegs).toBe(2);
    // Looked up at once: not found, but a late landing would still bring the legs.
    expect(await adapter.getOrder({ clientOrderId: 'in-x' })).toBeUndefined();
    expect(adapter.remembered().unbornLegs).toBe(2);
    expect((await adapter.getOrder({ clientOrderId: 'sl-x' }))?.status).toBe('accepted');
    clock.advance(61_000);
    expect(await adapter.getOrder({ clientOrderId: 'in-x' })).toBeUndefined();
    expect(adapter.remembered().unbornLegs).toBe(0);
    expect(await adapter.getOrder({ clientOrderId: 'sl-x' })).toBeUndefined();
    // One that landed (its answer lost after OANDA processed it) is found, and keeps its legs however late the look-up.
    server.failNext({ method: 'POST', path: /\/orders$/, status: 500, body: { errorMessage: 'Internal error' }, afterProcessing: true });
    await adapter.submitOrderList({ ...list('y'), orders: list('y').orders.map((o, i) => (i === 0 ? { ...o, type: 'limit' as const, limitPrice: new Decimal('1.05000') } : o)) }).catch(() => undefined);
    clock.advance(61_000);
    expect((await adapter.getOrder({ clientOrderId: 'in-y' }))?.status).toBe('accepted');
    expect(adapter.remembered().unbornLegs).toBe(2);
    await adapter.disconnect();
  });

  it('a standalone leg cancelled on its own leaves its sibling unpaired: the sibling\'s later fill sends no cancel for the leg that already ended', async () => {
    const { orders, exchange, server, logger, until } = await start();
    twoTrades(exchange);
    await orders.submitList('oco', oco('a'));
    await until(() => expect([orders.get('tp-a')?.status, orders.get('sl-a')?.status]).toEqual(['accepted', 'accepted']));
    const stopId = orders.get('sl-a')!.brokerOrderId!;
    await orders.cancel('sl-a');
    await until(() => expect(orders.get('sl-a')?.status).toBe('cancelled'));
    const cancelsBefore = server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/orders/${stopId}/cancel`)).length;
    exchange.setPrice('EUR_USD', '1.11010');
    await until(() => expect(orders.get('tp-a')?.status).toBe('filled'));
    await vi.waitFor(() => expect(exchange.openTrades()).toEqual([]), { timeout: 3_000, interval: 10 });
    expect(server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/orders/${stopId}/cancel`))).toHaveLength(cancelsBefore);
    expect(logger.lines.filter((l) => l.includes('could not cancel'))).toEqual([]);
  });

  it('a standalone stop moved (OANDA replaces it: a new id) stays paired: its fill cancels the target', async () => {
    const { orders, exchange, until } = await start();
    twoTrades(exchange);
    await orders.submitList('oco', oco('m'));
    await until(() => expect([orders.get('tp-m')?.status, orders.get('sl-m')?.status]).toEqual(['accepted', 'accepted']));
    const first = orders.get('sl-m')!.brokerOrderId;
    await orders.modify('sl-m', { stopPrice: '1.09500' });
    await until(() => expect(orders.get('sl-m')?.brokerOrderId).not.toBe(first));
    exchange.setPrice('EUR_USD', '1.09490');
    await until(() => expect([orders.get('sl-m')?.status, orders.get('tp-m')?.status]).toEqual(['filled', 'cancelled']));
    expect(exchange.pending()).toEqual([]);
    expect(exchange.openTrades()).toEqual([]);
  });

  it('retainEndedOrders must be a whole number (-1: no limit)', () => {
    expect(() => new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, retainEndedOrders: 2.5 })).toThrow(/retainEndedOrders/);
    expect(() => new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, retainEndedOrders: -1 })).not.toThrow();
  });
});

describe('OANDA order kinds', () => {
  it('market-if-touched, GTD, a market order beyond its price bound, and the minimum trade size', async () => {
    const { orders, exchange, until, clock } = await start();
    await orders.submit({ ...fx, clientOrderId: 'mit-1', side: 'buy', quantity: 1_000, type: 'market_if_touched', stopPrice: '1.09500', timeInForce: 'gtc' });
    await orders.submit({ ...fx, clientOrderId: 'gtd-1', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.08000', timeInForce: 'gtd', expiresAt: clock.now() + 3_600_000 });
    expect(exchange.order('@mit-1')).toMatchObject({ type: 'MARKET_IF_TOUCHED', price: '1.09500', timeInForce: 'GTC' });
    const gtd = exchange.transactions.find((t) => (t.clientExtensions as { id?: string } | undefined)?.id === 'gtd-1');
    expect([gtd?.timeInForce, exchange.order('@gtd-1').timeInForce, exchange.order('@gtd-1').gtdTime]).toEqual(['GTD', 'GTD', new Date(clock.now() + 3_600_000).toISOString()]);
    exchange.setPrice('EUR_USD', '1.09490');
    await until(() => expect(orders.get('mit-1')?.status).toBe('filled'));
    expect(orders.get('gtd-1')?.status).toBe('accepted');

    exchange.setPrice('EUR_USD', '1.10020');
    const bounded = await orders.submit({ ...fx, clientOrderId: 'pb-1', side: 'buy', quantity: 1_000, priceBound: '1.10010' });
    // OANDA refused to fill it within its bound: a rejection (OrderCancelReason BOUNDS_VIOLATION), not a cancel of ours.
    expect([bounded.status, bounded.errorMessage]).toEqual(['rejected', 'BOUNDS_VIOLATION']);
    // A GTD order whose time runs out is cancelled by OANDA with TIME_IN_FORCE_EXPIRED: expired.
    exchange.expireGtd(clock.now() + 3_600_000);
    await until(() => expect(orders.get('gtd-1')?.status).toBe('expired'));

    const tiny = await orders.submit({ ...fx, clientOrderId: 'min-1', side: 'buy', quantity: '0.4' });
    expect([tiny.status, tiny.errorMessage]).toEqual(['rejected', "OANDA: order min-1 breaks OANDA's rules: 0.4 units is below EUR_USD's minimum trade size 1"]);
  });

  it('protective legs keep their time in force (GTD with its time, day as GFD) and a trailing distance within the instrument’s limits', async () => {
    const { orders, exchange, until } = await start();
    const expiresAt = Date.UTC(2026, 11, 31, 21);
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'tif-in', side: 'buy', quantity: 1_000 },
      { ...fx, clientOrderId: 'tif-tp', side: 'sell', quantity: 1_000, type: 'limit', limitPrice: '1.10500', timeInForce: 'gtd', expiresAt },
      { ...fx, clientOrderId: 'tif-sl', side: 'sell', quantity: 1_000, type: 'trailing_stop', trailAmount: '0.00010', timeInForce: 'day' },
    ]);
    await until(() => expect(orders.get('tif-in')?.status).toBe('filled'));
    const legs = exchange.pending();
    expect(legs.find((o) => o.clientExtensions?.id === 'tif-tp')).toMatchObject({ type: 'TAKE_PROFIT', timeInForce: 'GTD', gtdTime: new Date(expiresAt).toISOString() });
    // 0.00010 is closer than EUR_USD allows (0.00050): the closest allowed distance is sent.
    expect(legs.find((o) => o.clientExtensions?.id === 'tif-sl')).toMatchObject({ type: 'TRAILING_STOP_LOSS', timeInForce: 'GFD', distance: '0.00050' });
  });

  it('a bracket with a trailing stop leg: OANDA trails it on the trade', async () => {
    const { orders, exchange, until } = await start();
    await orders.submitList('oto', [
      { ...fx, clientOrderId: 'in-t', side: 'buy', quantity: 1_000 },
      { ...fx, clientOrderId: 'tsl-t', side: 'sell', quantity: 1_000, type: 'trailing_stop', trailAmount: '0.00200', timeInForce: 'gtc' },
    ]);
    await until(() => expect(orders.get('in-t')?.status).toBe('filled'));
    expect(exchange.pending().find((o) => o.clientExtensions?.id === 'tsl-t')).toMatchObject({ type: 'TRAILING_STOP_LOSS', distance: '0.00200' });
    exchange.setPrice('EUR_USD', '1.10500');
    exchange.setPrice('EUR_USD', '1.10350');
    expect(orders.get('tsl-t')?.status).toBe('accepted');
    exchange.setPrice('EUR_USD', '1.10290');
    await until(() => expect(orders.get('tsl-t')?.status).toBe('filled'));
    expect(exchange.openTrades()).toEqual([]);
  });

  it('a resting bracket entry: its legs, not yet born at OANDA, are looked up as working; cancelling the entry ends them too', async () => {
    const { orders, exchange, until } = await start();
    await orders.submitList('bracket', [
      { ...fx, clientOrderId: 'in-r', side: 'buy', quantity: 1_000, type: 'limit', limitPrice: '1.09000', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'tp-r', side: 'sell', quantity: 1_000, type: 'limit', limitPrice: '1.10500', timeInForce: 'gtc' },
      { ...fx, clientOrderId: 'sl-r', side: 'sell', quantity: 1_000, type: 'stop', stopPrice: '1.08500', timeInForce: 'gtc' },
    ]);
    expect(orders.get('in-r')?.status).toBe('accepted');
    // Only the entry exists at OANDA; the legs are on-fill details of it.
    expect(exchange.pending().map((o) => o.clientExtensions?.id)).toEqual(['in-r']);
    // A look-up of a leg (what recovery does) answers from the entry, not "not found".
    expect(await orders.refreshOrder('tp-r')).toBe(true);
    expect(orders.get('tp-r')?.status).toBe('accepted');
    await orders.cancel('in-r');
    await until(() => expect(['in-r', 'tp-r', 'sl-r'].map((id) => orders.get(id)?.status)).toEqual(['cancelled', 'cancelled', 'cancelled']));
    expect(orders.get('sl-r')?.errorMessage).toBe('entry in-r ended unfilled');
    expect(orders.workingOrders()).toEqual([]);
    // The entry's price comes later: nothing fills, nothing is opened.
    exchange.setPrice('EUR_USD', '1.08990');
    expect(exchange.openTrades()).toEqual([]);
  });
});

describe('OANDA credentials and environments', () => {
  it('the token never appears in a log line, an event, an error or the journal', async () => {
    const { orders, server, journal, emitted, logger, until, adapter } = await start();
    server.failNext({ method: 'POST', path: /\/orders$/, status: 500, body: { errorMessage: 'boom' } });
    let settled = 0;
    void orders.submit({ ...fx, clientOrderId: 'sec-1', side: 'buy', quantity: 1_000 }).then(() => settled++);
    void orders.submit({ symbol: 'NOPE', assetClass: 'forex', clientOrderId: 'sec-2', side: 'buy', quantity: 1_000 }).then(() => settled++);
    await until(() => expect(settled).toBe(2));
    server.stallStream();
    await until(() => expect(adapter.health().streamConnected).toBe(false));
    server.resumeStream();
    await until(() => expect(adapter.health().streamConnected).toBe(true));
    const everything = JSON.stringify([journal.query({}), emitted.map((e) => ({ ...e, payload: e.payload instanceof Error ? { message: e.payload.message, stack: e.payload.stack } : e.payload })), logger.lines, orders.orderList(), adapter.health()]);
    expect(everything.length).toBeGreaterThan(1_000);
    expect(everything).not.toContain(FAKE_TOKEN);
  });

  it('the token is not in util.inspect or JSON.stringify of the adapter, nor in an error body that echoes it', async () => {
    const { adapter, server } = await start();
    const { inspect } = await import('node:util');
    for (const shown of [inspect(adapter, { depth: null, showHidden: true }), JSON.stringify(adapter), inspect({ nested: adapter }, { depth: null })]) {
      expect(shown).not.toContain(FAKE_TOKEN);
      expect(shown).toContain(ACCOUNT_ID);
    }
    server.failNext({ method: 'GET', path: /\/summary$/, status: 500, body: { errorMessage: `upstream said: Authorization: Bearer ${FAKE_TOKEN}`, request: { headers: { Authorization: `Bearer ${FAKE_TOKEN}` } } } });
    const error = await adapter.getAccount().catch((e: unknown) => e);
    expect(isBrokerError(error)).toBe(true);
    expect(JSON.stringify({ message: (error as Error).message, body: (error as { body?: unknown }).body })).not.toContain(FAKE_TOKEN);
    expect((error as Error).message).toContain('[redacted]');
  });

  it('a 200 whose body is not JSON is a BrokerError (a POST one may have reached OANDA), not a raw SyntaxError', async () => {
    const { adapter, server } = await start();
    server.failNext({ method: 'GET', path: /\/summary$/, status: 200, body: {}, raw: '{"account": {"balance": "10' });
    const read = await adapter.getAccount().catch((e: unknown) => e);
    expect(isBrokerError(read) && [read.code, read.retryable, read.mayHaveReachedBroker]).toEqual(['server_error', true, false]);
    server.failNext({ method: 'POST', path: /\/orders$/, status: 201, body: {}, raw: '<html>gateway</html>' });
    const order = createOrder({ ...fx, clientOrderId: 'broken-1', side: 'buy', quantity: 1_000 }, { clock: systemClock(), ids: sequentialIds() });
    const sent = await adapter.submitOrder(order).catch((e: unknown) => e);
    expect(isBrokerError(sent) && [sent.code, sent.mayHaveReachedBroker]).toEqual(['server_error', true]);
  });

  it('practice by default, live only when asked; token and account from the environment', async () => {
    const { hosts, fetch: stub } = hostRecorder({ account: { id: 'x', currency: 'USD', balance: '1', NAV: '1' } });
    process.env.OANDA_API_TOKEN = 'env-token';
    process.env.OANDA_ACCOUNT_ID = '101-1';
    try {
      await new OandaAdapter({ fetch: stub }).getAccount();
      await new OandaAdapter({ fetch: stub, live: true }).getAccount();
      expect(hosts).toEqual(['api-fxpractice.oanda.com', 'api-fxtrade.oanda.com']);
    } finally {
      delete process.env.OANDA_API_TOKEN;
      delete process.env.OANDA_ACCOUNT_ID;
    }
    expect(() => new OandaAdapter()).toThrow(/token is required \(or set OANDA_API_TOKEN\).*accountId is required/);
  });

  it('OANDA_REST_URL points it elsewhere; the other environment’s hosts are refused', async () => {
    const { hosts, fetch: stub } = hostRecorder({ account: { id: 'x', currency: 'USD', balance: '1', NAV: '1' } });
    process.env.OANDA_REST_URL = 'http://127.0.0.1:9';
    try {
      await new OandaAdapter({ token: 't', accountId: '101-1', fetch: stub }).getAccount();
      expect(hosts).toEqual(['127.0.0.1:9']);
      process.env.OANDA_REST_URL = 'https://api-fxtrade.oanda.com';
      expect(() => new OandaAdapter({ token: 't', accountId: '101-1' })).toThrow(/restUrl points at api-fxtrade\.oanda\.com/);
      expect(() => new OandaAdapter({ token: 't', accountId: '001-1', live: true, restUrl: 'http://127.0.0.1:9', streamUrl: 'https://stream-fxpractice.oanda.com' })).toThrow(/streamUrl points at stream-fxpractice\.oanda\.com/);
    } finally {
      delete process.env.OANDA_REST_URL;
    }
  });
});
