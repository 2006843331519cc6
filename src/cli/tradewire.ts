#!/usr/bin/env node
/**
 * `npx tradewire` — reports and audits over a tradewire journal, from the command line.
 *
 *   tradewire report  --journal orders.jsonl --period daily --date 2024-06-03 [--format text|json|csv|jsonl] [--section trades]
 *   tradewire report  --journal orders.jsonl --from 2024-06-01 --to 2024-06-30 --strategy breakout --format csv
 *   tradewire audit   --journal orders.jsonl [--order ID] [--symbol S] [--strategy S] [--status S] [--text T] [--from …] [--to …]
 *   tradewire audit   --journal orders.jsonl --explain ORDER_ID
 *   tradewire regulatory --journal orders.jsonl --period monthly --date 2024-06-01 --format csv
 *
 * `--postgres URL --account ID` reads a PostgreSQL journal instead of a file; `--journal` may be
 * repeated (one per account or broker) to report on them together.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import {
  COLUMNS,
  combinedStore,
  customPeriod,
  DEFAULT_REPORT_TIMEZONE,
  executionRecords,
  explainOrder,
  EXPORT_FORMATS,
  type ExportFormat,
  formatReport,
  journalFileStore,
  journalStore,
  loadReportData,
  type OrderStatus,
  type PeriodKind,
  regulatoryReport,
  REPORT_SECTIONS,
  type ReportFilters,
  type ReportPeriod,
  reportPeriod,
  reportRows,
  type ReportSection,
  type ReportStore,
  searchAudit,
  systemClock,
  buildTradeReport,
  writeRows,
} from 'tradewire';
import { ProgressBar } from './progress.js';

const USAGE = `usage: tradewire <report|audit|regulatory> (--journal FILE [--journal FILE …] | --postgres URL --account ID) [options]

  period     --period daily|weekly|monthly --date yyyy-MM-dd   or   --from DAY|ISO --to DAY|ISO   [--tz ${DEFAULT_REPORT_TIMEZONE}]
  filters    --strategy ID --symbol SYM --broker NAME --account-id ID
  output     --format text|json|jsonl|csv (default text)   --section ${REPORT_SECTIONS.join('|')}|executions (csv/jsonl)   --out FILE
  report     --starting-equity AMOUNT
  audit      --order ID --status STATUS --topic TOPIC --text WORDS --limit N   |   --explain ORDER_ID
  progress   shown on a terminal; --progress forces it, --no-progress hides it`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      journal: { type: 'string', multiple: true },
      postgres: { type: 'string' },
      account: { type: 'string' },
      period: { type: 'string' },
      date: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      tz: { type: 'string' },
      strategy: { type: 'string' },
      symbol: { type: 'string' },
      broker: { type: 'string' },
      'account-id': { type: 'string' },
      format: { type: 'string' },
      section: { type: 'string' },
      out: { type: 'string' },
      'starting-equity': { type: 'string' },
      order: { type: 'string' },
      status: { type: 'string' },
      topic: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      explain: { type: 'string' },
      progress: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const format = (values.format ?? 'text') as ExportFormat | 'text';
  if (format !== 'text' && !EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be text, ${EXPORT_FORMATS.join(', ')}`);
  const timeZone = values.tz ?? DEFAULT_REPORT_TIMEZONE;
  const bar = new ProgressBar(process.stderr, systemClock(), command, values['no-progress'] ? false : (values.progress ?? process.stderr.isTTY === true));
  const { store, close } = await openStore(values, (read, total) => bar.update(read, total));
  const out: Writable = values.out ? createWriteStream(values.out) : process.stdout;
  const filters: ReportFilters = {
    ...(values.strategy ? { strategyId: values.strategy } : {}),
    ...(values.symbol ? { symbol: values.symbol } : {}),
    ...(values.broker ? { broker: values.broker } : {}),
    ...(values['account-id'] ? { accountId: values['account-id'] } : {}),
  };
  try {
    switch (command) {
      case 'report': {
        const period = periodOf(values, timeZone);
        const section = (values.section ?? (format === 'text' || format === 'json' ? undefined : 'trades')) as ReportSection | 'executions' | undefined;
        if (section === 'executions') {
          await writeRows(executionRecords(store, period, filters), format === 'text' ? 'csv' : format, out, COLUMNS.executions);
          break;
        }
        const data = await loadReportData(store, period, filters);
        bar.done();
        const report = buildTradeReport(data, { period, filters, now: systemClock().now(), ...(values['starting-equity'] ? { startingEquity: values['starting-equity'] } : {}) });
        if (format === 'text') out.write(`${formatReport(report)}\n`);
        else if (format === 'json' && !section) out.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          if (section && !REPORT_SECTIONS.includes(section)) throw new UsageError(`--section must be one of ${REPORT_SECTIONS.join(', ')}, executions`);
          await writeRows(reportRows(report, section ?? 'trades'), format, out, COLUMNS[section ?? 'trades']);
        }
        break;
      }
      case 'regulatory': {
        const period = periodOf(values, timeZone);
        await writeRows(regulatoryReport(store, period, filters), format === 'text' ? 'csv' : format, out, COLUMNS.audit);
        bar.done();
        break;
      }
      case 'audit': {
        if (values.explain) {
          const explanation = await explainOrder(store, values.explain, timeZone);
          bar.done();
          if (format === 'text') out.write(`${explanation.clientOrderId} ${explanation.symbol} — ${explanation.status}\n${explanation.lines.map((l) => `  ${l}`).join('\n')}\n`);
          else if (format === 'json') out.write(`${JSON.stringify(explanation, null, 2)}\n`);
          else await writeRows(explanation.rows, format, out, COLUMNS.audit);
          break;
        }
        const range = values.from || values.to || values.period ? periodOf(values, timeZone) : undefined;
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) throw new UsageError('--limit must be a positive whole number');
        const rows = searchAudit(store, {
          ...(range ? { from: range.from, to: range.to } : {}),
          ...(values.order ? { orderId: values.order } : {}),
          ...(values.symbol ? { symbol: values.symbol } : {}),
          ...(values.strategy ? { strategyId: values.strategy } : {}),
          ...(values.status ? { status: values.status as OrderStatus } : {}),
          ...(values.topic ? { topic: values.topic } : {}),
          ...(values.text ? { text: values.text } : {}),
          ...(limit ? { limit } : {}),
        });
        if (format === 'text') {
          for await (const row of rows) out.write(`${row.time}  #${row.seq}  ${row.kind.padEnd(12)} ${(row.clientOrderId ?? '').padEnd(28)} ${row.symbol ?? ''} ${row.event ?? ''} ${row.status ?? ''}${row.reason ? ` — ${row.reason}` : ''}\n`);
        } else await writeRows(rows, format, out, COLUMNS.audit);
        bar.done();
        break;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } finally {
    bar.done();
    if (out !== process.stdout) await new Promise<void>((resolve) => (out as Writable).end(resolve));
    await close();
  }
  return 0;
}

type Values = Record<string, string | string[] | boolean | undefined>;

function periodOf(values: Values, timeZone: string): ReportPeriod {
  if (values.period) {
    if (!['daily', 'weekly', 'monthly'].includes(String(values.period))) throw new UsageError('--period must be daily, weekly or monthly');
    if (!values.date) throw new UsageError('--period needs --date yyyy-MM-dd');
    return reportPeriod(values.period as PeriodKind, String(values.date), timeZone);
  }
  if (!values.from || !values.to) throw new UsageError('give --period and --date, or --from and --to');
  return customPeriod(String(values.from), String(values.to), timeZone);
}

async function openStore(values: Values, onProgress: (read: number, total: number) => void): Promise<{ store: ReportStore; close: () => Promise<void> }> {
  const journals = values.journal as unknown as string[] | undefined;
  if (journals?.length) {
    // Several journals (one per account or broker) read as one: the broker comparison spans them.
    return { store: combinedStore(journals.map((path) => journalFileStore(path, { onProgress }))), close: async () => undefined };
  }
  if (values.postgres) {
    if (!values.account) throw new UsageError('--postgres needs --account');
    const { PostgresJournal } = await import('tradewire/postgres');
    const journal = await PostgresJournal.open({ connectionString: String(values.postgres), account: String(values.account) });
    return { store: journalStore(journal), close: () => journal.end() };
  }
  throw new UsageError('give --journal FILE or --postgres URL --account ID');
}

// `tradewire audit … | head`: the reader left; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tradewire: ${message}\n${error instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
