/**
 * A KRX (Korean equities) adapter on Korea Investment & Securities' Open API, written only on
 * tradewire's public adapter kit: `BrokerAdapter`, `AdapterListeners`, `BrokerError` and the report
 * types, imported from 'tradewire/adapter-kit' like any third-party adapter would. docs/adapters/writing-an-adapter.md
 * walks through it.
 *
 * What KRX and KIS make it do:
 * - Prices are whole won on a tick that depends on the price band; the day's limits are ±30 % of the
 *   previous close; shares are whole (krx-rules.ts). The exchange refuses anything else, so the
 *   adapter checks first and says why (an `invalid_order` BrokerError) without a round trip.
 * - KIS has no client order id: orders are known by the number it assigns (ODNO). The adapter keeps
 *   our id ↔ ODNO for the orders it sent (refusing a second send of one client order id, as the
 *   engine expects from a broker); after a restart the engine still holds each order's broker id
 *   (journaled when the broker accepted it) and asks by that.
 * - KIS pushes executions only over a separate WebSocket with its own key; this adapter polls
 *   today's orders (inquire-daily-ccld) every `pollMs` and reports each order's new totals.
 * - A modification gets a new order number (like Alpaca's replace): reported with `replacesBrokerOrderId`.
 */
import {
  AdapterListeners,
  type AccountSnapshot,
  type AssetInfo,
  type BrokerAdapter,
  type BrokerCapabilities,
  BrokerError,
  brokerJson,
  brokerRequest,
  type Clock,
  Decimal,
  type Logger,
  type Order,
  type OrderChanges,
  type OrderRef,
  type OrderStatusReport,
  type OrderStatus,
  type PositionReport,
  silentLogger,
  systemClock,
  type TimerHandle,
  type Unsubscribe,
  ZERO,
} from 'tradewire/adapter-kit';
import { KIS_ERRORS, type KisAccountTotals, type KisEnvelope, type KisHolding, type KisOrderAck, type KisOrderRow, type KisQuote, type KisToken } from './kis-wire.js';
import { dailyLimits, krxTick, onTick } from './krx-rules.js';

export interface KrxAdapterOptions {
  readonly baseUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  /** `12345678-01`: the account number and its product code. */
  readonly account: string;
  /** The paper-trading environment (its tr_ids start with V). */
  readonly paper?: boolean;
  /** How often today's orders are read for fills and ends (default 1 000 ms). */
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export const KRX_CAPABILITIES: BrokerCapabilities = {
  orderTypes: ['market', 'limit'],
  timeInForce: ['day'],
  assetClasses: ['equity'],
  nativeOco: false,
  nativeBracket: false,
  nativeTrailingStop: false,
  fractional: false,
  shorting: false,
  extendedHours: false,
  replace: true,
  streaming: true,
  marketClock: false,
};

interface Sent {
  readonly clientOrderId: string;
  odno: string;
  branch: string;
  /** The last totals reported, so each poll reports only what changed. */
  lastFilled: string;
  lastStatus: OrderStatus;
}

export class KrxAdapter implements BrokerAdapter {
  readonly name = 'kis';
  readonly capabilities = KRX_CAPABILITIES;
  /** KIS allows about 20 requests a second per app key (paper: fewer). */
  readonly rateLimit = { requests: 15, perMs: 1_000 };
  private readonly listeners = new AdapterListeners();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly cano: string;
  private readonly product: string;
  private token: string | undefined;
  private timer: TimerHandle | undefined;
  private connected = false;
  private lastMessageAt: number | undefined;
  /** Orders this adapter sent, by our id and by every order number they had. */
  private readonly byClientId = new Map<string, Sent>();
  private readonly byOdno = new Map<string, Sent>();

  constructor(private readonly options: KrxAdapterOptions) {
    const [cano, product] = options.account.split('-');
    if (!cano || !product) throw new BrokerError('account_restricted', `account must look like 12345678-01, got ${options.account}`);
    this.cano = cano;
    this.product = product;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    this.pollMs = options.pollMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async connect(): Promise<void> {
    const token = await this.call<KisToken>('POST', '/oauth2/tokenP', undefined, { grant_type: 'client_credentials', appkey: this.options.appKey, appsecret: this.options.appSecret }, true);
    this.token = token.access_token;
    this.connected = true;
    this.listeners.announce({ state: 'connected', at: this.clock.now() });
    this.schedulePoll();
  }

  async disconnect(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.connected) this.listeners.announce({ state: 'disconnected', reason: 'disconnect() called', at: this.clock.now() });
    this.connected = false;
  }

