import { describe, expect, it } from 'vitest';
import {
  type AlertPayload,
  BrokerError,
  Decimal,
  EventBus,
  EXECUTION_CONFIRMED_TOPIC,
  EXECUTION_IMPACT_TOPIC,
  EXECUTION_TOPIC,
  ExecutionEngine,
  type ExecutionRecord,
  ExecutionMonitor,
  InMemoryJournal,
  type Position,
  type PositionReport,
  silentLogger,
  type TradewireEvents,
  ConfigurationError,
} from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';

function setup(options: { slippageBps?: number; latencyMs?: number; quality?: ConstructorParameters<typeof ExecutionEngine>[0]['quality'] } = {}) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const broker = new MockBroker({ clock, initialCash: 100_000, slippageBps: options.slippageBps ?? 0, commission: { perUnit: '0.01', minimum: '1' }, latencyMs: options.latencyMs ?? 0 });
  const journal = new InMemoryJournal();
  const engine = new ExecutionEngine({ adapter: broker, clock, journal, ids: sequentialIds(), logger: silentLogger, rateLimit: false, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 20 } as never, quality: options.quality ?? {} });
  const alerts: AlertPayload[] = [];
  const records: ExecutionRecord[] = [];
  engine.on('alert', (a) => alerts.push(a));
  engine.on('execution:recorded', ({ record }) => records.push(record));
  const price = (symbol: string, p: string): void => {
    broker.setPrice(symbol, p);
    engine.updatePrice(symbol, p);
  };
  return { clock, broker, journal, engine, alerts, records, price };
}

/** A monitor fed by hand (no engine): its bus, the records and alerts it raised, its clock at 1 000. */
function directMonitor(slowFillMs: number) {
  const clock = new ManualClock(1_000);
  const bus = new EventBus<TradewireEvents>(() => undefined);
  const alerts: AlertPayload[] = [];
  const records: ExecutionRecord[] = [];
  bus.on('alert', (a) => alerts.push(a));
  bus.on('execution:recorded', ({ record }) => records.push(record));
  const adapter = { name: 'fake', getPositions: async () => [], getAccount: async () => ({}) as never };
  const monitor = new ExecutionMonitor({ events: bus, clock, journal: new InMemoryJournal(), logger: silentLogger, adapter, priceOf: () => new Decimal(50), positionOf: () => undefined, accountId: () => 'acc' }, { slowFillMs, confirm: false });
  return { clock, bus, monitor, records, alerts };
}

