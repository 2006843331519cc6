import type { Order } from '../model/order.js';
import type { OrderStatus } from '../model/order-status.js';
import type { JournalRecord } from './journal.js';
import { replayJournal } from '../recovery/replay-journal.js';

/** One order as the journal last saw it: the row of an order-history query. Decimals as strings. */
export interface OrderSummary {
  readonly clientOrderId: string;
  readonly brokerOrderId?: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string;
  readonly status: OrderStatus;
  readonly quantity: string;
  readonly filledQuantity: string;
  readonly averageFillPrice?: string;
  readonly limitPrice?: string;
  readonly stopPrice?: string;
  readonly strategyId?: string;
  readonly signalId?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Which orders an order-history query returns (all given conditions hold); oldest first. */
export interface OrderHistoryQuery {
  /** Created at or after (epoch ms). */
  readonly from?: number;
  /** Created at or before. */
  readonly to?: number;
  readonly symbol?: string;
  readonly strategyId?: string;
  readonly status?: OrderStatus;
  readonly clientOrderId?: string;
  /** At most this many (default 10 000); page on with `after`. */
  readonly limit?: number;
  /** The last summary of the previous page: the next page starts after it. */
  readonly after?: Pick<OrderSummary, 'createdAt' | 'clientOrderId'>;
}

/** The orders `records` leave behind, in their last state. */
export function summarizeOrders(records: Iterable<JournalRecord>): OrderSummary[] {
  return summarizeSegment(records).orders;
}

/** A segment's orders (in their last state) and executions, from one replay of its records. */
export function summarizeSegment(records: Iterable<JournalRecord>): { orders: OrderSummary[]; fills: FillSummary[] } {
  const replayed = replayJournal(records);
  const byId = new Map(replayed.orders.map((o) => [o.clientOrderId, o]));
  const fills: FillSummary[] = [];
  for (const { clientOrderId, fill } of replayed.fills) {
    const order = byId.get(clientOrderId);
    if (!order) continue;
    fills.push({
      executionId: fill.executionId,
      clientOrderId,
      symbol: order.symbol,
      side: order.side,
      quantity: fill.quantity.toFixed(),
      price: fill.price.toFixed(),
      commission: fill.commission.toFixed(),
      time: fill.time,
      ...(order.strategyId ? { strategyId: order.strategyId } : {}),
    });
  }
  return { orders: replayed.orders.map(summarize), fills };
}

/** One execution, with its order's symbol, side and strategy: the row of a fills query. Decimals as strings. */
export interface FillSummary {
  readonly executionId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: string;
  readonly price: string;
  readonly commission: string;
  readonly time: number;
  readonly strategyId?: string;
}

/** Which fills a fills query returns (all given conditions hold); oldest first. */
export interface FillHistoryQuery {
  readonly from?: number;
  readonly to?: number;
  readonly symbol?: string;
  readonly strategyId?: string;
  readonly clientOrderId?: string;
  /** At most this many (default 10 000); page on with `after`. */
  readonly limit?: number;
  readonly after?: Pick<FillSummary, 'time' | 'executionId'>;
}

/** The executions in `records` (each once), joined with their orders. */
export function summarizeFills(records: Iterable<JournalRecord>): FillSummary[] {
  return summarizeSegment(records).fills;
}

export function matchesFillQuery(f: FillSummary, q: FillHistoryQuery): boolean {
  if (q.from !== undefined && f.time < q.from) return false;
  if (q.to !== undefined && f.time > q.to) return false;
  if (q.symbol !== undefined && f.symbol !== q.symbol) return false;
  if (q.strategyId !== undefined && f.strategyId !== q.strategyId) return false;
  if (q.clientOrderId !== undefined && f.clientOrderId !== q.clientOrderId) return false;
  if (q.after && (f.time < q.after.time || (f.time === q.after.time && f.executionId <= q.after.executionId))) return false;
  return true;
}

/** Oldest first, ties by execution id. */
export function byFillTime(a: FillSummary, b: FillSummary): number {
  return a.time - b.time || (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0);
}

export function summarize(order: Order): OrderSummary {
  return {
    clientOrderId: order.clientOrderId,
    ...(order.brokerOrderId ? { brokerOrderId: order.brokerOrderId } : {}),
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    status: order.status,
    quantity: order.quantity.toFixed(),
    filledQuantity: order.filledQuantity.toFixed(),
    ...(order.averageFillPrice ? { averageFillPrice: order.averageFillPrice.toFixed() } : {}),
    ...(order.limitPrice ? { limitPrice: order.limitPrice.toFixed() } : {}),
    ...(order.stopPrice ? { stopPrice: order.stopPrice.toFixed() } : {}),
    ...(order.strategyId ? { strategyId: order.strategyId } : {}),
    ...(order.signalId ? { signalId: order.signalId } : {}),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export function matchesOrderQuery(o: OrderSummary, q: OrderHistoryQuery): boolean {
  if (q.from !== undefined && o.createdAt < q.from) return false;
  if (q.to !== undefined && o.createdAt > q.to) return false;
  if (q.symbol !== undefined && o.symbol !== q.symbol) return false;
  if (q.strategyId !== undefined && o.strategyId !== q.strategyId) return false;
  if (q.status !== undefined && o.status !== q.status) return false;
  if (q.clientOrderId !== undefined && o.clientOrderId !== q.clientOrderId) return false;
  if (q.after && (o.createdAt < q.after.createdAt || (o.createdAt === q.after.createdAt && o.clientOrderId <= q.after.clientOrderId))) return false;
  return true;
}

/** The columns of a segment's order summary as written before the columnar format (`<archive>.orders.json`). */
const ROW_COLUMNS = ['clientOrderId', 'brokerOrderId', 'symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'averageFillPrice', 'limitPrice', 'stopPrice', 'strategyId', 'signalId', 'createdAt', 'updatedAt'] as const;

/** An order of a summary written as JSON rows (an archive summarized by an earlier version). */
export function summaryFromRow(row: readonly unknown[]): OrderSummary {
  const order: Record<string, unknown> = {};
  ROW_COLUMNS.forEach((column, i) => {
    if (row[i] !== null && row[i] !== undefined) order[column] = row[i];
  });
  return order as unknown as OrderSummary;
}

/** Oldest first, ties by client order id: a stable order for paging. */
export function byCreation(a: OrderSummary, b: OrderSummary): number {
  return a.createdAt - b.createdAt || (a.clientOrderId < b.clientOrderId ? -1 : a.clientOrderId > b.clientOrderId ? 1 : 0);
}
