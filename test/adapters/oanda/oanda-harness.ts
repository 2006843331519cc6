import { EventBus, InMemoryJournal, ManualClock, OrderErrorHandler, OrderLifecycleManager, sequentialIds, systemClock, type TradewireEvents } from 'tradewire';
import { OandaAdapter, type OandaAdapterOptions } from 'tradewire/oanda';
import { untilWithClock } from '../adapter-test-kit.js';
import { capturingLogger } from '../alpaca/alpaca-harness.js';
import { ACCOUNT_ID, FAKE_TOKEN, FakeOandaServer } from './fake-oanda-server.js';

/**
 * A local v20-compatible server, an OandaAdapter pointed at it (its timers on the real clock with
 * short intervals: they wait on socket I/O), and the core's lifecycle with the error handler in
 * front (retry backoffs on a manual clock, advanced by {@link until}).
 */
export async function oandaHarness(options: { adapter?: Partial<OandaAdapterOptions> } = {}) {
  const server = await FakeOandaServer.start({ heartbeatMs: 40 });
  server.exchange.setPrice('EUR_USD', '1.10000');
  const logger = capturingLogger();
  const adapter = new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url, logger, clock: systemClock(), heartbeatTimeoutMs: 300, reconnect: { initialMs: 20, maxMs: 100 }, pollIntervalMs: 30, ...options.adapter });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 0));
  const journal = new InMemoryJournal();
  const events = new EventBus<TradewireEvents>();
  const emitted: { name: string; payload: unknown }[] = [];
  const handler = new OrderErrorHandler({ adapter, clock, events, journal, retry: { retries: 3, minDelayMs: 1_000 } });
  const orders = new OrderLifecycleManager({ adapter, clock, ids: sequentialIds(), journal, events, logger, send: handler.send, orderTimeoutMs: null });
  for (const name of ['order:transition', 'order:retry', 'alert', 'broker:connection', 'error', 'order:unknown_update'] as const) events.on(name, (payload: unknown) => emitted.push({ name, payload }));
  await adapter.connect();
  orders.start();
  const until = untilWithClock(clock);
  const close = async (): Promise<void> => {
    orders.stop();
    await adapter.disconnect();
    await server.close();
  };
  return { server, exchange: server.exchange, adapter, clock, journal, events, emitted, orders, logger, until, close };
}
