import { Decimal, ManualClock, silentLogger, systemClock, TradingDesk } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { OandaAdapter } from 'tradewire/oanda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from '../adapters/alpaca/fake-alpaca-server.js';
import { ACCOUNT_ID, FAKE_TOKEN, FakeOandaServer } from '../adapters/oanda/fake-oanda-server.js';

let alpaca: FakeAlpacaServer | undefined;
let oanda: FakeOandaServer | undefined;
let desk: TradingDesk | undefined;
afterEach(async () => {
  await desk?.stop();
  await alpaca?.close();
  await oanda?.close();
});

const wait = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 5_000, interval: 5 });

describe('one desk in front of the local Alpaca and OANDA servers (real wire formats)', () => {
  it('routes equities to Alpaca and forex to OANDA, keeps each fill with its account, and aggregates the book by broker', async () => {
    alpaca = await FakeAlpacaServer.start();
    oanda = await FakeOandaServer.start({ heartbeatMs: 40 });
    alpaca.exchange.setPrice('AAPL', '100');
    oanda.exchange.setPrice('EUR_USD', '1.10000');
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30)); // Monday 10:30 New York: both markets open
    const common = { rateLimit: false as const, config: { recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000, maxPositionSizePct: 20 } };
    desk = new TradingDesk({
      clock,
      logger: silentLogger,
      accounts: [
        { id: 'us', adapter: new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl, logger: silentLogger }), scope: { assetClasses: ['equity'] }, ...common, config: { ...common.config, sizing: { method: 'fixed_quantity', quantity: 10 } } },
        { id: 'fx', adapter: new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: oanda.url, streamUrl: oanda.url, logger: silentLogger, clock: systemClock(), heartbeatTimeoutMs: 1_000 }), scope: { assetClasses: ['forex'] }, ...common, config: { ...common.config, sizing: { method: 'fixed_quantity', quantity: 10_000 } } },
      ],
      limits: { maxPositions: 5 },
    });
    const filled: string[] = [];
    desk.on('order:filled', ({ account, broker, payload }) => filled.push(`${account} ${broker} ${payload.order.symbol}`));
    await desk.start();
    desk.updatePrice('AAPL', '100');
    desk.updatePrice('EUR_USD', '1.10000');

    const us = await desk.executeSignal({ id: 'eq-1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'trend' });
    const fx = await desk.executeSignal({ id: 'fx-1', symbol: 'EUR_USD', side: 'buy', strength: 90, time: clock.now(), strategyId: 'carry', assetClass: 'forex' });
    expect(us.outcomes.map((o) => [o.account, o.broker, o.decision?.kind])).toEqual([['us', 'alpaca', 'executed']]);
    expect(fx.outcomes.map((o) => [o.account, o.broker, o.decision?.kind])).toEqual([['fx', 'oanda', 'executed']]);
    await wait(() => expect(filled.sort()).toEqual(['fx oanda EUR_USD', 'us alpaca AAPL']));
    await wait(() => expect(desk!.engine('fx').positions.get('EUR_USD')?.quantity.toString()).toBe('10000'));
    // Each broker holds only its own.
    expect([...alpaca.exchange.orders.values()].map((o) => o.symbol)).toEqual(['AAPL']);
    expect(desk.engine('us').positions.get('EUR_USD')).toBeUndefined();

    const book = desk.book();
    expect(book.positions).toBe(2);
    expect(book.byBroker.map((l) => l.key)).toEqual(['alpaca', 'oanda']);
    expect(book.byStrategy.map((l) => l.key)).toEqual(['carry', 'trend']);
    expect(new Decimal(book.exposure).equals(new Decimal('1000').plus('11000'))).toBe(true); // 10 × 100 + 10 000 × 1.1
    expect(desk.health().map((h) => [h.account, h.state])).toEqual([['us', 'healthy'], ['fx', 'healthy']]);
  });
});
