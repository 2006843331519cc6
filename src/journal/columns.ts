/**
 * A table of summaries on disk, by column — how an archived segment's orders and fills are kept
 * beside it. A JSON header (the format, the row count, a dictionary for each column with few
 * distinct values, how each column is written), then one line per column: distinct strings as
 * plain tab-separated text, dictionary columns as one character per row, times as integer deltas.
 * Splitting plain text makes strings several times faster than `JSON.parse` makes the same values,
 * and a query tests codes before it builds any object (docs/benchmarks.md, "Order history over a day").
 */
export interface TableSchema<T extends string = string, C extends string = string, M extends string = string> {
  /** Written in the header and checked on reading. */
  readonly format: string;
  /** Columns of (mostly) distinct strings, written as they are; `undefined` allowed. */
  readonly text: readonly T[];
  /** Columns with few distinct values in practice: a dictionary and a code per row. */
  readonly coded: readonly C[];
  /** The row's time (epoch ms; rows sorted by it): each written as the step from the row before. */
  readonly time: M;
  /** Other times, each written as its distance from the row's `time`. */
  readonly since: readonly M[];
}

/** A table, decoded: its columns, for a query to test before building the rows it returns. */
export interface Table<T extends string = string, C extends string = string, M extends string = string> {
  readonly size: number;
  readonly text: Readonly<Record<T, readonly (string | undefined)[]>>;
  readonly dictionaries: Readonly<Record<C, readonly (string | undefined)[]>>;
  readonly codes: Readonly<Record<C, Uint32Array>>;
  readonly times: Readonly<Record<M, ArrayLike<number>>>;
}

/** One character per row while a dictionary has at most this many entries. */
const CODE_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface Header {
  readonly format: string;
  readonly size: number;
  readonly dictionaries: Record<string, (string | null)[]>;
  /** Per text column `text`, or `json` where a value would not survive plain text; `delta` or `json` for the times. */
  readonly encoding: Record<string, 'text' | 'delta' | 'json'>;
}

/** `rows` (sorted by `schema.time`) as the text of a table. */
export function encodeTable(schema: TableSchema, rows: readonly object[]): string {
  const field = (row: object, column: string): unknown => (row as Record<string, unknown>)[column] ?? null;
  const dictionaries: Record<string, (string | null)[]> = {};
  const encoding: Record<string, 'text' | 'delta' | 'json'> = {};
  const lines: string[] = [];
  for (const column of schema.text) {
    const values = rows.map((row) => field(row, column) as string | null);
    // Plain text holds any value but the empty string (it stands for "none") and the separators.
    const plain = values.every((v) => v === null || (v !== '' && !/[\t\n\r]/.test(v)));
    encoding[column] = plain ? 'text' : 'json';
    lines.push(plain ? values.map((v) => v ?? '').join('\t') : JSON.stringify(values));
  }
  const at = rows.map((row) => field(row, schema.time) as number);
  const steps = at.map((t, i) => t - (i === 0 ? 0 : at[i - 1]!));
  const others = schema.since.map((column) => rows.map((row) => field(row, column) as number));
  const distances = others.map((values) => values.map((t, i) => t - at[i]!));
  // Deltas only when every time and every delta is an exact integer (else the times are written as JSON).
  const integers = [at, ...others, steps, ...distances].every((values) => values.every((v) => Number.isSafeInteger(v)));
  encoding.times = integers ? 'delta' : 'json';
  lines.push(integers ? steps.join('\t') : JSON.stringify(at));
  others.forEach((values, c) => lines.push(integers ? distances[c]!.join('\t') : JSON.stringify(values)));
  for (const column of schema.coded) {
    const index = new Map<string | null, number>();
    const codes = rows.map((row) => {
      const value = field(row, column) as string | null;
      let code = index.get(value);
      if (code === undefined) index.set(value, (code = index.size));
      return code;
    });
    dictionaries[column] = [...index.keys()];
    lines.push(index.size <= CODE_CHARS.length ? codes.map((c) => CODE_CHARS[c]).join('') : codes.join('\t'));
  }
  const header: Header = { format: schema.format, size: rows.length, dictionaries, encoding };
  return `${[JSON.stringify(header), ...lines].join('\n')}\n`;
}

