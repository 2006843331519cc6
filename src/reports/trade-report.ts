import { Decimal, ZERO } from '../core/decimal.js';
import type { Mutable } from '../core/mutable.js';
import { type AccountNote, loadReportData, type ReportData, type ReportFilters } from './report-data.js';
import { customPeriod, dayKeyer, DEFAULT_REPORT_TIMEZONE, type ReportPeriod } from './report-period.js';
import type { ReportStore } from './report-store.js';
import { type Distribution, distributionOfStrings, latencyDistribution, maxDrawdown, sharpeRatio, sum } from './statistics.js';
import { ExecutionTally, type TallyFigures } from './execution-tally.js';

/** One round trip: a position from its first entry to flat. Decimals as exact strings. */
export interface RoundTrip {
  readonly positionId: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly strategyId?: string;
  readonly broker?: string;
  readonly accountId?: string;
  /** The most it held. */
  readonly quantity: string;
  readonly entryPrice: string;
  readonly exitPrice?: string;
  /** Net of every commission. */
  readonly pnl: string;
  readonly fees: string;
  readonly openedAt?: number;
  readonly closedAt: number;
  readonly holdingMs?: number;
  readonly orderIds: readonly string[];
}

export interface ReportTotals {
  /** Round trips closed in the period. */
  readonly trades: number;
  /** Orders that ended in the period (any status). */
  readonly orders: number;
  readonly fills: number;
  /** Units bought and sold. */
  readonly volume: string;
  /** Σ filled quantity × average fill price. */
  readonly notional: string;
  /** Σ of the round trips' P&L (net of commissions). */
  readonly realizedPnl: string;
  /** Σ of every order's commissions in the period. */
  readonly commissions: string;
  /** notional ÷ volume (one symbol; across symbols see `bySymbol`). */
  readonly averageFillPrice?: string;
}

export interface SymbolTotals {
  readonly symbol: string;
  readonly trades: number;
  readonly volume: string;
  readonly notional: string;
  readonly averageFillPrice?: string;
  readonly realizedPnl: string;
  readonly commissions: string;
}

export interface DailyPnl {
  /** `yyyy-MM-dd` in the report's timezone. */
  readonly date: string;
  readonly pnl: string;
  readonly trades: number;
  /** pnl ÷ equity at the start of the day, when the journal has the equity. */
  readonly return?: string;
}

export interface Performance {
  readonly winRate?: string;
  readonly profitFactor?: string;
  /** Average P&L per trade. */
  readonly expectancy?: string;
  readonly averageWin?: string;
  readonly averageLoss?: string;
  readonly largestWin?: string;
  readonly largestLoss?: string;
  /** The deepest fall of cumulative P&L (trade by trade) from its peak, as an amount. */
  readonly maxDrawdown: string;
  /** The same, as a fraction of the equity at the peak, when the equity is known. */
  readonly maxDrawdownPercent?: string;
  readonly daily: readonly DailyPnl[];
  /** Annualized Sharpe ratio of the daily returns (of daily P&L when equity is unknown); two days at least. */
  readonly sharpe?: string;
}

export interface ExecutionQuality {
  readonly orders: number;
  /** Orders that reached the broker (not refused by the engine's own checks). */
  readonly sent: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Σ filled ÷ Σ requested over the orders sent. */
  readonly fillRate?: string;
  /** (rejected + failed) ÷ sent. */
  readonly rejectionRate?: string;
  readonly rejectionsByReason: readonly { readonly reason: string; readonly status: string; readonly count: number }[];
  /** Basis points against the trader, over orders with fills and an expected price. */
  readonly slippageBps: Distribution;
  readonly slippageCost: string;
  readonly latencyMs: {
    readonly signalToSubmit: Distribution;
    readonly submitToAck: Distribution;
    readonly submitToFirstFill: Distribution;
    readonly submitToComplete: Distribution;
    readonly signalToFirstFill: Distribution;
  };
  readonly marketImpactBps: Distribution;
  readonly slippageAlerts: number;
  readonly confirmations: { readonly looks: number; readonly mismatched: number };
}

