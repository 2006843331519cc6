import type { BrokerCapabilities } from 'tradewire';

/**
 * What Alpaca does natively (trading API v2): every order type, brackets / OCO / OTO order
 * classes, trailing stops (not inside a bracket), fractional and notional equity orders,
 * shorting of easy-to-borrow names, extended hours (limit + day only), PATCH replace, and the
 * trade-updates stream.
 */
export const ALPACA_CAPABILITIES: BrokerCapabilities = {
  orderTypes: ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'],
  timeInForce: ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'],
  assetClasses: ['equity', 'crypto'],
  nativeOco: true,
  nativeBracket: true,
  nativeTrailingStop: true,
  fractional: true,
  shorting: true,
  extendedHours: true,
  replace: true,
  streaming: true,
  marketClock: true,
  notional: true,
  exitsHoldQuantity: true,
};
