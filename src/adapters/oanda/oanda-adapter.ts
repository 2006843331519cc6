import {
  type AccountEvent,
  AdapterListeners,
  type AccountSnapshot,
  type AdapterHealth,
  type AssetInfo,
  type BrokerAdapter,
  BrokerError,
  type Clock,
  ConfigurationError,
  type ConnectionChange,
  consoleLogger,
  Decimal,
  describeError,
  isBrokerError,
  isTerminalStatus,
  type Logger,
  type Order,
  type OrderChanges,
  type OrderList,
  type OrderRef,
  type OrderStatusReport,
  type OrderUpdate,
  type PositionReport,
  checkTimings,
  readCredentials,
  readEndpoint,
  type RequestGate,
  systemClock,
  type Unsubscribe,
} from 'tradewire';
import { OANDA_CAPABILITIES } from './capabilities.js';
import { OANDA_HOSTS, OandaClient } from './client.js';
import { toOandaInstrument } from './instruments.js';
import { dependentKey, dependentOrder, oandaListRequest, oandaOrderRequest, type OandaOrderRequest, oandaUnits } from './order-request.js';
import { OrderNames } from './order-names.js';
import { StandalonePairs } from './standalone-pairs.js';
import { TransactionFeed } from './transaction-feed.js';
import { transactionMeaning } from './transactions.js';
import {
  accountFromOanda,
  assetFromOanda,
  cancelOutcome,
  type OandaAccountSummaryJson,
  type OandaInstrumentJson,
  type OandaOrderJson,
  type OandaPositionJson,
  type OandaTradeJson,
  type OandaTransactionJson,
  orderReportFromOanda,
  positionFromOanda,
} from './wire.js';

export interface OandaAdapterOptions {
  /** The personal access token; default `process.env.OANDA_API_TOKEN`. */
  readonly token?: string;
  /** The v20 account (e.g. `101-004-1234567-001`); default `process.env.OANDA_ACCOUNT_ID`. */
  readonly accountId?: string;
  /** Trade real money (`api-fxtrade`). Default false: the practice environment (`api-fxpractice`). */
  readonly live?: boolean;
  /**
   * Another REST origin (a proxy, or a local test server); default `process.env.OANDA_REST_URL`, else
   * OANDA's practice or live host. The other environment's host is refused.
   */
  readonly restUrl?: string;
  /** Another stream origin; default `process.env.OANDA_STREAM_URL`, else OANDA's practice or live stream host. */
  readonly streamUrl?: string;
  readonly fetch?: typeof fetch;
  /** Per REST request, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** `stream` (default): the transaction stream; `poll`: `GET …/changes` on a timer. */
  readonly transport?: 'stream' | 'poll';
  /** No stream line for this long means the stream is dead (default 15 000; OANDA heartbeats every 5 s). */
  readonly heartbeatTimeoutMs?: number;
  /** Poll mode's interval (default 1 000 ms). */
  readonly pollIntervalMs?: number;
  /** Stream reconnect backoff (default 500 ms doubling to 30 s). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /** How long `connect()` waits for the stream (default 15 000 ms). */
  readonly connectTimeoutMs?: number;
  /** Refuse orders whose margin exceeds what is available, before sending (default true). */
  readonly checkMargin?: boolean;
  /**
   * How many ended orders the adapter remembers (default 10 000; -1: all): their OANDA ids, names
   * and protective pairing, for a look-up or a late transaction soon after an order ends. Each order
   * ending past that forgets the oldest, so a long-running process keeps its working orders and a
   * bounded window of ended ones, not every order it ever sent.
   */
  readonly retainEndedOrders?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * v20's answer to creating (POST) or replacing (PUT) an order. On a create, `orderCancelTransaction`
 * cancels the new order (a FOK not filled); on a replace it cancels the *replaced* one, and
 * `replacingOrderCancelTransaction` is the replacement's own.
 */
interface PostOrderAnswer {
  readonly orderCreateTransaction?: OandaTransactionJson;
  readonly orderFillTransaction?: OandaTransactionJson;
  readonly orderCancelTransaction?: OandaTransactionJson;
  readonly replacingOrderCancelTransaction?: OandaTransactionJson;
  readonly lastTransactionID?: string;
}

/** The events that end an order unfilled (with `filled`, every end an OANDA order has). */
const ENDED_UNFILLED: ReadonlySet<string> = new Set(['cancelled', 'rejected', 'expired']);

/** A send OANDA surely did not act on: refused with an answer (or before sending), not lost on the way, nor a duplicate of one it holds. */
function neverLanded(error: unknown): boolean {
  return isBrokerError(error) && !error.mayHaveReachedBroker && error.code !== 'broker_duplicate_client_order_id';
}

/**
 * A send that failed on the way lands, if at all, within seconds (OANDA answers in milliseconds); an
 * entry still not found a minute after it went never landed (the engine's own window for late landings).
 */
const LATE_LANDING_MS = 60_000;

/** A placeholder broker id for a leg OANDA creates only when its entry fills; the adapter addresses it by client id. */
const PENDING_LEG = 'on-fill:';

/**
 * OANDA v20 over a small typed fetch client: REST for orders, trades, positions and the account,
 * and the transaction stream (or `/changes` polling) for what happens to them. Practice unless
 * `live: true`.
 *
 * - Our client order id is `clientExtensions.id`, on every order and on every on-fill take-profit /
 *   stop-loss, and orders are addressed by it (`@id`), so a resend is refused as a duplicate and a
 *   leg that OANDA creates later still reports under our id.
 * - Brackets are native: on-fill dependent orders. An OCO for a position held sets the trade's
 *   take-profit and stop-loss; changing a leg later goes through the trade's dependent orders. A
 *   position of several trades gets two standalone reduce-only orders instead, kept
 *   one-cancels-other by the adapter (see `StandalonePairs`).
 * - Quantities and prices are rounded to the instrument's precision; a margin check runs before
 *   an order is sent.
 * - The bearer token lives in request headers only: never in a log, an event, an error or the journal.
 */
export class OandaAdapter implements BrokerAdapter {
  readonly name = 'oanda';
  readonly capabilities = OANDA_CAPABILITIES;
  readonly rateLimit = { requests: 100, perMs: 1_000 } as const;
  readonly live: boolean;
  readonly accountId: string;

