import { addExactly, type Decimal, multiplyDecimals, roundedToPrecision, subtractDecimals, subtractExactly, ZERO } from '../core/decimal.js';
import type { Order } from '../model/order.js';
import { type Position, positionValue } from '../positions/position.js';

/** Which total an item counts toward (a sector of its symbol, its strategy), or undefined for none. */
export type ExposureKey = (symbol: string, strategyId: string | undefined) => string | undefined;

/** Where {@link ExposureIndex} reads the book (the engine's own positions, orders and prices). */
export interface ExposureSources {
  /** Every position not yet closed. */
  positions(): readonly Position[];
  /** Every working order. */
  workingOrders(): readonly Order[];
  /** The working orders of one symbol. */
  workingOrdersOf(symbol: string): Iterable<Order>;
  price(symbol: string): Decimal | undefined;
}

/**
 * What a working order counts toward exposure: nothing for an exit (reduce-only); else what is left
 * to fill at its limit, the market price, or its stop — undefined without any price.
 */
export function entryExposure(order: Order, marketPrice: Decimal | undefined): Decimal | undefined {
  if (order.reduceOnly) return undefined;
  const price = order.limitPrice ?? marketPrice ?? order.stopPrice;
  return price ? multiplyDecimals(subtractDecimals(order.quantity, order.filledQuantity), price) : undefined;
}

/** One key function's totals, and what each symbol adds to them (to take it out again when the symbol changes). */
interface View {
  readonly totals: Map<string, Decimal>;
  readonly bySymbol: Map<string, readonly (readonly [string, Decimal])[]>;
}

/**
 * Exposure by group — open positions at their prices plus working entry orders, per the key a
 * group or strategy limit gives — kept as the book changes: the limits ask on every entry, and
 * summing the whole book each time made a batch beside a book quadratic (500 entries beside 500
 * positions with a sector and a strategy limit: ≈ 210 ms against ≈ 25 ms without; docs/benchmarks.md).
 * Nothing is kept until a limit first asks (the signal path pays one call per change for it).
 * The engine says which symbol changed (a position stored or dropped, an order stored, a price);
 * that symbol is summed again from the book at the next question, so the totals are the book's.
 * A key function is called again only for the symbols that changed: a host classification is
 * taken as fixed per symbol.
 */
export class ExposureIndex {
  private readonly views = new Map<ExposureKey, View>();
  /** The positions not closed, by symbol and id: kept from the first question on. */
  private positions: Map<string, Map<string, Position>> | undefined;
  private readonly dirty = new Set<string>();

  constructor(private readonly sources: ExposureSources) {}

  /** A position was stored (or dropped: `position` undefined). */
  positionChanged(symbol: string, id: string, position: Position | undefined): void {
    const positions = this.positions;
    if (positions === undefined) return;
    let ofSymbol = positions.get(symbol);
    if (position !== undefined) {
      if (ofSymbol === undefined) positions.set(symbol, (ofSymbol = new Map()));
      ofSymbol.set(id, position);
    } else if (ofSymbol !== undefined) {
      ofSymbol.delete(id);
      if (ofSymbol.size === 0) positions.delete(symbol);
    }
    this.dirty.add(symbol);
  }

  /** An order of the symbol was stored, or its price moved. */
  symbolChanged(symbol: string): void {
    if (this.positions !== undefined) this.dirty.add(symbol);
  }

  /** The exposure of everything `keyOf` puts under `key`. */
  exposureOf(keyOf: ExposureKey, key: string): Decimal {
    if (this.positions === undefined) this.start();
    const view = this.views.get(keyOf) ?? this.addView(keyOf);
    this.refresh();
    return roundedToPrecision(view.totals.get(key) ?? ZERO);
  }

  private start(): void {
    const positions = new Map<string, Map<string, Position>>();
    for (const p of this.sources.positions()) {
      let ofSymbol = positions.get(p.symbol);
      if (ofSymbol === undefined) positions.set(p.symbol, (ofSymbol = new Map()));
      ofSymbol.set(p.id, p);
    }
    this.positions = positions;
  }

  private addView(keyOf: ExposureKey): View {
    const view: View = { totals: new Map(), bySymbol: new Map() };
    this.views.set(keyOf, view);
    const symbols = new Set(this.positions!.keys());
    for (const o of this.sources.workingOrders()) symbols.add(o.symbol);
    for (const symbol of symbols) this.resum(view, keyOf, symbol, this.itemsOf(symbol));
    return view;
  }

  private refresh(): void {
    if (this.dirty.size === 0) return;
    for (const symbol of this.dirty) {
      const items = this.itemsOf(symbol);
      for (const [keyOf, view] of this.views) this.resum(view, keyOf, symbol, items);
    }
    this.dirty.clear();
  }

  /** The symbol's positions holding quantity and its working entry orders: (strategy, exposure) each — the same sums the limits were defined by. */
  private itemsOf(symbol: string): (readonly [string | undefined, Decimal])[] {
    const items: (readonly [string | undefined, Decimal])[] = [];
    for (const p of this.positions!.get(symbol)?.values() ?? []) {
      if (p.quantity.greaterThan(0)) items.push([p.strategyId, positionValue(p)]);
    }
    for (const o of this.sources.workingOrdersOf(symbol)) {
      const amount = entryExposure(o, this.sources.price(symbol));
      if (amount) items.push([o.strategyId, amount]);
    }
    return items;
  }

  /** Takes the symbol's old part out of the view's totals and puts its new one in. */
  private resum(view: View, keyOf: ExposureKey, symbol: string, items: readonly (readonly [string | undefined, Decimal])[]): void {
    for (const [key, amount] of view.bySymbol.get(symbol) ?? []) {
      // Exact (see addExactly): a total rounded at each change kept a residue in its last digit after an amount that does not terminate left it.
      const left = subtractExactly(view.totals.get(key)!, amount);
      if (left.isZero()) view.totals.delete(key);
      else view.totals.set(key, left);
    }
    const parts: (readonly [string, Decimal])[] = [];
    for (const [strategyId, amount] of items) {
      const key = keyOf(symbol, strategyId);
      if (key === undefined) continue;
      parts.push([key, amount]);
      view.totals.set(key, addExactly(view.totals.get(key) ?? ZERO, amount));
    }
    if (parts.length > 0) view.bySymbol.set(symbol, parts);
    else view.bySymbol.delete(symbol);
  }
}
