import { systemClock } from 'tradewire';
import { OandaAdapter, type OandaAdapterOptions } from 'tradewire/oanda';
import { capturingLogger, corePath } from '../adapter-test-kit.js';
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
  const core = await corePath(adapter, logger, () => server.close());
  return { server, exchange: server.exchange, adapter, logger, ...core };
}
