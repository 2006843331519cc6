import type { AssetClass } from '../model/trading-types.js';

/**
 * Whether an order can be executed now. The engine asks it for the `market_open` check.
 * `MarketStateManager` (market hours, holidays, halts) implements it; a host can supply its own.
 */
export interface MarketState {
  /** True when an order for `symbol` can be executed at `at` (epoch ms). */
  isMarketOpen(symbol: string, assetClass: AssetClass, at: number): boolean;
}

/**
 * Always open: for 24/7 markets and for tests that are not about market hours. Not the default
 * for equities once `MarketStateManager` is configured; see docs/configuration.md.
 */
export const alwaysOpenMarket: MarketState = {
  isMarketOpen: () => true,
};
