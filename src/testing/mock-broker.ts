import { addDecimals, basisPointsOf, BrokerError, compareDecimal, subtractDecimals, Decimal, isAboveZero, multiplyDecimals, ONE, ZERO, sequentialIds, toDecimal, maxDecimal, minDecimal, ValidationError } from 'tradewire';
import type { AccountSnapshot, AdapterHealth, AssetClass, AssetInfo, BrokerAdapter, BrokerCapabilities, Clock, ConnectionChange, DecimalInput, Fill, IdGenerator, Order, OrderChanges, OrderEvent, OrderEventUpdate, OrderList, OrderRef, OrderSide, OrderStatus, OrderStatusReport, OrderType, OrderUpdate, PositionReport, TimeInForce, Unsubscribe } from 'tradewire';
import { appended } from '../core/appended.js';
import { BoundedRing } from '../core/bounded-ring.js';
import type { Mutable } from '../core/mutable.js';
import { faultError, type MockBrokerMethod, type MockFault, type MockFaultRates, timeoutError } from './faults.js';
import { type BookValuation, MockLedger } from './mock-ledger.js';
import { executionPrice, type MatchableOrder } from './mock-matching.js';
import { seededRandom } from './seeded-random.js';
import { WorkingOrders } from './working-orders.js';
import { slackOf } from '../core/window-slack.js';

/** The mock's latencies stand for a real broker's sockets, which keep a process alive until they answer. */
const KEEP_ALIVE = { keepAlive: true } as const;

/** Commission schedule: per unit, a fraction of notional in basis points, and a minimum per fill. */
export interface MockCommission {
  readonly perUnit?: DecimalInput;
  readonly bps?: DecimalInput;
  readonly minimum?: DecimalInput;
}

export interface MockBrokerOptions {
  readonly clock: Clock;
  /** The broker's name in reports and events (default `mock`): several mocks play several brokers. */
  readonly name?: string;
  /** Broker order ids and execution ids; default sequential (`mock-ord-1`, `mock-exec-1`, …). */
  readonly ids?: IdGenerator;
  /** Seeds the random source behind `faultRates`. Same seed, same run. */
  readonly seed?: number;
  readonly accountId?: string;
  readonly currency?: string;
  /** Default 100 000. */
  readonly initialCash?: DecimalInput;
  /** Buying power multiple of equity (1 = cash account, 4 = day-trading margin, 50 = forex). */
  readonly leverage?: DecimalInput;
  readonly commission?: MockCommission;
  /** Slippage on market-like fills in basis points, always against the taker. Default 0. */
  readonly slippageBps?: DecimalInput;
  /** Delay of every REST answer on the injected clock (the broker acts at once; the answer is late). */
  readonly latencyMs?: number;
  /**
   * Delay between accepting a cancel request (`pending_cancel`) and the cancel taking effect;
   * a price move in between can still fill the order. Default 0 (immediate).
   */
  readonly cancelLatencyMs?: number;
  /** Replace issues a new broker order id, as Alpaca's PATCH does. Default false. */
  readonly replaceIssuesNewId?: boolean;
  /**
   * Replace of one leg of a one-cancels-other pair as cancel and create, as the OANDA adapter
   * re-creates a trade's take-profit or stop-loss standalone when its size changes (other orders,
   * and the re-created one, are replaced in one step): the order is cancelled at once — its look-ups say
   * `cancelled`, a cancel of it is refused, it no longer fills, nor cancels with its OCO sibling —
   * and its replacement is created this many ms later under a new broker order id (working,
   * `modified` on the stream, the replace's answer). The stream says nothing of the cancel (the
   * adapter keeps it to itself). A request that timed out still creates it. Default 0: a replace
   * is one step.
   */
  readonly replaceGapMs?: number;
  /** Random faults per call kind. */
  readonly faultRates?: MockFaultRates;
  /** Assets to list; others are created on first use by {@link MockBroker.setPrice} (see `autoAssets`). */
  readonly assets?: readonly (Partial<AssetInfo> & { readonly symbol: string })[];
  /** Any symbol with a price is tradable (default true); false makes unknown symbols invalid. */
  readonly autoAssets?: boolean;
  readonly capabilities?: Partial<BrokerCapabilities>;
  /**
   * How many ended orders to keep for look-ups (default: all). Client order ids are remembered
   * regardless (see {@link rememberClientIds}), so a duplicate is still refused. Bound it for long
   * benchmarks and soak tests.
   */
  readonly retainEndedOrders?: number;
  /**
   * How many client order ids of forgotten ended orders to remember for the duplicate check
   * (default: all). Past it the oldest are forgotten — a resend of one of those would be accepted,
   * as at a broker that keeps ids for a limited time. Bound it, with `retainEndedOrders` and
   * `retainRequests`, for memory that stays flat over millions of orders.
   */
  readonly rememberClientIds?: number;
  /** How many requests {@link MockBroker.requests} keeps, newest last (default: all). */
  readonly retainRequests?: number;
  /**
   * What a reduce-only order may do, as brokers with a reduce-only flag behave (OANDA's
   * `positionFill: REDUCE_ONLY`, crypto and futures venues). `'enforce'` (default): one with nothing
   * to reduce is refused when it arrives (422, `reduce_only`), and each fill is trimmed to the
   * position left, the rest cancelled (`reduce-only: nothing left to reduce`) — it never opens or
   * flips a position. `'ignore'`: the flag is not looked at, as on a broker without one (Alpaca
   * equities), where an oversized sell opens a short.
   */
  readonly reduceOnly?: 'enforce' | 'ignore';
  /**
   * Delay of every stream update on the injected clock (default 0: delivered as the broker acts).
   * The broker's books change at once; the news of it arrives late, in order — as over a network.
   */
  readonly streamLatencyMs?: number;
}

/** A bar for {@link MockBroker.playBar}: the price walks open → low/high → close. */
export interface MockBar {
  readonly open: DecimalInput;
  readonly high: DecimalInput;
  readonly low: DecimalInput;
  readonly close: DecimalInput;
}

/** One request the mock received, in order (for tests that check what was sent, and how often). */
export interface MockRequest {
  readonly method: MockBrokerMethod;
  readonly at: number;
  readonly clientOrderId?: string;
}

