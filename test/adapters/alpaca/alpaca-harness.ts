import { AlpacaAdapter, type AlpacaAdapterOptions } from 'tradewire/alpaca';
import { capturingLogger, corePath } from '../adapter-test-kit.js';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from './fake-alpaca-server.js';

/**
 * A local Alpaca-compatible server, the real SDK through an AlpacaAdapter pointed at it, and the
 * core's lifecycle with the error handler in front (retries wait on a manual clock, advanced by
 * `until`, so nothing sleeps on real time).
 */
export async function alpacaHarness(options: { binaryFrames?: boolean; adapter?: Partial<AlpacaAdapterOptions> } = {}) {
  const server = await FakeAlpacaServer.start(options.binaryFrames === undefined ? {} : { binaryFrames: options.binaryFrames });
  server.exchange.setPrice('AAPL', '100');
  const logger = capturingLogger();
  const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger, reconnect: { initialMs: 20, maxMs: 50 }, ...options.adapter });
  const core = await corePath(adapter, logger, () => server.close());
  return { server, exchange: server.exchange, adapter, logger, ...core };
}