describe('ExecutionMonitor: a record for every order', () => {
  it('hand-computed: expected 100.00 from the signal, filled 100.60 (60 bps broker slippage) → slippage 0.60, 60 bps, 6.00 on 10 shares; over 0.5 % → slippage_exceeded', async () => {
    const { engine, alerts, records, price, journal, clock } = setup({ slippageBps: 60 });
    await engine.start();
    price('AAPL', '100.00');
    const receivedAt = clock.now();
    await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 90, time: receivedAt - 250, strategyId: 'momo', expectedPrice: '100.00' });
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r).toMatchObject({
      signalId: 's1',
      strategyId: 'momo',
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      broker: 'mock',
      status: 'filled',
      requestedQuantity: '10',
      filledQuantity: '10',
      fillRate: '1',
      expectedPrice: '100',
      expectedPriceSource: 'signal',
      arrivalPrice: '100',
      averageFillPrice: '100.6',
      slippage: '0.6',
      slippageBps: '60',
      slippageCost: '6',
      commission: '1',
      fills: 1,
      signalTime: receivedAt - 250,
      receivedAt,
      revision: 1,
    });
    expect(r.signalToSubmitMs).toBe(0);
    expect(alerts.map((a) => a.code)).toEqual(['slippage_exceeded']);
    expect(alerts[0]!.details).toMatchObject({ slippageBps: '60', thresholdBps: '50' });
    // Stored: the journal holds the record (and the alert).
    const notes = journal.query({ topic: EXECUTION_TOPIC });
    expect(notes.map((n) => (n.kind === 'note' ? (n.data as ExecutionRecord).clientOrderId : ''))).toEqual([r.clientOrderId]);
    expect(journal.query({ topic: 'alert' })).toHaveLength(1);
  });

  it("the alert an order's fill raises reaches hosts after that fill and the position it opened, not before them", async () => {
    const { engine, price, clock } = setup({ slippageBps: 60 });
    const heard: string[] = [];
    engine.on('order:filled', ({ order }) => heard.push(`filled ${order.symbol}`));
    engine.on('position:opened', ({ position }) => heard.push(`opened ${position.symbol}`));
    engine.on('alert', (a) => heard.push(`alert ${a.code}`));
    engine.on('signal:executed', ({ signal }) => heard.push(`executed ${signal.id}`));
    await engine.start();
    price('AAPL', '100.00');
    await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'momo', expectedPrice: '100.00' });
    expect(heard).toEqual(['filled AAPL', 'opened AAPL', 'alert slippage_exceeded', 'executed s1']);
  });

  it('a sell is measured against the trader too, and 20 bps stays under the threshold (no alert); with no expected price the arrival price is the benchmark', async () => {
    const { engine, alerts, records, price, clock } = setup({ slippageBps: 20 });
    await engine.start();
    price('MSFT', '400.00');
    await engine.executeSignal({ id: 'in', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    price('MSFT', '410.00');
    await engine.executeSignal({ id: 'out', symbol: 'MSFT', side: 'sell', strength: 90, time: clock.now(), strategyId: 'x' });
    const sell = records[1]!;
    expect(sell).toMatchObject({ side: 'sell', expectedPriceSource: 'arrival', arrivalPrice: '410', averageFillPrice: '409.18', slippage: '0.82', slippageBps: '20', slippageCost: '8.2' });
    expect(alerts.filter((a) => a.code === 'slippage_exceeded')).toEqual([]);
  });

  it('latencies on the engine clock: received → submitted 2 ms, ack after 40, first fill after 55, complete after 90 (a market order over slowFillMs 80 → slow_fill)', () => {
    const { clock, bus, monitor, records, alerts } = directMonitor(80);
    const order = (status: string, filled: string) => ({ clientOrderId: 'o1', signalId: 's1', symbol: 'X', assetClass: 'equity', side: 'buy', type: 'market', status, quantity: new Decimal(4), filledQuantity: new Decimal(filled), averageFillPrice: filled === '0' ? undefined : new Decimal('50.1'), fills: filled === '0' ? [] : [{}], commission: new Decimal('0.5'), createdAt: clock.now(), updatedAt: clock.now() }) as never;
    const fill = { executionId: 'x', quantity: new Decimal(1), price: new Decimal('50.1'), commission: new Decimal(0), time: 0 };
    bus.emit('signal:received', { signal: { id: 's1', symbol: 'X', side: 'buy', strength: 90, time: 900, strategyId: 'k' } });
    clock.advance(2);
    bus.emit('order:created', { order: order('created', '0') });
    monitor.orderChanged({ order: order('submitted', '0'), from: 'created', event: { type: 'submitted', at: 0 } });
    clock.advance(40);
    monitor.orderChanged({ order: order('accepted', '0'), from: 'submitted', event: { type: 'accepted', at: 0 } });
    clock.advance(15);
    monitor.orderChanged({ order: order('partially_filled', '1'), from: 'accepted', event: { type: 'filled', at: 0, fill } });
    clock.advance(35);
    monitor.orderChanged({ order: order('filled', '4'), from: 'partially_filled', event: { type: 'filled', at: 0, fill } });
    expect(records[0]).toMatchObject({
      signalTime: 900, receivedAt: 1_000, submittedAt: 1_002, acknowledgedAt: 1_042, firstFillAt: 1_057, completedAt: 1_092,
      signalToSubmitMs: 2, submitToAckMs: 40, submitToFirstFillMs: 55, submitToCompleteMs: 90, signalToFirstFillMs: 57,
      arrivalPrice: '50', expectedPriceSource: 'arrival', slippage: '0.1', slippageBps: '20', slippageCost: '0.4', accountId: 'acc', broker: 'fake',
    });
    expect(alerts.map((a) => a.code)).toEqual(['slow_fill']);
  });

  it('a fill after the order ended records it again (revision 2) with what was known of it, without raising its alerts again; a late fill past the newest 10 000 ended orders starts from what is known then', () => {
    const { clock, monitor, records, alerts } = directMonitor(10);
    const order = (id: string, status: string, filled: string) => ({ clientOrderId: id, symbol: 'X', assetClass: 'equity', side: 'buy', type: 'market', status, quantity: new Decimal(4), filledQuantity: new Decimal(filled), averageFillPrice: filled === '0' ? undefined : new Decimal('50'), fills: [], commission: new Decimal(0), createdAt: clock.now(), updatedAt: clock.now() }) as never;
    const fill = { executionId: 'x', quantity: new Decimal(1), price: new Decimal('50'), commission: new Decimal(0), time: 0 };
    // o1: sent, a part filled 30 ms later (slow), then cancelled: recorded once, one slow_fill alert.
    monitor.orderChanged({ order: order('o1', 'submitted', '0'), from: 'created', event: { type: 'submitted', at: 0 } });
    clock.advance(30);
    monitor.orderChanged({ order: order('o1', 'partially_filled', '1'), from: 'submitted', event: { type: 'filled', at: 0, fill } });
    monitor.orderChanged({ order: order('o1', 'cancelled', '1'), from: 'partially_filled', event: { type: 'cancelled', at: 0 } });
    expect(records.map((r) => [r.clientOrderId, r.revision, r.filledQuantity, r.submittedAt])).toEqual([['o1', 1, '1', 1_000]]);
    // A fill reported after the cancel: the order recorded again from the same context.
    clock.advance(5);
    monitor.orderChanged({ order: order('o1', 'cancelled', '2'), from: 'cancelled', event: { type: 'filled', at: 0, fill } });
    expect(records.at(-1)).toMatchObject({ clientOrderId: 'o1', revision: 2, filledQuantity: '2', submittedAt: 1_000, firstFillAt: 1_030 });
    expect(alerts.filter((a) => a.code === 'slow_fill')).toHaveLength(1);
    // 10 000 other orders end; a fill for o1 then finds nothing kept: recorded from what is known now.
    for (let i = 0; i < 10_000; i++) {
      monitor.orderChanged({ order: order(`n${i}`, 'submitted', '0'), from: 'created', event: { type: 'submitted', at: 0 } });
      monitor.orderChanged({ order: order(`n${i}`, 'cancelled', '0'), from: 'submitted', event: { type: 'cancelled', at: 0 } });
    }
    monitor.orderChanged({ order: order('o1', 'cancelled', '3'), from: 'cancelled', event: { type: 'filled', at: 0, fill } });
    expect(records.at(-1)).toMatchObject({ clientOrderId: 'o1', revision: 1, filledQuantity: '3' });
    expect(records.at(-1)!.submittedAt).toBeUndefined();
    // The newest ended orders are still known: a late fill for the last one is its revision 2.
    monitor.orderChanged({ order: order('n9999', 'cancelled', '1'), from: 'cancelled', event: { type: 'filled', at: 0, fill } });
    expect(records.at(-1)).toMatchObject({ clientOrderId: 'n9999', revision: 2 });
  });

  it('rejections: each refused order is recorded with its reason, and when a quarter of the last 4 sent were refused, one rejection_rate alert', async () => {
    const { engine, alerts, records, price, broker, clock } = setup({ quality: { rejectionRate: { window: 4, threshold: 0.5 } } });
    await engine.start();
    price('AAPL', '100');
    broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'qty must be > 0 (test)', { status: 422 }) }, 3);
    for (let i = 0; i < 3; i++) await engine.executeSignal({ id: `r${i}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    await engine.executeSignal({ id: 'ok', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    expect(records.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'filled']);
    expect(records[0]!.reason).toContain('qty must be > 0');
    expect(records[0]!.fillRate).toBe('0');
    expect(alerts.filter((a) => a.code === 'rejection_rate')).toHaveLength(1);
  });

  it('the rejection rate rolls with its window: quiet once it falls below half the threshold, alerting again when it climbs back', async () => {
    const { engine, alerts, price, broker, clock } = setup({ quality: { rejectionRate: { window: 4, threshold: 0.5 } } });
    await engine.start();
    const symbols = Array.from({ length: 12 }, (_, i) => `S${i}`);
    for (const symbol of symbols) price(symbol, '100');
    let n = 0;
    const send = async (refused: boolean): Promise<void> => {
      if (refused) broker.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'refused (test)', { status: 422 }) });
      const decision = await engine.executeSignal({ id: `w${n}`, symbol: symbols[n++]!, side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
      expect(decision, JSON.stringify(decision.kind === 'rejected' ? decision.reasons : '')).toMatchObject({ kind: 'executed' }); // every one sent: the broker decides
    };
    const rateAlerts = (): number => alerts.filter((a) => a.code === 'rejection_rate').length;
    for (const refused of [true, true, false, false]) await send(refused); // 2 of 4: alert
    expect(rateAlerts()).toBe(1);
    for (const refused of [false, true]) await send(refused); // window F,F,F,T → 1/4: not below half (0.25), still alerting, no new alert
    expect(rateAlerts()).toBe(1);
    for (const refused of [false, false, false, false]) await send(refused); // 0/4: quiet again
    for (const refused of [true, true]) await send(refused); // F,F,T,T → 2/4: a second alert
    expect(rateAlerts()).toBe(2);
  });

  it('market impact: the price 60 s after completion against the arrival price, journaled as execution.impact', async () => {
    const { engine, price, clock, journal } = setup();
    const impacts: unknown[] = [];
    engine.on('execution:impact', (i) => impacts.push(i));
    await engine.start();
    price('AAPL', '100');
    await engine.executeSignal({ id: 's', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    price('AAPL', '100.25');
    clock.advance(59_999);
    expect(impacts).toEqual([]);
    clock.advance(1);
    expect(impacts).toEqual([expect.objectContaining({ arrivalPrice: '100', priceAfter: '100.25', impactBps: '25', horizonMs: 60_000 })]);
    expect(journal.query({ topic: EXECUTION_IMPACT_TOPIC })).toHaveLength(1);
  });

  it('confirmation: positions and cash checked against the mock broker after fills — they agree', async () => {
    const { engine, price, clock, journal } = setup({ slippageBps: 5 });
    const confirmations: { confirmed: boolean }[] = [];
    engine.on('execution:confirmed', (c) => confirmations.push(c));
    await engine.start();
    price('AAPL', '100');
    await engine.executeSignal({ id: 'a', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    clock.advance(2_000); // the first look sets the cash starting point
    await settle(1);
    price('AAPL', '101');
    await engine.executeSignal({ id: 'b', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'x' });
    const second = await engine.quality!.confirmNow();
    expect(second).toMatchObject({ confirmed: true, positions: [{ symbol: 'AAPL', engineQuantity: '0', brokerQuantity: '0', match: true }], cash: { match: true } });
    expect(confirmations.every((c) => c.confirmed)).toBe(true);
    expect(journal.query({ topic: EXECUTION_CONFIRMED_TOPIC }).length).toBe(confirmations.length);
  });

  it('invalid options are a ConfigurationError naming each field', () => {
    expect(() => setup({ quality: { slowFillMs: -1, rejectionRate: { threshold: 2 } } })).toThrow(ConfigurationError);
  });
});

describe('ExecutionMonitor: memory stays bounded when the clock does not move', () => {
  it('impact measurements past maxPendingImpacts drop the oldest (counted); orders waiting past confirm.maxPending are confirmed at once', async () => {
    const { engine, price, clock } = setup({ quality: { maxPendingImpacts: 4, confirm: { maxPending: 3 } } });
    const confirmations: unknown[] = [];
    engine.on('execution:confirmed', (c) => confirmations.push(c));
    await engine.start();
    const symbols = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
    for (const symbol of symbols) price(symbol, '100');
    // Seven orders filled and the clock never moves: neither the impact horizon nor the next look comes.
    for (const [i, symbol] of symbols.entries()) await engine.executeSignal({ id: `m${i}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    await settle();
    expect(engine.quality!.stats()).toMatchObject({ recorded: 7, pendingImpacts: 4, impactsDropped: 3 });
    // The third and the sixth order each found three waiting: the broker was asked then, not at the next look.
    expect(confirmations).toHaveLength(2);
    expect(confirmations.map((c) => (c as { clientOrderIds: string[] }).clientOrderIds.length)).toEqual([3, 3]);
    // The clock moves again: what is still waiting is measured and confirmed as usual.
    await clock.advanceAsync(60_000);
    expect(engine.quality!.stats().pendingImpacts).toBe(0);
    expect(confirmations).toHaveLength(3);
  });

  it('the bounds are validated like every other option', () => {
    expect(() => setup({ quality: { maxPendingImpacts: 0 } })).toThrow(ConfigurationError);
    expect(() => setup({ quality: { confirm: { maxPending: -1 } } })).toThrow(/quality\.confirm\.maxPending/);
  });
});

