import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { type BrokerAdapter, Decimal, ExecutionEngine, type ExecutionEngineOptions, InMemoryJournal, ManualClock, type OrderSide, sequentialIds, silentLogger } from 'tradewire';
import { expect, it } from 'vitest';
import { journalView, noteRun, reactAction, reactInListener, type ReactAction, searchSeed, wantedCancelsWorking } from '../resilience/agreement.js';
import type { HeldRequest } from './request-holds.js';

/**
 * State that never drifts, on the wire: the engine with protection on a real adapter, against a
 * local server that speaks the broker's JSON and stream, under answers lost before or after the
 * broker acted, requests held on the network until the client gives up (released later: they land
 * then), stream outages, a thin market, and the broker's own platform trading, cancelling and
 * moving stops. Once the network heals and the engine has reconciled, the venue's check runs: the
 * engine and the broker agree. What the mock-broker searches cannot see — an adapter's mapping of
 * the broker's JSON and events, its ids across replaces — is in these. docs/testing.md.
 */

/** The requests a fault can hit. */
export type WireCall = 'submit' | 'replace' | 'cancel' | 'lookUp' | 'positions';

/** A broker on the wire, as the search drives it: its adapter, its market, its faults, its check. */
export interface WireVenue {
  /** A new adapter on the venue, as a new process makes one. */
  connect(): BrokerAdapter;
  readonly symbols: readonly [string, string];
  /** Two target weights of equity per symbol for a rebalance (with 0: none), each about one and two entries' worth. */
  readonly weights: Readonly<Record<string, readonly [string, string]>>;
  /** Start prices, and the step one `move` moves each by. */
  readonly prices: Readonly<Record<string, Decimal>>;
  readonly steps: Readonly<Record<string, Decimal>>;
  /** The engine's config for this venue (sizing, limits), beside what the search sets. */
  readonly config: NonNullable<ExecutionEngineOptions['config']>;
  setPrice(symbol: string, price: Decimal): void;
  /** The next such request fails with `status` (a 429: rate limited): before the broker acted, or after (the answer lost). */
  fail(call: WireCall, after: boolean, status: number): void;
  hold(call: WireCall): HeldRequest;
  /** The account's money: `low` leaves about half an entry's worth (withdrawn on the broker's platform); not low (or a heal) puts it back. */
  funds(low: boolean): void;
  stream(up: boolean): void;
  /** At most `lots` (the venue's unit of liquidity) per price update; undefined: as many as asked. */
  thin(symbol: string, lots: number | undefined): void;
  /** The broker's own platform: a trade the engine did not place, one of the engine's orders cancelled, a stop moved (`by` steps). */
  appTrade(symbol: string, side: OrderSide, lots: number): void;
  appCancel(pick: number): void;
  appMoveStop(pick: number, by: number): void;
  /** Cancels confirmed `ms` (real) later; answers `ms` (real) late — where the venue can. */
  lateCancels(ms: number): void;
  slow(ms: number): void;
  /** The network heals: no failures, no delays. */
  heal(): void;
  /** Changes when anything moved (requests, orders): the search waits until it stops changing. */
  activity(): string;
  expectAgreement(engine: ExecutionEngine, trace: string, options: { readonly stops: boolean }): void;
  /** The venue refuses the next `count` cancels once it took them (Alpaca's `order_cancel_rejected`), telling `refused` of each; absent where the broker has no such refusal. */
  refuseCancels?(count: number, refused: (clientOrderId: string) => void): void;
  /** The venue refuses the next `count` replaces as its exchange would (the request answered, nothing changed): the orders work on as they were. */
  refuseReplaces(count: number): void;
  /** Whether the venue works an order under our client order id (or the order a replace of it left). */
  working(clientOrderId: string): boolean;
  dump(): string;
  close(): Promise<void>;
}

/** The `n`th of `list`, round and round (a random pick from a list whose length is not known when drawn). */
export const pickOf = <T>(list: readonly T[], n: number): T | undefined => list[n % Math.max(1, list.length)];

/**
 * A venue's {@link WireVenue.funds}: money withdrawn on the platform down to `keep` of what
 * `available()` says (buying power, margin available), and put back; `transfer` moves it (negative out).
 */
