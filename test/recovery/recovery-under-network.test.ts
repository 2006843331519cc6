import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerError, type EngineConfig, ExecutionEngine, FileJournal, InMemoryJournal, isTradewireError, type Journal, type MarketState, type RecoveryReport, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-recovery-net-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const flush = async (): Promise<void> => {
  await settle(5);
};
async function run(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

const baseConfig: EngineConfig = {
  sizing: { method: 'fixed_quantity', quantity: 10 },
  recovery: { reconcileIntervalMs: 0, retries: 3, retryDelayMs: 1_000 },
  marketHours: { queueWhenClosed: true },
  orderManagement: { orderTimeoutMs: null },
};

/** A process on a durable journal; "crashing" it is stopping it without any cleanup. */
function boot(broker: MockBroker, clock: ManualClock, options: { idStart?: number; config?: EngineConfig; market?: MarketState; journal?: Journal } = {}): ExecutionEngine {
  // sync 'os': these tests drive a manual clock step by step; an awaited fdatasync would put real
  // I/O time between a signal and its order (the default mode has its own tests).
  const journal = options.journal ?? new FileJournal({ path: join(dir, 'journal.jsonl'), logger: silentLogger, sync: 'os' });
  return new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(options.idStart ?? 1),
    logger: silentLogger,
    journal,
    ...(options.market ? { market: options.market } : {}),
    config: { ...baseConfig, ...options.config },
  });
}

