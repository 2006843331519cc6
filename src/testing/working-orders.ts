import { addExactly, type Decimal, multiplyDecimals, roundedToPrecision, subtractDecimals, subtractExactly, ZERO } from 'tradewire';

/** What {@link WorkingOrders} reads of an order: its symbol, and what it holds of the buying power. */
export interface ReservingOrder {
  readonly symbol: string;
  quantity: Decimal;
  filledQuantity: Decimal;
  /** Buying power held per unit still to fill (zero for the part that reduces a position). */
  readonly reservePerUnit: Decimal;
}

/**
 * The mock broker's working orders, with the two things asked of them on every order and every
 * price kept as the orders change: the buying power they hold (Σ reservePerUnit × what is left to
 * fill) and the orders of each symbol. Walking every working order for these made a book of resting
 * orders quadratic: a batch of 500 resting limit entries took ≈ 60 ms, 2 000 ≈ 670 ms
 * (docs/benchmarks.md). An order's quantity and filled quantity change only through this class
 * while it works, so the sum cannot drift from the orders.
 */
export class WorkingOrders<O extends ReservingOrder> implements Iterable<O> {
  private readonly all = new Set<O>();
  /** A symbol's set stays when it empties: no set is made per order on a symbol traded again. */
  private readonly bySymbol = new Map<string, Set<O>>();
  /** Σ what the working orders not in `fresh` hold, kept exact (read rounded once: see {@link reserved}). */
  private held: Decimal = ZERO;
  /**
   * Working orders placed since the total was last read, not summed yet: most orders fill as they
   * are placed and end before anyone asks, and then cost no arithmetic (one signal at a time, the
   * engine bench's path, paid ≈ 4% for summing them as they came).
   */
  private readonly fresh = new Set<O>();

  get size(): number {
    return this.all.size;
  }

  /** The buying power the working orders hold. */
  get reserved(): Decimal {
    if (this.fresh.size > 0) {
      for (const order of this.fresh) this.held = addExactly(this.held, reservation(order));
      this.fresh.clear();
    }
    return roundedToPrecision(this.held);
  }

  has(order: O): boolean {
    return this.all.has(order);
  }

  [Symbol.iterator](): Iterator<O> {
    return this.all.values();
  }

  /** The working orders of `symbol` (live: copy it before ending orders while walking it). */
  ofSymbol(symbol: string): ReadonlySet<O> {
    return this.bySymbol.get(symbol) ?? NONE;
  }

  add(order: O): void {
    if (this.all.has(order)) return;
    this.all.add(order);
    const same = this.bySymbol.get(order.symbol);
    if (same) same.add(order);
    else this.bySymbol.set(order.symbol, new Set([order]));
    if (!order.reservePerUnit.isZero()) this.fresh.add(order);
  }

  delete(order: O): boolean {
    if (!this.all.delete(order)) return false;
    this.bySymbol.get(order.symbol)?.delete(order);
    // Nothing working holds nothing: exactly zero, whatever a division's rounding left in the sum.
    const summed = !this.fresh.delete(order);
    if (this.all.size === 0) this.held = ZERO;
    else if (summed) this.held = subtractExactly(this.held, reservation(order));
    return true;
  }

  /** Sets an order's filled quantity, releasing what the fill used of the buying power it held. */
  setFilled(order: O, filled: Decimal): void {
    if (!order.reservePerUnit.isZero() && !this.fresh.has(order) && this.all.has(order)) {
      this.held = subtractExactly(this.held, multiplyDecimals(order.reservePerUnit, subtractDecimals(filled, order.filledQuantity)));
    }
    order.filledQuantity = filled;
  }

  /** Sets an order's quantity (a replace, an OCO sibling resized), holding more or less buying power for it. */
  setQuantity(order: O, quantity: Decimal): void {
    if (!order.reservePerUnit.isZero() && !this.fresh.has(order) && this.all.has(order)) {
      this.held = addExactly(this.held, multiplyDecimals(order.reservePerUnit, subtractDecimals(quantity, order.quantity)));
    }
    order.quantity = quantity;
  }
}

const NONE: ReadonlySet<never> = new Set();

function reservation(order: ReservingOrder): Decimal {
  if (order.reservePerUnit.isZero()) return ZERO;
  const left = subtractDecimals(order.quantity, order.filledQuantity);
  return left.isZero() ? ZERO : multiplyDecimals(order.reservePerUnit, left);
}
