import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/journal/journal.js';
import { encodeNotes, encodeNotesFile } from '../../src/journal/notes-summary.js';
import { readSegmentNotes } from '../../src/journal/segment-archive.js';

type Note = Extract<JournalRecord, { kind: 'note' }>;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-notes-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOPICS = ['position.closed', 'execution.recorded', 'alert', 'account.snapshot'];
const noteArbitrary = fc.record(
  {
    at: fc.integer({ min: 0, max: 1e6 }),
    topic: fc.constantFrom(...TOPICS),
    clientOrderId: fc.constantFrom('o1', 'o2'),
    symbol: fc.constantFrom('AAPL', 'ÄÖÜ'),
    data: fc.oneof(fc.record({ realizedPnl: fc.constantFrom('1.5', '-2'), side: fc.constantFrom('long', 'short'), note: fc.string({ maxLength: 4 }) }), fc.constantFrom('text', 5, ['a'])),
  },
  { requiredKeys: ['at', 'topic'] },
);
/** Notes in sequence order, as a segment holds them. */
const notesArbitrary = fc.array(noteArbitrary, { maxLength: 40 }).map((list) => list.map((n, i): Note => ({ kind: 'note', seq: i + 1, ...n }) as Note));
const archive = (): string => join(dir, 'j.jsonl.000001');

describe('an archived segment\'s notes file (a section per topic)', () => {
  it('reads back every note in sequence order, or only the topics asked for, whatever the data (non-ASCII included)', () => {
    fc.assert(
      fc.property(notesArbitrary, fc.subarray(TOPICS), (notes, topics) => {
        writeFileSync(`${archive()}.notes.json`, encodeNotesFile(notes));
        expect(readSegmentNotes(archive())).toEqual(notes);
        expect(readSegmentNotes(archive(), new Set(topics))).toEqual(notes.filter((n) => topics.includes(n.topic)));
      }),
      { numRuns: 60 },
    );
  });

  it('still reads a file written before sections (one JSON value), filtered by topic', () => {
    fc.assert(
      fc.property(notesArbitrary, fc.subarray(TOPICS), (notes, topics) => {
        writeFileSync(`${archive()}.notes.json`, JSON.stringify(encodeNotes(notes)));
        expect(readSegmentNotes(archive(), new Set(topics))).toEqual(notes.filter((n) => topics.includes(n.topic)));
      }),
      { numRuns: 30 },
    );
  });

  it('a file that is neither is rebuilt from its archive (summaries are derived data); without the archive, reading fails', () => {
    const notes: Note[] = [
      { kind: 'note', seq: 1, at: 1, topic: 'alert', data: { code: 'a' } },
      { kind: 'note', seq: 2, at: 2, topic: 'position.closed', symbol: 'AAPL', data: { realizedPnl: '1.5' } },
    ];
    writeFileSync(`${archive()}.notes.json`, 'unreadable');
    expect(() => readSegmentNotes(archive())).toThrow(/ENOENT/);
    writeFileSync(archive(), notes.map((n) => `${JSON.stringify(n)}\n`).join(''));
    expect(readSegmentNotes(archive())).toEqual(notes);
    writeFileSync(`${archive()}.notes.json`, '{"version":3,"sections":{"alert":[0,40]}}\n[1,2');
    expect(readSegmentNotes(archive(), new Set(['alert']))).toEqual([notes[0]]);
  });
});
