import fc from 'fast-check';
import { Decimal } from 'tradewire';
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
          const summed = ledger.reports(mark).reduce((sum, r) => sum.plus(r.unrealizedPnl ?? 0), new Decimal(0));
          expect(ledger.unrealizedPnl(mark).toString()).toBe(summed.toString());
        },
      ),
      { numRuns: 300 },
    );
  });
});
