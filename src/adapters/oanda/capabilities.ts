import type { BrokerCapabilities } from 'tradewire';

/**
 * What OANDA v20 does natively: market (with a price bound), limit, stop (a stop-limit is a stop
 * with a price bound) and market-if-touched orders; GTC, GTD, GFD (`day`), FOK, IOC; on-fill
 * take-profit / stop-loss / trailing-stop-loss (native brackets) and a trade's take-profit and
 * stop-loss (native OCO); replace (a new order id); the transaction stream. A trailing stop exists
 * only on a trade (a bracket's stop-loss leg), so standalone trailing stops are not offered and
 * the protection emulates them. Units per the instrument's precision.
 */
export const OANDA_CAPABILITIES: BrokerCapabilities = {
  orderTypes: ['market', 'limit', 'stop', 'stop_limit', 'market_if_touched'],
  timeInForce: ['gtc', 'gtd', 'day', 'ioc', 'fok'],
  assetClasses: ['forex'],
  nativeOco: true,
  nativeBracket: true,
  nativeTrailingStop: false,
  fractional: false,
  shorting: true,
  extendedHours: false,
  replace: true,
  streaming: true,
  marketClock: false,
};
