import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COLUMNS,
  customPeriod,
  explainOrder,
  FileJournal,
  journalFileStore,
  journalStore,
  OrderNotFoundError,
  regulatoryReport,
  reportRows,
  rowsToString,
  searchAudit,
  silentLogger,
  tradeReport,
  type AuditRow,
  type ExecutionEngine,
} from 'tradewire';
import { runBacktest } from 'tradewire/testing';
import { collect, followTheLastBar } from './report-kit.js';
import { renderBar } from '../../src/cli/progress.js';

const run = promisify(execFile);

describe('exports', () => {
  const rows = [
    { id: 'a', reason: 'limit, "too far" from\nthe market', amount: '0.1000000000000000000000001', tags: ['x', 'y'] },
    { id: 'b', amount: '-12345678901234567890.5', extra: 'later key' },
  ];

  it('CSV through csv-stringify: quotes, commas and newlines survive a round trip through a CSV parser; decimals stay exact strings', async () => {
    const csv = await rowsToString(rows, 'csv', ['id', 'amount']);
    expect(csv.split('\n')[0]).toBe('id,amount,reason,tags,extra');
    const back = parse(csv, { columns: true }) as Record<string, string>[];
    expect(back).toEqual([
      { id: 'a', amount: '0.1000000000000000000000001', reason: 'limit, "too far" from\nthe market', tags: 'x y', extra: '' },
      { id: 'b', amount: '-12345678901234567890.5', reason: '', tags: '', extra: 'later key' },
    ]);
  });

  it('JSON is one array, JSON lines one object per line; both parse back to the rows', async () => {
    expect(JSON.parse(await rowsToString(rows, 'json'))).toEqual(rows);
    expect(JSON.parse(await rowsToString([], 'json'))).toEqual([]);
    const lines = (await rowsToString(rows, 'jsonl')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(rows);
  });

  it('streams: 50 000 rows from an async generator, written as they come', async () => {
    async function* many() {
      for (let i = 0; i < 50_000; i++) yield { i: String(i), v: `${i}.5` };
    }
    const csv = await rowsToString(many(), 'csv');
    expect(csv.trimEnd().split('\n')).toHaveLength(50_001);
  });
});

describe('audit search, explain and the regulatory report over a backtest journal', () => {
  let dir: string;
  let path: string;
  let engine: ExecutionEngine;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-audit-'));
    path = join(dir, 'orders.jsonl');
    const journal = new FileJournal({ path, sync: 'os', logger: silentLogger });
    const bars = Array.from({ length: 30 }, (_, i) => {
      const close = (100 + Math.round(Math.sin(i / 2) * 300) / 100).toFixed(2);
      return { time: Date.UTC(2024, 5, 3 + Math.floor(i / 10), 14, i % 10), symbol: i % 2 ? 'AAPL' : 'MSFT', open: close, high: close, low: close, close };
    });
    const result = await runBacktest({
      bars,
      journal,
      strategyId: 'wave',
      strategy: followTheLastBar,
    });
    engine = result.engine;
    // A checkpoint in the middle of the history: reports and audits read across the archive.
    engine.checkpoint();
    journal.close();
  });

  it('by order id (ours or the broker\'s), by status and symbol, by text; every row a flat record with the order\'s details', async () => {
    const store = journalFileStore(path);
    const filled = await collect(searchAudit(store, { status: 'filled', symbol: 'AAPL' }));
    expect(filled.length).toBeGreaterThan(0);
    expect(filled.every((r) => r.symbol === 'AAPL' && r.status === 'filled' && r.strategyId === 'wave' && r.fillPrice !== undefined)).toBe(true);
    const id = filled[0]!.clientOrderId!;
    const byId = await collect(searchAudit(store, { orderId: id }));
    expect(byId[0]!.event).toBe('created');
    const brokerId = byId.find((r) => r.brokerOrderId)!.brokerOrderId!;
    expect((await collect(searchAudit(store, { orderId: brokerId }))).map((r) => r.seq)).toEqual(byId.map((r) => r.seq));
    const slipped = await collect(searchAudit(store, { text: 'SLIPPAGE', topic: 'execution.recorded', limit: 2 }));
    expect(slipped).toHaveLength(2);
    expect(await collect(searchAudit(store, { strategyId: 'nobody' }))).toEqual([]);
  });

  it('explain(orderId) tells the order\'s story in order: created → validated → submitted → accepted → filled → execution recorded', async () => {
    const store = journalFileStore(path);
    const [first] = await collect(searchAudit(store, { status: 'filled', limit: 1 }));
    const story = await explainOrder(store, first!.clientOrderId!);
    expect(story.status).toBe('filled');
    const steps = story.lines.map((l) => l.slice(25).split(/[:, ]/)[0]);
    expect(steps.slice(0, 3)).toEqual(['created', 'validated', 'submitted']);
    expect(steps).toContain('filled');
    expect(story.lines.some((l) => l.includes('execution recorded: filled'))).toBe(true);
    expect(story.execution?.clientOrderId).toBe(first!.clientOrderId);
    await expect(explainOrder(store, 'no-such-order')).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('the regulatory report: every order record of the period, in audit order, each once (a checkpoint\'s copies left out), with the order\'s details', async () => {
    const store = journalFileStore(path);
    const period = customPeriod('2024-06-03', '2024-06-05');
    const rows: AuditRow[] = await collect(regulatoryReport(store, period));
    const seqs = rows.map((r) => r.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const created = rows.filter((r) => r.event === 'created').map((r) => r.clientOrderId);
    expect(new Set(created).size).toBe(created.length);
    expect(created.length).toBe(engine.orders.orderList().length);
    expect(rows.every((r) => r.side && r.orderType && r.quantity)).toBe(true);
    // The same through the library's store over a reopened FileJournal (sidecars and archives).
    const reopened = new FileJournal({ path, sync: 'os', logger: silentLogger });
    const again = await collect(regulatoryReport(journalStore(reopened), period));
    expect(again.map((r) => r.seq)).toEqual(seqs);
    const fromLibrary = await tradeReport(journalStore(reopened), { period });
    const fromFiles = await tradeReport(store, { period });
    expect(fromLibrary.totals).toEqual(fromFiles.totals);
    expect(fromFiles.totals.trades).toBeGreaterThan(0);
    reopened.close();
  });

  it('the command-line tool: report as text, CSV and JSON; audit; explain; regulatory; a clear error for bad input', async () => {
    const cli = join(process.cwd(), 'dist', 'cli.js');
    const text = await run('node', [cli, 'report', '--journal', path, '--from', '2024-06-03', '--to', '2024-06-05', '--no-progress']);
    expect(text.stdout).toContain('Trade report');
    expect(text.stdout).toContain('realized P&L');
    const csv = await run('node', [cli, 'report', '--journal', path, '--from', '2024-06-03', '--to', '2024-06-05', '--format', 'csv', '--strategy', 'wave']);
    const trades = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const report = await tradeReport(journalFileStore(path), { period: customPeriod('2024-06-03', '2024-06-05') });
    expect(trades.map((t) => t.pnl)).toEqual(report.trades.map((t) => t.pnl));
    expect(Object.keys(trades[0]!)).toEqual([...COLUMNS.trades]);
    const json = JSON.parse((await run('node', [cli, 'report', '--journal', path, '--period', 'weekly', '--date', '2024-06-04', '--format', 'json'])).stdout);
    expect(json.totals).toEqual(report.totals);
    const summary = parse((await run('node', [cli, 'report', '--journal', path, '--from', '2024-06-03', '--to', '2024-06-05', '--format', 'csv', '--section', 'summary'])).stdout, { columns: true }) as Record<string, string>[];
    expect(summary.find((r) => r.metric === 'realizedPnl')?.value).toBe(report.totals.realizedPnl);
    expect(reportRows(report, 'summary').length).toBe(summary.length);
    const out = join(dir, 'reg.csv');
    await run('node', [cli, 'regulatory', '--journal', path, '--from', '2024-06-03', '--to', '2024-06-05', '--format', 'csv', '--out', out]);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(COLUMNS.audit.join(','));
    const id = report.trades[0]!.orderIds[0]!;
    expect((await run('node', [cli, 'audit', '--journal', path, '--explain', id])).stdout).toContain('created: buy');
    const jsonl = (await run('node', [cli, 'audit', '--journal', path, '--order', id, '--format', 'jsonl'])).stdout.trim().split('\n');
    expect(JSON.parse(jsonl[0]!).clientOrderId).toBe(id);
    await expect(run('node', [cli, 'report', '--journal', path, '--period', 'yearly', '--date', '2024-06-03'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--period must be daily, weekly or monthly') });
    await expect(run('node', [cli, 'report', '--journal', join(dir, 'missing.jsonl'), '--from', '2024-06-03', '--to', '2024-06-04'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no journal at') });
  });

  it('the progress bar\'s text', () => {
    expect(renderBar('report', 512 * 1024, 2 * 1_048_576, 10)).toBe('report [###-------]  25%  0.5 / 2.0 MB');
  });
});