  async getAccount(): Promise<AccountSnapshot> {
    const body = await this.kis<unknown, KisHolding[], KisAccountTotals[]>('GET', '/uapi/domestic-stock/v1/trading/inquire-balance', 'TTTC8434R', this.accountQuery());
    const totals = body.output2?.[0];
    const cash = new Decimal(totals?.dnca_tot_amt ?? 0);
    return { accountId: this.options.account, currency: 'KRW', cash, equity: new Decimal(totals?.tot_evlu_amt ?? cash), buyingPower: cash, at: this.clock.now() };
  }

  async getPositions(): Promise<readonly PositionReport[]> {
    const body = await this.kis<unknown, KisHolding[]>('GET', '/uapi/domestic-stock/v1/trading/inquire-balance', 'TTTC8434R', this.accountQuery());
    return (body.output1 ?? [])
      .filter((h) => new Decimal(h.hldg_qty).greaterThan(0))
      .map((h) => ({ symbol: h.pdno, assetClass: 'equity' as const, quantity: new Decimal(h.hldg_qty), averageEntryPrice: new Decimal(h.pchs_avg_pric), marketPrice: new Decimal(h.prpr), unrealizedPnl: new Decimal(h.evlu_pfls_amt) }));
  }

  async getOpenOrders(): Promise<readonly OrderStatusReport[]> {
    return (await this.todaysOrders()).filter((r) => r.status === 'accepted' || r.status === 'partially_filled');
  }

  async getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined> {
    const sent = ref.clientOrderId ? this.byClientId.get(ref.clientOrderId) : undefined;
    const odno = ref.brokerOrderId ?? sent?.odno;
    if (!odno) return undefined;
    // A modified order stands for the order that modified it (KIS lists it with `orgn_odno`): a
    // modification whose answer was lost is found so.
    const rows = await this.todaysRows();
    let row = rows.find((r) => r.odno === odno);
    for (let hops = 0, next = row && rows.find((r) => r.orgn_odno === row!.odno); next && hops < 20; hops++, next = rows.find((r) => r.orgn_odno === row!.odno)) row = next;
    if (!row) return undefined;
    const report = this.report(row);
    return row.odno === odno ? report : { ...report, clientOrderId: ref.clientOrderId ?? report.clientOrderId, replacesBrokerOrderId: row.orgn_odno };
  }

  async getAsset(symbol: string): Promise<AssetInfo | undefined> {
    if (!/^\d{6}$/.test(symbol)) return undefined;
    const quote = await this.quote(symbol);
    if (!quote) return undefined;
    return { symbol, assetClass: 'equity', tradable: quote.temp_stop_yn !== 'Y', fractionable: false, shortable: false, quantityIncrement: new Decimal(1), minQuantity: new Decimal(1), priceIncrement: krxTick(new Decimal(quote.stck_prpr)) };
  }

