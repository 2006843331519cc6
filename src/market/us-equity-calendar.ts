/**
 * The US equity market calendar (NYSE / Nasdaq), computed by rule so it never runs out:
 * full-day holidays with the exchanges' weekend-observance rules, and the 13:00 ET early closes.
 * Dates are `yyyy-MM-dd` in New York. Checked against NYSE's published calendars (tests).
 */
export interface MarketDate {
  readonly date: string;
  readonly name: string;
}

/** Full-day closures in `year`. */
export function usEquityHolidays(year: number): MarketDate[] {
  const out: MarketDate[] = [];
  const add = (date: string | undefined, name: string): void => {
    if (date) out.push({ date, name });
  };
  // New Year's Day on a Saturday is not observed on the Friday before (NYSE Rule 7.2): no holiday.
  const newYear = ymd(year, 1, 1);
  add(weekday(newYear) === 6 ? undefined : observed(newYear), "New Year's Day");
  add(nthWeekday(year, 1, 1, 3), 'Martin Luther King, Jr. Day');
  add(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  add(shift(easterSunday(year), -2), 'Good Friday');
  add(lastWeekday(year, 5, 1), 'Memorial Day');
  if (year >= 2022) add(observed(ymd(year, 6, 19)), 'Juneteenth National Independence Day');
  add(observed(ymd(year, 7, 4)), 'Independence Day');
  add(nthWeekday(year, 9, 1, 1), 'Labor Day');
  add(nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  add(observed(ymd(year, 12, 25)), 'Christmas Day');
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

/**
 * 13:00 ET closes in `year`: the day before Independence Day and Christmas Eve when they fall
 * Monday to Thursday (a weekend or an observed holiday skips them), and the day after Thanksgiving.
 */
export function usEquityEarlyCloses(year: number): MarketDate[] {
  const out: MarketDate[] = [];
  const july3 = ymd(year, 7, 3);
  if (weekday(july3) >= 1 && weekday(july3) <= 4) out.push({ date: july3, name: 'Day before Independence Day' });
  out.push({ date: shift(nthWeekday(year, 11, 4, 4), 1), name: 'Day after Thanksgiving' });
  const christmasEve = ymd(year, 12, 24);
  if (weekday(christmasEve) >= 1 && weekday(christmasEve) <= 4) out.push({ date: christmasEve, name: 'Christmas Eve' });
  return out;
}

/** Saturday → the Friday before, Sunday → the Monday after. */
function observed(date: string): string {
  const day = weekday(date);
  if (day === 6) return shift(date, -1);
  if (day === 0) return shift(date, 1);
  return date;
}

/** Easter Sunday (Gregorian), by the anonymous Gregorian algorithm. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** The n-th `dow` (0 = Sunday) of a month. */
function nthWeekday(year: number, month: number, dow: number, n: number): string {
  const first = weekday(ymd(year, month, 1));
  return ymd(year, month, 1 + ((dow - first + 7) % 7) + (n - 1) * 7);
}

function lastWeekday(year: number, month: number, dow: number): string {
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = weekday(ymd(year, month, lastDay));
  return ymd(year, month, lastDay - ((last - dow + 7) % 7));
}

export function ymd(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export function shift(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
