import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alwaysOpenMarket, defaultSignalPolicy, ExecutionEngine, FileJournal, type Signal, type SignalPolicy, silentLogger } from 'tradewire';
import { batchOrder } from '../../src/execution/signal-batch.js';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';

function setup(maxPositions = 3, policy?: SignalPolicy) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 100_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, ...(policy ? { policy } : {}), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions, minSignalStrength: 0 } });
  const symbols = Array.from({ length: 30 }, (_, i) => `S${i}`);
  for (const s of symbols) {
    broker.setPrice(s, '100');
    engine.updatePrice(s, '100');
  }
  let n = 0;
  const signal = (symbol: string, strength: number, side: 'buy' | 'sell' = 'buy'): Signal => ({ id: `b${++n}`, symbol, side, strength, time: clock.now(), strategyId: 'bar' });
  return { clock, broker, engine, signal, symbols };
}

describe('batches of signals', () => {
  it('when the limits cannot take them all, the strongest win — not the first to arrive; decisions come back in the order given', async () => {
    const { engine, signal } = setup(3);
    await engine.start();
    const batch = [signal('S1', 55), signal('S2', 90), signal('S3', 60), signal('S4', 95), signal('S5', 80)];
    const result = await engine.executeSignals(batch);
    expect(result.decisions.map((d) => d.signal.id)).toEqual(batch.map((s) => s.id));
    expect(result.decisions.map((d) => d.kind)).toEqual(['rejected', 'executed', 'rejected', 'executed', 'executed']); // 95, 90, 80 win
    expect(result.decisions[0]!.kind === 'rejected' && result.decisions[0]!.reasons.map((r) => r.code)).toEqual(['max_positions']);
    expect(result).toMatchObject({ executed: 3, rejected: 2, queued: 0 });
    expect(result.decidedInOrder).toEqual([batch[3]!.id, batch[1]!.id, batch[4]!.id, batch[2]!.id, batch[0]!.id]);
  });

  it('exits are decided first (they free the slots the entries then use), and maxOrders caps what one batch sends', async () => {
    const { engine, signal } = setup(2);
    await engine.start();
    await engine.executeSignals([signal('S1', 90), signal('S2', 90)]);
    const result = await engine.executeSignals([signal('S3', 99), signal('S1', 50, 'sell'), signal('S4', 70)], { maxOrders: 2 });
    expect(result.decidedInOrder[0]).toBe(result.decisions[1]!.signal.id); // the exit first
    expect(result.decisions.map((d) => d.kind)).toEqual(['executed', 'executed', 'rejected']);
    expect(result.decisions[2]!.kind === 'rejected' && result.decisions[2]!.reasons[0]!.code).toBe('batch_cap');
  });

  it("the batch's orders are on the wire together — one broker round trip for the batch, not one per order — and the limits still bind in rank order", async () => {
    const { clock, broker, engine, signal } = setup(3);
    await engine.start();
    broker.setLatency(250);
    const batch = [signal('S1', 55), signal('S2', 90), signal('S3', 60), signal('S4', 95), signal('S5', 80)];
    let settled = false;
    const pending = engine.executeSignals(batch, { refreshAccount: false }).finally(() => (settled = true));
    await settle();
    // The five new symbols are looked up together: one round trip.
    expect(broker.requests.filter((r) => r.method === 'getAsset')).toHaveLength(5);
    await clock.advanceAsync(250);
    // Every order is at the broker before its first answer: decided one after the other, sent together.
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(3);
    expect(settled).toBe(false);
    await clock.advanceAsync(250);
    const result = await pending;
    expect(result.decisions.map((d) => d.kind)).toEqual(['rejected', 'executed', 'rejected', 'executed', 'executed']);
    expect(result.decisions[2]!.kind === 'rejected' && result.decisions[2]!.reasons.map((r) => r.code)).toEqual(['max_positions']);
    expect(result.decisions.filter((d) => d.kind === 'executed').map((d) => d.kind === 'executed' && d.order.status)).toEqual(['filled', 'filled', 'filled']);
  });

  it('with the default durable journal a whole batch shares one fdatasync (group commit), however fast the disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-batch-'));
    try {
      const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
      const broker = new MockBroker({ clock, initialCash: 1e9 });
      // A disk fast enough for the inline flush (one order waiting flushes on the loop): a batch must still flush once.
      const journal = new FileJournal({ path: join(dir, 'j.jsonl'), logger: silentLogger, inlineSyncUnderMs: 60_000 });
      const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 50 } });
      const symbols = Array.from({ length: 40 }, (_, i) => `S${i}`);
      for (const s of symbols) {
        broker.setPrice(s, '100');
        engine.updatePrice(s, '100');
      }
      await engine.start();
      const before = journal.flushes;
      const result = await engine.executeSignals(symbols.map((symbol, i) => ({ id: `g${i}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'bar' })), { refreshAccount: false });
      expect(result.executed).toBe(40);
      const after = journal.flushes;
      expect(after.onLoop + after.offLoop - before.onLoop - before.offLoop).toBe(1);
      await engine.stop();
      journal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unexpected failure deciding one signal fails the batch: nothing after it is decided, and the orders already sent get their answers', async () => {
    const policy: SignalPolicy = (parsed, context) => {
      if (parsed.symbol === 'S3') throw new Error('strategy bug');
      return defaultSignalPolicy(parsed, context);
    };
    const { clock, broker, engine, signal } = setup(5, policy);
    await engine.start();
    broker.setLatency(100);
    const pending = engine.executeSignals([signal('S1', 90), signal('S2', 80), signal('S3', 70), signal('S4', 60)], { refreshAccount: false });
    const failed = expect(pending).rejects.toThrow('strategy bug');
    await settle();
    await clock.advanceAsync(100); // the assets
    await clock.advanceAsync(100); // the orders' answers
    await failed;
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(2); // S1, S2; S4 never decided
    expect(engine.orders.orderList().map((o) => o.status)).toEqual(['filled', 'filled']);
  });

  it('an invalid signal is refused with its issues; the rest of the batch goes on', async () => {
    const { engine, signal } = setup(5);
    await engine.start();
    const result = await engine.executeSignals([signal('S1', 80), { ...signal('S2', 80), strength: 500 }]);
    expect(result.decisions.map((d) => d.kind)).toEqual(['executed', 'rejected']);
    expect(result.decisions[1]!.kind === 'rejected' && result.decisions[1]!.reasons[0]!.code).toBe('invalid_signal');
  });

  it('property: a batch never sends more orders than its cap, and never passes max positions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ symbol: fc.integer({ min: 0, max: 9 }), strength: fc.integer({ min: 0, max: 100 }), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'> }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 6 }), async (plan, cap) => {
        const { engine, signal } = setup(4);
        await engine.start();
        await engine.executeSignals([signal('S0', 50), signal('S1', 50)]);
        const before = engine.orders.orderList().length;
        const result = await engine.executeSignals(plan.map((p) => signal(`S${p.symbol}`, p.strength, p.side)), { maxOrders: cap });
        expect(engine.orders.orderList().length - before).toBeLessThanOrEqual(cap);
        expect(result.executed).toBeLessThanOrEqual(cap);
        expect(engine.positions.openPositions().length).toBeLessThanOrEqual(4);
        await engine.stop();
      }),
      { numRuns: 40 },
    );
  });

  it('batchOrder: exits first, then strength, ties in the order given', () => {
    const s = (id: string, strength: number): Signal => ({ id, symbol: id, side: 'buy', strength, time: 0, strategyId: 'x' });
    expect(batchOrder([s('a', 10), s('b', 90), s('c', 90), s('x', 5)], (sig) => sig.id === 'x')).toEqual([3, 1, 2, 0]);
  });
});
