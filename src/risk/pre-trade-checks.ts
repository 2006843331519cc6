import { addDecimals, compareDecimal, type Decimal, Decimal as DecimalOf, isAboveZero, percentOf } from '../core/decimal.js';
import type { AssetInfo } from '../broker/reports.js';
import type { PreTradeCheckCode, ResolvedEngineConfig } from '../config/engine-config.js';
import type { DecisionReason } from '../signals/signal-policy.js';

/** The facts the checks judge, gathered once per signal. Amounts in the account currency. */
export interface PreTradeContext {
  readonly config: ResolvedEngineConfig;
  readonly symbol: string;
  /** `entry` opens or adds to a position; `exit` reduces one (exits skip the exposure checks). */
  readonly purpose: 'entry' | 'exit';
  readonly opensNewPosition: boolean;
  readonly notional: Decimal;
  readonly equity: Decimal;
  readonly buyingPower: Decimal;
  readonly exposure: Decimal;
  readonly positionNotional: Decimal;
  readonly openPositions: number;
  readonly dailyPnl: Decimal;
  readonly startOfDayEquity: Decimal;
  readonly marketOpen: boolean;
  readonly asset: AssetInfo | undefined;
  /** The account's currency, from the broker's last account snapshot (undefined before the first). */
  readonly accountCurrency?: string | undefined;
  readonly hasWorkingOrder: boolean;
  readonly hasPosition: boolean;
  readonly scalingIn: boolean;
  /** The signal's strategy (entries and exits alike). */
  readonly strategyId?: string | undefined;
  /**
   * The exposure (open positions at their prices, plus working entry orders) of the positions whose
   * symbol and strategy pass `where`: what group and strategy limits measure. Computed when asked.
   */
  readonly exposureWhere?: ((where: (symbol: string, strategyId: string | undefined) => boolean) => Decimal) | undefined;
  /**
   * The same exposure for everything `keyOf` puts under `key`, from totals the engine keeps as the
   * book changes (pass the same `keyOf` function every time: the totals are kept per function).
   * What the group and strategy limits use when present; `exposureWhere` sums the book each time.
   */
  readonly exposureOf?: ((keyOf: (symbol: string, strategyId: string | undefined) => string | undefined, key: string) => Decimal) | undefined;
  /** Precomputed equity × the percentage limits (optional; computed here when absent). */
  readonly maxPositionNotional?: Decimal | undefined;
  readonly maxExposureNotional?: Decimal | undefined;
}

/**
 * One rule: a code, whether it also guards exits, and the failure message (undefined = pass). A
 * host's own rule may use its own code (a desk's `desk_exposure`); `config.checks` turns off only
 * the built-in ones.
 */
export interface PreTradeRule {
  readonly code: PreTradeCheckCode | (string & {});
  readonly guardsExits: boolean;
  check(context: PreTradeContext): string | undefined;
}

const money = (amount: Decimal): string => amount.toFixed(2);

/** The checks, in the order they run. Each is its own small rule so a host can read, test or replace it. */
export const PRE_TRADE_RULES: readonly PreTradeRule[] = [
  {
    code: 'market_open',
    guardsExits: true,
    check: (c) => (c.marketOpen ? undefined : `the market for ${c.symbol} is closed`),
  },
  {
    code: 'symbol_tradable',
    guardsExits: true,
    check: (c) => {
      if (!c.asset) return `${c.symbol} is not known to the broker`;
      return c.asset.tradable ? undefined : `${c.symbol} is not tradable`;
    },
  },
  {
    // Sizing, limits and P&L count quantity × price as money of the account's currency: for an
    // instrument priced in another (USD_JPY on a USD account) every one of them would be off by the
    // exchange rate — 150× too small for JPY, 27% too large for GBP. Exits are never held back.
    code: 'account_currency',
    guardsExits: false,
    check: (c) => {
      const quote = c.asset?.quoteCurrency;
      return quote === undefined || c.accountCurrency === undefined || quote === c.accountCurrency
        ? undefined
        : `${c.symbol} is priced in ${quote} and the account is in ${c.accountCurrency}: sizing, limits and P&L would count ${quote} as ${c.accountCurrency} (turn the account_currency check off to trade it so)`;
    },
  },
  {
    code: 'no_pending_order',
    guardsExits: true,
    check: (c) => (c.hasWorkingOrder ? `an order for ${c.symbol} is still working` : undefined),
  },
  {
    code: 'no_duplicate_position',
    guardsExits: false,
    check: (c) => (c.hasPosition && !c.scalingIn ? `a ${c.symbol} position is already open` : undefined),
  },
  {
    code: 'max_positions',
    guardsExits: false,
    check: (c) => (c.opensNewPosition && c.openPositions >= c.config.maxPositions ? `${c.openPositions} positions are open; the maximum is ${c.config.maxPositions}` : undefined),
  },
  {
    code: 'daily_loss_limit',
    guardsExits: false,
    check: (c) => {
      // Only a loss can hit it: no arithmetic on a day that is flat or up (most signals).
      if (!c.dailyPnl.isNegative()) return undefined;
      const limit = percentOf(c.startOfDayEquity, c.config.dailyLossLimitPct);
      return isAboveZero(limit) && compareDecimal(c.dailyPnl.negated(), limit) >= 0
        ? `today's P&L ${money(c.dailyPnl)} has hit the daily loss limit of ${money(limit)} (${c.config.dailyLossLimitPct.toString()}% of ${money(c.startOfDayEquity)})`
        : undefined;
    },
  },
  {
    code: 'buying_power',
    guardsExits: false,
    check: (c) => (compareDecimal(c.notional, c.buyingPower) > 0 ? `the order needs ${money(c.notional)}; buying power is ${money(c.buyingPower)}` : undefined),
  },
  {
    code: 'max_position_size',
    guardsExits: false,
    check: (c) => {
      const limit = c.maxPositionNotional ?? percentOf(c.equity, c.config.maxPositionSizePct);
      const after = addDecimals(c.positionNotional, c.notional);
      return compareDecimal(after, limit) > 0 ? `the position would be ${money(after)}, above ${c.config.maxPositionSizePct.toString()}% of equity (${money(limit)})` : undefined;
    },
  },
  {
    code: 'max_exposure',
    guardsExits: false,
    check: (c) => {
      const limit = c.maxExposureNotional ?? percentOf(c.equity, c.config.maxAccountExposurePct);
      const after = addDecimals(c.exposure, c.notional);
      return compareDecimal(after, limit) > 0 ? `total exposure would be ${money(after)}, above ${c.config.maxAccountExposurePct.toString()}% of equity (${money(limit)})` : undefined;
    },
  },
];

