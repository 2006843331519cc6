import { isTerminalStatus, type OrderStatus } from '../model/order-status.js';
import type { OrderHistoryQuery, OrderSummary } from './order-history.js';
import { matchesOrderQuery } from './order-history.js';

/**
 * An archived segment's orders on disk, by column: a JSON header (the row count, a dictionary for
 * each column with few distinct values), then one line per column. Ids are written as plain
 * tab-separated text, dictionary columns as one character per row, times as integer deltas — a day of
 * 100 000 orders reads ~3× faster than the same rows as JSON arrays (docs/benchmarks.md, "Order
 * history over a day"), because splitting plain text makes strings far faster than `JSON.parse`
 * and a query tests codes before building any object.
 */
export const ORDER_COLUMNS_FORMAT = 'tradewire.orders/2';

/** Columns with few distinct values in practice: stored as a dictionary and a code per row. */
const CODED = ['symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'averageFillPrice', 'limitPrice', 'stopPrice', 'strategyId'] as const;
type Coded = (typeof CODED)[number];
/** Columns of (mostly) distinct strings: written as they are. */
const TEXT = ['clientOrderId', 'brokerOrderId', 'signalId'] as const;
type Text = (typeof TEXT)[number];

/** One character per row while a dictionary has at most this many entries. */
const CODE_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface Header {
  readonly format: string;
  readonly size: number;
  readonly dictionaries: Record<Coded, (string | null)[]>;
  /** How each text column and the times are written: `text`/`delta`, or `json` where a value would not survive plain text. */
  readonly encoding: Record<Text | 'times', 'text' | 'delta' | 'json'>;
}

/** A segment's orders, decoded: the columns a query reads, objects built only for the rows it returns. */
export interface OrderColumns {
  readonly size: number;
  readonly text: Record<Text, readonly (string | undefined)[]>;
  readonly dictionaries: Record<Coded, readonly (string | undefined)[]>;
  readonly codes: Record<Coded, ArrayLike<number>>;
  readonly createdAt: ArrayLike<number>;
  readonly updatedAt: ArrayLike<number>;
}

/** `orders` (sorted by creation) as the text of a columnar summary. */
export function encodeOrderColumns(orders: readonly OrderSummary[]): string {
  const field = (o: OrderSummary, c: Coded | Text): string | null => (o as unknown as Record<string, string | undefined>)[c] ?? null;
  const dictionaries = {} as Record<Coded, (string | null)[]>;
  const codeLines: string[] = [];
  for (const column of CODED) {
    const index = new Map<string | null, number>();
    const codes = orders.map((o) => {
      const value = field(o, column);
      let code = index.get(value);
      if (code === undefined) index.set(value, (code = index.size));
      return code;
    });
    dictionaries[column] = [...index.keys()];
    codeLines.push(index.size <= CODE_CHARS.length ? codes.map((c) => CODE_CHARS[c]).join('') : codes.join('\t'));
  }
  const encoding = {} as Record<Text | 'times', 'text' | 'delta' | 'json'>;
  const textLines = TEXT.map((column) => {
    const values = orders.map((o) => field(o, column));
    // Plain text holds any value but the empty string (it stands for "none") and the separators.
    const plain = values.every((v) => v === null || (v !== '' && !/[\t\n\r]/.test(v)));
    encoding[column] = plain ? 'text' : 'json';
    return plain ? values.map((v) => v ?? '').join('\t') : JSON.stringify(values);
  });
  const integers = orders.every((o) => Number.isSafeInteger(o.createdAt) && Number.isSafeInteger(o.updatedAt));
  encoding.times = integers ? 'delta' : 'json';
  let previous = 0;
  const created = orders.map((o) => {
    const delta = o.createdAt - previous;
    previous = o.createdAt;
    return delta;
  });
  const timeLines = integers ? [created.join('\t'), orders.map((o) => o.updatedAt - o.createdAt).join('\t')] : [JSON.stringify(orders.map((o) => o.createdAt)), JSON.stringify(orders.map((o) => o.updatedAt))];
  const header: Header = { format: ORDER_COLUMNS_FORMAT, size: orders.length, dictionaries, encoding };
  return `${[JSON.stringify(header), ...textLines, ...timeLines, ...codeLines].join('\n')}\n`;
}

/** Reads a columnar summary written by {@link encodeOrderColumns}; throws a `SyntaxError` on anything else. */
export function decodeOrderColumns(source: string): OrderColumns {
  const lines = source.split('\n');
  const header = JSON.parse(lines[0]!) as Header;
  if (header.format !== ORDER_COLUMNS_FORMAT || lines.length !== 1 + TEXT.length + 2 + CODED.length + 1) throw new SyntaxError('not a tradewire order summary');
  const size = header.size;
  const split = (line: string): string[] => (size === 0 ? [] : line.split('\t'));
  const checked = <T extends ArrayLike<unknown>>(values: T): T => {
    if (values.length !== size) throw new SyntaxError('order summary: a column does not have a value per order');
    return values;
  };
  let line = 1;
  const text = {} as Record<Text, (string | undefined)[]>;
  for (const column of TEXT) {
    const raw = lines[line++]!;
    text[column] = checked(header.encoding[column] === 'text' ? split(raw).map((v) => (v === '' ? undefined : v)) : (JSON.parse(raw) as (string | null)[]).map((v) => v ?? undefined));
  }
  let createdAt: ArrayLike<number>;
  let updatedAt: ArrayLike<number>;
  if (header.encoding.times === 'delta') {
    const created = integersOf(lines[line++]!, size);
    const updated = integersOf(lines[line++]!, size);
    let at = 0;
    for (let i = 0; i < size; i++) {
      at += created[i]!;
      created[i] = at;
      updated[i]! += at;
    }
    createdAt = created;
    updatedAt = updated;
  } else {
    createdAt = checked(JSON.parse(lines[line++]!) as number[]);
    updatedAt = checked(JSON.parse(lines[line++]!) as number[]);
  }
  const dictionaries = {} as Record<Coded, (string | undefined)[]>;
  const codes = {} as Record<Coded, ArrayLike<number>>;
  for (const column of CODED) {
    const dictionary = header.dictionaries[column].map((v) => v ?? undefined);
    const raw = lines[line++]!;
    let columnCodes: Uint32Array;
    if (dictionary.length <= CODE_CHARS.length) {
      columnCodes = new Uint32Array(raw.length);
      for (let i = 0; i < raw.length; i++) columnCodes[i] = charCode(raw.charCodeAt(i));
    } else columnCodes = Uint32Array.from(split(raw), Number);
    checked(columnCodes);
    for (const code of columnCodes) if (!(code < dictionary.length)) throw new SyntaxError('order summary: a code outside its dictionary');
    dictionaries[column] = dictionary;
    codes[column] = columnCodes;
  }
  return { size, text, dictionaries, codes, createdAt, updatedAt };
}

/**
 * `size` tab-separated integers, read digit by digit: no string per value (a day's two time columns
 * would be 200 000 of them).
 */
function integersOf(line: string, size: number): Float64Array {
  const out = new Float64Array(size);
  let n = 0;
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 9;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 45 && digits === 0 && sign === 1) sign = -1;
    else if (c === 9 && digits > 0 && n < size) {
      out[n++] = sign * value;
      value = 0;
      sign = 1;
      digits = 0;
    } else if (!(c === 9 && size === 0 && line.length === 0)) throw new SyntaxError('order summary: a time is not an integer');
  }
  if (n !== size) throw new SyntaxError('order summary: a column does not have a value per order');
  return out;
}

