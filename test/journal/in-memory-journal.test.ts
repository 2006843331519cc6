import fc from 'fast-check';
import { ConfigurationError, InMemoryJournal, type JournalEntry } from 'tradewire';
import { describe, expect, it } from 'vitest';

// A bounded in-memory journal must answer every query exactly as an unbounded one would over its
// newest `capacity` records, however the records of different orders interleave and however many
// times it has compacted.
const note = (at: number, clientOrderId?: string): JournalEntry => ({ kind: 'note', at, topic: 'test', ...(clientOrderId ? { clientOrderId } : {}), data: {} });

describe('InMemoryJournal with a capacity', () => {
  it('keeps exactly the newest `capacity` records, and per-order queries agree with them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }), { minLength: 0, maxLength: 120 }),
        (capacity, orders) => {
          const journal = new InMemoryJournal(capacity);
          const all = orders.map((o, i) => journal.append(note(i, o === undefined ? undefined : `o${o}`)));
          const window = all.slice(Math.max(0, all.length - capacity));
          expect(journal.size).toBe(window.length);
          expect(journal.query().map((r) => r.seq)).toEqual(window.map((r) => r.seq));
          for (let o = 0; o < 8; o++) {
            const id = `o${o}`;
            const expected = window.filter((r) => 'clientOrderId' in r && r.clientOrderId === id).map((r) => r.seq);
            expect(journal.query({ clientOrderId: id }).map((r) => r.seq)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('per-order queries agree whenever the first one comes (the index is built then, and kept through later compactions)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }), { minLength: 0, maxLength: 120 }),
        fc.nat(),
        (capacity, orders, firstQuery) => {
          const journal = new InMemoryJournal(capacity);
          const at = orders.length === 0 ? 0 : firstQuery % orders.length;
          const all: ReturnType<InMemoryJournal['append']>[] = [];
          const check = (): void => {
            const window = all.slice(Math.max(0, all.length - capacity));
            for (let o = 0; o < 8; o++) {
              const id = `o${o}`;
              const expected = window.filter((r) => 'clientOrderId' in r && r.clientOrderId === id).map((r) => r.seq);
              expect(journal.query({ clientOrderId: id }).map((r) => r.seq)).toEqual(expected);
            }
          };
          orders.forEach((o, i) => {
            all.push(journal.append(note(i, o === undefined ? undefined : `o${o}`)));
            if (i === at) check();
          });
          check();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('unbounded by default: nothing is dropped', () => {
    const journal = new InMemoryJournal();
    for (let i = 0; i < 5_000; i++) journal.append(note(i, `o${i % 3}`));
    expect(journal.size).toBe(5_000);
    expect(journal.query({ clientOrderId: 'o1' })).toHaveLength(1_667);
  });
});

describe('InMemoryJournal with a capacity that is not one', () => {
  it.each([['abc'], [-1], [0], [Number.NaN], [1.5], [null]])('%s is a ConfigurationError naming journal.capacity — it kept every record with a NaN size, or none', (capacity) => {
    const build = () => new InMemoryJournal(capacity as number);
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(/journal\.capacity/);
  });

  it('Infinity and whole numbers above 0 are taken', () => {
    expect(new InMemoryJournal(Number.POSITIVE_INFINITY).size).toBe(0);
    expect(new InMemoryJournal(1).size).toBe(0);
    expect(new InMemoryJournal().size).toBe(0);
  });
});
