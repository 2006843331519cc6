import { createOrder, Decimal, ManualClock, sequentialIds } from 'tradewire';
import { ALPACA_CAPABILITIES, alpacaErrorFromResponse, alpacaOrderBody, limitRounding, roundAlpacaPrice } from 'tradewire/alpaca';
import { fromOandaUnits, OANDA_CAPABILITIES, oandaErrorFromResponse, toOandaInstrument, toOandaUnits } from 'tradewire/oanda';
import { describe, expect, it } from 'vitest';

describe('tradewire/alpaca building blocks', () => {
  it('maps Alpaca error responses to categories', () => {
    expect(alpacaErrorFromResponse(403, { code: 40310000, message: 'insufficient buying power' })).toMatchObject({ code: 'insufficient_buying_power', category: 'ADJUSTABLE', brokerCode: 40310000 });
    expect(alpacaErrorFromResponse(403, { code: 40310100, message: 'trade denied due to pattern day trading protection', day_trade_count: 4 })).toMatchObject({ code: 'pattern_day_trader', details: { dayTradeCount: 4 } });
    expect(alpacaErrorFromResponse(422, { code: 42210000, message: 'sub-penny increment does not fulfill minimum pricing criteria' })).toMatchObject({ code: 'sub_penny_price', category: 'ADJUSTABLE' });
    expect(alpacaErrorFromResponse(422, { code: 42210000, message: 'qty must be > 0' })).toMatchObject({ code: 'invalid_order', category: 'FATAL' });
    expect(alpacaErrorFromResponse(401, { message: 'unauthorized' })).toMatchObject({ code: 'unauthorized', category: 'FATAL' });
    expect(alpacaErrorFromResponse(429, { message: 'too many requests' }, 1_000)).toMatchObject({ code: 'rate_limited', category: 'RETRYABLE', retryAfterMs: 1_000 });
    expect(alpacaErrorFromResponse(503, undefined)).toMatchObject({ code: 'server_error', category: 'RETRYABLE' });
    expect(alpacaErrorFromResponse(404, { code: 40410000, message: 'order not found' })).toMatchObject({ code: 'broker_not_found' });
  });

  it('rounds prices to Alpaca increments instead of being rejected', () => {
    expect(roundAlpacaPrice(new Decimal('123.456')).toString()).toBe('123.46');
    expect(roundAlpacaPrice(new Decimal('0.123456')).toString()).toBe('0.1235');
    expect(roundAlpacaPrice(new Decimal('123.459'), limitRounding('buy')).toString()).toBe('123.45');
    expect(roundAlpacaPrice(new Decimal('123.451'), limitRounding('sell')).toString()).toBe('123.46');
    expect(ALPACA_CAPABILITIES.nativeBracket).toBe(true);
  });

  it('rounds a stop toward triggering earlier: a sell stop up, a buy stop down (never more risk than asked)', () => {
    const stop = (side: 'buy' | 'sell', stopPrice: string) => alpacaOrderBody(createOrder({ symbol: 'AAPL', side, quantity: 1, type: 'stop', stopPrice, timeInForce: 'gtc' }, { clock: new ManualClock(0), ids: sequentialIds() })).stopPrice;
    expect([stop('sell', '97.993'), stop('buy', '102.007')]).toEqual(['98', '102']);
  });
});

describe('tradewire/oanda building blocks', () => {
  it('converts instruments and signs units by side', () => {
    expect(toOandaInstrument('EUR/USD')).toBe('EUR_USD');
    expect(toOandaInstrument('eurusd')).toBe('EUR_USD');
    expect(() => toOandaInstrument('??')).toThrow(/OANDA instrument/);
    expect(toOandaUnits('sell', new Decimal(1000))).toBe('-1000');
    expect(fromOandaUnits('-250')).toEqual({ side: 'sell', quantity: new Decimal(250) });
    expect(OANDA_CAPABILITIES.assetClasses).toEqual(['forex']);
  });

  it('maps OANDA errors and reject reasons', () => {
    expect(oandaErrorFromResponse(400, { errorMessage: 'Insufficient margin', orderRejectTransaction: { rejectReason: 'INSUFFICIENT_MARGIN' } })).toMatchObject({ code: 'insufficient_buying_power', brokerCode: 'INSUFFICIENT_MARGIN' });
    expect(oandaErrorFromResponse(400, { errorCode: 'CLIENT_ORDER_ID_ALREADY_EXISTS' })).toMatchObject({ code: 'broker_duplicate_client_order_id' });
    expect(oandaErrorFromResponse(404, { errorCode: 'NO_SUCH_ORDER' })).toMatchObject({ code: 'broker_not_found' });
    expect(oandaErrorFromResponse(401, { errorMessage: 'Insufficient authorization' })).toMatchObject({ code: 'unauthorized', category: 'FATAL' });
    expect(oandaErrorFromResponse(429, undefined)).toMatchObject({ category: 'RETRYABLE' });
  });
});