export function withdrawals(available: () => Decimal, keep: Decimal.Value, transfer: (amount: Decimal) => void): (low: boolean) => void {
  let withdrawn = new Decimal(0);
  return (low) => {
    if (low === !withdrawn.isZero()) return;
    const amount = low ? Decimal.max(0, available().minus(keep)) : withdrawn;
    transfer(low ? amount.negated() : amount);
    withdrawn = low ? amount : new Decimal(0);
  };
}

/** What a person does on the broker's platform: refused there (shares held, the order already gone), it did nothing. */
export function onPlatform(action: () => void): void {
  try {
    action();
  } catch {
    // Refused by the broker: nothing happened.
  }
}

const symbolIndex = fc.constantFrom(0, 1);
const side = fc.constantFrom<OrderSide>('buy', 'sell');

/** What can happen, on either venue. */
export const wireAction = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('signal' as const), symbol: symbolIndex, side, fraction: fc.constantFrom('0.3', '0.5') }, { requiredKeys: ['kind', 'symbol', 'side'] }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('move' as const), symbol: symbolIndex, by: fc.integer({ min: -4, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fail' as const), call: fc.constantFrom<WireCall>('submit', 'replace', 'cancel', 'lookUp', 'positions'), after: fc.boolean(), status: fc.constantFrom(500, 503, 429) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), call: fc.constantFrom<WireCall>('submit', 'replace', 'cancel', 'lookUp') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stream' as const), up: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('thin' as const), symbol: symbolIndex, lots: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('app' as const), symbol: symbolIndex, side, lots: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forceClose' as const), symbol: symbolIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('halt' as const), flatten: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), sides: fc.tuple(side, side) }) },
  // The book rebalanced to target weights of equity: none, about one or about two entries' worth of each.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rebalance' as const), levels: fc.tuple(fc.constantFrom(0, 1, 2), fc.constantFrom(0, 1, 2)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appCancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appMoveStop' as const), pick: fc.nat(), by: fc.constantFrom(-1, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lateCancels' as const), ms: fc.constantFrom(0, 150) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('slow' as const), ms: fc.constantFrom(0, 60) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('funds' as const), low: fc.boolean() }) },
  // The broker refuses the next cancels it took (Alpaca's order_cancel_rejected): the orders work on.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refuseCancels' as const), times: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(12)) }) },
  // The broker refuses the next replaces (a stop moved, a size changed): the orders work on unchanged.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refuseReplaces' as const), times: fc.integer({ min: 1, max: 3 }) }) },
  // The process killed (its adapter's calls hang, its updates and journal writes go nowhere, its
  // sockets close; requests it sent may still land), and a new one that recovers from the journal.
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  // A journal checkpoint (a new segment opening with the state as it is): a later restart reads from it.
  { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  // A host acting inside its own listeners (agreement.ts): a signal, a cancel, a modify, a kill switch.
  reactAction,
);
export type WireAction = typeof wireAction extends fc.Arbitrary<infer A> ? A : never;

/**
 * How the engine enters: at market, or with limit orders 10 bps through the market that rest when it
 * moves away or is thin, and are cancelled after 20 s on the clock (cancels of part-filled orders).
 */
export const WIRE_STYLES = ['market entries', 'limit entries'] as const;
export type WireStyle = (typeof WIRE_STYLES)[number];
const STYLE_CONFIG: Record<WireStyle, { orderTimeoutMs: number | null; entryOrderType: 'market' | 'limit' }> = {
  'market entries': { orderTimeoutMs: null, entryOrderType: 'market' },
  'limit entries': { orderTimeoutMs: 20_000, entryOrderType: 'limit' },
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hang = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** An adapter as one process holds it: after `kill()` its calls hang and its listeners hear nothing. */
function killable(inner: BrokerAdapter): { adapter: BrokerAdapter; kill: () => void } {
  let dead = false;
  const adapter = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && /^on[A-Z]/.test(property)) {
        return (listener: (x: unknown) => void) => (value as (l: (x: unknown) => void) => unknown).call(target, (x: unknown) => dead || listener(x));
      }
      return (...args: unknown[]) => {
        if (dead) return hang();
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (v: unknown) => (dead ? hang() : v),
          (e: unknown) => (dead ? hang() : Promise.reject(e)),
        );
      };
    },
  });
  return { adapter, kill: () => (dead = true) };
}

