import { isTerminalStatus, type OrderStatus } from '../model/order-status.js';
import type { OrderHistoryQuery, OrderSummary } from './order-history.js';
import { byCreation, byFillTime, type FillHistoryQuery, type FillSummary, matchesFillQuery, matchesOrderQuery } from './order-history.js';
import { decodeTable, encodeTable, type Table, type TableSchema } from './columns.js';

/*
 * The history's tables — an archived segment's orders and fills as columns (see columns.ts) — and
 * how a query gathers them across segments.
 */

/** An archived segment's orders on disk (`<archive>.orders.columns`): see {@link encodeTable}. */
export const ORDER_TABLE = {
  format: 'tradewire.orders/2',
  text: ['clientOrderId', 'brokerOrderId', 'signalId'],
  coded: ['symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'averageFillPrice', 'limitPrice', 'stopPrice', 'strategyId'],
  time: 'createdAt',
  since: ['updatedAt'],
} as const satisfies TableSchema;
type OrderTable = Table<(typeof ORDER_TABLE.text)[number], (typeof ORDER_TABLE.coded)[number], 'createdAt' | 'updatedAt'>;

/** An archived segment's fills on disk (`<archive>.fills.columns`). */
export const FILL_TABLE = {
  format: 'tradewire.fills/2',
  text: ['executionId', 'clientOrderId'],
  coded: ['symbol', 'side', 'quantity', 'price', 'commission', 'strategyId'],
  time: 'time',
  since: [],
} as const satisfies TableSchema;
type FillTable = Table<(typeof FILL_TABLE.text)[number], (typeof FILL_TABLE.coded)[number], 'time'>;

/** `orders` (sorted by creation) as the text of a segment's order table. */
export function encodeOrderColumns(orders: readonly OrderSummary[]): string {
  return encodeTable(ORDER_TABLE, orders);
}

/** A segment's order table; a `SyntaxError` if the text is not one. */
export function decodeOrderColumns(source: string): OrderTable {
  return decodeTable(ORDER_TABLE, source);
}

/** `fills` (sorted by time) as the text of a segment's fill table. */
export function encodeFillColumns(fills: readonly FillSummary[]): string {
  return encodeTable(FILL_TABLE, fills);
}

/** A segment's fill table; a `SyntaxError` if the text is not one. */
export function decodeFillColumns(source: string): FillTable {
  return decodeTable(FILL_TABLE, source);
}

/** The code a query's value has in a column's dictionary: -1 no condition, -2 a value this table does not hold. */
function codeOf<C extends string>(table: Table<string, C>, column: C, value: string | undefined): number {
  if (value === undefined) return -1;
  const at = table.dictionaries[column].indexOf(value);
  return at === -1 ? -2 : at;
}

/**
 * Orders gathered across segments, oldest segment first: an order seen again in a later segment
 * (it was working at a checkpoint and carried over) is taken in its later state, and its earlier row
 * dropped — whether or not the later state matches the query. Only orders left working can be carried,
 * so only those are remembered: a day of filled orders costs no set of every id.
 */
export class OrderHistoryResult {
  private readonly found: (OrderSummary | undefined)[] = [];
  /** Orders not ended in the rows so far → where their row is in `found` (-1: it did not match). */
  private readonly working = new Map<string, number>();
  /** Rows of `found` dropped for a later state (most queries: none, and no pass to remove them). */
  private superseded = 0;

  constructor(private readonly query: OrderHistoryQuery) {}

  /** Takes a segment's orders as summaries (the current segment, replayed). */
  addSummaries(orders: readonly OrderSummary[]): void {
    for (const order of orders) this.takeRow(order.clientOrderId, isTerminalStatus(order.status), matchesOrderQuery(order, this.query) ? order : undefined);
  }

  /** Takes an archived segment's orders: each row tested on its columns, an object built only for a match. */
  addColumns(columns: OrderTable): void {
    const q = this.query;
    const { text, dictionaries: d, codes: c } = columns;
    const { createdAt, updatedAt } = columns.times;
    const symbol = codeOf(columns, 'symbol', q.symbol);
    const status = codeOf(columns, 'status', q.status);
    const strategy = codeOf(columns, 'strategyId', q.strategyId);
    const ended = d.status.map((s) => s !== undefined && isTerminalStatus(s as OrderStatus));
    // Each column in a local: the loop below runs once per order of the segment.
    const [ids, brokerIds, signalIds] = [text.clientOrderId, text.brokerOrderId, text.signalId];
    const [symbols, sides, types, statuses, quantities, filled, averages, limits, stops, strategies] = [d.symbol, d.side, d.type, d.status, d.quantity, d.filledQuantity, d.averageFillPrice, d.limitPrice, d.stopPrice, d.strategyId];
    const [symbolAt, sideAt, typeAt, statusAt, quantityAt, filledAt, averageAt, limitAt, stopAt, strategyAt] = [c.symbol, c.side, c.type, c.status, c.quantity, c.filledQuantity, c.averageFillPrice, c.limitPrice, c.stopPrice, c.strategyId];
    const { from, to, clientOrderId, after } = q;
    for (let i = 0; i < columns.size; i++) {
      const id = ids[i]!;
      const created = createdAt[i]!;
      const statusCode = statusAt[i]!;
      const matches =
        (from === undefined || created >= from) &&
        (to === undefined || created <= to) &&
        (symbol === -1 || symbolAt[i] === symbol) &&
        (status === -1 || statusCode === status) &&
        (strategy === -1 || strategyAt[i] === strategy) &&
        (clientOrderId === undefined || id === clientOrderId);
      let order: OrderSummary | undefined;
      if (matches) {
        // One shape for every row (absent fields undefined), as the rows were before the columns.
        order = {
          clientOrderId: id,
          brokerOrderId: brokerIds[i],
          symbol: symbols[symbolAt[i]!]!,
          side: sides[sideAt[i]!] as OrderSummary['side'],
          type: types[typeAt[i]!]!,
          status: statuses[statusCode] as OrderStatus,
          quantity: quantities[quantityAt[i]!]!,
          filledQuantity: filled[filledAt[i]!]!,
          averageFillPrice: averages[averageAt[i]!],
          limitPrice: limits[limitAt[i]!],
          stopPrice: stops[stopAt[i]!],
          strategyId: strategies[strategyAt[i]!],
          signalId: signalIds[i],
          createdAt: created,
          updatedAt: updatedAt[i]!,
        } as OrderSummary;
        if (after && !matchesOrderQuery(order, { after })) order = undefined;
      }
      this.takeRow(id, ended[statusCode]!, order);
    }
  }

  /** The orders found, by creation time. */
  orders(): OrderSummary[] {
    const out = this.superseded === 0 ? (this.found as OrderSummary[]) : this.found.filter((o): o is OrderSummary => o !== undefined);
    // Already by creation within each segment and across them, almost always: sort only if not.
    for (let i = 1; i < out.length; i++) {
      if (byCreation(out[i - 1]!, out[i]!) > 0) return out.sort(byCreation);
    }
    return out;
  }

  /**
   * True when the first `limit` orders are all in hand, so older-to-newer reading can stop before
   * segments whose orders were all created after `laterFrom`: `limit` found, the last of them
   * created before `laterFrom`, and no order left working (none can be carried, in a later state,
   * out of what was read).
   */
  hasFirst(limit: number, laterFrom: number): boolean {
    if (this.working.size > 0 || this.found.length - this.superseded < limit) return false;
    return this.orders()[limit - 1]!.createdAt < laterFrom;
  }

  private takeRow(id: string, ended: boolean, order: OrderSummary | undefined): void {
    if (this.working.size > 0) {
      const earlier = this.working.get(id);
      if (earlier !== undefined) {
        if (earlier >= 0) {
          this.found[earlier] = undefined;
          this.superseded++;
        }
        this.working.delete(id);
      }
    }
    const at = order ? this.found.push(order) - 1 : -1;
    if (!ended) this.working.set(id, at);
  }
}

/**
 * Fills gathered across segments, oldest segment first, each execution once. A fill can appear in
 * two segments only when its order was working at a checkpoint and carried over with its fills —
 * and then with a time no later than the fills already taken — so only such a fill is looked up
 * among the earlier ones (a day of orders that filled at once builds no set of every execution id).
 * A repeat is looked up among the matching fills only: both copies hold the same values, so a copy
 * of a fill that did not match does not match either.
 */
export class FillHistoryResult {
  private readonly found: FillSummary[] = [];
  /** The latest time of any fill taken so far, matching or not. */
  private latest = Number.NEGATIVE_INFINITY;
  /** The execution ids in `found`, from the first fill that could repeat an earlier one. */
  private ids: Set<string> | undefined;

  constructor(private readonly query: FillHistoryQuery) {}

  /** Takes a segment's fills as summaries (the current segment, replayed). */
  addSummaries(fills: readonly FillSummary[]): void {
    const before = this.latest;
    for (const fill of fills) {
      if (fill.time <= before && this.seen(fill.executionId)) continue;
      if (fill.time > this.latest) this.latest = fill.time;
      if (matchesFillQuery(fill, this.query)) this.keep(fill);
    }
  }

  /** Takes an archived segment's fills: each row tested on its columns, an object built only for a match. */
  addColumns(table: FillTable): void {
    const q = this.query;
    const { executionId: executionIds, clientOrderId: orderIds } = table.text;
    const { symbol: symbols, side: sides, quantity: quantities, price: prices, commission: commissions, strategyId: strategies } = table.dictionaries;
    const { symbol: symbolAt, side: sideAt, quantity: quantityAt, price: priceAt, commission: commissionAt, strategyId: strategyAt } = table.codes;
    const times = table.times.time;
    const symbol = codeOf(table, 'symbol', q.symbol);
    const strategy = codeOf(table, 'strategyId', q.strategyId);
    const { from, to, clientOrderId, after } = q;
    const before = this.latest;
    for (let i = 0; i < table.size; i++) {
      const time = times[i]!;
      const executionId = executionIds[i]!;
      if (time <= before && this.seen(executionId)) continue;
      if (time > this.latest) this.latest = time;
      const matches =
        (from === undefined || time >= from) &&
        (to === undefined || time <= to) &&
        (symbol === -1 || symbolAt[i] === symbol) &&
        (strategy === -1 || strategyAt[i] === strategy) &&
        (clientOrderId === undefined || orderIds[i] === clientOrderId) &&
        (after === undefined || time > after.time || (time === after.time && executionId > after.executionId));
      if (!matches) continue;
      const strategyId = strategies[strategyAt[i]!];
      this.keep({
        executionId,
        clientOrderId: orderIds[i]!,
        symbol: symbols[symbolAt[i]!]!,
        side: sides[sideAt[i]!] as FillSummary['side'],
        quantity: quantities[quantityAt[i]!]!,
        price: prices[priceAt[i]!]!,
        commission: commissions[commissionAt[i]!]!,
        time,
        ...(strategyId === undefined ? {} : { strategyId }),
      });
    }
  }

  /** The fills found, oldest first. */
  fills(): FillSummary[] {
    return this.found.sort(byFillTime);
  }

  /** True when the first `limit` fills are all in hand: `limit` found, the last of them before `laterFrom` (the earliest fill of any segment not read). */
  hasFirst(limit: number, laterFrom: number): boolean {
    return this.found.length >= limit && this.fills()[limit - 1]!.time < laterFrom;
  }

  private seen(executionId: string): boolean {
    this.ids ??= new Set(this.found.map((f) => f.executionId));
    return this.ids.has(executionId);
  }

  private keep(fill: FillSummary): void {
    this.found.push(fill);
    this.ids?.add(fill.executionId);
  }
}
