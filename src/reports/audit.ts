import { formatInTimeZone } from 'date-fns-tz';
import { Decimal } from '../core/decimal.js';
import { OrderNotFoundError } from '../core/errors.js';
import type { JournalQuery, JournalRecord } from '../journal/journal.js';
import type { Order } from '../model/order.js';
import type { OrderStatus } from '../model/order-status.js';
import type { Mutable } from '../core/mutable.js';
import type { ExecutionRecord } from '../quality/execution-record.js';
import { EXECUTION_TOPIC } from '../quality/execution-record.js';
import type { ReportFilters } from './report-data.js';
import { DEFAULT_REPORT_TIMEZONE, type ReportPeriod } from './report-period.js';
import type { ReportStore, TimeRange } from './report-store.js';

/** One audit record as a flat row: what the regulatory report and the audit search return. Decimals as exact strings. */
export interface AuditRow {
  readonly seq: number;
  readonly at: number;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly kind: JournalRecord['kind'];
  readonly clientOrderId?: string;
  readonly brokerOrderId?: string;
  readonly symbol?: string;
  readonly strategyId?: string;
  readonly signalId?: string;
  readonly side?: string;
  readonly orderType?: string;
  readonly quantity?: string;
  readonly limitPrice?: string;
  readonly stopPrice?: string;
  /** The status before (order events). */
  readonly from?: string;
  /** The status after. */
  readonly status?: string;
  /** The order event (`accepted`, `filled`, …), or the note's topic. */
  readonly event?: string;
  readonly outcome?: string;
  readonly executionId?: string;
  readonly fillQuantity?: string;
  readonly fillPrice?: string;
  readonly commission?: string;
  readonly reason?: string;
  /** A note's data, as JSON. */
  readonly detail?: string;
}

/** What to look for in the audit trail (all given conditions hold). */
export interface AuditQuery extends TimeRange {
  /** A client order id, or a broker's order id. */
  readonly orderId?: string;
  readonly symbol?: string;
  readonly strategyId?: string;
  /** Records that left an order in this status. */
  readonly status?: OrderStatus;
  /** Notes of this topic. */
  readonly topic?: string;
  /** Case-insensitive text in a reason, an error message or a note's data. */
  readonly text?: string;
  readonly limit?: number;
}

type OrderDetails = Pick<Order, 'side' | 'type' | 'quantity' | 'limitPrice' | 'stopPrice' | 'strategyId' | 'signalId'>;

/** The order details of every order the scan meets; an order created before the scan is looked up once. */
class OrderDirectory {
  private readonly known = new Map<string, OrderDetails | null>();

  constructor(private readonly store: ReportStore) {}

  see(record: JournalRecord): void {
    if (record.kind === 'order.created') this.known.set(record.clientOrderId, record.order);
  }

  async get(clientOrderId: string): Promise<OrderDetails | undefined> {
    const known = this.known.get(clientOrderId);
    if (known !== undefined) return known ?? undefined;
    let found: OrderDetails | null = null;
    for await (const record of this.store.records({ clientOrderId, kinds: ['order.created'], limit: 1 })) if (record.kind === 'order.created') found = record.order;
    this.known.set(clientOrderId, found);
    return found ?? undefined;
  }
}

const text = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : Decimal.isDecimal(value) ? (value as Decimal).toFixed() : String(value));

