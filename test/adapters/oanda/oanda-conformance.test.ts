import { silentLogger } from 'tradewire';
import { OANDA_CAPABILITIES, OandaAdapter } from 'tradewire/oanda';
import { describeBrokerAdapterConformance } from 'tradewire/testing/conformance';
import { ACCOUNT_ID, FAKE_TOKEN, FakeOandaServer } from './fake-oanda-server.js';

// Our client on Node's fetch against a local v20-compatible server: the same cases as every adapter.
describeBrokerAdapterConformance(
  'oanda (local v20-compatible server)',
  async () => {
    const server = await FakeOandaServer.start();
    server.exchange.setPrice('EUR_USD', '1.10000');
    const adapter = new OandaAdapter({ token: FAKE_TOKEN, accountId: ACCOUNT_ID, restUrl: server.url, streamUrl: server.url, logger: silentLogger, heartbeatTimeoutMs: 1_000 });
    return {
      adapter,
      symbol: 'EUR_USD',
      assetClass: 'forex',
      quantity: 1000,
      price: '1.10000',
      setPrice: (p) => server.exchange.setPrice('EUR_USD', p.toString()),
      close: () => server.close(),
    };
  },
  OANDA_CAPABILITIES,
);
