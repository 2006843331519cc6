import { Decimal } from 'tradewire';

/**
 * The trading side of a local OANDA v20-compatible server: an account, instruments, orders,
 * trades and an append-only transaction log, kept the way OANDA documents them (decimal strings,
 * string ids, signed units, on-fill dependent orders, replace = cancel + create). Every change is a
 * transaction, published to the stream; the HTTP transport is in fake-oanda-server.ts.
 */
export type Tx = Record<string, unknown> & { id: string; type: string; time: string };
export interface FakeOrder {
  /** OANDA's `positionFill`: REDUCE_ONLY orders only ever reduce the position. */
  positionFill?: string;
  id: string;
  createTime: string;
  state: 'PENDING' | 'FILLED' | 'TRIGGERED' | 'CANCELLED';
  type: string;
  instrument: string;
  units?: string;
  timeInForce: string;
  price?: string;
  priceBound?: string;
  gtdTime?: string;
  distance?: string;
  tradeID?: string;
  clientExtensions?: { id?: string; comment?: string };
  fillingTransactionID?: string;
  filledTime?: string;
  cancellingTransactionID?: string;
  cancelledTime?: string;
  replacesOrderID?: string;
  replacedByOrderID?: string;
  takeProfitOnFill?: Dependent;
  stopLossOnFill?: Dependent;
  trailingStopLossOnFill?: Dependent;
  /** trailing stops: best price seen */
  hwm?: string;
}
interface Dependent {
  price?: string;
  distance?: string;
  timeInForce?: string;
  gtdTime?: string;
  clientExtensions?: { id?: string; comment?: string };
}
interface Trade {
  id: string;
  instrument: string;
  price: string;
  openTime: string;
  initialUnits: string;
  currentUnits: string;
  state: 'OPEN' | 'CLOSED';
  realizedPL: string;
}

export class OandaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.errorMessage ?? body.errorCode));
  }
}

const d = (v: Decimal.Value): Decimal => new Decimal(v);
export const ACCOUNT_ID = '101-004-0000000-001';

export class FakeOandaExchange {
  readonly transactions: Tx[] = [];
  readonly orders = new Map<string, FakeOrder>();
  readonly trades = new Map<string, Trade>();
  readonly prices = new Map<string, Decimal>();
  /** Units available per price tick (partial fills of IOC orders); unlimited when unset. */
  readonly liquidity = new Map<string, Decimal>();
  readonly created = new Map<string, number>();
  readonly instruments = new Map([
    // v20 Instrument, as GET …/instruments answers for EUR_USD (trailing-stop distance limits included).
    ['EUR_USD', { name: 'EUR_USD', type: 'CURRENCY', displayName: 'EUR/USD', pipLocation: -4, displayPrecision: 5, tradeUnitsPrecision: 0, minimumTradeSize: '1', marginRate: '0.0333', minimumTrailingStopDistance: '0.00050', maximumTrailingStopDistance: '1.00000' }],
    ['USD_JPY', { name: 'USD_JPY', type: 'CURRENCY', displayName: 'USD/JPY', pipLocation: -2, displayPrecision: 3, tradeUnitsPrecision: 0, minimumTradeSize: '1', marginRate: '0.04' }],
  ]);
  balance = d(100_000);
  private nextId = 1000;
  now = (): string => new Date().toISOString();

  constructor(private readonly publish: (tx: Tx) => void) {
    this.record({ type: 'CREATE', divisionID: 4, accountNumber: 1, homeCurrency: 'USD' });
  }

  get lastTransactionID(): string {
    return this.transactions.at(-1)!.id;
  }

  // ------------------------------------------------------------- queries

