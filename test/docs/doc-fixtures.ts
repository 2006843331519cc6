import pg from 'pg';
import { Decimal, ExecutionEngine, InMemoryJournal, journalStore, reportPeriod, type Signal, sequentialIds, silentLogger, tradeReport, TradingDesk } from 'tradewire';
import type { AlpacaAdapterOptions } from 'tradewire/alpaca';
import type { OandaAdapterOptions } from 'tradewire/oanda';
import { createServer } from 'tradewire/server';
import { type BacktestBar, ManualClock, MockBroker } from 'tradewire/testing';
import { expect, it } from 'vitest';
import { AMBIENT } from './doc-snippets.js';
import { FAKE_KEY, FAKE_SECRET } from '../adapters/alpaca/fake-alpaca-server.js';
import { ACCOUNT_ID, FAKE_TOKEN } from '../adapters/oanda/fake-oanda-server.js';
import { CONNECTION } from '../postgres/pg-test-kit.js';

/**
 * Real values for the names the guides use without defining them (doc-snippets.ts's AMBIENT, which
 * gives their types): a started engine on the mock broker with prices, a journal with ten orders
 * for the report examples, a desk, the local Alpaca and OANDA servers' options, PostgreSQL's test
 * database. Each snippet gets a world of its own.
 */

/** Monday 2 June 2025, 11:00 in New York: US equities are open. */
export const DOC_TIME = Date.UTC(2025, 5, 2, 15, 0);
export const DOC_PRICES: Readonly<Record<string, string>> = { AAPL: '190.00', MSFT: '410.00', XOM: '110.00', NVDA: '120.00', CVX: '150.00', SPY: '530.00' };
/** The dashboard's tokens (docs/dashboard.md reads them from the environment). */
export const DOC_TOKENS = { lead: 'doc-lead-token-0123456789', viewer: 'doc-viewer-token-0123456789' } as const;

/** Where the local broker servers are (set by the runner before any snippet runs). */
export interface DocServers {
  readonly alpaca: { readonly baseUrl: string; readonly streamUrl: string };
  readonly oanda: { readonly url: string };
}
let servers: DocServers | undefined;
export function useDocServers(value: DocServers): void {
  servers = value;
}

type World = Record<string, unknown>;
type Builder = (world: Lazy) => unknown;
type Lazy = <T>(name: string) => Promise<T>;

function signalAt(clock: ManualClock, id: string, symbol: string, side: 'buy' | 'sell' = 'buy'): Signal {
  return { id, symbol, side, strength: 85, time: clock.now(), strategyId: 'docs' };
}

