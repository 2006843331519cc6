import { formatInTimeZone } from 'date-fns-tz';
import type { TradeReport } from './trade-report.js';

/** A trade report as text for a terminal: totals, performance, execution quality, brokers, and the trades. */
export function formatReport(report: TradeReport): string {
  const tz = report.period.timeZone;
  const t = report.totals;
  const p = report.performance;
  const q = report.executionQuality;
  const when = (at: number | undefined): string => (at === undefined ? '' : formatInTimeZone(at, tz, 'MM-dd HH:mm'));
  const out: string[] = [];
  out.push(`Trade report ${report.period.label} (${report.period.kind}, ${tz})${filtersText(report)}`);
  out.push('');
  out.push(`  trades ${t.trades}   orders ${t.orders}   fills ${t.fills}   volume ${t.volume}   notional ${t.notional}`);
  out.push(`  realized P&L ${t.realizedPnl}   commissions ${t.commissions}`);
  out.push(`  win rate ${pct(p.winRate)}   profit factor ${p.profitFactor ?? '—'}   expectancy ${p.expectancy ?? '—'}   avg win ${p.averageWin ?? '—'}   avg loss ${p.averageLoss ?? '—'}`);
  out.push(`  max drawdown ${p.maxDrawdown}${p.maxDrawdownPercent ? ` (${p.maxDrawdownPercent}%)` : ''}   Sharpe ${p.sharpe ?? '—'}`);
  out.push('');
  out.push(`  execution: fill rate ${pct(q.fillRate)}   rejection rate ${pct(q.rejectionRate)}   slippage bps p50 ${q.slippageBps.p50 ?? '—'} p95 ${q.slippageBps.p95 ?? '—'} max ${q.slippageBps.max ?? '—'} (cost ${q.slippageCost})`);
  out.push(`  latency ms: signal→submit p50 ${q.latencyMs.signalToSubmit.p50 ?? '—'}   submit→first fill p50 ${q.latencyMs.submitToFirstFill.p50 ?? '—'} p95 ${q.latencyMs.submitToFirstFill.p95 ?? '—'}`);
  for (const r of q.rejectionsByReason) out.push(`  ${r.status} ×${r.count}: ${r.reason}`);
  if (report.brokers.length > 1) {
    out.push('');
    out.push('  broker          orders  fill rate  rejected  slip bps p50  p95     commissions');
    for (const b of report.brokers) out.push(`  ${b.broker.padEnd(14)}  ${String(b.orders).padStart(6)}  ${pct(b.fillRate).padStart(9)}  ${pct(b.rejectionRate).padStart(8)}  ${(b.slippageBpsP50 ?? '—').padStart(12)}  ${(b.slippageBpsP95 ?? '—').padStart(6)}  ${b.commissions.padStart(11)}`);
  }
  if (report.trades.length > 0) {
    out.push('');
    out.push('  symbol  side   qty       entry       exit         P&L      fees  opened       closed');
    for (const r of report.trades) {
      out.push(`  ${r.symbol.padEnd(6)}  ${r.side.padEnd(5)} ${r.quantity.padStart(5)}  ${money(r.entryPrice).padStart(10)} ${money(r.exitPrice).padStart(10)}  ${money(r.pnl).padStart(10)}  ${money(r.fees).padStart(8)}  ${when(r.openedAt)}  ${when(r.closedAt)}`);
    }
  }
  return out.join('\n');
}

function filtersText(report: TradeReport): string {
  const f = Object.entries(report.filters).filter(([, v]) => v !== undefined);
  return f.length ? ` — ${f.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
}

function pct(fraction: string | undefined): string {
  return fraction === undefined ? '—' : `${(Number(fraction) * 100).toFixed(1)}%`;
}

/** Two decimals for reading (the exports keep every digit). */
function money(value: string | undefined): string {
  if (value === undefined) return '—';
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(2) : value;
}
