import { Decimal, ZERO } from '../core/decimal.js';
import type { ExecutionRecord } from '../quality/execution-record.js';
import { type AccountNote, loadReportData, type ReportData, type ReportFilters } from './report-data.js';
import { customPeriod, dayOf, DEFAULT_REPORT_TIMEZONE, type ReportPeriod } from './report-period.js';
import type { ReportStore } from './report-store.js';
import { type Distribution, distribution, latencyDistribution, maxDrawdown, sharpeRatio, sum } from './statistics.js';

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

/** The report from data already loaded (pure). */
export function buildTradeReport(data: ReportData, options: TradeReportOptions): TradeReport {
  const period = options.period;
  const trades = data.closed.map(roundTrip);
  const executions = data.executions;
  return {
    period,
    filters: options.filters ?? {},
    generatedAt: options.now ?? period.to,
    totals: totals(trades, executions),
    bySymbol: bySymbol(trades, executions),
    performance: performance(trades, data.accounts, period, options.startingEquity),
    executionQuality: executionQuality(data),
    brokers: brokerComparison(executions),
    trades,
    alerts: data.alerts,
  };
}

/** The report of a custom range (days or instants), for the CLI and quick questions. */
export function rangeReport(store: ReportStore, from: string | number, to: string | number, options: Omit<TradeReportOptions, 'period'> & { readonly timeZone?: string } = {}): Promise<TradeReport> {
  return tradeReport(store, { ...options, period: customPeriod(from, to, options.timeZone ?? DEFAULT_REPORT_TIMEZONE) });
}

function roundTrip(c: ReportData['closed'][number]): RoundTrip {
  return {
    positionId: c.positionId,
    symbol: c.symbol,
    side: c.side,
    ...(c.strategyId ? { strategyId: c.strategyId } : {}),
    ...(c.broker ? { broker: c.broker } : {}),
    ...(c.accountId ? { accountId: c.accountId } : {}),
    quantity: c.maxQuantity,
    entryPrice: c.averageEntryPrice,
    ...(c.exitAveragePrice ? { exitPrice: c.exitAveragePrice } : {}),
    pnl: c.realizedPnl,
    fees: c.commission,
    ...(c.openedAt === undefined ? {} : { openedAt: c.openedAt }),
    closedAt: c.at,
    ...(c.openedAt === undefined ? {} : { holdingMs: c.at - c.openedAt }),
    orderIds: c.orderIds,
  };
}

function filledNotional(e: ExecutionRecord): Decimal {
  return e.averageFillPrice ? new Decimal(e.averageFillPrice).times(e.filledQuantity) : ZERO;
}

function totals(trades: readonly RoundTrip[], executions: readonly ExecutionRecord[]): ReportTotals {
  let volume = ZERO;
  let notional = ZERO;
  let commissions = ZERO;
  let fills = 0;
  for (const e of executions) {
    volume = volume.plus(e.filledQuantity);
    notional = notional.plus(filledNotional(e));
    commissions = commissions.plus(e.commission);
    fills += e.fills;
  }
  return {
    trades: trades.length,
    orders: executions.length,
    fills,
    volume: volume.toFixed(),
    notional: notional.toFixed(),
    realizedPnl: sum(trades.map((t) => new Decimal(t.pnl))).toFixed(),
    commissions: commissions.toFixed(),
    ...(volume.isZero() ? {} : { averageFillPrice: notional.dividedBy(volume).toDecimalPlaces(6).toFixed() }),
  };
}

function bySymbol(trades: readonly RoundTrip[], executions: readonly ExecutionRecord[]): SymbolTotals[] {
  const symbols = [...new Set([...executions.map((e) => e.symbol), ...trades.map((t) => t.symbol)])].sort();
  return symbols.map((symbol) => {
    const t = totals(
      trades.filter((x) => x.symbol === symbol),
      executions.filter((x) => x.symbol === symbol),
    );
    return { symbol, trades: t.trades, volume: t.volume, notional: t.notional, ...(t.averageFillPrice ? { averageFillPrice: t.averageFillPrice } : {}), realizedPnl: t.realizedPnl, commissions: t.commissions };
  });
}

function performance(trades: readonly RoundTrip[], accounts: readonly AccountNote[], period: ReportPeriod, startingEquity: TradeReportOptions['startingEquity']): Performance {
  const pnls = trades.map((t) => new Decimal(t.pnl));
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
  const daily = dailySeries(trades, period, equityAt);
  const drawdown = maxDrawdown(pnls);
  const startEquity = equityAt(trades[0]?.closedAt ?? period.from);
  const returns = daily.map((d) => new Decimal(d.return ?? d.pnl));
  const sharpe = sharpeRatio(returns);
  return {
    ...(trades.length ? { winRate: places(new Decimal(wins.length).dividedBy(trades.length)), expectancy: places(sum(pnls).dividedBy(trades.length)) } : {}),
    ...(grossLoss.isZero() ? {} : { profitFactor: places(grossWin.dividedBy(grossLoss)) }),
    ...(wins.length ? { averageWin: places(grossWin.dividedBy(wins.length)), largestWin: Decimal.max(...wins).toFixed() } : {}),
    ...(losses.length ? { averageLoss: places(grossLoss.dividedBy(losses.length).negated()), largestLoss: Decimal.min(...losses).toFixed() } : {}),
    maxDrawdown: drawdown.amount.toFixed(),
    ...(startEquity && !drawdown.amount.isZero() ? { maxDrawdownPercent: places(drawdown.amount.dividedBy(startEquity.plus(drawdown.peak)).times(100)) } : {}),
    daily,
    ...(sharpe ? { sharpe: sharpe.toDecimalPlaces(4).toFixed() } : {}),
  };
}

