import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTradeReport,
  combinedStore,
  customPeriod,
  Decimal,
  distribution,
  type ExecutionRecord,
  type JournalRecord,
  maxDrawdown,
  recordsStore,
  reportPeriod,
  sharpeRatio,
  tradeReport,
  ValidationError,
} from 'tradewire';
import { type BacktestPricedBar, runBacktest } from 'tradewire/testing';

const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
let seq = 0;
const note = (topic: string, when: number, data: unknown, extra: Record<string, string> = {}): JournalRecord => ({ kind: 'note', seq: ++seq, at: when, topic, data, ...extra }) as JournalRecord;

function closed(id: string, symbol: string, pnl: string, fees: string, opened: string, closedAt: string, extra: Record<string, unknown> = {}): JournalRecord {
  return note('position.closed', at(closedAt), { positionId: id, symbol, side: 'long', maxQuantity: '10', averageEntryPrice: '100', exitAveragePrice: '110', realizedPnl: pnl, commission: fees, openedAt: at(opened), closedAt: at(closedAt), strategyId: 'alpha', broker: 'mock', orderIds: [`${id}-in`, `${id}-out`], ...extra });
}

function execution(id: string, fields: Partial<ExecutionRecord>): JournalRecord {
  const record = { clientOrderId: id, symbol: 'AAPL', assetClass: 'equity', side: 'buy', type: 'market', broker: 'mock', status: 'filled', requestedQuantity: '10', filledQuantity: '10', fillRate: '1', expectedPriceSource: 'signal', commission: '1', fills: 1, createdAt: 0, completedAt: fields.completedAt ?? at('2024-06-03T14:00:00Z'), revision: 1, strategyId: 'alpha', ...fields };
  return note('execution.recorded', record.completedAt, record, { clientOrderId: id });
}

