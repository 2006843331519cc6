import fc from 'fast-check';
import { applyOrderEvent, Decimal, type Fill, InvalidOrderTransitionError, type Order, type OrderEvent, OverfillError } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { fill, orderIn } from '../helpers.js';

const ORDER_QTY = 100;

/** One broker message: a fill (possibly a replay of an earlier execution id), or a status event. */
const messageArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('fill' as const), exec: fc.integer({ min: 0, max: 12 }), qty: fc.integer({ min: 1, max: 60 }), price: fc.integer({ min: 9_000, max: 11_000 }) }) },
  { weight: 1, arbitrary: fc.constantFrom<{ kind: 'status'; type: OrderEvent['type'] }>(
    { kind: 'status', type: 'accepted' },
    { kind: 'status', type: 'submitted' },
    { kind: 'status', type: 'cancel_requested' },
    { kind: 'status', type: 'cancelled' },
    { kind: 'status', type: 'cancel_rejected' },
    { kind: 'status', type: 'expired' },
  ) },
);

type Message = typeof messageArb extends fc.Arbitrary<infer M> ? M : never;

function toEvent(message: Message, at: number, seen: Map<number, Fill>): OrderEvent {
  if (message.kind === 'fill') {
    // A replayed execution id carries the same quantity and price as the first time, as a broker replay would.
    const existing = seen.get(message.exec);
    const f = existing ?? fill(`x-${message.exec}`, message.qty, new Decimal(message.price).dividedBy(100), 0, at);
    seen.set(message.exec, f);
    return { type: 'filled', at, fill: f };
  }
  if (message.type === 'cancel_rejected') return { type: 'cancel_rejected', at, reason: 'too late' };
  return { type: message.type, at } as OrderEvent;
}

function vwap(fills: readonly Fill[]): Decimal | undefined {
  const qty = fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
  if (qty.isZero()) return undefined;
  return fills.reduce((s, f) => s.plus(f.quantity.times(f.price)), new Decimal(0)).dividedBy(qty);
}

describe('order properties', () => {
  it('any sequence of partial fills, replays and out-of-order events keeps quantity, average and status right and never overfills', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 40 }), (messages) => {
        let order: Order = orderIn('submitted');
        const seen = new Map<number, Fill>();
        const applied = new Map<string, Fill>();
        messages.forEach((message, i) => {
          const event = toEvent(message, 10 + i, seen);
          const before = order;
          try {
            const result = applyOrderEvent(order, event);
            order = result.order;
            if (event.type === 'filled') {
              if (applied.has(event.fill.executionId)) expect(result.outcome).toBe('duplicate');
              else applied.set(event.fill.executionId, event.fill);
            }
          } catch (error) {
            // A refused event is typed and leaves the order exactly as it was.
            expect(error instanceof InvalidOrderTransitionError || error instanceof OverfillError).toBe(true);
            expect(order).toBe(before);
          }
          // Invariants after every single message:
          const sum = order.fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
          expect(order.filledQuantity.equals(sum)).toBe(true);
          expect(order.filledQuantity.lessThanOrEqualTo(ORDER_QTY)).toBe(true);
          expect(new Set(order.fills.map((f) => f.executionId)).size).toBe(order.fills.length);
          expect(order.status === 'filled').toBe(order.filledQuantity.equals(ORDER_QTY));
          const expected = vwap(order.fills);
          if (expected) expect(order.averageFillPrice!.minus(expected).abs().lessThan('1e-15')).toBe(true);
          else expect(order.averageFillPrice).toBeUndefined();
        });
        expect([...applied.values()].reduce((s, f) => s.plus(f.quantity), new Decimal(0)).equals(order.filledQuantity)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('fills summing to the quantity end filled at the VWAP whatever their order, duplicates and late acks', () => {
    const splitArb = fc
      .array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 })
      .map((parts) => {
        const total = parts.reduce((a, b) => a + b, 0);
        // Scale the parts to sum exactly to ORDER_QTY.
        const scaled = parts.map((p) => Math.max(1, Math.floor((p * ORDER_QTY) / total)));
        const diff = ORDER_QTY - scaled.reduce((a, b) => a + b, 0);
        scaled[0] = scaled[0]! + diff;
        return scaled.filter((q) => q > 0);
      })
      .filter((parts) => parts.every((q) => q > 0) && parts.reduce((a, b) => a + b, 0) === ORDER_QTY);

    fc.assert(
      fc.property(splitArb, fc.array(fc.integer({ min: 9_000, max: 11_000 }), { minLength: 8, maxLength: 8 }), fc.integer(), (parts, prices, seed) => {
        const fills = parts.map((q, i) => fill(`x-${i}`, q, new Decimal(prices[i]!).dividedBy(100)));
        const events: OrderEvent[] = fills.map((f, i) => ({ type: 'filled', at: i, fill: f }));
        events.push({ type: 'filled', at: 99, fill: fills[0]! }, { type: 'accepted', at: 98 });
        const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), { seed, numRuns: 1 })[0]!;
        let order = orderIn('submitted');
        for (const event of shuffled) order = applyOrderEvent(order, event).order;
        expect(order.status).toBe('filled');
        expect(order.filledQuantity.toNumber()).toBe(ORDER_QTY);
        expect(order.averageFillPrice!.minus(vwap(fills)!).abs().lessThan('1e-15')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
