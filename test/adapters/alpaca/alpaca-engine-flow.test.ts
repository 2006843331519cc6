import Decimal from 'decimal.js';
import { ExecutionEngine, InMemoryJournal, ManualClock, sequentialIds, silentLogger } from 'tradewire';
import { protectedEngine } from '../adapter-test-kit.js';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from './fake-alpaca-server.js';

let server: FakeAlpacaServer | undefined;
let engine: ExecutionEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  await server?.close();
});

describe('the engine on Alpaca (local Alpaca-compatible server, real SDK)', () => {
  it('signal → order → fill → position → protection as one native OCO → the target fills and Alpaca cancels the stop', async () => {
    server = await FakeAlpacaServer.start();
    server.exchange.setPrice('AAPL', '100');
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30)); // Monday 10:30 New York
    const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger: silentLogger });
    engine = protectedEngine(adapter, clock, { quantity: 10 });
    const seen: string[] = [];
    for (const name of ['signal:executed', 'order:filled', 'position:opened', 'position:closed'] as const) engine.on(name, () => seen.push(name));
    await engine.start();
    expect(engine.market.isMarketOpen('AAPL', 'equity', clock.now())).toBe(true); // synced with Alpaca's GET /v2/clock
    engine.updatePrice('AAPL', '100');

    const decision = await engine.executeSignal({ id: 'sig-1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'demo' });
    expect(decision.kind).toBe('executed');
    await vi.waitFor(() => expect(engine!.positions.get('AAPL')?.quantity.toString()).toBe('10'), { timeout: 5_000, interval: 5 });
    await vi.waitFor(() => expect(engine!.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });

    const protection = engine.protection!.protectionOf('AAPL')!;
    expect([protection.stop?.type, protection.stop?.stopPrice?.toString(), protection.targets[0]?.limitPrice?.toString()]).toEqual(['stop', '98', '104']);
    // At Alpaca it is one OCO: the take-profit is the parent, the stop its leg.
    const oco = [...server.exchange.orders.values()].find((o) => o.order_class === 'oco' && o.type === 'limit');
    expect(oco?.client_order_id).toBe(protection.targets[0]?.clientOrderId);
    expect(oco?.legs?.[0]?.id).toBe(protection.stop?.brokerOrderId);
    expect(engine.protection!.stats()).toMatchObject({ positions: 1, protectedShare: 1 });

    server.exchange.setPrice('AAPL', '104.5');
    engine.updatePrice('AAPL', '104.5');
    await vi.waitFor(() => expect(engine!.positions.get('AAPL')).toBeUndefined(), { timeout: 5_000, interval: 5 });
    await vi.waitFor(() => expect(engine!.protection!.stats().rewardRisk.length).toBe(1), { timeout: 5_000, interval: 5 });
    expect(engine.protection!.stats().rewardRisk[0]?.r.toString()).toBe('2.25');
    await vi.waitFor(() => expect(server!.exchange.orders.get(protection.stop!.brokerOrderId!)?.status).toBe('canceled'), { timeout: 5_000, interval: 5 });
    // Heard in the order applied — each fill, then the position it changed (updated before any host hears of the fill).
    expect(seen).toEqual(['signal:executed', 'order:filled', 'position:opened', 'order:filled', 'position:closed']);
    expect(engine.pnl().realizedTotal.toString()).toBe('45');
    expect((await adapter.getPositions()).length).toBe(0);
  });
});