describe('trade report: hand-computed fixtures', () => {
  // Four round trips over two days (Mon 3 and Tue 4 June 2024, New York), equity 10 000 from the account notes:
  // P&L +100, -50 (Monday: +50), +200, -100 (Tuesday: +100).
  const records: JournalRecord[] = [
    note('account.snapshot', at('2024-06-03T13:00:00Z'), { equity: '10000', cash: '10000', buyingPower: '10000' }),
    closed('p1', 'AAPL', '100', '2', '2024-06-03T13:35:00Z', '2024-06-03T14:00:00Z'),
    closed('p2', 'MSFT', '-50', '2', '2024-06-03T14:10:00Z', '2024-06-03T15:00:00Z'),
    closed('p3', 'AAPL', '200', '2', '2024-06-04T13:40:00Z', '2024-06-04T14:00:00Z'),
    closed('p4', 'MSFT', '-100', '2', '2024-06-04T14:00:00Z', '2024-06-04T19:00:00Z', { strategyId: 'beta' }),
    // Slippage (bps) 1, 2, 3, 4, 10 → p50 3, p95 10; one broker rejection, one risk rejection.
    execution('e1', { slippageBps: '1', slippageCost: '0.1', averageFillPrice: '100', submitToFirstFillMs: 10, completedAt: at('2024-06-03T14:00:00Z') }),
    execution('e2', { slippageBps: '2', slippageCost: '0.2', averageFillPrice: '110', submitToFirstFillMs: 20, completedAt: at('2024-06-03T14:01:00Z') }),
    execution('e3', { slippageBps: '3', slippageCost: '0.3', averageFillPrice: '100', submitToFirstFillMs: 30, symbol: 'MSFT', broker: 'other', completedAt: at('2024-06-03T14:02:00Z') }),
    execution('e4', { slippageBps: '4', slippageCost: '0.4', averageFillPrice: '100', submitToFirstFillMs: 40, completedAt: at('2024-06-04T14:00:00Z') }),
    execution('e5', { slippageBps: '10', slippageCost: '1', averageFillPrice: '100', submitToFirstFillMs: 100, symbol: 'MSFT', broker: 'other', completedAt: at('2024-06-04T14:01:00Z') }),
    execution('e6', { status: 'rejected', filledQuantity: '0', fillRate: '0', fills: 0, commission: '0', reason: 'insufficient buying power', completedAt: at('2024-06-04T14:02:00Z') }),
    execution('e7', { status: 'risk_rejected', filledQuantity: '0', fillRate: '0', fills: 0, commission: '0', reason: 'max position size', completedAt: at('2024-06-04T14:03:00Z') }),
  ];
  const store = recordsStore(records);
  const period = customPeriod('2024-06-03', '2024-06-04', NY);

  it('totals, performance and the daily series match the hand computation', async () => {
    const report = await tradeReport(store, { period });
    expect(report.totals).toEqual({ trades: 4, orders: 7, fills: 5, volume: '50', notional: '5100', realizedPnl: '150', commissions: '5', averageFillPrice: '102' });
    const p = report.performance;
    expect(p).toMatchObject({ winRate: '0.5', profitFactor: '2', expectancy: '37.5', averageWin: '150', averageLoss: '-75', largestWin: '200', largestLoss: '-100' });
    // Cumulative 100, 50, 250, 150: the deepest fall is 250 → 150 = 100, 100 / (10 000 + 250) = 0.97561 %.
    expect(p.maxDrawdown).toBe('100');
    expect(p.maxDrawdownPercent).toBe('0.97561');
    expect(p.daily).toEqual([
      { date: '2024-06-03', pnl: '50', trades: 2, return: '0.005' },
      { date: '2024-06-04', pnl: '100', trades: 2, return: '0.01' },
    ]);
    // Returns 0.005 and 0.01: mean 0.0075, sample deviation 0.0035355…, × √252 → 33.6749.
    expect(p.sharpe).toBe('33.6749');
    expect(report.trades[0]).toMatchObject({ positionId: 'p1', entryPrice: '100', exitPrice: '110', pnl: '100', fees: '2', holdingMs: 25 * 60_000 });
  });

  it('execution quality: nearest-rank slippage percentiles, fill and rejection rates, rejections by reason, and the broker comparison', async () => {
    const q = (await tradeReport(store, { period })).executionQuality;
    expect(q.slippageBps).toMatchObject({ count: 5, p50: '3', p95: '10', max: '10', mean: '4' });
    expect(q.slippageCost).toBe('2');
    expect(q.sent).toBe(6);
    expect(q.fillRate).toBe('0.833333'); // 50 of 60
    expect(q.rejectionRate).toBe('0.166667'); // 1 of 6 sent
    expect(q.rejectionsByReason).toEqual([
      { reason: 'insufficient buying power', status: 'rejected', count: 1 },
      { reason: 'max position size', status: 'risk_rejected', count: 1 },
    ]);
    expect(q.latencyMs.submitToFirstFill).toMatchObject({ count: 5, p50: '30', p95: '100' });
    const brokers = (await tradeReport(store, { period })).brokers;
    expect(brokers.map((b) => [b.broker, b.orders, b.slippageBpsMean, b.rejectionRate])).toEqual([
      ['mock', 5, '2.3333', '0.25'],
      ['other', 2, '6.5', '0'],
    ]);
  });

  it('filters by strategy, symbol and broker; periods cut by the New York day', async () => {
    const beta = await tradeReport(store, { period, filters: { strategyId: 'beta' } });
    expect(beta.trades.map((t) => t.positionId)).toEqual(['p4']);
    const msft = await tradeReport(store, { period, filters: { symbol: 'MSFT' } });
    expect(msft.totals).toMatchObject({ trades: 2, realizedPnl: '-150', orders: 2 });
    const other = await tradeReport(store, { period, filters: { broker: 'other' } });
    expect(other.totals.orders).toBe(2);
    const monday = await tradeReport(store, { period: reportPeriod('daily', '2024-06-03', NY) });
    expect(monday.trades.map((t) => t.positionId)).toEqual(['p1', 'p2']);
    expect(monday.performance.sharpe).toBeUndefined(); // one day
  });

  it('two journals (one per broker) read as one: the broker comparison spans them, totals add up', async () => {
    const mock = recordsStore(records.filter((r) => r.kind !== 'note' || r.topic !== 'execution.recorded' || (r.data as ExecutionRecord).broker === 'mock'));
    const other = recordsStore(records.filter((r) => r.kind === 'note' && r.topic === 'execution.recorded' && (r.data as ExecutionRecord).broker === 'other'));
    const both = await tradeReport(combinedStore([mock, other]), { period });
    const whole = await tradeReport(store, { period });
    expect(both.totals).toEqual(whole.totals);
    expect(both.brokers).toEqual(whole.brokers);
    expect(both.brokers.map((b) => b.broker)).toEqual(['mock', 'other']);
  });

  it('a late fill (a second revision) replaces the first record of the order', async () => {
    const late = recordsStore([...records, execution('e6', { status: 'rejected', filledQuantity: '5', fillRate: '0.5', fills: 1, revision: 2, averageFillPrice: '100', completedAt: at('2024-06-04T14:02:00Z') })]);
    const report = await tradeReport(late, { period });
    expect(report.totals.orders).toBe(7);
    expect(report.totals.volume).toBe('55');
  });
});

