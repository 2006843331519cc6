import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExecutionEngine, silentLogger, systemClock } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { describe, expect, it, vi } from 'vitest';

const run = promisify(execFile);
const root = join(__dirname, '../..');

/** A script as a user writes it: the system clock, no explicit waiting, then the end of the file. */
const SCRIPT = `
import { ExecutionEngine, silentLogger, systemClock } from 'tradewire';
import { MockBroker } from 'tradewire/testing';
const clock = systemClock();
const broker = new MockBroker({ clock, latencyMs: 30 });
const engine = new ExecutionEngine({ adapter: broker, clock, logger: silentLogger, market: { isMarketOpen: () => true }, config: { sizing: { method: 'fixed_quantity', quantity: 1 }, errorHandling: { minDelayMs: 200 } } });
await engine.start();
broker.setPrice('AAPL', '100');
engine.updatePrice('AAPL', '100');
broker.failNext('submitOrder', { kind: 'server_error' }); // the first attempt fails: a retry waits 200 ms
const decision = await engine.executeSignal({ id: 's', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
console.log(decision.kind, decision.kind === 'executed' ? decision.order.status : '');
await engine.stop();
`;

describe('a script on the system clock', () => {
  it('is kept alive by work in flight (a broker’s latency, a retry’s backoff) and ends when it is done', { timeout: 30_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: root });
    expect(stdout.trim()).toBe('executed filled');
  });
});

describe('engine.drain', () => {
  it('waits for the signals in flight (here a retry on the clock), or answers false after its timeout', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const broker = new MockBroker({ clock });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: { sizing: { method: 'fixed_quantity', quantity: 1 } } });
    await engine.start();
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    expect(await engine.drain()).toBe(true); // nothing in flight

    broker.failNext('submitOrder', { kind: 'server_error' }, 2);
    const decision = engine.executeSignal({ id: 's', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    await settle();
    const short = engine.drain(500);
    await clock.advanceAsync(500);
    expect(await short).toBe(false); // the retry waits 1 s: not idle yet

    const full = engine.drain();
    await clock.advanceAsync(5_000);
    expect(await full).toBe(true);
    expect((await decision).kind).toBe('executed');

    // A batch is work in flight too.
    broker.failNext('submitOrder', { kind: 'server_error' });
    const batch = engine.executeSignals([{ id: 'b1', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'x' }], { refreshAccount: false });
    await settle();
    const afterBatch = engine.drain(500);
    await clock.advanceAsync(500);
    expect(await afterBatch).toBe(false);
    await clock.advanceAsync(5_000);
    expect((await batch).executed).toBe(1);
    await engine.stop({ drain: true });
  });
});

describe('systemClock timers beyond what a Node timer holds (~24.8 days)', () => {
  it('wait their whole delay (a Node timer would fire at once) and can be cleared at any step', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    try {
      const clock = systemClock();
      const day = 86_400_000;
      const fired: string[] = [];
      clock.setTimeout(() => fired.push('34 days'), 34 * day);
      const cleared = clock.setTimeout(() => fired.push('cleared'), 60 * day);
      clock.setTimeout(() => fired.push('1 s'), 1_000);
      vi.advanceTimersByTime(1_000);
      expect(fired).toEqual(['1 s']);
      vi.advanceTimersByTime(30 * day); // past the first 24.8-day step: re-armed, not fired
      expect(fired).toEqual(['1 s']);
      clock.clearTimeout(cleared);
      vi.advanceTimersByTime(4 * day);
      expect(fired).toEqual(['1 s', '34 days']);
      vi.advanceTimersByTime(60 * day);
      expect(fired).toEqual(['1 s', '34 days']);
    } finally {
      vi.useRealTimers();
    }
  });
});