  // Private (#): the token is in both; neither util.inspect nor JSON.stringify may show it (see toJSON).
  readonly #client: OandaClient;
  readonly #options: OandaAdapterOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private feed: TransactionFeed | undefined;
  private readonly instruments = new Map<string, OandaInstrumentJson>();
  /** Which of our orders each OANDA id is (and the id a renamed or replaced order is addressed by); ended ones forgotten after `retainEndedOrders`. */
  private readonly names: OrderNames;
  /** Bracket entries (by our client id) and the legs OANDA will create when they fill; `sentAt` for one whose send may not have landed. */
  private readonly pendingLegs = new Map<string, { readonly legs: Order[]; readonly sentAt: number }>();
  /** Protective pairs over positions of several trades: standalone, kept one-cancels-other here. */
  private readonly pairs = new StandalonePairs();
  private currency = 'USD';
  private readonly listeners = new AdapterListeners();
  private gate: RequestGate = (call) => call();

  constructor(options: OandaAdapterOptions = {}) {
    const { token, accountId } = readCredentials({ token: [options.token, 'OANDA_API_TOKEN'], accountId: [options.accountId, 'OANDA_ACCOUNT_ID'] });
    checkTimings({ timeoutMs: options.timeoutMs, connectTimeoutMs: options.connectTimeoutMs, heartbeatTimeoutMs: options.heartbeatTimeoutMs, pollIntervalMs: options.pollIntervalMs, 'reconnect.initialMs': options.reconnect?.initialMs, 'reconnect.maxMs': options.reconnect?.maxMs }, { retainEndedOrders: options.retainEndedOrders });
    if (options.transport !== undefined && options.transport !== 'stream' && options.transport !== 'poll') throw new ConfigurationError([{ field: 'transport', message: `must be 'stream' or 'poll', got ${JSON.stringify(options.transport) ?? String(options.transport)}` }]);
    this.#options = options;
    this.names = new OrderNames(options.retainEndedOrders ?? 10_000);
    this.live = options.live === true;
    this.accountId = accountId;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    const hosts = this.live ? OANDA_HOSTS.live : OANDA_HOSTS.practice;
    const other = Object.values(this.live ? OANDA_HOSTS.practice : OANDA_HOSTS.live).map((url) => new URL(url).host);
    this.#client = new OandaClient({
      token,
      restUrl: readEndpoint('restUrl', options.restUrl, 'OANDA_REST_URL', other) ?? hosts.rest,
      streamUrl: readEndpoint('streamUrl', options.streamUrl, 'OANDA_STREAM_URL', other) ?? hosts.stream,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  // ------------------------------------------------------------------ connection

  /** Reads the account (failing fast on a bad token), then opens the transaction feed and waits for it. */
  async connect(): Promise<void> {
    if (this.feed) return;
    const summary = await this.summary();
    const feed = new TransactionFeed(
      {
        client: this.#client,
        accountId: this.accountId,
        clock: this.clock,
        logger: this.logger,
        mode: this.#options.transport ?? 'stream',
        heartbeatTimeoutMs: this.#options.heartbeatTimeoutMs ?? 15_000,
        pollIntervalMs: this.#options.pollIntervalMs ?? 1_000,
        reconnect: { initialMs: this.#options.reconnect?.initialMs ?? 500, maxMs: this.#options.reconnect?.maxMs ?? 30_000 },
        onTransaction: (tx) => this.onTransaction(tx),
        onConnection: (change) => this.announce(change),
      },
      summary.lastTransactionID ?? '0',
    );
    this.feed = feed;
    const up = new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), this.#options.connectTimeoutMs ?? 15_000);
      const off = this.onConnectionChange((change) => {
        if (change.state !== 'connected') return;
        off();
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
    feed.start();
    if (!(await up)) {
      feed.stop();
      this.feed = undefined;
      throw new BrokerError('timeout', 'OANDA: the transaction stream did not connect in time');
    }
  }

  async disconnect(): Promise<void> {
    this.feed?.stop();
    this.feed = undefined;
  }

  /** Routes this adapter's own fan-outs through the engine's rate limiter (see BrokerAdapter.useRequestGate). */
  useRequestGate(gate: RequestGate): void {
    this.gate = gate;
  }

  /** What `JSON.stringify` shows: the account and where it trades, never the token. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, accountId: this.accountId, live: this.live };
  }

  /** What `util.inspect` (and `console.log`) shows: the same as {@link toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `OandaAdapter ${JSON.stringify(this.toJSON())}`;
  }

  health(): AdapterHealth {
    return {
      connected: this.feed !== undefined,
      streamConnected: this.feed?.connected ?? false,
      ...(this.feed?.lastMessageAt === undefined ? {} : { lastMessageAt: this.feed.lastMessageAt }),
      detail: `${this.live ? 'live' : 'practice'}; last transaction ${this.feed?.lastTransactionId ?? '-'}`,
    };
  }

  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe {
    return this.listeners.onOrderUpdate(listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    return this.listeners.onConnectionChange(listener);
  }

  onAccountEvent(listener: (event: AccountEvent) => void): Unsubscribe {
    return this.listeners.onAccountEvent(listener);
  }

  // ------------------------------------------------------------------ account and instruments

  async getAccount(): Promise<AccountSnapshot> {
    return accountFromOanda(await this.summary(), this.clock.now());
  }

  async getPositions(): Promise<readonly PositionReport[]> {
    const { positions } = await this.#client.get<{ positions: OandaPositionJson[] }>(`${this.base}/openPositions`);
    return positions.map(positionFromOanda).filter((p) => !p.quantity.isZero());
  }

  async getAsset(symbol: string): Promise<AssetInfo | undefined> {
    const instrument = await this.instrument(symbol).catch((error: unknown) => {
      if (isBrokerError(error) && (error.code === 'invalid_symbol' || error.code === 'invalid_order' || error.code === 'broker_not_found')) return undefined;
      throw error;
    });
    return instrument ? assetFromOanda(instrument) : undefined;
  }

  /** The current closeout bid and ask of an instrument (`GET …/pricing`), for hosts without a feed. */
  async getQuote(symbol: string): Promise<{ readonly bid: Decimal; readonly ask: Decimal; readonly at: number } | undefined> {
    const name = (await this.instrument(symbol)).name;
    const { prices } = await this.#client.get<{ prices: { instrument: string; closeoutAsk?: string; closeoutBid?: string; time?: string }[] }>(`${this.base}/pricing?instruments=${name}`);
    const quote = prices.find((p) => p.instrument === name);
    if (!quote?.closeoutAsk || !quote.closeoutBid) return undefined;
    return { bid: new Decimal(quote.closeoutBid), ask: new Decimal(quote.closeoutAsk), at: Date.parse(quote.time ?? '') || this.clock.now() };
  }

  /**
   * What the adapter keeps in memory about orders: the orders it knows by name (working, and the
   * newest `retainEndedOrders` ended), their OANDA ids, and the entries kept for protective pairs.
   * For a long-running host's health check: these stay bounded however many orders go by. `unbornLegs`:
   * bracket legs waiting for their entry to fill (OANDA creates them then).
   */
  remembered(): { readonly orders: number; readonly orderIds: number; readonly pairEntries: number; readonly unbornLegs: number } {
    const { orders, brokerOrderIds } = this.names.size;
    let unbornLegs = 0;
    for (const { legs } of this.pendingLegs.values()) unbornLegs += legs.length;
    return { orders, orderIds: brokerOrderIds, pairEntries: this.pairs.size, unbornLegs };
  }

  /** Open trades, as OANDA keeps them (one per fill that opened units, with their dependent orders). */
  async getOpenTrades(): Promise<readonly OandaTradeJson[]> {
    return (await this.#client.get<{ trades: OandaTradeJson[] }>(`${this.base}/openTrades`)).trades;
  }

  // ------------------------------------------------------------------ orders

  async getOpenOrders(): Promise<readonly OrderStatusReport[]> {
    const [{ orders }, trades] = await Promise.all([this.#client.get<{ orders: OandaOrderJson[] }>(`${this.base}/pendingOrders`), this.getOpenTrades()]);
    // A standalone pair a process before this one placed: one-cancels-other again (the engine's recover() lists the open orders).
    const relinked = this.pairs.relink(orders);
    if (relinked > 0) this.logger.info(`oanda: ${relinked} standalone pair(s) linked again from their comments`);
    // A trade's own take-profit and stop-loss are a pair too: a leg of it re-created standalone later
    // (the position grew past its trade) names the other, as it would in the process that placed them.
    for (const trade of trades) this.pairs.tradeLegs(trade);
    return orders.map((o) => {
      const trade = o.tradeID ? trades.find((t) => t.id === o.tradeID) : undefined;
      return this.report(o, trade ? { tradeUnits: trade.currentUnits, instrument: trade.instrument } : {});
    });
  }

  async getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined> {
    let order: OandaOrderJson | undefined;
    try {
      order = (await this.#client.get<{ order: OandaOrderJson }>(`${this.base}/orders/${this.specifier(ref)}`)).order;
    } catch (error) {
      if (isBrokerError(error) && error.code === 'broker_not_found') return this.notFound(ref);
      throw error;
    }
    const followed = await this.followChain(order, ref);
    order = followed.order;
    const supersededBy = followed.supersededBy;
    // The fill (for its price and id) and the trade (a dependent order's units): asked for together.
    const [fill, trade] = await Promise.all([
      order.fillingTransactionID ? this.#client.get<{ transaction: OandaTransactionJson }>(`${this.base}/transactions/${order.fillingTransactionID}`).then((t) => t.transaction) : undefined,
      order.tradeID ? this.#client.get<{ trade: OandaTradeJson }>(`${this.base}/trades/${order.tradeID}`).then((t) => t.trade).catch(() => undefined) : undefined,
    ]);
    const report = this.report(order, { ...(fill ? { fill } : {}), ...(trade ? { tradeUnits: trade.currentUnits, instrument: trade.instrument } : {}), ...(ref.clientOrderId ? { clientOrderId: ref.clientOrderId } : {}) });
    // Looked up ended (a reconciliation after a gap): forgotten in time, like an end heard on the stream.
    if (supersededBy !== undefined || isTerminalStatus(report.status)) this.ended(report.clientOrderId);
    return supersededBy === undefined ? report : { ...report, status: 'cancelled', reason: `replaced by ${supersededBy}` };
  }

  /**
   * A replaced order (a replace whose answer was lost, one made on OANDA's platform, a dependent
   * re-created standalone) stands for its replacement: the chain is followed to the live one, which
   * is addressed by its own id from then on. A replacement named for another of our orders (a new
   * pair set on the trade over this one) is not this order's: this one ended there, unfilled
   * (`supersededBy`). A dependent cancelled with no successor this process knows of may have been
   * re-created standalone by a process before a restart: its name finds it.
   */
  private async followChain(start: OandaOrderJson, ref: OrderRef): Promise<{ order: OandaOrderJson; supersededBy?: string }> {
    const logical = this.pairs.ours(ref.clientOrderId ?? start.clientExtensions?.id ?? '');
    const successor = (o: OandaOrderJson): string | undefined => o.replacedByOrderID ?? this.pairs.successorOf(o.id);
    const take = (o: OandaOrderJson): void => {
      if (!ref.clientOrderId) return;
      this.names.rename(ref.clientOrderId, o.id);
    };
    let order = start;
    if (order.state === 'CANCELLED' && order.tradeID && !successor(order) && logical !== '') {
      const recreated = await this.orderNamed(StandalonePairs.nameOf(logical, 1));
      if (recreated) {
        this.pairs.recreatedAs(order.id, recreated.id);
        order = recreated;
        take(order);
      }
    }
    for (let hops = 0, next = successor(order); next && hops < 20; hops++, next = successor(order)) {
      const replacement = (await this.#client.get<{ order: OandaOrderJson }>(`${this.base}/orders/${next}`)).order;
      const named = replacement.clientExtensions?.id;
      if (named !== undefined && this.pairs.ours(named) !== logical) return { order, supersededBy: named };
      order = replacement;
      take(order);
    }
    return { order };
  }

  async submitOrder(order: Order): Promise<OrderStatusReport> {
    const instrument = await this.instrument(order.symbol);
    const request = oandaOrderRequest(order, instrument);
    await this.checkMargin(order, request, instrument);
    return this.post(order, request);
  }

  /**
   * Bracket / OTO: one order with on-fill dependents (OANDA creates them when the entry fills, named
   * with our ids). OCO: the take-profit and stop-loss of the one open trade in the instrument — or,
   * when the position is not that one trade, a standalone reduce-only pair the adapter links.
   */
  async submitOrderList(list: OrderList): Promise<OrderStatusReport> {
    const [first, ...legs] = list.orders as [Order, ...Order[]];
    const instrument = await this.instrument(first.symbol);
    if (list.kind === 'oco') return this.protectTrade(list, instrument);
    const request = oandaListRequest(list, instrument);
    await this.checkMargin(first, request, instrument);
    this.pendingLegs.set(first.clientOrderId, { legs, sentAt: this.clock.now() });
    let report: OrderStatusReport;
    try {
      report = await this.post(first, request);
    } catch (error) {
      // Refused outright: no entry, so no legs to be born. One that may have landed keeps them (its fill would bring them).
      if (neverLanded(error)) this.pendingLegs.delete(first.clientOrderId);
      throw error;
    }
    // The legs are born when the entry fills (the stream names them with our ids); until then they wait.
    return { ...report, legs: legs.map((leg) => this.unbornReport(leg)) };
  }

  /**
   * OANDA replaces by cancelling and creating (a new order id); the chain stays under our client
   * order id. A take-profit / stop-loss on a trade is changed through the trade's dependent orders,
   * and covers the whole trade (its quantity cannot change).
   */
  async replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    const current = (await this.#client.get<{ order: OandaOrderJson }>(`${this.base}/orders/${this.specifier(order)}`)).order;
    const instrument = await this.instrument(order.symbol);
    const next: Order = { ...order, ...changes } as Order;
    if (current.tradeID) {
      const units = changes.quantity ? await this.tradeUnits(current.tradeID) : undefined;
      // A size the trade already has (a partial exit left it at that) is the dependent's already.
      const covered = units !== undefined && new Decimal(units).abs().equals(changes.quantity!);
      if (changes.quantity && !covered) return this.recreateStandalone(order, current, next, instrument);
      if (covered && changes.limitPrice === undefined && changes.stopPrice === undefined && changes.trailPercent === undefined && changes.trailAmount === undefined) {
        return this.report(current, { clientOrderId: order.clientOrderId, tradeUnits: units, instrument: order.symbol });
      }
      const key = dependentKey(order);
      const answer = await this.#client.put<Record<string, OandaTransactionJson | undefined>>(`${this.base}/trades/${current.tradeID}/orders`, { [key]: dependentOrder(next, instrument, undefined) });
      const created = answer[`${key}OrderTransaction`];
      if (!created) throw new BrokerError('broker_unknown', `OANDA: no ${key} order in the answer to the change`);
      this.names.rename(order.clientOrderId, created.id);
      return this.report(this.orderFromTransaction(created, 'PENDING'), { clientOrderId: order.clientOrderId, tradeUnits: (await this.tradeUnits(current.tradeID)) ?? '0', instrument: order.symbol });
    }
    const request = oandaOrderRequest(next, instrument);
    const path = `${this.base}/orders/${this.specifier(order)}`;
    let answer: PostOrderAnswer;
    try {
      answer = await this.#client.put<PostOrderAnswer>(path, { order: request });
    } catch (error) {
      // If OANDA will not give the replacement the replaced order's client id, it goes without one:
      // the replacement is ours by OANDA's id (kept in `names`), whatever it is named.
      if (!isBrokerError(error) || error.code !== 'broker_duplicate_client_order_id') throw error;
      const { clientExtensions: _taken, ...unnamed } = request;
      answer = await this.#client.put<PostOrderAnswer>(path, { order: unnamed });
    }
    if (!answer.orderCreateTransaction) throw new BrokerError('broker_unknown', 'OANDA: the replace created no order');
    // After a replace, `@<id>` could name the cancelled original or the replacement: address the replacement by its own id.
    this.names.rename(order.clientOrderId, answer.orderCreateTransaction.id);
    return this.answerReport(order.clientOrderId, answer, true);
  }

  async cancelOrder(ref: OrderRef): Promise<void> {
    await this.#client.put(`${this.base}/orders/${this.specifier(ref)}/cancel`);
  }

  /** OANDA has no cancel-all: every pending order (dependents included) is cancelled, in parallel. */
  async cancelAllOrders(): Promise<void> {
    const { orders } = await this.#client.get<{ orders: OandaOrderJson[] }>(`${this.base}/pendingOrders`);
    // One cancel per pending order (v20 has no cancel-all): through the engine's rate limiter.
    const results = await Promise.allSettled(orders.map((o) => this.gate(() => this.#client.put(`${this.base}/orders/${o.id}/cancel`), 'cancel')));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) throw new BrokerError('broker_unknown', `OANDA: ${failed.length} of ${orders.length} cancels failed`, { details: { errors: failed.map((r) => describeError((r as PromiseRejectedResult).reason)) } });
  }

  // ------------------------------------------------------------------ internals

  private get base(): string {
    return `/v3/accounts/${this.accountId}`;
  }

  /** `@ourId` whenever we have it: OANDA finds an order by its client extension id. */
  private specifier(ref: OrderRef): string {
    const renamed = ref.clientOrderId ? this.names.renamedOf(ref.clientOrderId) : undefined;
    if (renamed) return renamed;
    // OANDA's own id when the core knows it (it follows replacements, where `@<id>` may be ambiguous
    // or gone); `@<our id>` for an order not yet acknowledged, or a leg OANDA creates on fill.
    if (ref.brokerOrderId && !ref.brokerOrderId.startsWith(PENDING_LEG)) return ref.brokerOrderId;
    if (ref.clientOrderId) return `@${encodeURIComponent(ref.clientOrderId)}`;
    return ref.brokerOrderId!;
  }

  private async summary(): Promise<OandaAccountSummaryJson> {
    const { account } = await this.#client.get<{ account: OandaAccountSummaryJson }>(`${this.base}/summary`);
    this.currency = account.currency;
    return account;
  }

  private async instrument(symbol: string): Promise<OandaInstrumentJson> {
    let name: string;
    try {
      name = toOandaInstrument(symbol);
    } catch {
      throw new BrokerError('invalid_symbol', `OANDA: ${JSON.stringify(symbol)} is not an OANDA instrument name (like EUR_USD)`);
    }
    const cached = this.instruments.get(name);
    if (cached) return cached;
    const { instruments } = await this.#client.get<{ instruments: OandaInstrumentJson[] }>(`${this.base}/instruments?instruments=${name}`);
    const found = instruments.find((i) => i.name === name);
    if (!found) throw new BrokerError('invalid_symbol', `OANDA: unknown instrument ${name}`);
    this.instruments.set(name, found);
    return found;
  }

  private async tradeUnits(tradeId: string): Promise<string | undefined> {
    return (await this.#client.get<{ trade: OandaTradeJson }>(`${this.base}/trades/${tradeId}`).catch(() => undefined))?.trade.currentUnits;
  }

  /**
   * Margin before sending: units × price × the instrument's margin rate, in the account currency
   * when the instrument is quoted (or based) in it. Crosses in other currencies are left to OANDA.
   */
  private async checkMargin(order: Order, request: OandaOrderRequest, instrument: OandaInstrumentJson): Promise<void> {
    if (this.#options.checkMargin === false || order.reduceOnly || !instrument.marginRate) return;
    const [base, quote] = instrument.name.split('_') as [string, string];
    const units = new Decimal(request.units).abs();
    // v20: the margin rate that applies is the larger of the instrument's and the account's (an
    // account set to lower leverage than the instrument allows needs more margin).
    const account = await this.summary();
    const marginRate = Decimal.max(instrument.marginRate, account.marginRate ?? 0);
    let required: Decimal | undefined;
    if (base === this.currency) required = units.times(marginRate);
    else if (quote === this.currency) {
      const price = order.limitPrice ?? order.stopPrice ?? order.priceBound ?? (await this.getQuote(instrument.name))?.ask;
      if (price) required = units.times(price).times(marginRate);
    }
    if (!required) return;
    const available = new Decimal(account.marginAvailable ?? account.NAV);
    if (required.greaterThan(available)) {
      throw new BrokerError('insufficient_buying_power', `OANDA: ${units.toString()} ${instrument.name} needs ${required.toFixed(2)} ${this.currency} of margin, ${available.toFixed(2)} available`, {
        details: { required: required.toString(), available: available.toString(), marginRate: marginRate.toString() },
      });
    }
  }

  private async post(order: Order, request: OandaOrderRequest): Promise<OrderStatusReport> {
    const answer = await this.#client.post<PostOrderAnswer>(`${this.base}/orders`, { order: request });
    return this.answerReport(order.clientOrderId, answer);
  }

  /**
   * The answer to a create / replace: filled (with its fill), cancelled (a FOK not filled, with
   * OANDA's reason) or pending. An answer with a fill *and* a cancel is an IOC that filled in part:
   * cancelled, with the part that filled — not `filled` short of its quantity.
   */
  private answerReport(clientOrderId: string, answer: PostOrderAnswer, replacing = false): OrderStatusReport {
    const created = answer.orderCreateTransaction;
    if (!created) throw new BrokerError('broker_unknown', 'OANDA: the answer carried no order');
    const cancelled = replacing ? answer.replacingOrderCancelTransaction : answer.orderCancelTransaction;
    const state = cancelled ? 'CANCELLED' : answer.orderFillTransaction ? 'FILLED' : 'PENDING';
    const report = this.report(this.orderFromTransaction(created, state), { clientOrderId, ...(answer.orderFillTransaction ? { fill: answer.orderFillTransaction } : {}) });
    const reason = cancelled?.reason;
    if (!reason) return report;
    // The cancel's reason says whether OANDA refused the order, let it expire, or cancelled it.
    const outcome = cancelOutcome(reason);
    return { ...report, reason, ...(outcome === 'cancelled' || report.filledQuantity.greaterThan(0) ? {} : { status: outcome }) };
  }

  private orderFromTransaction(tx: OandaTransactionJson, state: string): OandaOrderJson {
    return {
      id: tx.id,
      state,
      type: tx.type.replace(/_ORDER$/, ''),
      ...(tx.instrument ? { instrument: tx.instrument } : {}),
      ...(tx.units ? { units: tx.units } : {}),
      ...(tx.timeInForce ? { timeInForce: tx.timeInForce } : {}),
      ...(tx.price ? { price: tx.price } : {}),
      ...(tx.tradeID ? { tradeID: tx.tradeID } : {}),
      ...(tx.clientExtensions ? { clientExtensions: tx.clientExtensions } : {}),
      ...(tx.replacesOrderID ? { replacesOrderID: tx.replacesOrderID } : {}),
      ...(tx.time ? { createTime: tx.time } : {}),
    };
  }

  private report(order: OandaOrderJson, options: Parameters<typeof orderReportFromOanda>[1] = {}): OrderStatusReport {
    // Ours first: an order whose client extensions were changed elsewhere is still our order.
    const clientOrderId = options.clientOrderId ?? this.names.clientIdOf(order.id) ?? order.clientExtensions?.id;
    return orderReportFromOanda(order, { ...options, ...(clientOrderId ? { clientOrderId } : {}) });
  }

  /** A bracket leg OANDA has not created yet (its entry has not filled): working, under our id. */
  private unbornReport(leg: Order): OrderStatusReport {
    return {
      clientOrderId: leg.clientOrderId,
      brokerOrderId: `${PENDING_LEG}${leg.clientOrderId}`,
      symbol: leg.symbol,
      side: leg.side,
      type: leg.type,
      status: 'accepted',
      quantity: leg.quantity,
      filledQuantity: new Decimal(0),
      ...(leg.limitPrice ? { limitPrice: leg.limitPrice } : {}),
      ...(leg.stopPrice ? { stopPrice: leg.stopPrice } : {}),
      updatedAt: this.clock.now(),
    };
  }

  /**
   * Not at OANDA: a leg whose entry is still pending (it does not exist yet, but is not lost) — or a
   * bracket entry whose send may have landed, looked up longer than {@link LATE_LANDING_MS} after it
   * went, which never will: its legs are let go (kept, they stayed in memory for good).
   */
  private notFound(ref: OrderRef): OrderStatusReport | undefined {
    const entry = ref.clientOrderId === undefined ? undefined : this.pendingLegs.get(ref.clientOrderId);
    if (entry && this.clock.now() - entry.sentAt > LATE_LANDING_MS) this.pendingLegs.delete(ref.clientOrderId!);
    return this.unbornLeg(ref);
  }

  /** Looking up a leg whose entry is still pending: it does not exist at OANDA yet, but is not lost. */
  private unbornLeg(ref: OrderRef): OrderStatusReport | undefined {
    for (const { legs } of this.pendingLegs.values()) {
      const leg = legs.find((l) => l.clientOrderId === ref.clientOrderId);
      if (leg) return this.unbornReport(leg);
    }
    return undefined;
  }

  /**
   * OCO for a position held: the trade's take-profit and stop-loss (OANDA cancels the other when
   * one closes the trade). Needs exactly one open trade in the instrument, of the list's size.
   */
  private async protectTrade(list: OrderList, instrument: OandaInstrumentJson): Promise<OrderStatusReport> {
    const [takeProfit, stopLoss] = list.orders as [Order, Order];
    this.pairs.legs(takeProfit.clientOrderId, stopLoss.clientOrderId);
    try {
      return await this.protectHeld(takeProfit, stopLoss, instrument);
    } catch (error) {
      // Refused outright: neither leg exists, and nothing will end them to forget the pair.
      if (neverLanded(error)) this.pairs.dropLegs(takeProfit.clientOrderId, stopLoss.clientOrderId);
      throw error;
    }
  }

  private async protectHeld(takeProfit: Order, stopLoss: Order, instrument: OandaInstrumentJson): Promise<OrderStatusReport> {
    const trades = (await this.getOpenTrades()).filter((t) => t.instrument === instrument.name);
    // A trade's take-profit and stop-loss close it whichever way it goes: legs that close a short set
    // on a long (the position turned over, unheard yet) would sell it at once, at the wrong price.
    const held = trades.reduce((sum, t) => sum.plus(t.currentUnits), new Decimal(0));
    if (held.isZero() || held.isPositive() !== (takeProfit.side === 'sell')) {
      throw new BrokerError('invalid_order', `OANDA: the ${takeProfit.side === 'sell' ? 'long' : 'short'} position these legs protect is not held in ${instrument.name} (${held.toString()} units)`, { details: { units: held.toString() } });
    }
    // A trade's own take-profit and stop-loss cover that trade: the position must be that one trade, whole.
    const trade = trades.length === 1 ? trades[0]! : undefined;
    if (!trade || !new Decimal(trade.currentUnits).abs().equals(oandaUnits(takeProfit, instrument).replace('-', ''))) return this.standalonePair(takeProfit, stopLoss, instrument);
    const answer = await this.#client.put<Record<string, OandaTransactionJson | undefined>>(`${this.base}/trades/${trade.id}/orders`, {
      takeProfit: dependentOrder(takeProfit, instrument, new Decimal(trade.price)),
      [dependentKey(stopLoss)]: dependentOrder(stopLoss, instrument, new Decimal(trade.price)),
    });
    const tp = answer.takeProfitOrderTransaction;
    const sl = answer[`${dependentKey(stopLoss)}OrderTransaction`];
    if (!tp || !sl) throw new BrokerError('broker_unknown', 'OANDA: the trade change created no orders');
    const extra = { tradeUnits: trade.currentUnits, instrument: instrument.name };
    return { ...this.report(this.orderFromTransaction(tp, 'PENDING'), { ...extra, clientOrderId: takeProfit.clientOrderId }), legs: [this.report(this.orderFromTransaction(sl, 'PENDING'), { ...extra, clientOrderId: stopLoss.clientOrderId })] };
  }

  /**
   * An OCO over a position that is not one trade (see {@link StandalonePairs}): a standalone
   * reduce-only take-profit and stop, kept one-cancels-other here. The stop goes first — a target
   * alone is no protection —, and a target refused takes the stop back with it (a pair or nothing).
   */
  private async standalonePair(takeProfit: Order, stopLoss: Order, instrument: OandaInstrumentJson): Promise<OrderStatusReport> {
    if (stopLoss.type === 'trailing_stop') throw new BrokerError('invalid_order', `OANDA: a trailing stop exists only on a trade, and ${instrument.name} is not one trade`);
    const stop = await this.post(stopLoss, paired(oandaOrderRequest({ ...stopLoss, reduceOnly: true }, instrument), takeProfit.clientOrderId));
    let target: OrderStatusReport;
    try {
      target = await this.post(takeProfit, paired(oandaOrderRequest({ ...takeProfit, reduceOnly: true }, instrument), stopLoss.clientOrderId));
    } catch (error) {
      await this.#client.put(`${this.base}/orders/${stop.brokerOrderId}/cancel`).catch(() => undefined);
      throw error;
    }
    this.pairs.link(stop.brokerOrderId, target.brokerOrderId);
    return { ...target, legs: [stop] };
  }

  /**
   * A trade's take-profit or stop-loss asked to change size: a dependent covers its trade, so past
   * it (the position grew by another trade) it is cancelled and re-created standalone and
   * reduce-only for the size asked — under a name of its own (OANDA gives a client id once), so a
   * lost answer is looked up rather than left an order nobody knows — and paired with its sibling
   * once that is standalone too. Reported as a replace.
   */
  private async recreateStandalone(order: Order, current: OandaOrderJson, next: Order, instrument: OandaInstrumentJson): Promise<OrderStatusReport> {
    if (next.type === 'trailing_stop') throw new BrokerError('invalid_order', 'OANDA: a trailing stop exists only on a trade, and covers the whole trade; its quantity cannot change', { details: { tradeId: current.tradeID } });
    const name = this.pairs.nameFor(order.clientOrderId);
    const sibling = this.pairs.siblingOf(order.clientOrderId);
    const request = { ...oandaOrderRequest({ ...next, reduceOnly: true }, instrument), clientExtensions: { id: name, ...(sibling ? { comment: StandalonePairs.commentFor(sibling) } : {}) } };
    // Ours by OANDA's id too (after a restart no transaction may have named it): forgotten with the order.
    this.names.alias(current.id, order.clientOrderId);
    this.pairs.startRecreating(current.id);
    let report: OrderStatusReport;
    try {
      await this.#client.put(`${this.base}/orders/${current.id}/cancel`);
      report = await this.#client.post<PostOrderAnswer>(`${this.base}/orders`, { order: request }).then(
        (answer) => this.answerReport(order.clientOrderId, answer),
        // The answer lost: did it land? Its name finds it.
        async (error: unknown) => {
          const landed = await this.orderNamed(name);
          if (!landed) throw error;
          return this.report(landed, { clientOrderId: order.clientOrderId });
        },
      );
    } catch (error) {
      this.pairs.notRecreated(current.id);
      throw error;
    }
    const created = report.brokerOrderId;
    this.names.rename(order.clientOrderId, created);
    this.pairs.recreatedAs(current.id, created);
    const siblingId = sibling ? this.names.renamedOf(sibling) : undefined;
    if (siblingId && this.pairs.isStandalone(siblingId)) this.pairs.link(created, siblingId);
    return { ...report, replacesBrokerOrderId: current.id };
  }

  /** The order going by client id `name`, or undefined (not found, or the look-up failed). */
  private orderNamed(name: string): Promise<OandaOrderJson | undefined> {
    return this.#client.get<{ order: OandaOrderJson }>(`${this.base}/orders/@${encodeURIComponent(name)}`).then((r) => r.order, () => undefined);
  }

  /** Fetches an order a replace created and applies it whole; a failed fetch is tried again (5 times, from 250 ms doubling). */
  private followReplacement(clientOrderId: string, orderId: string, replaces: string, attempt = 1): void {
    void this.getOrder({ clientOrderId, brokerOrderId: orderId })
      .then((report) => report && this.emit({ clientOrderId, brokerOrderId: report.brokerOrderId, report: { ...report, replacesBrokerOrderId: replaces } }))
      .catch((error: unknown) => {
        this.logger.warn(`oanda: could not fetch ${orderId}, which replaced ${replaces}`, { error: describeError(error), attempt });
        if (attempt < 5) this.clock.setTimeout(() => this.followReplacement(clientOrderId, orderId, replaces, attempt + 1), 250 * 2 ** (attempt - 1));
      });
  }

  private onTransaction(tx: OandaTransactionJson): void {
    // A dependent cancelled to be re-created standalone: the logical order goes on as the new one.
    if (tx.type === 'ORDER_CANCEL' && tx.orderID && this.pairs.isBeingRecreated(tx.orderID)) return;
    // One of a standalone pair filled: the other is cancelled, as OANDA does a trade's other dependent.
    const sibling = tx.type === 'ORDER_FILL' && tx.orderID ? this.pairs.takeSibling(tx.orderID) : undefined;
    if (sibling) {
      void this.#client.put(`${this.base}/orders/${sibling}/cancel`).catch((error: unknown) => this.logger.warn(`oanda: could not cancel ${sibling}, the other side of a filled pair`, { error: describeError(error) }));
    }
    const meaning = transactionMeaning(tx, (orderId) => this.names.clientIdOf(orderId));
    if (meaning.replaced) {
      const logical = this.names.clientIdOf(meaning.replaced.from);
      if (logical) this.names.alias(meaning.replaced.by, logical);
      this.pairs.replaced(meaning.replaced.from, meaning.replaced.by);
    }
    if (meaning.renamed) {
      const ours = this.names.clientIdOf(meaning.renamed.orderId);
      if (ours && meaning.renamed.to !== ours) {
        this.names.rename(ours, meaning.renamed.orderId);
        this.logger.warn(`oanda: order ${ours} (${meaning.renamed.orderId}) was given the client id ${meaning.renamed.to ?? '(none)'} elsewhere; addressed by OANDA's id from now on`);
      }
    }
    for (const named of meaning.updates) {
      // A re-created order goes by a name of its own at OANDA: reported under ours.
      const ours = this.pairs.ours(named.clientOrderId);
      const update = ours === named.clientOrderId ? named : { ...named, clientOrderId: ours };
      if (update.brokerOrderId) this.names.alias(update.brokerOrderId, update.clientOrderId);
      // An order a replace created (ours, or made on OANDA's platform — a trade's stop moved there):
      // its price (a standalone order's units; a dependent's are its trade's, unchanged) and its new
      // id are the change. Named for an order of ours, applied so at once; else fetched and applied
      // under the id it replaced.
      if (tx.replacesOrderID && update.brokerOrderId === tx.id && update.event?.type === 'accepted') {
        if (update.clientOrderId === tx.id) {
          this.followReplacement(update.clientOrderId, tx.id, tx.replacesOrderID);
          continue;
        }
        const said = this.report(this.orderFromTransaction(tx, 'PENDING'), { clientOrderId: update.clientOrderId });
        const changes = { ...(said.limitPrice ? { limitPrice: said.limitPrice } : {}), ...(said.stopPrice ? { stopPrice: said.stopPrice } : {}), ...(tx.units ? { quantity: said.quantity } : {}) };
        this.emit({ clientOrderId: update.clientOrderId, brokerOrderId: tx.id, event: { type: 'modified', changes, brokerOrderId: tx.id, at: update.event.at, raw: tx } });
        continue;
      }
      this.emit(update);
      this.followLegs(update);
      this.track(update);
    }
    for (const event of meaning.account) this.listeners.emitAccountEvent(event);
  }

  /**
   * An order's end: a standalone leg that ended unfilled leaves its sibling nothing to cancel, and
   * what is kept of the order is forgotten once `retainEndedOrders` more have ended. An order heard
   * of again as working (a cancel refused) is not forgotten.
   */
  private track(update: OrderUpdate): void {
    const type = update.event?.type;
    if (type === undefined) return;
    if (type === 'filled' || ENDED_UNFILLED.has(type)) this.ended(update.clientOrderId);
    else this.names.living(update.clientOrderId);
  }

  private ended(clientOrderId: string): void {
    for (const id of this.names.brokerIdsOf(clientOrderId)) this.pairs.unlink(id);
    const forgotten = this.names.end(clientOrderId);
    if (forgotten) this.pairs.forget(forgotten.clientOrderId, forgotten.brokerOrderIds);
  }

  /** A bracket entry that ended unfilled takes its unborn legs with it; one that filled lets them be born. */
  private followLegs(update: OrderUpdate): void {
    const legs = this.pendingLegs.get(update.clientOrderId)?.legs;
    if (!legs || !update.event) return;
    if (update.event.type === 'filled') this.pendingLegs.delete(update.clientOrderId);
    if (ENDED_UNFILLED.has(update.event.type)) {
      this.pendingLegs.delete(update.clientOrderId);
      for (const leg of legs) this.emit({ clientOrderId: leg.clientOrderId, event: { type: 'cancelled', reason: `entry ${update.clientOrderId} ended unfilled`, at: update.event.at } });
    }
  }

  private emit(update: OrderUpdate): void {
    this.listeners.emitUpdate(update);
  }

  private announce(change: ConnectionChange): void {
    this.listeners.announce(change);
  }
}

/** A standalone leg's request naming its sibling (our client id) in its comment: a restarted adapter links them again. */
function paired<R extends { clientExtensions: { id: string; comment?: string } }>(request: R, siblingClientOrderId: string): R {
  return { ...request, clientExtensions: { ...request.clientExtensions, comment: StandalonePairs.commentFor(siblingClientOrderId) } };
}
