import { randomUUID } from 'node:crypto';
import { Decimal } from 'tradewire';

/**
 * The trading side of a local Alpaca-compatible server: an account, positions and orders kept the
 * way Alpaca documents them (decimal strings, snake_case, order classes, `held` legs, replace by a
 * new order), matched against prices the test sets. It answers in Alpaca's JSON and publishes
 * Alpaca's trade-update events; the HTTP/WebSocket transport is in fake-alpaca-server.ts.
 */
export interface WireOrder {
  id: string;
  client_order_id: string;
  created_at: string;
  updated_at: string;
  submitted_at: string;
  filled_at: string | null;
  canceled_at: string | null;
  replaced_at: string | null;
  replaced_by: string | null;
  replaces: string | null;
  asset_id: string;
  symbol: string;
  asset_class: string;
  notional: string | null;
  qty: string | null;
  filled_qty: string;
  filled_avg_price: string | null;
  order_class: string;
  order_type: string;
  type: string;
  side: 'buy' | 'sell';
  time_in_force: string;
  limit_price: string | null;
  stop_price: string | null;
  trail_percent: string | null;
  trail_price: string | null;
  hwm: string | null;
  status: string;
  extended_hours: boolean;
  legs: WireOrder[] | null;
}

export interface TradeUpdate {
  event: string;
  timestamp: string;
  order: WireOrder;
  execution_id?: string;
  price?: string;
  qty?: string;
  position_qty?: string;
}

export class AlpacaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const OPEN = new Set(['new', 'accepted', 'pending_new', 'partially_filled', 'held', 'pending_cancel', 'pending_replace']);
const d = (v: Decimal.Value): Decimal => new Decimal(v);

export class FakeAlpacaExchange {
  readonly orders = new Map<string, WireOrder>();
  readonly prices = new Map<string, Decimal>();
  /** Shares available per price tick (partial fills); unlimited when unset. */
  readonly liquidity = new Map<string, Decimal>();
  readonly assets = new Map<string, { symbol: string; class: string; fractionable: boolean; shortable: boolean; easy_to_borrow: boolean; tradable: boolean }>();
  /** POST /v2/orders bodies that created an order, by client order id (to prove nothing was doubled). */
  readonly created = new Map<string, number>();
  private cash = d(100_000);
  private readonly positions = new Map<string, { qty: Decimal; cost: Decimal }>();
  private readonly parents = new Map<string, string>();
  now = (): string => new Date().toISOString();
  dayTradeCount = 3;
  patternDayTrader = false;

  constructor(private readonly publish: (update: TradeUpdate) => void) {
    for (const symbol of ['AAPL', 'MSFT', 'SPY']) this.addAsset(symbol);
    this.assets.set('BTC/USD', { symbol: 'BTC/USD', class: 'crypto', fractionable: true, shortable: false, easy_to_borrow: false, tradable: true });
  }

  addAsset(symbol: string, options: Partial<{ fractionable: boolean; shortable: boolean; tradable: boolean }> = {}): void {
    this.assets.set(symbol, { symbol, class: 'us_equity', fractionable: true, shortable: true, easy_to_borrow: true, tradable: true, ...options });
  }

  /** Money moved in (positive) or out (negative) on Alpaca's dashboard: cash and buying power change with it. */
  transferCash(amount: Decimal.Value): void {
    this.cash = this.cash.plus(amount);
  }

  // ------------------------------------------------------------- queries

  account(): Record<string, unknown> {
    const equity = this.cash.plus([...this.positions].reduce((s, [sym, p]) => s.plus(p.qty.times(this.prices.get(sym) ?? 0)), d(0)));
    return {
      id: 'acc-fake-1',
      account_number: 'PA0000FAKE',
      status: 'ACTIVE',
      currency: 'USD',
      cash: this.cash.toFixed(2),
      equity: equity.toFixed(2),
      buying_power: this.buyingPower().toFixed(2),
      initial_margin: '0',
      daytrade_count: this.dayTradeCount,
      pattern_day_trader: this.patternDayTrader,
      trading_blocked: false,
      account_blocked: false,
    };
  }

