import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Decimal, ExecutionEngine, ManualClock, type OrderSide, sequentialIds, silentLogger } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { describe, expect, it } from 'vitest';
import { noteRun, searchSeed } from '../../resilience/agreement.js';
import type { HeldRequest } from '../request-holds.js';
import type { WireOrder } from './fake-alpaca-exchange.js';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from './fake-alpaca-server.js';

/**
 * State that never drifts, on the wire: the engine with protection on the Alpaca adapter and the
 * real SDK, against the local Alpaca-compatible server (its JSON, its trade-update stream, its
 * `held` shares and OCO exits, replace by a new order id), under lost answers that did or did not
 * reach Alpaca, requests that time out and land later, server errors, stream outages and a thin
 * market. Once the network heals and the engine has reconciled, the engine and Alpaca agree: the
 * same positions, every order working here exactly when it works there, fill for fill, and one
 * working stop of its size under each position. What the mock-broker searches cannot see — the
 * adapter's mapping of Alpaca's JSON and events, its id aliases across replaces — is in this one.
 */
const SYMBOLS = ['AAPL', 'MSFT'] as const;
const OPEN = new Set(['new', 'accepted', 'pending_new', 'partially_filled', 'pending_cancel', 'pending_replace']);
const WORKING = new Set(['accepted', 'partially_filled', 'pending_cancel', 'pending_replace']);
const PATHS = { submit: ['POST', /^\/v2\/orders$/], replace: ['PATCH', /^\/v2\/orders\/[^/]+$/], cancel: ['DELETE', /^\/v2\/orders\/[^/]+$/], lookUp: ['GET', /^\/v2\/orders(:by_client_order_id|\/[^/]+)$/], positions: ['GET', /^\/v2\/positions$/] } as const;
type Call = keyof typeof PATHS;

const action = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('signal' as const), symbol: fc.constantFrom(...SYMBOLS), side: fc.constantFrom<OrderSide>('buy', 'sell'), fraction: fc.constantFrom('0.3', '0.5') }, { requiredKeys: ['kind', 'symbol', 'side'] }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('move' as const), symbol: fc.constantFrom(...SYMBOLS), by: fc.integer({ min: -4, max: 4 }) }) },
  // An answer lost: Alpaca refused it (before) or did it and the answer was lost (after), as a 500 or a 503.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fail' as const), call: fc.constantFrom<Call>('submit', 'replace', 'cancel', 'lookUp', 'positions'), after: fc.boolean(), status: fc.constantFrom(500, 503) }) },
  // A request held on the network: the client times out, it reaches Alpaca when released (a later action or the heal).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), call: fc.constantFrom<Call>('submit', 'replace', 'cancel', 'lookUp') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stream' as const), up: fc.boolean() }) },
  // A thin market: at most this many shares per price update (0: as many as asked).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('thin' as const), symbol: fc.constantFrom(...SYMBOLS), quantity: fc.integer({ min: 0, max: 4 }) }) },
  // A trade in the broker's app (a client order id the engine never made).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('app' as const), symbol: fc.constantFrom(...SYMBOLS), side: fc.constantFrom<OrderSide>('buy', 'sell'), quantity: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forceClose' as const), symbol: fc.constantFrom(...SYMBOLS) }) },
  // The kill switch (with or without the flatten), then trading resumed.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('halt' as const), flatten: fc.boolean() }) },
  // Both symbols' signals decided together.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), sides: fc.tuple(fc.constantFrom<OrderSide>('buy', 'sell'), fc.constantFrom<OrderSide>('buy', 'sell')) }) },
  // Alpaca's app: one of the engine's open orders cancelled there, or a stop moved there (a replace: a new order id).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appCancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appMoveStop' as const), pick: fc.nat(), by: fc.constantFrom(-1, 1) }) },
  // The venue confirms accepted cancels late (real ms; 0: at once).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lateCancels' as const), ms: fc.constantFrom(0, 150) }) },
  // Every answer comes late (real ms) while the stream tells of the change at once.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('slow' as const), ms: fc.constantFrom(0, 60) }) },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Real I/O settles while the engine's clock moves on: until no request and no order change for a few rounds. */