  summary(): Record<string, unknown> {
    const unrealized = this.unrealized();
    const marginUsed = [...this.trades.values()].filter((t) => t.state === 'OPEN').reduce((s, t) => s.plus(this.marginFor(t.instrument, d(t.currentUnits).abs())), d(0));
    const nav = this.balance.plus(unrealized);
    return {
      id: ACCOUNT_ID,
      alias: 'Primary',
      currency: 'USD',
      balance: this.balance.toFixed(4),
      NAV: nav.toFixed(4),
      unrealizedPL: unrealized.toFixed(4),
      marginRate: this.accountMarginRate,
      marginUsed: marginUsed.toFixed(4),
      marginAvailable: nav.minus(marginUsed).toFixed(4),
      openTradeCount: [...this.trades.values()].filter((t) => t.state === 'OPEN').length,
      pendingOrderCount: this.pending().length,
      lastTransactionID: this.lastTransactionID,
    };
  }

  instrumentList(names: string): Record<string, unknown>[] {
    const list = names.split(',').map((n) => this.instruments.get(n));
    if (list.some((i) => !i)) throw new OandaHttpError(400, { errorMessage: "Invalid value specified for 'instruments'" });
    return list as Record<string, unknown>[];
  }

  pricing(names: string): Record<string, unknown>[] {
    return names.split(',').map((instrument) => {
      const p = this.prices.get(instrument) ?? d(1);
      return { type: 'PRICE', instrument, tradeable: true, closeoutBid: p.toString(), closeoutAsk: p.toString(), time: this.now() };
    });
  }

  pending(): FakeOrder[] {
    return [...this.orders.values()].filter((o) => o.state === 'PENDING');
  }

  order(specifier: string): FakeOrder {
    const order = specifier.startsWith('@') ? [...this.orders.values()].reverse().find((o) => o.clientExtensions?.id === decodeURIComponent(specifier.slice(1))) : this.orders.get(specifier);
    if (!order) throw new OandaHttpError(404, { errorCode: 'ORDER_DOESNT_EXIST', errorMessage: 'The Order specified does not exist' });
    return order;
  }

  openTrades(): Trade[] {
    return [...this.trades.values()].filter((t) => t.state === 'OPEN');
  }

  trade(id: string): Record<string, unknown> {
    const trade = this.trades.get(id);
    if (!trade) throw new OandaHttpError(404, { errorCode: 'TRADE_DOESNT_EXIST', errorMessage: 'The Trade specified does not exist' });
    return this.tradeView(trade);
  }

  tradeView(trade: Trade): Record<string, unknown> {
    const dependents = this.pending().filter((o) => o.tradeID === trade.id);
    const of = (type: string): FakeOrder | undefined => dependents.find((o) => o.type === type);
    return { ...trade, ...(of('TAKE_PROFIT') ? { takeProfitOrder: of('TAKE_PROFIT') } : {}), ...(of('STOP_LOSS') ? { stopLossOrder: of('STOP_LOSS') } : {}), ...(of('TRAILING_STOP_LOSS') ? { trailingStopLossOrder: of('TRAILING_STOP_LOSS') } : {}) };
  }

  positions(): Record<string, unknown>[] {
    const by = new Map<string, Trade[]>();
    for (const t of this.openTrades()) by.set(t.instrument, [...(by.get(t.instrument) ?? []), t]);
    return [...by].map(([instrument, trades]) => {
      const long = trades.filter((t) => d(t.currentUnits).isPositive());
      const short = trades.filter((t) => d(t.currentUnits).isNegative());
      const side = (list: Trade[]) => {
        const units = list.reduce((s, t) => s.plus(t.currentUnits), d(0));
        const cost = list.reduce((s, t) => s.plus(d(t.currentUnits).times(t.price)), d(0));
        return { units: units.toString(), ...(units.isZero() ? {} : { averagePrice: cost.dividedBy(units).toString() }), unrealizedPL: '0.0000', tradeIDs: list.map((t) => t.id) };
      };
      return { instrument, long: side(long), short: side(short), unrealizedPL: '0.0000' };
    });
  }

  since(id: string): Tx[] {
    return this.transactions.filter((t) => BigInt(t.id) > BigInt(id));
  }

  // ------------------------------------------------------------- commands

