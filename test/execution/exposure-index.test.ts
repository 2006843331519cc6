import { Decimal } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { ExposureIndex } from '../../src/execution/exposure-index.js';
import type { Order } from '../../src/model/order.js';
import type { Position } from '../../src/positions/position.js';
import { newOrder } from '../helpers.js';

const d = (v: string | number): Decimal => new Decimal(v);
const position = (id: string, symbol: string, quantity: number, price: number, strategyId?: string): Position => ({ id, symbol, quantity: d(quantity), currentPrice: d(price), averageEntryPrice: d(price), ...(strategyId ? { strategyId } : {}) }) as unknown as Position;

describe('ExposureIndex', () => {
  it('keeps each key function’s totals as positions, working orders and prices change — a market entry at the price of the moment, exits and ended positions left out', () => {
    const positions = new Map<string, Position>();
    const working = new Map<string, Order[]>();
    const prices = new Map<string, Decimal>([['AAA', d(10)], ['BBB', d(20)]]);
    const index = new ExposureIndex({
      positions: () => [...positions.values()],
      workingOrders: () => [...working.values()].flat(),
      workingOrdersOf: (symbol) => working.get(symbol) ?? [],
      price: (symbol) => prices.get(symbol),
    });
    const sectorOf = (symbol: string): string | undefined => (symbol === 'ZZZ' ? undefined : 'all');
    const strategyOf = (_s: string, id: string | undefined): string | undefined => id;
    const store = (p: Position): void => {
      positions.set(p.id, p);
      index.positionChanged(p.symbol, p.id, p);
    };
    store(position('p1', 'AAA', 5, 10, 'm'));
    // Nothing kept before the first question; the book is read then.
    expect(index.exposureOf(sectorOf, 'all').toString()).toBe('50');
    // A market entry working on BBB (counted at BBB's price), an exit (reduce-only: not counted).
    working.set('BBB', [{ ...newOrder({ clientOrderId: 'e', symbol: 'BBB', quantity: 3 }), strategyId: 'v' }, { ...newOrder({ clientOrderId: 'x', symbol: 'BBB', quantity: 9 }), reduceOnly: true }]);
    index.symbolChanged('BBB');
    expect([index.exposureOf(sectorOf, 'all').toString(), index.exposureOf(strategyOf, 'v').toString(), index.exposureOf(strategyOf, 'm').toString()]).toEqual(['110', '60', '50']);
    // BBB's price moves: the working market entry is worth more.
    prices.set('BBB', d(25));
    index.symbolChanged('BBB');
    expect(index.exposureOf(strategyOf, 'v').toString()).toBe('75');
    // AAA's position is dropped, an unclassified symbol's is stored (no sector, still a strategy).
    positions.delete('p1');
    index.positionChanged('AAA', 'p1', undefined);
    store(position('p2', 'ZZZ', 2, 100, 'm'));
    expect([index.exposureOf(sectorOf, 'all').toString(), index.exposureOf(strategyOf, 'm').toString(), index.exposureOf(strategyOf, 'none').toString()]).toEqual(['75', '200', '0']);
  });

  it('keeps its totals exact: an amount that does not terminate leaves no residue once it is gone', () => {
    const positions = new Map<string, Position>();
    const index = new ExposureIndex({ positions: () => [...positions.values()], workingOrders: () => [], workingOrdersOf: () => [], price: () => undefined });
    const all = (): string => 'all';
    const store = (p: Position): void => {
      positions.set(p.id, p);
      index.positionChanged(p.symbol, p.id, p);
    };
    const at = (id: string, symbol: string, price: string): Position => ({ ...position(id, symbol, 1, 0), currentPrice: d(price), averageEntryPrice: d(price) }) as Position;
    store(at('p1', 'AAA', '83.666666666666666667'));
    expect(index.exposureOf(all, 'all').toString()).toBe('83.666666666666666667');
    store(at('p2', 'BBB', '1000000'));
    // 1000083.666666666666666667 exactly: read rounded once to 20 digits.
    expect(index.exposureOf(all, 'all').toString()).toBe('1000083.6666666666667');
    // Rounded at each change, the total kept 1000083.6666666666667 and read 83.6666666666666667 once BBB left.
    positions.delete('p2');
    index.positionChanged('BBB', 'p2', undefined);
    expect(index.exposureOf(all, 'all').toString()).toBe('83.666666666666666667');
  });
});
