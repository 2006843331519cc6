import type { Alpaca, AlpacaClientOptions } from '@alpacahq/alpaca-trade-api';
import {
  AdapterListeners,
  type AccountSnapshot,
  type AdapterHealth,
  type AssetInfo,
  type BrokerAdapter,
  BrokerError,
  BrokerOrderIds,
  type Clock,
  ConfigurationError,
  type ConnectionChange,
  consoleLogger,
  describeError,
  isTerminalStatus,
  type Logger,
  type MarketCalendarDay,
  type MarketClock,
  type Order,
  type OrderChanges,
  type OrderList,
  type OrderRef,
  type OrderStatus,
  type OrderStatusReport,
  type OrderUpdate,
  type PositionReport,
  checkTimings,
  readCredentials,
  readEndpoint,
  redactBrokerError,
  type RequestGate,
  systemClock,
  type Unsubscribe,
} from 'tradewire';
import { ALPACA_CAPABILITIES } from './capabilities.js';
import { alpacaListBody, alpacaOrderBody, alpacaReplaceBody } from './order-request.js';
import { brokerErrorFromSdk } from './sdk-errors.js';
import { tradeUpdateMeaning } from './trade-updates.js';
import {
  type AlpacaAccountJson,
  type AlpacaAssetJson,
  type AlpacaCalendarJson,
  type AlpacaClockJson,
  type AlpacaOrderJson,
  orderFromSdk,
  type AlpacaPositionJson,
  type AlpacaTradeUpdateJson,
  accountFromAlpaca,
  assetFromAlpaca,
  calendarDayFromAlpaca,
  clockFromAlpaca,
  orderReportFromAlpaca,
  positionFromAlpaca,
} from './wire.js';

type TradingStream = ReturnType<Alpaca['trading']['stream']>;

export interface AlpacaAdapterOptions {
  /** Default `process.env.APCA_API_KEY_ID`. */
  readonly keyId?: string;
  /** Default `process.env.APCA_API_SECRET_KEY`. */
  readonly secret?: string;
  /** Trade real money. Default false: the paper environment. Nothing else switches to live. */
  readonly live?: boolean;
  /**
   * Another REST origin (a proxy, or a local test server); default `process.env.APCA_API_BASE_URL`
   * (the SDK's convention), else Alpaca's paper or live host. The other environment's host is refused.
   */
  readonly baseUrl?: string;
  /** Another trade-updates endpoint; default `process.env.APCA_API_STREAM_URL`, else Alpaca's paper or live stream. */
  readonly streamUrl?: string;
  /** The fetch the SDK uses (default the global one). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Stream reconnect backoff (defaults 500 ms doubling to 30 s, forever). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number; readonly maxAttempts?: number };
  /** How long `connect()` waits for the stream to authenticate (default 15 000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * How many ended orders the adapter remembers the replacement ids of (default 10 000; -1: all):
   * each replace gives an Alpaca order a new id, kept so its messages report under our client id.
   * Each order ending past that forgets the oldest; working orders are always kept.
   */
  readonly retainEndedOrders?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const PAPER_HOST = 'https://paper-api.alpaca.markets';
const LIVE_HOST = 'https://api.alpaca.markets';

/**
 * Alpaca through `@alpacahq/alpaca-trade-api` (an optional peer dependency, loaded on `connect`):
 * REST for orders, account, positions, assets, clock and calendar; the `trade_updates` WebSocket
 * for order events. Paper unless `live: true`.
 *
 * - Our client order id is Alpaca's `client_order_id`, so a resend after a timeout is refused as a
 *   duplicate rather than doubled, and an order can always be found by it.
 * - A replace (PATCH) makes Alpaca issue a new order id; the adapter keeps reporting the chain under
 *   our one client order id, including for fills of the new order that arrive before the PATCH
 *   answer.
 * - After the stream reconnects, new orders wait until the adapter has brought every order it saw
 *   working up to date (open orders, plus each one that ended during the gap), so a fill missed in
 *   the gap is never lost; then `reconnected` is announced.
 * - The SDK's own retries and rate limiter are off: the core retries (with lookups by client order
 *   id) and limits (200 requests/minute, `rateLimit`).
 *
 * Credentials go to the SDK and nowhere else: never into a log line, an event, an error or the journal.
 */
export class AlpacaAdapter implements BrokerAdapter {
  readonly name = 'alpaca';
  readonly capabilities = ALPACA_CAPABILITIES;
  readonly rateLimit = { requests: 200, perMs: 60_000 } as const;
  readonly live: boolean;