  createOrder(request: Record<string, unknown>, replaces?: FakeOrder): Record<string, unknown> {
    const type = String(request.type);
    const instrument = String(request.instrument);
    const clientId = (request.clientExtensions as { id?: string } | undefined)?.id;
    // The order keeps its client extensions as sent (id, tag, comment).
    const comment = (request.clientExtensions as { comment?: string } | undefined)?.comment;
    const extensions = clientId ? { clientExtensions: { id: clientId, ...(comment ? { comment } : {}) } } : {};
    const spec = this.instruments.get(instrument);
    const reject = (reason: string, message: string): never => {
      // v20: a refused replacement's reject names the order it was to replace (intendedReplacesOrderID); that order stays as it was.
      const tx = this.record({ type: `${type}_ORDER_REJECT`, instrument, units: request.units, rejectReason: reason, ...(clientId ? { clientExtensions: { id: clientId } } : {}), ...(replaces ? { intendedReplacesOrderID: replaces.id } : {}) });
      throw new OandaHttpError(400, { orderRejectTransaction: tx, errorCode: reason, errorMessage: message, lastTransactionID: tx.id });
    };
    if (!spec) reject('INSTRUMENT_UNKNOWN', 'The instrument specified is unknown');
    if (clientId && replaces && this.refuseClientIdOnReplace) reject('CLIENT_ORDER_ID_ALREADY_EXISTS', 'The client Order ID specified is already assigned');
    const refusal = replaces ? this.refusingReplacement() : undefined;
    if (refusal) reject(refusal, 'The replacement Order was rejected');
    if (clientId && !replaces && [...this.orders.values()].some((o) => o.clientExtensions?.id === clientId && o.state === 'PENDING')) reject('CLIENT_ORDER_ID_ALREADY_EXISTS', 'The client Order ID specified is already assigned to another pending Order');
    if (!d(String(request.units)).abs().equals(d(String(request.units)).abs().toDecimalPlaces(spec!.tradeUnitsPrecision))) reject('UNITS_PRECISION_EXCEEDED', 'The units specified exceeds the precision');
    if (typeof request.price === 'string' && d(request.price).decimalPlaces() > spec!.displayPrecision) reject('PRICE_PRECISION_EXCEEDED', 'The price specified exceeds the precision');
    const order: FakeOrder = {
      id: '',
      createTime: this.now(),
      state: 'PENDING',
      type,
      instrument,
      units: String(request.units),
      timeInForce: String(request.timeInForce ?? (type === 'MARKET' ? 'FOK' : 'GTC')),
      ...(request.price ? { price: String(request.price) } : {}),
      ...(request.priceBound ? { priceBound: String(request.priceBound) } : {}),
      ...(request.gtdTime ? { gtdTime: String(request.gtdTime) } : {}),
      ...extensions,
      ...(request.takeProfitOnFill ? { takeProfitOnFill: request.takeProfitOnFill as Dependent } : {}),
      ...(request.stopLossOnFill ? { stopLossOnFill: request.stopLossOnFill as Dependent } : {}),
      ...(request.trailingStopLossOnFill ? { trailingStopLossOnFill: request.trailingStopLossOnFill as Dependent } : {}),
      ...(replaces ? { replacesOrderID: replaces.id } : {}),
      ...(request.positionFill ? { positionFill: String(request.positionFill) } : {}),
    };
    let cancelTx: Tx | undefined;
    if (replaces) {
      cancelTx = this.cancel(replaces, 'CLIENT_REQUEST_REPLACED', String(this.nextId + 1));
    }
    const created = this.record({ type: `${type}_ORDER`, instrument, units: order.units, timeInForce: order.timeInForce, reason: replaces ? 'REPLACEMENT' : 'CLIENT_ORDER', positionFill: request.positionFill ?? 'DEFAULT', ...(order.price ? { price: order.price } : {}), ...(order.priceBound ? { priceBound: order.priceBound } : {}), ...extensions, ...(order.takeProfitOnFill ? { takeProfitOnFill: order.takeProfitOnFill } : {}), ...(order.stopLossOnFill ? { stopLossOnFill: order.stopLossOnFill } : {}), ...(order.replacesOrderID ? { replacesOrderID: order.replacesOrderID } : {}) });
    order.id = created.id;
    if (cancelTx) {
      cancelTx.replacedByOrderID = order.id;
      replaces!.replacedByOrderID = order.id;
    }
    this.orders.set(order.id, order);
    if (clientId) this.created.set(clientId, (this.created.get(clientId) ?? 0) + 1);
    const answer: Record<string, unknown> = { orderCreateTransaction: created, ...(cancelTx ? { orderCancelTransaction: cancelTx } : {}) };
    const filled = this.tryFill(order, true);
    if (filled) answer.orderFillTransaction = filled;
    // v20: on a create, orderCancelTransaction is the new order's cancel; on a replace it is the
    // replaced order's, and replacingOrderCancelTransaction the replacement's own.
    const ownCancel = order.state === 'CANCELLED' ? this.transactions.find((t) => t.id === order.cancellingTransactionID) : undefined;
    if (ownCancel) answer[replaces ? 'replacingOrderCancelTransaction' : 'orderCancelTransaction'] = ownCancel;
    answer.relatedTransactionIDs = this.since(String(BigInt(created.id) - 1n)).map((t) => t.id);
    answer.lastTransactionID = this.lastTransactionID;
    return answer;
  }