interface BrokerOrder extends MatchableOrder {
  brokerOrderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly timeInForce: TimeInForce;
  quantity: Decimal;
  status: OrderStatus;
  filledQuantity: Decimal;
  averageFillPrice: Decimal | undefined;
  /** Replaced, not pushed onto, as each fill lands: exact-size arrays (see appended). */
  fills: readonly Fill[];
  reason: string | undefined;
  updatedAt: number;
  /** Buying power held per unit still to fill (zero for the part that reduces a position). */
  reservePerUnit: Decimal;
  /** A bracket / OTO leg waiting for its entry to fill completely; never matched while held. */
  held: boolean;
  readonly expiresAt: number | undefined;
  readonly priceBound: Decimal | undefined;
  /** The other half of a one-cancels-other pair. */
  sibling: BrokerOrder | undefined;
  /** The legs a bracket / OTO entry releases when it fills. */
  legs: BrokerOrder[] | undefined;
  /** The order an OCO was placed as (its take-profit): its look-up nests the other leg, as Alpaca's does. */
  ocoParent: boolean;
  /** Only ever reduces the position: fills are trimmed to it (see {@link MockBrokerOptions.reduceOnly}). */
  readonly reduceOnly: boolean;
}

const DEFAULT_CAPABILITIES: BrokerCapabilities = {
  orderTypes: ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_if_touched'],
  timeInForce: ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls', 'gtd'],
  assetClasses: ['equity', 'crypto', 'forex'],
  nativeOco: false,
  nativeBracket: false,
  nativeTrailingStop: true,
  fractional: true,
  shorting: true,
  extendedHours: true,
  replace: true,
  streaming: true,
  marketClock: false,
  notional: true,
};

/**
 * A simulated broker for tests, demos and benchmarks — not a stub. It keeps an account, positions
 * and orders; fills market orders at the current price with slippage and commission; rests limit,
 * stop, stop-limit and trailing-stop orders until the price crosses; fills in parts when liquidity
 * is limited; rejects what a broker would; and can be scripted (or seeded) to fail the way real
 * brokers do. It reports through the same stream interface as a real adapter, on the injected clock.
 *
 * @example
 * const broker = new MockBroker({ clock });
 * broker.setPrice('AAPL', '190.00');
 * broker.failNext('submitOrder', { kind: 'timeout', reached: true });
 */
export class MockBroker implements BrokerAdapter {
  /** `mock` unless `options.name` says otherwise (several mock brokers on one desk). */
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  readonly accountId: string;

  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly random: () => number;
  private readonly ledger: MockLedger;
  private readonly leverage: Decimal;
  /** Leverage 1: buying power and margin need no multiplication or division. */
  private readonly unlevered: boolean;
  private readonly slippage: Decimal;
  private readonly slippageFactor: Decimal;
  private readonly commission: { perUnit: Decimal; bps: Decimal; minimum: Decimal };
  private latencyMs: number;
  private streamLatencyMs: number;
  private readonly enforceReduceOnly: boolean;
  private readonly cancelLatencyMs: number;
  /** Cancels still to refuse (see {@link refuseCancels}). */
  private cancelRefusals: { left: number; onRefused?: (clientOrderId: string) => void } = { left: 0 };
  private readonly replaceIssuesNewId: boolean;
  private readonly replaceGapMs: number;
  private readonly autoAssets: boolean;
  private readonly currency: string;
  private faultRates: MockFaultRates;

  private readonly prices = new Map<string, Decimal>();
  private readonly liquidity = new Map<string, Decimal>();
  private readonly assets = new Map<string, AssetInfo>();
  private readonly orders = new Map<string, BrokerOrder>();
  /** Orders that can still fill, so matching and buying power never scan the whole history. */
  private readonly working = new WorkingOrders<BrokerOrder>();
  /** Ended orders kept for look-ups (bounded by `retainEndedOrders`). */
  private readonly ended: BoundedRing<string>;
  private readonly retainEndedOrders: number;
  private readonly rememberClientIds: number;
  private readonly retainRequests: number;
  /** Client order ids of orders no longer kept, still refused as duplicates (bounded by `rememberClientIds`). */
  private readonly forgottenIds: BoundedRing<string>;
  private readonly byClientId = new Map<string, string>();
  private readonly scripted: { method: MockBrokerMethod | '*'; fault: MockFault }[] = [];
  private readonly updateListeners = new Set<(update: OrderEventUpdate) => void>();
  private readonly connectionListeners = new Set<(change: ConnectionChange) => void>();
  private readonly outbox: OrderEventUpdate[] = [];
  /** Batches sent on a late stream, not yet arrived, in the order they arrive (see `flush`). */
  private readonly inFlight: { readonly at: number; readonly updates: OrderEventUpdate[] }[] = [];
  /**
   * A leg of the stream that has arrived, being delivered. Apart from the outbox: news a listener
   * makes meanwhile goes out as a new leg, and took this leg's undelivered rest with it — a fill
   * then reached the engine after the cancel that followed it, and was lost with the stream down.
   */
  private readonly arriving: OrderEventUpdate[] = [];
  private flushing = false;
  private streamUp = true;
  private lastMessageAt: number | undefined;

  /** Every request received, in order (after faults that stop a request from arriving). */
  readonly requests: MockRequest[] = [];
  /** Updates produced while the stream was down, which no listener received. */
  missedUpdates = 0;

  constructor(options: MockBrokerOptions) {
    this.name = options.name ?? 'mock';
    this.clock = options.clock;
    this.ids = options.ids ?? sequentialIds();
    this.random = seededRandom(options.seed ?? 1);
    this.accountId = options.accountId ?? 'mock-account';
    this.currency = options.currency ?? 'USD';
    this.ledger = new MockLedger(toDecimal(options.initialCash ?? 100_000, 'initialCash'));
    this.leverage = toDecimal(options.leverage ?? 1, 'leverage');
    this.unlevered = compareDecimal(this.leverage, ONE) === 0;
    this.slippage = toDecimal(options.slippageBps ?? 0, 'slippageBps').dividedBy(10_000);
    this.slippageFactor = ONE.plus(this.slippage);
    this.commission = {
      perUnit: toDecimal(options.commission?.perUnit ?? 0, 'commission.perUnit'),
      bps: toDecimal(options.commission?.bps ?? 0, 'commission.bps'),
      minimum: toDecimal(options.commission?.minimum ?? 0, 'commission.minimum'),
    };
    this.latencyMs = options.latencyMs ?? 0;
    this.streamLatencyMs = options.streamLatencyMs ?? 0;
    this.enforceReduceOnly = (options.reduceOnly ?? 'enforce') === 'enforce';
    this.cancelLatencyMs = options.cancelLatencyMs ?? 0;
    this.replaceIssuesNewId = options.replaceIssuesNewId ?? false;
    this.replaceGapMs = options.replaceGapMs ?? 0;
    this.autoAssets = options.autoAssets ?? true;
    this.faultRates = options.faultRates ?? {};
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    this.retainEndedOrders = options.retainEndedOrders ?? Number.POSITIVE_INFINITY;
    this.rememberClientIds = options.rememberClientIds ?? Number.POSITIVE_INFINITY;
    this.retainRequests = options.retainRequests ?? Number.POSITIVE_INFINITY;
    this.ended = new BoundedRing(this.retainEndedOrders);
    this.forgottenIds = new BoundedRing(this.rememberClientIds);
    for (const asset of options.assets ?? []) this.addAsset(asset);
  }

