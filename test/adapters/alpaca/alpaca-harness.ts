import { EventBus, InMemoryJournal, type Logger, ManualClock, OrderErrorHandler, OrderLifecycleManager, sequentialIds, type TradewireEvents } from 'tradewire';
import { AlpacaAdapter, type AlpacaAdapterOptions } from 'tradewire/alpaca';
import { untilWithClock } from '../adapter-test-kit.js';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from './fake-alpaca-server.js';

/** Every line the adapter and the core log, kept so a test can prove no secret is in them. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, context?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * A local Alpaca-compatible server, the real SDK through an AlpacaAdapter pointed at it, and the
 * core's lifecycle with the error handler in front (retries wait on a manual clock, advanced by
 * {@link until}, so nothing sleeps on real time).
 */
export async function alpacaHarness(options: { binaryFrames?: boolean; adapter?: Partial<AlpacaAdapterOptions>; retries?: number } = {}) {
  const server = await FakeAlpacaServer.start(options.binaryFrames === undefined ? {} : { binaryFrames: options.binaryFrames });
  server.exchange.setPrice('AAPL', '100');
  const logger = capturingLogger();
  const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger, reconnect: { initialMs: 20, maxMs: 50 }, ...options.adapter });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 0));
  const journal = new InMemoryJournal();
  const events = new EventBus<TradewireEvents>();
  const emitted: { name: string; payload: unknown }[] = [];
  const handler = new OrderErrorHandler({ adapter, clock, events, journal, retry: { retries: options.retries ?? 3, minDelayMs: 1_000 } });
  const orders = new OrderLifecycleManager({ adapter, clock, ids: sequentialIds(), journal, events, logger, send: handler.send, orderTimeoutMs: null });
  for (const name of ['order:transition', 'order:retry', 'alert', 'broker:connection', 'error', 'order:unknown_update'] as const) events.on(name, (payload: unknown) => emitted.push({ name, payload }));
  await adapter.connect();
  orders.start();
  /** Waits for socket I/O until `check` passes, moving the manual clock so retry backoffs elapse. */
  const until = untilWithClock(clock);
  const close = async (): Promise<void> => {
    orders.stop();
    await adapter.disconnect();
    await server.close();
  };
  return { server, exchange: server.exchange, adapter, clock, journal, events, emitted, orders, handler, logger, until, close };
}