  // Private (#) so neither util.inspect nor JSON.stringify can show a credential (see toJSON).
  readonly #credentials: { readonly keyId: string; readonly secret: string };
  readonly #options: AlpacaAdapterOptions;
  /** The REST origin and stream endpoint when not Alpaca's own (an option or the environment). */
  readonly #baseUrl: string | undefined;
  readonly #streamUrl: string | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  #sdk: Alpaca | undefined;
  #stream: TradingStream | undefined;
  private streamUp = false;
  private lastMessageAt: number | undefined;
  /** Replacement ids (and others Alpaca named) → the logical order, our client order id. */
  private readonly aliases: BrokerOrderIds;
  /** Orders seen working, by broker id: after a gap, these are the ones to look at again. */
  private readonly working = new Map<string, string>();
  /** Resolves once a post-reconnect reconciliation is done; new orders wait for it. */
  private reconciled: Promise<void> = Promise.resolve();
  private readonly listeners = new AdapterListeners();
  private gate: RequestGate = (call) => call();

  constructor(options: AlpacaAdapterOptions = {}) {
    this.#credentials = readCredentials({ keyId: [options.keyId, 'APCA_API_KEY_ID'], secret: [options.secret, 'APCA_API_SECRET_KEY'] });
    checkTimings({ timeoutMs: options.timeoutMs, connectTimeoutMs: options.connectTimeoutMs, 'reconnect.initialMs': options.reconnect?.initialMs, 'reconnect.maxMs': options.reconnect?.maxMs }, { 'reconnect.maxAttempts': options.reconnect?.maxAttempts, retainEndedOrders: options.retainEndedOrders });
    this.#options = options;
    this.aliases = new BrokerOrderIds(options.retainEndedOrders ?? 10_000);
    this.live = options.live === true;
    const otherHost = new URL(this.live ? PAPER_HOST : LIVE_HOST).host;
    this.#baseUrl = readEndpoint('baseUrl', options.baseUrl, 'APCA_API_BASE_URL', [otherHost]);
    this.#streamUrl = readEndpoint('streamUrl', options.streamUrl, 'APCA_API_STREAM_URL', [otherHost]);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
  }

  // ------------------------------------------------------------------ connection