  // ---------------------------------------------------------------- test controls

  /** Sets the last trade price of `symbol` and matches every resting order against it. */
  setPrice(symbol: string, price: DecimalInput): void {
    checkSymbol(symbol);
    const value = toDecimal(price, 'price');
    // isAboveZero, not greaterThan(0): decimal.js builds a Decimal of its argument on every comparison.
    if (!isAboveZero(value)) throw new ValidationError([{ field: 'price', message: `must be positive, got ${value.toString()}` }], `price of ${symbol}`);
    this.prices.set(symbol, value);
    this.ledger.revalue(symbol, value);
    if (!this.assets.has(symbol) && this.autoAssets) this.addAsset({ symbol });
    this.matchSymbol(symbol);
    this.flush();
  }

  /** Walks the price through a bar (open, then low and high in the order a bar of that colour usually takes, then close). */
  playBar(symbol: string, bar: MockBar): void {
    if (typeof bar !== 'object' || bar === null) throw new ValidationError([{ field: 'bar', message: `must be { open, high, low, close }, got ${String(bar)}` }], `bar of ${String(symbol)}`);
    const open = toDecimal(bar.open, 'bar');
    const high = toDecimal(bar.high, 'bar');
    const low = toDecimal(bar.low, 'bar');
    const close = toDecimal(bar.close, 'bar');
    const rising = compareDecimal(close, open) >= 0;
    this.setPrice(symbol, open);
    this.setPrice(symbol, rising ? low : high);
    this.setPrice(symbol, rising ? high : low);
    this.setPrice(symbol, close);
  }

  /** Plays bars in order (a replay of history): each one walks through its open, extremes and close. */
  playBars(symbol: string, bars: Iterable<MockBar>): void {
    for (const bar of bars) this.playBar(symbol, bar);
  }

  price(symbol: string): Decimal | undefined {
    return this.prices.get(symbol);
  }

  /** Changes the delay of every REST answer from now on (on the injected clock). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Delays every later stream update by `ms` (see {@link MockBrokerOptions.streamLatencyMs}). */
  setStreamLatency(ms: number): void {
    this.streamLatencyMs = ms;
  }

  /** Caps how much of `symbol` can fill per price update (undefined: unlimited). Orders beyond it fill in parts. */
  setLiquidity(symbol: string, quantity: DecimalInput | undefined): void {
    checkSymbol(symbol);
    if (quantity === undefined) this.liquidity.delete(symbol);
    else {
      const cap = toDecimal(quantity, 'liquidity');
      if (cap.isNegative()) throw new ValidationError([{ field: 'liquidity', message: `must be zero or more, got ${cap.toString()}` }], `liquidity of ${symbol}`);
      this.liquidity.set(symbol, cap);
    }
  }

  addAsset(asset: Partial<AssetInfo> & { symbol: string }): AssetInfo {
    const assetClass = asset.assetClass ?? inferAssetClass(asset.symbol);
    const info: AssetInfo = {
      symbol: asset.symbol,
      assetClass,
      tradable: asset.tradable ?? true,
      fractionable: asset.fractionable ?? assetClass === 'crypto',
      shortable: asset.shortable ?? assetClass !== 'crypto',
      easyToBorrow: asset.easyToBorrow ?? true,
      quantityIncrement: asset.quantityIncrement ?? (assetClass === 'crypto' ? new Decimal('0.00000001') : ONE),
      priceIncrement: asset.priceIncrement ?? (assetClass === 'forex' ? new Decimal('0.00001') : new Decimal('0.01')),
      ...(asset.minQuantity ? { minQuantity: asset.minQuantity } : {}),
      ...(asset.minNotional ? { minNotional: asset.minNotional } : {}),
      ...(asset.marginRate ? { marginRate: asset.marginRate } : {}),
    };
    this.assets.set(asset.symbol, info);
    return info;
  }

  /** The next call of `method` (or of any method, with '*') fails with `fault`. Faults queue in order. */
  failNext(method: MockBrokerMethod | '*', fault: MockFault, times = 1): void {
    for (let i = 0; i < times; i++) this.scripted.push({ method, fault });
  }

  /** Forgets the scripted faults not yet used (the network is healthy again); random fault rates stay as set. */
  clearFaults(): void {
    this.scripted.length = 0;
  }

  setFaultRates(rates: MockFaultRates): void {
    this.faultRates = rates;
  }

  /** Drops the update stream: updates are lost until {@link restoreStream}, as on a real disconnect. */
  dropStream(reason = 'connection dropped'): void {
    if (!this.streamUp) return;
    this.streamUp = false;
    this.announce({ state: 'disconnected', reason, at: this.clock.now() });
  }

  /** Reconnects the stream; listeners hear `reconnected` and should reconcile what they missed. */
  restoreStream(): void {
    if (this.streamUp) return;
    this.streamUp = true;
    this.announce({ state: 'reconnected', at: this.clock.now() });
  }

  /**
   * The broker ends a working order by itself — cancelled from the broker's own site, past its age
   * limit, a corporate action (`status: 'expired'` for an expiry): the update arrives on the stream
   * like any other, and an OCO leg takes its sibling with it. False when no such order works.
   */
  endByBroker(ref: OrderRef, options: { readonly status?: 'cancelled' | 'expired'; readonly reason?: string } = {}): boolean {
    const order = this.find(ref);
    if (!order || !isWorking(order.status)) return false;
    const sibling = order.sibling;
    this.finish(order, options.status ?? 'cancelled', options.reason ?? 'ended by the broker');
    if (sibling && isWorking(sibling.status) && sibling.filledQuantity.isZero()) this.finish(sibling, 'cancelled', 'one-cancels-other: sibling ended by the broker');
    this.flush();
    return true;
  }

  /**
   * The broker refuses a pending cancel (the venue said no, or the order was mid-fill: Alpaca's
   * `order_cancel_rejected`): the order works again, and the stream says so. Needs `cancelLatencyMs`
   * (otherwise a cancel takes at once). False when the order is not pending cancel.
   */
  refuseCancel(ref: OrderRef, reason = 'cancel refused by the broker'): boolean {
    const order = this.find(ref);
    if (!order || order.status !== 'pending_cancel') return false;
    this.refusePending(order, reason);
    this.flush();
    return true;
  }

  private refusePending(order: BrokerOrder, reason = 'cancel refused by the broker'): void {
    order.status = order.filledQuantity.isZero() ? 'accepted' : 'partially_filled';
    order.updatedAt = this.clock.now();
    this.publish(order, { type: 'cancel_rejected', reason, at: order.updatedAt });
  }

