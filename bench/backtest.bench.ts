/**
 * Part of `npm run bench`: a backtest's speed and memory — `runBacktest` over minute bars of four
 * symbols with a moving-average crossover (an order every ~90 bars per symbol), the journal in a
 * file (`sync: 'os'`), at two lengths: the time per bar should not grow with the run.
 *
 *   npm run bench -- --bars=400000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, FileJournal, silentLogger } from 'tradewire';
import { type BacktestBar, runBacktest } from 'tradewire/testing';
import { arg } from './stats.js';

const LONG = arg('bars', 400_000);
const SYMBOLS = ['A', 'B', 'C', 'D'];
const dir = mkdtempSync(join(tmpdir(), 'tw-backtest-'));
const gc = (globalThis as { gc?: () => void }).gc;

function bars(count: number): BacktestBar[] {
  const start = Date.UTC(2024, 0, 2, 14, 30);
  return Array.from({ length: count }, (_, i) => {
    const minute = Math.floor(i / SYMBOLS.length);
    const close = (100 + 5 * Math.sin(minute / 30)).toFixed(2);
    return { time: start + minute * 60_000, symbol: SYMBOLS[i % SYMBOLS.length]!, open: close, high: close, low: close, close };
  });
}

async function run(count: number): Promise<void> {
  const journal = new FileJournal({ path: join(dir, `bt-${count}.jsonl`), sync: 'os', logger: silentLogger });
  const input = bars(count);
  gc?.();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { report, decisions } = await runBacktest({
    bars: input,
    journal,
    strategy: ({ bar, history, position }) => {
      const h = history(bar.symbol, 20);
      if (h.length < 20) return;
      const fast = Decimal.sum(...h.slice(-5).map((b) => b.close)).dividedBy(5);
      const slow = Decimal.sum(...h.map((b) => b.close)).dividedBy(20);
      if (fast.greaterThan(slow) && !position(bar.symbol)) return { side: 'buy', strength: 80 };
      if (fast.lessThan(slow) && position(bar.symbol)) return { side: 'sell', strength: 80 };
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  journal.close();
  console.log(`  ${count.toLocaleString('en-US').padStart(9)} bars: ${seconds.toFixed(1)} s, ${Math.round(count / seconds).toLocaleString('en-US')} bars/s, ${((used.user + used.system) / count).toFixed(1)} µs CPU per bar; ${decisions.length} signals, ${report.trades.length} round trips`);
}

console.log('backtest (runBacktest, 4 symbols of minute bars, a moving-average crossover, FileJournal sync: os):');
await run(Math.max(1, Math.floor(LONG / 4)));
await run(LONG);
rmSync(dir, { recursive: true, force: true });
