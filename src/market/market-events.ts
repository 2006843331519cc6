import type { EventSink } from '../events/event-bus.js';

/** A session change of a market, as a market-state source reports it. */
export interface MarketSessionChange {
  readonly type: 'opened' | 'closed';
  readonly assetClass: 'equity' | 'forex';
  readonly at: number;
}

/** A trading halt or resumption of one symbol. */
export interface SymbolTradingChange {
  readonly type: 'halted' | 'resumed';
  readonly symbol: string;
  readonly reason?: string;
  readonly at: number;
}

export type MarketChange = MarketSessionChange | SymbolTradingChange;

export interface MarketEvents {
  /** A market opened for trading (with the enabled sessions). */
  'market:opened': { readonly assetClass: 'equity' | 'forex'; readonly at: number };
  'market:closed': { readonly assetClass: 'equity' | 'forex'; readonly at: number };
  /** Trading in one symbol stopped (host or adapter). */
  'market:halted': { readonly symbol: string; readonly reason: string; readonly at: number };
  'market:resumed': { readonly symbol: string; readonly at: number };
}

/** Announces a market change as the matching `market:*` event (one mapping for every announcer). */
export function announceMarketChange(events: EventSink<MarketEvents>, change: MarketChange): void {
  switch (change.type) {
    case 'opened':
    case 'closed':
      events.emit(`market:${change.type}`, { assetClass: change.assetClass, at: change.at });
      return;
    case 'halted':
      events.emit('market:halted', { symbol: change.symbol, reason: change.reason ?? 'trading halt', at: change.at });
      return;
    case 'resumed':
      events.emit('market:resumed', { symbol: change.symbol, at: change.at });
      return;
  }
}
