import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alwaysOpenMarket,
  BrokerError,
  ConfigurationError,
  customPeriod,
  Decimal,
  type DeskAccountSpec,
  type DeskSignal,
  InMemoryJournal,
  routeByBuyingPower,
  silentLogger,
  TradingDesk,
  type TradingDeskOptions,
} from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle as settleIo } from 'tradewire/testing';

const flush = (): Promise<void> => settleIo(1);

/** Awaits `promise` while moving a manual clock on (retries and timeouts wait on it). */
async function settle<T>(promise: Promise<T>, clock: ManualClock): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  for (let i = 0; i < 400 && !done; i++) {
    await flush();
    clock.advance(250);
  }
  return tracked;
}

function desk(options: Partial<TradingDeskOptions> & { cash?: number[] } = {}) {
  const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
  const alpha = new MockBroker({ clock, name: 'alpha', initialCash: options.cash?.[0] ?? 100_000 });
  const beta = new MockBroker({ clock, name: 'beta', initialCash: options.cash?.[1] ?? 100_000, assets: [{ symbol: 'EUR_USD', assetClass: 'forex', quantityIncrement: new Decimal(1) }] });
  const common = (id: string): Omit<DeskAccountSpec, 'id' | 'adapter'> => ({ ids: sequentialIds(id === "fx" ? 100_000 : 1), journal: new InMemoryJournal(), market: alwaysOpenMarket, rateLimit: false, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 10, allowScaleIn: false, minTradeSize: 1 } });
  const d = new TradingDesk({
    clock,
    logger: silentLogger,
    accounts: [
      { id: 'equities', adapter: alpha, scope: { assetClasses: ['equity'] }, ...common('eq') },
      { id: 'fx', adapter: beta, scope: { assetClasses: ['forex'] }, ...common('fx') },
    ],
    ...options,
  });
  const price = (symbol: string, p: string): void => {
    alpha.setPrice(symbol, p);
    beta.setPrice(symbol, p);
    d.updatePrice(symbol, p);
  };
  let n = 0;
  const signal = (fields: Partial<DeskSignal> & Pick<DeskSignal, 'symbol' | 'side'>): DeskSignal => ({ id: `s${++n}`, strength: 90, time: clock.now(), strategyId: 'momo', ...fields });
  return { clock, alpha, beta, desk: d, price, signal };
}

