import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';

/**
 * Tracks the trading day in a time zone (America/New_York by default) and says when it rolls
 * over. date-fns-tz is consulted once per day, not per call: the next boundary is cached.
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export class TradingDay {
  private key = '';
  private nextBoundary = Number.NEGATIVE_INFINITY;

  constructor(readonly timeZone = 'America/New_York') {}

  /** The trading day at `at` as `yyyy-MM-dd`, without moving this tracker. */
  keyOf(at: number): string {
    return formatInTimeZone(at, this.timeZone, 'yyyy-MM-dd');
  }

  /** The trading day at `at` as `yyyy-MM-dd`; `rolled` is true when it differs from the last call's. */
  observe(at: number): { key: string; rolled: boolean } {
    if (at < this.nextBoundary) return { key: this.key, rolled: false };
    const key = formatInTimeZone(at, this.timeZone, 'yyyy-MM-dd');
    const rolled = this.key !== '' && key !== this.key;
    this.key = key;
    // Midnight of the next local day, found through a local noon so DST days are safe.
    const noonTomorrow = fromZonedTime(`${key}T12:00:00`, this.timeZone).getTime() + 24 * 3_600_000;
    const tomorrow = formatInTimeZone(noonTomorrow, this.timeZone, 'yyyy-MM-dd');
    this.nextBoundary = fromZonedTime(`${tomorrow}T00:00:00`, this.timeZone).getTime();
    return { key, rolled };
  }
}