  /**
   * The next `count` cancels to take effect are refused instead ({@link refuseCancel}, when
   * `cancelLatencyMs` is over: the order works again and the stream says so); `onRefused` hears
   * each order refused. Needs `cancelLatencyMs` (otherwise a cancel takes at once).
   */
  refuseCancels(count: number, onRefused?: (clientOrderId: string) => void): void {
    this.cancelRefusals = { left: count, ...(onRefused ? { onRefused } : {}) };
  }

  /** Expires every working day order (call at the session close). */
  expireDayOrders(): void {
    for (const order of [...this.working]) {
      if ((order.timeInForce === 'day' || order.timeInForce === 'opg' || order.timeInForce === 'cls')) {
        this.finish(order, 'expired');
      }
    }
    this.flush();
  }

  /** The broker's orders, newest last, as reports. */
  orderReports(): OrderStatusReport[] {
    return [...this.orders.values()].map((o) => this.report(o));
  }

  /** How many orders the broker holds with this client order id (0 or 1 — the duplicate check). */
  countByClientOrderId(clientOrderId: string): number {
    return [...this.orders.values()].filter((o) => o.clientOrderId === clientOrderId).length;
  }

  accountSnapshot(): AccountSnapshot {
    const valuation = this.ledger.currentValuation();
    return {
      accountId: this.accountId,
      currency: this.currency,
      equity: addDecimals(this.ledger.cash, valuation.marketValue),
      cash: this.ledger.cash,
      buyingPower: this.buyingPower(valuation),
      unrealizedPnl: this.ledger.unrealizedPnl(this.mark),
      // A backtest asks for the account once a simulated minute: no division when there is no leverage.
      marginUsed: this.unlevered ? valuation.grossExposure : valuation.grossExposure.dividedBy(this.leverage),
      dayTradeCount: 0,
      patternDayTrader: false,
      at: this.clock.now(),
    };
  }

  positionReports(): PositionReport[] {
    return this.ledger.reports(this.mark);
  }

  /** Realized P&L on the broker's books (before commission). */
  get realizedPnl(): Decimal {
    return this.ledger.realizedPnl;
  }

  // ---------------------------------------------------------------- BrokerAdapter

  async connect(): Promise<void> {
    this.restoreStream();
  }

  async disconnect(): Promise<void> {
    if (!this.streamUp) return;
    this.streamUp = false;
    this.announce({ state: 'disconnected', reason: 'client disconnected', at: this.clock.now() });
  }

  getAccount(): Promise<AccountSnapshot> {
    return this.call('getAccount', undefined, () => this.accountSnapshot());
  }

  getPositions(): Promise<readonly PositionReport[]> {
    return this.call('getPositions', undefined, () => this.positionReports());
  }

  getOpenOrders(): Promise<readonly OrderStatusReport[]> {
    return this.call('getOpenOrders', undefined, () => [...this.working].map((o) => this.report(o)));
  }

  getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined> {
    return this.call('getOrder', ref.clientOrderId, () => {
      const order = this.find(ref);
      if (!order) return undefined;
      // An entry with its legs nested (an OCO's parent with its stop), as Alpaca answers a list's look-up (`nested=true`).
      const legs = order.legs ?? (order.ocoParent && order.sibling ? [order.sibling] : undefined);
      return legs ? { ...this.report(order), legs: legs.map((leg) => this.report(leg)) } : this.report(order);
    });
  }

  getAsset(symbol: string): Promise<AssetInfo | undefined> {
    return this.call('getAsset', undefined, () => this.assets.get(symbol));
  }

  submitOrder(order: Order): Promise<OrderStatusReport> {
    return this.call('submitOrder', order.clientOrderId, () => this.accept(order));
  }

  /**
   * Native bracket / OTO / OCO, when the capabilities say so (`nativeBracket`, `nativeOco`): legs
   * of a bracket or OTO are held until the entry fills completely (or is cancelled after a partial
   * fill, when they shrink to it); a fill on one side of an OCO pair shrinks the other by as much,
   * and the last unit cancels it.
   */
  submitOrderList(list: OrderList): Promise<OrderStatusReport> {
    return this.call('submitOrder', list.orders[0]?.clientOrderId, () => this.acceptList(list));
  }

  replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    // The work returns the answer to come (the create, `replaceGapMs` later): awaited through.
    if (this.replaceGapMs > 0) return this.call('replaceOrder', order.clientOrderId, () => this.replaceInTwoSteps(order, changes)).then((created) => created);
    return this.call('replaceOrder', order.clientOrderId, () => this.replace(order, changes));
  }

  cancelOrder(ref: OrderRef): Promise<void> {
    return this.call('cancelOrder', ref.clientOrderId, () => {
      const order = this.find(ref);
      if (!order) throw new BrokerError('broker_not_found', 'mock broker: order not found', { status: 404 });
      this.requestCancel(order);
    });
  }

  cancelAllOrders(): Promise<void> {
    return this.call('cancelAllOrders', undefined, () => {
      for (const order of [...this.working]) this.requestCancel(order);
    });
  }

  /** The mock only ever pushes events (never snapshots), so its listeners get the narrower type. */
  onOrderUpdate(listener: (update: OrderEventUpdate) => void): Unsubscribe {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  health(): AdapterHealth {
    return {
      connected: true,
      streamConnected: this.streamUp,
      ...(this.lastMessageAt === undefined ? {} : { lastMessageAt: this.lastMessageAt }),
    };
  }

  // ---------------------------------------------------------------- the broker's own logic

  /** Runs one request through faults and latency, the way a network call would behave. */
  private call<T>(method: MockBrokerMethod, clientOrderId: string | undefined, work: () => T): Promise<T> {
    const fault = this.drawFault(method);
    if (fault) return this.fail(method, clientOrderId, work, fault);
    // The common case without an async frame: the work is done now, the answer comes after the latency.
    try {
      const result = this.process(method, clientOrderId, work);
      return this.latencyMs > 0 ? this.delay(this.latencyMs).then(() => result) : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async fail<T>(method: MockBrokerMethod, clientOrderId: string | undefined, work: () => T, fault: MockFault): Promise<T> {
    if (fault.kind === 'slow') {
      await this.delay(fault.ms);
      return this.process(method, clientOrderId, work);
    }
    if (fault.kind !== 'timeout') throw faultError(fault, method);
    if (fault.landsAfterMs !== undefined) {
      // The request arrives late; its answer (even a refusal) goes to a caller who stopped listening.
      this.clock.setTimeout(() => {
        try {
          this.process(method, clientOrderId, work);
        } catch {
          /* lost with the connection */
        }
      }, fault.landsAfterMs, KEEP_ALIVE);
    } else if (fault.reached) this.process(method, clientOrderId, work);
    await this.delay(fault.afterMs ?? 0);
    throw timeoutError(method);
  }

  private process<T>(method: MockBrokerMethod, clientOrderId: string | undefined, work: () => T): T {
    // One literal each, not a key added after: the added key went to a separate property store (≈ 40 B a request, kept with the log).
    const request: MockRequest = clientOrderId ? { method, at: this.clock.now(), clientOrderId } : { method, at: this.clock.now() };
    this.requests.push(request);
    if (this.requests.length > this.retainRequests + slackOf(this.retainRequests)) this.requests.splice(0, this.requests.length - this.retainRequests);
    try {
      return work();
    } finally {
      this.flush();
    }
  }

  private drawFault(method: MockBrokerMethod): MockFault | undefined {
    const index = this.scripted.findIndex((s) => s.method === method || s.method === '*');
    if (index >= 0) return this.scripted.splice(index, 1)[0]!.fault;
    const rate = this.faultRates[method];
    if (!rate || rate.faults.length === 0 || this.random() >= rate.rate) return undefined;
    return rate.faults[Math.floor(this.random() * rate.faults.length)];
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms, KEEP_ALIVE));
  }

  private acceptList(list: OrderList): OrderStatusReport {
    const native = list.kind === 'oco' ? this.capabilities.nativeOco : this.capabilities.nativeBracket;
    if (!native) throw new BrokerError('invalid_order', `mock broker: ${list.kind} orders are not supported`, { status: 422 });
    for (const order of list.orders) {
      if (this.byClientId.has(order.clientOrderId)) throw new BrokerError('broker_duplicate_client_order_id', `mock broker: client_order_id ${order.clientOrderId} must be unique`, { status: 422 });
    }
    const [first, ...rest] = list.orders as [Order, ...Order[]];
    if (list.kind === 'oco') {
      // The pair holds its quantity once (the legs are checked with the leg option: not each).
      this.checkQuantityAvailable(first.symbol, first.side, first.quantity);
      const [takeProfit, stopLoss] = [this.place(first, { leg: true }), this.place(rest[0]!, { leg: true })];
      takeProfit.sibling = stopLoss;
      stopLoss.sibling = takeProfit;
      takeProfit.ocoParent = true;
      const report = { ...this.report(takeProfit), legs: [this.report(stopLoss)] };
      this.match(takeProfit, true);
      if (isWorking(stopLoss.status)) this.match(stopLoss, true);
      return report;
    }
    const legs = rest.map((leg) => this.place(leg, { leg: true, held: true }));
    if (legs.length === 2) [legs[0]!.sibling, legs[1]!.sibling] = [legs[1]!, legs[0]!];
    const entry = this.place(first, {});
    entry.legs = legs;
    const report = { ...this.report(entry), legs: legs.map((l) => this.report(l)) };
    this.match(entry, true);
    return report;
  }

  private accept(order: Order): OrderStatusReport {
    const placed = this.place(order, {});
    const ack = this.report(placed);
    this.match(placed, true);
    return ack;
  }

  /** Checks and books one order; a leg needs no buying power (it only ever exits what its entry bought). */
  private place(order: Order, options: { leg?: boolean; held?: boolean }): BrokerOrder {
    if (this.byClientId.has(order.clientOrderId)) {
      throw new BrokerError('broker_duplicate_client_order_id', `mock broker: client_order_id ${order.clientOrderId} must be unique`, { status: 422 });
    }
    const asset = this.assets.get(order.symbol);
    if (!asset) throw new BrokerError('invalid_symbol', `mock broker: unknown symbol ${order.symbol}`, { status: 422, brokerCode: 'asset_not_found' });
    if (!asset.tradable) throw new BrokerError('not_tradable', `mock broker: ${order.symbol} is not tradable`, { status: 422 });
    if (!this.capabilities.orderTypes.includes(order.type)) throw new BrokerError('invalid_order', `mock broker: ${order.type} orders are not supported`, { status: 422 });
    const market = this.prices.get(order.symbol);
    if (order.notional) {
      // Fractional by amount: the broker works out the units at the current price, rounded down to the step.
      if (!this.capabilities.notional || !market) throw new BrokerError('invalid_order', `mock broker: cannot take a notional order for ${order.symbol}${market ? '' : ' (no quote)'}`, { status: 422 });
      const units = order.notional.dividedBy(market).dividedBy(asset.quantityIncrement).floor().times(asset.quantityIncrement);
      if (!isAboveZero(units)) throw new BrokerError('invalid_order', `mock broker: ${order.notional.toString()} buys less than one ${asset.quantityIncrement.toString()} of ${order.symbol}`, { status: 422 });
      order = { ...order, quantity: units };
    }
    if (!(compareDecimal(asset.quantityIncrement, ONE) === 0 ? order.quantity.isInteger() : order.quantity.dividedBy(asset.quantityIncrement).isInteger())) {
      throw new BrokerError('invalid_order', `mock broker: quantity ${order.quantity.toString()} is not a multiple of ${asset.quantityIncrement.toString()}`, { status: 422 });
    }
    if (order.type === 'market' && !market) throw new BrokerError('invalid_order', `mock broker: no quote for ${order.symbol}`, { status: 422 });
    checkIncrement('limit', order.limitPrice, asset.priceIncrement);
    checkIncrement('stop', order.stopPrice, asset.priceIncrement);

    if (order.reduceOnly && this.enforceReduceOnly && !options.held && !isAboveZero(this.reducible(order.symbol, order.side))) {
      throw new BrokerError('invalid_order', `mock broker: reduce-only ${order.side} of ${order.symbol} has no position to reduce`, { status: 422, brokerCode: 'reduce_only' });
    }
    if (!options.leg) this.checkQuantityAvailable(order.symbol, order.side, order.quantity);
    const increasing = options.leg ? ZERO : this.increasingQuantity(order.symbol, order.side, order.quantity);
    if (isAboveZero(increasing) && order.side === 'sell' && !asset.shortable) {
      throw new BrokerError('not_shortable', `mock broker: ${order.symbol} cannot be sold short`, { status: 403 });
    }
    const reference = order.limitPrice ?? order.stopPrice ?? market ?? ZERO;
    // Only the part that increases the position needs buying power; an exit needs none. Held per
    // unit: the reference price, plus the slippage the broker allows for.
    const perUnit = increasing.isZero() || this.slippage.isZero() ? reference : multiplyDecimals(reference, this.slippageFactor);
    const reserved = increasing.isZero() ? ZERO : multiplyDecimals(increasing, perUnit);
    const buyingPower = reserved.isZero() ? ZERO : this.buyingPower();
    if (!reserved.isZero() && compareDecimal(reserved, buyingPower) > 0) {
      throw new BrokerError('insufficient_buying_power', 'mock broker: insufficient buying power', {
        status: 403,
        details: { buyingPower: buyingPower.toString(), required: reserved.toString() },
      });
    }

    const now = this.clock.now();
    // Every key written (undefined when absent): one hidden class for every order the mock holds.
    const placed: BrokerOrder = {
      brokerOrderId: this.ids.next('mock-ord'),
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      assetClass: asset.assetClass,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      stopPrice: order.stopPrice,
      trailPercent: order.trailPercent,
      trailAmount: order.trailAmount,
      watermark: undefined,
      triggered: false,
      status: 'accepted',
      filledQuantity: ZERO,
      averageFillPrice: undefined,
      fills: [],
      reason: undefined,
      updatedAt: now,
      reservePerUnit: reserved.isZero() ? ZERO : compareDecimal(increasing, order.quantity) === 0 ? perUnit : reserved.dividedBy(order.quantity),
      held: options.held === true,
      expiresAt: order.expiresAt,
      priceBound: order.priceBound,
      sibling: undefined,
      legs: undefined,
      ocoParent: false,
      reduceOnly: order.reduceOnly === true,
    };
    this.orders.set(placed.brokerOrderId, placed);
    this.working.add(placed);
    this.byClientId.set(placed.clientOrderId, placed.brokerOrderId);
    this.publish(placed, { type: 'accepted', brokerOrderId: placed.brokerOrderId, at: now });
    if (order.notional) this.publish(placed, { type: 'modified', changes: { quantity: placed.quantity }, brokerOrderId: placed.brokerOrderId, at: now });
    return placed;
  }

  /** An entry with legs filled completely (or ended after a partial fill): its legs go live for what it bought. */
  private releaseLegs(entry: BrokerOrder): void {
    const legs = entry.legs ?? [];
    entry.legs = undefined;
    for (const leg of legs) {
      if (!leg.held || !isWorking(leg.status)) continue;
      leg.held = false;
      if (entry.filledQuantity.isZero()) {
        this.finish(leg, 'cancelled', 'entry ended unfilled');
      } else if (!leg.quantity.equals(entry.filledQuantity)) {
        this.resize(leg, entry.filledQuantity);
      }
    }
    for (const leg of legs) if (isWorking(leg.status)) this.match(leg, false);
  }

  /** One side of an OCO pair filled by `quantity`: the other shrinks by as much, or goes. */
  private offsetSibling(order: BrokerOrder): void {
    const sibling = order.sibling;
    if (!sibling || !isWorking(sibling.status) || sibling.held) return;
    const left = order.quantity.minus(order.filledQuantity);
    if (left.isZero()) {
      this.finish(sibling, 'cancelled', 'one-cancels-other: sibling filled');
      return;
    }
    const target = sibling.filledQuantity.plus(left);
    if (target.lessThan(sibling.quantity)) this.resize(sibling, target);
  }

  private resize(order: BrokerOrder, quantity: Decimal): void {
    this.working.setQuantity(order, quantity);
    order.updatedAt = this.clock.now();
    this.publish(order, { type: 'modified', changes: { quantity }, brokerOrderId: order.brokerOrderId, at: order.updatedAt });
  }

  /** The working order a replace of `ref` changes, checked as the broker checks it. */
  private replaceable(ref: Order, changes: OrderChanges): BrokerOrder {
    const order = this.find(ref);
    if (!order) throw new BrokerError('broker_not_found', 'mock broker: order not found', { status: 404 });
    if (!isWorking(order.status) || order.status === 'pending_cancel') {
      throw new BrokerError('order_not_cancelable', `mock broker: order is ${order.status} and cannot be replaced`, { status: 422 });
    }
    if (changes.quantity && changes.quantity.lessThanOrEqualTo(order.filledQuantity)) {
      throw new BrokerError('invalid_order', 'mock broker: quantity must exceed the filled quantity', { status: 422 });
    }
    if (changes.quantity && changes.quantity.greaterThan(order.quantity)) this.checkQuantityAvailable(order.symbol, order.side, changes.quantity.minus(order.filledQuantity), order);
    return order;
  }

  private replace(ref: Order, changes: OrderChanges): OrderStatusReport {
    return this.replaced(this.replaceable(ref, changes), changes, this.replaceIssuesNewId);
  }

  /** The replace done: `order` changed (under a new broker id when `newId`), said on the stream, matched. */
  private replaced(order: BrokerOrder, changes: OrderChanges, newId: boolean): OrderStatusReport {
    if (changes.quantity) this.working.setQuantity(order, changes.quantity);
    if (changes.limitPrice) order.limitPrice = changes.limitPrice;
    if (changes.stopPrice) order.stopPrice = changes.stopPrice;
    if (changes.trailPercent) order.trailPercent = changes.trailPercent;
    if (changes.trailAmount) order.trailAmount = changes.trailAmount;
    if (newId) {
      this.orders.delete(order.brokerOrderId);
      order.brokerOrderId = this.ids.next('mock-ord');
      this.orders.set(order.brokerOrderId, order);
      this.byClientId.set(order.clientOrderId, order.brokerOrderId);
    }
    order.updatedAt = this.clock.now();
    const report = this.report(order);
    this.publish(order, { type: 'modified', changes, brokerOrderId: order.brokerOrderId, at: order.updatedAt });
    this.match(order, false);
    return report;
  }

  /**
   * A pair leg's replace as cancel and create (see `replaceGapMs`): cancelled now, quietly, and out
   * of its OCO pair; created again, changed and under a new id, `replaceGapMs` later — the answer then.
   */
  private replaceInTwoSteps(ref: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    const order = this.replaceable(ref, changes);
    // Only a pair's leg (a trade's take-profit or stop-loss at OANDA) is re-created; any other order —
    // a standalone one, a bracket's leg still held for its entry — is changed in one step.
    if (order.held || !order.sibling) return Promise.resolve(this.replaced(order, changes, this.replaceIssuesNewId));
    order.status = 'cancelled';
    order.updatedAt = this.clock.now();
    this.working.delete(order);
    if (order.sibling) order.sibling.sibling = undefined;
    order.sibling = undefined;
    order.ocoParent = false;
    const created = new Promise<OrderStatusReport>((resolve) => {
      this.clock.setTimeout(() => {
        order.status = order.filledQuantity.isZero() ? 'accepted' : 'partially_filled';
        this.working.add(order);
        resolve(this.replaced(order, changes, true));
        this.flush();
      }, this.replaceGapMs, KEEP_ALIVE);
    });
    return created;
  }

  private requestCancel(order: BrokerOrder): void {
    if (!isWorking(order.status)) {
      throw new BrokerError('order_not_cancelable', `mock broker: order is ${order.status} and cannot be cancelled`, { status: 422 });
    }
    if (this.cancelLatencyMs <= 0) {
      this.finish(order, 'cancelled');
      return;
    }
    if (order.status === 'pending_cancel') return;
    order.status = 'pending_cancel';
    this.publish(order, { type: 'cancel_requested', at: this.clock.now() });
    this.clock.setTimeout(() => {
      if (order.status === 'pending_cancel') {
        if (this.cancelRefusals.left > 0) {
          this.cancelRefusals.left--;
          this.refusePending(order);
          this.cancelRefusals.onRefused?.(order.clientOrderId);
        } else this.finish(order, 'cancelled');
      }
      this.flush();
    }, this.cancelLatencyMs, KEEP_ALIVE);
  }

  private matchSymbol(symbol: string): void {
    // Most price updates of a backtest find nothing resting: no copy of the set for them.
    const resting = this.working.ofSymbol(symbol);
    if (resting.size === 0) return;
    for (const order of [...resting]) {
      if (isWorking(order.status) && !order.held) this.match(order, false);
    }
  }

  /** Tries to execute `order` at the current price; `arriving` applies IOC/FOK rules. */
  private match(order: BrokerOrder, arriving: boolean): void {
    if (order.held) return;
    if (order.expiresAt !== undefined && this.clock.now() >= order.expiresAt) {
      this.finish(order, 'expired');
      return;
    }
    const price = this.prices.get(order.symbol);
    const remaining = subtractDecimals(order.quantity, order.filledQuantity);
    const fillPrice = price ? executionPrice(order, price, this.slippage) : undefined;
    if (fillPrice && order.priceBound && (order.side === 'buy' ? fillPrice.greaterThan(order.priceBound) : fillPrice.lessThan(order.priceBound))) {
      this.finish(order, 'cancelled', `price ${fillPrice.toString()} is beyond the bound ${order.priceBound.toString()}`);
      return;
    }
    const available = this.liquidity.get(order.symbol);
    const quantity = fillPrice ? (available ? minDecimal(available, remaining) : remaining) : ZERO;

    if (arriving && order.timeInForce === 'fok' && !quantity.equals(remaining)) {
      this.finish(order, 'cancelled', 'fill-or-kill could not fill in full');
      return;
    }
    if (fillPrice && isAboveZero(quantity)) this.execute(order, quantity, fillPrice);
    if (arriving && order.timeInForce === 'ioc' && isWorking(order.status)) {
      this.finish(order, 'cancelled', 'immediate-or-cancel remainder');
    }
  }

  private execute(order: BrokerOrder, wanted: Decimal, price: Decimal): void {
    let quantity = wanted;
    if (order.reduceOnly && this.enforceReduceOnly) {
      // Never more than the position left: a reduce-only order does not open or flip one.
      const reducible = this.reducible(order.symbol, order.side);
      if (!isAboveZero(reducible)) {
        this.finish(order, 'cancelled', 'reduce-only: nothing left to reduce');
        return;
      }
      quantity = minDecimal(wanted, reducible);
    }
    const notional = multiplyDecimals(quantity, price);
    const commission = this.commissionFor(quantity, notional);
    const fill: Fill = { executionId: this.ids.next('mock-exec'), quantity, price, commission, time: this.clock.now() };

    this.ledger.applyFill(order.symbol, order.assetClass, order.side, quantity, price, notional, commission);
    this.ledger.revalue(order.symbol, this.mark(order.symbol));
    const filled = addDecimals(order.filledQuantity, quantity);
    order.averageFillPrice = order.filledQuantity.isZero() || !order.averageFillPrice ? price : addDecimals(multiplyDecimals(order.averageFillPrice, order.filledQuantity), notional).dividedBy(filled);
    this.working.setFilled(order, filled);
    order.fills = appended(order.fills, fill);
    if (compareDecimal(filled, order.quantity) === 0) {
      order.status = 'filled';
      this.retire(order);
    } else if (order.status !== 'pending_cancel') {
      order.status = 'partially_filled';
    }
    order.updatedAt = fill.time;
    this.publish(order, { type: 'filled', fill, brokerOrderId: order.brokerOrderId, at: fill.time });
    this.offsetSibling(order);
    if (order.legs && order.status === 'filled') this.releaseLegs(order);
    if (order.reduceOnly && this.enforceReduceOnly && isWorking(order.status) && !isAboveZero(this.reducible(order.symbol, order.side))) {
      this.finish(order, 'cancelled', 'reduce-only: nothing left to reduce');
    }
  }

  /**
   * Where open exits hold the shares (`capabilities.exitsHoldQuantity`, as at Alpaca): an order
   * against the position may ask for no more than the other open orders on its side leave —
   * Alpaca's 403 "insufficient qty available for order". A one-cancels-other pair holds its quantity
   * once; `except` (an order being replaced) and its pair do not count.
   */
  private checkQuantityAvailable(symbol: string, side: OrderSide, quantity: Decimal, except?: BrokerOrder): void {
    if (!this.capabilities.exitsHoldQuantity) return;
    const position = this.reducible(symbol, side);
    if (!isAboveZero(position)) return;
    let held = ZERO;
    const counted = new Set<BrokerOrder>();
    for (const order of this.working.ofSymbol(symbol)) {
      if (order.side !== side || order.held || !isWorking(order.status) || counted.has(order)) continue;
      if (except && (order === except || order === except.sibling)) continue;
      counted.add(order);
      if (order.sibling) counted.add(order.sibling);
      held = addDecimals(held, subtractDecimals(order.quantity, order.filledQuantity));
    }
    const available = maxDecimal(subtractDecimals(position, held), ZERO);
    if (compareDecimal(quantity, available) > 0) {
      throw new BrokerError('invalid_order', `mock broker: insufficient qty available for order (requested: ${quantity.toString()}, available: ${available.toString()})`, { status: 403 });
    }
  }

  /** How much a `side` order can reduce the symbol's position: the long for a sell, the short for a buy. */
  private reducible(symbol: string, side: OrderSide): Decimal {
    const held = this.ledger.quantity(symbol);
    return side === 'sell' ? maxDecimal(held, ZERO) : maxDecimal(held.negated(), ZERO);
  }

  private commissionFor(quantity: Decimal, notional: Decimal): Decimal {
    const { perUnit, bps, minimum } = this.commission;
    if (perUnit.isZero() && bps.isZero()) return ZERO;
    const computed = bps.isZero() ? multiplyDecimals(perUnit, quantity) : addDecimals(multiplyDecimals(perUnit, quantity), basisPointsOf(notional, bps));
    return isAboveZero(computed) ? maxDecimal(computed, minimum) : ZERO;
  }

  private finish(order: BrokerOrder, status: 'cancelled' | 'expired', reason?: string): void {
    order.status = status;
    this.retire(order);
    order.updatedAt = this.clock.now();
    if (reason) order.reason = reason;
    const at = order.updatedAt;
    this.publish(order, status === 'cancelled' ? { type: 'cancelled', at, ...(reason ? { reason } : {}) } : { type: 'expired', at });
    if (order.legs) this.releaseLegs(order);
    // Cancelling one leg of a pair takes the other with it, as the broker's OCO does.
    if (order.sibling && isWorking(order.sibling.status) && order.sibling.filledQuantity.isZero() && order.filledQuantity.isZero() && status === 'cancelled' && reason === undefined) {
      this.finish(order.sibling, 'cancelled', 'one-cancels-other: sibling cancelled');
    }
  }

  /** An order ended: past `retainEndedOrders` the oldest ended one is forgotten, and past `rememberClientIds` the oldest forgotten one's client id. */
  private retire(order: BrokerOrder): void {
    this.working.delete(order);
    if (this.retainEndedOrders === Number.POSITIVE_INFINITY) return;
    const oldest = this.ended.add(order.brokerOrderId);
    if (oldest === undefined) return;
    const forgotten = this.orders.get(oldest);
    this.orders.delete(oldest);
    if (!forgotten || this.rememberClientIds === Number.POSITIVE_INFINITY) return;
    const oldestId = this.forgottenIds.add(forgotten.clientOrderId);
    if (oldestId !== undefined) this.byClientId.delete(oldestId);
  }

  /** Quantity of this order that would increase the absolute position (needs buying power). */
  private increasingQuantity(symbol: string, side: OrderSide, quantity: Decimal): Decimal {
    const position = this.ledger.quantity(symbol);
    const opposite = !position.isZero() && (side === 'buy' ? position.isNegative() : position.isPositive());
    if (!opposite) return quantity;
    // The part that only reduces the opposite position needs no buying power.
    const reducible = position.abs();
    return compareDecimal(quantity, reducible) > 0 ? subtractDecimals(quantity, reducible) : ZERO;
  }

  /** The book marked at the current prices (a position without a price at its average cost). */
  private readonly mark = (symbol: string): Decimal | undefined => this.prices.get(symbol);

  private buyingPower({ marketValue, grossExposure }: BookValuation = this.ledger.currentValuation()): Decimal {
    const equity = addDecimals(this.ledger.cash, marketValue);
    const reserved = this.working.reserved;
    const power = subtractDecimals(this.unlevered ? equity : multiplyDecimals(equity, this.leverage), grossExposure);
    return maxDecimal(subtractDecimals(power, reserved), ZERO);
  }

  private find(ref: OrderRef): BrokerOrder | undefined {
    if (ref.brokerOrderId) {
      const byBroker = this.orders.get(ref.brokerOrderId);
      if (byBroker) return byBroker;
    }
    const id = ref.clientOrderId ? this.byClientId.get(ref.clientOrderId) : undefined;
    return id === undefined ? undefined : this.orders.get(id);
  }

  private report(order: BrokerOrder): OrderStatusReport {
    const report: Mutable<OrderStatusReport> = {
      clientOrderId: order.clientOrderId,
      brokerOrderId: order.brokerOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      status: order.status,
      quantity: order.quantity,
      filledQuantity: order.filledQuantity,
      fills: order.fills.slice(),
      updatedAt: order.updatedAt,
    };
    // Assigned, not spread in: conditional spreads cost ~60 ns each in V8 (measured).
    if (order.averageFillPrice) report.averageFillPrice = order.averageFillPrice;
    if (order.limitPrice) report.limitPrice = order.limitPrice;
    if (order.stopPrice && order.type !== 'trailing_stop') report.stopPrice = order.stopPrice;
    if (order.reason) report.reason = order.reason;
    return report;
  }

  private publish(order: BrokerOrder, event: OrderEvent): void {
    this.outbox.push({ clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId, event });
  }

  /**
   * Sends the queued updates: at once, or after the stream's latency (see `streamLatencyMs`).
   * A stream is one ordered connection: news sent after a latency drop waits behind news still on
   * the way (it would otherwise overtake it — a cancel heard before the fill that preceded it).
   */
  private flush(): void {
    if (this.outbox.length > 0 && (this.streamLatencyMs > 0 || this.inFlight.length > 0)) {
      const batch = this.outbox.splice(0);
      const at = this.clock.now() + this.streamLatencyMs;
      const last = this.inFlight[this.inFlight.length - 1];
      if (last && last.at >= at) {
        last.updates.push(...batch);
        return;
      }
      const leg = { at, updates: batch };
      this.inFlight.push(leg);
      this.clock.setTimeout(() => {
        this.inFlight.splice(this.inFlight.indexOf(leg), 1);
        this.arriving.push(...leg.updates);
        this.drain();
      }, this.streamLatencyMs, KEEP_ALIVE);
      return;
    }
    this.drain();
  }

  /**
   * Delivers queued updates in order. Re-entrant calls (a listener that submits another order)
   * only queue; the outer drain delivers them after the current update, so order is kept.
   */
  private drain(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      // What has arrived first, then what was sent with no latency.
      for (let update = this.arriving.shift() ?? this.outbox.shift(); update !== undefined; update = this.arriving.shift() ?? this.outbox.shift()) {
        if (!this.streamUp) {
          this.missedUpdates++;
          continue;
        }
        this.lastMessageAt = this.clock.now();
        for (const listener of this.updateListeners) listener(update);
      }
    } finally {
      this.flushing = false;
    }
  }

  private announce(change: ConnectionChange): void {
    for (const listener of this.connectionListeners) listener(change);
  }
}

function checkIncrement(field: 'limit' | 'stop', price: Decimal | undefined, increment: Decimal | undefined): void {
  if (price && increment && !price.dividedBy(increment).isInteger()) {
    throw new BrokerError('sub_penny_price', `mock broker: ${field} price ${price.toString()} is not a multiple of ${increment.toString()}`, { status: 422 });
  }
}

function isWorking(status: OrderStatus): boolean {
  return status === 'accepted' || status === 'partially_filled' || status === 'pending_cancel';
}

function inferAssetClass(symbol: string): AssetClass {
  if (symbol.includes('/')) return 'crypto';
  if (symbol.includes('_')) return 'forex';
  return 'equity';
}

/** A symbol the mock can trade: a non-empty string. */
function checkSymbol(symbol: unknown): asserts symbol is string {
  if (typeof symbol !== 'string' || symbol.trim() === '') throw new ValidationError([{ field: 'symbol', message: `must be a non-empty string, got ${JSON.stringify(symbol) ?? String(symbol)}` }], 'mock broker symbol');
}
