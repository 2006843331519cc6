import fc from 'fast-check';
import { addExactly, Decimal, roundedToPrecision } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { MockLedger } from '../../src/testing/mock-ledger.js';

describe('MockLedger: the running valuation', () => {
  it('property: after any fills and price moves, the kept valuation equals a full pass over the book (exactly: marks are prices, finite decimals)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('fill' as const), symbol: fc.constantFrom('A', 'B', 'C'), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>, qty: fc.integer({ min: 1, max: 50 }), price: fc.integer({ min: 1, max: 500 }) }),
            fc.record({ kind: fc.constant('price' as const), symbol: fc.constantFrom('A', 'B', 'C'), price: fc.integer({ min: 1, max: 500 }) }),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          const ledger = new MockLedger(new Decimal(1_000_000));
          const marks = new Map<string, Decimal>();
          const check = (): void => {
            const full = ledger.valuation((s) => marks.get(s));
            const kept = ledger.currentValuation();
            expect(kept.marketValue.equals(full.marketValue)).toBe(true);
            expect(kept.grossExposure.equals(full.grossExposure)).toBe(true);
          };
          for (const [i, step] of steps.entries()) {
            // Read now and then in the middle too: the totals catch up on the marks made since the last read.
            if (i % 3 === 2) check();
            if (step.kind === 'price') marks.set(step.symbol, new Decimal(step.price));
            else {
              // The broker fills at its price: the symbol has a mark from then on (as in MockBroker).
              const price = new Decimal(step.price);
              marks.set(step.symbol, price);
              ledger.applyFill(step.symbol, 'equity', step.side, new Decimal(step.qty), price, price.times(step.qty), new Decimal(0));
            }
            ledger.revalue(step.symbol, marks.get(step.symbol));
          }
          check();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: the account\'s unrealized P&L is the sum over the position reports (long, short, marked at fractional prices or not marked at all)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ symbol: fc.constantFrom('A', 'B', 'C', 'D'), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>, qty: fc.integer({ min: 1, max: 50 }), cents: fc.integer({ min: 1, max: 50_000 }) }),
          { maxLength: 40 },
        ),
        fc.dictionary(fc.constantFrom('A', 'B', 'C'), fc.integer({ min: 1, max: 90_000 })),
        (fills, markCents) => {
          const ledger = new MockLedger(new Decimal(1_000_000));
          for (const f of fills) {
            const price = new Decimal(f.cents).dividedBy(100);
            ledger.applyFill(f.symbol, 'equity', f.side, new Decimal(f.qty), price, price.times(f.qty), new Decimal(0));
          }
          // D is never marked: it has no unrealized P&L in either view.
          const mark = (s: string): Decimal | undefined => (markCents[s] === undefined ? undefined : new Decimal(markCents[s]!).dividedBy(100));
          // Summed exactly and rounded once, as the account's total is (an average cost that does not terminate has every digit the precision allows).
          const summed = roundedToPrecision(ledger.reports(mark).reduce((sum, r) => addExactly(sum, r.unrealizedPnl ?? new Decimal(0)), new Decimal(0)));
          expect(ledger.unrealizedPnl(mark).toString()).toBe(summed.toString());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: cash, realized P&L and the book\'s totals do not drift: kept exact across fills of long decimals and read rounded once', () => {
    const Exact = Decimal.clone({ precision: 1_000 });
    const digits = (n: number, places: number): Decimal => new Decimal(n).dividedBy(10 ** places);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ symbol: fc.constantFrom('BTC', 'ETH'), side: fc.constantFrom('buy', 'sell') as fc.Arbitrary<'buy' | 'sell'>, qty: fc.integer({ min: 1, max: 99_999_999 }), price: fc.integer({ min: 1, max: 9_999_999_999_999 }), fee: fc.integer({ min: 0, max: 999_999 }) }),
          { minLength: 1, maxLength: 40 },
        ),
        (fills) => {
          // A cash balance of 13 digits beside notionals of 8 + 8 decimal places: more digits than Decimal.precision.
          const initial = new Decimal('1234567890123.45');
          const ledger = new MockLedger(initial);
          let cash = new Exact(initial);
          // A model of average-cost books: the average as decimal.js divides it, the realized P&L summed exactly.
          const book = new Map<string, { qty: Decimal; avg: Decimal }>();
          let realized = new Exact(0);
          for (const f of fills) {
            const quantity = digits(f.qty, 8);
            const price = digits(f.price, 8);
            const notional = quantity.times(price);
            const commission = digits(f.fee, 6);
            ledger.applyFill(f.symbol, 'crypto', f.side, quantity, price, notional, commission);
            ledger.revalue(f.symbol, undefined);
            cash = (f.side === 'buy' ? cash.minus(notional) : cash.plus(notional)).minus(commission);
            const held = book.get(f.symbol) ?? { qty: new Decimal(0), avg: price };
            const signed = f.side === 'buy' ? quantity : quantity.negated();
            if (held.qty.isZero() || held.qty.isPositive() === signed.isPositive()) {
              held.avg = held.qty.isZero() ? price : held.avg.times(held.qty.abs()).plus(notional).dividedBy(held.qty.abs().plus(quantity));
            } else {
              const closed = Decimal.min(quantity, held.qty.abs());
              realized = realized.plus((held.qty.isPositive() ? price.minus(held.avg) : held.avg.minus(price)).times(closed));
              if (quantity.greaterThan(held.qty.abs())) held.avg = price;
            }
            held.qty = held.qty.plus(signed);
            if (held.qty.isZero()) book.delete(f.symbol);
            else book.set(f.symbol, held);
          }
          expect(ledger.realizedPnl.toString()).toBe(roundedToPrecision(new Decimal(realized)).toString());
          expect(ledger.cash.toString()).toBe(roundedToPrecision(new Decimal(cash)).toString());
          // Valued at average cost (a non-terminating one after adds at different prices): the kept totals equal a fresh pass.
          const kept = ledger.currentValuation();
          const full = ledger.valuation(() => undefined);
          expect(kept.marketValue.toString()).toBe(full.marketValue.toString());
          expect(kept.grossExposure.toString()).toBe(full.grossExposure.toString());
        },
      ),
      { numRuns: 300 },
    );
  });
});