/** Real I/O settles while the engine's clock moves on: until nothing moved for a few rounds. */
async function quiet(venue: WireVenue, clock: ManualClock, stepMs = 250): Promise<void> {
  let still = 0;
  let last = '';
  for (let i = 0; i < 200 && still < 4; i++) {
    clock.advance(stepMs);
    await sleep(6);
    const mark = venue.activity();
    still = mark === last ? still + 1 : 0;
    last = mark;
  }
}

/** One scenario: the actions on a fresh venue and engine, the network healed, a reconciliation, the venue's check. */
export async function wireScenario(name: string, actions: readonly WireAction[], style: WireStyle, openVenue: () => Promise<WireVenue>): Promise<void> {
  noteRun(actions, style);
  const venue = await openVenue();
  const [first, second] = venue.symbols;
  const symbolOf = (i: number): string => (i === 0 ? first : second);
  const prices = new Map(Object.entries(venue.prices));
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 30)); // Monday 10:30 in New York
  const records = { segment: new InMemoryJournal() };
  let signals = 0;
  const processes: { engine: ExecutionEngine; inner: BrokerAdapter; kill: () => void }[] = [];
  // The reacting host: its listeners go on every process it starts, until their reactions are used up.
  const host = { cancelled: new Set<string>(), reactions: [] as Promise<unknown>[], signalId: () => `s-${++signals}` };
  const cancelsGivenUp = new Set<string>();
  const reacting: { a: ReactAction; left: { n: number } }[] = [];
  const unlisten: (() => void)[] = [];
  /** A process: an engine on a new adapter and the shared journal (a restart recovers from it). */
  const boot = async (): Promise<ExecutionEngine> => {
    const inner = venue.connect();
    const view = killable(inner);
    const written = journalView(records);
    const engine = new ExecutionEngine({
      adapter: view.adapter,
      clock,
      ids: sequentialIds(1 + 10_000 * processes.length),
      logger: silentLogger,
      journal: written.journal,
      protection: true,
      // The broker's published limiter spaces calls in real time; its behaviour has its own tests.
      rateLimit: false,
      config: { recovery: { reconcileIntervalMs: 0 }, orderManagement: STYLE_CONFIG[style], accountRefreshMs: 86_400_000, ...venue.config },
    });
    engine.on('error', () => undefined);
    engine.on('alert', (alert) => alert.code === 'cancel_failed' && alert.clientOrderId !== undefined && cancelsGivenUp.add(alert.clientOrderId));
    for (const r of reacting) unlisten.push(reactInListener(engine, r.a, r.left, host, () => clock.now()));
    if (process.env.DEBUG_SCENARIO) {
      engine.on('order:transition', (t) => console.log(`transition ${t.order.clientOrderId} ${t.previousStatus}→${t.to} ${t.event.type} broker ${t.order.brokerOrderId ?? '-'} qty ${t.order.quantity.toString()}`));
      engine.on('order:unknown_update', (u) => console.log(`unknown update ${u.clientOrderId} ${u.brokerOrderId ?? ''}`));
      engine.on('alert', (a) => console.log(`alert ${a.code}: ${a.message}`));
    }
    processes.push({
      engine,
      inner,
      kill: () => {
        view.kill();
        written.kill();
      },
    });
    // A start that fails (its answers timed out on a loaded machine) is asked again, as a host would.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = engine.start().then(
        () => true,
        () => false,
      );
      await quiet(venue, clock);
      if (await Promise.race([started, sleep(5_000).then(() => true)])) break;
    }
    for (const [symbol, price] of prices) engine.updatePrice(symbol, price);
    return engine;
  };
  const held: HeldRequest[] = [];
  const trace: string[] = [];
  let engine!: ExecutionEngine;
  const move = (symbol: string, price: Decimal): void => {
    prices.set(symbol, price);
    venue.setPrice(symbol, price);
    engine.updatePrice(symbol, price);
  };
  try {
    engine = await boot();
    for (const a of actions) {
      trace.push(JSON.stringify(a));
      switch (a.kind) {
        case 'signal':
          void engine.executeSignal({ id: `s-${++signals}`, symbol: symbolOf(a.symbol), side: a.side, strength: 90, time: clock.now(), strategyId: 'wire', ...(a.fraction ? { exitFraction: a.fraction } : {}) }).catch(() => undefined);
          break;
        case 'move': {
          const symbol = symbolOf(a.symbol);
          const step = venue.steps[symbol]!;
          move(symbol, Decimal.max(step, prices.get(symbol)!.plus(step.times(a.by))));
          break;
        }
        case 'fail':
          // A 429 is an answer sent instead of acting: never after.
          venue.fail(a.call, a.status !== 429 && a.after, a.status);
          break;
        case 'hold':
          held.push(venue.hold(a.call));
          break;
        case 'release':
          for (const h of held.splice(0)) h.release();
          break;
        case 'stream':
          venue.stream(a.up);
          break;
        case 'thin':
          venue.thin(symbolOf(a.symbol), a.lots === 0 ? undefined : a.lots);
          break;
        case 'app':
          venue.appTrade(symbolOf(a.symbol), a.side, a.lots);
          break;
        case 'wait':
          for (let t = 0; t < a.seconds * 1_000; t += 500) {
            clock.advance(500);
            await sleep(1);
          }
          break;
        case 'forceClose':
          void engine.forceClose(symbolOf(a.symbol)).catch(() => undefined);
          break;
        case 'halt': {
          const halted = engine.halt({ reason: 'drill', flatten: a.flatten }).catch(() => undefined);
          await quiet(venue, clock);
          await Promise.race([halted, sleep(3_000)]); // a halt's cancels may wait on a request held on the network
          engine.resume();
          break;
        }
        case 'batch':
          void engine.executeSignals([first, second].map((symbol, i) => ({ id: `s-${++signals}`, symbol, side: a.sides[i]!, strength: 90, time: clock.now(), strategyId: 'wire' }))).catch(() => undefined);
          break;
        case 'rebalance': {
          const weightOf = (symbol: string, level: number): string => (level === 0 ? '0' : venue.weights[symbol]![level - 1]!);
          void engine.rebalance({ [first]: weightOf(first, a.levels[0]), [second]: weightOf(second, a.levels[1]) }).catch(() => undefined);
          break;
        }
        case 'appCancel':
          venue.appCancel(a.pick);
          break;
        case 'appMoveStop':
          venue.appMoveStop(a.pick, a.by);
          break;
        case 'lateCancels':
          venue.lateCancels(a.ms);
          break;
        case 'slow':
          venue.slow(a.ms);
          break;
        case 'funds':
          venue.funds(a.low);
          break;
        case 'checkpoint':
          engine.checkpoint();
          break;
        case 'refuseCancels':
          // The broker's word: what the host cancelled may work on (the engine tells it: order:cancel_rejected).
          venue.refuseCancels?.(a.times, (id) => cancelsGivenUp.add(id));
          break;
        case 'refuseReplaces':
          venue.refuseReplaces(a.times);
          break;
        case 'react': {
          const r = { a, left: { n: a.times } };
          reacting.push(r);
          unlisten.push(reactInListener(engine, a, r.left, host, () => clock.now()));
          break;
        }
        case 'restart': {
          const dead = processes.at(-1)!;
          for (const stop of unlisten.splice(0)) stop();
          dead.kill();
          void dead.inner.disconnect().catch(() => undefined); // its sockets close with it
          engine = await boot();
          const recovered = engine.recover().catch(() => undefined);
          await quiet(venue, clock);
          await Promise.race([recovered, sleep(5_000)]);
          break;
        }
      }
      await quiet(venue, clock);
    }
    // The host stops reacting; what it started in its listeners goes on (a killed process's never ends).
    for (const stop of unlisten.splice(0)) stop();
    reacting.length = 0;
    // The network heals: no more failures, every held request through, the stream back, the market deep, the money back.
    venue.refuseCancels?.(0, () => undefined);
    venue.heal();
    for (const h of held.splice(0)) h.release();
    venue.stream(true);
    for (const [symbol, price] of prices) {
      venue.thin(symbol, undefined);
      venue.setPrice(symbol, price);
    }
    await quiet(venue, clock, 1_000);
    await Promise.race([Promise.all(host.reactions), sleep(3_000)]);
    // A recover() that failed in the outage is called again once it healed, as its alert asks.
    if (processes.length > 1) {
      const recovered = engine.recover().catch(() => undefined);
      await quiet(venue, clock, 1_000);
      await Promise.race([recovered, sleep(5_000)]);
    }
    // Twice, as the other searches do: a comparison an order's change crossed is deferred to the next.
    for (let i = 0; i < 2; i++) {
      const reconciled = engine.reconcile().catch(() => undefined);
      await quiet(venue, clock, 1_000);
      await Promise.race([reconciled, sleep(5_000)]);
      await quiet(venue, clock, 1_000);
    }
    // A cancel the engine wants until its order ends is asked on, minutes apart (see expectWantedCancelsEnd): an hour and a bit.
    const wanted = (): string[] => wantedCancelsWorking(engine);
    for (let i = 0; i < 20 && wanted().length > 0; i++) await quiet(venue, clock, 60_000);
    if (process.env.DEBUG_SCENARIO) console.log(trace.join('\n'), '\n', venue.dump(), engine.orders.orderList().map((o) => `${o.clientOrderId} ${o.type} ${o.side} ${o.quantity} ${o.status} ${o.filledQuantity}`));
    try {
      // One working stop under each position — unless the host cancelled every order itself (its stops included: its call).
      venue.expectAgreement(engine, trace.join('\n'), { stops: !actions.some((a) => a.kind === 'react' && a.does === 'cancelAll') });
      expect(wanted(), `cancels wanted until their orders end: still working an hour after the broker took cancels again\n${trace.join('\n')}`).toEqual([]);
      // What the host cancelled stays cancelled (unless the engine gave the cancel up, alerted).
      for (const id of host.cancelled) {
        if (!cancelsGivenUp.has(id)) expect(venue.working(id), `the host cancelled ${id}; it still works at the broker\n${trace.join('\n')}`).toBe(false);
      }
    } catch (error) {
      // The broker's and the engine's books with the failure: a real-time race may not replay.
      const books = `${venue.dump()}\n${engine.orders.orderList().map((o) => `${o.clientOrderId} ${o.brokerOrderId ?? '-'} ${o.type} ${o.side} ${o.quantity} ${o.status} ${o.filledQuantity}`).join('\n')}`;
      if (error instanceof Error) error.message = `${error.message}\n--- the broker, then the engine:\n${books}`;
      throw error;
    }
  } finally {
    for (const h of held.splice(0)) h.release();
    // The live process stops; the dead ones only had their sockets left.
    await Promise.race([engine?.stop().catch(() => undefined), sleep(2_000)]);
    for (const { inner } of processes) await inner.disconnect().catch(() => undefined);
    await venue.close();
  }
}