  positionList(): Record<string, unknown>[] {
    return [...this.positions]
      .filter(([, p]) => !p.qty.isZero())
      .map(([symbol, p]) => ({
        asset_id: `asset-${symbol}`,
        symbol,
        exchange: 'NASDAQ',
        asset_class: this.assets.get(symbol)?.class ?? 'us_equity',
        qty: p.qty.toString(),
        side: p.qty.isNegative() ? 'short' : 'long',
        avg_entry_price: p.cost.dividedBy(p.qty).abs().toString(),
        current_price: (this.prices.get(symbol) ?? d(0)).toString(),
        unrealized_pl: (this.prices.get(symbol) ?? d(0)).times(p.qty).minus(p.cost).toString(),
      }));
  }

  asset(symbol: string): Record<string, unknown> {
    const asset = this.assets.get(symbol);
    if (!asset) throw new AlpacaHttpError(404, { code: 40410000, message: `asset not found for ${symbol}` });
    return { id: `asset-${symbol}`, exchange: 'NASDAQ', status: 'active', marginable: true, name: symbol, ...asset, ...(asset.class === 'crypto' ? { min_trade_increment: '0.000000001', min_order_size: '0.0001', price_increment: '1' } : {}) };
  }

  list(status: string, nested: boolean): WireOrder[] {
    const all = [...this.orders.values()].filter((o) => !(nested && this.parents.has(o.id)));
    const chosen = all.filter((o) => (status === 'all' ? true : status === 'closed' ? !OPEN.has(o.status) : OPEN.has(o.status) || (nested && (o.legs ?? []).some((l) => OPEN.has(l.status)))));
    return chosen.map((o) => this.view(o, nested));
  }

  get(id: string, nested = false): WireOrder {
    const order = this.orders.get(id);
    if (!order) throw new AlpacaHttpError(404, { code: 40410000, message: 'order not found' });
    return this.view(order, nested);
  }

  byClientId(clientOrderId: string): WireOrder {
    const order = [...this.orders.values()].find((o) => o.client_order_id === clientOrderId);
    if (!order) throw new AlpacaHttpError(404, { code: 40410000, message: 'order not found' });
    return this.view(order, false);
  }

  // ------------------------------------------------------------- commands

  submit(body: Record<string, unknown>): WireOrder {
    const clientOrderId = typeof body.client_order_id === 'string' ? body.client_order_id : randomUUID();
    if ([...this.orders.values()].some((o) => o.client_order_id === clientOrderId)) throw new AlpacaHttpError(422, { code: 40010001, message: 'client_order_id must be unique' });
    const symbol = String(body.symbol);
    const asset = this.assets.get(symbol);
    if (!asset) throw new AlpacaHttpError(422, { code: 40010001, message: `asset ${symbol} not found` });
    if (this.patternDayTrader) throw new AlpacaHttpError(403, { code: 40310100, message: 'trade denied due to pattern day trading protection' });
    const qty = body.notional ? d(String(body.notional)).dividedBy(this.prices.get(symbol) ?? 1) : d(String(body.qty));
    for (const [field, value] of [['limit_price', body.limit_price], ['stop_price', body.stop_price]] as const) {
      if (typeof value === 'string' && asset.class !== 'crypto' && d(value).decimalPlaces() > (d(value).greaterThanOrEqualTo(1) ? 2 : 4)) {
        throw new AlpacaHttpError(422, { code: 42210000, message: `invalid ${field} ${value}. sub-penny increment does not fulfill minimum pricing criteria` });
      }
    }
    const orderClass = typeof body.order_class === 'string' ? body.order_class : 'simple';
    const side = body.side as 'buy' | 'sell';
    if (orderClass === 'simple' || orderClass === 'bracket' || orderClass === 'oto') this.checkFunds(symbol, side, qty, body);
    if (orderClass === 'oco') this.checkHeld(symbol, side, qty, undefined);
    const order = this.newOrder({ ...body, client_order_id: clientOrderId }, orderClass === 'oco' ? 'new' : 'accepted');
    this.created.set(clientOrderId, (this.created.get(clientOrderId) ?? 0) + 1);
    if (orderClass !== 'simple') {
      const exit = side;
      const legSide = orderClass === 'oco' ? exit : side === 'buy' ? 'sell' : 'buy';
      const legs: WireOrder[] = [];
      const tp = body.take_profit as { limit_price?: string } | undefined;
      const sl = body.stop_loss as { stop_price?: string; limit_price?: string } | undefined;
      if (orderClass !== 'oco' && tp?.limit_price) legs.push(this.newOrder({ symbol, qty: body.qty, side: legSide, type: 'limit', time_in_force: body.time_in_force, limit_price: tp.limit_price }, 'held'));
      if (sl?.stop_price) legs.push(this.newOrder({ symbol, qty: body.qty, side: legSide, type: sl.limit_price ? 'stop_limit' : 'stop', time_in_force: body.time_in_force, stop_price: sl.stop_price, limit_price: sl.limit_price ?? null }, orderClass === 'oco' ? 'new' : 'held'));
      if (orderClass === 'oco') order.limit_price = tp?.limit_price ?? order.limit_price;
      for (const leg of legs) {
        leg.order_class = orderClass;
        this.parents.set(leg.id, order.id);
      }
      order.order_class = orderClass;
      order.legs = legs;
    }
    const answer = this.view(order, true);
    // Alpaca answers first and streams after: the events go out on the next turn.
    setImmediate(() => {
      this.emit('new', order);
      for (const leg of order.legs ?? []) if (leg.status === 'new') this.emit('new', leg);
      this.match(order);
      for (const leg of order.legs ?? []) if (leg.status === 'new') this.match(leg);
    });
    return answer;
  }

