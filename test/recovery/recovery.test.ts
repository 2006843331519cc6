import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerAdapter, BrokerError, createOrder, Decimal, type EngineConfig, ExecutionEngine, FileJournal, type Order, type ReconciliationReport, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processView } from '../resilience/agreement.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-recovery-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const flush = (): Promise<void> => settle(1);

/** A process: an engine on a durable journal. "Crashing" it is dropping it without any cleanup. */
function boot(broker: BrokerAdapter, clock: ManualClock, config: EngineConfig = {}, idStart = 1): ExecutionEngine {
  const journal = new FileJournal({ path: join(dir, 'journal.jsonl'), logger: silentLogger });
  return new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(idStart), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, ...config } });
}

/** A process with protection on, on the OS-flushed journal in `dir` (a dead process and its restart share it). */
function protectedProcess(adapter: BrokerAdapter, clock: ManualClock, idStart: number): ExecutionEngine {
  const config: EngineConfig = { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null } };
  return new ExecutionEngine({ adapter, clock, ids: sequentialIds(idStart), logger: silentLogger, journal: new FileJournal({ path: join(dir, 'journal.jsonl'), sync: 'os', logger: silentLogger }), protection: true, config });
}

let n = 0;
const signal = (clock: ManualClock, s: Partial<Signal> = {}): Signal => ({ id: `sig-${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 't', ...s });

/** A process that journals an order and dies before the request leaves (the send never returns). */
async function crashBeforeSend(clock: ManualClock): Promise<void> {
  const broker = new MockBroker({ clock });
  broker.setPrice('AAPL', '100');
  const doomed = boot(broker, clock);
  broker.submitOrder = () => new Promise(() => undefined);
  await doomed.start();
  doomed.updatePrice('AAPL', '100');
  void doomed.executeSignal(signal(clock));
  await flush();
  expect(broker.orderReports()).toEqual([]);
}

/** The broker takes every send, but no answer comes back, nor the stream's news. Returns the call that heals it. */
function answersLost(broker: MockBroker): () => void {
  const submit = broker.submitOrder.bind(broker);
  broker.dropStream();
  broker.submitOrder = (order) => {
    void submit(order);
    return new Promise(() => undefined);
  };
  return () => {
    broker.submitOrder = submit;
    broker.clearFaults();
    broker.restoreStream();
  };
}

/** A new process recovers on `broker`: the order `id` ends cancelled there and here, placed once. */
async function expectCancelledAfterRestart(broker: MockBroker, clock: ManualClock, id: string): Promise<void> {
  const second = boot(broker, clock, {}, 1_000);
  await second.start();
  await second.recover();
  await flush();
  expect(broker.orderReports().find((o) => o.clientOrderId === id)?.status).toBe('cancelled');
  expect(second.orders.get(id)?.status).toBe('cancelled');
  expect(broker.countByClientOrderId(id)).toBe(1);
}

describe('crash recovery', () => {
  it('an order journaled but never sent is found missing at the broker and sent, exactly once', async () => {
    const clock = new ManualClock();
    await crashBeforeSend(clock);

    const restarted = new MockBroker({ clock });
    restarted.setPrice('AAPL', '100');
    const second = boot(restarted, clock, {}, 1_000);
    await second.start();
    const report = await second.recover();
    expect(report.ordersResent).toHaveLength(1);
    const [resent] = report.ordersResent;
    expect(restarted.countByClientOrderId(resent!)).toBe(1);
    expect(second.orders.get(resent!)?.status).toBe('filled');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
  });

  it('an order cancelled before it reached the broker, then a crash: the restart finds it nowhere and ends it (failed), rather than leaving it pending cancel for good — the positions are compared again', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const doomed = boot(broker, clock);
    const submit = broker.submitOrder.bind(broker);
    broker.submitOrder = () => new Promise(() => undefined); // the send never returns (nor arrives)
    await doomed.start();
    doomed.updatePrice('AAPL', '100');
    void doomed.executeSignal(signal(clock));
    await flush();
    const [entry] = doomed.orders.orderList();
    // The kill switch: one cancel-everything call to the broker, which holds nothing of ours yet.
    await doomed.orders.cancelAll('kill switch');
    await flush();
    expect(doomed.orders.get(entry!.clientOrderId)?.status).toBe('pending_cancel');
    broker.submitOrder = submit;
    // Shares bought in the broker's app while the process is down: the restart must adopt them.
    await broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 3, clientOrderId: 'app-1' }, { clock, ids: sequentialIds() }));

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    const report = await second.recover();
    expect(second.orders.get(entry!.clientOrderId)?.status).toBe('failed');
    expect(broker.countByClientOrderId(entry!.clientOrderId)).toBe(0);
    expect([report.positionsDeferred, report.action]).toEqual([[], 'adopted']);
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('3');
    // Before: the restart's cancel, refused (the broker knew no such order), put it back to
    // `submitted`, and the next reconciliation sent the kill-switched entry — and it filled.
    await second.reconcile();
    expect(second.orders.get(entry!.clientOrderId)?.status).toBe('failed');
    expect(broker.countByClientOrderId(entry!.clientOrderId)).toBe(0);
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('3');
  });

  it('an order cancelled before the broker acknowledged it, whose send did land (its answer lost), then a crash: the restart finds it at the broker and cancels it', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const doomed = boot(dying.adapter, clock);
    await doomed.start();
    doomed.updatePrice('AAPL', '100');
    // A limit below the market: it rests at the broker; the answer never comes back, nor the stream's news.
    const heal = answersLost(broker);
    void doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await flush();
    const [entry] = doomed.orders.orderList();
    broker.failNext('cancelAllOrders', { kind: 'network' });
    broker.failNext('cancelOrder', { kind: 'network' }, 20);
    broker.failNext('getOrder', { kind: 'network' }, 20);
    await doomed.orders.cancelAll('kill switch');
    await flush();
    // The cancel did not get through (nor the look-up after it): the order is back to `submitted` here, working there.
    expect(doomed.orders.get(entry!.clientOrderId)?.status).toBe('submitted');
    expect(broker.orderReports().find((o) => o.clientOrderId === entry!.clientOrderId)?.status).toBe('accepted');
    dying.kill();
    heal();
    await expectCancelledAfterRestart(broker, clock, entry!.clientOrderId);
  });

  it('an order cancelled before it was sent (in its order:created listener), whose send then landed (its answer lost), then a crash: the restart cancels it at the broker — the cancel was never journaled, and the order stayed working', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const doomed = boot(dying.adapter, clock);
    await doomed.start();
    const heal = answersLost(broker); // it lands, but its answer never comes back
    doomed.once('order:created', ({ order }) => void doomed.orders.cancel(order.clientOrderId, 'host'));
    void doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await flush();
    const [entry] = doomed.orders.orderList();
    expect(doomed.orders.get(entry!.clientOrderId)?.status).toBe('submitted');
    expect(broker.orderReports().find((o) => o.clientOrderId === entry!.clientOrderId)?.status).toBe('accepted');
    dying.kill();
    heal();
    await expectCancelledAfterRestart(broker, clock, entry!.clientOrderId);
  });

  it('an order cancelled before it was sent, then a crash before its send went: the restart does not send it (it ends failed)', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const doomed = boot(broker, clock);
    broker.submitOrder = () => new Promise(() => undefined); // the send never returns (nor arrives)
    await doomed.start();
    doomed.once('order:created', ({ order }) => void doomed.orders.cancel(order.clientOrderId, 'host'));
    void doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await flush();
    const [entry] = doomed.orders.orderList();

    const restarted = new MockBroker({ clock });
    restarted.setPrice('AAPL', '100');
    const second = boot(restarted, clock, {}, 1_000);
    await second.start();
    const report = await second.recover();
    expect(report.ordersResent).toEqual([]);
    expect(restarted.countByClientOrderId(entry!.clientOrderId)).toBe(0);
    expect(second.orders.get(entry!.clientOrderId)?.status).toBe('failed');
  });

  /** A process with one resting limit buy (its cancels acknowledged 300 ms later), on a broker that outlives it. */
  async function restingEntry(): Promise<{ clock: ManualClock; broker: MockBroker; dying: ReturnType<typeof processView>; doomed: ExecutionEngine; entry: Order }> {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock, cancelLatencyMs: 300 });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const doomed = boot(dying.adapter, clock);
    await doomed.start();
    const entry = await doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await flush();
    return { clock, broker, dying, doomed, entry };
  }

  it('the kill switch, its cancel refused by the broker, then a crash before it was asked again: the restart (still halted) asks it again and the order ends; resume() after the restart releases what is left', async () => {
    const { clock, broker, dying, doomed, entry } = await restingEntry();
    const other = await doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '94', timeInForce: 'gtc' }, { timeoutMs: null });
    await flush();
    broker.refuseCancels(3);
    await doomed.halt({ reason: 'desk', cancelOpen: true });
    await clock.advanceAsync(400); // both refused; asked again in a second — the process dies first
    expect(broker.orderReports().map((o) => o.status)).toEqual(['accepted', 'accepted']);
    dying.kill();

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    await second.recover();
    expect(second.tradingState).toBe('HALTED');
    await clock.advanceAsync(400); // the first asked again is refused (the broker's third refusal): asked again …
    second.resume(); // … no more: the halt is lifted
    for (let i = 0; i < 20; i++) await clock.advanceAsync(1_000);
    const status = (id: string) => broker.orderReports().find((o) => o.clientOrderId === id)?.status;
    expect([status(entry.clientOrderId), status(other.clientOrderId)].sort()).toEqual(['accepted', 'cancelled']);
  });

  it("a host's own cancel-all wanted until the orders end, its reason beginning 'halted: ', across a restart: still asked after a halt is lifted — the restart reads whose cancel it was from the journal, not from the reason", async () => {
    const { clock, broker, dying, doomed, entry } = await restingEntry();
    broker.refuseCancels(3);
    await doomed.orders.cancelAll('halted: news', { untilEnded: true });
    await clock.advanceAsync(400); // refused; asked again in a second — the process dies first
    dying.kill();

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    await second.recover();
    await second.halt({ reason: 'desk' });
    second.resume();
    for (let i = 0; i < 20; i++) await clock.advanceAsync(1_000);
    expect(broker.orderReports().find((o) => o.clientOrderId === entry.clientOrderId)?.status).toBe('cancelled');
  });

  it("a journal an earlier build wrote (its notes of cancels wanted until the orders end carry no mark of the kill switch's): the halt's are known by their reason, and resume() after the restart releases them", async () => {
    const { clock, broker, dying, doomed, entry } = await restingEntry();
    broker.refuseCancels(1_000);
    await doomed.halt({ reason: 'desk', cancelOpen: true });
    await clock.advanceAsync(400);
    dying.kill();
    const path = join(dir, 'journal.jsonl');
    const written = readFileSync(path, 'utf8');
    expect(written).toContain('"halt":true');
    writeFileSync(path, written.replace(/,"halt":(true|false)/g, ''));

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    await second.recover();
    second.resume();
    const asked = broker.requests.filter((r) => r.method === 'cancelOrder' || r.method === 'cancelAllOrders').length;
    for (let i = 0; i < 20; i++) await clock.advanceAsync(1_000);
    expect(broker.requests.filter((r) => r.method === 'cancelOrder' || r.method === 'cancelAllOrders').length).toBe(asked);
    expect(broker.orderReports().find((o) => o.clientOrderId === entry.clientOrderId)?.status).toBe('accepted');
  });

  it('an order sent just before a crash whose request lands after the restart looked for it: failed at the restart, but in doubt — the next reconciliation finds it, and its fill is its own (not an adopted position with the order left failed)', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const config: EngineConfig = { recovery: { resendUnacknowledged: false, reconcileIntervalMs: 0 } };
    const doomed = boot(dying.adapter, clock, config);
    await doomed.start();
    doomed.updatePrice('AAPL', '100');
    broker.failNext('submitOrder', { kind: 'slow', ms: 3_000 }); // on its way for 3 s
    void doomed.executeSignal(signal(clock));
    await flush();
    const [entry] = doomed.orders.orderList();
    dying.kill();

    broker.dropStream(); // the restarted process hears nothing of the landing: only a look-up finds it
    const second = boot(broker, clock, config, 1_000);
    await second.start();
    const report = await second.recover();
    expect(report.ordersMissing).toEqual([entry!.clientOrderId]);
    expect(second.orders.get(entry!.clientOrderId)?.status).toBe('failed');
    expect(second.orders.ordersInDoubt().map((o) => o.clientOrderId)).toEqual([entry!.clientOrderId]);

    clock.advance(3_000); // it lands, and fills
    await flush();
    expect(broker.orderReports().find((o) => o.clientOrderId === entry!.clientOrderId)?.status).toBe('filled');
    const later = await second.reconcile();
    expect(later.positionMismatches).toEqual([]);
    expect(second.orders.get(entry!.clientOrderId)?.status).toBe('filled');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
  });

  it('an order cancelled before the broker acknowledged it, its request still on the way at a crash: the restart ends it (failed), and when it lands after all it is cancelled there — also after a checkpoint and another restart', async () => {
    for (const checkpointed of [false, true]) {
      for (const file of readdirSync(dir)) rmSync(join(dir, file)); // each run its own journal
      const clock = new ManualClock();
      const broker = new MockBroker({ clock });
      broker.setPrice('AAPL', '100');
      const dying = processView(broker);
      const config: EngineConfig = { recovery: { reconcileIntervalMs: 0 } };
      const doomed = boot(dying.adapter, clock, config);
      await doomed.start();
      broker.failNext('submitOrder', { kind: 'slow', ms: 3_000 });
      void doomed.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
      await flush();
      const [entry] = doomed.orders.orderList();
      await doomed.orders.cancelAll('kill switch');
      await flush(); // journaled
      expect(doomed.orders.get(entry!.clientOrderId)?.status).toBe('pending_cancel');
      dying.kill();

      const restarted = processView(broker);
      let current = boot(restarted.adapter, clock, config, 1_000);
      const steps: string[] = [];
      current.on('order:transition', ({ order, to }) => order.clientOrderId === entry!.clientOrderId && steps.push(to));
      await current.start();
      await current.recover();
      expect(current.orders.get(entry!.clientOrderId)?.status).toBe('failed');
      if (checkpointed) {
        // The checkpoint drops the records before it; the order still watched goes into it. Then a crash.
        expect(current.checkpoint()).toBe(true);
        restarted.kill();
        current = boot(broker, clock, config, 2_000);
        await current.start();
        await current.recover();
      }
      clock.advance(3_000); // the dead process's request lands: a limit resting at the broker
      await flush();
      await current.reconcile();
      await flush();
      expect([checkpointed, broker.orderReports().find((o) => o.clientOrderId === entry!.clientOrderId)?.status]).toEqual([checkpointed, 'cancelled']);
      expect(current.orders.get(entry!.clientOrderId)?.status).toBe('cancelled');
      // Heard in the order it happened: acknowledged, then the cancel that follows it.
      if (!checkpointed) expect(steps).toEqual(['failed', 'accepted', 'pending_cancel', 'cancelled']);
    }
  });

  it('killed during a kill switch with flatten, before its closes went: the restart, halted, finishes the flatten — every position closed, no stop left — and trading stays halted until resume()', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    broker.setPrice('MSFT', '300');
    const dying = processView(broker);
    const first = new ExecutionEngine({ adapter: dying.adapter, clock, ids: sequentialIds(), logger: silentLogger, journal: new FileJournal({ path: join(dir, 'journal.jsonl'), sync: 'os', logger: silentLogger }), protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
    await first.start();
    for (const symbol of ['AAPL', 'MSFT']) {
      first.updatePrice(symbol, symbol === 'AAPL' ? '100' : '300');
      await first.executeSignal(signal(clock, { symbol }));
    }
    const stops = () => broker.orderReports().filter((o) => o.type === 'stop' && o.status === 'accepted');
    for (let i = 0; i < 50 && stops().length < 2; i++) await settle(4);
    expect(stops()).toHaveLength(2);
    // The cancel-everything call never answers: the process dies with its closes not yet sent.
    broker.cancelAllOrders = () => new Promise(() => undefined);
    void first.halt({ reason: 'risk desk', flatten: true }).catch(() => undefined);
    await flush();
    dying.kill();
    expect(broker.positionReports()).toHaveLength(2);
    delete (broker as { cancelAllOrders?: unknown }).cancelAllOrders; // the prototype's again

    const second = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(1_000), logger: silentLogger, journal: new FileJournal({ path: join(dir, 'journal.jsonl'), sync: 'os', logger: silentLogger }), protection: true, config: { sizing: { method: 'fixed_quantity', quantity: 10 } } });
    const closed: string[] = [];
    second.on('position:force_closed', ({ symbol, reason }) => closed.push(`${symbol}: ${reason}`));
    await second.start();
    second.updatePrice('AAPL', '100');
    second.updatePrice('MSFT', '300');
    await second.recover();
    await flush();
    expect(closed.sort()).toEqual(['AAPL: halted: risk desk (flatten finished after a restart)', 'MSFT: halted: risk desk (flatten finished after a restart)']);
    expect(broker.positionReports()).toEqual([]);
    expect(second.positions.openPositions()).toEqual([]);
    expect(broker.orderReports().filter((o) => ['accepted', 'pending_cancel'].includes(o.status))).toEqual([]);
    expect(second.tradingState).toBe('HALTED');
    // Only resume() ends the halt (and the flatten it asked for: a later restart closes nothing).
    second.resume();
    expect(second.tradingState).toBe('ACTIVE');
  });

  it('fills that happened while the process was down are applied on recovery; positions match the broker', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const first = boot(broker, clock);
    await first.start();
    first.updatePrice('AAPL', '100');
    await first.executeSignal(signal(clock)); // filled: long 10
    const exit = await first.executeSignal(signal(clock, { side: 'sell', expectedPrice: '100' }));
    expect(exit.kind).toBe('executed');
    // The exit fills at the broker only while nobody is listening.
    const resting = await first.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await first.stop(); // the process dies (stop = nobody listens any more)
    broker.setPrice('AAPL', '94');
    expect(broker.orderReports().find((o) => o.clientOrderId === resting.clientOrderId)?.status).toBe('filled');

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    const report = await second.recover();
    expect(report.ordersFoundAtBroker).toContain(resting.clientOrderId);
    expect(report.positionMismatches).toEqual([]);
    expect(second.orders.get(resting.clientOrderId)?.status).toBe('filled');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('5');
    expect(broker.positionReports()[0]?.quantity.toString()).toBe('5');
    // A replayed signal is not traded twice.
    const replay = await second.executeSignal({ ...exit.signal });
    expect(replay).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal' }] });
  });

  it.each([false, true])('a stop whose cancel was made in the broker\'s app (heard pending), then a crash (checkpoint in between: %s): the restart does not claim the cancel as the dead process\'s — when it lands, the stop is placed again', async (checkpointed) => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // Monday 11:00 EDT
    const broker = new MockBroker({ clock, cancelLatencyMs: 5_000 });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const first = protectedProcess(dying.adapter, clock, 1);
    await first.start();
    first.updatePrice('AAPL', '100');
    await first.executeSignal(signal(clock));
    await settle(8);
    const stop = first.orders.get(first.protection!.protectionOf('AAPL')!.stop!.clientOrderId)!;
    expect(stop.status).toBe('accepted');
    // Someone cancels the stop in the broker's app; the cancel takes five seconds, the process hears it pending.
    await broker.cancelOrder({ clientOrderId: stop.clientOrderId });
    await settle(8);
    expect(first.orders.get(stop.clientOrderId)?.status).toBe('pending_cancel');
    if (checkpointed) expect(first.checkpoint()).toBe(true);
    dying.kill();

    const second = protectedProcess(broker, clock, 1_000);
    const alerts: string[] = [];
    second.on('alert', (a) => a.code === 'position_unprotected' && alerts.push(a.message));
    const cancels: string[] = [];
    const cancelOrder = broker.cancelOrder.bind(broker);
    broker.cancelOrder = (ref) => (cancels.push(ref.clientOrderId ?? ''), cancelOrder(ref));
    await second.start();
    second.updatePrice('AAPL', '100');
    await second.recover();
    await settle(8);
    // Not the engine's cancel: not sent again.
    expect(cancels).toEqual([]);
    clock.advance(5_000);
    await settle(8);
    expect(second.orders.get(stop.clientOrderId)?.status).toBe('cancelled');
    const working = broker.orderReports().filter((o) => o.status === 'accepted');
    expect(working.map((o) => `${o.side} ${o.type} ${o.quantity.toString()} @ ${o.stopPrice?.toString()}`)).toContain('sell stop 10 @ 98');
    // Told as the process that heard it would have told it: the stop was lost, not cancelled by the engine.
    expect(alerts).toEqual(['AAPL: the stop at 98 was cancelled by the broker (cancelled); placing it again']);
  });

  it.each([false, true])('a cancel that failed on the network, its retry still waiting when the process died (checkpoint in between: %s): the restart asks it again — the order does not stay working', async (checkpointed) => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    const first = boot(dying.adapter, clock);
    await first.start();
    first.updatePrice('AAPL', '100');
    const resting = await first.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    broker.failNext('cancelOrder', { kind: 'network' });
    await first.orders.cancel(resting.clientOrderId, 'the host cancels it');
    await flush();
    // Back to working here and there; the cancel is to be asked again after a backoff — but the process dies first.
    expect(first.orders.get(resting.clientOrderId)?.status).toBe('accepted');
    if (checkpointed) expect(first.checkpoint()).toBe(true);
    dying.kill();

    const second = boot(broker, clock, {}, 1_000);
    await second.start();
    await second.recover();
    await flush();
    clock.advance(120_000);
    await settle(8);
    expect(broker.orderReports().find((o) => o.clientOrderId === resting.clientOrderId)?.status).toBe('cancelled');
    expect(second.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
  });

  /**
   * A protected position (stop and target) whose force-close the kill cuts off: the cancel of `failing`
   * (the stop or the target) fails on the network — its retry waits a second — and the process dies
   * once the other's cancel has landed, the close never sent. Returns the broker and both orders' ids.
   */
  async function killedMidForceClose(clock: ManualClock, failing: 'stop' | 'target') {
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const dying = processView(broker);
    let failId = '';
    const adapter: BrokerAdapter = {
      ...dying.adapter,
      cancelOrder: async (ref) => {
        if (ref.clientOrderId === failId) throw new BrokerError('network_error', 'mock broker: connection reset', { mayHaveReachedBroker: false });
        await dying.adapter.cancelOrder(ref);
        await settle(8);
        dying.kill();
        return new Promise<void>(() => undefined);
      },
    };
    const first = protectedProcess(adapter, clock, 1);
    await first.start();
    first.updatePrice('AAPL', '100');
    await first.executeSignal(signal(clock));
    await settle(8);
    const stopId = first.protection!.protectionOf('AAPL')!.stop!.clientOrderId;
    const targetId = first.protection!.protectionOf('AAPL')!.targets[0]!.clientOrderId;
    failId = failing === 'stop' ? stopId : targetId;
    void first.forceClose('AAPL', 'operator').catch(() => undefined);
    await settle(20);
    expect(broker.orderReports().slice(1).map((o) => [o.clientOrderId, o.status])).toEqual([
      [stopId, failing === 'stop' ? 'accepted' : 'cancelled'],
      [targetId, failing === 'stop' ? 'cancelled' : 'accepted'],
    ]);
    return { broker, stopId };
  }

  it("a force-close cut off by the kill while its stop's cancel waited to be asked again (the target's cancel landed): the restart asks it, the broker refuses it — the target comes back beside the stop at once, not after ten minutes", async () => {
    const clock = new ManualClock();
    const { broker, stopId } = await killedMidForceClose(clock, 'stop');
    const second = protectedProcess(broker, clock, 1_000);
    await second.start();
    second.updatePrice('AAPL', '100');
    // The broker refuses the cancel the restart asks again: the stop works on.
    broker.failNext('cancelOrder', { kind: 'error', error: new BrokerError('order_not_cancelable', 'mock broker: not cancelable now', { status: 422 }) });
    await second.recover();
    await settle(20);
    clock.advance(5_000);
    await settle(20);
    const working = broker.orderReports().filter((o) => o.status === 'accepted');
    expect(working.map((o) => `${o.side} ${o.type} ${o.quantity.toString()}`).sort()).toEqual(['sell limit 10', 'sell stop 10']);
    expect(working.find((o) => o.type === 'stop')?.clientOrderId).toBe(stopId);
  });

  it("a force-close cut off by the kill while its target's cancel waited to be asked again (the stop's cancel landed): the restart places the stop at once — not held back while that cancel, asked again on a failing network, backs off", async () => {
    const clock = new ManualClock();
    const { broker } = await killedMidForceClose(clock, 'target');
    const second = protectedProcess(broker, clock, 1_000);
    await second.start();
    second.updatePrice('AAPL', '100');
    broker.failNext('cancelOrder', { kind: 'network' }, 5);
    await second.recover();
    await settle(20);
    clock.advance(500);
    await settle(20);
    expect(broker.orderReports().filter((o) => o.status === 'accepted' && o.type === 'stop').map((o) => `${o.side} ${o.quantity.toString()} @ ${o.stopPrice?.toString()}`)).toEqual(['sell 10 @ 98']);
  });

  it('an unsent order older than maxResendAgeMs is marked failed instead of sent late', async () => {
    const clock = new ManualClock();
    await crashBeforeSend(clock);
    clock.advance(10 * 60_000);
    const fresh = new MockBroker({ clock });
    const second = boot(fresh, clock, { recovery: { maxResendAgeMs: 60_000 } }, 1_000);
    await second.start();
    const report = await second.recover();
    expect(report.ordersMissing).toHaveLength(1);
    expect(second.orders.get(report.ordersMissing[0]!)?.status).toBe('failed');
    expect(fresh.orderReports()).toEqual([]);
  });
});

describe('reconciliation', () => {
  it('adopts the broker\'s positions when they disagree (default)', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    broker.setPrice('MSFT', '400');
    const engine = boot(broker, clock);
    await engine.start();
    // A position opened outside this engine.
    await broker.submitOrder(createOrder({ symbol: 'MSFT', side: 'buy', quantity: 3, clientOrderId: 'manual-1' }, { clock, ids: sequentialIds() }));
    const reports: ReconciliationReport[] = [];
    engine.on('reconciliation', (r) => reports.push(r));
    const report = await engine.reconcile();
    expect(report.action).toBe('adopted');
    expect(report.positionMismatches.map((m) => [m.symbol, m.local.toString(), m.broker.toString()])).toEqual([['MSFT', '0', '3']]);
    expect(engine.positions.get('MSFT')?.quantity.toString()).toBe('3');
    expect(engine.positions.get('MSFT')?.averageEntryPrice.toString()).toBe('400');
    expect(reports).toHaveLength(1);
    expect((await engine.reconcile()).positionMismatches).toEqual([]);
  });

  it('open orders at the broker that the engine did not place: reported every run, alerted once each', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const engine = boot(broker, clock);
    await engine.start();
    const alerts: { code: string; message: string; details?: unknown }[] = [];
    engine.on('alert', (a) => a.code === 'unknown_broker_orders' && alerts.push(a));
    const outside = (clientOrderId: string, limitPrice: string) =>
      broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice, timeInForce: 'gtc', clientOrderId }, { clock, ids: sequentialIds() }));
    await outside('by-hand-1', '90');
    expect((await engine.reconcile()).unknownBrokerOrders).toEqual(['by-hand-1']);
    expect((await engine.reconcile()).unknownBrokerOrders).toEqual(['by-hand-1']);
    expect(alerts.map((a) => a.message)).toEqual(['1 open order at the broker that this engine did not place: buy 5 AAPL limit (by-hand-1)']);
    await outside('by-hand-2', '91');
    await engine.reconcile();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]!.details).toMatchObject({ orders: [{ clientOrderId: 'by-hand-2', symbol: 'AAPL', side: 'buy', quantity: '5', type: 'limit' }] });
    expect(engine.journal.query({ topic: 'alert' }).filter((r) => r.kind === 'note' && (r.data as { code: string }).code === 'unknown_broker_orders')).toHaveLength(2);
  });

  it("a second open order at the broker under one of the engine's client ids (a request that landed late beside its retry): reported and alerted as not placed by the engine; the order stays on its own broker id", async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const engine = boot(broker, clock);
    await engine.start();
    const alerts: { code: string; details?: unknown }[] = [];
    engine.on('alert', (a) => a.code === 'unknown_broker_orders' && alerts.push(a));
    await engine.orders.submit({ clientOrderId: 'mine-1', symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    const own = engine.orders.get('mine-1')!.brokerOrderId!;
    // The broker lists the duplicate first: taken by the client id alone, it would be the order.
    const listed = broker.getOpenOrders.bind(broker);
    broker.getOpenOrders = async () => {
      const reports = await listed();
      const mine = reports.find((r) => r.clientOrderId === 'mine-1')!;
      return [{ ...mine, brokerOrderId: 'late-landing', limitPrice: new Decimal('89') }, ...reports];
    };
    const report = await engine.reconcile();
    expect(report.unknownBrokerOrders).toEqual(['mine-1']);
    expect(alerts[0]?.details).toMatchObject({ orders: [{ clientOrderId: 'mine-1', brokerOrderId: 'late-landing' }] });
    expect([engine.orders.get('mine-1')?.brokerOrderId, engine.orders.get('mine-1')?.limitPrice?.toString()]).toEqual([own, '90']);
  });

  it('halts trading for a human under the halt policy; resume takes an explicit call', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const engine = boot(broker, clock, { recovery: { onMismatch: 'halt' } });
    await engine.start();
    engine.updatePrice('AAPL', '100');
    await broker.submitOrder(createOrder({ symbol: 'AAPL', side: 'buy', quantity: 7, clientOrderId: 'manual-2' }, { clock, ids: sequentialIds() }));
    const halts: string[] = [];
    engine.on('engine:halted', (h) => halts.push(h.reason));
    expect((await engine.reconcile()).action).toBe('halted');
    expect(halts[0]).toMatch(/AAPL local 0 vs broker 7/);
    expect(await engine.executeSignal(signal(clock))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_halted' }] });
    engine.resume();
    expect(engine.halted).toBeUndefined();
  });

  it('the periodic reconciliation catches a fill missed on a dead stream', async () => {
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const engine = boot(broker, clock, { recovery: { reconcileIntervalMs: 30_000 }, accountRefreshMs: 3_600_000 });
    await engine.start();
    const order = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 4, type: 'limit', limitPrice: '99', timeInForce: 'gtc' }, { timeoutMs: null });
    broker.dropStream(); // and it never comes back
    broker.setPrice('AAPL', '98');
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('accepted');
    clock.advance(30_000);
    await flush();
    await flush();
    expect(engine.orders.get(order.clientOrderId)?.status).toBe('filled');
    expect(engine.positions.get('AAPL')?.quantity.toString()).toBe('4');
  });
});
