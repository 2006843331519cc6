import { alwaysOpenMarket, EventBus, ExecutionEngine, ManualClock, type MarketClock, MarketStateManager, silentLogger, type TradewireEvents, ValidationError } from 'tradewire';
import { usEquityEarlyCloses, usEquityHolidays } from '../../src/market/us-equity-calendar.js';
import { MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

const utc = (iso: string): number => Date.parse(iso);

/** NYSE's published holiday and early-close calendars (NYSE Group announcements for 2022–2024 and 2025–2027). */
const NYSE: Record<number, { holidays: string[]; early: string[] }> = {
  2022: { holidays: ['2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26'], early: ['2022-11-25'] },
  2023: { holidays: ['2023-01-02', '2023-01-16', '2023-02-20', '2023-04-07', '2023-05-29', '2023-06-19', '2023-07-04', '2023-09-04', '2023-11-23', '2023-12-25'], early: ['2023-07-03', '2023-11-24'] },
  2024: { holidays: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'], early: ['2024-07-03', '2024-11-29', '2024-12-24'] },
  2025: { holidays: ['2025-01-01', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'], early: ['2025-07-03', '2025-11-28', '2025-12-24'] },
  2026: { holidays: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'], early: ['2026-11-27', '2026-12-24'] },
  2027: { holidays: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'], early: ['2027-11-26'] },
};

describe('the US equity calendar, by rule', () => {
  for (const [year, published] of Object.entries(NYSE)) {
    it(`matches NYSE's published ${year} holidays and early closes`, () => {
      expect(usEquityHolidays(Number(year)).map((h) => h.date)).toEqual(published.holidays);
      expect(usEquityEarlyCloses(Number(year)).map((h) => h.date)).toEqual(published.early);
    });
  }

  it('keeps working past the published years (no list to run out)', () => {
    const names = usEquityHolidays(2040).map((h) => h.name);
    expect(names).toHaveLength(10);
    expect(usEquityHolidays(2040).find((h) => h.name === 'Good Friday')?.date).toBe('2040-03-30');
  });
});

function market(options: Partial<ConstructorParameters<typeof MarketStateManager>[0]> = {}, start = '2025-06-02T14:00:00Z') {
  const clock = new ManualClock(utc(start));
  const events = new EventBus<TradewireEvents>();
  const seen: string[] = [];
  events.on('market:opened', (e) => seen.push(`opened ${e.assetClass} ${new Date(e.at).toISOString()}`));
  events.on('market:closed', (e) => seen.push(`closed ${e.assetClass} ${new Date(e.at).toISOString()}`));
  events.on('market:halted', (e) => seen.push(`halted ${e.symbol}`));
  events.on('market:resumed', (e) => seen.push(`resumed ${e.symbol}`));
  return { clock, seen, m: new MarketStateManager({ clock, events, ...options }) };
}

describe('MarketStateManager — equities', () => {
  const open = (m: MarketStateManager, iso: string): boolean => m.isMarketOpen('AAPL', 'equity', utc(iso));

  it('regular hours 09:30–16:00 New York, across both DST changes', () => {
    const { m } = market();
    // Friday before the spring change (EST, UTC−5) and Monday after it (EDT, UTC−4).
    expect([open(m, '2024-03-08T14:29:00Z'), open(m, '2024-03-08T14:30:00Z'), open(m, '2024-03-08T20:59:59Z'), open(m, '2024-03-08T21:00:00Z')]).toEqual([false, true, true, false]);
    expect([open(m, '2024-03-11T13:29:00Z'), open(m, '2024-03-11T13:30:00Z'), open(m, '2024-03-11T19:59:59Z'), open(m, '2024-03-11T20:00:00Z')]).toEqual([false, true, true, false]);
    // Monday after the autumn change (back to EST).
    expect([open(m, '2024-11-04T13:30:00Z'), open(m, '2024-11-04T14:30:00Z'), open(m, '2024-11-04T21:00:00Z')]).toEqual([false, true, false]);
    expect(m.nextOpen('equity', utc('2024-03-08T22:00:00Z'))).toBe(utc('2024-03-11T13:30:00Z'));
    expect(m.nextOpen('equity', utc('2024-11-01T21:00:00Z'))).toBe(utc('2024-11-04T14:30:00Z'));
  });

  it('weekends and holidays are closed; the next open skips them; early closes end at 13:00', () => {
    const { m } = market();
    expect(open(m, '2025-06-07T15:00:00Z')).toBe(false); // Saturday
    expect(open(m, '2025-11-27T15:00:00Z')).toBe(false); // Thanksgiving
    expect(m.session('AAPL', 'equity', utc('2025-11-27T15:00:00Z'))).toBe('closed');
    expect(m.nextOpen('equity', utc('2025-11-27T15:00:00Z'))).toBe(utc('2025-11-28T14:30:00Z'));
    expect(m.nextClose('equity', utc('2025-11-27T15:00:00Z'))).toBe(utc('2025-11-28T18:00:00Z')); // 13:00 EST
    expect([open(m, '2025-07-03T16:59:00Z'), open(m, '2025-07-03T17:00:00Z')]).toEqual([true, false]); // 13:00 EDT
    expect(m.nextOpen('equity', utc('2025-04-17T20:30:00Z'))).toBe(utc('2025-04-21T13:30:00Z')); // past Good Friday and the weekend
    expect(m.isTradingDay('2025-12-25')).toBe(false);
    expect(m.isTradingDay('2025-12-26')).toBe(true);
  });

  it('pre-market and after-hours are sessions, traded only when enabled', () => {
    const off = market().m;
    const on = market({ preMarket: true, afterHours: true }).m;
    expect(off.session('AAPL', 'equity', utc('2025-06-02T08:00:00Z'))).toBe('pre_market'); // 04:00 EDT
    expect(off.session('AAPL', 'equity', utc('2025-06-02T07:59:00Z'))).toBe('closed');
    expect(off.session('AAPL', 'equity', utc('2025-06-02T20:30:00Z'))).toBe('after_hours');
    expect(off.session('AAPL', 'equity', utc('2025-06-03T00:00:00Z'))).toBe('closed'); // 20:00 EDT
    expect([open(off, '2025-06-02T08:00:00Z'), open(on, '2025-06-02T08:00:00Z'), open(off, '2025-06-02T20:30:00Z'), open(on, '2025-06-02T20:30:00Z')]).toEqual([false, true, false, true]);
    // After-hours end at 17:00 on an early-close day.
    expect(on.session('AAPL', 'equity', utc('2025-11-28T21:59:00Z'))).toBe('after_hours');
    expect(on.session('AAPL', 'equity', utc('2025-11-28T22:00:00Z'))).toBe('closed');
    expect(on.nextOpen('equity', utc('2025-06-02T22:00:00Z'))).toBe(utc('2025-06-03T08:00:00Z'));
  });

  it('host closures and early closes', () => {
    const { m } = market({ closures: [{ date: '2025-01-09', name: 'National Day of Mourning' }] });
    expect(open(m, '2025-01-09T16:00:00Z')).toBe(false);
    expect(m.holidays(2025).map((h) => h.date)).toContain('2025-01-09');
    m.addEarlyClose('2025-06-05', '14:00', 'exchange notice');
    expect([open(m, '2025-06-05T17:59:00Z'), open(m, '2025-06-05T18:00:00Z')]).toEqual([true, false]);
  });

  it('a halted symbol is closed until resumed; others trade', () => {
    const { m, seen } = market();
    m.halt('AAPL', 'news pending');
    expect(open(m, '2025-06-02T15:00:00Z')).toBe(false);
    expect(m.isMarketOpen('MSFT', 'equity', utc('2025-06-02T15:00:00Z'))).toBe(true);
    expect(m.session('AAPL', 'equity', utc('2025-06-02T15:00:00Z'))).toBe('closed');
    m.resume('AAPL');
    expect(open(m, '2025-06-02T15:00:00Z')).toBe(true);
    expect(seen).toEqual(['halted AAPL', 'resumed AAPL']);
  });
});

describe('MarketStateManager — crypto and forex', () => {
  it('crypto never closes', () => {
    const { m } = market();
    for (const iso of ['2025-06-07T03:00:00Z', '2025-12-25T12:00:00Z', '2025-11-02T06:30:00Z']) expect(m.isMarketOpen('BTC/USD', 'crypto', utc(iso))).toBe(true);
    expect(m.nextClose('crypto')).toBeUndefined();
  });

  it('forex runs Sunday 17:00 to Friday 17:00 New York time, in summer and winter', () => {
    const { m } = market();
    const fx = (iso: string): boolean => m.isMarketOpen('EUR_USD', 'forex', utc(iso));
    expect([fx('2025-06-06T20:59:00Z'), fx('2025-06-06T21:00:00Z'), fx('2025-06-07T12:00:00Z'), fx('2025-06-08T20:59:00Z'), fx('2025-06-08T21:00:00Z')]).toEqual([true, false, false, false, true]);
    expect([fx('2025-01-10T21:59:00Z'), fx('2025-01-10T22:00:00Z'), fx('2025-01-12T21:59:00Z'), fx('2025-01-12T22:00:00Z')]).toEqual([true, false, false, true]);
    expect(m.nextOpen('forex', utc('2025-06-07T12:00:00Z'))).toBe(utc('2025-06-08T21:00:00Z'));
    expect(m.nextClose('forex', utc('2025-06-09T12:00:00Z'))).toBe(utc('2025-06-13T21:00:00Z'));
  });
});

describe('MarketStateManager — the broker\'s clock', () => {
  function brokerWith(clockAnswer: MarketClock) {
    const broker = new MockBroker({ clock: new ManualClock(), capabilities: { marketClock: true } });
    return Object.assign(broker, { getMarketClock: async () => clockAnswer });
  }

  it('agrees with the local calendar on a holiday (compared)', async () => {
    const at = utc('2025-11-27T15:00:00Z');
    // What Alpaca's GET /v2/clock answers on Thanksgiving 2025.
    const answer: MarketClock = { isOpen: false, nextOpen: utc('2025-11-28T14:30:00Z'), nextClose: utc('2025-11-28T18:00:00Z'), at };
    const local = market({}, '2025-11-27T15:00:00Z').m;
    const withBroker = market({ broker: brokerWith(answer) }, '2025-11-27T15:00:00Z').m;
    await withBroker.syncWithBroker();
    expect([local.isMarketOpen('AAPL', 'equity', at), local.nextOpen('equity', at), local.nextClose('equity', at)]).toEqual([answer.isOpen, answer.nextOpen, answer.nextClose]);
    expect([withBroker.isMarketOpen('AAPL', 'equity', at), withBroker.nextOpen('equity', at), withBroker.nextClose('equity', at)]).toEqual([answer.isOpen, answer.nextOpen, answer.nextClose]);
  });

  it('takes precedence over the local calendar while current (an unscheduled closure)', async () => {
    const at = utc('2025-06-04T15:00:00Z');
    const answer: MarketClock = { isOpen: false, nextOpen: utc('2025-06-05T13:30:00Z'), nextClose: utc('2025-06-05T20:00:00Z'), at };
    const { m } = market({ broker: brokerWith(answer) }, '2025-06-04T15:00:00Z');
    expect(m.isMarketOpen('AAPL', 'equity', at)).toBe(true); // the local calendar alone
    await m.syncWithBroker();
    expect(m.isMarketOpen('AAPL', 'equity', at)).toBe(false);
    // Once the broker's answer is stale (its next open has passed), the local calendar takes over again.
    expect(m.isMarketOpen('AAPL', 'equity', utc('2025-06-05T14:00:00Z'))).toBe(true);
  });
});

describe('MarketStateManager — events on the clock', () => {
  it('emits market:opened and market:closed as the clock passes them', () => {
    const { m, clock, seen } = market({}, '2025-06-06T19:59:00Z'); // Friday 15:59 EDT
    m.start();
    clock.advanceTo(utc('2025-06-09T13:31:00Z')); // Monday 09:31 EDT
    m.stop();
    expect(seen).toEqual([
      'closed equity 2025-06-06T20:00:00.000Z',
      'closed forex 2025-06-06T21:00:00.000Z',
      'opened forex 2025-06-08T21:00:00.000Z',
      'opened equity 2025-06-09T13:30:00.000Z',
    ]);
  });

  it('a timer that fires early (a host clock that cannot hold a long delay) is not taken for a transition', () => {
    const manual = new ManualClock(utc('2025-06-06T19:59:00Z'));
    // A clock whose timers hold at most an hour: the weekend's wait comes back early, many times.
    const capped = { now: () => manual.now(), setTimeout: (cb: () => void, ms: number) => manual.setTimeout(cb, Math.min(ms, 3_600_000)), clearTimeout: (h: unknown) => manual.clearTimeout(h as number) };
    const events = new EventBus<TradewireEvents>();
    const seen: string[] = [];
    events.on('market:opened', (e) => seen.push(`opened ${e.assetClass} ${new Date(e.at).toISOString()}`));
    events.on('market:closed', (e) => seen.push(`closed ${e.assetClass} ${new Date(e.at).toISOString()}`));
    const m = new MarketStateManager({ clock: capped, events });
    m.start();
    manual.advanceTo(utc('2025-06-09T13:31:00Z'));
    m.stop();
    expect(seen).toEqual(['closed equity 2025-06-06T20:00:00.000Z', 'closed forex 2025-06-06T21:00:00.000Z', 'opened forex 2025-06-08T21:00:00.000Z', 'opened equity 2025-06-09T13:30:00.000Z']);
  });
});

describe('MarketStateManager — the broker\'s calendar', () => {
  /** What a broker's calendar (Alpaca's GET /v2/calendar) lists for the given days, from NYSE's schedule. */
  function calendarFrom(days: { date: string; open: string; close: string }[]) {
    const broker = new MockBroker({ clock: new ManualClock(), capabilities: { marketClock: true } });
    return Object.assign(broker, { getCalendar: async (from: string, to: string) => days.filter((d) => d.date >= from && d.date <= to) });
  }
  // Thanksgiving week 2025: closed Thursday, 13:00 close Friday.
  const thanksgivingWeek = [
    { date: '2025-11-24', open: '09:30', close: '16:00' },
    { date: '2025-11-25', open: '09:30', close: '16:00' },
    { date: '2025-11-26', open: '09:30', close: '16:00' },
    { date: '2025-11-28', open: '09:30', close: '13:00' },
  ];

  it('agrees with the local calendar, day by day (compared)', async () => {
    const { m: local } = market({}, '2025-11-24T12:00:00Z');
    const { m: synced } = market({ broker: calendarFrom(thanksgivingWeek) }, '2025-11-24T12:00:00Z');
    await synced.syncWithBroker(6);
    for (let h = 0; h < 6 * 24 * 4; h++) {
      const at = utc('2025-11-24T00:00:00Z') + h * 15 * 60_000;
      expect(synced.isMarketOpen('AAPL', 'equity', at), new Date(at).toISOString()).toBe(local.isMarketOpen('AAPL', 'equity', at));
    }
  });

  it('takes precedence over the local rules within the days it covers', async () => {
    // The broker lists no session on Wednesday (an unscheduled closure) and a 14:00 close on Monday.
    const days = thanksgivingWeek.filter((d) => d.date !== '2025-11-26').map((d) => (d.date === '2025-11-24' ? { ...d, close: '14:00' } : d));
    const { m } = market({ broker: calendarFrom(days) }, '2025-11-24T12:00:00Z');
    await m.syncWithBroker(6);
    expect(m.isTradingDay('2025-11-26')).toBe(false);
    expect([m.isMarketOpen('AAPL', 'equity', utc('2025-11-24T18:59:00Z')), m.isMarketOpen('AAPL', 'equity', utc('2025-11-24T19:00:00Z'))]).toEqual([true, false]);
    expect(m.nextOpen('equity', utc('2025-11-25T22:00:00Z'))).toBe(utc('2025-11-28T14:30:00Z'));
    // Beyond the range it covers, the local rules apply again.
    expect(m.isTradingDay('2025-12-26')).toBe(true);
  });
});

describe('the calendar as a public API', () => {
  it('answers without a clock or a symbol, takes a Date or an ISO string, and refuses what it cannot read', () => {
    const calendar = new MarketStateManager();
    expect(calendar.isOpen('equity', '2024-07-05T14:00:00Z')).toBe(true); // Friday 10:00 New York
    expect(calendar.isOpen('equity', new Date('2024-07-04T14:00:00Z'))).toBe(false); // Independence Day
    expect(calendar.isMarketOpen('AAPL', 'equity', Date.parse('2024-07-05T14:00:00Z'))).toBe(true);
    expect(() => calendar.isOpen('equity', 'next tuesday')).toThrow(ValidationError);
    expect(calendar.isTradingDay('2024-7-4')).toBe(false);
    expect(calendar.isTradingDay('2024-7-5')).toBe(true);
    expect(() => calendar.isTradingDay('2024-13-40')).toThrow(ValidationError);
  });

  it('gives a day’s hours, early closes included', () => {
    const calendar = new MarketStateManager();
    const friday = calendar.hours('2024-11-29')!; // the day after Thanksgiving: 13:00
    expect(new Date(friday.open).toISOString()).toBe('2024-11-29T14:30:00.000Z');
    expect(new Date(friday.close).toISOString()).toBe('2024-11-29T18:00:00.000Z');
    expect(friday.earlyClose).toBe(true);
    expect(new Date(calendar.hours('2024-07-05')!.afterHoursClose).toISOString()).toBe('2024-07-06T00:00:00.000Z');
    expect(calendar.hours('2024-07-04')).toBeUndefined();
  });

  it('finds the next open past a closure longer than two weeks', () => {
    const calendar = new MarketStateManager();
    for (let day = 1; day <= 31; day++) calendar.addClosure(`2025-3-${day}`, 'a long outage');
    expect(new Date(calendar.nextOpen('equity', '2025-02-28T22:00:00Z')!).toISOString()).toBe('2025-04-01T13:30:00.000Z');
  });

  it('is reachable, typed, from the engine', async () => {
    const clock = new ManualClock(Date.UTC(2024, 6, 5, 14, 0));
    const engine = new ExecutionEngine({ adapter: new MockBroker({ clock }), clock, logger: silentLogger });
    engine.calendar!.addClosure('2024-07-05', 'storm');
    expect(engine.market.isMarketOpen('AAPL', 'equity', clock.now())).toBe(false);
    const custom = new ExecutionEngine({ adapter: new MockBroker({ clock }), clock, logger: silentLogger, market: alwaysOpenMarket });
    expect(custom.calendar).toBeUndefined();
  });
});