describe('TradingDesk: routing', () => {
  it('equities to the equities account, forex to the forex account; every event names its account and broker', async () => {
    const { desk: d, price, signal } = setupStarted(await started());
    price('AAPL', '100');
    price('EUR_USD', '1.08');
    const fills: string[] = [];
    d.on('order:filled', ({ account, broker, payload }) => fills.push(`${account}/${broker}/${payload.order.symbol}`));
    const eq = await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy' }));
    const fx = await d.executeSignal(signal({ symbol: 'EUR_USD', side: 'buy', assetClass: 'forex' }));
    expect(eq.outcomes.map((o) => [o.account, o.decision?.kind])).toEqual([['equities', 'executed']]);
    expect(fx.outcomes.map((o) => [o.account, o.decision?.kind, o.decision?.kind === 'rejected' ? o.decision.reasons : undefined])).toEqual([['fx', 'executed', undefined]]);
    expect(fills).toEqual(['equities/alpha/AAPL', 'fx/beta/EUR_USD']);
    // An exit goes where the position is, whatever the routing says.
    const out = await d.executeSignal(signal({ symbol: 'AAPL', side: 'sell' }));
    expect(out.outcomes.map((o) => o.account)).toEqual(['equities']);
    expect(d.engine('equities').positions.get('AAPL')).toBeUndefined();
    // Crypto: no account takes it; the refusal says so.
    const none = await d.executeSignal(signal({ symbol: 'BTCUSD', side: 'buy', assetClass: 'crypto' }));
    expect(none.outcomes[0]!.refused![0]!.code).toBe('no_route');
    // A named account; an unknown one.
    expect((await d.executeSignal(signal({ symbol: 'MSFT', side: 'buy', account: 'fx' }))).outcomes[0]!.account).toBe('fx');
    expect((await d.executeSignal(signal({ symbol: 'MSFT', side: 'buy', account: 'nope' }))).outcomes[0]!.refused![0]!.code).toBe('unknown_account');
  });

  it('mirrors one signal on both accounts with fixed weights (0.5 and 2 → 5 and 20 units) and by equity', async () => {
    const { desk: d, price, signal } = setupStarted(await started({ cash: [100_000, 300_000] }));
    price('MSFT', '50');
    const fixed = await d.executeSignal(signal({ symbol: 'MSFT', side: 'buy', mirror: { accounts: ['equities', 'fx'], weights: { equities: '0.5', fx: '2' } } }));
    expect(fixed.outcomes.map((o) => [o.account, o.decision?.kind === 'executed' ? o.decision.order.quantity.toFixed() : o.refused])).toEqual([
      ['equities', '5'],
      ['fx', '20'],
    ]);
    price('NVDA', '10');
    const byEquity = await d.executeSignal(signal({ symbol: 'NVDA', side: 'buy', mirror: { accounts: ['equities', 'fx'], weights: 'equity' } }));
    // Equity 100 000 and ~300 000: weights 0.5 and 1.5 of the mean.
    const sizes = byEquity.outcomes.map((o) => (o.decision?.kind === 'executed' ? Number(o.decision.order.quantity) : 0));
    expect(sizes[1]! / sizes[0]!).toBeCloseTo(3, 1);
  });

  it('a mirrored signal goes to every account at once: each order at its broker before the first answer', async () => {
    const { desk: d, price, signal, clock, alpha, beta } = setupStarted(await started());
    price('MSFT', '50');
    alpha.setLatency(250);
    beta.setLatency(250);
    const submits = (): number[] => [alpha, beta].map((b) => b.requests.filter((r) => r.method === 'submitOrder').length);
    const mirrored = d.executeSignal(signal({ symbol: 'MSFT', side: 'buy', mirror: { accounts: ['equities', 'fx'], weights: 'equal' } }));
    await flush();
    await clock.advanceAsync(250); // both accounts' asset look-ups answer together
    expect(submits()).toEqual([1, 1]); // sent together, not the second after the first's answer
    await clock.advanceAsync(250);
    const decision = await mirrored;
    expect(decision.outcomes.map((o) => [o.account, o.decision?.kind])).toEqual([
      ['equities', 'executed'],
      ['fx', 'executed'],
    ]);
  });

  it('start(): every account starts at once, and one whose broker refuses does not stop the others', async () => {
    const { desk: d, alpha, beta, clock } = desk();
    alpha.setLatency(250);
    beta.setLatency(250);
    alpha.failNext('getAccount', { kind: 'error', error: new BrokerError('unauthorized', 'bad key', { status: 401 }) });
    const starting = d.start().catch((e: unknown) => e);
    await flush();
    // The first account's broker refused at once; the second was asked all the same.
    expect(beta.requests.filter((r) => r.method === 'getAccount')).toHaveLength(1);
    await clock.advanceAsync(250);
    const error = await starting;
    expect(error).toBeInstanceOf(BrokerError);
    expect(d.engine('fx').account()?.accountId).toBeDefined();
  });

  it('recover(): every account at once; one that cannot recover does not stop the others recovering and trading', async () => {
    const { desk: d, alpha, clock, price, signal } = desk();
    await d.start();
    alpha.failNext('getOpenOrders', { kind: 'server_error' }, 10); // the equities account's broker keeps failing
    const error = await settle(d.recover().catch((e: unknown) => e), clock);
    expect(error).toBeInstanceOf(BrokerError);
    expect(d.engine('equities').recoveryState).toBe('failed');
    expect(d.engine('fx').recoveryState).toBe('recovered');
    price('EUR_USD', '1.08');
    const fx = await d.executeSignal(signal({ symbol: 'EUR_USD', side: 'buy', assetClass: 'forex' }));
    expect(fx.outcomes.map((o) => [o.account, o.decision?.kind])).toEqual([['fx', 'executed']]);
  });

  it('routeByBuyingPower sends an entry to the account with the most buying power', async () => {
    const { desk: d, price, signal } = setupStarted(await started({ cash: [50_000, 80_000], routing: routeByBuyingPower }));
    await d.engine('equities').refreshAccount();
    await d.engine('fx').refreshAccount();
    price('AAPL', '100');
    expect((await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy' }))).outcomes[0]!.account).toBe('equities'); // fx's scope is forex only
  });
});

describe('TradingDesk: desk-wide limits and the kill switch', () => {
  it('max positions across accounts: the third entry is refused by the desk, naming the account and why', async () => {
    const { desk: d, price, signal } = setupStarted(await started({ limits: { maxPositions: 2 } }));
    for (const s of ['A', 'B', 'C']) price(s, '10');
    await d.executeSignal(signal({ symbol: 'A', side: 'buy' }));
    await d.executeSignal(signal({ symbol: 'B', side: 'buy', account: 'fx' }));
    const third = await d.executeSignal(signal({ symbol: 'C', side: 'buy' }));
    const decision = third.outcomes[0]!.decision!;
    expect(third.outcomes[0]!.account).toBe('equities');
    expect(decision.kind).toBe('rejected');
    expect(decision.kind === 'rejected' && decision.reasons.map((r) => r.code)).toEqual(['desk_positions']);
  });

  it('a mirrored signal meeting a desk-wide limit: the accounts claim it in their order, even when the first still has to look the symbol up', async () => {
    const { desk: d, price, signal, alpha, beta, clock } = setupStarted(await started({ limits: { maxPositions: 2 } }));
    for (const s of ['A', 'B']) price(s, '10');
    await d.executeSignal(signal({ symbol: 'A', side: 'buy' })); // one position: one slot left
    // Only the second account has looked B up; the first must ask its (slower) broker.
    await d.engine('fx').preloadAssets(['B']);
    alpha.setLatency(250);
    beta.setLatency(10);
    const mirrored = settle(d.executeSignal(signal({ symbol: 'B', side: 'buy', mirror: { accounts: ['equities', 'fx'], weights: 'equal' } })), clock);
    const decision = await mirrored;
    expect(decision.outcomes.map((o) => [o.account, o.decision?.kind, o.decision?.kind === 'rejected' ? o.decision.reasons.map((r) => r.code) : undefined])).toEqual([
      ['equities', 'executed', undefined],
      ['fx', 'rejected', ['desk_positions']],
    ]);
  });

  it('daily loss across accounts: at the limit the desk goes REDUCING (exits only) and says so', async () => {
    const { desk: d, price, signal } = setupStarted(await started({ limits: { maxDailyLoss: '150' } }));
    const alerts: string[] = [];
    d.on('desk:alert', (a) => alerts.push(a.code));
    price('A', '100');
    await d.executeSignal(signal({ symbol: 'A', side: 'buy' }));
    await d.executeSignal(signal({ symbol: 'A', side: 'buy', account: 'fx' }));
    price('A', '92'); // −80 on each account: −160 across the desk
    expect(d.tradingState).toBe('REDUCING');
    expect(alerts).toContain('desk_daily_loss');
    const entry = await d.executeSignal(signal({ symbol: 'B', side: 'buy' }));
    expect(entry.outcomes[0]!.refused![0]!.code).toBe('desk_trading_state');
    const exit = await d.executeSignal(signal({ symbol: 'A', side: 'sell' }));
    expect(exit.outcomes.map((o) => o.decision?.kind ?? o.refused)).toEqual(['executed', 'executed']);
  });

  it('the desk kill switch halts every account; resume brings them back', async () => {
    const { desk: d, price, signal } = setupStarted(await started());
    price('A', '10');
    await d.halt('fat finger');
    expect(d.accounts.map((a) => d.engine(a).tradingState)).toEqual(['HALTED', 'HALTED']);
    expect((await d.executeSignal(signal({ symbol: 'A', side: 'buy' }))).outcomes[0]!.refused![0]!.code).toBe('desk_trading_state');
    d.resume();
    expect((await d.executeSignal(signal({ symbol: 'A', side: 'buy' }))).outcomes[0]!.decision?.kind).toBe('executed');
  });

  it('property: for any interleaving of concurrent entries across accounts, desk exposure and positions never pass the limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ symbol: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), account: fc.constantFrom('equities', 'fx'), delay: fc.integer({ min: 0, max: 3 }) }), { minLength: 4, maxLength: 24 }), async (plan) => {
        const { desk: d, price, signal, alpha, beta } = setupStarted(await started({ limits: { maxExposure: '450', maxPositions: 4 } }));
        for (const s of ['A', 'B', 'C', 'D', 'E', 'F']) price(s, '10'); // 10 units × 10 = 100 a position
        alpha.setLatency(0);
        beta.setLatency(0);
        let worst = new Decimal(0);
        let most = 0;
        d.on('order:filled', () => {
          const book = d.book();
          worst = Decimal.max(worst, book.exposure);
          most = Math.max(most, book.positions);
        });
        await Promise.all(
          plan.map(async ({ symbol, account, delay }) => {
            for (let i = 0; i < delay; i++) await flush();
            return d.executeSignal(signal({ symbol, side: 'buy', account }));
          }),
        );
        const book = d.book();
        expect(new Decimal(book.exposure).lessThanOrEqualTo(450)).toBe(true);
        expect(worst.lessThanOrEqualTo(450)).toBe(true);
        expect(Math.max(most, book.positions)).toBeLessThanOrEqual(4);
      }),
      { numRuns: 40 },
    );
  });
});

