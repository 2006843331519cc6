import { ExecutionEngine, InMemoryJournal, InMemoryPositionRepository, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
const journal = new InMemoryJournal(50_000);
const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, journal, positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
await engine.start();
for (const s of SYMBOLS) { broker.setPrice(s, '100'); engine.updatePrice(s, '100'); }
const counts = new Map<string, number>();
const bus = (engine as any).bus;
const origEmit = bus.emit.bind(bus);
bus.emit = (name: string, ...a: unknown[]) => { counts.set('event:' + name, (counts.get('event:' + name) ?? 0) + 1); return origEmit(name, ...a); };
const origAppend = journal.append.bind(journal);
(journal as any).append = (r: any) => { const k = 'journal:' + r.kind + ':' + (r.topic ?? r.event?.type ?? r.type ?? ''); counts.set(k, (counts.get(k) ?? 0) + 1); return origAppend(r); };
for (let i = 0; i < 1000; i++) await engine.executeSignal({ id: `s${i}`, symbol: SYMBOLS[i % 4]!, side: Math.floor(i / 4) % 2 ? 'sell' : 'buy', strength: 80, time: clock.now(), strategyId: 'b' });
console.log([...counts].map(([k, v]) => `${k} ${v / 1000}`).join('\n'));
await engine.stop();