/** One broker's execution quality, side by side with the others. */
export interface BrokerComparisonRow {
  readonly broker: string;
  readonly orders: number;
  readonly fillRate?: string;
  readonly rejectionRate?: string;
  readonly slippageBpsMean?: string;
  readonly slippageBpsP50?: string;
  readonly slippageBpsP95?: string;
  readonly submitToFirstFillP50?: string;
  readonly submitToFirstFillP95?: string;
  readonly commissions: string;
  readonly notional: string;
}

/** A trade report: plain, typed data; every decimal an exact string. */
export interface TradeReport {
  readonly period: ReportPeriod;
  readonly filters: ReportFilters;
  readonly generatedAt: number;
  readonly totals: ReportTotals;
  readonly bySymbol: readonly SymbolTotals[];
  readonly performance: Performance;
  readonly executionQuality: ExecutionQuality;
  readonly brokers: readonly BrokerComparisonRow[];
  readonly trades: readonly RoundTrip[];
  readonly alerts: ReportData['alerts'];
}

export interface TradeReportOptions {
  readonly period: ReportPeriod;
  readonly filters?: ReportFilters;
  /** The equity to measure returns and drawdown against when the journal has no account snapshot. */
  readonly startingEquity?: Decimal | string | number;
  /** Now, for `generatedAt` (inject the clock's). */
  readonly now?: number;
  readonly onRecord?: () => void;
}

/** Reads the store for the period and builds the report. */
export async function tradeReport(store: ReportStore, options: TradeReportOptions): Promise<TradeReport> {
  const data = await loadReportData(store, options.period, options.filters, options.onRecord);
  return buildTradeReport(data, options);
}

/**
 * The report from data already loaded (pure).
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export function buildTradeReport(data: ReportData, options: TradeReportOptions): TradeReport {
  const period = options.period;
  const trades = data.closed.map(roundTrip);
  // The groups' tallies merged three ways: the whole period, each symbol, each broker.
  const all = new ExecutionTally();
  const symbols = new Map<string, ExecutionTally>();
  const brokers = new Map<string, ExecutionTally>();
  for (const { key, tally } of data.groups) {
    all.merge(tally);
    tallyOf(symbols, key.symbol).merge(tally);
    tallyOf(brokers, key.broker ?? '(unknown)').merge(tally);
  }
  const pnls = trades.map((t) => new Decimal(t.pnl));
  const pnlBySymbol = new Map<string, { trades: number; pnl: Decimal[] }>();
  trades.forEach((t, i) => {
    let entry = pnlBySymbol.get(t.symbol);
    if (!entry) pnlBySymbol.set(t.symbol, (entry = { trades: 0, pnl: [] }));
    entry.trades++;
    entry.pnl.push(pnls[i]!);
  });
  const figures = all.figures();
  const quality = executionQuality(figures, data);
  return {
    period,
    filters: options.filters ?? {},
    generatedAt: options.now ?? period.to,
    totals: totals(figures, trades.length, sum(pnls)),
    bySymbol: [...new Set([...symbols.keys(), ...pnlBySymbol.keys()])].sort().map((symbol) => {
      const f = (symbols.get(symbol) ?? new ExecutionTally()).figures(false);
      const closed = pnlBySymbol.get(symbol);
      const t = totals(f, closed?.trades ?? 0, sum(closed?.pnl ?? []));
      return { symbol, trades: t.trades, volume: t.volume, notional: t.notional, ...(t.averageFillPrice ? { averageFillPrice: t.averageFillPrice } : {}), realizedPnl: t.realizedPnl, commissions: t.commissions };
    }),
    performance: performance(trades, pnls, data.accounts, period, options.startingEquity),
    executionQuality: quality,
    // One broker: its row is the period's figures (no second pass over every observation).
    brokers: [...brokers.keys()].sort().map((broker) => brokerRow(broker, brokers.size === 1 ? figures : brokers.get(broker)!.figures(), brokers.size === 1 ? quality : undefined)),
    trades,
    alerts: data.alerts,
  };
}

function tallyOf(groups: Map<string, ExecutionTally>, key: string): ExecutionTally {
  let tally = groups.get(key);
  if (!tally) groups.set(key, (tally = new ExecutionTally()));
  return tally;
}

/** The report of a custom range (days or instants), for the CLI and quick questions. */
export function rangeReport(store: ReportStore, from: string | number, to: string | number, options: Omit<TradeReportOptions, 'period'> & { readonly timeZone?: string } = {}): Promise<TradeReport> {
  return tradeReport(store, { ...options, period: customPeriod(from, to, options.timeZone ?? DEFAULT_REPORT_TIMEZONE) });
}