async function quiet(server: FakeAlpacaServer, clock: ManualClock, stepMs = 250): Promise<void> {
  let still = 0;
  let last = '';
  for (let i = 0; i < 400 && still < 4; i++) {
    clock.advance(stepMs);
    await sleep(6);
    const mark = `${server.requests.length}|${[...server.exchange.orders.values()].map((o) => `${o.status}${o.filled_qty}`).join(',')}`;
    still = mark === last ? still + 1 : 0;
    last = mark;
  }
}

async function scenario(actions: readonly Action[]): Promise<void> {
  noteRun(actions, 'alpaca');
  const server = await FakeAlpacaServer.start();
  const x = server.exchange;
  const prices: Record<string, number> = { AAPL: 100, MSFT: 50 };
  for (const symbol of SYMBOLS) x.setPrice(symbol, prices[symbol]!.toFixed(2));
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30));
  const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: server.baseUrl, streamUrl: server.streamUrl, logger: silentLogger, timeoutMs: 250, reconnect: { initialMs: 10, maxMs: 40 } });
  const engine = new ExecutionEngine({
    adapter,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    protection: true,
    rateLimit: false,
    config: { sizing: { method: 'fixed_quantity', quantity: 6 }, maxPositionSizePct: 100, maxAccountExposurePct: 100, recovery: { reconcileIntervalMs: 0 }, orderManagement: { orderTimeoutMs: null }, accountRefreshMs: 86_400_000 },
  });
  const held: HeldRequest[] = [];
  const trace: string[] = [];
  const alerted = new Set<string>();
  engine.on('alert', (alert) => {
    const symbol = (alert as { symbol?: string }).symbol;
    if (symbol) alerted.add(symbol);
  });
  if (process.env.DEBUG_SCENARIO) {
    engine.on('order:transition', (t) => console.log(`transition ${t.order.clientOrderId} ${t.previousStatus}→${t.to} ${t.event.type} broker ${t.order.brokerOrderId ?? '-'} qty ${t.order.quantity.toString()}`));
    engine.on('order:unknown_update', (u) => console.log(`unknown update ${JSON.stringify(u)}`));
  }
  let signals = 0;
  let apps = 0;
  try {
    await engine.start();
    for (const symbol of SYMBOLS) engine.updatePrice(symbol, prices[symbol]!.toFixed(2));
    for (const a of actions) {
      trace.push(JSON.stringify(a));
      switch (a.kind) {
        case 'signal': {
          const work = engine.executeSignal({ id: `s-${++signals}`, symbol: a.symbol, side: a.side, strength: 90, time: clock.now(), strategyId: 'wire', ...(a.fraction ? { exitFraction: a.fraction } : {}) });
          void work.catch(() => undefined);
          break;
        }
        case 'move':
          prices[a.symbol] = Math.max(1, prices[a.symbol]! + a.by);
          x.setPrice(a.symbol, prices[a.symbol]!.toFixed(2));
          engine.updatePrice(a.symbol, prices[a.symbol]!.toFixed(2));
          break;
        case 'fail': {
          const [method, path] = PATHS[a.call];
          server.failNext({ method, path, status: a.status, body: { code: 50010000, message: 'internal server error' }, afterProcessing: a.after });
          break;
        }
        case 'hold': {
          const [method, path] = PATHS[a.call];
          held.push(server.holds.hold(method, path));
          break;
        }
        case 'release':
          for (const h of held.splice(0)) h.release();
          break;
        case 'stream':
          if (a.up) server.restoreStream();
          else server.dropStream();
          break;
        case 'thin':
          if (a.quantity === 0) x.liquidity.delete(a.symbol);
          else x.liquidity.set(a.symbol, new Decimal(a.quantity));
          break;
        case 'app':
          try {
            x.submit({ symbol: a.symbol, qty: String(a.quantity), side: a.side, type: 'market', time_in_force: 'day', client_order_id: `app-${++apps}` });
          } catch {
            // Refused by Alpaca (shares held by open exits): the user's tap did nothing.
          }
          break;
        case 'wait':
          for (let t = 0; t < a.seconds * 1_000; t += 500) {
            clock.advance(500);
            await sleep(1);
          }
          break;
        case 'forceClose':
          void engine.forceClose(a.symbol).catch(() => undefined);
          break;
        case 'halt': {
          const halted = engine.halt({ reason: 'drill', flatten: a.flatten }).catch(() => undefined);
          await quiet(server, clock);
          await halted;
          engine.resume();
          break;
        }
        case 'batch': {
          const batch = SYMBOLS.map((symbol, i) => ({ id: `s-${++signals}`, symbol, side: a.sides[i]!, strength: 90, time: clock.now(), strategyId: 'wire' }));
          void engine.executeSignals(batch).catch(() => undefined);
          break;
        }
        case 'appCancel': {
          const open = [...x.orders.values()].filter((o) => OPEN.has(o.status) && !o.client_order_id.startsWith('app-'));
          const chosen = open[a.pick % Math.max(1, open.length)];
          if (chosen) {
            try {
              x.cancel(chosen.id);
            } catch {
              // Not cancelable there any more.
            }
          }
          break;
        }
        case 'appMoveStop': {
          const stops = [...x.orders.values()].filter((o) => o.type === 'stop' && (o.status === 'new' || o.status === 'accepted'));
          const chosen = stops[a.pick % Math.max(1, stops.length)];
          if (chosen?.stop_price) x.replace(chosen.id, { stop_price: new Decimal(chosen.stop_price).plus(a.by).toFixed(2) });
          break;
        }
        case 'lateCancels':
          x.cancelDelayMs = a.ms;
          break;
        case 'slow':
          server.requestDelay = a.ms === 0 ? undefined : () => a.ms;
          break;
      }
      await quiet(server, clock);
    }
    // The network heals: no more failures, every held request through, the stream back, the market deep.
    server.clearFailures();
    server.requestDelay = undefined;
    x.cancelDelayMs = 0;
    for (const h of held.splice(0)) h.release();
    server.restoreStream();
    for (const symbol of SYMBOLS) {
      x.liquidity.delete(symbol);
      x.setPrice(symbol, prices[symbol]!.toFixed(2));
    }
    await quiet(server, clock, 1_000);
    const reconciled = engine.reconcile().catch(() => undefined);
    await quiet(server, clock, 1_000);
    await reconciled;
    await quiet(server, clock, 1_000);
    if (process.env.DEBUG_SCENARIO) console.log(trace.join('\n'), '\n', [...x.orders.values()].map((o) => `${o.client_order_id} ${o.symbol} ${o.side} ${o.type} ${o.qty} ${o.status} ${o.filled_qty}`).join('\n'), x.positionList(), engine.orders.orderList().map((o) => `${o.clientOrderId} ${o.status} ${o.filledQuantity}`));
    expectWireAgreement(engine, [...x.orders.values()], x.positionList(), alerted, trace.join('\n'));
  } finally {
    for (const h of held.splice(0)) h.release();
    await engine.stop().catch(() => undefined);
    await server.close();
  }
}