/** A counterexample the search found once, kept as a test of its own: what it broke, the actions, the style. */
export interface FoundCase {
  readonly found: string;
  readonly actions: readonly WireAction[];
  readonly style: WireStyle;
}

/**
 * The search as a test (a fixed sample of 12 runs in the suite), the counterexamples it found once
 * (each replayed as its own test), and the replay of a saved counterexample.
 */
export function wireSearchTests(name: string, openVenue: () => Promise<WireVenue>, found: readonly FoundCase[] = []): void {
  for (const c of found) it(`found by the search: ${c.found}`, () => wireScenario(name, [...c.actions], c.style, openVenue), 120_000);

  it(`after any mix of lost answers, late requests, server errors and stream outages, a reconciled engine agrees with ${name} — and each position has its stop`, async () => {
    const styles = process.env.PROPERTY_STYLE ? WIRE_STYLES.filter((s) => s === process.env.PROPERTY_STYLE) : WIRE_STYLES;
    await fc.assert(fc.asyncProperty(fc.array(wireAction, { minLength: 3, maxLength: Number(process.env.PROPERTY_ACTIONS ?? 12) }), fc.constantFrom(...styles), (actions, style) => wireScenario(name, actions, style, openVenue)), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 12),
      timeout: 60_000,
      ...searchSeed(),
    });
  }, 600_000);

  // PROPERTY_REPLAY=<file> replays a counterexample saved as JSON ([actions, style]; the style defaults to market entries).
  it.runIf(process.env.PROPERTY_REPLAY)('replays the counterexample in PROPERTY_REPLAY', async () => {
    const [actions, style] = JSON.parse(readFileSync(process.env.PROPERTY_REPLAY!, 'utf8')) as [WireAction[], WireStyle?];
    await wireScenario(name, actions, style ?? 'market entries', openVenue);
  }, 120_000);
}
