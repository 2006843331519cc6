import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus } from '../../src/model/order-status.js';
import { decodeFillColumns, decodeOrderColumns, encodeFillColumns, encodeOrderColumns, FillHistoryResult, OrderHistoryResult } from '../../src/journal/history-tables.js';
import { byCreation, byFillTime, type FillHistoryQuery, type FillSummary, matchesFillQuery, matchesOrderQuery, type OrderHistoryQuery, type OrderSummary } from '../../src/journal/order-history.js';

/** Any string a host could put in an id, a symbol or a strategy — separators, empty, non-ASCII included. */
const awkward = fc.oneof(fc.constantFrom('', '\t', 'a\nb', 'x\r', 'ünï', '\\', '"', 'null'), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
const plain = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);

function summaryArbitrary(text: fc.Arbitrary<string>, time: fc.Arbitrary<number>): fc.Arbitrary<OrderSummary> {
  return fc
    .record(
      {
        clientOrderId: text,
        brokerOrderId: text,
        symbol: text,
        side: fc.constantFrom('buy' as const, 'sell' as const),
        type: fc.constantFrom('market', 'limit', 'stop'),
        status: fc.constantFrom(...ORDER_STATUSES),
        quantity: fc.constantFrom('1', '10', '0.5'),
        filledQuantity: fc.constantFrom('0', '10'),
        averageFillPrice: fc.constantFrom('100', '99.95'),
        limitPrice: fc.constantFrom('95', '101.5'),
        stopPrice: fc.constantFrom('90'),
        strategyId: text,
        signalId: text,
        createdAt: time,
        updatedAt: time,
      },
      { requiredKeys: ['clientOrderId', 'symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'createdAt', 'updatedAt'] },
    )
    .map((o) => ({ ...o, updatedAt: Math.max(o.createdAt, o.updatedAt) }));
}

/** What a query returns, with absent fields absent (the decoder builds them `undefined`). */
const defined = (orders: readonly OrderSummary[]): object[] => orders.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));

function roundTrip(orders: OrderSummary[]): OrderSummary[] {
  const result = new OrderHistoryResult({});
  result.addColumns(decodeOrderColumns(encodeOrderColumns(orders)));
  return result.orders();
}

