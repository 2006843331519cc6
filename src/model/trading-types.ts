/** The vocabulary shared by orders, positions and adapters. */

export const ASSET_CLASSES = ['equity', 'crypto', 'forex'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export const ORDER_SIDES = ['buy', 'sell'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

/**
 * `market_if_touched`: becomes a market order once the price touches `stopPrice` from the far side
 * (a buy at or below it, a sell at or above it) — OANDA's MARKET_IF_TOUCHED.
 */
export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_if_touched'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/**
 * day: until the session ends; gtc: until cancelled; ioc: fill what you can now, cancel the
 * rest; fok: all now or nothing; opg: at the opening auction; cls: at the closing auction;
 * gtd: until `expiresAt`.
 */
export const TIME_IN_FORCE = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls', 'gtd'] as const;
export type TimeInForce = (typeof TIME_IN_FORCE)[number];

export function oppositeSide(side: OrderSide): OrderSide {
  return side === 'buy' ? 'sell' : 'buy';
}
