/** The vocabulary shared by orders, positions and adapters. */

export const ASSET_CLASSES = ['equity', 'crypto', 'forex'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export const ORDER_SIDES = ['buy', 'sell'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/**
 * day: until the session ends; gtc: until cancelled; ioc: fill what you can now, cancel the
 * rest; fok: all now or nothing; opg: at the opening auction; cls: at the closing auction.
 */
export const TIME_IN_FORCE = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'] as const;
export type TimeInForce = (typeof TIME_IN_FORCE)[number];

export function oppositeSide(side: OrderSide): OrderSide {
  return side === 'buy' ? 'sell' : 'buy';
}