  replace(id: string, body: Record<string, unknown>): WireOrder {
    const old = this.orders.get(id);
    if (!old) throw new AlpacaHttpError(404, { code: 40410000, message: 'order not found' });
    if (!OPEN.has(old.status) || old.status === 'pending_cancel') throw new AlpacaHttpError(422, { code: 42210000, message: `order is ${old.status} and cannot be replaced` });
    const fresh = this.newOrder(
      {
        ...old,
        client_order_id: typeof body.client_order_id === 'string' ? body.client_order_id : randomUUID(),
        qty: body.qty ?? old.qty,
        limit_price: body.limit_price ?? old.limit_price,
        stop_price: body.stop_price ?? old.stop_price,
        trail_percent: old.trail_percent && body.trail ? body.trail : old.trail_percent,
        trail_price: old.trail_price && body.trail ? body.trail : old.trail_price,
      },
      'accepted',
    );
    fresh.replaces = old.id;
    // "Each parameter overrides the corresponding attribute of the existing order. The other
    // attributes remain the same": what filled stays counted, and `qty` stays the order's whole size.
    fresh.filled_qty = old.filled_qty;
    fresh.filled_avg_price = old.filled_avg_price;
    fresh.status = d(old.filled_qty).isZero() ? 'accepted' : 'partially_filled';
    fresh.order_class = old.order_class;
    const parent = this.parents.get(old.id);
    if (parent) this.parents.set(fresh.id, parent);
    this.swapLeg(old, fresh);
    // A replaced parent hands its legs to the new order: the pair stays one (a filled target still takes the stop).
    if (old.legs?.length) {
      fresh.legs = old.legs;
      for (const leg of old.legs) this.parents.set(leg.id, fresh.id);
    }
    old.status = 'replaced';
    old.replaced_by = fresh.id;
    old.replaced_at = this.now();
    old.updated_at = old.replaced_at;
    setImmediate(() => {
      this.emit('replaced', old);
      this.emit('new', fresh);
      this.match(fresh);
    });
    return this.view(fresh, false);
  }

  cancel(id: string): void {
    const order = this.orders.get(id);
    if (!order) throw new AlpacaHttpError(404, { code: 40410000, message: 'order not found' });
    if (!OPEN.has(order.status)) throw new AlpacaHttpError(422, { code: 42210000, message: 'order is not cancelable' });
    // One of the next cancels to refuse (this one only: the order's later cancels are taken).
    const refusedOnce = this.refuseNextCancels > 0 && !this.cancelsRefused.has(id);
    if (refusedOnce) {
      this.refuseNextCancels--;
      // Told by the first order of its replace chain: the client id its placer knows it by.
      let first = order;
      for (let hops = 0; first.replaces && this.orders.has(first.replaces) && hops < 50; hops++) first = this.orders.get(first.replaces)!;
      this.onCancelRefused?.(first.client_order_id);
    }
    if (refusedOnce || this.cancelsRefused.has(id)) {
      // Accepted (204), then refused at the venue: pending_cancel, then order_cancel_rejected and the order works on.
      const working = order.status;
      setImmediate(() => {
        this.announce(id, 'pending_cancel', { status: 'pending_cancel' });
        this.announce(id, 'order_cancel_rejected', { status: working });
      });
      return;
    }
    // Accepted now (204), done at the venue later: the stream says when. Meanwhile the order is
    // pending_cancel (a replace is refused, as the API reference says for that status).
    if (this.cancelDelayMs > 0) {
      const working = order.status;
      order.status = 'pending_cancel';
      setImmediate(() => this.emit('pending_cancel', order));
      setTimeout(() => {
        if (order.status === 'pending_cancel') order.status = working; // finish() ends open orders only
        this.finish(order, 'canceled');
      }, this.cancelDelayMs);
    } else setImmediate(() => this.finish(order, 'canceled'));
  }

