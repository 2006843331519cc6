import { Decimal, ZERO, minDecimal } from 'tradewire';
import type { AssetClass, OrderSide, PositionReport } from 'tradewire';

interface LedgerPosition {
  quantity: Decimal;
  averageEntryPrice: Decimal;
  assetClass: AssetClass;
}

/**
 * The mock broker's books: cash and signed positions at average cost. Every fill moves cash by
 * its notional and commission, so equity = cash + Σ quantity × mark holds exactly.
 */
export class MockLedger {
  cash: Decimal;
  realizedPnl = ZERO;
  private readonly positions = new Map<string, LedgerPosition>();

  constructor(initialCash: Decimal) {
    this.cash = initialCash;
  }

  applyFill(symbol: string, assetClass: AssetClass, side: OrderSide, quantity: Decimal, price: Decimal, commission: Decimal): void {
    const signed = side === 'buy' ? quantity : quantity.negated();
    const notional = quantity.times(price);
    this.cash = (side === 'buy' ? this.cash.minus(notional) : this.cash.plus(notional)).minus(commission);

    const position = this.positions.get(symbol) ?? { quantity: ZERO, averageEntryPrice: ZERO, assetClass };
    const current = position.quantity;
    if (current.isZero() || current.isPositive() === signed.isPositive()) {
      const total = current.abs().plus(quantity);
      position.averageEntryPrice = current.isZero() ? price : position.averageEntryPrice.times(current.abs()).plus(price.times(quantity)).dividedBy(total);
    } else {
      const closing = minDecimal(current.abs(), quantity);
      const perUnit = current.isPositive() ? price.minus(position.averageEntryPrice) : position.averageEntryPrice.minus(price);
      this.realizedPnl = this.realizedPnl.plus(perUnit.times(closing));
      // Crossing through flat opens the other side at this fill's price.
      if (quantity.greaterThan(current.abs())) position.averageEntryPrice = price;
    }
    position.quantity = current.plus(signed);
    if (position.quantity.isZero()) this.positions.delete(symbol);
    else this.positions.set(symbol, position);
  }

  quantity(symbol: string): Decimal {
    return this.positions.get(symbol)?.quantity ?? ZERO;
  }

  /** Market value of all positions, signed (shorts count negative). */
  marketValue(mark: (symbol: string) => Decimal | undefined): Decimal {
    let total = ZERO;
    for (const [symbol, p] of this.positions) total = total.plus(p.quantity.times(mark(symbol) ?? p.averageEntryPrice));
    return total;
  }

  /** Gross exposure: Σ |quantity| × mark. */
  grossExposure(mark: (symbol: string) => Decimal | undefined): Decimal {
    let total = ZERO;
    for (const [symbol, p] of this.positions) total = total.plus(p.quantity.abs().times(mark(symbol) ?? p.averageEntryPrice));
    return total;
  }

  reports(mark: (symbol: string) => Decimal | undefined): PositionReport[] {
    return [...this.positions].map(([symbol, p]) => {
      const price = mark(symbol);
      return {
        symbol,
        assetClass: p.assetClass,
        quantity: p.quantity,
        averageEntryPrice: p.averageEntryPrice,
        ...(price ? { marketPrice: price, unrealizedPnl: price.minus(p.averageEntryPrice).times(p.quantity) } : {}),
      };
    });
  }
}