describe('exits on Alpaca, where open exits hold the shares', () => {
  /** An engine with protection on the local Alpaca server, having bought 10 AAPL; `waitForProtection` waits for its OCO too. */
  async function entered(waitForProtection = true) {
    server = await FakeAlpacaServer.start();
    server.exchange.setPrice('AAPL', '100');
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger: silentLogger });
    const e = protectedEngine(adapter, clock, { quantity: 10 });
    engine = e;
    await e.start();
    e.updatePrice('AAPL', '100');
    await e.executeSignal({ id: 'in', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(e.positions.get('AAPL')?.quantity.toString()).toBe('10'), { timeout: 5_000, interval: 5 });
    if (waitForProtection) await vi.waitFor(() => expect(e.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    return { clock, e, x: server.exchange };
  }

  it('a partial exit first shrinks the OCO to what will be left, so the rest stays covered', async () => {
    const { clock, e, x } = await entered();
    const decision = await e.executeSignal({ id: 'half', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo', exitFraction: '0.4' });
    expect(decision.kind).toBe('executed');
    await vi.waitFor(() => expect(e.positions.get('AAPL')?.quantity.toString()).toBe('6'), { timeout: 5_000, interval: 5 });
    const guard = e.protection!.protectionOf('AAPL')!;
    expect([guard.stop?.quantity.toString(), guard.targets[0]?.quantity.toString(), guard.stop?.status]).toEqual(['6', '6', 'accepted']);
    const live = [...x.orders.values()].filter((o) => o.side === 'sell' && ['new', 'accepted', 'held'].includes(o.status));
    expect(live.map((o) => `${o.type} ${o.qty}`).sort()).toEqual(['limit 6', 'stop 6']);
  });

  it('a full exit cancels the OCO, waits for Alpaca to confirm, then sells: nothing refused', async () => {
    const { clock, e, x } = await entered();
    const alerts: string[] = [];
    e.on('alert', (a) => alerts.push(a.code));
    const decision = await e.executeSignal({ id: 'out', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo' });
    expect(decision.kind).toBe('executed');
    await vi.waitFor(() => expect(e.positions.get('AAPL')).toBeUndefined(), { timeout: 5_000, interval: 5 });
    expect([...x.orders.values()].filter((o) => ['new', 'accepted', 'held'].includes(o.status))).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it('the OCO cancelled from outside the engine (Alpaca takes the pair): placed again as one OCO once the old pair has ended, nothing refused', async () => {
    const { e, x } = await entered();
    const alerts: { code: string; message: string }[] = [];
    e.on('alert', (a) => alerts.push(a));
    const before = e.protection!.protectionOf('AAPL')!;
    x.cancel(before.stop!.brokerOrderId!); // as from Alpaca's dashboard: the leg and its OCO parent end
    await vi.waitFor(() => expect(e.protection!.protectionOf('AAPL')?.stop?.clientOrderId).not.toBe(before.stop!.clientOrderId), { timeout: 5_000, interval: 5 });
    await vi.waitFor(() => expect(e.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    const after = e.protection!.protectionOf('AAPL')!;
    expect([after.stop?.stopPrice?.toString(), after.stop?.quantity.toString(), after.targets[0]?.limitPrice?.toString(), after.targets[0]?.status]).toEqual(['98', '10', '104', 'accepted']);
    const live = [...x.orders.values()].filter((o) => ['new', 'accepted', 'held'].includes(o.status));
    expect(live.map((o) => `${o.order_class} ${o.type} ${o.qty}`).sort()).toEqual(['oco limit 10', 'oco stop 10']);
    expect([...x.orders.values()].filter((o) => o.status === 'rejected')).toEqual([]);
    expect(alerts.map((a) => a.code)).toEqual(['position_unprotected']);
    expect(alerts[0]!.message).toContain('placing it again');
  });

  it('an exit whose OCO cancel Alpaca confirms too late is refused (exit_blocked); when the cancel lands the pair is placed again, nothing refused', async () => {
    const { clock, e, x } = await entered();
    const alerts: string[] = [];
    e.on('alert', (a) => alerts.push(a.code));
    const before = e.protection!.protectionOf('AAPL')!;
    x.cancelDelayMs = 400; // the DELETE is accepted at once; the venue confirms 400 ms later
    const exit = e.executeSignal({ id: 'late-out', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(e.orders.get(before.stop!.clientOrderId)?.status).toBe('pending_cancel'), { timeout: 5_000, interval: 5 });
    await clock.advanceAsync(10_000); // the engine's wait for the confirmation runs out first
    expect(await exit).toMatchObject({ kind: 'rejected', reasons: [{ code: 'exit_blocked' }] });
    x.cancelDelayMs = 0;
    await vi.waitFor(() => expect(e.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    const after = e.protection!.protectionOf('AAPL')!;
    expect(after.stop!.clientOrderId).not.toBe(before.stop!.clientOrderId);
    expect(e.positions.get('AAPL')?.quantity.toString()).toBe('10');
    const live = [...x.orders.values()].filter((o) => ['new', 'accepted', 'held'].includes(o.status));
    expect(live.map((o) => `${o.order_class} ${o.type} ${o.qty}`).sort()).toEqual(['oco limit 10', 'oco stop 10']);
    expect([...x.orders.values()].filter((o) => o.status === 'rejected')).toEqual([]);
    expect(alerts).toEqual(['exit_blocked']);
  });

  it("a partial exit whose resize of the stop Alpaca made but whose answer was lost: the engine's stop follows the new order Alpaca issued, not the replaced one (found by the wire search)", async () => {
    const { clock, e, x } = await entered();
    const before = e.protection!.protectionOf('AAPL')!.stop!;
    // The PATCH of the stop reaches Alpaca (a new order replaces it) and its answer is lost.
    server!.failNext({ method: 'PATCH', path: new RegExp(`^/v2/orders/${before.brokerOrderId!}$`), status: 500, body: { code: 50010000, message: 'internal server error' }, afterProcessing: true });
    await e.executeSignal({ id: 'part', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo', exitFraction: '0.4' });
    await vi.waitFor(() => expect(e.positions.get('AAPL')?.quantity.toString()).toBe('6'), { timeout: 5_000, interval: 5 });
    const live = () => [...x.orders.values()].find((o) => o.type === 'stop' && o.status === 'accepted');
    await vi.waitFor(() => expect(e.orders.get(before.clientOrderId)?.brokerOrderId).toBe(live()?.id), { timeout: 5_000, interval: 5 });
    expect(x.orders.get(before.brokerOrderId!)?.status).toBe('replaced');
    const stop = e.orders.get(before.clientOrderId)!;
    expect([stop.status, stop.quantity.toString(), live()?.qty]).toEqual(['accepted', '6', '6']);
    // Managed from then on: the exit of the rest cancels the live stop, and nothing is left working.
    await e.executeSignal({ id: 'rest', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(e.positions.get('AAPL')).toBeUndefined(), { timeout: 5_000, interval: 5 });
    expect([...x.orders.values()].filter((o) => ['new', 'accepted', 'held'].includes(o.status))).toEqual([]);
  });

  it("the stop moved in Alpaca's app (a replace: a new order id, Alpaca's own client id): the engine follows it to the new order and its price", async () => {
    const { e, x } = await entered();
    const before = e.protection!.protectionOf('AAPL')!.stop!;
    const fresh = x.replace(before.brokerOrderId!, { stop_price: '97.5' });
    await vi.waitFor(() => expect(e.orders.get(before.clientOrderId)?.brokerOrderId).toBe(fresh.id), { timeout: 5_000, interval: 5 });
    expect([e.orders.get(before.clientOrderId)?.status, e.orders.get(before.clientOrderId)?.stopPrice?.toString()]).toEqual(['accepted', '97.5']);
  });

  it('force-close right after the entry: no protective order can take the shares from the close', async () => {
    // Protection is placed as the fill lands: the close must not race it for the shares.
    const { e } = await entered(false);
    const close = await e.forceClose('AAPL', 'test');
    expect(close?.status).not.toBe('rejected');
    await vi.waitFor(() => expect(e.positions.get('AAPL')).toBeUndefined(), { timeout: 5_000, interval: 5 });
  });

  it('the kill switch with flatten on two protected positions: every OCO cancelled and confirmed, both closed together, nothing refused', async () => {
    const { clock, e, x } = await entered();
    x.setPrice('MSFT', '200');
    e.updatePrice('MSFT', '200');
    await e.executeSignal({ id: 'in-2', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(e.protection!.protectionOf('MSFT')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    const alerts: string[] = [];
    e.on('alert', (a) => alerts.push(a.code));
    await e.halt({ reason: 'drill', flatten: true });
    await vi.waitFor(() => expect(e.positions.openPositions()).toEqual([]), { timeout: 5_000, interval: 5 });
    expect([...x.orders.values()].filter((o) => ['new', 'accepted', 'held'].includes(o.status))).toEqual([]);
    expect(alerts.filter((code) => code !== 'trading_halted' && code !== 'position_force_closed')).toEqual([]);
  });
});

describe('a restart on Alpaca', () => {
  it('with an exit working (the OCO cancelled to make room, a thin market filling the exit in parts): the new process watches the exit — no stop refused for the shares it holds — and the stop comes back when the exit is cancelled', async () => {
    server = await FakeAlpacaServer.start();
    const x = server.exchange;
    x.setPrice('AAPL', '100');
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
    const journal = new InMemoryJournal();
    const boot = (generation: number): ExecutionEngine =>
      new ExecutionEngine({
        adapter: new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server!.baseUrl, streamUrl: server!.streamUrl, logger: silentLogger }),
        clock,
        ids: sequentialIds(1 + 1_000 * generation),
        logger: silentLogger,
        journal,
        protection: true,
        rateLimit: false,
        config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 },
      });
    const first = boot(0);
    engine = first;
    await first.start();
    first.updatePrice('AAPL', '100');
    await first.executeSignal({ id: 'in', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(first.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    x.liquidity.set('AAPL', new Decimal(3));
    await first.executeSignal({ id: 'out', symbol: 'AAPL', side: 'sell', strength: 90, time: clock.now(), strategyId: 'demo' });
    await vi.waitFor(() => expect(first.positions.get('AAPL')?.quantity.toString()).toBe('7'), { timeout: 5_000, interval: 5 });
    await first.stop();

    const second = boot(1);
    engine = second;
    const alerts: string[] = [];
    second.on('alert', (a) => alerts.push(`${a.code}: ${a.message}`));
    await second.start();
    await second.recover();
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('7');
    expect([...x.orders.values()].filter((o) => o.status === 'rejected')).toEqual([]);
    const working = () => [...x.orders.values()].filter((o) => ['new', 'accepted', 'held', 'partially_filled'].includes(o.status)).map((o) => `${o.type} ${o.side} ${o.qty} (filled ${o.filled_qty})`);
    expect(working()).toEqual(['market sell 10 (filled 3)']);

    // Alpaca cancels what is left of the exit (from its dashboard): the 7 shares get their stop back.
    const exit = [...x.orders.values()].find((o) => o.type === 'market' && o.side === 'sell')!;
    x.cancel(exit.id);
    await vi.waitFor(() => expect(second.protection!.protectionOf('AAPL')?.stop?.status).toBe('accepted'), { timeout: 5_000, interval: 5 });
    expect(working().sort()).toEqual(['limit sell 7 (filled 0)', 'stop sell 7 (filled 0)']);
    expect([...x.orders.values()].filter((o) => o.status === 'rejected')).toEqual([]);
    expect(alerts).toEqual(['position_unprotected: AAPL: the close left the position open (cancelled); it is protected now']);
  });
});
