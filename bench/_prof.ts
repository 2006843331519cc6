import { ExecutionEngine, InMemoryJournal, InMemoryPositionRepository, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const N = Number(process.env.N ?? 100000);
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal: new InMemoryJournal(10_000), positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
await engine.start();
for (const symbol of SYMBOLS) { broker.setPrice(symbol, '100'); engine.updatePrice(symbol, '100'); }
const cpu = process.cpuUsage();
for (let i = 0; i < N; i++) {
  await engine.executeSignal({ id: `s${i}`, symbol: SYMBOLS[i % SYMBOLS.length]!, side: Math.floor(i / SYMBOLS.length) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
}
const used = process.cpuUsage(cpu);
console.log('cpu us/signal', (used.user + used.system) / N);
await engine.stop();
