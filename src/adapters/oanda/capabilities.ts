import type { BrokerCapabilities } from 'tradewire';

/**
 * What OANDA v20 does natively: market, limit, stop (and market-if-touched, mapped to stop by
 * price side), on-fill take-profit / stop-loss / trailing-stop-loss (native brackets), replace
 * (PUT creates a replacement order), and a transaction stream. Forex only; no fractional units.
 */
export const OANDA_CAPABILITIES: BrokerCapabilities = {
  orderTypes: ['market', 'limit', 'stop', 'trailing_stop'],
  timeInForce: ['gtc', 'day', 'ioc', 'fok'],
  assetClasses: ['forex'],
  nativeOco: true,
  nativeBracket: true,
  nativeTrailingStop: true,
  fractional: false,
  shorting: true,
  extendedHours: false,
  replace: true,
  streaming: true,
  marketClock: false,
};
