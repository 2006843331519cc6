/**
 * When the KRX is open: 09:00–15:30 Asia/Seoul on weekdays that are not holidays. The lunar holidays
 * (Seollal, Chuseok) and substitute days follow no simple rule, so holidays are a table the host
 * supplies (the exchange publishes it each year); a sample for 2026 is below.
 */
import { formatInTimeZone } from 'date-fns-tz';
import type { MarketState } from 'tradewire/adapter-kit';

/** KRX closing days in 2026 (weekday holidays), as published; refresh yearly. */
export const KRX_HOLIDAYS_2026: readonly string[] = [
  '2026-01-01', // New Year's Day
  '2026-02-16', '2026-02-17', '2026-02-18', // Seollal
  '2026-03-02', // Independence Movement Day (substitute)
  '2026-05-01', // Labour Day (market closed)
  '2026-05-05', // Children's Day
  '2026-05-25', // Buddha's Birthday (substitute)
  '2026-06-03', // local elections
  '2026-08-17', // Liberation Day (substitute)
  '2026-09-24', '2026-09-25', // Chuseok
  '2026-10-05', // National Foundation Day (substitute)
  '2026-10-09', // Hangul Day
  '2026-12-25', // Christmas
  '2026-12-31', // year-end closing
];

/** The KRX regular session as a `MarketState` for the engine's `market` option. */
export function krxMarket(holidays: readonly string[] = KRX_HOLIDAYS_2026): MarketState {
  const closed = new Set(holidays);
  return {
    isMarketOpen: (_symbol, _assetClass, at) => {
      const [day, time, weekday] = formatInTimeZone(at, 'Asia/Seoul', 'yyyy-MM-dd HH:mm i').split(' ') as [string, string, string];
      if (weekday === '6' || weekday === '7' || closed.has(day)) return false;
      return time >= '09:00' && time < '15:30';
    },
    session: () => 'regular',
  };
}
