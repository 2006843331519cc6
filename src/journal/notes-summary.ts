import type { JournalRecord } from './journal.js';

type Note = Extract<JournalRecord, { kind: 'note' }>;

/**
 * An archived segment's history notes, compact (`<archive>.notes.json`): the keys of each topic's
 * data are written once, as columns, and every note as a row of values — a day of execution
 * records parses several times faster than the same notes as objects (measured: docs/benchmarks.md).
 * Row: `[seq, at, topic, clientOrderId, symbol, ...values]`, `null` for absent. A note whose data is
 * not a plain object, or holds a `null` (which a column could not tell from absent), keeps its data
 * whole — `[seq, at, topic, clientOrderId, symbol, data]` — and is listed in `whole`.
 */
export interface NotesSummary {
  readonly version: 2;
  /** Per topic, the data's keys in first-seen order. */
  readonly columns: Readonly<Record<string, readonly string[]>>;
  readonly rows: readonly (readonly unknown[])[];
  /** Indexes (in `rows`) of notes whose data is kept whole. */
  readonly whole: readonly number[];
}

export function encodeNotes(notes: readonly Note[]): NotesSummary {
  const columns: Record<string, string[]> = {};
  const seen: Record<string, Set<string>> = {};
  const isColumnar = (data: unknown): data is Record<string, unknown> =>
    data !== null && typeof data === 'object' && !Array.isArray(data) && Object.values(data as object).every((v) => v !== null);
  for (const note of notes) {
    if (!isColumnar(note.data)) continue;
    const keys = (seen[note.topic] ??= new Set());
    const list = (columns[note.topic] ??= []);
    for (const key of Object.keys(note.data)) {
      if (keys.has(key)) continue;
      keys.add(key);
      list.push(key);
    }
  }
  const rows: unknown[][] = [];
  const whole: number[] = [];
  for (const note of notes) {
    const head = [note.seq, note.at, note.topic, note.clientOrderId ?? null, note.symbol ?? null];
    if (!isColumnar(note.data)) {
      whole.push(rows.length);
      rows.push([...head, note.data ?? null]);
      continue;
    }
    const data = note.data;
    rows.push([...head, ...columns[note.topic]!.map((key) => (key in data && data[key] !== undefined ? data[key] : null))]);
  }
  return { version: 2, columns, rows, whole };
}

/** The notes of a summary — or of an older one, written as an array of records. */
export function decodeNotes(json: NotesSummary | readonly Note[]): Note[] {
  if (Array.isArray(json)) return json as Note[];
  const summary = json as NotesSummary;
  const whole = new Set(summary.whole);
  const out: Note[] = [];
  for (let r = 0; r < summary.rows.length; r++) {
    const row = summary.rows[r]!;
    const note: { -readonly [K in keyof Note]?: Note[K] } = { kind: 'note', seq: row[0] as number, at: row[1] as number, topic: row[2] as string };
    if (row[3] !== null) note.clientOrderId = row[3] as string;
    if (row[4] !== null) note.symbol = row[4] as string;
    if (whole.has(r)) {
      if (row[5] !== null) note.data = row[5];
    } else {
      const columns = summary.columns[note.topic!]!;
      const data: Record<string, unknown> = {};
      for (let c = 0; c < columns.length; c++) {
        const value = row[c + 5];
        if (value !== null && value !== undefined) data[columns[c]!] = value;
      }
      note.data = data;
    }
    out.push(note as Note);
  }
  return out;
}

/** The header line of a notes file: each topic's section, as `[offset, length]` in bytes after the header's newline. */
interface NotesFileHeader {
  readonly version: 3;
  readonly sections: Readonly<Record<string, readonly [number, number]>>;
}

/**
 * An archived segment's history notes as a file (`<archive>.notes.json`): a header line, then one
 * section per topic, each a {@link NotesSummary}. A query for one topic (the closed positions of a
 * day) reads and parses only that topic's bytes — not the execution records, which are most of them.
 */
export function encodeNotesFile(notes: readonly Note[]): string {
  const byTopic = new Map<string, Note[]>();
  for (const note of notes) {
    const list = byTopic.get(note.topic);
    if (list) list.push(note);
    else byTopic.set(note.topic, [note]);
  }
  const sections: Record<string, [number, number]> = {};
  const texts: string[] = [];
  let offset = 0;
  for (const [topic, list] of byTopic) {
    const text = JSON.stringify(encodeNotes(list));
    const length = Buffer.byteLength(text);
    sections[topic] = [offset, length];
    texts.push(text);
    offset += length + 1;
  }
  const header: NotesFileHeader = { version: 3, sections };
  return `${JSON.stringify(header)}\n${texts.map((t) => `${t}\n`).join('')}`;
}

/**
 * The sections of a notes file, from its first line; undefined for a file written before sections
 * (one JSON value: read it whole with {@link decodeNotes}).
 */
export function notesFileSections(firstLine: string): NotesFileHeader['sections'] | undefined {
  try {
    const header = JSON.parse(firstLine) as Partial<NotesFileHeader> | null;
    return header?.version === 3 && typeof header.sections === 'object' && header.sections !== null ? header.sections : undefined;
  } catch {
    return undefined;
  }
}