describe('periods in the market timezone', () => {
  it('daily, ISO-weekly and monthly, across the March DST change', () => {
    const day = reportPeriod('daily', '2024-03-10', NY); // 23 hours long
    expect(new Date(day.from).toISOString()).toBe('2024-03-10T05:00:00.000Z');
    expect(new Date(day.to + 1).toISOString()).toBe('2024-03-11T04:00:00.000Z');
    const week = reportPeriod('weekly', '2024-06-05', NY);
    expect(week.label).toBe('2024-W23');
    expect(new Date(week.from).toISOString()).toBe('2024-06-03T04:00:00.000Z');
    expect(new Date(week.to + 1).toISOString()).toBe('2024-06-10T04:00:00.000Z');
    const month = reportPeriod('monthly', at('2024-02-15T12:00:00Z'), NY);
    expect(month.label).toBe('2024-02');
    expect(new Date(month.to + 1).toISOString()).toBe('2024-03-01T05:00:00.000Z');
    expect(() => reportPeriod('daily', '03/10/2024')).toThrow(/yyyy-MM-dd/);
    expect(() => customPeriod('2024-06-04', '2024-06-03')).toThrow(/before from/);
    // Each of these gave NaN bounds before — a report of nothing, silently.
    expect(() => reportPeriod('daily', '2024-06-03', 'Amercia/New_York')).toThrow(/timeZone must be an IANA time zone/);
    expect(() => reportPeriod('daily', '2024-02-30', NY)).toThrow(/yyyy-MM-dd, got "2024-02-30"/);
    expect(() => reportPeriod('yearly' as never, '2024-06-03', NY)).toThrow(/kind must be daily, weekly or monthly/);
    expect(() => customPeriod(Number.NaN, Date.UTC(2024, 5, 3))).toThrow(/from must be epoch milliseconds/);
  });
});

describe('statistics', () => {
  it('nearest-rank percentiles, Sharpe, drawdown', () => {
    const values = [5, 1, 4, 2, 3].map((v) => new Decimal(v));
    expect(distribution(values)).toEqual({ count: 5, mean: '3', p50: '3', p95: '5', p99: '5', max: '5', min: '1' });
    expect(distribution([])).toEqual({ count: 0 });
    expect(sharpeRatio([new Decimal(1)])).toBeUndefined();
    expect(sharpeRatio([new Decimal(1), new Decimal(1)])).toBeUndefined();
    expect(maxDrawdown([10, -30, 5, 40, -10].map((v) => new Decimal(v))).amount.toFixed()).toBe('30');
  });
});

