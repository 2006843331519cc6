import { addDecimals, addExactly, compareDecimal, Decimal, multiplyDecimals, roundedToPrecision, subtractDecimals, subtractExactly, ZERO } from 'tradewire';
import type { AssetClass, OrderSide, PositionReport } from 'tradewire';

interface LedgerPosition {
  quantity: Decimal;
  averageEntryPrice: Decimal;
  assetClass: AssetClass;
}

/** The book at current marks: market value signed (shorts negative), gross exposure Σ |quantity| × mark. */
export interface BookValuation {
  readonly marketValue: Decimal;
  readonly grossExposure: Decimal;
}

/**
 * The mock broker's books: cash and signed positions at average cost. Every fill moves cash by
 * its notional and commission, so equity = cash + Σ quantity × mark holds exactly. Cash, realized
 * P&L and the book's totals are kept exact across updates and rounded once when read, as a sum of
 * their parts would be: rounded at each update, they drifted in the last digit (a crypto quantity
 * times a price has more digits than `Decimal.precision` left beside a large cash balance), and an
 * average cost that does not terminate left a residue in the realized P&L.
 */
export class MockLedger {
  private cashTotal: Decimal;
  private realizedTotal = ZERO;
  private readonly positions = new Map<string, LedgerPosition>();
  /** Each symbol's market value at its last mark, and the totals: kept as fills and prices change (see {@link revalue}). */
  private readonly values = new Map<string, Decimal>();
  private marketValueTotal = ZERO;
  private grossTotal = ZERO;
  /** Symbols whose value changed since the totals were last read, with their latest mark. */
  private readonly pendingMarks = new Map<string, Decimal | undefined>();

  constructor(initialCash: Decimal) {
    this.cashTotal = initialCash;
  }

  get cash(): Decimal {
    return roundedToPrecision(this.cashTotal);
  }

  get realizedPnl(): Decimal {
    return roundedToPrecision(this.realizedTotal);
  }

  /** Books one execution; `notional` is quantity × price, which the caller has already worked out. */
  applyFill(symbol: string, assetClass: AssetClass, side: OrderSide, quantity: Decimal, price: Decimal, notional: Decimal, commission: Decimal): void {
    const cash = side === 'buy' ? subtractExactly(this.cashTotal, notional) : addExactly(this.cashTotal, notional);
    this.cashTotal = subtractExactly(cash, commission);

    const position = this.positions.get(symbol);
    if (!position) {
      this.positions.set(symbol, { quantity: side === 'buy' ? quantity : quantity.negated(), averageEntryPrice: price, assetClass });
      return;
    }
    // A held position is never zero (a flat one is deleted below), so it is long or short.
    const current = position.quantity;
    const long = current.isPositive();
    const size = long ? current : current.negated();
    if (long === (side === 'buy')) {
      position.averageEntryPrice = addDecimals(multiplyDecimals(position.averageEntryPrice, size), notional).dividedBy(addDecimals(size, quantity));
    } else {
      const through = compareDecimal(quantity, size) > 0;
      const perUnit = long ? subtractDecimals(price, position.averageEntryPrice) : subtractDecimals(position.averageEntryPrice, price);
      this.realizedTotal = addExactly(this.realizedTotal, multiplyDecimals(perUnit, through ? size : quantity));
      // Crossing through flat opens the other side at this fill's price.
      if (through) position.averageEntryPrice = price;
    }
    position.quantity = side === 'buy' ? addDecimals(current, quantity) : subtractDecimals(current, quantity);
    if (position.quantity.isZero()) this.positions.delete(symbol);
  }

  quantity(symbol: string): Decimal {
    return this.positions.get(symbol)?.quantity ?? ZERO;
  }

  /**
   * Marks one symbol for revaluation (after a fill, or when its price moved): the book's valuation is
   * then read without a pass over every position — the broker values its book on every order, and a
   * pass each time made a session that opens n positions cost O(n²). The arithmetic waits for the
   * next read ({@link currentValuation}): a backtest moves each price four times a bar and reads the
   * valuation about once a simulated minute.
   */
  revalue(symbol: string, mark: Decimal | undefined): void {
    this.pendingMarks.set(symbol, mark);
  }

  /** The valuation {@link revalue} keeps: equal to `valuation(mark)` when every fill and price change was revalued. */
  currentValuation(): BookValuation {
    if (this.pendingMarks.size > 0) {
      for (const [symbol, mark] of this.pendingMarks) this.revalueNow(symbol, mark);
      this.pendingMarks.clear();
    }
    return { marketValue: roundedToPrecision(this.marketValueTotal), grossExposure: roundedToPrecision(this.grossTotal) };
  }

  /** One symbol's market value at `mark` (its average price without one), moved into the totals. */
  private revalueNow(symbol: string, mark: Decimal | undefined): void {
    const previous = this.values.get(symbol);
    if (previous) {
      this.marketValueTotal = subtractExactly(this.marketValueTotal, previous);
      this.grossTotal = previous.isNegative() ? addExactly(this.grossTotal, previous) : subtractExactly(this.grossTotal, previous);
    }
    const p = this.positions.get(symbol);
    if (!p) {
      this.values.delete(symbol);
      return;
    }
    const value = multiplyDecimals(p.quantity, mark ?? p.averageEntryPrice);
    this.values.set(symbol, value);
    this.marketValueTotal = addExactly(this.marketValueTotal, value);
    this.grossTotal = value.isNegative() ? subtractExactly(this.grossTotal, value) : addExactly(this.grossTotal, value);
  }

  /** Both sums in one pass (buying power and the account snapshot need both), each summed exactly and rounded once. */
  valuation(mark: (symbol: string) => Decimal | undefined): BookValuation {
    let marketValue = ZERO;
    let grossExposure = ZERO;
    for (const [symbol, p] of this.positions) {
      const value = multiplyDecimals(p.quantity, mark(symbol) ?? p.averageEntryPrice);
      marketValue = addExactly(marketValue, value);
      grossExposure = value.isNegative() ? subtractExactly(grossExposure, value) : addExactly(grossExposure, value);
    }
    return { marketValue: roundedToPrecision(marketValue), grossExposure: roundedToPrecision(grossExposure) };
  }

  /** Σ (mark − average price) × quantity over the positions with a mark: the account's unrealized P&L, without a report per position. */
  unrealizedPnl(mark: (symbol: string) => Decimal | undefined): Decimal {
    let total = ZERO;
    for (const [symbol, p] of this.positions) {
      const price = mark(symbol);
      if (price) total = addExactly(total, unrealizedAt(p, price));
    }
    return roundedToPrecision(total);
  }

  reports(mark: (symbol: string) => Decimal | undefined): PositionReport[] {
    return [...this.positions].map(([symbol, p]) => {
      const price = mark(symbol);
      return {
        symbol,
        assetClass: p.assetClass,
        quantity: p.quantity,
        averageEntryPrice: p.averageEntryPrice,
        ...(price ? { marketPrice: price, unrealizedPnl: unrealizedAt(p, price) } : {}),
      };
    });
  }
}

/** (mark − average price) × quantity: one position's unrealized P&L (the account's is their sum). */
function unrealizedAt(position: { readonly quantity: Decimal; readonly averageEntryPrice: Decimal }, mark: Decimal): Decimal {
  return multiplyDecimals(subtractDecimals(mark, position.averageEntryPrice), position.quantity);
}
