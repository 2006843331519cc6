import { readFileSync } from 'node:fs';
import { ExecutionEngine } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

describe('the README quick start', () => {
  it('does what its comments say', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm install && npm test');
    // The same steps as the README, asserting the values it prints.
    const clock = new ManualClock();
    const broker = new MockBroker({ clock, initialCash: 100_000 });
    const engine = new ExecutionEngine({ adapter: broker, clock, config: { maxPositions: 5, minSignalStrength: 70 } });
    await engine.start();
    broker.setPrice('AAPL', '190.00');
    engine.updatePrice('AAPL', '190.00');
    const decision = await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 82, time: clock.now(), strategyId: 'breakout' });
    expect([decision.kind, engine.positions.get('AAPL')?.quantity.toString()]).toEqual(['executed', '52']);
    expect(readme).toContain('// executed 52');
    broker.setPrice('AAPL', '195.00');
    engine.updatePrice('AAPL', '195.00');
    await engine.executeSignal({ id: 's2', symbol: 'AAPL', side: 'sell', strength: 80, time: clock.now(), strategyId: 'breakout' });
    expect(engine.pnl().realizedToday.toFixed(2)).toBe('260.00');
    expect(readme).toContain('// 260.00');
    await engine.stop();
  });
});
