/**
 * `npx tsx examples/backtest.ts [journal.jsonl]` — a strategy tested the way it will run: bars
 * replayed through the real engine on the mock broker, then the trade report. With a path, the run
 * is journaled to that file, for `npx tradewire report --journal <path> …`.
 */
import { Decimal, FileJournal, formatReport, type Journal, silentLogger } from 'tradewire';
import { type BacktestBar, type BacktestPricedBar, runBacktest } from 'tradewire/testing';

// Two weeks of 30-minute bars for two symbols, from a seeded walk (no data files, no network).
function bars(symbol: string, start: number, seed: number): BacktestBar[] {
  let state = seed;
  const random = (): number => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const out: BacktestBar[] = [];
  let price = new Decimal(start);
  for (let day = 3; day <= 14; day++) {
    const weekday = new Date(Date.UTC(2024, 5, day)).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (let slot = 0; slot < 13; slot++) {
      const open = price;
      price = Decimal.max(1, price.times(1 + (random() - 0.48) * 0.012)).toDecimalPlaces(2);
      const spread = price.times(0.002).toDecimalPlaces(2);
      out.push({ time: Date.UTC(2024, 5, day, 13, 30 + slot * 30), symbol, open, high: Decimal.max(open, price).plus(spread), low: Decimal.min(open, price).minus(spread), close: price });
    }
  }
  return out;
}

const path = process.argv[2];
const journal: Journal | undefined = path ? new FileJournal({ path, sync: 'os', logger: silentLogger }) : undefined;

// A moving-average crossover: long when the 5-bar average is above the 20-bar one, flat otherwise.
const average = (closes: readonly BacktestPricedBar[]): Decimal => Decimal.sum(...closes.map((b) => b.close)).dividedBy(closes.length);
const result = await runBacktest({
  bars: [...bars('AAPL', 190, 7), ...bars('MSFT', 420, 11)],
  strategyId: 'ma-cross',
  initialCash: 100_000,
  commission: { perUnit: '0.005', minimum: '1' },
  slippageBps: 2,
  config: { maxPositions: 2, allowScaleIn: false },
  ...(journal ? { journal } : {}),
  strategy: ({ bar, history, position }) => {
    const closes = history(bar.symbol, 20);
    if (closes.length < 20) return;
    const fast = average(closes.slice(-5));
    const slow = average(closes);
    if (fast.greaterThan(slow) && !position(bar.symbol)) return { side: 'buy', strength: 80 };
    if (fast.lessThan(slow) && position(bar.symbol)) return { side: 'sell', strength: 80 };
  },
});
console.log(formatReport(result.report));
journal?.close?.();