/**
 * The engine as Alpaca has it: positions, working orders (through replace chains; the live order of
 * a chain counts its fills, a replace keeping them), fills, and a stop of its size under each position.
 */
function expectWireAgreement(engine: ExecutionEngine, wire: readonly WireOrder[], positions: readonly Record<string, unknown>[], alerted: ReadonlySet<string>, trace: string): void {
  const byId = new Map(wire.map((o) => [o.id, o]));
  for (const symbol of SYMBOLS) {
    const mine = engine.positions.get(symbol);
    const local = mine ? (mine.side === 'long' ? mine.quantity : mine.quantity.negated()) : new Decimal(0);
    const there = positions.find((p) => p.symbol === symbol)?.qty ?? '0';
    expect(local.toString(), `${symbol} position\n${trace}`).toBe(String(there));
  }
  /** An order and every order it replaced, newest first. */
  const chain = (id: string): WireOrder[] => {
    const out: WireOrder[] = [];
    for (let o = byId.get(id); o; o = o.replaces ? byId.get(o.replaces) : undefined) out.push(o);
    return out;
  };
  const mapped = new Set<string>();
  for (const order of engine.orders.orderList()) {
    if (!order.brokerOrderId) {
      expect(WORKING.has(order.status), `${order.clientOrderId} ${order.status} with no Alpaca id\n${trace}`).toBe(false);
      continue;
    }
    const links = chain(order.brokerOrderId);
    expect(links.length, `${order.clientOrderId} → ${order.brokerOrderId} unknown to Alpaca\n${trace}`).toBeGreaterThan(0);
    for (const link of links) mapped.add(link.id);
    const current = links[0]!;
    expect(current.replaced_by, `${order.clientOrderId} follows ${current.id}, replaced by ${current.replaced_by}\n${trace}`).toBeNull();
    expect(`${WORKING.has(order.status)} ${order.filledQuantity.toString()}`, `${order.clientOrderId} ${order.status} here, ${current.status} at Alpaca\n${trace}`).toBe(
      `${OPEN.has(current.status)} ${new Decimal(current.filled_qty).toString()}`,
    );
    if (OPEN.has(current.status)) {
      expect([order.quantity.minus(order.filledQuantity).toString(), order.stopPrice?.toString() ?? null], `${order.clientOrderId} as it works\n${trace}`).toEqual([new Decimal(current.qty!).minus(current.filled_qty).toString(), current.stop_price === null ? null : new Decimal(current.stop_price).toString()]);
    }
  }
  for (const o of wire) {
    if (o.client_order_id.startsWith('app-') || !OPEN.has(o.status)) continue;
    expect(mapped.has(o.id), `${o.id} ${o.type} ${o.side} ${o.qty} ${o.status} at Alpaca, unknown here\n${trace}`).toBe(true);
  }
  for (const symbol of SYMBOLS) {
    const mine = engine.positions.get(symbol);
    const stops = wire.filter((o) => o.symbol === symbol && o.type === 'stop' && OPEN.has(o.status));
    if (!mine) {
      expect(stops.map((o) => o.id), `${symbol} flat\n${trace}`).toEqual([]);
      continue;
    }
    if (alerted.has(symbol) && stops.length === 0) continue; // protection gave up on it, and said so
    expect(stops.map((o) => new Decimal(o.qty!).minus(o.filled_qty).toString()), `${symbol} stop for ${mine.quantity.toString()}\n${trace}`).toEqual([mine.quantity.toString()]);
  }
}

describe('the engine on Alpaca, under a bad network (local server, real SDK)', () => {
  it('after any mix of lost answers, late requests, server errors and stream outages, a reconciled engine agrees with Alpaca — and each position has one stop of its size', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: Number(process.env.PROPERTY_ACTIONS ?? 12) }), (actions) => scenario(actions)), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 12),
      timeout: 60_000,
      ...searchSeed(),
    });
  }, 600_000);

  // PROPERTY_REPLAY=<file> replays a counterexample saved as JSON ([actions]).
  it.runIf(process.env.PROPERTY_REPLAY)('replays the counterexample in PROPERTY_REPLAY', async () => {
    const [actions] = JSON.parse(readFileSync(process.env.PROPERTY_REPLAY!, 'utf8')) as [Action[]];
    await scenario(actions);
  }, 120_000);
});