/** The row of one record, with its order's details. */
export function auditRow(record: JournalRecord, order: OrderDetails | undefined): AuditRow {
  const row: Record<string, unknown> = { seq: record.seq, at: record.at, time: new Date(record.at).toISOString(), kind: record.kind };
  const put = (key: keyof AuditRow, value: unknown): void => {
    const v = text(value);
    if (v !== undefined) row[key] = v;
  };
  if (record.kind !== 'note' || record.clientOrderId) put('clientOrderId', record.clientOrderId);
  put('symbol', record.symbol);
  if (order) {
    put('strategyId', order.strategyId);
    put('signalId', order.signalId);
    put('side', order.side);
    put('orderType', order.type);
    put('quantity', order.quantity);
    put('limitPrice', order.limitPrice);
    put('stopPrice', order.stopPrice);
  }
  if (record.kind === 'order.created') {
    put('status', record.status);
    put('event', 'created');
  } else if (record.kind === 'order.event') {
    put('brokerOrderId', record.brokerOrderId);
    put('from', record.from);
    put('status', record.status);
    put('event', record.eventType);
    put('outcome', record.outcome);
    const event = record.event as { fill?: { executionId: string; quantity: Decimal; price: Decimal; commission: Decimal }; reason?: string };
    if (event.fill) {
      put('executionId', event.fill.executionId);
      put('fillQuantity', event.fill.quantity);
      put('fillPrice', event.fill.price);
      put('commission', event.fill.commission);
    }
    put('reason', record.reason ?? event.reason);
  } else {
    put('event', record.topic);
    const data = record.data as Record<string, unknown> | undefined;
    if (!order && data && typeof data.strategyId === 'string') put('strategyId', data.strategyId);
    if (data !== undefined) row.detail = JSON.stringify(data);
  }
  return row as unknown as AuditRow;
}

/**
 * Searches the audit trail: every record that matches, oldest first, as rows. An order id may be
 * the broker's. `onRecord` is called per record read (a progress bar).
 */
export async function* searchAudit(store: ReportStore, query: AuditQuery, onRecord?: () => void): AsyncIterable<AuditRow> {
  const directory = new OrderDirectory(store);
  const filter: Mutable<JournalQuery> = {};
  if (query.from !== undefined) filter.from = query.from;
  if (query.to !== undefined) filter.to = query.to;
  if (query.symbol !== undefined) filter.symbol = query.symbol;
  if (query.status !== undefined) filter.status = query.status;
  if (query.topic !== undefined) filter.topic = query.topic;
  if (query.orderId !== undefined) filter.clientOrderId = await clientOrderIdOf(store, query.orderId);
  const needle = query.text?.toLowerCase();
  let yielded = 0;
  for await (const record of store.records(filter)) {
    onRecord?.();
    directory.see(record);
    const order = record.kind === 'note' && !record.clientOrderId ? undefined : await directory.get(record.clientOrderId!);
    const row = auditRow(record, order);
    if (query.strategyId !== undefined && row.strategyId !== query.strategyId) continue;
    if (needle && !`${row.reason ?? ''}\u0000${row.detail ?? ''}\u0000${row.event ?? ''}`.toLowerCase().includes(needle)) continue;
    yield row;
    if (query.limit !== undefined && ++yielded >= query.limit) return;
  }
}

/** A broker's order id is taken for the client order id it belongs to. */
async function clientOrderIdOf(store: ReportStore, orderId: string): Promise<string> {
  for await (const _ of store.records({ clientOrderId: orderId, limit: 1 })) return orderId;
  for await (const record of store.records({ brokerOrderId: orderId, limit: 1 })) if (record.kind !== 'note') return record.clientOrderId;
  return orderId;
}

/**
 * The regulatory report: every order record of the period (creations and every state change, with
 * the order's details on each row), in the audit trail's order. Streams, for long periods.
 */
export async function* regulatoryReport(store: ReportStore, period: Pick<ReportPeriod, 'from' | 'to'>, filters: ReportFilters = {}, onRecord?: () => void): AsyncIterable<AuditRow> {
  const directory = new OrderDirectory(store);
  const filter: Mutable<JournalQuery> = { kinds: ['order.created', 'order.event'], from: period.from, to: period.to };
  if (filters.symbol !== undefined) filter.symbol = filters.symbol;
  for await (const record of store.records(filter)) {
    onRecord?.();
    if (record.kind === 'note') continue;
    directory.see(record);
    const order = await directory.get(record.clientOrderId);
    if (filters.strategyId !== undefined && order?.strategyId !== filters.strategyId) continue;
    yield auditRow(record, order);
  }
}

/** An order's whole story, readable. */
export interface OrderExplanation {
  readonly clientOrderId: string;
  readonly brokerOrderIds: readonly string[];
  readonly symbol: string;
  readonly status: string;
  /** One line per step, oldest first: time, what happened. */
  readonly lines: readonly string[];
  readonly rows: readonly AuditRow[];
  readonly execution?: ExecutionRecord;
}