  /** Real-time ms between an accepted cancel request and the order's `canceled` event (default at once). */
  cancelDelayMs = 0;

  /** Orders whose cancel the venue refuses after the DELETE was accepted (Alpaca's `order_cancel_rejected`). */
  readonly cancelsRefused = new Set<string>();

  /** How many of the next cancels (by `DELETE /v2/orders/{id}`) to refuse so; `onCancelRefused` hears each order's client id. */
  refuseNextCancels = 0;
  onCancelRefused: ((clientOrderId: string) => void) | undefined;

  /**
   * Publishes one of Alpaca's trade-update events for an order, the order first changed as given —
   * for the events this exchange does not produce by itself (`held`, `calculated`, `done_for_day`,
   * `stopped`, `suspended`, a late `rejected`, and events Alpaca may add).
   */
  announce(id: string, event: string, changes: Partial<WireOrder> = {}, extra: Partial<TradeUpdate> = {}): void {
    const order = this.orders.get(id);
    if (!order) throw new Error(`no order ${id}`);
    Object.assign(order, changes, { updated_at: this.now() });
    this.emit(event, order, extra);
  }

  /**
   * `DELETE /v2/orders`, as the Trading API documents it: HTTP 207 with one `{ id, status, body }`
   * per open order; an order that could not be cancelled is status 500 inside the body (the call
   * itself succeeds). `uncancelableInBulk` holds orders the bulk call fails on.
   */
  cancelAll(): Record<string, unknown>[] {
    const open = [...this.orders.values()].filter((o) => OPEN.has(o.status) && !this.parents.has(o.id));
    const cancelled = open.filter((o) => !this.uncancelableInBulk.has(o.id));
    setImmediate(() => {
      for (const order of cancelled) this.finish(order, 'canceled');
    });
    return open.map((o) => (this.uncancelableInBulk.has(o.id) ? { id: o.id, status: 500, body: { code: 50010000, message: 'internal server error' } } : { id: o.id, status: 200, body: this.view(o, false) }));
  }

  /** Orders `cancelAll` reports as not cancelled (status 500 in its 207 body). */
  readonly uncancelableInBulk = new Set<string>();

  setPrice(symbol: string, price: Decimal.Value): void {
    this.prices.set(symbol, d(price));
    for (const order of [...this.orders.values()]) if (order.symbol === symbol && (order.status === 'new' || order.status === 'accepted' || order.status === 'partially_filled')) this.match(order);
  }

  // ------------------------------------------------------------- matching