/** Built by assignment, not spreads: a report of a busy day lists tens of thousands. */
function roundTrip({ position: c, at }: ReportData['closed'][number]): RoundTrip {
  const trip: Mutable<RoundTrip> = { positionId: c.positionId, symbol: c.symbol, side: c.side, quantity: c.maxQuantity, entryPrice: c.averageEntryPrice, pnl: c.realizedPnl, fees: c.commission, closedAt: at, orderIds: c.orderIds };
  if (c.strategyId) trip.strategyId = c.strategyId;
  if (c.broker) trip.broker = c.broker;
  if (c.accountId) trip.accountId = c.accountId;
  if (c.exitAveragePrice) trip.exitPrice = c.exitAveragePrice;
  if (c.openedAt !== undefined) {
    trip.openedAt = c.openedAt;
    trip.holdingMs = at - c.openedAt;
  }
  return trip;
}

function totals(f: TallyFigures, trades: number, realizedPnl: Decimal): ReportTotals {
  return {
    trades,
    orders: f.orders,
    fills: f.fills,
    volume: f.volume.toFixed(),
    notional: f.notional.toFixed(),
    realizedPnl: realizedPnl.toFixed(),
    commissions: f.commissions.toFixed(),
    ...(f.volume.isZero() ? {} : { averageFillPrice: f.notional.dividedBy(f.volume).toDecimalPlaces(6).toFixed() }),
  };
}

function performance(trades: readonly RoundTrip[], pnls: readonly Decimal[], accounts: readonly AccountNote[], period: ReportPeriod, startingEquity: TradeReportOptions['startingEquity']): Performance {
  const wins = pnls.filter((p) => p.greaterThan(0));
  const losses = pnls.filter((p) => p.lessThan(0));
  const grossWin = sum(wins);
  const grossLoss = sum(losses).negated();
  const places = (d: Decimal): string => d.toDecimalPlaces(6).toFixed();
  const base = startingEquity === undefined ? undefined : new Decimal(startingEquity);
  const equityAt = (at: number): Decimal | undefined => {
    let last: AccountNote | undefined;
    for (const a of accounts) {
      if (a.at > at) break;
      last = a;
    }
    return last ? new Decimal(last.equity) : (accounts[0] ? new Decimal(accounts[0].equity) : base);
  };
  const daily = dailySeries(trades, pnls, period, equityAt);
  const drawdown = maxDrawdown(pnls);
  const startEquity = equityAt(trades[0]?.closedAt ?? period.from);
  const returns = daily.map((d) => new Decimal(d.return ?? d.pnl));
  const sharpe = sharpeRatio(returns);
  return {
    ...(trades.length ? { winRate: places(new Decimal(wins.length).dividedBy(trades.length)), expectancy: places(sum(pnls).dividedBy(trades.length)) } : {}),
    ...(grossLoss.isZero() ? {} : { profitFactor: places(grossWin.dividedBy(grossLoss)) }),
    ...(wins.length ? { averageWin: places(grossWin.dividedBy(wins.length)), largestWin: wins.reduce((a, b) => (b.greaterThan(a) ? b : a)).toFixed() } : {}),
    ...(losses.length ? { averageLoss: places(grossLoss.dividedBy(losses.length).negated()), largestLoss: losses.reduce((a, b) => (b.lessThan(a) ? b : a)).toFixed() } : {}),
    maxDrawdown: drawdown.amount.toFixed(),
    ...(startEquity && !drawdown.amount.isZero() ? { maxDrawdownPercent: places(drawdown.amount.dividedBy(startEquity.plus(drawdown.peak)).times(100)) } : {}),
    daily,
    ...(sharpe ? { sharpe: sharpe.toDecimalPlaces(4).toFixed() } : {}),
  };
}