/**
 * Every record of one order (by client or broker id) — creation, each state change and fill, its
 * execution record, its alerts — as a timeline in words. Throws {@link OrderNotFoundError} when the
 * store has none.
 */
export async function explainOrder(store: ReportStore, orderId: string, timeZone = DEFAULT_REPORT_TIMEZONE): Promise<OrderExplanation> {
  const clientOrderId = await clientOrderIdOf(store, orderId);
  const rows: AuditRow[] = [];
  const lines: string[] = [];
  const brokerIds = new Set<string>();
  let execution: ExecutionRecord | undefined;
  let order: OrderDetails | undefined;
  let symbol = '';
  let status = '';
  for await (const record of store.records({ clientOrderId })) {
    if (record.kind === 'order.created') order = record.order;
    if (record.kind === 'note' && record.topic === EXECUTION_TOPIC) execution = record.data as ExecutionRecord;
    const row = auditRow(record, order);
    rows.push(row);
    if (row.brokerOrderId) brokerIds.add(row.brokerOrderId);
    symbol = row.symbol ?? symbol;
    if (record.kind !== 'note') status = row.status ?? status;
    lines.push(`${formatInTimeZone(record.at, timeZone, 'yyyy-MM-dd HH:mm:ss.SSS')}  ${describe(record, row)}`);
  }
  if (rows.length === 0) throw new OrderNotFoundError(orderId);
  return { clientOrderId, brokerOrderIds: [...brokerIds], symbol, status, lines, rows, ...(execution ? { execution } : {}) };
}

function describe(record: JournalRecord, row: AuditRow): string {
  if (record.kind === 'order.created') {
    const price = [row.limitPrice ? `limit ${row.limitPrice}` : '', row.stopPrice ? `stop ${row.stopPrice}` : ''].filter(Boolean).join(' ');
    const why = [row.strategyId ? `strategy ${row.strategyId}` : '', row.signalId ? `signal ${row.signalId}` : ''].filter(Boolean).join(', ');
    return `created: ${row.side} ${row.quantity} ${row.symbol} ${row.orderType}${price ? ` ${price}` : ''}${why ? ` (${why})` : ''}`;
  }
  if (record.kind === 'order.event') {
    const change = row.from === row.status ? `stays ${row.status}` : `${row.from} → ${row.status}`;
    const fill = row.fillQuantity ? `: ${row.fillQuantity} @ ${row.fillPrice}, fee ${row.commission} (execution ${row.executionId})` : '';
    const broker = record.eventType === 'accepted' && row.brokerOrderId ? ` as ${row.brokerOrderId}` : '';
    const ignored = row.outcome && row.outcome !== 'applied' ? ` [${row.outcome}, changed nothing]` : '';
    return `${row.event}${broker}${fill}, ${change}${row.reason ? ` — ${row.reason}` : ''}${ignored}`;
  }
  if (record.topic === EXECUTION_TOPIC) {
    const e = record.data as ExecutionRecord;
    const slip = e.slippageBps !== undefined ? `slippage ${e.slippageBps} bps (${e.slippageCost}) against ${e.expectedPrice} (${e.expectedPriceSource})` : 'no slippage measured';
    const times = [e.signalToSubmitMs !== undefined ? `signal→submit ${e.signalToSubmitMs} ms` : '', e.submitToFirstFillMs !== undefined ? `submit→first fill ${e.submitToFirstFillMs} ms` : ''].filter(Boolean).join(', ');
    return `execution recorded: ${e.status}, filled ${e.filledQuantity}/${e.requestedQuantity}${e.averageFillPrice ? ` @ ${e.averageFillPrice}` : ''}, ${slip}${times ? `; ${times}` : ''}`;
  }
  const data = record.data as { severity?: string; code?: string; message?: string } | undefined;
  if (record.topic === 'alert' && data) return `alert (${data.severity}) ${data.code}: ${data.message}`;
  return `${record.topic}${row.detail ? ` ${row.detail}` : ''}`;
}