describe('columnar order summaries (an archived segment on disk)', () => {
  it('reads back exactly what was written, whatever the values: separators, empty strings, non-ASCII, fractional or negative times', () => {
    const time = fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), fc.integer({ min: -5, max: 5 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(fc.array(summaryArbitrary(fc.oneof(awkward, plain), time), { maxLength: 30 }), (orders) => {
        const sorted = [...orders].sort(byCreation);
        // Every order is ended: nothing is superseded, so every row comes back.
        const ended = sorted.map((o) => ({ ...o, status: 'filled' as OrderStatus }));
        expect(defined(roundTrip(ended))).toEqual(defined(ended));
      }),
    );
  });

  it('keeps dictionaries past one character per row (more than 62 distinct values) and an empty segment', () => {
    const orders = Array.from({ length: 200 }, (_, i): OrderSummary => ({ clientOrderId: `c${i}`, symbol: `S${i}`, side: 'buy', type: 'market', status: 'filled', quantity: String(i + 1), filledQuantity: String(i + 1), averageFillPrice: `100.${i}`, createdAt: 1_700_000_000_000 + i, updatedAt: 1_700_000_000_000 + 2 * i }));
    expect(defined(roundTrip(orders))).toEqual(defined(orders));
    expect(roundTrip([])).toEqual([]);
    // Times whose step would not be an exact integer (each one is) are written as they are.
    const far = [-9e15, 9e15].map((t, i): OrderSummary => ({ clientOrderId: `f${i}`, symbol: 'S', side: 'buy', type: 'market', status: 'filled', quantity: '1', filledQuantity: '1', createdAt: t, updatedAt: t }));
    expect(defined(roundTrip(far))).toEqual(defined(far));
    expect(decodeOrderColumns(encodeOrderColumns([])).size).toBe(0);
  });

  it('answers a query as the filter over the rows would (time, symbol, status, strategy, id, paging)', () => {
    const query = fc.record(
      {
        from: fc.integer({ min: 0, max: 40 }),
        to: fc.integer({ min: 0, max: 40 }),
        symbol: fc.constantFrom('A', 'B', 'Z'),
        status: fc.constantFrom<OrderStatus>('filled', 'cancelled', 'accepted'),
        strategyId: fc.constantFrom('s1', 's2', 'none'),
        clientOrderId: fc.constantFrom('o1', 'o5', 'x'),
        after: fc.record({ createdAt: fc.integer({ min: 0, max: 40 }), clientOrderId: fc.constantFrom('o1', 'o3', 'o9') }),
      },
      { requiredKeys: [] },
    );
    const order = fc.record({ symbol: fc.constantFrom('A', 'B'), status: fc.constantFrom<OrderStatus>('filled', 'cancelled', 'rejected'), strategyId: fc.constantFrom('s1', 's2', undefined), createdAt: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(fc.array(order, { maxLength: 25 }), query, (rows, q: OrderHistoryQuery) => {
        const orders = rows
          .map((r, i): OrderSummary => ({ clientOrderId: `o${i}`, symbol: r.symbol, side: 'buy', type: 'market', status: r.status, quantity: '1', filledQuantity: '1', createdAt: r.createdAt, updatedAt: r.createdAt, ...(r.strategyId ? { strategyId: r.strategyId } : {}) }))
          .sort(byCreation);
        const result = new OrderHistoryResult(q);
        result.addColumns(decodeOrderColumns(encodeOrderColumns(orders)));
        expect(defined(result.orders())).toEqual(defined(orders.filter((o) => matchesOrderQuery(o, q))));
      }),
    );
  });

  it('refuses a file that is not a summary, or one cut short, with a SyntaxError', () => {
    const text = encodeOrderColumns([{ clientOrderId: 'a', symbol: 'S', side: 'buy', type: 'market', status: 'filled', quantity: '1', filledQuantity: '1', createdAt: 5, updatedAt: 6 }]);
    expect(() => decodeOrderColumns('[["a"]]')).toThrow(SyntaxError);
    expect(() => decodeOrderColumns(text.split('\n').slice(0, 5).join('\n'))).toThrow(SyntaxError);
    expect(() => decodeOrderColumns(text.replace('\n5\n', '\n5x\n'))).toThrow(SyntaxError);
    expect(() => decodeOrderColumns(text.replace('\na\n', '\na\tb\n'))).toThrow(SyntaxError);
  });
});

describe('orders across segments (OrderHistoryResult)', () => {
  const order = (id: string, status: OrderStatus, at: number, extra: Partial<OrderSummary> = {}): OrderSummary => ({ clientOrderId: id, symbol: 'S', side: 'buy', type: 'limit', status, quantity: '1', filledQuantity: status === 'filled' ? '1' : '0', createdAt: at, updatedAt: at, ...extra });

  it('takes an order carried over a checkpoint in its later state, and drops its earlier row even when the later one does not match', () => {
    const older = [order('done', 'filled', 1), order('carried', 'accepted', 2), order('left', 'accepted', 3)];
    const newer = [order('carried', 'filled', 2, { updatedAt: 9 }), order('new', 'accepted', 5)];
    const all = new OrderHistoryResult({});
    all.addColumns(decodeOrderColumns(encodeOrderColumns(older)));
    all.addSummaries(newer);
    // By creation time, the carried order in its place (created at 2) with its later state.
    expect(all.orders().map((o) => [o.clientOrderId, o.status])).toEqual([['done', 'filled'], ['carried', 'filled'], ['left', 'accepted'], ['new', 'accepted']]);
    // Asking for accepted orders: the carried one is filled now, so its accepted row is not an answer.
    const accepted = new OrderHistoryResult({ status: 'accepted' });
    accepted.addColumns(decodeOrderColumns(encodeOrderColumns(older)));
    accepted.addColumns(decodeOrderColumns(encodeOrderColumns(newer)));
    expect(accepted.orders().map((o) => o.clientOrderId)).toEqual(['left', 'new']);
  });
});

describe('fills across segments (FillHistoryResult)', () => {
  const fillQuery = fc.record(
    {
      from: fc.integer({ min: 0, max: 30 }),
      to: fc.integer({ min: 0, max: 30 }),
      symbol: fc.constantFrom('A', 'B', 'Z'),
      strategyId: fc.constantFrom('s1', 'none'),
      clientOrderId: fc.constantFrom('o1', 'o2'),
      after: fc.record({ time: fc.integer({ min: 0, max: 30 }), executionId: fc.constantFrom('e1', 'e5') }),
    },
    { requiredKeys: [] },
  );
  const fillRow = fc.record({ order: fc.integer({ min: 0, max: 3 }), time: fc.integer({ min: 0, max: 30 }), price: fc.constantFrom('100', '100.5') });

  it('takes each execution once — a fill carried into a later segment with its order is not counted twice, a late-reported earlier fill is kept — and answers as the filter would', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fillRow, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), fillQuery, (segments, carry, q: FillHistoryQuery) => {
        let n = 0;
        const fill = (r: { order: number; time: number; price: string }): FillSummary => ({ executionId: `e${n++}`, clientOrderId: `o${r.order}`, symbol: r.order % 2 ? 'A' : 'B', side: 'buy', quantity: '1', price: r.price, commission: '0', time: r.time, ...(r.order === 1 ? { strategyId: 's1' } : {}) });
        // Each segment's own fills, in time order; then some fills of the segment before, carried in again.
        const tables: FillSummary[][] = [];
        for (const rows of segments) {
          const own = rows.map(fill);
          const previous = tables.at(-1) ?? [];
          const carried = carry.map((k) => previous[k % Math.max(1, previous.length)]).filter((f): f is FillSummary => f !== undefined);
          tables.push([...new Map([...carried, ...own].map((f) => [f.executionId, f])).values()].sort(byFillTime));
        }
        const result = new FillHistoryResult(q);
        tables.forEach((table, i) => (i === tables.length - 1 ? result.addSummaries(table) : result.addColumns(decodeFillColumns(encodeFillColumns(table)))));
        const unique = [...new Map(tables.flat().map((f) => [f.executionId, f])).values()];
        expect(result.fills()).toEqual(unique.filter((f) => matchesFillQuery(f, q)).sort(byFillTime));
      }),
      { numRuns: 400 },
    );
  });
});
