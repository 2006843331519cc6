import type { AssetClass } from '../model/trading-types.js';
import type { Signal } from '../signals/signal.js';
import type { MeasuredCost } from '../quality/recent-cost.js';

export type { MeasuredCost } from '../quality/recent-cost.js';

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
  /** What this account's recent orders cost (from its execution monitor), when it has records. */
  readonly quality?: MeasuredCost;
}

/** A routing decision with its reasons, recorded with the order (`desk:decision`, and a `desk.routing` journal note). */
export interface RoutingChoice {
  readonly accounts: readonly string[];
  readonly why?: Readonly<Record<string, unknown>>;
}

/**
 * Chooses where a new entry goes: the accounts that may take it, most preferred first. The desk
 * sends it to the first whose broker is not down (with `failover`), or refuses. Mirroring sends it
 * to every account the policy returns.
 */
export type RoutingPolicy = (signal: Signal, accounts: readonly RoutableAccount[]) => readonly string[] | RoutingChoice;

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

export interface MeasuredCostOptions {
  /** bps of cost charged per second of median latency to first fill (default 1: a second is a basis point). */
  readonly latencyBpsPerSecond?: number;
  /** Fewer filled orders than this and an account's numbers are not trusted: it is ranked after the measured ones, by priority (default 20). */
  readonly minOrders?: number;
}

/**
 * Among the accounts whose scope takes the signal, the cheapest by what each has shown: mean
 * slippage + mean commission (bps of notional) + a latency charge. Accounts without enough history
 * come after, by priority. The numbers of every candidate go with the decision.
 */
export function routeByMeasuredCost(options: MeasuredCostOptions = {}): RoutingPolicy {
  const perSecond = options.latencyBpsPerSecond ?? 1;
  const minOrders = options.minOrders ?? 20;
  return (signal, accounts) => {
    const candidates = accounts.filter((a) => inScope(a.scope, signal));
    const cost = (a: RoutableAccount): number | undefined => (a.quality && a.quality.orders >= minOrders ? a.quality.slippageBps + a.quality.commissionBps + (a.quality.latencyMs / 1_000) * perSecond : undefined);
    const ranked = [...candidates].sort((a, b) => {
      const ca = cost(a);
      const cb = cost(b);
      if (ca !== undefined && cb !== undefined) return ca - cb || a.priority - b.priority;
      if (ca !== undefined) return -1;
      if (cb !== undefined) return 1;
      return a.priority - b.priority;
    });
    return {
      accounts: ranked.map((a) => a.id),
      why: { policy: 'measured_cost', candidates: ranked.map((a) => ({ account: a.id, broker: a.broker, expectedCostBps: cost(a), ...(a.quality ? { measured: a.quality } : {}) })) },
    };
  };
}
