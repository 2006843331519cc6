import { addDays, addMonths, addWeeks, format, parseISO, startOfISOWeek, startOfMonth } from 'date-fns';
import { formatInTimeZone, fromZonedTime, toZonedTime } from 'date-fns-tz';
import { ValidationError } from '../core/errors.js';

/** The report periods, in the account's market timezone. */
export type PeriodKind = 'daily' | 'weekly' | 'monthly';

/** A period as an inclusive range of epoch ms, with its name. */
export interface ReportPeriod {
  readonly kind: PeriodKind | 'custom';
  /** `2024-06-03`, `2024-W23`, `2024-06`, or `from … to` for a custom range. */
  readonly label: string;
  readonly timeZone: string;
  readonly from: number;
  readonly to: number;
}

/** The US equity market's timezone, the default for every period. */
export const DEFAULT_REPORT_TIMEZONE = 'America/New_York';

/**
 * The day, ISO week (Monday to Sunday) or calendar month that contains `date` (a `yyyy-MM-dd` day
 * in `timeZone`, or an instant), from its first to its last millisecond in `timeZone`.
 */
export function reportPeriod(kind: PeriodKind, date: string | number, timeZone = DEFAULT_REPORT_TIMEZONE): ReportPeriod {
  if (kind !== 'daily' && kind !== 'weekly' && kind !== 'monthly') throw new ValidationError([{ field: 'kind', message: `must be daily, weekly or monthly, got ${JSON.stringify(kind) ?? String(kind)}` }], 'report period');
  checkTimeZone(timeZone);
  return periodIn(kind, typeof date === 'number' ? toZonedTime(instantMs(date, 'date'), timeZone) : parseDay(date), timeZone);
}

/** {@link reportPeriod} of a day already parsed, in a time zone already checked. */
function periodIn(kind: PeriodKind, day: Date, timeZone: string): ReportPeriod {
  const start = kind === 'daily' ? day : kind === 'weekly' ? startOfISOWeek(day) : startOfMonth(day);
  const next = kind === 'daily' ? addDays(start, 1) : kind === 'weekly' ? addWeeks(start, 1) : addMonths(start, 1);
  const from = fromZonedTime(format(start, 'yyyy-MM-dd'), timeZone).getTime();
  const to = fromZonedTime(format(next, 'yyyy-MM-dd'), timeZone).getTime() - 1;
  const label = kind === 'daily' ? format(start, 'yyyy-MM-dd') : kind === 'weekly' ? format(start, "RRRR-'W'II") : format(start, 'yyyy-MM');
  return { kind, label, timeZone, from, to };
}

/** A custom range: `from` and `to` are days (`yyyy-MM-dd`, whole days in `timeZone`) or instants (ISO with a time, or epoch ms). */
export function customPeriod(from: string | number, to: string | number, timeZone = DEFAULT_REPORT_TIMEZONE): ReportPeriod {
  checkTimeZone(timeZone);
  const start = typeof from === 'number' ? instantMs(from, 'from') : isDay(from) ? reportPeriod('daily', from, timeZone).from : instant(from, 'from');
  const end = typeof to === 'number' ? instantMs(to, 'to') : isDay(to) ? reportPeriod('daily', to, timeZone).to : instant(to, 'to');
  if (end < start) throw new ValidationError([{ field: 'to', message: 'must not be before from' }], 'report period');
  return { kind: 'custom', label: `${formatInTimeZone(start, timeZone, 'yyyy-MM-dd HH:mm')} … ${formatInTimeZone(end, timeZone, 'yyyy-MM-dd HH:mm')}`, timeZone, from: start, to: end };
}

/** The `yyyy-MM-dd` day of an instant in `timeZone`. */
export function dayOf(at: number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, 'yyyy-MM-dd');
}

/**
 * {@link dayOf} for many instants in time order: the timezone is consulted once per day, not per
 * call (the day's bounds are cached) — formatting a date in a timezone costs tens of microseconds.
 */
export function dayKeyer(timeZone: string): (at: number) => string {
  checkTimeZone(timeZone);
  let key = '';
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  return (at) => {
    if (at >= start && at <= end) return key;
    key = dayOf(at, timeZone);
    const day = periodIn('daily', parseISO(key), timeZone);
    start = day.from;
    end = day.to;
    return key;
  };
}

function isDay(text: unknown): text is string {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text);
}

/** A `yyyy-MM-dd` that is a day of the calendar (not 2024-02-30, which date-fns reads as Invalid Date). */
function parseDay(text: string): Date {
  const day = isDay(text) ? parseISO(text) : undefined;
  if (!day || !Number.isFinite(day.getTime()) || format(day, 'yyyy-MM-dd') !== text) {
    throw new ValidationError([{ field: 'date', message: `must be a day as yyyy-MM-dd, got ${JSON.stringify(text) ?? String(text)}` }], 'report period');
  }
  return day;
}

function instant(text: string, field: string): number {
  const at = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(at)) throw new ValidationError([{ field, message: `must be a day (yyyy-MM-dd) or an ISO time, got ${JSON.stringify(text) ?? String(text)}` }], 'report period');
  return at;
}

/** 0001-01-02 and 9999-12-30 (UTC): a day a period names as `yyyy-MM-dd` in any time zone. */
const FIRST_INSTANT = new Date('0001-01-02T00:00:00Z').getTime();
const LAST_INSTANT = new Date('9999-12-30T23:59:59.999Z').getTime();

/**
 * Epoch milliseconds of a day in years 1–9999: a period is named `yyyy-MM-dd`, and a `Date` holds
 * more (±8.64e15) — year -9997 was named "10000-12-31" with NaN bounds.
 */
function instantMs(at: number, field: string): number {
  if (!(at >= FIRST_INSTANT && at <= LAST_INSTANT)) throw new ValidationError([{ field, message: `must be epoch milliseconds in the years 1 to 9999, got ${String(at)}` }], 'report period');
  return at;
}

/** An IANA time zone the runtime knows ('America/New_York'); a typo would give NaN bounds. */
function checkTimeZone(timeZone: unknown): void {
  let known = typeof timeZone === 'string' && timeZone !== '';
  if (known) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timeZone as string });
    } catch {
      known = false;
    }
  }
  if (!known) throw new ValidationError([{ field: 'timeZone', message: `must be an IANA time zone such as America/New_York, got ${JSON.stringify(timeZone) ?? String(timeZone)}` }], 'report period');
}
