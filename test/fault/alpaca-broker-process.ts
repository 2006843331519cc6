// The broker for the fault-injection test over a real network: the local Alpaca-compatible server,
// in its own process so it outlives every engine the test kills. The parent scripts it over IPC:
// prices (resting orders fill while no engine listens), a slow network (requests kept past the
// engine's timeout, then processed), a failing request, and a read of the broker's own state to check against.
import { seededRandom } from '../../src/testing/seeded-random.js';
import { FakeAlpacaServer } from '../adapters/alpaca/fake-alpaca-server.js';

type Command =
  | { type: 'price'; symbol: string; price: string }
  | { type: 'slow'; seed: number; ms: number; rates: Record<string, number> }
  | { type: 'state' }
  | { type: 'fail'; method: string; path: string; status: number }
  | { type: 'close' };

const server = await FakeAlpacaServer.start();

process.on('message', (command: Command) => {
  switch (command.type) {
    case 'price':
      server.exchange.setPrice(command.symbol, command.price);
      break;
    case 'slow': {
      const random = seededRandom(command.seed);
      // Kept between `ms` and twice that: some land before the engine's look-up, some after its resend.
      server.requestDelay = (method, path) => (random() < (command.rates[`${method} ${path}`] ?? 0) ? command.ms * (1 + random()) : 0);
      break;
    }
    case 'fail':
      // The next matching request fails (a broker that errors while an engine recovers).
      server.failNext({ method: command.method, path: new RegExp(command.path), status: command.status, body: { code: 50010000, message: 'internal server error (scripted)' } });
      break;
    case 'state': {
      const orders = [...server.exchange.orders.values()].map((o) => ({ clientOrderId: o.client_order_id, status: o.status, filled: o.filled_qty }));
      const positions = server.exchange.positionList().map((p) => ({ symbol: String(p.symbol), quantity: String(p.qty) }));
      process.send!({ type: 'state', orders, positions, lostEvents: server.lostEvents });
      break;
    }
    case 'close':
      void server.close().then(() => process.exit(0));
      break;
  }
});
process.send!({ type: 'ready', baseUrl: server.baseUrl, streamUrl: server.streamUrl });