  private match(order: WireOrder): void {
    const price = this.prices.get(order.symbol);
    if (!price || !['new', 'accepted', 'partially_filled'].includes(order.status)) return;
    const buy = order.side === 'buy';
    let fillPrice: Decimal | undefined;
    const touched = (stop: string | null): boolean => stop !== null && (buy ? price.greaterThanOrEqualTo(stop) : price.lessThanOrEqualTo(stop));
    const limitOk = (limit: string | null): boolean => limit !== null && (buy ? price.lessThanOrEqualTo(limit) : price.greaterThanOrEqualTo(limit));
    switch (order.type) {
      case 'market':
        fillPrice = price;
        break;
      case 'limit':
        if (limitOk(order.limit_price)) fillPrice = price;
        break;
      case 'stop':
        if (touched(order.stop_price)) fillPrice = price;
        break;
      case 'stop_limit':
        if (touched(order.stop_price) || order.hwm === 'triggered') {
          order.hwm = 'triggered';
          if (limitOk(order.limit_price)) fillPrice = price;
        }
        break;
      case 'trailing_stop': {
        const hwm = order.hwm ? d(order.hwm) : price;
        const mark = buy ? Decimal.min(hwm, price) : Decimal.max(hwm, price);
        order.hwm = mark.toString();
        const offset = order.trail_percent ? mark.times(order.trail_percent).dividedBy(100) : d(order.trail_price ?? 0);
        order.stop_price = (buy ? mark.plus(offset) : mark.minus(offset)).toDecimalPlaces(2).toString();
        if (touched(order.stop_price)) fillPrice = price;
        break;
      }
    }
    if (!fillPrice) return;
    // A notional order buys what is left of its amount at this price, to 9 decimals; its `qty`
    // stays null until the amount is spent (it may fill in parts, and be cancelled in between).
    const spent = d(order.filled_avg_price ?? 0).times(order.filled_qty);
    const remaining = order.qty ? d(order.qty).minus(order.filled_qty) : d(order.notional!).minus(spent).dividedBy(fillPrice).toDecimalPlaces(9, Decimal.ROUND_DOWN);
    const available = this.liquidity.get(order.symbol);
    const qty = available ? Decimal.min(available, remaining) : remaining;
    this.execute(order, qty, fillPrice, qty.equals(remaining));
  }

  private execute(order: WireOrder, qty: Decimal, price: Decimal, last: boolean): void {
    const filled = d(order.filled_qty).plus(qty);
    const average = d(order.filled_avg_price ?? 0).times(order.filled_qty).plus(qty.times(price)).dividedBy(filled);
    order.filled_qty = filled.toString();
    order.filled_avg_price = average.toString();
    if (order.qty === null && last) order.qty = filled.toString();
    const complete = order.qty !== null && filled.equals(order.qty);
    order.status = complete ? 'filled' : 'partially_filled';
    order.updated_at = this.now();
    if (complete) order.filled_at = order.updated_at;
    const signed = order.side === 'buy' ? qty : qty.negated();
    const position = this.positions.get(order.symbol) ?? { qty: d(0), cost: d(0) };
    const closing = !position.qty.isZero() && position.qty.isPositive() !== signed.isPositive();
    const cost = closing ? position.cost.times(position.qty.plus(signed)).dividedBy(position.qty) : position.cost.plus(signed.times(price));
    this.positions.set(order.symbol, { qty: position.qty.plus(signed), cost: position.qty.plus(signed).isZero() ? d(0) : cost });
    this.cash = this.cash.minus(signed.times(price));
    // Streaming docs, fill / partial_fill: "price: The average price per share at which the order
    // was filled" — the order's average so far, not this execution's price.
    this.emit(complete ? 'fill' : 'partial_fill', order, { execution_id: randomUUID(), price: average.toString(), qty: qty.toString(), position_qty: position.qty.plus(signed).toString() });
    this.afterFill(order, complete);
  }

  /** Bracket legs go live when the entry fills completely; a leg's fill shrinks or cancels its sibling. */
  private afterFill(order: WireOrder, complete: boolean): void {
    if (complete && order.legs?.length) {
      for (const leg of order.legs) {
        if (leg.status !== 'held') continue;
        leg.status = 'new';
        leg.updated_at = this.now();
        this.emit('new', leg);
      }
      for (const leg of order.legs) this.match(leg);
    }
    const sibling = this.siblingOf(order);
    if (sibling && OPEN.has(sibling.status)) {
      if (complete) this.finish(sibling, 'canceled');
    }
  }

  private siblingOf(order: WireOrder): WireOrder | undefined {
    const parentId = this.parents.get(order.id);
    const parent = parentId ? this.orders.get(parentId) : undefined;
    if (parent?.order_class === 'oco') return parent;
    if (parent) return parent.legs?.find((l) => l.id !== order.id);
    if (order.order_class === 'oco') return order.legs?.[0];
    return undefined;
  }

  private finish(order: WireOrder, status: 'canceled' | 'expired'): void {
    if (!OPEN.has(order.status)) return;
    order.status = status;
    order.updated_at = this.now();
    if (status === 'canceled') order.canceled_at = order.updated_at;
    this.emit(status, order);
    // Cancelling a parent takes its legs; cancelling one OCO leg takes the other.
    for (const leg of order.legs ?? []) this.finish(leg, status);
    const sibling = this.siblingOf(order);
    if (sibling && d(order.filled_qty).isZero()) this.finish(sibling, status);
  }

