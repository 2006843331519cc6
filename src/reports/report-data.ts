import { ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, type ClosedPositionRecord, POSITION_CLOSED_TOPIC } from '../journal/history-notes.js';
import { EXECUTION_CONFIRMED_TOPIC, EXECUTION_IMPACT_TOPIC, EXECUTION_TOPIC, type ExecutionRecord, type MarketImpact } from '../quality/execution-record.js';
import type { ExecutionConfirmation } from '../quality/execution-confirmation.js';
import type { ReportStore, TimeRange } from './report-store.js';

/** Which records a report covers (all given conditions hold). */
export interface ReportFilters {
  readonly strategyId?: string;
  readonly symbol?: string;
  readonly broker?: string;
  readonly accountId?: string;
}

/** An account snapshot as journaled (`account.snapshot`). */
export interface AccountNote {
  readonly at: number;
  readonly equity: string;
  readonly cash?: string;
  readonly buyingPower?: string;
}

export interface AlertNote {
  readonly at: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly clientOrderId?: string;
}

/** What one pass over the store gathers for a report. */
export interface ReportData {
  /** The last revision of each order's execution record, by completion. */
  readonly executions: readonly ExecutionRecord[];
  readonly impacts: ReadonlyMap<string, MarketImpact>;
  readonly confirmations: readonly ExecutionConfirmation[];
  /** Positions closed in the range. */
  readonly closed: readonly (ClosedPositionRecord & { readonly at: number })[];
  readonly accounts: readonly AccountNote[];
  readonly alerts: readonly AlertNote[];
}

const TOPICS = [EXECUTION_TOPIC, EXECUTION_IMPACT_TOPIC, EXECUTION_CONFIRMED_TOPIC, POSITION_CLOSED_TOPIC, ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC];

/**
 * Reads the notes a report needs from `store` for `range`, keeping those that pass `filters`.
 * `onRecord` is called per record read (a progress bar).
 */
export async function loadReportData(store: ReportStore, range: TimeRange, filters: ReportFilters = {}, onRecord?: () => void): Promise<ReportData> {
  const executions = new Map<string, ExecutionRecord>();
  const impacts = new Map<string, MarketImpact>();
  const confirmations: ExecutionConfirmation[] = [];
  const closed: (ClosedPositionRecord & { at: number })[] = [];
  const accounts: AccountNote[] = [];
  const alerts: AlertNote[] = [];
  for await (const record of store.notes(TOPICS, range)) {
    onRecord?.();
    if (record.kind !== 'note') continue;
    const data = record.data as Record<string, unknown>;
    switch (record.topic) {
      case EXECUTION_TOPIC: {
        const execution = data as unknown as ExecutionRecord;
        if (!passes(filters, execution.symbol, execution.strategyId, execution.broker, execution.accountId)) break;
        // A later revision (a late fill) replaces the earlier one, in its place.
        executions.delete(execution.clientOrderId);
        executions.set(execution.clientOrderId, execution);
        break;
      }
      case EXECUTION_IMPACT_TOPIC:
        impacts.set((data as unknown as MarketImpact).clientOrderId, data as unknown as MarketImpact);
        break;
      case EXECUTION_CONFIRMED_TOPIC:
        confirmations.push(data as unknown as ExecutionConfirmation);
        break;
      case POSITION_CLOSED_TOPIC: {
        const trade = data as unknown as ClosedPositionRecord;
        if (passes(filters, trade.symbol, trade.strategyId, trade.broker, trade.accountId)) closed.push({ ...trade, at: trade.closedAt ?? record.at });
        break;
      }
      case ACCOUNT_SNAPSHOT_TOPIC:
        if (typeof data.equity === 'string') accounts.push({ at: record.at, equity: data.equity, ...(typeof data.cash === 'string' ? { cash: data.cash } : {}), ...(typeof data.buyingPower === 'string' ? { buyingPower: data.buyingPower } : {}) });
        break;
      case ALERT_TOPIC:
        alerts.push({ at: record.at, severity: String(data.severity), code: String(data.code), message: String(data.message), ...(record.clientOrderId ? { clientOrderId: record.clientOrderId } : {}) });
        break;
    }
  }
  const ordered = [...executions.values()].sort((a, b) => a.completedAt - b.completedAt);
  return { executions: ordered, impacts, confirmations, closed: closed.sort((a, b) => a.at - b.at), accounts, alerts };
}

function passes(filters: ReportFilters, symbol: string, strategyId: string | undefined, broker: string | undefined, accountId: string | undefined): boolean {
  if (filters.symbol !== undefined && symbol !== filters.symbol) return false;
  if (filters.strategyId !== undefined && strategyId !== filters.strategyId) return false;
  if (filters.broker !== undefined && broker !== filters.broker) return false;
  if (filters.accountId !== undefined && accountId !== filters.accountId) return false;
  return true;
}