  replace(specifier: string, request: Record<string, unknown>): Record<string, unknown> {
    const old = this.order(specifier);
    if (old.state !== 'PENDING') throw new OandaHttpError(404, { errorCode: 'ORDER_DOESNT_EXIST', errorMessage: 'The Order specified is not pending' });
    return this.createOrder(request, old);
  }

  cancelBySpecifier(specifier: string): Record<string, unknown> {
    let order: FakeOrder;
    try {
      order = this.order(specifier);
    } catch {
      const tx = this.record({ type: 'ORDER_CANCEL_REJECT', orderSpecifier: specifier, rejectReason: 'ORDER_DOESNT_EXIST' });
      throw new OandaHttpError(404, { orderCancelRejectTransaction: tx, errorCode: 'ORDER_DOESNT_EXIST', errorMessage: 'The Order specified does not exist', lastTransactionID: tx.id });
    }
    if (order.state !== 'PENDING') {
      const tx = this.record({ type: 'ORDER_CANCEL_REJECT', orderID: order.id, ...(order.clientExtensions?.id ? { clientOrderID: order.clientExtensions.id } : {}), rejectReason: 'ORDER_DOESNT_EXIST' });
      throw new OandaHttpError(404, { orderCancelRejectTransaction: tx, errorCode: 'ORDER_DOESNT_EXIST', errorMessage: 'The Order specified is not pending', lastTransactionID: tx.id });
    }
    const tx = this.cancel(order, 'CLIENT_REQUEST');
    return { orderCancelTransaction: tx, relatedTransactionIDs: [tx.id], lastTransactionID: tx.id };
  }