describe('TradingDesk: broker health and failover', () => {
  it('a broker that stops answering goes down; new entries fail over to the next account that may trade the symbol; exits stay', async () => {
    const both = { scope: {} };
    const { desk: d, price, signal, alpha, clock } = setupStarted(await started({ failover: true, scopes: [both, both] }));
    const health: string[] = [];
    d.on('broker:health', (h) => health.push(`${h.account}:${h.previous}→${h.state}`));
    price('AAPL', '100');
    await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy' })); // on equities (first by priority)
    // alpha's network fails: its calls time out until it is down.
    alpha.failNext('*', { kind: 'network' }, 50);
    await d.engine('equities').refreshAccount().catch(() => undefined);
    await d.engine('equities').refreshAccount().catch(() => undefined);
    await d.engine('equities').refreshAccount().catch(() => undefined);
    expect(d.health().find((h) => h.account === 'equities')!.state).toBe('down');
    expect(health).toEqual(['equities:healthy→degraded', 'equities:degraded→down']);
    price('MSFT', '50');
    const entry = await d.executeSignal(signal({ symbol: 'MSFT', side: 'buy' }));
    expect(entry.failover).toMatchObject({ from: 'equities', to: 'fx' });
    expect(entry.outcomes[0]!.decision?.kind).toBe('executed');
    // The AAPL exit stays with the account that holds it (and fails there, not elsewhere).
    const exit = await settle(d.executeSignal(signal({ symbol: 'AAPL', side: 'sell' })), clock);
    expect(exit.outcomes.map((o) => o.account)).toEqual(['equities']);
    expect(d.engine('fx').positions.get('AAPL')).toBeUndefined();
  });

  it('without failover, an entry for a down broker is refused with broker_down', async () => {
    const { desk: d, price, signal, alpha } = setupStarted(await started());
    alpha.failNext('*', { kind: 'network' }, 50);
    for (let i = 0; i < 3; i++) await d.engine('equities').refreshAccount().catch(() => undefined);
    price('AAPL', '100');
    expect((await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy' }))).outcomes[0]!.refused![0]!.code).toBe('broker_down');
  });

  it('never double-sends in a failover: an entry that may have reached the failing broker is not sent elsewhere', async () => {
    const both = { scope: {} };
    const { desk: d, price, signal, alpha, clock } = setupStarted(await started({ failover: true, scopes: [both, both] }));
    price('AAPL', '100');
    // The send times out and the look-ups fail: the order may be at alpha.
    alpha.failNext('submitOrder', { kind: 'timeout', reached: true }, 10);
    alpha.failNext('getOrder', { kind: 'network' }, 50);
    const s = signal({ symbol: 'AAPL', side: 'buy' });
    const first = await settle(d.executeSignal(s), clock);
    expect(first.outcomes[0]!.account).toBe('equities');
    alpha.failNext('*', { kind: 'network' }, 50);
    for (let i = 0; i < 3; i++) await d.engine('equities').refreshAccount().catch(() => undefined);
    const again = await d.executeSignal(s);
    expect(again.failover).toBeUndefined();
    expect(again.outcomes[0]!.account).toBe('equities');
    expect(d.engine('fx').orders.orderList()).toEqual([]);
  });
});

describe('TradingDesk: the book and reports by account and broker', () => {
  it('aggregates exposure and P&L by account, broker, strategy and symbol; reports by account and compares brokers', async () => {
    const { desk: d, price, signal, clock } = setupStarted(await started());
    price('AAPL', '100');
    price('MSFT', '50');
    await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy', strategyId: 'trend' }));
    await d.executeSignal(signal({ symbol: 'MSFT', side: 'buy', account: 'fx', strategyId: 'revert' }));
    price('AAPL', '101');
    const book = d.book();
    expect(book.positions).toBe(2);
    expect(book.exposure).toBe('1510'); // 10 × 101 + 10 × 50
    expect(book.byBroker.map((l) => [l.key, l.exposure])).toEqual([['alpha', '1010'], ['beta', '500']]);
    expect(book.byStrategy.map((l) => [l.key, l.unrealizedPnl])).toEqual([['revert', '0'], ['trend', '10']]);
    expect(book.bySymbol.map((l) => l.key)).toEqual(['AAPL', 'MSFT']);
    expect(book.byAccount.map((l) => [l.key, l.broker, l.positions])).toEqual([['equities', 'alpha', 1], ['fx', 'beta', 1]]);
    await d.executeSignal(signal({ symbol: 'AAPL', side: 'sell', strategyId: 'trend' }));
    await d.executeSignal(signal({ symbol: 'MSFT', side: 'sell', strategyId: 'revert' }));
    const period = customPeriod('2024-06-03', '2024-06-03');
    const all = await d.report(period);
    expect(all.totals.trades).toBe(2);
    expect(all.brokers.map((b) => b.broker)).toEqual(['alpha', 'beta']);
    const one = await d.report(period, { broker: 'beta' });
    expect(one.totals.orders).toBe(2);
    expect(clock.now()).toBeGreaterThan(0);
  });
});

describe('TradingDesk: configuration', () => {
  it('refuses bad accounts and limits with a ConfigurationError naming each', () => {
    const clock = new ManualClock();
    const adapter = new MockBroker({ clock });
    expect(() => new TradingDesk({ clock, accounts: [{ id: 'a', adapter }, { id: 'a', adapter }], limits: { maxExposure: '-1', maxPositions: 0 } })).toThrow(ConfigurationError);
    expect(() => new TradingDesk({ clock, accounts: [] })).toThrow(/at least one account/);
  });
  it('health carries the rate limiter\'s headroom where the account has one', async () => {
    const clock = new ManualClock();
    const d = new TradingDesk({ clock, logger: silentLogger, accounts: [{ id: 'limited', adapter: new MockBroker({ clock }), rateLimit: { requests: 200, perMs: 60_000 } }, { id: 'free', adapter: new MockBroker({ clock }), rateLimit: false }] });
    const [limited, free] = d.health();
    expect(limited!.rateLimit).toMatchObject({ queued: 0, running: 0, rateLimited: 0 });
    expect(free!.rateLimit).toBeUndefined();
    await d.stop();
  });
  it('a broker refusal is not ill health (BrokerError FATAL answers count as rejections)', async () => {
    const { desk: d, price, signal, alpha } = setupStarted(await started());
    price('AAPL', '100');
    alpha.failNext('submitOrder', { kind: 'error', error: new BrokerError('invalid_order', 'no', { status: 422 }) }, 3);
    for (let i = 0; i < 3; i++) await d.executeSignal(signal({ symbol: 'AAPL', side: 'buy' }));
    const h = d.health().find((x) => x.account === 'equities')!;
    expect(h.state).toBe('healthy');
    expect(h.rejectionRate).toBeGreaterThan(0);
    expect(h.calls).toBeGreaterThan(0);
    expect(h.latencyMs.p50).toBe(0); // the mock answers at once on a manual clock
  });
});

// ── helpers ───────────────────────────────────────────────────────────────────────────────────
type Setup = ReturnType<typeof desk>;
async function started(options: Partial<TradingDeskOptions> & { cash?: number[]; scopes?: { scope: object }[] } = {}): Promise<Setup> {
  const { scopes, ...rest } = options;
  const s = desk(rest);
  if (scopes) {
    // Rebuild with both accounts able to trade anything (failover needs a second home for the symbol).
    const clock = s.clock;
    const alpha = s.alpha;
    const beta = s.beta;
    const common = (id: string): Omit<DeskAccountSpec, 'id' | 'adapter'> => ({ ids: sequentialIds(id === "fx" ? 100_000 : 1), journal: new InMemoryJournal(), market: alwaysOpenMarket, rateLimit: false, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 10, allowScaleIn: false, minTradeSize: 1 } });
    const d = new TradingDesk({ clock, logger: silentLogger, ...rest, accounts: [{ id: 'equities', adapter: alpha, priority: 0, ...common('eq') }, { id: 'fx', adapter: beta, priority: 1, ...common('fx') }] });
    const price = (symbol: string, p: string): void => {
      alpha.setPrice(symbol, p);
      beta.setPrice(symbol, p);
      d.updatePrice(symbol, p);
    };
    await d.start();
    return { ...s, desk: d, price };
  }
  await s.desk.start();
  return s;
}
function setupStarted(s: Setup): Setup {
  return s;
}
