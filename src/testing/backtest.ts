import { parse } from 'csv-parse/sync';
import {
  alwaysOpenMarket,
  customPeriod,
  type Decimal,
  type DecimalInput,
  type EngineConfig,
  ExecutionEngine,
  type ExecutionMonitorOptions,
  InMemoryJournal,
  type Journal,
  journalStore,
  ManualClock,
  type Position,
  type Signal,
  type SignalDecision,
  silentLogger,
  toDecimal,
  type TradeReport,
  tradeReport,
  ValidationError,
} from 'tradewire';
import type { Mutable } from '../core/mutable.js';
import { MockBroker, type MockBrokerOptions } from './mock-broker.js';
import { slackOf } from '../core/window-slack.js';

/** One bar of history. `time` is epoch ms or an ISO time; prices are decimals. */
export interface BacktestBar {
  readonly time: number | string;
  readonly symbol: string;
  readonly open: DecimalInput;
  readonly high: DecimalInput;
  readonly low: DecimalInput;
  readonly close: DecimalInput;
  readonly volume?: DecimalInput;
}

/** What a strategy returns for a bar: signals without the fields the backtest fills in (id, time, strategy, symbol and strength default). */
export type BacktestSignal = Partial<Pick<Signal, 'id' | 'symbol' | 'strength' | 'strategyId'>> & Omit<Signal, 'id' | 'time' | 'symbol' | 'strength' | 'strategyId'>;

/**
 * A bar as a strategy sees it: its prices (and volume) parsed once into decimals as it is played,
 * so a strategy's arithmetic on them (`close.plus(…)`, `Decimal.sum(…)`) never parses text again;
 * `at` is its time in epoch ms.
 */
export type BacktestPricedBar = Omit<BacktestBar, 'open' | 'high' | 'low' | 'close' | 'volume'> & {
  readonly at: number;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  readonly volume?: Decimal;
};

/** What a strategy sees at each bar's close. */
export interface BacktestContext {
  readonly bar: BacktestPricedBar;
  /** The last `n` bars of the symbol, this one included, oldest first. */
  history(symbol: string, n: number): readonly BacktestPricedBar[];
  /** The engine's open position in a symbol. */
  position(symbol: string): Position | undefined;
  readonly engine: ExecutionEngine;
}

export type BacktestStrategy = (context: BacktestContext) => BacktestSignal | readonly BacktestSignal[] | undefined | void | Promise<BacktestSignal | readonly BacktestSignal[] | undefined | void>;

export interface BacktestOptions {
  /**
   * The bars: in any order (played by time), or CSV text with a header (time|date|timestamp, symbol,
   * open, high, low, close[, volume]) — or an async iterable already in time order, read one bar at a
   * time (a run longer than memory: a file or a database cursor; a bar out of order is a
   * `ValidationError`).
   */
  readonly bars: Iterable<BacktestBar> | AsyncIterable<BacktestBar> | string;
  readonly strategy: BacktestStrategy;
  /** Default `backtest`. */
  readonly strategyId?: string;
  /** Default 100 000. */
  readonly initialCash?: DecimalInput;
  readonly commission?: MockBrokerOptions['commission'];
  /** Slippage the mock broker applies to market fills, in basis points (default 0). */
  readonly slippageBps?: number;
  readonly config?: EngineConfig;
  /** Protective stops and targets (as the engine's `protection`). */
  readonly protection?: ConstructorParameters<typeof ExecutionEngine>[0]['protection'];
  readonly quality?: ExecutionMonitorOptions;
  /** Where the run is journaled (default in memory). */
  readonly journal?: Journal;
  /** Close what is still open at the last bar's close (default true), so every trade is in the report. */
  readonly closeAtEnd?: boolean;
  /**
   * How many bars per symbol `history()` can reach back (default 10 000): older ones are let go, so
   * memory does not grow with the run. Asking for more is a `ValidationError`.
   */
  readonly historyBars?: number;
  readonly timeZone?: string;
}

export interface BacktestResult {
  readonly report: TradeReport;
  readonly engine: ExecutionEngine;
  readonly broker: MockBroker;
  readonly journal: Journal;
  readonly clock: ManualClock;
  readonly bars: number;
  readonly decisions: readonly SignalDecision[];
}