describe('ExecutionMonitor: a difference with the broker must last two looks', () => {
  function monitorWith(brokerQuantity: () => string, brokerCash: () => string) {
    const clock = new ManualClock(0);
    const bus = new EventBus<TradewireEvents>(() => undefined);
    const journal = new InMemoryJournal();
    const alerts: AlertPayload[] = [];
    bus.on('alert', (a) => alerts.push(a));
    let engineQuantity = new Decimal(10);
    const adapter = {
      name: 'fake',
      getPositions: async (): Promise<PositionReport[]> => [{ symbol: 'AAPL', assetClass: 'equity', quantity: new Decimal(brokerQuantity()), averageEntryPrice: new Decimal(100) }],
      getAccount: async () => ({ accountId: 'a', currency: 'USD', equity: new Decimal(brokerCash()), cash: new Decimal(brokerCash()), buyingPower: new Decimal(0), at: 0 }),
    };
    const monitor = new ExecutionMonitor({
      events: bus,
      clock,
      journal,
      logger: silentLogger,
      adapter,
      priceOf: () => new Decimal(100),
      positionOf: () => ({ side: 'long', quantity: engineQuantity }) as Position,
      accountId: () => 'a',
    });
    const filled = (id: string): void => {
      const order = { clientOrderId: id, symbol: 'AAPL', assetClass: 'equity', side: 'buy', type: 'market', status: 'filled', quantity: new Decimal(10), filledQuantity: new Decimal(10), averageFillPrice: new Decimal(100), fills: [{}], commission: new Decimal(0), createdAt: 0, updatedAt: 0 } as never;
      // A fill of zero: these tests move the broker's books by hand.
      monitor.orderChanged({ order, from: 'accepted', event: { type: 'filled', at: 0, fill: { executionId: id, quantity: new Decimal(0), price: new Decimal(100), commission: new Decimal(0), time: 0 } } });
    };
    return { monitor, alerts, filled, setEngine: (q: number) => (engineQuantity = new Decimal(q)) };
  }

  it('a passing difference (the broker booked first) raises nothing; a lasting one raises position_mismatch once', async () => {
    let broker = '10';
    const { monitor, alerts, filled } = monitorWith(() => broker, () => '0');
    filled('o1');
    broker = '12';
    expect((await monitor.confirmNow())!.confirmed).toBe(false);
    expect(alerts).toEqual([]);
    broker = '10';
    filled('o2');
    expect((await monitor.confirmNow())!.confirmed).toBe(true);
    expect(alerts).toEqual([]);
    broker = '7';
    filled('o3');
    await monitor.confirmNow();
    filled('o4');
    await monitor.confirmNow();
    expect(alerts.map((a) => a.code)).toEqual(['position_mismatch']);
    expect(alerts[0]!.message).toContain('the engine holds 10, the broker reports 7');
  });

  it('cash that moved without a fill (a withdrawal) is reported once it lasts: cash_mismatch', async () => {
    let cash = '1000';
    const { monitor, alerts, filled } = monitorWith(() => '10', () => cash);
    filled('o1');
    await monitor.confirmNow(); // starting point
    cash = '900';
    filled('o2');
    await monitor.confirmNow();
    expect(alerts).toEqual([]);
    filled('o3');
    await monitor.confirmNow();
    expect(alerts.map((a) => a.code)).toEqual(['cash_mismatch']);
  });
});
