import { ExecutionEngine, InMemoryJournal, InMemoryPositionRepository, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const N = Number(process.env.N ?? 60000);
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal: new InMemoryJournal(50_000), positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
await engine.start();
for (const s of SYMBOLS) { broker.setPrice(s, '100'); engine.updatePrice(s, '100'); }
const t = process.hrtime.bigint(); const cpu = process.cpuUsage();
for (let i = 0; i < N; i++) {
  await engine.executeSignal({ id: `s${i}`, symbol: SYMBOLS[i % 4]!, side: Math.floor(i / 4) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
}
const u = process.cpuUsage(cpu);
console.log('rate', N / (Number(process.hrtime.bigint() - t) / 1e9), 'cpu us', (u.user + u.system) / N);
await engine.stop();