/** Every weekday of the period (and any other day with a trade), with the P&L of the trades closed that day. */
function dailySeries(trades: readonly RoundTrip[], period: ReportPeriod, equityAt: (at: number) => Decimal | undefined): DailyPnl[] {
  const days = new Map<string, { pnl: Decimal; trades: number; firstAt: number }>();
  const DAY = 86_400_000;
  // Walk the period a day at a time at noon UTC-ish steps; dayOf names each in the report's timezone.
  if (period.to - period.from <= 400 * DAY) {
    for (let at = period.from; at <= period.to; at += DAY) {
      const date = dayOf(at, period.timeZone);
      const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
      if (weekday !== 0 && weekday !== 6 && !days.has(date)) days.set(date, { pnl: ZERO, trades: 0, firstAt: at });
    }
  }
  for (const t of trades) {
    const date = dayOf(t.closedAt, period.timeZone);
    const day = days.get(date) ?? { pnl: ZERO, trades: 0, firstAt: t.closedAt };
    day.pnl = day.pnl.plus(t.pnl);
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

function executionQuality(data: ReportData): ExecutionQuality {
  const executions = data.executions;
  const byStatus: Record<string, number> = {};
  const reasons = new Map<string, { reason: string; status: string; count: number }>();
  let requested = ZERO;
  let filled = ZERO;
  let sent = 0;
  let refused = 0;
  const slippage: Decimal[] = [];
  let slippageCost = ZERO;
  const latency = { signalToSubmit: [] as number[], submitToAck: [] as number[], submitToFirstFill: [] as number[], submitToComplete: [] as number[], signalToFirstFill: [] as number[] };
  const impacts: Decimal[] = [];
  for (const e of executions) {
    byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    if (e.status !== 'risk_rejected') {
      sent++;
      requested = requested.plus(e.requestedQuantity);
      filled = filled.plus(e.filledQuantity);
    }
    if (e.status === 'rejected' || e.status === 'failed' || e.status === 'risk_rejected') {
      if (e.status !== 'risk_rejected') refused++;
      const reason = e.reason ?? '(no reason given)';
      const key = `${e.status}\u0000${reason}`;
      const entry = reasons.get(key) ?? { reason, status: e.status, count: 0 };
      entry.count++;
      reasons.set(key, entry);
    }
    if (e.slippageBps !== undefined) {
      slippage.push(new Decimal(e.slippageBps));
      slippageCost = slippageCost.plus(e.slippageCost ?? 0);
    }
    if (e.signalToSubmitMs !== undefined) latency.signalToSubmit.push(e.signalToSubmitMs);
    if (e.submitToAckMs !== undefined) latency.submitToAck.push(e.submitToAckMs);
    if (e.submitToFirstFillMs !== undefined) latency.submitToFirstFill.push(e.submitToFirstFillMs);
    if (e.submitToCompleteMs !== undefined && e.fills > 0) latency.submitToComplete.push(e.submitToCompleteMs);
    if (e.signalToFirstFillMs !== undefined) latency.signalToFirstFill.push(e.signalToFirstFillMs);
    const impact = data.impacts.get(e.clientOrderId);
    if (impact) impacts.push(new Decimal(impact.impactBps));
  }
  return {
    orders: executions.length,
    sent,
    byStatus,
    ...(requested.isZero() ? {} : { fillRate: filled.dividedBy(requested).toDecimalPlaces(6).toFixed() }),
    ...(sent ? { rejectionRate: new Decimal(refused).dividedBy(sent).toDecimalPlaces(6).toFixed() } : {}),
    rejectionsByReason: [...reasons.values()].sort((a, b) => b.count - a.count),
    slippageBps: distribution(slippage),
    slippageCost: slippageCost.toFixed(),
    latencyMs: {
      signalToSubmit: latencyDistribution(latency.signalToSubmit),
      submitToAck: latencyDistribution(latency.submitToAck),
      submitToFirstFill: latencyDistribution(latency.submitToFirstFill),
      submitToComplete: latencyDistribution(latency.submitToComplete),
      signalToFirstFill: latencyDistribution(latency.signalToFirstFill),
    },
    marketImpactBps: distribution(impacts),
    slippageAlerts: data.alerts.filter((a) => a.code === 'slippage_exceeded').length,
    confirmations: { looks: data.confirmations.length, mismatched: data.confirmations.filter((c) => !c.confirmed).length },
  };
}

function brokerComparison(executions: readonly ExecutionRecord[]): BrokerComparisonRow[] {
  const groups = new Map<string, ExecutionRecord[]>();
  for (const e of executions) {
    const list = groups.get(e.broker) ?? [];
    list.push(e);
    groups.set(e.broker, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([broker, list]) => {
      const q = executionQuality({ executions: list, impacts: new Map(), confirmations: [], closed: [], accounts: [], alerts: [] });
      let commissions = ZERO;
      let notional = ZERO;
      for (const e of list) {
        commissions = commissions.plus(e.commission);
        notional = notional.plus(filledNotional(e));
      }
      return {
        broker,
        orders: list.length,
        ...(q.fillRate ? { fillRate: q.fillRate } : {}),
        ...(q.rejectionRate ? { rejectionRate: q.rejectionRate } : {}),
        ...(q.slippageBps.mean ? { slippageBpsMean: q.slippageBps.mean, slippageBpsP50: q.slippageBps.p50!, slippageBpsP95: q.slippageBps.p95! } : {}),
        ...(q.latencyMs.submitToFirstFill.p50 ? { submitToFirstFillP50: q.latencyMs.submitToFirstFill.p50, submitToFirstFillP95: q.latencyMs.submitToFirstFill.p95! } : {}),
        commissions: commissions.toFixed(),
        notional: notional.toFixed(),
      };
    });
}
