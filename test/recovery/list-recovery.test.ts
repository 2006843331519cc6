import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerError, ExecutionEngine, FileJournal, type OrderRequest, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-list-recovery-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const native = { nativeOco: true, nativeBracket: true };
const flush = (): Promise<void> => settle(1);
function broker(clock: ManualClock): MockBroker {
  const b = new MockBroker({ clock, capabilities: native });
  b.setPrice('AAPL', '100');
  return b;
}
function boot(adapter: MockBroker, clock: ManualClock, idStart: number): ExecutionEngine {
  return new ExecutionEngine({ adapter, clock, ids: sequentialIds(idStart), logger: silentLogger, journal: new FileJournal({ path: join(dir, 'journal.jsonl'), logger: silentLogger }) });
}
const bracket: OrderRequest[] = [
  { clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10, type: 'limit', limitPrice: '99', timeInForce: 'gtc' },
  { clientOrderId: 'tp', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'limit', limitPrice: '110', timeInForce: 'gtc' },
  { clientOrderId: 'sl', symbol: 'AAPL', side: 'sell', quantity: 10, type: 'stop', stopPrice: '95', timeInForce: 'gtc' },
];

describe('crash recovery of native order lists', () => {
  it('a bracket journaled but never sent is resent as one bracket — never a leg on its own', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const first = broker(clock);
    first.submitOrderList = () => new Promise(() => undefined); // the process dies with the request unsent
    const doomed = boot(first, clock, 1);
    await doomed.start();
    void doomed.orders.submitList('bracket', bracket);
    await flush();

    const second = broker(clock);
    const lists: string[] = [];
    const original = second.submitOrderList.bind(second);
    second.submitOrderList = (list) => {
      lists.push(`${list.kind}:${list.orders.map((o) => o.clientOrderId).join(',')}`);
      return original(list);
    };
    const restarted = boot(second, clock, 1_000);
    await restarted.start();
    const report = await restarted.recover();
    expect([...report.ordersResent].sort()).toEqual(['entry', 'sl', 'tp']);
    expect(lists).toEqual(['bracket:entry,tp,sl']);
    expect(second.requests.filter((r) => r.method === 'submitOrder').map((r) => r.clientOrderId)).toEqual(['entry']);
    expect(['entry', 'tp', 'sl'].map((id) => restarted.orders.get(id)?.status)).toEqual(['accepted', 'accepted', 'accepted']);
    second.setPrice('AAPL', '98.5');
    second.setPrice('AAPL', '111');
    expect(['entry', 'tp', 'sl'].map((id) => restarted.orders.get(id)?.status)).toEqual(['filled', 'filled', 'cancelled']);
  });

  it('a bracket the broker took, but whose answer was lost: found through its parent, legs and all, nothing resent', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const shared = broker(clock);
    const original = shared.submitOrderList.bind(shared);
    shared.submitOrderList = (list) => {
      void original(list); // the broker books it…
      return new Promise(() => undefined); // …and the process dies before the answer
    };
    const doomed = boot(shared, clock, 1);
    await doomed.start();
    void doomed.orders.submitList('bracket', bracket);
    // The list leaves once its records are on disk (an awaited fdatasync: real I/O time).
    await vi.waitFor(() => expect(shared.orderReports()).toHaveLength(3));
    shared.submitOrderList = original;

    const restarted = boot(shared, clock, 1_000);
    await restarted.start();
    const report = await restarted.recover();
    expect(report.ordersResent).toEqual([]);
    expect([...report.ordersFoundAtBroker].sort()).toEqual(['entry', 'sl', 'tp']);
    expect(restarted.orders.get('sl')?.brokerOrderId).toBe(shared.orderReports().find((r) => r.clientOrderId === 'sl')?.brokerOrderId);
    expect(shared.countByClientOrderId('entry')).toBe(1);
  });

  it('lists are rebuilt from their links: bracket, OTO (its exit named by role) and OCO', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const engine = boot(broker(clock), clock, 1);
    await engine.start();
    await engine.orders.submitList('bracket', bracket);
    await engine.orders.submitList('oto', [{ ...bracket[0]!, clientOrderId: 'in2' }, { ...bracket[2]!, clientOrderId: 'x2' }]);
    expect(engine.orders.listOf('tp')).toEqual({ kind: 'bracket', ids: ['entry', 'tp', 'sl'] });
    expect(engine.orders.listOf('in2')).toEqual({ kind: 'oto', ids: ['in2', 'x2'] });
    expect(engine.orders.get('in2')?.links).toEqual({ stopLossId: 'x2' });
    expect(engine.orders.listOf('x2')).toEqual({ kind: 'oto', ids: ['in2', 'x2'] });
  });

  it('a resting bracket entry whose legs the broker ended, then a checkpoint (it carries the working entry alone) and a restart: recover() looks the entry up as an order of its own — it failed on the legs it no longer knew (found by the crash search)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const adapter = broker(clock);
    const first = boot(adapter, clock, 1);
    await first.start();
    await first.orders.submitList('bracket', bracket);
    adapter.endByBroker({ clientOrderId: 'tp' });
    await flush();
    expect(['entry', 'tp', 'sl'].map((id) => first.orders.get(id)?.status)).toEqual(['accepted', 'cancelled', 'cancelled']);
    expect(first.checkpoint()).toBe(true);

    const restarted = boot(adapter, clock, 1_000);
    await restarted.start();
    const report = await restarted.recover();
    expect(restarted.recoveryState).toBe('recovered');
    expect(report.ordersResent).toEqual([]);
    expect(restarted.orders.get('tp')).toBeUndefined();
    expect(restarted.orders.get('entry')?.status).toBe('accepted');
    // Still the broker's order, heard and reconciled as one: it fills into a position, with no legs.
    adapter.setPrice('AAPL', '98.5');
    await flush();
    expect(restarted.orders.get('entry')?.status).toBe('filled');
    expect(restarted.positions.get('AAPL')?.quantity.toString()).toBe('10');
    await restarted.reconcile();
    await restarted.stop();
  });

  it('a long-lived engine: legs ended long ago are forgotten (past endedOrdersKept) while their entry rests — a reconciliation takes the entry as an order of its own, not a list with members it cannot find', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const adapter = broker(clock);
    const engine = new ExecutionEngine({ adapter, clock, ids: sequentialIds(1), logger: silentLogger, config: { orderManagement: { endedOrdersKept: 2, orderTimeoutMs: null } } });
    await engine.start();
    await engine.orders.submitList('bracket', bracket);
    adapter.endByBroker({ clientOrderId: 'sl' });
    await flush();
    // Three more orders end: the window of two forgets the legs.
    for (let i = 0; i < 3; i++) {
      await engine.orders.submit({ clientOrderId: `other-${i}`, symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'day' });
      await engine.orders.cancel(`other-${i}`);
      await flush();
    }
    expect([engine.orders.get('tp'), engine.orders.get('sl')]).toEqual([undefined, undefined]);
    const result = await engine.reconcile();
    expect([result.ordersFoundAtBroker, result.ordersMissing, result.unknownBrokerOrders]).toEqual([['entry'], [], []]);
    expect(engine.orders.get('entry')?.status).toBe('accepted');
    await engine.stop();
  });

  it('a bracket whose send was on its way when the process died, sent again by the restart and refused for good: in doubt, not rejected — when the first request lands, its orders are the list’s own again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const first = broker(clock);
    first.submitOrderList = () => new Promise(() => undefined); // the process dies with the request on its way
    const doomed = boot(first, clock, 1);
    await doomed.start();
    void doomed.orders.submitList('bracket', [{ clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10 }, bracket[1]!, bracket[2]!]);
    await flush();

    const second = broker(clock);
    const land = second.submitOrderList.bind(second);
    const list = { kind: 'bracket' as const, orders: ['entry', 'tp', 'sl'].map((id) => doomed.orders.get(id)!) };
    // The resend is refused outright (the broker judges it alone, before the first request arrives).
    second.submitOrderList = () => Promise.reject(new BrokerError('insufficient_buying_power', 'mock broker: insufficient buying power', { status: 403 }));
    const restarted = boot(second, clock, 1_000);
    await restarted.start();
    const report = await restarted.recover();
    expect(report.ordersResent).toEqual(['entry', 'tp', 'sl']);
    expect(['entry', 'tp', 'sl'].map((id) => restarted.orders.get(id)?.status)).toEqual(['failed', 'failed', 'failed']);
    expect(restarted.orders.ordersInDoubt().map((o) => o.clientOrderId).sort()).toEqual(['entry', 'sl', 'tp']);
    // The dead process's request lands: the market entry fills and its legs work — under our orders.
    await land(list);
    await flush();
    await restarted.reconcile();
    expect(['entry', 'tp', 'sl'].map((id) => restarted.orders.get(id)?.status)).toEqual(['filled', 'accepted', 'accepted']);
    expect(restarted.positions.get('AAPL')?.quantity.toString()).toBe('10');
    await restarted.stop();
  });

  it('a bracket in doubt whose legs a reconciliation finds open while its look-up of the filled entry fails: the next one still asks for the entry — the legs listed open let the list pass as answered, and the entry stayed failed with its fill adopted as a position of no order (found by the crash search)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const b = broker(clock);
    const engine = boot(b, clock, 1);
    await engine.start();
    const land = b.submitOrderList.bind(b);
    // The send times out and the look-up after it too: every order of the list failed, in doubt.
    b.submitOrderList = () => Promise.reject(new BrokerError('timeout', 'mock broker: submitOrderList timed out', { mayHaveReachedBroker: true }));
    b.failNext('getOrder', { kind: 'timeout', reached: true });
    await engine.orders.submitList('bracket', [{ clientOrderId: 'entry', symbol: 'AAPL', side: 'buy', quantity: 10 }, bracket[1]!, bracket[2]!]).catch(() => undefined);
    await flush();
    expect(['entry', 'tp', 'sl'].map((id) => engine.orders.get(id)?.status)).toEqual(['failed', 'failed', 'failed']);
    expect(engine.orders.ordersInDoubt().map((o) => o.clientOrderId).sort()).toEqual(['entry', 'sl', 'tp']);
    // It landed after all, unheard (the stream down): the market entry filled, its legs work.
    b.dropStream();
    await land({ kind: 'bracket', orders: ['entry', 'tp', 'sl'].map((id) => engine.orders.get(id)!) });
    await flush();
    // The first reconciliation finds the legs open; its look-up of the list fails.
    b.failNext('getOrder', { kind: 'timeout', reached: true });
    await engine.reconcile().catch(() => undefined);
    expect(['tp', 'sl'].map((id) => engine.orders.get(id)?.status)).toEqual(['accepted', 'accepted']);
    await engine.reconcile();
    expect(engine.orders.get('entry')).toMatchObject({ status: 'filled' });
    expect(engine.orders.get('entry')?.filledQuantity.toString()).toBe('10');
    await engine.stop();
  });
});