  async submitOrder(order: Order): Promise<OrderStatusReport> {
    if (this.byClientId.has(order.clientOrderId)) throw new BrokerError('broker_duplicate_client_order_id', `order ${order.clientOrderId} was already sent (KIS order ${this.byClientId.get(order.clientOrderId)!.odno})`);
    this.checkOrder(order);
    if (!/^\d{6}$/.test(order.symbol)) throw new BrokerError('invalid_symbol', `${order.symbol} is not a KRX stock code (six digits)`);
    const limits = await this.quote(order.symbol);
    if (!limits) throw new BrokerError('invalid_symbol', `KIS does not know ${order.symbol}`);
    if (order.type === 'limit' && order.limitPrice) {
      const price = order.limitPrice;
      if (!onTick(price)) throw new BrokerError('invalid_order', `${price.toFixed()} KRW is not on the tick (${krxTick(price).toFixed()} KRW at that price)`);
      if (price.greaterThan(limits.stck_mxpr) || price.lessThan(limits.stck_llam)) throw new BrokerError('invalid_order', `${price.toFixed()} KRW is outside today's limits ${limits.stck_llam}–${limits.stck_mxpr}`);
    }
    const trId = order.side === 'buy' ? 'TTTC0802U' : 'TTTC0801U';
    const body = {
      CANO: this.cano,
      ACNT_PRDT_CD: this.product,
      PDNO: order.symbol,
      ORD_DVSN: order.type === 'market' ? '01' : '00',
      ORD_QTY: order.quantity.toFixed(0),
      ORD_UNPR: order.type === 'market' ? '0' : order.limitPrice!.toFixed(0),
    };
    // The send may reach KIS and the answer be lost: there is no idempotency key to retry with,
    // so a timeout says so (mayHaveReachedBroker) and the engine looks the order up before any resend.
    const ack = await this.kis<KisOrderAck>('POST', '/uapi/domestic-stock/v1/trading/order-cash', trId, undefined, body);
    const sent: Sent = { clientOrderId: order.clientOrderId, odno: ack.output!.ODNO, branch: ack.output!.KRX_FWDG_ORD_ORGNO, lastFilled: '0', lastStatus: 'accepted' };
    this.byClientId.set(order.clientOrderId, sent);
    this.byOdno.set(sent.odno, sent);
    const report = (await this.getOrder({ clientOrderId: order.clientOrderId, brokerOrderId: sent.odno })) ?? this.ackReport(order, sent);
    this.pollSoon();
    return report;
  }

  async replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport> {
    const sent = this.sentFor(order);
    const price = changes.limitPrice ?? order.limitPrice;
    const quantity = changes.quantity ?? order.quantity;
    if (price && !onTick(price)) throw new BrokerError('invalid_order', `${price.toFixed()} KRW is not on the tick (${krxTick(price).toFixed()} KRW at that price)`);
    const ack = await this.kis<KisOrderAck>('POST', '/uapi/domestic-stock/v1/trading/order-rvsecncl', 'TTTC0803U', undefined, {
      ...this.rvsecncl(sent),
      ORD_DVSN: '00',
      RVSE_CNCL_DVSN_CD: '01',
      ORD_QTY: quantity.toFixed(0),
      ORD_UNPR: (price ?? ZERO).toFixed(0),
      QTY_ALL_ORD_YN: 'Y',
    });
    const previous = sent.odno;
    sent.odno = ack.output!.ODNO;
    sent.branch = ack.output!.KRX_FWDG_ORD_ORGNO;
    this.byOdno.set(sent.odno, sent);
    const report = await this.getOrder({ clientOrderId: order.clientOrderId, brokerOrderId: sent.odno });
    if (!report) throw new BrokerError('server_error', `KIS accepted the modification of ${previous} but does not list ${sent.odno}`);
    return { ...report, replacesBrokerOrderId: previous };
  }

  async cancelOrder(ref: OrderRef): Promise<void> {
    const sent = (ref.clientOrderId ? this.byClientId.get(ref.clientOrderId) : undefined) ?? (ref.brokerOrderId ? this.byOdno.get(ref.brokerOrderId) : undefined);
    const odno = sent?.odno ?? ref.brokerOrderId;
    const row = odno ? (await this.todaysRows()).find((r) => r.odno === odno) : undefined;
    if (!row) throw new BrokerError('broker_not_found', `KIS has no order ${odno ?? ref.clientOrderId} today`);
    await this.kis('POST', '/uapi/domestic-stock/v1/trading/order-rvsecncl', 'TTTC0803U', undefined, {
      CANO: this.cano,
      ACNT_PRDT_CD: this.product,
      KRX_FWDG_ORD_ORGNO: row.ord_gno_brno,
      ORGN_ODNO: row.odno,
      ORD_DVSN: row.ord_dvsn_cd,
      RVSE_CNCL_DVSN_CD: '02',
      ORD_QTY: '0',
      ORD_UNPR: '0',
      QTY_ALL_ORD_YN: 'Y',
    });
    this.pollSoon();
  }

  async cancelAllOrders(): Promise<void> {
    for (const open of await this.getOpenOrders()) await this.cancelOrder({ brokerOrderId: open.brokerOrderId });
  }

  onOrderUpdate(listener: Parameters<BrokerAdapter['onOrderUpdate']>[0]): Unsubscribe {
    return this.listeners.onOrderUpdate(listener);
  }