/**
 * Replays bars through a strategy and the real engine on the mock broker, with a manual clock:
 * each bar walks the broker's price through open, the extremes and close (so resting stops and
 * limits fill where the bar reached them), then the strategy decides at the close and its signals
 * go through every check the engine makes live; market orders fill at the close (plus
 * `slippageBps`). The market is always open: the bars say when trading happens. Ends with the same
 * trade report the live engine's journal gives.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const bars = inTimeOrder(options.bars);
  const first = Array.isArray(bars) ? bars[0] : (await bars.next()).value;
  if (!first) throw new ValidationError([{ field: 'bars', message: 'must hold at least one bar' }], 'backtest');
  const startedAt = first.at;
  const strategyId = options.strategyId ?? 'backtest';
  const clock = new ManualClock(startedAt);
  const initialCash = options.initialCash ?? 100_000;
  // Bounded as a soak test bounds it: a long run must not keep every request and order (the journal has them).
  const broker = new MockBroker({ clock, initialCash, ...(options.commission ? { commission: options.commission } : {}), slippageBps: options.slippageBps ?? 0, retainEndedOrders: 10_000, retainRequests: 10_000, rememberClientIds: 100_000 });
  const historyBars = options.historyBars ?? 10_000;
  if (!Number.isInteger(historyBars) || historyBars < 1) throw new ValidationError([{ field: 'historyBars', message: `must be a positive integer, got ${historyBars}` }], 'backtest');
  const journal = options.journal ?? new InMemoryJournal();
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    journal,
    market: alwaysOpenMarket,
    logger: silentLogger,
    rateLimit: false,
    // No periodic reconciliation unless asked (config.recovery.reconcileIntervalMs): the mock broker
    // and the engine share one process and one clock, and a look every minute of simulated time made
    // half the journal (a note each) and a fifth of the run's time.
    config: { ...options.config, recovery: { reconcileIntervalMs: 0, ...options.config?.recovery } },
    ...(options.protection ? { protection: options.protection } : {}),
    quality: options.quality ?? {},
  });
  const seen = new Map<string, BacktestPricedBar[]>();
  const decisions: SignalDecision[] = [];
  let n = 0;
  const send = async (signal: BacktestSignal, symbol: string): Promise<void> => {
    const full = { strength: 100, ...signal, id: signal.id ?? `bt-${++n}`, symbol: signal.symbol ?? symbol, strategyId: signal.strategyId ?? strategyId, time: clock.now() } as Signal;
    decisions.push(await engine.executeSignal(full));
  };
  // The same two functions for every bar (they only read the state as it is then).
  const history = (symbol: string, k: number): readonly BacktestPricedBar[] => recentBars(seen.get(symbol), k, historyBars);
  const positionOf = (symbol: string): Position | undefined => engine.positions.get(symbol);
  await engine.start();
  let played = 0;
  const play = async (bar: TimedBar): Promise<void> => {
    played++;
    clock.advanceTo(bar.at);
    // Parsed once: the broker walks all four prices, the engine marks the close, and the strategy
    // gets them as decimals (the bar is this run's own copy, made by inTimeOrder).
    const priced = priceBar(bar);
    broker.playBar(bar.symbol, priced);
    engine.updatePrice(bar.symbol, priced.close);
    let kept = seen.get(bar.symbol);
    if (!kept) seen.set(bar.symbol, (kept = []));
    kept.push(priced);
    // Let the oldest go in batches (a shift per bar would copy the array every time).
    if (kept.length > historyBars + slackOf(historyBars)) kept.splice(0, kept.length - historyBars);
    const out = await options.strategy({ bar: priced, history, position: positionOf, engine });
    if (out === undefined || out === null) return;
    for (const signal of Array.isArray(out) ? out : [out as BacktestSignal]) await send(signal, bar.symbol);
  };
  // A list is played from the array (an async generator's step per bar cost ≈ 0.5 µs); a stream as it comes.
  if (Array.isArray(bars)) for (const bar of bars) await play(bar);
  else {
    await play(first);
    for await (const bar of bars) await play(bar);
  }
  if (options.closeAtEnd !== false) {
    for (const position of engine.positions.openPositions()) await send({ side: position.side === 'long' ? 'sell' : 'buy', symbol: position.symbol, strength: 100 }, position.symbol);
  }
  await engine.quality?.confirmNow().catch(() => undefined);
  const end = clock.now();
  const report = await tradeReport(journalStore(journal), { period: customPeriod(startedAt, end, options.timeZone), startingEquity: initialCash.toString(), now: end });
  await engine.stop();
  return { report, engine, broker, journal, clock, bars: played, decisions };
}

type TimedBar = BacktestBar & { readonly at: number };

/**
 * The bar with its prices as decimals, each parsed once, written into the run's own copy of it (no
 * second object per bar): a price written as the one before it reuses its decimal (quiet minutes
 * often have open = high = low = close; a parse is ≈ 0.3–0.5 µs).
 */