/** Every weekday of the period (and any other day with a trade), with the P&L of the trades closed that day. */
function dailySeries(trades: readonly RoundTrip[], pnls: readonly Decimal[], period: ReportPeriod, equityAt: (at: number) => Decimal | undefined): DailyPnl[] {
  const dayOf = dayKeyer(period.timeZone);
  const days = new Map<string, { pnl: Decimal; trades: number; firstAt: number }>();
  const DAY = 86_400_000;
  // Walk the period a day at a time at noon UTC-ish steps; dayOf names each in the report's timezone.
  if (period.to - period.from <= 400 * DAY) {
    for (let at = period.from; at <= period.to; at += DAY) {
      const date = dayOf(at);
      const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
      if (weekday !== 0 && weekday !== 6 && !days.has(date)) days.set(date, { pnl: ZERO, trades: 0, firstAt: at });
    }
  }
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i]!;
    const date = dayOf(t.closedAt);
    const day = days.get(date) ?? { pnl: ZERO, trades: 0, firstAt: t.closedAt };
    day.pnl = day.pnl.plus(pnls[i]!);
    day.trades++;
    days.set(date, day);
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, d]) => {
      const equity = equityAt(d.firstAt);
      return { date, pnl: d.pnl.toFixed(), trades: d.trades, ...(equity && !equity.isZero() ? { return: d.pnl.dividedBy(equity).toDecimalPlaces(8).toFixed() } : {}) };
    });
}

function executionQuality(f: TallyFigures, data: Pick<ReportData, 'alerts' | 'confirmations'>): ExecutionQuality {
  return {
    orders: f.orders,
    sent: f.sent,
    byStatus: f.byStatus,
    ...(f.requested.isZero() ? {} : { fillRate: f.filled.dividedBy(f.requested).toDecimalPlaces(6).toFixed() }),
    ...(f.sent ? { rejectionRate: new Decimal(f.refused).dividedBy(f.sent).toDecimalPlaces(6).toFixed() } : {}),
    rejectionsByReason: f.rejections,
    slippageBps: distributionOfStrings(f.slippageBps),
    slippageCost: f.slippageCost.toFixed(),
    latencyMs: {
      signalToSubmit: latencyDistribution(f.latency.signalToSubmit),
      submitToAck: latencyDistribution(f.latency.submitToAck),
      submitToFirstFill: latencyDistribution(f.latency.submitToFirstFill),
      submitToComplete: latencyDistribution(f.latency.submitToComplete),
      signalToFirstFill: latencyDistribution(f.latency.signalToFirstFill),
    },
    marketImpactBps: distributionOfStrings(f.impactBps),
    slippageAlerts: data.alerts.filter((a) => a.code === 'slippage_exceeded').length,
    confirmations: { looks: data.confirmations.length, mismatched: data.confirmations.filter((c) => !c.confirmed).length },
  };
}

function brokerRow(broker: string, f: TallyFigures, computed?: ExecutionQuality): BrokerComparisonRow {
  const slippage = computed?.slippageBps ?? distributionOfStrings(f.slippageBps);
  const latency = computed?.latencyMs.submitToFirstFill ?? latencyDistribution(f.latency.submitToFirstFill);
  return {
    broker,
    orders: f.orders,
    ...(f.requested.isZero() ? {} : { fillRate: f.filled.dividedBy(f.requested).toDecimalPlaces(6).toFixed() }),
    ...(f.sent ? { rejectionRate: new Decimal(f.refused).dividedBy(f.sent).toDecimalPlaces(6).toFixed() } : {}),
    ...(slippage.mean ? { slippageBpsMean: slippage.mean, slippageBpsP50: slippage.p50!, slippageBpsP95: slippage.p95! } : {}),
    ...(latency.p50 ? { submitToFirstFillP50: latency.p50, submitToFirstFillP95: latency.p95! } : {}),
    commissions: f.commissions.toFixed(),
    notional: f.notional.toFixed(),
  };
}
