import { silentLogger } from 'tradewire';
import { ALPACA_CAPABILITIES, AlpacaAdapter } from 'tradewire/alpaca';
import { describeBrokerAdapterConformance } from 'tradewire/testing/conformance';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from './fake-alpaca-server.js';

// The real SDK, pointed at a local Alpaca-compatible server: the same cases the mock broker passes.
describeBrokerAdapterConformance(
  'alpaca (local Alpaca-compatible server)',
  async () => {
    const server = await FakeAlpacaServer.start();
    server.exchange.setPrice('AAPL', '100');
    const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger: silentLogger });
    return {
      adapter,
      symbol: 'AAPL',
      quantity: 10,
      price: '100',
      setPrice: (p) => server.exchange.setPrice('AAPL', p.toString()),
      close: () => server.close(),
    };
  },
  ALPACA_CAPABILITIES,
);