let n = 0;
const signal = (clock: ManualClock, s: Partial<Signal> = {}): Signal => ({ id: `sig-${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 't', ...s });

function market(): { broker: MockBroker; clock: ManualClock } {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
  const broker = new MockBroker({ clock });
  broker.setPrice('AAPL', '100');
  broker.setPrice('MSFT', '300');
  return { broker, clock };
}

async function started(engine: ExecutionEngine): Promise<ExecutionEngine> {
  await engine.start();
  engine.updatePrice('AAPL', '100');
  engine.updatePrice('MSFT', '300');
  return engine;
}

describe('decisions survive a restart', () => {
  it('executed, rejected and queued signals are each decided once, also when the feed is replayed after a crash', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    broker.setPrice('MSFT', '300');
    let open = true;
    const hours: MarketState = { isMarketOpen: () => open };
    const first = await started(boot(broker, clock, { market: hours, config: { checks: { market_open: true } } }));
    const traded = signal(clock);
    const refused = signal(clock, { strength: 5 }); // too weak: refused
    expect((await first.executeSignal(traded)).kind).toBe('executed');
    const refusal = await first.executeSignal(refused);
    expect(refusal.kind).toBe('rejected');
    open = false;
    const waiting = signal(clock, { symbol: 'MSFT', expectedPrice: '300' });
    expect((await first.executeSignal(waiting)).kind).toBe('queued');
    await first.stop();

    const second = await started(boot(broker, clock, { idStart: 1_000, market: hours, config: { checks: { market_open: true } } }));
    const report: RecoveryReport = await second.recover();
    expect(report.signalIds).toEqual([traded.id]);
    expect(report.decisionsRestored).toBe(3);
    expect(report.signalsRequeued).toEqual([waiting.id]);
    expect(second.decisionFor(traded.id)).toMatchObject({ kind: 'executed', clientOrderId: expect.any(String) });
    expect(second.decisionFor(refused.id)).toMatchObject({ kind: 'rejected', reasons: [expect.objectContaining({ code: expect.any(String) })] });
    expect(second.decisionFor(waiting.id)).toMatchObject({ kind: 'queued', reason: 'market_closed' });
    expect(second.queuedSignals().map((q) => q.signal.id)).toEqual([waiting.id]);
    // The bot replays its feed: nothing is decided again against the new state.
    open = true;
    for (const replayed of [traded, refused]) {
      const again = await second.executeSignal(replayed);
      expect(again).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal' }] });
    }
    expect(await second.executeSignal(waiting)).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal', message: expect.stringContaining('already queued') }] });
    // The queued signal, restored, is released at the open and decided then — once.
    const released = await second.releaseQueued(waiting.id);
    expect(released?.kind).toBe('executed');
    expect(second.decisionFor(waiting.id)?.kind).toBe('executed');
    expect(broker.orderReports()).toHaveLength(2);
    expect(second.decisionFor('never-seen')).toBeUndefined();
  });
});

/** A process that traded one signal and died, and the process restarted after it (not yet recovered). */
async function tradedThenRestarted() {
  const { broker, clock } = market();
  const first = await started(boot(broker, clock));
  const traded = signal(clock);
  await first.executeSignal(traded);
  await first.stop();
  const second = await started(boot(broker, clock, { idStart: 1_000 }));
  return { broker, clock, traded, second };
}

describe('recovery after many changes', () => {
  it('the orders that changed while the process was down are looked up together — one round trip, not one each — and reported in their order', async () => {
    const { broker, clock } = market();
    const first = await started(boot(broker, clock));
    const resting: string[] = [];
    for (const [symbol, limitPrice] of [['AAPL', '95'], ['MSFT', '290'], ['AAPL', '94']] as const) {
      resting.push((await first.orders.submit({ symbol, side: 'buy', quantity: 1, type: 'limit', limitPrice, timeInForce: 'gtc' })).clientOrderId);
    }
    await first.stop(); // the process dies; while it is down the market falls through every limit
    broker.setPrice('AAPL', '93');
    broker.setPrice('MSFT', '289');
    const second = await started(boot(broker, clock, { idStart: 1_000 }));
    broker.setLatency(250);
    const lookups = (): number => broker.requests.filter((r) => r.method === 'getOrder').length;
    const recovering = second.recover();
    await flush();
    await clock.advanceAsync(250); // the open orders' answer (none of these is open any more)
    expect(lookups()).toBe(3); // every changed order asked for before the first answer
    let report: RecoveryReport | undefined;
    void recovering.then((r) => (report = r));
    await run(clock, 1_000);
    expect(report?.ordersFoundAtBroker).toEqual(resting);
    expect(resting.map((id) => second.orders.get(id)?.status)).toEqual(['filled', 'filled', 'filled']);
  });
});

describe('a send withdrawn while its timed-out attempt may land, then a restart hours later', () => {
  it("the restart looks it up (it was in doubt in the dead process) and the fill found is the order's own, before any position is compared — it was adopted as a position of no order's, and the order stayed cancelled with 0 of the 10 the broker filled", async () => {
    const { broker, clock } = market();
    const config: EngineConfig = { ...baseConfig, errorHandling: { retries: 2, minDelayMs: 1_000 } };
    const first = await started(boot(broker, clock, { config }));
    // The first attempt times out unanswered and reaches the broker 5 s later; the host cancels
    // while the retry waits: withdrawn, cancelled here.
    broker.failNext('submitOrder', { kind: 'timeout', reached: true, landsAfterMs: 5_000 });
    const sending = first.executeSignal(signal(clock));
    await flush();
    const id = first.orders.orderList()[0]!.clientOrderId;
    await first.orders.cancel(id, 'no longer wanted');
    await run(clock, 1_000);
    await sending;
    expect(first.orders.get(id)?.status).toBe('cancelled');
    await first.stop(); // the process dies before the attempt lands
    await run(clock, 5_000);
    expect(broker.orderReports().find((o) => o.clientOrderId === id)?.filledQuantity.toString()).toBe('10');
    // Hours later, past the window in which a withdrawn send is watched for its landing.
    clock.advance(5 * 3_600_000);
    const second = await started(boot(broker, clock, { idStart: 1_000, config }));
    const adopted: string[] = [];
    second.on('position:updated', (e) => adopted.push(e.reason));
    const report = await second.recover();
    expect(second.orders.get(id)?.filledQuantity.toString()).toBe('10');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(report.ordersFoundAtBroker).toContain(id);
    expect([report.action, report.positionMismatches]).toEqual(['none', []]);
    expect(adopted).not.toContain('reconciled');
  });
});

describe('recover() can be retried', () => {
  it('a broker failure during recovery is retried with backoff on the clock; signals are refused until it completes', async () => {
    const { broker, clock, traded, second } = await tradedThenRestarted();
    broker.failNext('getOpenOrders', { kind: 'server_error' }, 2);
    let report: RecoveryReport | undefined;
    void second.recover().then((r) => (report = r));
    await flush();
    expect(second.recoveryState).toBe('recovering');
    const early = await second.executeSignal(signal(clock)).catch((e: unknown) => e);
    expect(isTradewireError(early) && early.code).toBe('recovery_incomplete');
    await run(clock, 3_000); // 1 s, then 2 s
    expect(report?.attempts).toBe(3);
    expect(second.recoveryState).toBe('recovered');
    expect((await second.executeSignal(traded)).kind).toBe('rejected');
    expect((await second.executeSignal(signal(clock, { symbol: 'MSFT' }))).kind).toBe('executed');
  });

  it('when the retries run out it throws, keeps refusing signals, and a second call completes (no DuplicateOrderError, nothing traded twice)', async () => {
    const { broker, clock, traded, second } = await tradedThenRestarted();
    const alerts: string[] = [];
    second.on('alert', (a) => alerts.push(a.code));
    broker.failNext('getOpenOrders', { kind: 'server_error' }, 4);
    const failed = second.recover().catch((e: unknown) => e);
    await run(clock, 8_000);
    const error = await failed;
    expect(isTradewireError(error) && error.code).toBe('server_error');
    expect(second.recoveryState).toBe('failed');
    expect(alerts).toContain('recovery_failed');
    const refused = await second.executeSignal(traded).catch((e: unknown) => e);
    expect(isTradewireError(refused) && refused.code).toBe('recovery_incomplete');

    const report = await second.recover();
    expect(report.attempts).toBe(1);
    expect(second.recoveryState).toBe('recovered');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(await second.executeSignal(traded)).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal' }] });
    expect(broker.orderReports()).toHaveLength(1);
  });
});

/** How many times the engine asked `broker` for its open orders, answered or failed (the mock's request log keeps only the answered). */
function callsTo(broker: MockBroker): () => number {
  let count = 0;
  const ask = broker.getOpenOrders.bind(broker);
  broker.getOpenOrders = (...args) => (count++, ask(...args));
  return () => count;
}

describe('recover() tries again by itself after a failure on the network', () => {
  it('one alert per outage; every retryAfterFailureMs it tries again, and once the broker answers the engine trades again without a host call', async () => {
    const { broker, clock, traded, second } = await tradedThenRestarted();
    const alerts: string[] = [];
    second.on('alert', (a) => alerts.push(a.code));
    const recovered: RecoveryReport[] = [];
    second.on('recovered', (r) => recovered.push(r));
    const calls = callsTo(broker);
    broker.failNext('getOpenOrders', { kind: 'network' }, 8); // 4 for the host's call, 4 for the first try by itself
    const failed = second.recover().catch((e: unknown) => e);
    await run(clock, 8_000);
    expect(isTradewireError(await failed)).toBe(true);
    expect(second.recoveryState).toBe('failed');
    expect(calls()).toBe(4);
    await run(clock, 59_000);
    expect(calls()).toBe(4); // nothing before the minute
    await run(clock, 9_000); // the first try by itself: 4 more calls, failed again
    expect(calls()).toBe(8);
    expect(second.recoveryState).toBe('failed');
    expect(alerts.filter((c) => c === 'recovery_failed')).toHaveLength(1);
    const refused = await second.executeSignal(signal(clock, { symbol: 'MSFT' })).catch((e: unknown) => e);
    expect(isTradewireError(refused) && refused.code).toBe('recovery_incomplete');
    await run(clock, 60_000); // the network is back: the second try by itself succeeds
    expect(second.recoveryState).toBe('recovered');
    expect(recovered).toHaveLength(1);
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(await second.executeSignal(traded)).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal' }] });
    expect((await second.executeSignal(signal(clock, { symbol: 'MSFT' }))).kind).toBe('executed');
    await run(clock, 120_000);
    expect(calls()).toBe(9); // recovered: no more tries
  });

  it('a host calling recover() meanwhile runs it at once and the try by itself is dropped; a stopped engine does not try, a started one does', async () => {
    const { broker, clock, second } = await tradedThenRestarted();
    const calls = callsTo(broker);
    broker.failNext('getOpenOrders', { kind: 'server_error', status: 503 }, 8);
    await Promise.all([second.recover().catch(() => undefined), run(clock, 8_000)]);
    await Promise.all([second.recover().catch(() => undefined), run(clock, 8_000)]); // the host's second call, 4 more
    expect(calls()).toBe(8);
    expect(second.recoveryState).toBe('failed');
    await second.stop();
    await run(clock, 180_000);
    expect(calls()).toBe(8); // stopped: nothing by itself
    await second.start();
    await run(clock, 60_000);
    expect(calls()).toBe(9);
    expect(second.recoveryState).toBe('recovered');
  });

  it('a failure that is not the network\'s (a refused login) is left to the host, as is every failure with retryAfterFailureMs 0', async () => {
    for (const [fault, config] of [
      [{ kind: 'error', error: new BrokerError('unauthorized', 'bad key', { status: 401 }) }, {}],
      [{ kind: 'network' }, { recovery: { ...baseConfig.recovery, retryAfterFailureMs: 0 } }],
    ] as const) {
      const { broker, clock } = market();
      const first = await started(boot(broker, clock));
      await first.executeSignal(signal(clock));
      await first.stop();
      const second = await started(boot(broker, clock, { idStart: 1_000, config }));
      const calls = callsTo(broker);
      broker.failNext('getOpenOrders', fault, 4);
      await Promise.all([second.recover().catch(() => undefined), run(clock, 8_000)]);
      const before = calls();
      await run(clock, 300_000);
      expect(calls()).toBe(before);
      expect(second.recoveryState).toBe('failed');
      await second.stop();
      rmSync(join(dir, 'journal.jsonl'), { force: true });
      rmSync(join(dir, 'journal.jsonl.lock'), { force: true });
    }
  });
});

describe('a halt survives a restart', () => {
  it('an operator’s halt (and reduce-only) is restored by recover(); only resume() lifts it', async () => {
    const { broker, clock } = market();
    const first = await started(boot(broker, clock));
    await first.executeSignal(signal(clock));
    await first.halt({ reason: 'operator: news pending', cancelOpen: false });
    await first.stop();

    const second = await started(boot(broker, clock, { idStart: 1_000 }));
    await second.recover();
    expect(second.tradingState).toBe('HALTED');
    expect(await second.executeSignal(signal(clock, { symbol: 'MSFT' }))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'trading_halted' }] });
    second.resume();
    second.reduceOnly('operator: exits only');
    await second.stop();

    const third = await started(boot(broker, clock, { idStart: 2_000 }));
    await third.recover();
    expect(third.tradingState).toBe('REDUCING');
    expect((await third.executeSignal(signal(clock, { symbol: 'MSFT' }))).kind).toBe('rejected');
    expect((await third.executeSignal(signal(clock, { side: 'sell' }))).kind).toBe('executed');
  });
});

describe('executeSignal on a flaky broker', () => {
  it('a failing asset look-up is retried like any read; when it still fails the signal is refused as broker_unavailable (and may be sent again)', async () => {
    const { broker, clock } = market();
    const engine = await started(boot(broker, clock));
    broker.failNext('getAsset', { kind: 'server_error' }, 2);
    let decided: unknown;
    const s1 = signal(clock);
    void engine.executeSignal(s1).then((d) => (decided = d));
    await run(clock, 1_500);
    expect(decided).toMatchObject({ kind: 'executed' });

    broker.failNext('getAsset', { kind: 'timeout', afterMs: 100 }, 3);
    const s2 = signal(clock, { symbol: 'MSFT' });
    decided = undefined;
    void engine.executeSignal(s2).then((d) => (decided = d));
    await run(clock, 2_000);
    expect(decided).toMatchObject({ kind: 'rejected', reasons: [{ code: 'broker_unavailable' }] });
    // Nothing was decided about the trade itself: the same signal, once the broker answers, trades.
    expect((await engine.executeSignal(s2)).kind).toBe('executed');
  });
});

describe('order timeouts count from the submit', () => {
  it('a process restarting more often than orderTimeoutMs still cancels a resting order on time', async () => {
    const { broker, clock } = market();
    const config: EngineConfig = { orderManagement: { orderTimeoutMs: 60_000 } };
    let engine = await started(boot(broker, clock, { config }));
    const { clientOrderId: id } = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' });
    expect(broker.orderReports()[0]?.status).toBe('accepted');
    // Three restarts, 25 s apart: 75 s after the submit, a timer restarted at each recovery would not have fired.
    for (let i = 1; i <= 3; i++) {
      await run(clock, 25_000, 1_000);
      await engine.stop();
      engine = await started(boot(broker, clock, { idStart: i * 1_000, config }));
      await engine.recover();
    }
    await run(clock, 1_000, 1_000);
    expect(broker.orderReports().find((o) => o.clientOrderId === id)?.status).toBe('cancelled');
    expect(engine.orders.get(id)?.status).toBe('cancelled');
  });
});

describe("a restart keeps each order's own timeout", () => {
  const config: EngineConfig = { orderManagement: { orderTimeoutMs: 60_000 } };

  /** A protected AAPL position (stop and target working), then a restart on the same journal. */
  async function protectedThenRestart(journalOf: () => Journal): Promise<{ engine: ExecutionEngine; broker: MockBroker; clock: ManualClock; stopId: string }> {
    const { broker, clock } = market();
    const first = await started(new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal: journalOf(), protection: true, config: { ...baseConfig, ...config } }));
    await first.executeSignal(signal(clock));
    await flush();
    const stopId = first.orders.workingOrders().find((o) => o.type === 'stop')!.clientOrderId;
    await first.stop();
    const engine = await started(new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(1_000), logger: silentLogger, journal: journalOf(), protection: true, config: { ...baseConfig, ...config } }));
    await engine.recover();
    return { engine, broker, clock, stopId };
  }

  it("protection's stop and target have none: two minutes after a restart they still work (the default 60 s entry timeout cancelled them, leaving the position bare)", async () => {
    const path = join(dir, 'journal.jsonl');
    const { engine, broker, clock, stopId } = await protectedThenRestart(() => new FileJournal({ path, logger: silentLogger, sync: 'os' }));
    expect(engine.journal.query({ kinds: ['order.created'] }).map((r) => r.kind === 'order.created' && r.timeoutMs)).toEqual([60_000, null, null]);
    await run(clock, 120_000, 1_000);
    expect(broker.orderReports().filter((o) => o.status === 'accepted').map((o) => o.type).sort()).toEqual(['limit', 'stop']);
    expect(engine.orders.get(stopId)?.status).toBe('accepted');
    // And the position is open, as it is in the process that placed it — not an exit working (its
    // stop and target taken for one), which refused the scale-ins and rebalances a live engine takes.
    expect(engine.positions.get('AAPL')?.state).toBe('OPEN');
    // 10 shares of 100 in 100 000 of equity: 2% is 10 more, a scale-in.
    const rebalance = await engine.rebalance({ AAPL: '0.02' });
    expect(rebalance.lines.find((l) => l.symbol === 'AAPL')).toMatchObject({ action: 'buy', quantity: '10', status: 'executed' });
  });

  it('a journal written before timeouts were journaled: protective orders get none, the others the default', async () => {
    // The same records without the field, as an earlier version wrote them.
    const records = new InMemoryJournal();
    const stripped: Journal = {
      append: (entry) => records.append(entry.kind === 'order.created' ? (({ timeoutMs: _, ...rest }) => rest)(entry) : entry),
      query: (filter) => records.query(filter),
    };
    const { engine, broker, clock, stopId } = await protectedThenRestart(() => stripped);
    expect(records.query({ kinds: ['order.created'] }).some((r) => r.kind === 'order.created' && r.timeoutMs !== undefined)).toBe(false);
    await run(clock, 120_000, 1_000);
    expect(engine.orders.get(stopId)?.status).toBe('accepted');
    expect(broker.orderReports().find((o) => o.clientOrderId === stopId)?.status).toBe('accepted');
  });

  it('an order submitted with a timeout of its own keeps that one, not the default', async () => {
    const { broker, clock } = market();
    let engine = await started(boot(broker, clock, { config }));
    const { clientOrderId: id } = await engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: 300_000 });
    await engine.stop();
    engine = await started(boot(broker, clock, { idStart: 1_000, config }));
    await engine.recover();
    await run(clock, 120_000, 1_000);
    expect(engine.orders.get(id)?.status).toBe('accepted');
    await run(clock, 190_000, 1_000);
    expect(engine.orders.get(id)?.status).toBe('cancelled');
  });
});

describe('recovery does not replay history as news', () => {
  it('positions come back silently; one recovered event says what was found, resent, adopted and missed', async () => {
    const { broker, clock } = market();
    const first = await started(boot(broker, clock));
    await first.executeSignal(signal(clock));
    await first.executeSignal(signal(clock, { side: 'sell' })); // closed
    await first.executeSignal(signal(clock, { symbol: 'MSFT' })); // open
    const resting = await first.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '95', timeInForce: 'gtc' }, { timeoutMs: null });
    await first.stop();
    broker.setPrice('AAPL', '94'); // fills while nobody listens

    const second = await started(boot(broker, clock, { idStart: 1_000 }));
    const news: string[] = [];
    for (const name of ['position:opened', 'position:closed', 'order:created', 'recovered'] as const) second.on(name, () => news.push(name));
    let event: RecoveryReport | undefined;
    second.on('recovered', (r) => (event = r));
    const report = await second.recover();
    // The past (two AAPL trades, the MSFT entry) is not announced again. The fill that happened
    // while the process was down is news — nobody heard of it — and is applied through the live path.
    expect(news).toEqual(['position:opened', 'recovered']);
    expect(event).toEqual(report);
    expect(report.ordersFoundAtBroker).toContain(resting.clientOrderId);
    expect(report.changedWhileDown).toEqual([expect.objectContaining({ clientOrderId: resting.clientOrderId, from: 'accepted', to: 'filled' })]);
    expect(report.changedWhileDown[0]!.filledWhileDown.toString()).toBe('5');
    expect(report.ordersResent).toEqual([]);
    expect(report.action).toBe('none');
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('5');
    expect(second.positions.get('MSFT')?.quantity.toString()).toBe('10');
    expect(second.orders.auditTrail({ kinds: ['note'] }).filter((r) => r.kind === 'note' && r.topic === 'engine.recovered')).toHaveLength(1);
  });
});

describe('restart cost is bounded', () => {
  it('orders still open come from one open-orders call; only those that ended while down are looked up one by one', async () => {
    const { broker, clock } = market();
    const first = await started(boot(broker, clock));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const order = await first.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: String(90 - i * 0.5), timeInForce: 'gtc' }, { timeoutMs: null });
      ids.push(order.clientOrderId);
    }
    await first.stop();
    broker.setPrice('AAPL', '89.4'); // the two highest bids (90, 89.5) fill while the process is down
    const filled = broker.orderReports().filter((o) => o.status === 'filled').map((o) => o.clientOrderId);
    expect(filled).toHaveLength(2);

    const second = await started(boot(broker, clock, { idStart: 1_000 }));
    const before = broker.requests.length;
    const report = await second.recover();
    const calls = broker.requests.slice(before).map((r) => r.method);
    expect(calls.filter((m) => m === 'getOpenOrders')).toHaveLength(1);
    expect(calls.filter((m) => m === 'getOrder')).toHaveLength(filled.length);
    expect(report.ordersFoundAtBroker).toHaveLength(20);
    for (const id of filled) expect(second.orders.get(id)?.status).toBe('filled');
  });
});