/** Runs every enabled rule that applies and returns every failure (an empty list passes). */
export function runPreTradeChecks(context: PreTradeContext, rules: readonly PreTradeRule[] = PRE_TRADE_RULES): DecisionReason[] {
  const failures: DecisionReason[] = [];
  for (const rule of rules) {
    if ((context.config.checks as Readonly<Record<string, boolean | undefined>>)[rule.code] === false) continue;
    if (context.purpose === 'exit' && !rule.guardsExits) continue;
    const message = rule.check(context);
    if (message !== undefined) failures.push({ code: rule.code, message });
  }
  return failures;
}

/**
 * A limit per group of symbols (a sector, an industry, a country): a new entry may not take a
 * group's exposure past `maxPct` percent of equity. `groupOf` is the host's classification
 * (undefined: ungrouped, not limited); `maxPct` is one figure for every group or one per group.
 * Reason code `group_exposure`.
 */
export function groupLimitRule(groupOf: (symbol: string) => string | undefined, maxPct: number | Readonly<Record<string, number>>): PreTradeRule {
  // One key function per rule: the engine keeps its totals per function.
  const keyOf = (symbol: string): string | undefined => groupOf(symbol);
  return {
    code: 'group_exposure',
    guardsExits: false,
    check: (c) => {
      const group = groupOf(c.symbol);
      if (group === undefined || (!c.exposureOf && !c.exposureWhere)) return undefined;
      const pct = typeof maxPct === 'number' ? maxPct : maxPct[group];
      if (pct === undefined) return undefined;
      const limit = percentOf(c.equity, new DecimalOf(pct));
      const after = (c.exposureOf ? c.exposureOf(keyOf, group) : c.exposureWhere!((symbol) => groupOf(symbol) === group)).plus(c.notional);
      return compareDecimal(after, limit) > 0 ? `${group} would hold ${money(after)} (${c.symbol} ${money(c.notional)} more), over its limit of ${pct}% of equity (${money(limit)})` : undefined;
    },
  };
}

/** The strategy limits' key: an item's strategy (one function for every rule, so one set of totals). */
const strategyOf = (_symbol: string, strategyId: string | undefined): string | undefined => strategyId;

/** A limit per strategy: a new entry may not take its strategy's exposure past `maxPct` percent of equity. Reason code `strategy_exposure`. */
export function strategyLimitRule(maxPct: number | Readonly<Record<string, number>>): PreTradeRule {
  return {
    code: 'strategy_exposure',
    guardsExits: false,
    check: (c) => {
      if (c.strategyId === undefined || (!c.exposureOf && !c.exposureWhere)) return undefined;
      const pct = typeof maxPct === 'number' ? maxPct : maxPct[c.strategyId];
      if (pct === undefined) return undefined;
      const limit = percentOf(c.equity, new DecimalOf(pct));
      const after = (c.exposureOf ? c.exposureOf(strategyOf, c.strategyId) : c.exposureWhere!((_symbol, strategyId) => strategyId === c.strategyId)).plus(c.notional);
      return compareDecimal(after, limit) > 0 ? `strategy ${c.strategyId} would hold ${money(after)}, over its limit of ${pct}% of equity (${money(limit)})` : undefined;
    },
  };
}
