import { describe, expect, it } from 'vitest';
import { Decimal, ExecutionEngine, ManualClock, silentLogger, systemClock } from 'tradewire';
import { describeBrokerAdapterConformance } from 'tradewire/testing/conformance';
import { KRX_CAPABILITIES, KrxAdapter, kisError } from '../../../examples/krx/krx-adapter.js';
import { krxMarket } from '../../../examples/krx/krx-market.js';
import { dailyLimits, krxTick, onTick, toTick } from '../../../examples/krx/krx-rules.js';
import { FakeKisServer, KIS_ACCOUNT, KIS_APP_KEY, KIS_APP_SECRET } from './fake-kis-server.js';

const SAMSUNG = '005930';

async function harness() {
  const server = await FakeKisServer.start();
  server.list(SAMSUNG, '70000');
  const adapter = new KrxAdapter({ baseUrl: server.url, appKey: KIS_APP_KEY, appSecret: KIS_APP_SECRET, account: KIS_ACCOUNT, pollMs: 20, clock: systemClock(), logger: silentLogger });
  return { server, adapter };
}

// The KRX adapter, written on the public kit alone, held to the same behaviour as Alpaca and OANDA.
describeBrokerAdapterConformance(
  'KRX via KIS (local KIS-shaped server)',
  async () => {
    const { server, adapter } = await harness();
    return {
      adapter,
      symbol: SAMSUNG,
      quantity: 1,
      price: '70000',
      restingTimeInForce: 'day',
      // Resting orders must stay inside the day's ±30 % and on the tick: 80 %, 75 %, 85 % of 70 000.
      restingPrices: { low: '56000', lower: '52500', higher: '59500' },
      setPrice: (p) => server.setPrice(SAMSUNG, new Decimal(p).toFixed(0)),
      close: () => server.close(),
    };
  },
  KRX_CAPABILITIES,
);

describe('KRX rules', () => {
  it('tick sizes by price band, the ±30 % limits rounded inward, whole won', () => {
    expect([1_999, 2_000, 4_999, 5_000, 19_990, 20_000, 49_950, 50_000, 199_900, 200_000, 499_500, 500_000].map((p) => krxTick(new Decimal(p)).toNumber())).toEqual([1, 5, 5, 10, 10, 50, 50, 100, 100, 500, 500, 1_000]);
    expect(onTick(new Decimal(70_100))).toBe(true);
    expect(onTick(new Decimal(70_050))).toBe(false);
    expect(onTick(new Decimal('70000.5'))).toBe(false);
    expect(toTick(new Decimal(70_050), 'down').toNumber()).toBe(70_000);
    expect(dailyLimits(new Decimal(70_000))).toEqual({ upper: new Decimal(91_000), lower: new Decimal(49_000) });
    // 30 % of 55 300 is 16 590: the upper limit 71 890 rounds down to 71 800, the lower 38 710 up to 38 750.
    expect(dailyLimits(new Decimal(55_300))).toEqual({ upper: new Decimal(71_800), lower: new Decimal(38_750) });
  });

  it('the session: 09:00–15:30 Seoul on weekdays that are not in the holiday table', () => {
    const market = krxMarket();
    const seoul = (iso: string): number => Date.parse(`${iso}+09:00`);
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-11-23T09:00:00'))).toBe(true);
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-11-23T15:29:59'))).toBe(true);
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-11-23T15:30:00'))).toBe(false);
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-11-23T08:59:59'))).toBe(false);
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-11-22T10:00:00'))).toBe(false); // Sunday
    expect(market.isMarketOpen(SAMSUNG, 'equity', seoul('2026-09-24T10:00:00'))).toBe(false); // Chuseok
  });

  it('refuses what the exchange would: off-tick and out-of-limit prices, fractional shares — before any order is sent', async () => {
    const { server, adapter } = await harness();
    await adapter.connect();
    const base = { clientOrderId: 'k1', brokerOrderIds: [], symbol: SAMSUNG, assetClass: 'equity', side: 'buy', timeInForce: 'day', filledQuantity: new Decimal(0), fills: [], commission: new Decimal(0), createdAt: 0, updatedAt: 0, extendedHours: false, reduceOnly: false, status: 'created', links: {}, tags: {} } as const;
    const attempt = (fields: object) => adapter.submitOrder({ ...base, type: 'limit', quantity: new Decimal(1), limitPrice: new Decimal(70_000), ...fields } as never).catch((e: unknown) => e);
    expect(await attempt({ limitPrice: new Decimal(70_050) })).toMatchObject({ code: 'invalid_order', message: expect.stringContaining('tick') });
    expect(await attempt({ clientOrderId: 'k2', limitPrice: new Decimal(95_000) })).toMatchObject({ code: 'invalid_order', message: expect.stringContaining('limits 49000–91000') });
    expect(await attempt({ clientOrderId: 'k3', quantity: new Decimal('1.5') })).toMatchObject({ code: 'invalid_order', message: expect.stringContaining('whole shares') });
    expect(server.requests.filter((r) => r.path.endsWith('order-cash'))).toEqual([]);
    expect(kisError('APBK0952', '주문가능금액을 초과했습니다.')).toMatchObject({ code: 'insufficient_buying_power', category: 'ADJUSTABLE' });
    expect(kisError('EGW00201', 'too many')).toMatchObject({ code: 'rate_limited', retryable: true });
    await adapter.disconnect();
    await server.close();
  });

  it('the engine trades Samsung Electronics in KRW through it: a signal becomes a whole-share order, filled, and a position', async () => {
    const { server, adapter } = await harness();
    const clock = new ManualClock(Date.parse('2026-11-23T10:00:00+09:00'));
    const engine = new ExecutionEngine({ adapter, clock, logger: silentLogger, market: krxMarket(), rateLimit: false, config: { sizing: { method: 'fixed_notional', notional: 1_000_000 }, minTradeSize: 1, orderManagement: { orderTimeoutMs: null }, recovery: { reconcileIntervalMs: 0 } } });
    await engine.start();
    engine.updatePrice(SAMSUNG, '70000');
    const decision = await engine.executeSignal({ id: 'kr-1', symbol: SAMSUNG, side: 'buy', strength: 90, time: clock.now(), strategyId: 'kospi' });
    expect(decision.kind).toBe('executed');
    expect(decision.kind === 'executed' && decision.order.quantity.toFixed()).toBe('14'); // ₩1 000 000 ÷ ₩70 000, whole shares
    await expect.poll(() => engine.positions.get(SAMSUNG)?.quantity.toFixed(), { timeout: 5_000, interval: 20 }).toBe('14');
    expect((await engine.refreshAccount()).currency).toBe('KRW');
    await engine.stop();
    await server.close();
  });
});