function priceBar(bar: TimedBar): BacktestPricedBar {
  const open = toDecimal(bar.open, 'bar');
  const high = bar.high === bar.open ? open : toDecimal(bar.high, 'bar');
  const low = bar.low === bar.open ? open : bar.low === bar.high ? high : toDecimal(bar.low, 'bar');
  const close = bar.close === bar.open ? open : bar.close === bar.high ? high : bar.close === bar.low ? low : toDecimal(bar.close, 'bar');
  const priced = bar as Mutable<TimedBar>;
  priced.open = open;
  priced.high = high;
  priced.low = low;
  priced.close = close;
  if (bar.volume !== undefined) priced.volume = toDecimal(bar.volume, 'bar');
  return priced as BacktestPricedBar;
}

/** The bars as they will be played: a list or CSV sorted by time (an array), a stream as it comes. */
function inTimeOrder(bars: BacktestOptions['bars']): TimedBar[] | AsyncGenerator<TimedBar, void, undefined> {
  if (typeof bars !== 'string' && Symbol.asyncIterator in bars) return inStreamOrder(bars);
  // Object.assign, not a spread with a key after it: the same copy, ≈ 2.5× faster in V8 (measured, 200 000 bars).
  const all = (typeof bars === 'string' ? parseBars(bars) : [...bars]).map((bar, i): TimedBar => Object.assign({}, bar, { at: timeOf(bar.time, i) }));
  all.sort((a, b) => a.at - b.at);
  return all;
}

/** An async iterable read as it comes, each bar checked to be no earlier than the one before. */
async function* inStreamOrder(bars: AsyncIterable<BacktestBar>): AsyncGenerator<TimedBar, void, undefined> {
  let index = 0;
  let last = Number.NEGATIVE_INFINITY;
  for await (const bar of bars) {
    const at = timeOf(bar.time, index);
    if (at < last) throw new ValidationError([{ field: `bars[${index}].time`, message: `is before the bar before it: a streamed run must come in time order` }], 'backtest');
    last = at;
    index++;
    yield Object.assign({}, bar, { at });
  }
}

/** Bars from CSV text with a header row: time (or date, timestamp), symbol, open, high, low, close, optional volume. */
export function parseBars(csv: string, symbol?: string): BacktestBar[] {
  const rows = parse(csv, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return rows.map((row, i) => {
    const time = row.time ?? row.date ?? row.timestamp;
    const sym = row.symbol ?? symbol;
    const missing = ['open', 'high', 'low', 'close'].filter((k) => !row[k]);
    if (!time || !sym || missing.length > 0) {
      throw new ValidationError([{ field: `row ${i + 2}`, message: `needs time, symbol, open, high, low and close${missing.length ? ` (missing ${missing.join(', ')})` : ''}` }], 'bars CSV');
    }
    return { time: /^\d+$/.test(time) ? Number(time) : time, symbol: sym, open: row.open!, high: row.high!, low: row.low!, close: row.close!, ...(row.volume ? { volume: row.volume } : {}) };
  });
}

const FIRST_INSTANT = -62_135_596_800_000; // 0001-01-01T00:00:00Z (Date.UTC reads years 0–99 as 1900–1999)
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function timeOf(time: number | string, index: number): number {
  const at = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : Number.NaN;
  // Years 1 to 9999: what calendars and date formatting hold (a bar 12 000 years back broke the trading day's).
  if (!(at >= FIRST_INSTANT && at <= LAST_INSTANT)) throw new ValidationError([{ field: `bars[${index}].time`, message: `must be epoch ms or an ISO time, got ${JSON.stringify(time)}` }], 'backtest');
  return at;
}

/** The last `k` bars of a symbol's history, or a ValidationError when `k` is beyond what is kept. */
function recentBars<T>(history: readonly T[] | undefined, k: number, kept: number): readonly T[] {
  if (k > kept) throw new ValidationError([{ field: 'history', message: `asks for ${k} bars; the backtest keeps ${kept} per symbol (raise historyBars)` }], 'backtest');
  return k <= 0 || !history ? [] : history.slice(-k);
}
