import { alwaysOpenMarket, ExecutionEngine, InMemoryJournal, type Signal, sequentialIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
const SIZE = 500;
const gc = (globalThis as { gc?: () => void }).gc!;
async function once(bar: boolean): Promise<[number, number]> {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal: new InMemoryJournal(50_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: SIZE, maxAccountExposurePct: 100, orderManagement: { orderTimeoutMs: null } } });
  const symbols = Array.from({ length: SIZE }, (_, i) => `S${i}`);
  for (const s of symbols) { broker.setPrice(s, '100'); engine.updatePrice(s, '100'); }
  await engine.start();
  const entries: Signal[] = symbols.map((symbol, i) => ({ id: `b-${i}`, symbol, side: 'buy', strength: 70 + (i % 30), time: clock.now(), strategyId: 'bar' }));
  if (bar) gc();
  let t0 = process.hrtime.bigint();
  await engine.executeSignals(entries, { refreshAccount: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const exits: Signal[] = symbols.map((symbol, i) => ({ id: `x-${i}`, symbol, side: 'sell', strength: 90, time: clock.now(), strategyId: 'bar' }));
  if (bar) gc();
  t0 = process.hrtime.bigint();
  await engine.executeSignals(exits, { refreshAccount: false });
  const exitMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await engine.stop();
  return [ms, exitMs];
}
for (let i = 0; i < 10; i++) await once(i % 2 === 0);
const r: Record<string, number[][]> = { b2b: [[], []], bar: [[], []] };
for (let i = 0; i < 60; i++) { const bar = i % 2 === 1; const [a, b] = await once(bar); r[bar ? 'bar' : 'b2b']![0]!.push(a); r[bar ? 'bar' : 'b2b']![1]!.push(b); }
const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} best ${s[0]!.toFixed(1)} p90 ${s[Math.floor(s.length * 0.9)]!.toFixed(1)}`; };
for (const k of ['b2b', 'bar']) console.log(k, 'entries', med(r[k]![0]!), '| exits', med(r[k]![1]!));