  /** PUT /trades/{id}/orders: create or replace the trade's take-profit / stop-loss / trailing stop. */
  setDependents(tradeId: string, body: Record<string, Dependent | null | undefined>): Record<string, unknown> {
    const trade = this.trades.get(tradeId);
    if (!trade || trade.state !== 'OPEN') throw new OandaHttpError(404, { errorCode: 'TRADE_DOESNT_EXIST', errorMessage: 'The Trade specified does not exist' });
    const answer: Record<string, unknown> = {};
    const kinds = [['takeProfit', 'TAKE_PROFIT'], ['stopLoss', 'STOP_LOSS'], ['trailingStopLoss', 'TRAILING_STOP_LOSS']] as const;
    // A client id names one order, given once (as for a new order, above): a dependent may take it
    // only from the pending order it replaces. The batch is refused whole, its reject on the log
    // (OANDA: CLIENT_ORDER_ID_ALREADY_EXISTS).
    for (const [key, type] of kinds) {
      const clientId = body[key]?.clientExtensions?.id;
      if (!clientId) continue;
      const replaced = this.pending().find((o) => o.tradeID === tradeId && o.type === type);
      // (A replaced order passed its id on to its replacement: it holds it no more.)
      const taken = [...this.orders.values()].some((o) => o.clientExtensions?.id === clientId && o !== replaced && !o.replacedByOrderID);
      if (!taken) continue;
      const tx = this.record({ type: `${type}_ORDER_REJECT`, tradeID: tradeId, rejectReason: 'CLIENT_ORDER_ID_ALREADY_EXISTS', clientExtensions: { id: clientId } });
      throw new OandaHttpError(400, { [`${key}OrderRejectTransaction`]: tx, errorCode: 'CLIENT_ORDER_ID_ALREADY_EXISTS', errorMessage: 'The client Order ID specified is already assigned to another pending Order', lastTransactionID: this.lastTransactionID });
    }
    // A replacement refused (v20: its reject names the order it was to replace): the batch changes nothing.
    for (const [key, type] of kinds) {
      const existing = body[key] ? this.pending().find((o) => o.tradeID === tradeId && o.type === type) : undefined;
      const reason = existing ? this.refusingReplacement() : undefined;
      if (!existing || !reason) continue;
      const tx = this.record({ type: `${type}_ORDER_REJECT`, tradeID: tradeId, rejectReason: reason, intendedReplacesOrderID: existing.id, ...(body[key]?.clientExtensions ? { clientExtensions: body[key]!.clientExtensions } : {}) });
      throw new OandaHttpError(400, { [`${key}OrderRejectTransaction`]: tx, errorCode: reason, errorMessage: 'The replacement Order was rejected', lastTransactionID: this.lastTransactionID });
    }
    for (const [key, type] of kinds) {
      const spec = body[key];
      if (!spec) continue;
      const existing = this.pending().find((o) => o.tradeID === tradeId && o.type === type);
      // OANDA numbers the batch up front: the cancel names the order that replaces it (the next id).
      if (existing) answer[`${key}OrderCancelTransaction`] = this.cancel(existing, 'CLIENT_REQUEST_REPLACED', String(this.nextId + 1));
      const order = this.dependent(trade, type, spec, existing);
      if (existing && existing.replacedByOrderID !== order.id) throw new Error('fake OANDA: replacement id out of sequence');
      answer[`${key}OrderTransaction`] = this.transactions.find((t) => t.id === order.id);
    }
    answer.lastTransactionID = this.lastTransactionID;
    return answer;
  }

  /** Appends any transaction (a margin call, financing) as OANDA would. */
  inject(type: string, fields: Record<string, unknown> = {}): Tx {
    return this.record({ type, ...fields });
  }

  setPrice(instrument: string, price: Decimal.Value): void {
    this.prices.set(instrument, d(price));
    for (const order of this.pending()) if (order.instrument === instrument || this.trades.get(order.tradeID ?? '')?.instrument === instrument) this.tryFill(order, false);
  }

  // ------------------------------------------------------------- matching

