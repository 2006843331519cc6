import { customPeriod, journalStore, recordsStore, regulatoryReport, searchAudit, silentLogger, tradeReport } from 'tradewire';
import { PostgresJournal } from 'tradewire/postgres';
import { runBacktest } from 'tradewire/testing';
import { collect, followTheLastBar } from '../reports/report-kit.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION, dropAccount, testAccount } from './pg-test-kit.js';

const account = testAccount('reports');
afterAll(() => dropAccount(account));


describe('reports over a PostgreSQL journal', () => {
  it('a backtest journaled to PostgreSQL reports the same as its records read in memory, and the audit reads it page by page', async () => {
    const journal = await PostgresJournal.open({ connectionString: CONNECTION, account, logger: silentLogger });
    const bars = Array.from({ length: 24 }, (_, i) => {
      const close = (50 + Math.round(Math.cos(i / 2) * 200) / 100).toFixed(2);
      return { time: Date.UTC(2024, 5, 4, 14, i), symbol: 'XYZ', open: close, high: close, low: close, close };
    });
    const { report } = await runBacktest({
      bars,
      journal,
      strategy: followTheLastBar,
    });
    await journal.sync();
    const period = customPeriod('2024-06-04', '2024-06-04');
    const fromTable = await tradeReport(journalStore(journal), { period });
    const inMemory = await tradeReport(recordsStore(journal.query()), { period });
    expect(fromTable.totals).toEqual(inMemory.totals);
    expect(fromTable.trades).toEqual(inMemory.trades);
    expect(fromTable.totals.trades).toBe(report.totals.trades);
    expect(fromTable.totals.trades).toBeGreaterThan(0);
    // The regulatory report and the audit search read the table through history(), a page at a time.
    const rows = await collect(regulatoryReport(journalStore(journal), period));
    expect(rows.length).toBe(journal.query({ kinds: ['order.created', 'order.event'] }).length);
    const one = rows.find((r) => r.event === 'filled')!;
    expect((await collect(searchAudit(journalStore(journal), { orderId: one.clientOrderId! }))).some((r) => r.seq === one.seq)).toBe(true);
    await journal.end();
  });
});
