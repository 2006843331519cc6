import { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { TradeReport } from './trade-report.js';

/** The export formats: CSV (RFC 4180, with a header), one JSON array, or JSON lines (one object per line). */
export type ExportFormat = 'csv' | 'json' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'jsonl'];

type Row = object;

/**
 * Where rows are written: any writable stream (a file, stdout, an HTTP response). Typed by what is
 * used, so the package's types need no `@types/node` of their users.
 */
export interface RowSink {
  write(chunk: string | Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Column order for the rows tradewire exports (any other key follows, in first-seen order). */
export const COLUMNS = {
  trades: ['positionId', 'symbol', 'side', 'strategyId', 'broker', 'accountId', 'quantity', 'entryPrice', 'exitPrice', 'pnl', 'fees', 'openedAt', 'closedAt', 'holdingMs', 'orderIds'],
  executions: [
    'clientOrderId', 'brokerOrderId', 'signalId', 'strategyId', 'symbol', 'assetClass', 'side', 'type', 'broker', 'accountId', 'status', 'reason',
    'requestedQuantity', 'filledQuantity', 'fillRate', 'requestedPrice', 'expectedPrice', 'expectedPriceSource', 'arrivalPrice', 'averageFillPrice',
    'slippage', 'slippageBps', 'slippageCost', 'commission', 'fills', 'signalTime', 'receivedAt', 'createdAt', 'submittedAt', 'acknowledgedAt',
    'firstFillAt', 'completedAt', 'signalToSubmitMs', 'submitToAckMs', 'submitToFirstFillMs', 'submitToCompleteMs', 'signalToFirstFillMs', 'revision',
  ],
  audit: [
    'seq', 'time', 'at', 'kind', 'clientOrderId', 'brokerOrderId', 'symbol', 'strategyId', 'signalId', 'side', 'orderType', 'quantity', 'limitPrice', 'stopPrice',
    'from', 'status', 'event', 'outcome', 'executionId', 'fillQuantity', 'fillPrice', 'commission', 'reason', 'detail',
  ],
  daily: ['date', 'pnl', 'trades', 'return'],
  symbols: ['symbol', 'trades', 'volume', 'notional', 'averageFillPrice', 'realizedPnl', 'commissions'],
  brokers: ['broker', 'orders', 'fillRate', 'rejectionRate', 'slippageBpsMean', 'slippageBpsP50', 'slippageBpsP95', 'submitToFirstFillP50', 'submitToFirstFillP95', 'commissions', 'notional'],
  rejections: ['status', 'reason', 'count'],
  summary: ['section', 'metric', 'value'],
} as const;

/** The parts of a trade report that are tables. */
export type ReportSection = 'summary' | 'trades' | 'daily' | 'symbols' | 'brokers' | 'rejections';
export const REPORT_SECTIONS: readonly ReportSection[] = ['summary', 'trades', 'daily', 'symbols', 'brokers', 'rejections'];

/** One table of a report, as rows. `summary` is the report's figures as (section, metric, value). */
export function reportRows(report: TradeReport, section: ReportSection): Row[] {
  switch (section) {
    case 'trades':
      return [...report.trades];
    case 'daily':
      return [...report.performance.daily];
    case 'symbols':
      return [...report.bySymbol];
    case 'brokers':
      return [...report.brokers];
    case 'rejections':
      return [...report.executionQuality.rejectionsByReason];
    case 'summary': {
      const rows: { section: string; metric: string; value: string }[] = [];
      const flatten = (prefix: string, section: string, value: unknown): void => {
        if (value === undefined) return;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, section, v);
        else if (!Array.isArray(value)) rows.push({ section, metric: prefix, value: String(value) });
      };
      flatten('', 'period', report.period);
      flatten('', 'totals', report.totals);
      const { daily: _daily, ...performance } = report.performance;
      flatten('', 'performance', performance);
      const { rejectionsByReason: _reasons, ...quality } = report.executionQuality;
      flatten('', 'executionQuality', quality);
      return rows;
    }
  }
}

/**
 * Writes rows to `out` as CSV (through csv-stringify: quoting and escaping per RFC 4180), a JSON
 * array or JSON lines, a row at a time — a long range never sits in memory as one string. Values
 * are written as they are: every decimal in tradewire's rows is already an exact string. Arrays
 * become space-separated in CSV. Resolves with the number of rows; does not end `out`.
 */
export async function writeRows(rows: Iterable<Row> | AsyncIterable<Row>, format: ExportFormat, out: RowSink, columns?: readonly string[]): Promise<number> {
  let count = 0;
  if (format === 'csv') {
    const iterator = toAsync(rows)[Symbol.asyncIterator]();
    // The header names every column: the known ones, then any other key in the first rows.
    const head: Row[] = [];
    for (let next = await iterator.next(); !next.done; next = head.length < 1_000 ? await iterator.next() : { done: true, value: undefined }) head.push(next.value);
    const keys = new Set<string>(columns ?? []);
    for (const row of head) for (const key of Object.keys(row)) keys.add(key);
    const csv = stringify({ header: true, columns: [...keys], cast: { object: (v) => (Array.isArray(v) ? v.join(' ') : JSON.stringify(v)), boolean: (v) => String(v) } });
    // The stringifier's output goes to `out`, pausing while `out` is full.
    csv.on('data', (chunk: Buffer) => {
      if (out.write(chunk)) return;
      csv.pause();
      out.once('drain', () => csv.resume());
    });
    const ended = new Promise<void>((resolve, reject) => {
      csv.once('end', resolve);
      csv.once('error', reject);
    });
    const write = async (row: Row): Promise<void> => {
      count++;
      if (!csv.write(row)) await new Promise<void>((resolve) => csv.once('drain', () => resolve()));
    };
    for (const row of head) await write(row);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) await write(next.value);
    if (keys.size === 0) out.write('\n');
    csv.end();
    await ended;
    return count;
  }
  if (format === 'json') await write(out, '[');
  for await (const row of toAsync(rows)) {
    const line = JSON.stringify(row);
    await write(out, format === 'json' ? `${count === 0 ? '\n' : ',\n'}${line}` : `${line}\n`);
    count++;
  }
  if (format === 'json') await write(out, count === 0 ? ']\n' : '\n]\n');
  return count;
}

async function write(out: RowSink, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

async function* toAsync<T>(rows: Iterable<T> | AsyncIterable<T>): AsyncIterable<T> {
  yield* rows;
}

/** Rows as a string (small exports, tests); streams through the same writer. */
export async function rowsToString(rows: Iterable<Row> | AsyncIterable<Row>, format: ExportFormat, columns?: readonly string[]): Promise<string> {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  await writeRows(rows, format, sink, columns);
  return chunks.join('');
}