async function engineOn(broker: MockBroker, clock: ManualClock, journal = new InMemoryJournal()): Promise<ExecutionEngine> {
  const engine = new ExecutionEngine({ adapter: broker, clock, journal, ids: sequentialIds(), logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
  await engine.start();
  for (const [symbol, price] of Object.entries(DOC_PRICES)) engine.updatePrice(symbol, price);
  return engine;
}

function pricedBroker(clock: ManualClock): MockBroker {
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  for (const [symbol, price] of Object.entries(DOC_PRICES)) broker.setPrice(symbol, price);
  return broker;
}

/** Five round trips on AAPL a minute apart: orders tw-1 … tw-10 in a journal. */
async function tradedJournal(): Promise<InMemoryJournal> {
  const clock = new ManualClock(DOC_TIME);
  const journal = new InMemoryJournal();
  const engine = await engineOn(pricedBroker(clock), clock, journal);
  for (let i = 1; i <= 5; i++) {
    for (const side of ['buy', 'sell'] as const) {
      const decision = await engine.executeSignal(signalAt(clock, `trip-${i}-${side}`, 'AAPL', side));
      if (decision.kind !== 'executed') throw new Error(`docs fixture: ${side} ${i} was ${decision.kind}`);
      clock.advance(60_000);
    }
  }
  await engine.stop();
  return journal;
}

/** Sixty 30-minute bars of SPY around 200, crossing it both ways. */
export function docBars(symbol = 'SPY'): BacktestBar[] {
  return Array.from({ length: 60 }, (_, i) => {
    const close = new Decimal(200).plus(new Decimal(Math.round(Math.sin(i / 5) * 800)).dividedBy(100));
    return { time: DOC_TIME + i * 30 * 60_000, symbol, open: close.minus('0.10').toString(), high: close.plus('0.50').toString(), low: close.minus('0.50').toString(), close: close.toString() };
  });
}

export function docBarsCsv(): string {
  return ['time,symbol,open,high,low,close', ...docBars().map((b) => `${new Date(b.time).toISOString()},${b.symbol},${b.open},${b.high},${b.low},${b.close}`)].join('\n');
}

const BUILDERS: Readonly<Record<string, Builder>> = {
  clock: () => new ManualClock(DOC_TIME),
  broker: async (get) => pricedBroker(await get('clock')),
  adapter: (get) => get('broker'),
  journal: () => new InMemoryJournal(),
  engine: async (get) => engineOn(await get('broker'), await get('clock'), await get('journal')),
  signal: async (get) => signalAt(await get('clock'), 'doc-s1', 'AAPL'),
  signals: async (get) => {
    const clock = await get<ManualClock>('clock');
    return ['AAPL', 'MSFT', 'XOM'].map((symbol, i) => signalAt(clock, `doc-${i}`, symbol));
  },
  feed: (get) => get('signals'),
  barSignals: (get) => get('signals'),
  feedSince: async (get) => {
    const feed = await get<Signal[]>('signals');
    return (checkpoint: number) => feed.slice(checkpoint);
  },
  lastCheckpoint: () => 0,
  lastPrice: () => (symbol: string) => new Decimal(DOC_PRICES[symbol] ?? '100'),
  connectionString: () => CONNECTION,
  store: async () => journalStore(await tradedJournal()),
  period: () => reportPeriod('daily', '2025-06-02'),
  report: async (get) => tradeReport(await get('store'), { period: await get('period') }),
  log: () => Object.assign((..._values: unknown[]) => undefined, { error: (_message: string, _context?: object) => undefined }),
  page: () => (_message: string) => undefined,
  render: () => (_value: unknown) => undefined,
  mailer: () => ({ send: async () => undefined }),
  opsToken: () => 'doc-ops-token',
  apiKey: () => 'PKDOCKEY',
  apiSecret: () => 'doc-secret',
  brokerAccountNumber: () => 'PA-DOC-1',
  bars: () => docBars(),
  token: () => DOC_TOKENS.lead,
  sector: () => ({ AAPL: 'tech', MSFT: 'tech', NVDA: 'tech', XOM: 'energy', CVX: 'energy' }),
  desk: async (get) => {
    const clock = await get<ManualClock>('clock');
    const desk = new TradingDesk({
      accounts: [
        { id: 'us-equities', adapter: pricedBroker(clock), scope: { assetClasses: ['equity'] } },
        { id: 'swing', adapter: pricedBroker(clock), scope: { assetClasses: ['equity'] } },
      ],
      clock,
      logger: silentLogger,
    });
    await desk.start();
    return desk;
  },
  server: async (get) => createServer({ engine: await get('engine'), port: 0, assetsDir: false, logger: silentLogger }),
  pool: () => new pg.Pool({ connectionString: CONNECTION }),
  expect: () => expect,
  it: () => it,
  alpacaOptions: (): AlpacaAdapterOptions => ({ keyId: FAKE_KEY, secret: FAKE_SECRET, ...need().alpaca }),
  oandaOptions: (): OandaAdapterOptions => ({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: need().oanda.url, streamUrl: need().oanda.url }),
};

function need(): DocServers {
  if (!servers) throw new Error('docs fixture: the local broker servers are not started (useDocServers)');
  return servers;
}

/** Every ambient name has a value here (a test checks it). */
export const FIXTURE_NAMES: readonly string[] = Object.keys(BUILDERS);
export const AMBIENT_NAMES: readonly string[] = Object.keys(AMBIENT);

/** Values for `names`, built on demand (an engine needs its broker and clock, built once per world). */
export async function docFixtures(names: readonly string[]): Promise<World> {
  const world = new Map<string, Promise<unknown>>();
  const get: Lazy = <T>(name: string): Promise<T> => {
    const builder = BUILDERS[name];
    if (!builder) return Promise.reject(new Error(`docs fixture: no value for \`${name}\``));
    if (!world.has(name)) world.set(name, Promise.resolve().then(() => builder(get)));
    return world.get(name) as Promise<T>;
  };
  const out: World = {};
  for (const name of names) out[name] = await get(name);
  return out;
}
