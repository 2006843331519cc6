import type { AssetClass } from '../model/trading-types.js';
import type { MarketChange } from './market-events.js';

/**
 * Whether an order can be executed now. The engine asks it for the `market_open` check.
 * `MarketStateManager` (market hours, holidays, halts) implements it; a host can supply its own.
 */
export interface MarketState {
  /** True when an order for `symbol` can be executed at `at` (epoch ms). */
  isMarketOpen(symbol: string, assetClass: AssetClass, at: number): boolean;
  /**
   * Tells `listener` of every session change (open, close) and symbol halt. The engine subscribes
   * when it is built, to release queued signals at the open and cancel day orders at the close, and
   * passes the changes on to hosts as `market:*` events. Optional: a source without it has no news.
   */
  subscribe?(listener: (change: MarketChange) => void): () => void;
  /** Starts its timers (the engine calls it from `start()`). */
  start?(): void;
  /** Stops its timers (the engine calls it from `stop()`). */
  stop?(): void;
  /** Aligns with the broker's market clock and calendar, where the broker has them. */
  syncWithBroker?(): Promise<unknown>;
  /** The session a symbol is in now (extended-hours orders need it); default `regular`. */
  session?(symbol: string, assetClass: AssetClass): string;
}

/**
 * Always open: for 24/7 markets and for tests that are not about market hours. Not the default
 * for equities once `MarketStateManager` is configured; see docs/configuration.md.
 */
export const alwaysOpenMarket: MarketState = {
  isMarketOpen: () => true,
};