describe('reports agree with the engine and the broker (property)', () => {
  it('over random bar paths and strategies: Σ trade P&L = the engine\'s realized P&L; commissions, cash and P&L = the mock broker\'s ledger', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -150, max: 150 }), { minLength: 10, maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 30 }), async (moves, lookback, slippage) => {
        let price = 10_000;
        const bars = moves.map((m, i) => {
          const open = price;
          price = Math.max(1_000, price + m);
          return { time: Date.UTC(2024, 5, 3 + Math.floor(i / 20), 14, i % 20), symbol: 'SPY', open: (open / 100).toFixed(2), high: (Math.max(open, price) / 100 + 0.05).toFixed(2), low: (Math.min(open, price) / 100 - 0.05).toFixed(2), close: (price / 100).toFixed(2) };
        });
        const result = await runBacktest({
          bars,
          slippageBps: slippage,
          commission: { perUnit: '0.005', minimum: '1' },
          initialCash: 100_000,
          strategy: ({ history, position }) => {
            const h = history('SPY', lookback + 1);
            if (h.length <= lookback) return;
            const rising = Number(h.at(-1)!.close) > Number(h[0]!.close);
            if (rising && !position('SPY')) return { side: 'buy' };
            if (!rising && position('SPY')) return { side: 'sell' };
          },
        });
        const { report, engine, broker } = result;
        expect(engine.positions.openPositions()).toEqual([]);
        expect(report.totals.realizedPnl).toBe(engine.pnl().realizedTotal.toFixed());
        const account = broker.accountSnapshot();
        // Flat: the cash moved by exactly the P&L net of commissions, and by Σ signed notional − commissions.
        expect(account.cash.minus(100_000).toFixed()).toBe(report.totals.realizedPnl);
        const signedNotional = engine.orders
          .orderList()
          .reduce((s, o) => (o.averageFillPrice ? s.plus(o.averageFillPrice.times(o.filledQuantity).times(o.side === 'sell' ? 1 : -1)) : s), new Decimal(0));
        expect(signedNotional.minus(report.totals.commissions).toFixed()).toBe(report.totals.realizedPnl);
        expect(report.alerts.filter((a) => a.code.endsWith('_mismatch'))).toEqual([]);
        expect(report.executionQuality.confirmations.mismatched).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});

/** Minute bars of SPY along a sine around 100 (`length` bars, one period every 2π·`stretch` minutes). */
function sineBars(length: number, stretch: number) {
  return Array.from({ length }, (_, i) => {
    const close = (100 + 5 * Math.sin(i / stretch)).toFixed(2);
    return { time: Date.UTC(2024, 5, 3, 13, 30) + i * 60_000, symbol: 'SPY', open: close, high: close, low: close, close };
  });
}

/** Buys when the last close rose, sells when it fell. */
const strategy: Parameters<typeof runBacktest>[0]['strategy'] = ({ history, position }) => {
  const h = history('SPY', 2);
  if (h.length < 2) return;
  const rising = Number(h[1]!.close) > Number(h[0]!.close);
  if (rising && !position('SPY')) return { side: 'buy' };
  if (!rising && position('SPY')) return { side: 'sell' };
};

describe('backtests and periodic reconciliation', () => {
  const bars = sineBars(240, 10);
  const topics = (records: readonly { kind: string; topic?: string }[]): number => records.filter((r) => r.kind === 'note' && r.topic === 'reconciliation').length;

  it('is off by default (the mock broker and the engine share one clock); on when config.recovery asks; the trades are the same', async () => {
    const quiet = await runBacktest({ bars, strategy });
    const checked = await runBacktest({ bars, strategy, config: { recovery: { reconcileIntervalMs: 60_000 } } });
    expect(topics(quiet.journal.query())).toBe(0);
    expect(topics(checked.journal.query())).toBeGreaterThan(30);
    expect(quiet.report.trades.length).toBeGreaterThan(3);
    const withoutIds = (trades: typeof quiet.report.trades) => trades.map(({ orderIds: _o, positionId: _p, ...trade }) => trade); // ids are random per run
    expect(withoutIds(quiet.report.trades)).toEqual(withoutIds(checked.report.trades));
    expect(quiet.report.totals.realizedPnl).toBe(checked.report.totals.realizedPnl);
  });
});