  private checkFunds(symbol: string, side: 'buy' | 'sell', qty: Decimal, body: Record<string, unknown>): void {
    const price = d(String(body.limit_price ?? body.stop_price ?? this.prices.get(symbol) ?? 0));
    const position = this.positions.get(symbol)?.qty ?? d(0);
    if (side === 'sell' && position.greaterThan(0)) {
      this.checkHeld(symbol, side, qty, undefined);
      return;
    }
    if (side === 'buy' && qty.times(price).greaterThan(this.buyingPower())) throw new AlpacaHttpError(403, { code: 40310000, message: 'insufficient buying power' });
  }

  /** Alpaca holds shares for open sell orders: a second exit for the same shares is refused. */
  private checkHeld(symbol: string, side: 'buy' | 'sell', qty: Decimal, except: string | undefined): void {
    const position = this.positions.get(symbol)?.qty ?? d(0);
    if (side !== 'sell' || !position.greaterThan(0)) return;
    const held = [...this.orders.values()]
      .filter((o) => o.symbol === symbol && o.side === 'sell' && OPEN.has(o.status) && o.id !== except && !(this.parents.has(o.id) && this.orders.get(this.parents.get(o.id)!)?.order_class === 'oco'))
      .reduce((s, o) => s.plus(d(o.qty ?? 0).minus(o.filled_qty)), d(0));
    const available = Decimal.max(position.minus(held), 0);
    if (qty.greaterThan(available)) throw new AlpacaHttpError(403, { code: 40310000, message: `insufficient qty available for order (requested: ${qty.toString()}, available: ${available.toString()})` });
  }

  private buyingPower(): Decimal {
    const reserved = [...this.orders.values()].filter((o) => o.side === 'buy' && OPEN.has(o.status) && o.status !== 'held').reduce((s, o) => s.plus(d(o.qty ?? 0).minus(o.filled_qty).times(o.limit_price ?? this.prices.get(o.symbol) ?? 0)), d(0));
    return this.cash.minus(reserved);
  }

  private newOrder(body: Record<string, unknown>, status: string): WireOrder {
    const at = this.now();
    const type = String(body.type ?? 'market');
    const order: WireOrder = {
      id: randomUUID(),
      client_order_id: String(body.client_order_id ?? randomUUID()),
      created_at: at,
      updated_at: at,
      submitted_at: at,
      filled_at: null,
      canceled_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: null,
      asset_id: `asset-${String(body.symbol)}`,
      symbol: String(body.symbol),
      asset_class: this.assets.get(String(body.symbol))?.class ?? 'us_equity',
      notional: (body.notional as string | undefined) ?? null,
      qty: body.qty === undefined || body.qty === null ? null : String(body.qty),
      filled_qty: '0',
      filled_avg_price: null,
      order_class: 'simple',
      order_type: type,
      type,
      side: body.side as 'buy' | 'sell',
      time_in_force: String(body.time_in_force ?? 'day'),
      limit_price: (body.limit_price as string | null | undefined) ?? null,
      stop_price: (body.stop_price as string | null | undefined) ?? null,
      trail_percent: (body.trail_percent as string | null | undefined) ?? null,
      trail_price: (body.trail_price as string | null | undefined) ?? null,
      hwm: null,
      status,
      extended_hours: body.extended_hours === true,
      legs: null,
    };
    this.orders.set(order.id, order);
    return order;
  }

  private swapLeg(old: WireOrder, fresh: WireOrder): void {
    const parentId = this.parents.get(old.id);
    const parent = parentId ? this.orders.get(parentId) : undefined;
    if (parent?.legs) parent.legs = parent.legs.map((l) => (l.id === old.id ? fresh : l));
  }

  private view(order: WireOrder, nested: boolean): WireOrder {
    return { ...order, legs: nested && order.legs ? order.legs.map((l) => ({ ...l, legs: null })) : null };
  }

  /** A trade update carries the order as the REST API shows it, legs nested (streaming docs' example order object). */
  private emit(event: string, order: WireOrder, extra: Partial<TradeUpdate> = {}): void {
    this.publish({ event, timestamp: this.now(), order: this.view(order, true), ...extra });
  }
}