  onConnectionChange(listener: Parameters<BrokerAdapter['onConnectionChange']>[0]): Unsubscribe {
    return this.listeners.onConnectionChange(listener);
  }

  health(): ReturnType<BrokerAdapter['health']> {
    return { connected: this.connected, streamConnected: this.connected, ...(this.lastMessageAt === undefined ? {} : { lastMessageAt: this.lastMessageAt }), detail: `polling today's orders every ${this.pollMs} ms` };
  }

  // ── polling: today's orders, reported when they change ───────────────────────────────────

  private schedulePoll(): void {
    if (!this.connected || this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.poll()
        .catch((error: unknown) => this.logger.warn('KIS order poll failed; trying again', { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => this.schedulePoll());
    }, this.pollMs);
  }

  /** Right after a send or cancel: the next poll sooner (orders are not pushed). */
  private pollSoon(): void {
    void this.poll().catch(() => undefined);
  }

  private async poll(): Promise<void> {
    for (const report of await this.todaysOrders()) {
      const sent = this.byOdno.get(report.brokerOrderId);
      if (!sent || sent.odno !== report.brokerOrderId) continue;
      const filled = report.filledQuantity.toFixed();
      if (filled === sent.lastFilled && report.status === sent.lastStatus) continue;
      sent.lastFilled = filled;
      sent.lastStatus = report.status;
      this.listeners.emitUpdate({ clientOrderId: sent.clientOrderId, brokerOrderId: report.brokerOrderId, report });
    }
  }

  private async todaysRows(): Promise<KisOrderRow[]> {
    const today = ymd(this.clock.now());
    const body = await this.kis<unknown, KisOrderRow[]>('GET', '/uapi/domestic-stock/v1/trading/inquire-daily-ccld', 'TTTC8001R', { ...this.accountQuery(), INQR_STRT_DT: today, INQR_END_DT: today, SLL_BUY_DVSN_CD: '00', CCLD_DVSN: '00' });
    return body.output1 ?? [];
  }

  private async todaysOrders(): Promise<OrderStatusReport[]> {
    return (await this.todaysRows()).map((row) => this.report(row));
  }

  private report(row: KisOrderRow): OrderStatusReport {
    const quantity = new Decimal(row.ord_qty);
    const filled = new Decimal(row.tot_ccld_qty);
    const remaining = new Decimal(row.rmn_qty);
    const status: OrderStatus =
      new Decimal(row.rjct_qty).greaterThan(0) ? 'rejected' : row.cncl_yn === 'Y' ? 'cancelled' : filled.equals(quantity) ? 'filled' : filled.greaterThan(0) ? (remaining.isZero() ? 'cancelled' : 'partially_filled') : 'accepted';
    const sent = this.byOdno.get(row.odno);
    return {
      clientOrderId: sent?.clientOrderId ?? `kis-${row.odno}`,
      brokerOrderId: row.odno,
      symbol: row.pdno,
      side: row.sll_buy_dvsn_cd === '02' ? 'buy' : 'sell',
      type: row.ord_dvsn_cd === '01' ? 'market' : 'limit',
      timeInForce: 'day',
      status,
      quantity,
      filledQuantity: filled,
      ...(filled.greaterThan(0) ? { averageFillPrice: new Decimal(row.avg_prvs), executionId: `${row.odno}-${row.tot_ccld_qty}` } : {}),
      ...(row.ord_dvsn_cd === '00' ? { limitPrice: new Decimal(row.ord_unpr) } : {}),
      updatedAt: this.clock.now(),
      raw: row,
    };
  }

  private ackReport(order: Order, sent: Sent): OrderStatusReport {
    return { clientOrderId: order.clientOrderId, brokerOrderId: sent.odno, symbol: order.symbol, side: order.side, type: order.type, status: 'accepted', quantity: order.quantity, filledQuantity: ZERO, ...(order.limitPrice ? { limitPrice: order.limitPrice } : {}), updatedAt: this.clock.now() };
  }

  // ── requests ─────────────────────────────────────────────────────────────────────────────

  private async quote(symbol: string): Promise<KisQuote | undefined> {
    try {
      return (await this.kis<KisQuote>('GET', '/uapi/domestic-stock/v1/quotations/inquire-price', 'FHKST01010100', { FID_COND_MRKT_DIV_CODE: 'J', FID_INPUT_ISCD: symbol })).output;
    } catch (error) {
      if (error instanceof BrokerError && error.code === 'invalid_symbol') return undefined;
      throw error;
    }
  }

  private checkOrder(order: Order): void {
    if (order.type !== 'market' && order.type !== 'limit') throw new BrokerError('invalid_order', `KRX orders here are market or limit, not ${order.type}`);
    if (!order.quantity.isInteger() || !order.quantity.greaterThan(0)) throw new BrokerError('invalid_order', `KRX trades whole shares, not ${order.quantity.toFixed()}`);
  }

  private sentFor(order: Order): Sent {
    const sent = this.byClientId.get(order.clientOrderId) ?? (order.brokerOrderId ? this.byOdno.get(order.brokerOrderId) : undefined);
    if (!sent) throw new BrokerError('broker_not_found', `this adapter did not send ${order.clientOrderId}`);
    return sent;
  }

  private rvsecncl(sent: Sent): Record<string, string> {
    return { CANO: this.cano, ACNT_PRDT_CD: this.product, KRX_FWDG_ORD_ORGNO: sent.branch, ORGN_ODNO: sent.odno };
  }

  private accountQuery(): Record<string, string> {
    return { CANO: this.cano, ACNT_PRDT_CD: this.product };
  }

  /** One KIS call: headers, the envelope, and its `rt_cd`/`msg_cd` classified. */
  private async kis<O = unknown, O1 = unknown, O2 = unknown>(method: 'GET' | 'POST', path: string, trId: string, query?: Record<string, string>, body?: unknown): Promise<KisEnvelope<O, O1, O2>> {
    const envelope = await this.call<KisEnvelope<O, O1, O2>>(method, path, this.options.paper ? `V${trId.slice(1)}` : trId, body, false, query);
    if (envelope.rt_cd !== '0') throw kisError(envelope.msg_cd, envelope.msg1);
    return envelope;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, trId: string | undefined, body: unknown, auth: boolean, query?: Record<string, string>): Promise<T> {
    const url = new URL(path, this.options.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', appkey: this.options.appKey, appsecret: this.options.appSecret };
    if (!auth) {
      if (!this.token) throw new BrokerError('unauthorized', 'not connected: no KIS access token');
      headers.authorization = `Bearer ${this.token}`;
      if (trId) headers.tr_id = trId;
    }
    // The kit's transport: a timeout, and no answer classified (a POST may have reached KIS).
    const response = await brokerRequest('KIS', url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), timeoutMs: this.timeoutMs });
    this.lastMessageAt = this.clock.now();
    if (response.status >= 500) throw new BrokerError('server_error', `KIS ${method} ${path}: HTTP ${response.status}`, { status: response.status, mayHaveReachedBroker: method === 'POST' });
    const json = await brokerJson<T & Partial<KisEnvelope>>('KIS', response, method, path);
    if (response.status === 401 || response.status === 403) throw kisError(json.msg_cd ?? 'EGW00123', json.msg1 ?? `HTTP ${response.status}`);
    return json;
  }
}

/** KIS's `msg_cd` → the core's classified error (one place, like every adapter's). */
export function kisError(code: string, message: string): BrokerError {
  const is = (list: readonly string[]): boolean => list.includes(code);
  const text = `KIS ${code}: ${message}`;
  if (is(KIS_ERRORS.token)) return new BrokerError('unauthorized', text);
  if (is(KIS_ERRORS.rateLimited)) return new BrokerError('rate_limited', text, { retryAfterMs: 1_000 });
  if (is(KIS_ERRORS.unknownSymbol)) return new BrokerError('invalid_symbol', text);
  if (is(KIS_ERRORS.noCash)) return new BrokerError('insufficient_buying_power', text);
  if (is(KIS_ERRORS.invalidOrder)) return new BrokerError('invalid_order', text);
  if (is(KIS_ERRORS.noOrder)) return new BrokerError('broker_not_found', text);
  if (is(KIS_ERRORS.closed)) return new BrokerError('market_closed', text);
  return new BrokerError('broker_unknown', text);
}

/** yyyyMMdd in Seoul. */
function ymd(at: number): string {
  return new Date(at + 9 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

export { dailyLimits };