  /** Loads the SDK, opens the trade-updates stream and waits until it is authenticated and listening. */
  async connect(): Promise<void> {
    const sdk = await this.client();
    if (this.#stream) return;
    const reconnect = this.#options.reconnect ?? {};
    const stream = sdk.trading.stream({
      ...(this.#streamUrl ? { url: this.#streamUrl } : {}),
      reconnect: true,
      maxReconnectAttempts: reconnect.maxAttempts ?? -1,
      initialReconnectMs: reconnect.initialMs ?? 500,
      maxReconnectMs: reconnect.maxMs ?? 30_000,
    });
    this.#stream = stream;
    stream.onTradeUpdate((update) => this.onTradeUpdate(update as unknown as AlpacaTradeUpdateJson));
    stream.onDisconnect(() => this.onStreamDown('stream closed'));
    stream.onReconnected(() => this.onStreamBack());
    stream.onError((message) => this.logger.warn('alpaca stream error', { message }));
    const listening = new Promise<void>((resolve) => stream.on('subscription', () => resolve()));
    stream.subscribeTradeUpdates();
    stream.connect();
    const auth = await stream.waitForAuthenticationResult(this.#options.connectTimeoutMs ?? 15_000);
    if (!auth.authenticated) {
      this.#stream = undefined;
      stream.disconnect();
      throw new BrokerError(auth.status === 'timeout' ? 'timeout' : 'unauthorized', `Alpaca: the trade-updates stream did not authenticate (${auth.status})`);
    }
    await listening;
    this.streamUp = true;
    this.announce({ state: 'connected', at: this.clock.now() });
  }

  async disconnect(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (!stream) return;
    stream.disconnect();
    if (this.streamUp) this.onStreamDown('client disconnected');
  }

  /** Routes this adapter's own fan-outs through the engine's rate limiter (see BrokerAdapter.useRequestGate). */
  useRequestGate(gate: RequestGate): void {
    this.gate = gate;
  }

  /** What `JSON.stringify` shows: where it trades, never a credential. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, live: this.live, baseUrl: this.#baseUrl ?? (this.live ? LIVE_HOST : PAPER_HOST), connected: this.#sdk !== undefined };
  }

  /** What `util.inspect` (and `console.log`) shows: the same as {@link toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AlpacaAdapter ${JSON.stringify(this.toJSON())}`;
  }

  /**
   * What the adapter keeps in memory about orders: the orders known by ids Alpaca gave them
   * (replacements), working or among the newest `retainEndedOrders` ended, and those ids. For a
   * long-running host's health check: bounded however many orders go by.
   */
  remembered(): { readonly orders: number; readonly orderIds: number } {
    const { orders, brokerOrderIds } = this.aliases.size;
    return { orders, orderIds: brokerOrderIds };
  }

  health(): AdapterHealth {
    return {
      connected: this.#sdk !== undefined,
      streamConnected: this.streamUp,
      ...(this.lastMessageAt === undefined ? {} : { lastMessageAt: this.lastMessageAt }),
      detail: this.live ? 'live' : 'paper',
    };
  }

  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe {
    return this.listeners.onOrderUpdate(listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    return this.listeners.onConnectionChange(listener);
  }

  // ------------------------------------------------------------------ account and market

  async getAccount(): Promise<AccountSnapshot> {
    const json = await this.rest('get account', (sdk) => sdk.trading.account.getAccountRaw());
    return accountFromAlpaca(json as AlpacaAccountJson, this.clock.now());
  }

  async getPositions(): Promise<readonly PositionReport[]> {
    const json = await this.rest('get positions', (sdk) => sdk.trading.positions.getAllOpenPositionsRaw());
    return (json as AlpacaPositionJson[]).map(positionFromAlpaca);
  }

  async getAsset(symbol: string): Promise<AssetInfo | undefined> {
    const json = await this.restOrUndefined('get asset', (sdk) => sdk.trading.assets.getV2AssetsSymbolOrAssetIdRaw({ symbolOrAssetId: symbol }));
    return json === undefined ? undefined : assetFromAlpaca(json as AlpacaAssetJson);
  }

  async getMarketClock(): Promise<MarketClock> {
    return clockFromAlpaca((await this.rest('get clock', (sdk) => sdk.trading.clock.legacyClockRaw())) as AlpacaClockJson);
  }

  async getCalendar(from: string, to: string): Promise<readonly MarketCalendarDay[]> {
    const json = await this.rest('get calendar', (sdk) => sdk.trading.calendar.legacyCalendarRaw({ start: new Date(`${from}T00:00:00Z`), end: new Date(`${to}T00:00:00Z`) }));
    return (json as AlpacaCalendarJson[]).map(calendarDayFromAlpaca);
  }

  // ------------------------------------------------------------------ orders

  async getOpenOrders(): Promise<readonly OrderStatusReport[]> {
    const json = (await this.rest('list open orders', (sdk) => sdk.trading.orders.getAllOrdersRaw({ status: 'open', nested: true, limit: 500 }))) as AlpacaOrderJson[];
    // Nested legs are orders too: flatten, so every open order is listed once.
    return json
      .flatMap((o) => [o, ...(o.legs ?? [])])
      .map((o) => this.report(o))
      .filter((r) => !isTerminalStatus(r.status));
  }

  async getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined> {
    const byId = (orderId: string, what: string): Promise<AlpacaOrderJson | undefined> =>
      this.restOrUndefined(what, (sdk) => sdk.trading.orders.getOrderByOrderIDRaw({ orderId, nested: true })) as Promise<AlpacaOrderJson | undefined>;
    let json = ref.brokerOrderId ? await byId(ref.brokerOrderId, 'get order') : undefined;
    if (!json && ref.clientOrderId) {
      json = (await this.restOrUndefined('get order by client id', (sdk) => sdk.trading.orders.getOrderByClientOrderIdRaw({ clientOrderId: ref.clientOrderId! }))) as AlpacaOrderJson | undefined;
      // The lookup by client id does not nest legs; a bracket parent is fetched again with them.
      if (json && json.order_class && json.order_class !== 'simple' && !json.legs && json.status !== 'replaced') json = (await byId(json.id, 'get order legs')) ?? json;
    }
    // A replaced order — found by its first client order id, or by the id a replace whose answer was
    // lost superseded — stands for the live one: follow the chain to it.
    const asked = json?.id;
    for (let hops = 0; json?.status === 'replaced' && json.replaced_by && hops < 20; hops++) {
      const next = await byId(json.replaced_by, 'get replacement');
      if (!next) break;
      json = next;
    }
    if (!json) return undefined;
    if (ref.clientOrderId && json.client_order_id !== ref.clientOrderId) this.aliases.alias(json.id, ref.clientOrderId);
    const report = this.report(json);
    // Looked up (a reconciliation after a gap): an end counts like one heard on the stream.
    this.heardOf(report.clientOrderId, report.status);
    // Found through the chain: the report stands for the order asked for (by the id the asker knows —
    // a leg Alpaca named itself is known by nothing else).
    return asked !== undefined && json.id !== asked && ref.brokerOrderId === asked ? { ...report, replacesBrokerOrderId: asked } : report;
  }

  async submitOrder(order: Order): Promise<OrderStatusReport> {
    const body = alpacaOrderBody(order);
    await this.reconciled;
    const json = (await this.rest(`submit ${order.clientOrderId}`, (sdk) => sdk.trading.orders.postOrderRaw({ postOrderRequest: body as never }), true)) as AlpacaOrderJson;
    return this.track(json);
  }

  async submitOrderList(list: OrderList): Promise<OrderStatusReport> {
    const body = alpacaListBody(list);
    await this.reconciled;
    const json = (await this.rest(`submit ${list.kind} ${body.clientOrderId}`, (sdk) => sdk.trading.orders.postOrderRaw({ postOrderRequest: body as never }), true)) as AlpacaOrderJson;
    return this.track(json);
  }

  /**
   * PATCH: Alpaca answers with a new order (new id, `replaces` the old one). It is reported under
   * our client order id, and later stream events for the new id are too.
   */
  async replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    const id = await this.brokerIdOf(order);
    const body = alpacaReplaceBody(order, changes);
    const json = (await this.rest(`replace ${order.clientOrderId}`, (sdk) => sdk.trading.orders.patchOrderByOrderIdRaw({ orderId: id, patchOrderRequest: body as never }), true)) as AlpacaOrderJson;
    this.aliases.alias(json.id, order.clientOrderId);
    this.working.delete(id);
    return this.track(json, order.clientOrderId);
  }

  async cancelOrder(ref: OrderRef): Promise<void> {
    const id = await this.brokerIdOf(ref);
    await this.rest(`cancel ${ref.clientOrderId ?? id}`, (sdk) => sdk.trading.orders.deleteOrderByOrderIDRaw({ orderId: id }), false, false);
  }

  /**
   * `DELETE /v2/orders` answers 207 Multi-Status: one `{ id, status, body }` per order, and an order
   * it could not cancel is a failure status (500) inside the body, not an HTTP error. Any such entry
   * fails the whole call, so the core falls back to cancelling order by order.
   */
  async cancelAllOrders(): Promise<void> {
    const results = (await this.rest('cancel all orders', (sdk) => sdk.trading.orders.deleteAllOrdersRaw(), false, true)) as { id?: string; status?: number }[] | undefined;
    const failed = (Array.isArray(results) ? results : []).filter((r) => typeof r.status === 'number' && r.status >= 300);
    if (failed.length > 0) {
      throw new BrokerError('order_not_cancelable', `Alpaca: cancel-all could not cancel ${failed.length} order(s): ${failed.map((f) => `${f.id ?? '?'} (${f.status})`).join(', ')}`, {
        status: 207,
        details: { failed: failed.map((f) => ({ brokerOrderId: f.id, status: f.status })) },
      });
    }
  }

  // ------------------------------------------------------------------ internals

  private async client(): Promise<Alpaca> {
    if (this.#sdk) return this.#sdk;
    let module: typeof import('@alpacahq/alpaca-trade-api');
    try {
      module = await import('@alpacahq/alpaca-trade-api');
    } catch (error) {
      throw new ConfigurationError([{ field: '@alpacahq/alpaca-trade-api', message: `must be installed to use tradewire/alpaca (npm install @alpacahq/alpaca-trade-api): ${describeError(error)}` }]);
    }
    const base = this.#baseUrl;
    const fetchImpl = this.#options.fetch ?? globalThis.fetch;
    const host = this.live ? LIVE_HOST : PAPER_HOST;
    const options: AlpacaClientOptions = {
      keyId: this.#credentials.keyId,
      secret: this.#credentials.secret,
      paper: !this.live,
      timeoutMs: this.#options.timeoutMs ?? 10_000,
      // The core owns retries (with a lookup by client order id first) and the request budget.
      retry: false,
      rateLimit: false,
      fetchApi: base ? (input, init) => fetchImpl(urlOf(input).replace(host, base), init) : fetchImpl,
    };
    this.#sdk = new module.Alpaca(options);
    return this.#sdk;
  }

  /** One REST call through the SDK, answered with Alpaca's JSON as sent (decimal strings intact). */
  private async rest(what: string, call: (sdk: Alpaca) => Promise<{ raw: Response }>, mayReach = false, json = true): Promise<unknown> {
    const sdk = await this.client();
    try {
      const response = await call(sdk);
      this.lastMessageAt = this.clock.now();
      if (!json || response.raw.status === 204) return undefined;
      return await response.raw.json();
    } catch (error) {
      // An error body may echo the request (a proxy, a gateway): no credential leaves in an error.
      const mapped = redactBrokerError(await brokerErrorFromSdk(error, what, mayReach), [this.#credentials.keyId, this.#credentials.secret]);
      throw mapped.code === 'pattern_day_trader' && mapped.details.dayTradeCount === undefined ? await this.withDayTrades(mapped) : mapped;
    }
  }

  private async restOrUndefined(what: string, call: (sdk: Alpaca) => Promise<{ raw: Response }>): Promise<unknown> {
    try {
      return await this.rest(what, call);
    } catch (error) {
      if (error instanceof BrokerError && error.code === 'broker_not_found') return undefined;
      throw error;
    }
  }

  /** A pattern-day-trader refusal says how many day trades the account has used. */
  private async withDayTrades(error: BrokerError): Promise<BrokerError> {
    try {
      const account = await this.getAccount();
      return new BrokerError(error.code, error.message, {
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.brokerCode === undefined ? {} : { brokerCode: error.brokerCode }),
        body: error.body,
        details: { ...error.details, dayTradeCount: account.dayTradeCount },
      });
    } catch {
      return error;
    }
  }

  private async brokerIdOf(ref: OrderRef): Promise<string> {
    if (ref.brokerOrderId) return ref.brokerOrderId;
    const found = await this.getOrder(ref);
    if (!found) throw new BrokerError('broker_not_found', `Alpaca: no order ${ref.clientOrderId ?? ''}`, { status: 404 });
    return found.brokerOrderId;
  }

  /** Records an order (and its legs) as working, and reports it under its logical client id. */
  private track(json: AlpacaOrderJson, clientOrderId?: string): OrderStatusReport {
    const report = this.report(json, clientOrderId);
    for (const r of [report, ...(report.legs ?? [])]) {
      if (isTerminalStatus(r.status)) this.working.delete(r.brokerOrderId);
      else this.working.set(r.brokerOrderId, r.clientOrderId);
    }
    return report;
  }

  /** An order heard of ended (a replaced one lives on in its replacement: not an end) is forgotten in time; working, it is kept. */
  private heardOf(clientOrderId: string, status: OrderStatus): void {
    if (isTerminalStatus(status) && status !== 'replaced') this.aliases.end(clientOrderId);
    else this.aliases.living(clientOrderId);
  }

  private report(json: AlpacaOrderJson, clientOrderId?: string): OrderStatusReport {
    return orderReportFromAlpaca(json, clientOrderId ?? this.aliases.clientIdOf(json.id) ?? json.client_order_id);
  }

  private onTradeUpdate(update: AlpacaTradeUpdateJson): void {
    const at = this.clock.now();
    this.lastMessageAt = at;
    const order = orderFromSdk(update.order);
    const clientOrderId = this.aliases.clientIdOf(order.id) ?? order.client_order_id;
    const meaning = tradeUpdateMeaning(update, Date.parse(String(update.timestamp ?? '')) || at);
    const report = this.report(order, clientOrderId);
    if (isTerminalStatus(report.status)) this.working.delete(order.id);
    else this.working.set(order.id, clientOrderId);
    this.heardOf(clientOrderId, report.status);
    switch (meaning.kind) {
      case 'event':
        this.emit({ clientOrderId, brokerOrderId: order.id, event: meaning.event });
        return;
      case 'snapshot':
        this.emit({ clientOrderId, brokerOrderId: order.id, report: meaning.executionId ? { ...report, executionId: meaning.executionId } : report });
        return;
      case 'replaced':
        // The successor belongs to the same logical order; fetch it so a replace made elsewhere is seen.
        this.aliases.alias(meaning.by, clientOrderId);
        void this.getOrder({ clientOrderId, brokerOrderId: meaning.by })
          .then((report) => report && this.emit({ clientOrderId, brokerOrderId: report.brokerOrderId, report }))
          .catch((error: unknown) => this.logger.warn('could not fetch a replacement order', { error: describeError(error) }));
        return;
      case 'none':
        return;
    }
  }

  private onStreamDown(reason: string): void {
    if (!this.streamUp) return;
    this.streamUp = false;
    this.announce({ state: 'disconnected', reason, at: this.clock.now() });
  }

  /**
   * The stream is back, but anything sent while it was down is lost: look at every order that was
   * working, emit what changed as snapshots, and only then accept new orders and say `reconnected`.
   */
  private onStreamBack(): void {
    this.streamUp = true;
    this.reconciled = this.reconcile()
      .catch((error: unknown) => this.logger.error('alpaca reconciliation after reconnect failed', { error: describeError(error) }))
      .finally(() => this.announce({ state: 'reconnected', reason: 'stream re-authenticated; orders reconciled', at: this.clock.now() }));
  }

  private async reconcile(): Promise<void> {
    const open = await this.getOpenOrders();
    const seen = new Set(open.map((r) => r.brokerOrderId));
    const ended = [...this.working].filter(([id]) => !seen.has(id));
    // One look-up per order that ended while the stream was down: through the engine's rate limiter.
    const closed = await Promise.all(ended.map(([brokerOrderId, clientOrderId]) => this.gate(() => this.getOrder({ clientOrderId, brokerOrderId }), 'read')));
    for (const report of [...open, ...closed]) {
      if (!report) continue;
      if (isTerminalStatus(report.status)) this.working.delete(report.brokerOrderId);
      this.emit({ clientOrderId: report.clientOrderId, brokerOrderId: report.brokerOrderId, report });
    }
  }

  private emit(update: OrderUpdate): void {
    this.listeners.emitUpdate(update);
  }

  private announce(change: ConnectionChange): void {
    this.listeners.announce(change);
  }
}

function urlOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object' && 'url' in input) return String((input as { url: unknown }).url);
  return String(input);
}