/** Reads a table written by {@link encodeTable} with the same schema; throws a `SyntaxError` on anything else. */
export function decodeTable<T extends string, C extends string, M extends string>(schema: TableSchema<T, C, M>, source: string): Table<T, C, M> {
  const lines = source.split('\n');
  let header: Header;
  try {
    header = JSON.parse(lines[0]!) as Header;
  } catch {
    throw new SyntaxError(`not a ${schema.format} table`);
  }
  const whole = header?.format === schema.format && Number.isSafeInteger(header.size) && header.size >= 0 && typeof header.encoding === 'object' && header.encoding !== null && typeof header.dictionaries === 'object' && header.dictionaries !== null;
  if (!whole || lines.length !== 2 + schema.text.length + 1 + schema.since.length + schema.coded.length) throw new SyntaxError(`not a ${schema.format} table`);
  const size = header.size;
  const checked = <T extends ArrayLike<unknown>>(values: T): T => {
    if (values.length !== size) throw new SyntaxError(`${schema.format}: a column does not have a value per row`);
    return values;
  };
  let line = 1;
  const text = {} as Record<T, (string | undefined)[]>;
  for (const column of schema.text) {
    const raw = lines[line++]!;
    let values: (string | undefined)[];
    if (header.encoding[column] === 'text') {
      values = size === 0 ? [] : raw.split('\t');
      for (let i = 0; i < values.length; i++) if (values[i] === '') values[i] = undefined;
    } else values = (JSON.parse(raw) as (string | null)[]).map((v) => v ?? undefined);
    text[column] = checked(values);
  }
  const times = {} as Record<M, ArrayLike<number>>;
  if (header.encoding.times === 'delta') {
    const at = integersOf(lines[line++]!, size, schema.format);
    for (let i = 1; i < size; i++) at[i]! += at[i - 1]!;
    times[schema.time] = at;
    for (const column of schema.since) {
      const values = integersOf(lines[line++]!, size, schema.format);
      for (let i = 0; i < size; i++) values[i]! += at[i]!;
      times[column] = values;
    }
  } else {
    for (const column of [schema.time, ...schema.since]) times[column] = checked(JSON.parse(lines[line++]!) as number[]);
  }
  const dictionaries = {} as Record<C, (string | undefined)[]>;
  const codes = {} as Record<C, Uint32Array>;
  for (const column of schema.coded) {
    const dictionary = (Array.isArray(header.dictionaries[column]) ? header.dictionaries[column] : []).map((v) => v ?? undefined);
    const raw = lines[line++]!;
    let columnCodes: Uint32Array;
    if (dictionary.length <= CODE_CHARS.length) {
      columnCodes = new Uint32Array(raw.length);
      for (let i = 0; i < raw.length; i++) columnCodes[i] = charCode(raw.charCodeAt(i));
    } else columnCodes = Uint32Array.from(integersOf(raw, size, schema.format));
    checked(columnCodes);
    // A character outside the alphabet decodes past every dictionary; so does a listed code too large.
    for (const code of columnCodes) if (code >= dictionary.length) throw new SyntaxError(`${schema.format}: a code outside its dictionary`);
    dictionaries[column] = dictionary;
    codes[column] = columnCodes;
  }
  return { size, text, dictionaries, codes, times };
}

/**
 * `size` tab-separated integers, read digit by digit: no string per value (a day's times would be
 * hundreds of thousands of them).
 */
function integersOf(line: string, size: number, format: string): Float64Array {
  const out = new Float64Array(size);
  let n = 0;
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 9;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 45 && digits === 0 && sign === 1) sign = -1;
    else if (c === 9 && digits > 0 && n < size) {
      out[n++] = sign * value;
      value = 0;
      sign = 1;
      digits = 0;
    } else if (!(c === 9 && size === 0 && line.length === 0)) throw new SyntaxError(`${format}: a number is not an integer`);
  }
  if (n !== size) throw new SyntaxError(`${format}: a column does not have a value per row`);
  return out;
}

/** The dictionary code a character of {@link CODE_CHARS} stands for (past any dictionary when it is not one). */
function charCode(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 122) return c - 87; // a-z
  if (c >= 65 && c <= 90) return c - 29; // A-Z
  return CODE_CHARS.length;
}