  private tryFill(order: FakeOrder, arriving: boolean): Tx | undefined {
    const instrument = order.instrument ?? this.trades.get(order.tradeID ?? '')?.instrument;
    const price = instrument ? this.prices.get(instrument) : undefined;
    if (!price || order.state !== 'PENDING') return undefined;
    const units = order.tradeID ? d(this.trades.get(order.tradeID)!.currentUnits).negated() : d(order.units!);
    const buy = units.isPositive();
    let go = false;
    switch (order.type) {
      case 'MARKET':
        go = true;
        break;
      case 'LIMIT':
      case 'TAKE_PROFIT':
        go = buy ? price.lessThanOrEqualTo(order.price!) : price.greaterThanOrEqualTo(order.price!);
        break;
      case 'STOP':
      case 'STOP_LOSS':
        go = buy ? price.greaterThanOrEqualTo(order.price!) : price.lessThanOrEqualTo(order.price!);
        break;
      case 'MARKET_IF_TOUCHED':
        go = buy ? price.lessThanOrEqualTo(order.price!) : price.greaterThanOrEqualTo(order.price!);
        break;
      case 'TRAILING_STOP_LOSS': {
        const mark = order.hwm ? (buy ? Decimal.min(order.hwm, price) : Decimal.max(order.hwm, price)) : price;
        order.hwm = mark.toString();
        const stop = buy ? mark.plus(order.distance!) : mark.minus(order.distance!);
        go = buy ? price.greaterThanOrEqualTo(stop) : price.lessThanOrEqualTo(stop);
        break;
      }
    }
    if (!go) {
      if (arriving && (order.timeInForce === 'FOK' || order.timeInForce === 'IOC')) this.cancel(order, 'MARKET_HALTED');
      return undefined;
    }
    if (order.priceBound && (buy ? price.greaterThan(order.priceBound) : price.lessThan(order.priceBound))) {
      this.cancel(order, 'BOUNDS_VIOLATION');
      return undefined;
    }
    const available = instrument ? this.liquidity.get(instrument) : undefined;
    let fillUnits = available && available.lessThan(units.abs()) ? available : units.abs();
    if (order.positionFill === 'REDUCE_ONLY' && instrument) {
      // REDUCE_ONLY (OrderPositionFill): the fill only reduces the open position — trimmed to it
      // (so a FOK larger than the position fails below), and with nothing to reduce it is cancelled.
      const reducible = this.openTrades().filter((t) => t.instrument === instrument && d(t.currentUnits).isPositive() !== buy).reduce((sum, t) => sum.plus(d(t.currentUnits).abs()), d(0));
      if (reducible.isZero()) {
        this.cancel(order, 'POSITION_CLOSEOUT_FAILED');
        return undefined;
      }
      if (reducible.lessThan(fillUnits)) fillUnits = reducible;
    }
    if (order.timeInForce === 'FOK' && !fillUnits.equals(units.abs())) {
      // v20 OrderCancelReason has no FOK-specific value: a FOK the market cannot fill whole is
      // cancelled for INSUFFICIENT_LIQUIDITY (as an IOC's unfilled remainder is, below).
      this.cancel(order, 'INSUFFICIENT_LIQUIDITY');
      return undefined;
    }
    const fill = this.fill(order, buy ? fillUnits : fillUnits.negated(), price);
    if (!fillUnits.equals(units.abs())) this.cancel(order, 'INSUFFICIENT_LIQUIDITY'); // an IOC's remainder
    return fill;
  }