/** The dictionary code a character of {@link CODE_CHARS} stands for. */
function charCode(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 122) return c - 87; // a-z
  if (c >= 65 && c <= 90) return c - 29; // A-Z
  return Number.NaN;
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
    for (const order of orders) this.take(order.clientOrderId, order.status, matchesOrderQuery(order, this.query) ? order : undefined);
  }

  /** Takes an archived segment's orders: each row tested on its columns, an object built only for a match. */
  addColumns(columns: OrderColumns): void {
    const q = this.query;
    const { text, dictionaries: d, codes: c, createdAt, updatedAt } = columns;
    // A condition on a coded column is a condition on its code (-2: the value is not in this segment).
    const codeOf = (column: Coded, value: string | undefined): number => {
      if (value === undefined) return -1;
      const at = d[column].indexOf(value);
      return at === -1 ? -2 : at;
    };
    const symbol = codeOf('symbol', q.symbol);
    const status = codeOf('status', q.status);
    const strategy = codeOf('strategyId', q.strategyId);
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
    return this.superseded === 0 ? (this.found as OrderSummary[]) : this.found.filter((o): o is OrderSummary => o !== undefined);
  }

  private take(id: string, status: OrderStatus, order: OrderSummary | undefined): void {
    this.takeRow(id, isTerminalStatus(status), order);
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
