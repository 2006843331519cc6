import fc from 'fast-check';
import { alwaysOpenMarket, ConfigurationError, customPeriod, Decimal, ExecutionEngine, PRE_TRADE_RULES, reportPeriod, silentLogger, TradewireError, TradingDesk, ValidationError } from 'tradewire';
import { ManualClock, MockBroker, runBacktest, sequentialIds, settle } from 'tradewire/testing';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { OandaAdapter } from 'tradewire/oanda';
import { describe, expect, it } from 'vitest';

/**
 * "Bad input gets a clear, typed error, and never corrupts state": the engine's public entry points
 * fed anything — values of the wrong type, numbers that are not finite, strings that are not
 * numbers, fields missing or extra — either do their work or refuse with a `TradewireError` that
 * has a `code` (a signal may also come back `rejected` with reasons). Never a `TypeError` from deep
 * inside, and afterwards the engine still trades a good signal and its books still add up.
 */

/** Something in the place of a field: right, wrong, or absurd. */
const junk = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, 0, -1, 1e21, 1e-12, '', ' ', 'abc', '1e999', '-0', '0x10', '  12 ', '1,5', true, false, [], {}, [1], { toString: () => '5' }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double(),
  fc.string({ maxLength: 6 }),
);
const numberish = fc.oneof(junk, fc.constantFrom('10', '0.5', '100.25', 5, 0.1), fc.constant(new Decimal('7')));
const symbol = fc.oneof(fc.constantFrom('AAPL', 'MSFT', 'aapl', ' AAPL', 'AAPL ', 'BRK.B', 'BTC/USD', '', '../x', 'A'.repeat(40)), junk);
const side = fc.oneof(fc.constantFrom('buy', 'sell', 'BUY', 'short', 'long', ''), junk);

const signalLike = fc.record(
  {
    id: fc.oneof(fc.uuid(), fc.constantFrom('', 'x'.repeat(300)), junk),
    symbol,
    side,
    strength: numberish,
    time: fc.oneof(fc.constant('now'), fc.constantFrom(0, -1, NaN, '2026-12-04', 8.64e15 + 1), junk),
    strategyId: fc.oneof(fc.constant('fuzz'), junk),
    expectedPrice: numberish,
    stopPrice: numberish,
    takeProfitPrice: numberish,
    quantity: numberish,
    exitFraction: numberish,
    atr: numberish,
    orderType: fc.oneof(fc.constantFrom('market', 'limit', 'stop', 'bracket'), junk),
    limitPrice: numberish,
  },
  { requiredKeys: [] },
);