  private fill(order: FakeOrder, units: Decimal, price: Decimal): Tx {
    const instrument = order.instrument ?? this.trades.get(order.tradeID!)!.instrument;
    // Close opposite trades first (FIFO), then open a trade with what is left.
    let left = units;
    const closed: Record<string, unknown>[] = [];
    let reduced: Record<string, unknown> | undefined;
    let pl = d(0);
    const opposite = order.tradeID ? [this.trades.get(order.tradeID)!] : this.openTrades().filter((t) => t.instrument === instrument && d(t.currentUnits).isPositive() !== units.isPositive());
    for (const trade of opposite) {
      if (left.isZero()) break;
      const current = d(trade.currentUnits);
      const take = Decimal.min(current.abs(), left.abs());
      const tradePl = price.minus(trade.price).times(current.isPositive() ? take : take.negated());
      pl = pl.plus(tradePl);
      const remaining = current.isPositive() ? current.minus(take) : current.plus(take);
      trade.currentUnits = remaining.toString();
      trade.realizedPL = d(trade.realizedPL).plus(tradePl).toString();
      if (remaining.isZero()) {
        trade.state = 'CLOSED';
        closed.push({ tradeID: trade.id, units: (current.isPositive() ? take.negated() : take).toString(), price: price.toString(), realizedPL: tradePl.toFixed(4) });
      } else {
        reduced = { tradeID: trade.id, units: (current.isPositive() ? take.negated() : take).toString(), price: price.toString(), realizedPL: tradePl.toFixed(4) };
      }
      left = units.isPositive() ? left.minus(take) : left.plus(take);
    }
    this.balance = this.balance.plus(pl);
    order.state = 'FILLED';
    order.filledTime = this.now();
    const tx = this.record({
      type: 'ORDER_FILL',
      orderID: order.id,
      ...(order.clientExtensions?.id ? { clientOrderID: order.clientExtensions.id } : {}),
      instrument,
      units: units.toString(),
      // v20 OrderFillTransaction: `price` is deprecated ("should no longer be used"), so it is not
      // sent; `fullVWAP` and the trade fields (tradeOpened / tradeReduced / tradesClosed, each with
      // its units and price) carry the fill price.
      fullVWAP: price.toString(),
      reason: order.tradeID ? order.type : `${order.type}_ORDER`,
      pl: pl.toFixed(4),
      financing: '0.0000',
      commission: '0.0000',
      accountBalance: this.balance.toFixed(4),
      ...(closed.length > 0 ? { tradesClosed: closed } : {}),
      ...(reduced ? { tradeReduced: reduced } : {}),
    });
    order.fillingTransactionID = tx.id;
    if (!left.isZero()) {
      const trade: Trade = { id: tx.id, instrument, price: price.toString(), openTime: tx.time, initialUnits: left.toString(), currentUnits: left.toString(), state: 'OPEN', realizedPL: '0.0000' };
      this.trades.set(trade.id, trade);
      tx.tradeOpened = { tradeID: trade.id, units: left.toString(), price: price.toString() };
      this.publishLast(tx);
      for (const [type, spec] of [['TAKE_PROFIT', order.takeProfitOnFill], ['STOP_LOSS', order.stopLossOnFill], ['TRAILING_STOP_LOSS', order.trailingStopLossOnFill]] as const) {
        if (spec) this.dependent(trade, type, spec, undefined);
      }
    } else {
      this.publishLast(tx);
    }
    // A closed trade takes its dependent orders with it.
    for (const c of closed) for (const dep of this.pending().filter((o) => o.tradeID === c.tradeID)) this.cancel(dep, 'LINKED_TRADE_CLOSED');
    return tx;
  }

  private dependent(trade: Trade, type: string, spec: Dependent, replaces: FakeOrder | undefined): FakeOrder {
    const clientId = spec.clientExtensions?.id;
    const tx = this.record({ type: `${type}_ORDER`, tradeID: trade.id, ...(spec.price ? { price: spec.price } : {}), ...(spec.distance ? { distance: spec.distance } : {}), timeInForce: spec.timeInForce ?? 'GTC', reason: replaces ? 'REPLACEMENT' : 'ON_FILL', ...(clientId ? { clientExtensions: { id: clientId } } : {}), ...(replaces ? { replacesOrderID: replaces.id } : {}) });
    // v20 TakeProfitDetails / StopLossDetails / TrailingStopLossDetails: timeInForce GTC, GTD (with gtdTime) or GFD.
    const order: FakeOrder = { id: tx.id, createTime: tx.time, state: 'PENDING', type, instrument: trade.instrument, timeInForce: spec.timeInForce ?? 'GTC', ...(spec.gtdTime ? { gtdTime: spec.gtdTime } : {}), tradeID: trade.id, ...(spec.price ? { price: spec.price } : {}), ...(spec.distance ? { distance: spec.distance } : {}), ...(clientId ? { clientExtensions: { id: clientId } } : {}), ...(replaces ? { replacesOrderID: replaces.id } : {}) };
    if (replaces) replaces.replacedByOrderID = order.id;
    this.orders.set(order.id, order);
    this.tryFill(order, false);
    return order;
  }

