import type { AssetClass } from '../model/trading-types.js';
import type { Signal } from '../signals/signal.js';

/** What an account trades, for routing. Every given condition must hold; none given: anything. */
export interface AccountScope {
  readonly assetClasses?: readonly AssetClass[];
  readonly symbols?: RegExp | readonly string[] | ((symbol: string) => boolean);
  readonly strategies?: readonly string[];
}

/** An account as a routing policy sees it. */
export interface RoutableAccount {
  readonly id: string;
  readonly broker: string;
  readonly scope: AccountScope;
  /** Lower is preferred (default 0). */
  readonly priority: number;
  readonly buyingPower: string | undefined;
  readonly healthy: boolean;
}

/**
 * Chooses where a new entry goes: the accounts that may take it, most preferred first. The desk
 * sends it to the first whose broker is not down (with `failover`), or refuses. Mirroring sends it
 * to every account the policy returns.
 */
export type RoutingPolicy = (signal: Signal, accounts: readonly RoutableAccount[]) => readonly string[];

/** True when `account` may trade `signal` by its scope. */
export function inScope(scope: AccountScope, signal: Pick<Signal, 'symbol' | 'strategyId' | 'assetClass'>): boolean {
  if (scope.assetClasses && !scope.assetClasses.includes(signal.assetClass ?? 'equity')) return false;
  if (scope.strategies && !scope.strategies.includes(signal.strategyId)) return false;
  const symbols = scope.symbols;
  if (symbols) {
    if (typeof symbols === 'function' && !symbols(signal.symbol)) return false;
    if (symbols instanceof RegExp && !symbols.test(signal.symbol)) return false;
    if (Array.isArray(symbols) && !symbols.includes(signal.symbol)) return false;
  }
  return true;
}

/** The default: the accounts whose scope takes the signal (asset class, symbol, strategy), by priority. */
export const routeByScope: RoutingPolicy = (signal, accounts) =>
  accounts
    .filter((a) => inScope(a.scope, signal))
    .sort((a, b) => a.priority - b.priority)
    .map((a) => a.id);

/** Among the accounts whose scope takes the signal, the one with the most buying power first. */
export const routeByBuyingPower: RoutingPolicy = (signal, accounts) =>
  accounts
    .filter((a) => inScope(a.scope, signal))
    .sort((a, b) => Number(b.buyingPower ?? 0) - Number(a.buyingPower ?? 0) || a.priority - b.priority)
    .map((a) => a.id);