const orderRequestLike = fc.record(
  {
    symbol,
    side,
    quantity: numberish,
    notional: numberish,
    type: fc.oneof(fc.constantFrom('market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'iceberg'), junk),
    limitPrice: numberish,
    stopPrice: numberish,
    trailPercent: numberish,
    timeInForce: fc.oneof(fc.constantFrom('day', 'gtc', 'ioc', 'fok', 'opg', 'forever'), junk),
    clientOrderId: fc.oneof(fc.constant(undefined), fc.constantFrom('', 'dup', 'x'.repeat(200)), junk),
  },
  { requiredKeys: [] },
);

const call = fc.oneof(
  fc.record({ kind: fc.constant('signal' as const), signal: signalLike }),
  fc.record({ kind: fc.constant('signals' as const), signals: fc.oneof(fc.array(signalLike, { maxLength: 3 }), junk) }),
  fc.record({ kind: fc.constant('price' as const), symbol, price: numberish }),
  fc.record({ kind: fc.constant('submit' as const), request: orderRequestLike }),
  fc.record({ kind: fc.constant('cancel' as const), id: fc.oneof(fc.constantFrom('tw-1', 'nope', ''), junk) }),
  fc.record({ kind: fc.constant('modify' as const), id: fc.oneof(fc.constantFrom('tw-1', 'tw-2', 'nope'), junk), changes: fc.oneof(fc.record({ quantity: numberish, limitPrice: numberish, stopPrice: numberish, trailPercent: numberish }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('rebalance' as const), weights: fc.oneof(fc.dictionary(fc.constantFrom('AAPL', 'MSFT', '', 'ZZZ'), numberish, { maxKeys: 3 }), junk), dryRun: fc.boolean() }),
  fc.record({ kind: fc.constant('forceClose' as const), symbol }),
  fc.record({ kind: fc.constant('batchOptions' as const), options: fc.oneof(fc.record({ maxOrders: numberish, refreshAccount: junk }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('rebalanceOptions' as const), options: fc.oneof(fc.record({ driftBandPct: numberish, minTradeValue: numberish, liquidateUnlisted: junk, dryRun: fc.constant(true) }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('halt' as const), options: fc.oneof(fc.record({ reason: junk, flatten: junk, cancelOpen: junk }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('resume' as const) }),
  fc.record({ kind: fc.constant('reduceOnly' as const), reason: junk }),
  fc.record({ kind: fc.constant('volatility' as const), value: numberish }),
  fc.record({ kind: fc.constant('resetBreaker' as const), id: fc.oneof(fc.constantFrom('daily_loss', 'nope'), junk) }),
  fc.record({ kind: fc.constant('preload' as const), symbols: fc.oneof(fc.array(symbol, { maxLength: 3 }), junk) }),
  fc.record({ kind: fc.constant('submitOptions' as const), options: fc.oneof(fc.record({ timeoutMs: numberish }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('submitList' as const), list: fc.oneof(fc.constantFrom('oco', 'bracket', 'oto', 'nope'), junk), requests: fc.oneof(fc.array(orderRequestLike, { maxLength: 3 }), junk) }),
  fc.record({ kind: fc.constant('whenCancelsSettled' as const), ids: fc.oneof(fc.array(fc.constantFrom('tw-1', 'nope'), { maxLength: 2 }), junk), timeoutMs: numberish }),
  fc.record({ kind: fc.constant('ordersUnanswered' as const), symbol: fc.oneof(symbol, junk) }),
  fc.record({ kind: fc.constant('whenEnded' as const), ids: fc.oneof(fc.array(fc.constantFrom('tw-1', 'nope'), { maxLength: 2 }), junk), timeoutMs: numberish }),
  fc.record({ kind: fc.constant('lists' as const), filter: fc.oneof(fc.record({ symbol: junk, status: junk, clientOrderId: junk, from: junk, to: junk, limit: junk }, { requiredKeys: [] }), junk) }),
  fc.record({ kind: fc.constant('queue' as const), id: fc.oneof(fc.constantFrom('q', 'nope'), junk), how: fc.constantFrom('release', 'approve', 'reject', 'decision') }),
);
type Call = typeof call extends fc.Arbitrary<infer C> ? C : never;

async function setup() {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0)); // Monday 11:00 EDT
  const broker = new MockBroker({ clock, initialCash: 1_000_000 });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    protection: true,
    config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 },
  });
  engine.on('error', () => undefined);
  await engine.start();
  for (const [s, p] of [['AAPL', '100'], ['MSFT', '300']] as const) {
    broker.setPrice(s, p);
    engine.updatePrice(s, p);
  }
  return { clock, broker, engine };
}

/** Runs one call; what it may do is succeed or refuse with a typed error. */
async function run(engine: ExecutionEngine, clock: ManualClock, c: Call): Promise<void> {
  const any = (x: unknown) => x as never;
  const work = async (): Promise<unknown> => {
    switch (c.kind) {
      case 'signal':
        return engine.executeSignal(any({ ...c.signal, ...(c.signal.time === 'now' ? { time: clock.now() } : {}) }));
      case 'signals':
        return engine.executeSignals(any(Array.isArray(c.signals) ? c.signals.map((s) => ({ ...s, ...(s.time === 'now' ? { time: clock.now() } : {}) })) : c.signals));
      case 'price':
        return engine.updatePrice(any(c.symbol), any(c.price));
      case 'submit':
        return engine.orders.submit(any(c.request));
      case 'cancel':
        return engine.orders.cancel(any(c.id));
      case 'modify':
        return engine.orders.modify(any(c.id), any(c.changes));
      case 'rebalance':
        return engine.rebalance(any(c.weights), { dryRun: c.dryRun });
      case 'forceClose':
        return engine.forceClose(any(c.symbol));
      case 'batchOptions':
        return engine.executeSignals([{ id: `b-${clock.now()}-${Math.random()}`, symbol: 'AAPL', side: 'buy', strength: 80, time: clock.now(), strategyId: 'fuzz' }], any(c.options));
      case 'rebalanceOptions':
        return engine.rebalance({ AAPL: '0.1' }, any(c.options));
      case 'halt':
        await engine.halt(any(c.options));
        return engine.resume();
      case 'resume':
        return engine.resume();
      case 'reduceOnly':
        engine.reduceOnly(any(c.reason));
        return engine.resume();
      case 'volatility':
        return engine.reportVolatility(any(c.value));
      case 'resetBreaker':
        return engine.resetBreaker(any(c.id));
      case 'preload':
        return engine.preloadAssets(any(c.symbols));
      case 'submitOptions':
        return engine.orders.submit({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '90', timeInForce: 'gtc' }, any(c.options));
      case 'submitList':
        return engine.orders.submitList(any(c.list), any(c.requests));
      case 'whenEnded':
        return Promise.race([engine.orders.whenEnded(any(c.ids), any(c.timeoutMs)), settle(2)]);
      case 'whenCancelsSettled':
        return Promise.race([engine.orders.whenCancelsSettled(any(c.ids), any(c.timeoutMs)), settle(2)]);
      case 'ordersUnanswered':
        return engine.orders.ordersUnanswered(any(c.symbol));
      case 'lists':
        engine.orders.orderList(any(c.filter));
        return engine.orders.auditTrail(any(c.filter));
      case 'queue':
        if (c.how === 'release') return engine.releaseQueued(any(c.id));
        if (c.how === 'approve') return engine.approveQueued(any(c.id));
        if (c.how === 'reject') return engine.rejectQueued(any(c.id));
        return engine.decisionFor(any(c.id));
    }
  };
  try {
    await work();
  } catch (error) {
    const described = `${c.kind} ${JSON.stringify(c, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}: ${(error as Error)?.stack ?? String(error)}`;
    expect(error instanceof TradewireError, described).toBe(true);
    expect(typeof (error as TradewireError).code, described).toBe('string');
  }
  await settle(4);
}

/** The books still add up: every order sized and priced with finite decimals, positions equal to the broker's. */
function expectSound(engine: ExecutionEngine, broker: MockBroker): void {
  for (const o of engine.orders.orderList()) {
    expect(o.quantity.isFinite() && o.quantity.greaterThan(0), `${o.clientOrderId} quantity ${o.quantity.toString()}`).toBe(true);
    for (const price of [o.limitPrice, o.stopPrice]) if (price) expect(price.isFinite() && price.greaterThan(0), `${o.clientOrderId} price ${price.toString()}`).toBe(true);
    expect(typeof o.symbol === 'string' && o.symbol.length > 0).toBe(true);
  }
  const mine = Object.fromEntries(engine.positions.openPositions().map((p) => [p.symbol, (p.side === 'long' ? p.quantity : p.quantity.negated()).toString()]));
  const theirs = Object.fromEntries(broker.positionReports().filter((p) => !p.quantity.isZero()).map((p) => [p.symbol, p.quantity.toString()]));
  expect(mine).toEqual(theirs);
}

/** A refusal as the library promises it: a `TradewireError` with a `code`, never a `TypeError` from inside. */
function expectTyped(error: unknown, what: string): void {
  expect(error instanceof TradewireError && typeof error.code === 'string', `${what}: ${String((error as Error)?.stack ?? error)}`).toBe(true);
}

/** Still trades after whatever came before: a good signal is decided, and the books add up with the broker's. */
async function expectStillTrades(engine: ExecutionEngine, broker: MockBroker, clock: ManualClock, symbol: string): Promise<void> {
  const decision = await engine.executeSignal({ id: 'good-one', symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'fuzz' });
  await settle(8);
  expect(['executed', 'rejected', 'queued']).toContain(decision.kind);
  if (decision.kind === 'rejected') expect(decision.reasons.length).toBeGreaterThan(0);
  await engine.reconcile();
  await settle(8);
  expectSound(engine, broker);
}

describe('bad input at the public entry points', () => {
  it("anything given to the engine's entry points (signals, batches, prices, orders, rebalances, closes, halts, breakers, the queue) is done or refused with a typed error; the engine still trades and its books add up", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 12 }), async (calls) => {
        const { clock, broker, engine } = await setup();
        try {
          for (const c of calls) await run(engine, clock, c);
          // Still trades: a good price and a good signal go through.
          engine.updatePrice('MSFT', '300');
          broker.setPrice('MSFT', '300');
          await expectStillTrades(engine, broker, clock, 'MSFT');
        } finally {
          await engine.stop();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);
});

/** An engine config as a JavaScript caller or a JSON file might give it: known keys, any values. */
const section = (keys: readonly string[]) => fc.oneof(fc.dictionary(fc.constantFrom(...keys), fc.oneof(junk, numberish, fc.constantFrom('market', 'limit', 'percent', 'atr', 'fixed_quantity', 'adopt', 'halt', 'gtc'))), junk);
const configLike = fc.record(
  {
    maxPositions: numberish,
    maxPositionSizePct: numberish,
    maxAccountExposurePct: numberish,
    minSignalStrength: numberish,
    maxSignalAgeMs: numberish,
    dailyLossLimitPct: numberish,
    riskPerTradePct: numberish,
    minTradeSize: numberish,
    allowScaleIn: junk,
    allowShorting: junk,
    allowFractional: junk,
    accountRefreshMs: numberish,
    sizing: section(['method', 'notional', 'quantity', 'scaleByStrength', 'percent']),
    stopLoss: section(['method', 'percent', 'atrMultiplier', 'trailingPercent', 'supportBufferPct']),
    takeProfit: section(['method', 'riskRewardRatio']),
    orderManagement: section(['entryOrderType', 'limitOffsetBps', 'timeInForce', 'orderTimeoutMs', 'pollIntervalMs', 'endedOrdersKept']),
    marketHours: section(['queueWhenClosed', 'cancelAtClose', 'preMarket', 'afterHours', 'queueCheckIntervalMs']),
    errorHandling: section(['retries', 'minDelayMs', 'factor', 'maxDelayMs', 'resizeOnInsufficientFunds', 'fallbackOrderType']),
    recovery: section(['onMismatch', 'reconcileIntervalMs', 'resendUnacknowledged', 'maxResendAgeMs', 'retries', 'retryDelayMs', 'retryAfterFailureMs', 'checkpointEveryRecords', 'checkpointCheckMs']),
    checks: section(['account_currency', 'max_positions', 'nope']),
  },
  { requiredKeys: [] },
);

/** Protection's options, likewise. */
const protectionLike = fc.oneof(
  fc.constantFrom(true, false, undefined),
  junk,
  fc.record(
    {
      partialExits: fc.oneof(fc.array(fc.record({ r: numberish, fraction: numberish }), { maxLength: 3 }), junk),
      trailingPercent: numberish,
      breakEvenAtR: numberish,
      volatility: fc.oneof(fc.record({ threshold: numberish, factor: numberish }), junk),
      tightenNearTarget: fc.oneof(fc.record({ progress: numberish, lock: numberish }), junk),
      onStopLost: fc.oneof(fc.constantFrom('replace', 'close', 'alert'), junk),
      stopAttempts: numberish,
    },
    { requiredKeys: [] },
  ),
);

describe('a modify with no changes', () => {
  it('modify of a working order with no changes at all (undefined, null) is a ValidationError, not a TypeError (found by the search)', async () => {
    const { engine, broker, clock } = await setup();
    await engine.orders.submit({ clientOrderId: 'm-1', symbol: 'AAPL', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90' });
    for (const changes of [undefined, null]) {
      const refused = await engine.orders.modify('m-1', changes as never).then(() => undefined, (error: unknown) => error);
      expectTyped(refused, `modify with ${String(changes)}`);
    }
    expect(engine.orders.get('m-1')?.status).toBe('accepted');
    await expectStillTrades(engine, broker, clock, 'MSFT');
  });
});

describe('a bad engine config', () => {
  it("any config (and protection's options) is taken or refused when the engine is built with a ConfigurationError naming the field — never a TypeError, nor an engine that fails later on its own settings", async () => {
    await fc.assert(
      fc.asyncProperty(configLike, protectionLike, async (config, protection) => {
        const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
        const broker = new MockBroker({ clock, initialCash: 1_000_000 });
        let engine: ExecutionEngine;
        try {
          engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, config: config as never, protection: protection as never });
        } catch (error) {
          expect(error instanceof TradewireError && error.code === 'invalid_configuration', String((error as Error)?.stack ?? error)).toBe(true);
          expect((error as TradewireError & { issues: { field: string }[] }).issues.length).toBeGreaterThan(0);
          return;
        }
        engine.on('error', () => undefined);
        try {
          await engine.start();
          broker.setPrice('AAPL', '100');
          engine.updatePrice('AAPL', '100');
          // Taken: it trades (or refuses a signal with reasons) on those settings.
          await expectStillTrades(engine, broker, clock, 'AAPL');
        } finally {
          await engine.stop();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);
});

describe('a bad report period', () => {
  const day = fc.oneof(fc.constantFrom('2024-06-03', '2024-02-30', '2024-13-01', '2024-6-3', '03/06/2024', '2024-06-03T10:00:00Z', '2024-06-03T10:00', 'yesterday', ''), fc.integer({ min: -1e13, max: 1e13 }), junk);
  const zone = fc.oneof(fc.constantFrom(undefined, 'America/New_York', 'Europe/London', 'UTC', 'Mars/Base', 'EST', '+05:00', ''), junk);
  it('reportPeriod and customPeriod give a range of finite instants, from ≤ to, or refuse with a ValidationError — never NaN bounds, nor a TypeError or RangeError from a date library', () => {
    const sound = (make: () => { from: number; to: number; kind: string }, what: string): void => {
      let period: { from: number; to: number; kind: string };
      try {
        period = make();
      } catch (error) {
        expect(error instanceof TradewireError && error.code === 'validation_failed', `${what}: ${String((error as Error)?.stack ?? error)}`).toBe(true);
        return;
      }
      expect(Number.isFinite(period.from) && Number.isFinite(period.to) && period.from <= period.to, `${what}: ${JSON.stringify(period)}`).toBe(true);
    };
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('daily', 'weekly', 'monthly', 'yearly', ''), junk), day, day, zone, (kind, from, to, timeZone) => {
        const shown = JSON.stringify({ kind, from, to, timeZone }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
        sound(() => reportPeriod(kind as never, from as never, timeZone as never), `reportPeriod ${shown}`);
        sound(() => customPeriod(from as never, to as never, timeZone as never), `customPeriod ${shown}`);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('a report period at the edge of the calendar', () => {
  it('an instant outside the years 1 to 9999 is a ValidationError — year -9997 was named "10000-12-31" with NaN bounds (found by a random draw of the property above)', () => {
    for (const at of [-377673561712001, -8.64e15, 8.64e15, 253402300800000]) {
      expect(() => reportPeriod('daily', at, 'EST')).toThrow(ValidationError);
      expect(() => customPeriod(at, 0, 'UTC')).toThrow(ValidationError);
    }
    const first = reportPeriod('daily', new Date('0001-01-03T12:00:00Z').getTime(), 'UTC');
    expect([first.label, Number.isFinite(first.from), Number.isFinite(first.to)]).toEqual(['0001-01-03', true, true]);
  });
});

describe('bad input to the testing kit', () => {
  const bar = fc.record(
    {
      time: fc.oneof(fc.constantFrom('2024-06-03T14:30:00Z', '2024-06-03', 'soon', ''), fc.integer({ min: 1.7e12, max: 1.8e12 }), junk),
      symbol: fc.oneof(fc.constant('SPY'), symbol),
      open: numberish,
      high: numberish,
      low: numberish,
      close: numberish,
      volume: numberish,
    },
    { requiredKeys: [] },
  );
  const good = (i: number) => ({ time: Date.UTC(2024, 5, 3, 14, 30 + i), symbol: 'SPY', open: '100', high: '101', low: '99', close: '100.5', volume: '1000' });

  it('runBacktest with bars or options of any shape runs or refuses with a typed error (a bad bar names its line), never a TypeError from inside', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(bar, fc.integer({ min: 0, max: 5 }).map(good)), { minLength: 1, maxLength: 6 }), fc.record({ initialCash: numberish, slippageBps: numberish, historyBars: numberish, timeZone: fc.oneof(fc.constant(undefined), junk), closeAtEnd: junk }, { requiredKeys: [] }), async (bars, options) => {
        try {
          const result = await runBacktest({ bars: bars as never, strategy: ({ bar: b }) => [{ side: 'buy', symbol: b.symbol }] as never, ...(options as object) });
          expect(Number.isFinite(Number(result.report.totals.realizedPnl))).toBe(true);
        } catch (error) {
          expectTyped(error, 'runBacktest');
        }
      }),
      // A backtest builds an engine and a report per run: fewer runs than the calls above.
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
    );
  }, 120_000);

  it('MockBroker: options, prices and bars of any shape are taken or refused with a typed error', () => {
    fc.assert(
      fc.property(fc.record({ initialCash: numberish, leverage: numberish, slippageBps: numberish, latencyMs: numberish, cancelLatencyMs: numberish, retainEndedOrders: numberish, currency: junk }, { requiredKeys: [] }), symbol, numberish, bar, (options, s, price, b) => {
        const attempt = (what: string, work: () => unknown): void => {
          try {
            work();
          } catch (error) {
            expectTyped(error, what);
          }
        };
        let broker: MockBroker | undefined;
        attempt('new MockBroker', () => (broker = new MockBroker({ clock: new ManualClock(), ...(options as object) })));
        if (!broker) return;
        attempt('setPrice', () => broker!.setPrice(s as never, price as never));
        attempt('playBar', () => broker!.playBar(s as never, b as never));
        attempt('setLiquidity', () => broker!.setLiquidity(s as never, price as never));
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('bad input to the desk', () => {
  const deskCall = fc.oneof(
    fc.record({ kind: fc.constant('signal' as const), signal: signalLike, account: fc.oneof(fc.constantFrom(undefined, 'equities', 'nope'), junk), mirror: fc.oneof(fc.constant(undefined), fc.record({ accounts: fc.oneof(fc.array(fc.constantFrom('equities', 'other', 'nope'), { maxLength: 2 }), junk), weights: fc.oneof(fc.constantFrom('equal', 'equity', 'weird'), fc.dictionary(fc.constantFrom('equities', 'other'), numberish), junk) }, { requiredKeys: [] }), junk) }),
    fc.record({ kind: fc.constant('halt' as const), reason: fc.oneof(fc.constant('drill'), junk), options: fc.oneof(fc.record({ cancelOpen: junk, flatten: junk }, { requiredKeys: [] }), junk) }),
    fc.record({ kind: fc.constant('price' as const), symbol, price: numberish }),
  );
  it('anything given to the desk (signals, mirrors, halts, prices) is decided or refused with a typed error; a refused halt leaves the desk and its accounts as they were', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(deskCall, { minLength: 1, maxLength: 6 }), async (calls) => {
        const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
        const brokers = ['equities', 'other'].map((name) => new MockBroker({ clock, name, initialCash: 1_000_000 }));
        const desk = new TradingDesk({ clock, logger: silentLogger, accounts: brokers.map((adapter, i) => ({ id: adapter.name, adapter, ids: sequentialIds(1 + i * 100_000), rateLimit: false, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } })) });
        await desk.start();
        try {
          for (const c of calls) {
            const before = [desk.tradingState, ...['equities', 'other'].map((id) => desk.engine(id).tradingState)];
            try {
              if (c.kind === 'signal') await desk.executeSignal({ ...(c.signal as object), time: clock.now(), ...(c.account !== undefined ? { account: c.account } : {}), ...(c.mirror !== undefined ? { mirror: c.mirror } : {}) } as never);
              else if (c.kind === 'halt') {
                await desk.halt(c.reason as never, c.options as never);
                desk.resume();
              } else {
                for (const b of brokers) if (typeof c.symbol === 'string' && c.symbol.trim() !== '') b.setPrice(c.symbol, '100');
                desk.updatePrice(c.symbol as never, c.price as never);
              }
            } catch (error) {
              expectTyped(error, JSON.stringify(c));
              if (c.kind === 'halt') expect([desk.tradingState, ...['equities', 'other'].map((id) => desk.engine(id).tradingState)]).toEqual(before);
            }
            await settle(4);
          }
          for (const b of brokers) b.setPrice('MSFT', '300');
          desk.updatePrice('MSFT', '300');
          const decided = await desk.executeSignal({ id: 'good-one', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now(), strategyId: 'fuzz' });
          expect(decided.outcomes.length).toBeGreaterThan(0);
        } finally {
          await desk.stop();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) },
    );
  }, 120_000);
});

describe('bad adapter options', () => {
  const ms = fc.oneof(fc.constant(undefined), numberish);
  it('the Alpaca and OANDA adapters are made or refused with a ConfigurationError naming the field — a timing that is not a positive number of milliseconds, a URL that is not one, an unknown transport — never a TypeError, nor an adapter whose every request fails later', () => {
    fc.assert(
      fc.property(fc.record({ timeoutMs: ms, connectTimeoutMs: ms, heartbeatTimeoutMs: ms, pollIntervalMs: ms, reconnect: fc.oneof(fc.constant(undefined), fc.record({ initialMs: ms, maxMs: ms, maxAttempts: ms }, { requiredKeys: [] })), baseUrl: fc.oneof(fc.constantFrom(undefined, 'http://127.0.0.1:9', 'not a url'), junk), transport: fc.oneof(fc.constantFrom(undefined, 'stream', 'poll', 'carrier pigeon'), junk) }, { requiredKeys: [] }), (options) => {
        const made = (what: string, make: () => unknown, fields: readonly string[]): void => {
          try {
            make();
          } catch (error) {
            expect(error instanceof TradewireError && error.code === 'invalid_configuration', `${what} ${JSON.stringify(options)}: ${String((error as Error)?.stack ?? error)}`).toBe(true);
            return;
          }
          for (const [field, value] of Object.entries({ ...options, ...(options.reconnect ?? {}) })) {
            if (fields.includes(field) && value !== undefined) expect(typeof value === 'number' && value > 0, `${what} took ${field} ${String(value)}`).toBe(true);
          }
        };
        const { baseUrl, transport, ...timings } = options;
        made('alpaca', () => new AlpacaAdapter({ keyId: 'k', secret: 's', ...timings, ...(baseUrl !== undefined ? { baseUrl: baseUrl as never } : {}) } as never), ['timeoutMs', 'connectTimeoutMs', 'initialMs', 'maxMs']);
        made('oanda', () => new OandaAdapter({ token: 't', accountId: '101-001-1-001', ...timings, ...(baseUrl !== undefined ? { restUrl: baseUrl as never } : {}), ...(transport !== undefined ? { transport: transport as never } : {}) } as never), ['timeoutMs', 'connectTimeoutMs', 'heartbeatTimeoutMs', 'pollIntervalMs', 'initialMs', 'maxMs']);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('an engine built from parts that are not what they should be', () => {
  it('an adapter missing methods (an SDK object passed by mistake), or a clock, ids or journal without theirs: a ConfigurationError naming what is missing when the engine is built — not a TypeError at start() or at the first order', () => {
    const build = (options: object) => () => new ExecutionEngine({ logger: silentLogger, ...options } as never);
    expect(build({ adapter: { name: 'sdk', capabilities: {}, createOrder: () => undefined } })).toThrow(/adapter must implement BrokerAdapter; missing connect, disconnect, .*submitOrder/);
    expect(build({})).toThrow(/adapter must be a BrokerAdapter, got undefined/);
    const adapter = new MockBroker({ clock: new ManualClock() });
    expect(build({ adapter, clock: { now: () => 0 } })).toThrow(/clock must have now, setTimeout, clearTimeout; missing setTimeout, clearTimeout/);
    expect(build({ adapter, ids: () => 'x' })).toThrow(/ids must have next; missing next/);
    expect(build({ adapter, journal: [] })).toThrow(/journal must have append, query/);
    expect(build({ adapter })).not.toThrow();
  });

  it('a market state, signal policy or pre-trade rules that are not one: a ConfigurationError naming each — before, the engine was built and the first signal threw a TypeError inside its decision', () => {
    const adapter = new MockBroker({ clock: new ManualClock() });
    const fields = (options: object): string[] => {
      try {
        new ExecutionEngine({ logger: silentLogger, adapter, ...options } as never);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).issues.map((i) => i.field);
      }
      return [];
    };
    expect(fields({ market: 5, policy: 'default', rules: { code: 'max_spread', guardsExits: false, check: () => undefined } })).toEqual(['market', 'policy', 'rules']);
    expect(fields({ market: { isOpen: () => true }, rules: [{ code: 'ok', guardsExits: false, check: () => undefined }, { code: 'no_check', guardsExits: false }, null, { code: '', guardsExits: true, check: () => undefined }] })).toEqual(['market', 'rules[1]', 'rules[2]', 'rules[3]']);
    expect(fields({ market: alwaysOpenMarket, policy: () => ({ action: 'skip' }), rules: [...PRE_TRADE_RULES] })).toEqual([]);
  });

  it('a clock outside years 1–9999, or one whose now() is not a number: a ConfigurationError naming the clock — not a RangeError from a date library at the first signal', () => {
    const build = (now: unknown) => () => new ExecutionEngine({ logger: silentLogger, adapter: new MockBroker({ clock: new ManualClock() }), clock: { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined } } as never);
    for (const now of [-1e15, 8.64e15, 253_402_300_800_000, Number.NaN, '2024-01-02', undefined]) {
      expect(build(now), String(now)).toThrow(ConfigurationError);
      expect(build(now), String(now)).toThrow(/clock must tell the time in epoch milliseconds within years 1–9999/);
    }
    for (const now of [-62_135_596_800_000, 0, Date.UTC(2024, 0, 2), 253_402_300_799_999]) expect(build(now), String(now)).not.toThrow();
  });
});
