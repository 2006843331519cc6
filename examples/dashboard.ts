/**
 * `npm run demo -- --dashboard` — the live dashboard over a desk of two accounts on the bundled mock
 * brokers: prices wander every half second, a "bot" sends signals every couple of seconds, and the
 * page at the printed URL shows positions, orders, fills, P&L and alerts as they happen, with the
 * kill switch. Runs until Ctrl-C (or for `--seconds N`). No keys, no network beyond 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { alwaysOpenMarket, Decimal, type DeskSignal, silentLogger, systemClock, TradingDesk } from 'tradewire';
import { createServer, type TradewireServer } from 'tradewire/server';
import { MockBroker, seededRandom, sequentialIds } from 'tradewire/testing';

export interface LiveDemo {
  readonly server: TradewireServer;
  readonly desk: TradingDesk;
  /** The page's address with its access token in the fragment. */
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

const STOCKS: Record<string, number> = { AAPL: 191, MSFT: 421, NVDA: 1_100, TSLA: 178, AMD: 162 };
const FX: Record<string, number> = { EUR_USD: 1.085, GBP_USD: 1.27 };

/** Starts the desk, the market and the bot, and the dashboard server on `port` (0: any free port). */
export async function startLiveDemo(options: { readonly port?: number; readonly seed?: number; readonly tickMs?: number } = {}): Promise<LiveDemo> {
  const clock = systemClock();
  const random = seededRandom(options.seed ?? 7);
  const equities = new MockBroker({ clock, name: 'equity-broker', initialCash: 250_000, slippageBps: 3, commission: { perUnit: '0.005', minimum: '1' }, seed: options.seed ?? 7 });
  const forex = new MockBroker({ clock, name: 'fx-broker', initialCash: 100_000, slippageBps: 1, seed: (options.seed ?? 7) + 1, assets: Object.keys(FX).map((symbol) => ({ symbol, assetClass: 'forex' as const, quantityIncrement: new Decimal(1) })) });
  const desk = new TradingDesk({
    clock,
    logger: silentLogger,
    accounts: [
      { id: 'stocks', adapter: equities, ids: sequentialIds(1_000), market: alwaysOpenMarket, scope: { assetClasses: ['equity'] }, config: { minSignalStrength: 60, maxPositions: 4, sizing: { method: 'fixed_quantity', quantity: 25 } } },
      { id: 'fx', adapter: forex, ids: sequentialIds(5_000), market: alwaysOpenMarket, scope: { assetClasses: ['forex'] }, config: { minSignalStrength: 60, maxPositions: 2, sizing: { method: 'fixed_quantity', quantity: 20_000 } } },
    ],
    limits: { maxPositions: 6, maxDailyLoss: '5000' },
  });
  await desk.start();

  const prices: Record<string, number> = { ...STOCKS, ...FX };
  const publish = (): void => {
    for (const [symbol, price] of Object.entries(prices)) {
      const text = price.toFixed(symbol.includes('_') ? 5 : 2);
      (symbol.includes('_') ? forex : equities).setPrice(symbol, text);
      desk.updatePrice(symbol, text);
    }
  };
  publish();

  const tickMs = options.tickMs ?? 500;
  let n = 0;
  const market = setInterval(() => {
    for (const symbol of Object.keys(prices)) prices[symbol] = prices[symbol]! * (1 + (random() - 0.49) * 0.004);
    publish();
  }, tickMs);
  const bot = setInterval(() => {
    const symbols = Object.keys(prices);
    const symbol = symbols[Math.floor(random() * symbols.length)]!;
    // Exits for what it holds, entries otherwise (this bot does not sell short).
    const held = desk.engine(symbol.includes('_') ? 'fx' : 'stocks').positions.get(symbol);
    const side = held && random() < 0.5 ? 'sell' : 'buy';
    const signal: DeskSignal = { id: `live-${++n}`, symbol, side, strength: Math.round(50 + random() * 50), time: clock.now(), strategyId: random() < 0.5 ? 'momentum' : 'mean-revert', ...(symbol.includes('_') ? { assetClass: 'forex' as const } : {}) };
    void desk.executeSignal(signal).catch(() => undefined);
  }, tickMs * 4);

  const token = randomBytes(18).toString('base64url');
  const server = await createServer({ desk, port: options.port ?? 8787, auth: { tokens: [{ token, user: 'demo-trader', control: true }] }, control: true, logger: silentLogger });
  return {
    server,
    desk,
    token,
    url: `${server.url}#token=${token}`,
    stop: async () => {
      clearInterval(market);
      clearInterval(bot);
      await server.close();
      await desk.stop();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

export async function main(): Promise<void> {
  const secondsArg = process.argv.indexOf('--seconds');
  const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : undefined;
  const portArg = process.argv.indexOf('--port');
  const demo = await startLiveDemo({ port: portArg > 0 ? Number(process.argv[portArg + 1]) : 8787 });
  console.log(`tradewire dashboard: ${demo.url}`);
  console.log('  two accounts on mock brokers, prices every 0.5 s, a signal every 2 s — Ctrl-C to stop');
  if (!demo.server.servesPage) console.log('  the page is not built in this checkout: run `npm run build` (or `npm run demo:dashboard`); the API under /api/ works already');
  const stop = async (): Promise<void> => {
    await demo.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (seconds !== undefined) setTimeout(() => void stop(), seconds * 1000);
}