  /**
   * OANDA closing an instrument's position by itself: a MARKET_ORDER with reason MARGIN_CLOSEOUT
   * (v20 MarketOrderReason; it carries a `marginCloseout` block, no client extensions), filled at
   * once against the open trades.
   */
  closeout(instrument: string, reason: 'MARGIN_CLOSEOUT' | 'POSITION_CLOSEOUT' = 'MARGIN_CLOSEOUT'): void {
    const open = this.openTrades().filter((t) => t.instrument === instrument).reduce((sum, t) => sum.plus(t.currentUnits), d(0));
    if (open.isZero()) return;
    const order: FakeOrder = { id: '', createTime: this.now(), state: 'PENDING', type: 'MARKET', instrument, units: open.negated().toString(), timeInForce: 'FOK' };
    const created = this.record({ type: 'MARKET_ORDER', instrument, units: order.units, timeInForce: 'FOK', reason, positionFill: 'REDUCE_ONLY', ...(reason === 'MARGIN_CLOSEOUT' ? { marginCloseout: { reason: 'MARGIN_CHECK_VIOLATION' } } : {}) });
    order.id = created.id;
    this.orders.set(order.id, order);
    this.tryFill(order, true);
  }

  /**
   * Someone (the OANDA web platform, another tool) changes an order's client extensions: v20's
   * ORDER_CLIENT_EXTENSIONS_MODIFY, after which `@<old id>` no longer finds the order.
   */
  renameClientId(specifier: string, newId: string): void {
    const order = this.order(specifier);
    const old = order.clientExtensions?.id;
    order.clientExtensions = { id: newId };
    this.record({ type: 'ORDER_CLIENT_EXTENSIONS_MODIFY', orderID: order.id, ...(old ? { clientOrderID: old } : {}), clientExtensionsModify: { id: newId } });
  }

  /** OANDA cancels a GTD order at its `gtdTime` with reason TIME_IN_FORCE_EXPIRED (v20 OrderCancelReason). */
  expireGtd(now: number): void {
    for (const order of this.pending()) if (order.timeInForce === 'GTD' && order.gtdTime && Date.parse(order.gtdTime) <= now) this.cancel(order, 'TIME_IN_FORCE_EXPIRED');
  }

  private cancel(order: FakeOrder, reason: string, replacedBy?: string): Tx {
    order.state = 'CANCELLED';
    order.cancelledTime = this.now();
    const tx = this.record({ type: 'ORDER_CANCEL', orderID: order.id, ...(order.clientExtensions?.id ? { clientOrderID: order.clientExtensions.id } : {}), reason, ...(replacedBy ? { replacedByOrderID: replacedBy } : {}) });
    order.cancellingTransactionID = tx.id;
    return tx;
  }

  /** Refuse to give a replacement the replaced order's client id (the case the adapter must survive). */
  refuseClientIdOnReplace = false;

  /** Refuse the next `left` replacements (orders and trade dependents) with `reason` (e.g. MARKET_HALTED): the replaced order stays pending. */
  refuseReplacements: { reason: string; left: number } | undefined = undefined;

  private refusingReplacement(): string | undefined {
    const refusing = this.refuseReplacements;
    if (!refusing || refusing.left <= 0) return undefined;
    refusing.left--;
    return refusing.reason;
  }

  /** The account's own margin rate (its leverage setting); the larger of it and the instrument's applies. */
  accountMarginRate = '0.02';

  private marginFor(instrument: string, units: Decimal): Decimal {
    const spec = this.instruments.get(instrument)!;
    const rate = Decimal.max(spec.marginRate, this.accountMarginRate);
    const [base] = instrument.split('_');
    return base === 'USD' ? units.times(rate) : units.times(this.prices.get(instrument) ?? 1).times(rate);
  }

  private unrealized(): Decimal {
    return this.openTrades().reduce((s, t) => s.plus(d(this.prices.get(t.instrument) ?? t.price).minus(t.price).times(t.currentUnits)), d(0));
  }

  /** Appends a transaction and publishes it (ORDER_FILL is published once its trade fields are set). */
  private record(fields: Record<string, unknown>): Tx {
    const tx = { ...fields, id: String(this.nextId++), time: this.now(), accountID: ACCOUNT_ID, userID: 1, batchID: String(this.nextId - 1) } as unknown as Tx;
    this.transactions.push(tx);
    if (tx.type !== 'ORDER_FILL') this.publish(tx);
    return tx;
  }

  private publishLast(tx: Tx): void {
    this.publish(tx);
  }
}