describe('a backtest keeps a bounded history of bars', () => {
  const bars = Array.from({ length: 50 }, (_, i) => ({ time: Date.UTC(2024, 5, 3, 13, 30) + i * 60_000, symbol: 'SPY', open: '100', high: '100', low: '100', close: String(100 + i) }));

  it('history(symbol, k) gives the last k bars up to historyBars, and asking for more is a ValidationError', async () => {
    const seen: string[][] = [];
    await runBacktest({ bars, historyBars: 5, strategy: ({ history }) => void seen.push(history('SPY', 5).map((b) => String(b.close))) });
    expect(seen.at(-1)).toEqual(['145', '146', '147', '148', '149']);
    expect(seen[2]).toEqual(['100', '101', '102']);
    await expect(runBacktest({ bars, historyBars: 5, strategy: ({ history }) => void history('SPY', 6) })).rejects.toThrow(/asks for 6 bars; the backtest keeps 5 per symbol \(raise historyBars\)/);
    await expect(runBacktest({ bars, historyBars: 0, strategy: () => undefined })).rejects.toThrow(ValidationError);
  });

  it('the strategy gets the prices as decimals, parsed once per bar (equal prices share one), the caller’s bars untouched', async () => {
    const input = [
      { time: Date.UTC(2024, 5, 3, 13, 30), symbol: 'SPY', open: '100.50', high: '101', low: '100.50', close: '100.75', volume: '1200' },
      { time: Date.UTC(2024, 5, 3, 13, 31), symbol: 'SPY', open: 100.75, high: 100.75, low: 100.75, close: 100.75 },
    ];
    const seen: BacktestPricedBar[] = [];
    let sums: string[] = [];
    await runBacktest({
      bars: input,
      strategy: ({ bar, history }) => {
        seen.push(bar);
        sums = [Decimal.sum(...history('SPY', 2).map((b) => b.close)).toString()];
      },
    });
    expect(seen.map((b) => [b.open, b.high, b.low, b.close].every((p) => p instanceof Decimal))).toEqual([true, true]);
    expect([seen[0]!.open.toString(), seen[0]!.close.toString(), seen[0]!.volume?.toString(), seen[1]!.volume]).toEqual(['100.5', '100.75', '1200', undefined]);
    expect(seen[0]!.low).toBe(seen[0]!.open); // written alike: one decimal
    expect(seen[1]!.high).toBe(seen[1]!.open);
    expect(sums).toEqual(['201.5']);
    expect(input[0]!.open).toBe('100.50'); // the caller's bars are not rewritten
  });

  it('history(symbol, 0) is empty (it was every bar)', async () => {
    const lengths: number[] = [];
    await runBacktest({ bars, strategy: ({ history }) => void lengths.push(history('SPY', 0).length) });
    expect(new Set(lengths)).toEqual(new Set([0]));
  });
});

describe('a backtest over bars streamed one at a time (an async iterable)', () => {
  const bars = sineBars(120, 8);
  async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
    for (const item of items) yield item;
  }

  it('trades as the same bars given as a list', async () => {
    const listed = await runBacktest({ bars, strategy });
    const streamed = await runBacktest({ bars: stream(bars), strategy });
    expect(streamed.bars).toBe(120);
    expect(streamed.report.trades.length).toBeGreaterThan(2);
    expect(streamed.report.trades.map((t) => [t.openedAt, t.closedAt, t.pnl])).toEqual(listed.report.trades.map((t) => [t.openedAt, t.closedAt, t.pnl]));
    expect(streamed.report.totals.realizedPnl).toBe(listed.report.totals.realizedPnl);
  });

  it('a bar out of time order is a ValidationError naming it (a list is sorted; a stream cannot be); no bars at all too', async () => {
    const shuffled = [bars[0]!, bars[2]!, bars[1]!, ...bars.slice(3)];
    await expect(runBacktest({ bars: shuffled, strategy })).resolves.toMatchObject({ bars: 120 });
    await expect(runBacktest({ bars: stream(shuffled), strategy })).rejects.toThrow(/bars\[2\]\.time.*before the bar before it/);
    await expect(runBacktest({ bars: stream([]), strategy })).rejects.toThrow(/must hold at least one bar/);
  });
});
