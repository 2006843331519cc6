// One account's process for the multi-process desk test: holds the account's lease, trades its
// signals with an engine on the shared PostgreSQL journal (its broker in-process), reports what it
// holds, and stays alive (holding the lease) until told to go.
import { alwaysOpenMarket, ExecutionEngine, ManualClock, randomIds, silentLogger } from 'tradewire';
import { AccountLease, PostgresJournal } from 'tradewire/postgres';
import { MockBroker } from 'tradewire/testing';

const [connectionString, account, signalsText, pricesText] = process.argv.slice(2);
const lease = await AccountLease.acquire({ connectionString, account });
const journal = await PostgresJournal.open({ connectionString, account, logger: silentLogger });
const clock = new ManualClock(Date.UTC(2024, 5, 4, 14, 0));
const broker = new MockBroker({ clock, name: `broker-${account}`, initialCash: 100_000 });
const engine = new ExecutionEngine({ adapter: broker, clock, journal, ids: randomIds(() => clock.now()), logger: silentLogger, market: alwaysOpenMarket, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
await engine.start();
await engine.recover();
for (const [symbol, price] of Object.entries(JSON.parse(pricesText))) {
  broker.setPrice(symbol, price);
  engine.updatePrice(symbol, price);
}
for (const signal of JSON.parse(signalsText)) await engine.executeSignal({ ...signal, time: clock.now() });
await journal.sync();
const positions = engine.positions.openPositions().map((p) => ({ symbol: p.symbol, side: p.side, quantity: p.quantity.toFixed(), averageEntryPrice: p.averageEntryPrice.toFixed(), strategyId: p.strategyId }));
process.send({ type: 'done', positions, realized: engine.pnl().realizedTotal.toFixed() });
process.on('message', async (m) => {
  if (m.type !== 'exit') return;
  await engine.stop();
  await journal.end();
  await lease.release();
  process.exit(0);
});
