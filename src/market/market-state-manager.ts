import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { MarketClock } from '../broker/reports.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { EventSink } from '../events/event-bus.js';
import { announceMarketChange, type MarketChange, type MarketEvents } from './market-events.js';
import type { AssetClass } from '../model/trading-types.js';
import type { MarketState } from './market-state.js';
import { type MarketDate, shift, usEquityEarlyCloses, usEquityHolidays, weekday } from './us-equity-calendar.js';

/** Where a market is at an instant. Crypto is `continuous`; forex is `regular` or `closed`. */
export type SessionName = 'pre_market' | 'regular' | 'after_hours' | 'closed' | 'continuous';

export interface MarketStateManagerOptions {
  /** Where "now" comes from (default: the system clock). Every question also takes an explicit time. */
  readonly clock?: Clock;
  /**
   * Where `market:*` events go, for a manager used on its own. An engine does not need it: it
   * subscribes (see {@link MarketStateManager.subscribe}) and announces the changes itself.
   */
  readonly events?: EventSink<MarketEvents>;
  /** Trade the 04:00–09:30 ET pre-market session. Default false. */
  readonly preMarket?: boolean;
  /** Trade the 16:00–20:00 ET after-hours session. Default false. */
  readonly afterHours?: boolean;
  /** Extra full-day closures (a national day of mourning, an exchange outage). */
  readonly closures?: readonly MarketDate[];
  /** Extra early closes, `HH:mm` New York time. */
  readonly earlyCloses?: readonly (MarketDate & { readonly close: string })[];
  /** A broker with a market clock (Alpaca's `/v2/clock`): its answer wins while it is current. */
  readonly broker?: BrokerAdapter;
}

const TZ = 'America/New_York';
const MINUTE = 60_000;

/**
 * When orders can be executed. US equities: regular 09:30–16:00 ET (13:00 on early-close days),
 * pre-market 04:00–09:30 and after-hours 16:00–20:00 (17:00 on early-close days) when enabled;
 * weekends and the exchange holidays closed. Crypto: always. Forex: Sunday 17:00 to Friday 17:00
 * New York time. All in America/New_York through date-fns-tz, so DST changes are handled; `now`
 * comes from the injected clock.
 *
 * Halts per symbol close it whatever the session. The broker's market clock and calendar, when
 * synced, take precedence over the local rules (the clock until its next open or close, the calendar
 * within the days it covers); the local calendar is the fallback.
 */
export class MarketStateManager implements MarketState {
  private readonly clock: Clock;
  private readonly events: EventSink<MarketEvents> | undefined;
  private readonly listeners = new Set<(change: MarketChange) => void>();
  private readonly preMarket: boolean;
  private readonly afterHours: boolean;
  private readonly broker: BrokerAdapter | undefined;
  private readonly extraClosures = new Map<string, string>();
  private readonly extraEarlyCloses = new Map<string, { close: string; name: string }>();
  private readonly years = new Map<number, { holidays: Map<string, string>; early: Map<string, string> }>();
  private readonly halts = new Map<string, string>();
  private brokerClock: MarketClock | undefined;
  /** The broker's calendar: the days it covers, and the sessions on the trading ones. */
  private brokerCalendar: { from: string; to: string; days: Map<string, { open: string; close: string }> } | undefined;
  /** The equity session around the last instant asked about: [from, until). */
  private cached: { from: number; until: number; session: SessionName } | undefined;
  private timers: TimerHandle[] = [];

  constructor(options: MarketStateManagerOptions = {}) {
    this.clock = options.clock ?? systemClock();
    this.events = options.events;
    this.preMarket = options.preMarket ?? false;
    this.afterHours = options.afterHours ?? false;
    this.broker = options.broker;
    for (const c of options.closures ?? []) this.addClosure(c.date, c.name);
    for (const e of options.earlyCloses ?? []) this.addEarlyClose(e.date, e.close, e.name);
  }

  /** Tells `listener` of every open, close, halt and resumption; returns the unsubscribe function. */
  subscribe(listener: (change: MarketChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the market for a whole day (`yyyy-MM-dd`, New York). */
  addClosure(date: string, name = 'closure'): void {
    date = marketDate(date);
    this.extraClosures.set(date, name);
    this.cached = undefined;
  }

  /** Closes the regular session early on a day (`HH:mm`, New York). */
  addEarlyClose(date: string, close = '13:00', name = 'early close'): void {
    date = marketDate(date);
    if (!/^\d{2}:\d{2}$/.test(close)) throw new ValidationError([{ field: 'close', message: `must be HH:mm (New York), got ${JSON.stringify(close)}` }], 'early close');
    this.extraEarlyCloses.set(date, { close, name });
    this.cached = undefined;
  }

  /** Full-day closures in a year: the computed holidays plus the host's. */
  holidays(year: number): MarketDate[] {
    const list = [...this.year(year).holidays].map(([date, name]) => ({ date, name }));
    for (const [date, name] of this.extraClosures) if (date.startsWith(`${year}-`)) list.push({ date, name });
    return list.sort((a, b) => a.date.localeCompare(b.date));
  }

  /** 13:00 (or the host's time) closes in a year. */
  earlyCloses(year: number): (MarketDate & { close: string })[] {
    const list = [...this.year(year).early].map(([date, name]) => ({ date, name, close: '13:00' }));
    for (const [date, e] of this.extraEarlyCloses) if (date.startsWith(`${year}-`)) list.push({ date, name: e.name, close: e.close });
    return list.sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Whether US equities trade on a day (`yyyy-MM-dd`, or `yyyy-M-d`, New York): not a weekend, holiday or closure. */
  isTradingDay(date: string): boolean {
    date = marketDate(date);
    const broker = this.brokerDay(date);
    if (broker !== undefined) return broker !== null;
    const day = weekday(date);
    if (day === 0 || day === 6 || this.extraClosures.has(date)) return false;
    return !this.year(Number(date.slice(0, 4))).holidays.has(date);
  }

  /** Stops trading in a symbol (set by the host or reported by an adapter). */
  halt(symbol: string, reason = 'trading halt'): void {
    this.halts.set(symbol, reason);
    this.tell({ type: 'halted', symbol, reason, at: this.clock.now() });
  }

  resume(symbol: string): void {
    if (!this.halts.delete(symbol)) return;
    this.tell({ type: 'resumed', symbol, at: this.clock.now() });
  }

  haltReason(symbol: string): string | undefined {
    return this.halts.get(symbol);
  }

  /**
   * True when an order for `symbol` can be executed at `at` (default now; epoch ms, a `Date` or an
   * ISO string): its market's session is open (with the enabled extended sessions) and it is not halted.
   */
  isMarketOpen(symbol: string, assetClass: AssetClass, at: MarketTime = this.clock.now()): boolean {
    if (this.halts.has(symbol)) return false;
    return this.isOpen(assetClass, at);
  }

  /** The calendar question without a symbol: is `assetClass`'s market open at `at` (default now)? */
  isOpen(assetClass: AssetClass = 'equity', at: MarketTime = this.clock.now()): boolean {
    const session = this.sessionAt(assetClass, instant(at));
    if (session === 'regular' || session === 'continuous') return true;
    return (session === 'pre_market' && this.preMarket) || (session === 'after_hours' && this.afterHours);
  }

  /** The session for `symbol` at `at` (a halted symbol is `closed`). */
  session(symbol: string, assetClass: AssetClass, at: MarketTime = this.clock.now()): SessionName {
    return this.halts.has(symbol) ? 'closed' : this.sessionAt(assetClass, instant(at));
  }

  /**
   * A day's US equity hours (`yyyy-MM-dd`, New York), as epoch ms: pre-market, regular and
   * after-hours, an early close included; undefined when the market does not trade that day.
   */
  hours(date: string): { readonly date: string; readonly preMarketOpen: number; readonly open: number; readonly close: number; readonly afterHoursClose: number; readonly earlyClose: boolean } | undefined {
    const day = marketDate(date);
    const times = this.dayTimes(day);
    if (!times) return undefined;
    const normalClose = fromZonedTime(`${day}T16:00:00`, TZ).getTime();
    return { date: day, preMarketOpen: times.pre, open: times.open, close: times.close, afterHoursClose: times.afterEnd, earlyClose: times.close < normalClose };
  }

  /** The next time the market opens for trading after `at` (with the enabled sessions); undefined for crypto. */
  nextOpen(assetClass: AssetClass, when: MarketTime = this.clock.now()): number | undefined {
    const at = instant(when);
    if (assetClass === 'crypto') return undefined;
    if (assetClass === 'forex') return this.nextWeekly(at, 0);
    const broker = this.currentBrokerClock(at);
    if (broker && !this.preMarket) return broker.nextOpen;
    return this.nextEquityEdge(at, 'open');
  }

  /** The next time the market closes for trading after `at`; undefined for crypto. */
  nextClose(assetClass: AssetClass, when: MarketTime = this.clock.now()): number | undefined {
    const at = instant(when);
    if (assetClass === 'crypto') return undefined;
    if (assetClass === 'forex') return this.nextWeekly(at, 5);
    const broker = this.currentBrokerClock(at);
    if (broker && !this.afterHours) return broker.nextClose;
    return this.nextEquityEdge(at, 'close');
  }

  /** The first trading window's open (or close) after `at`, looking up to a year ahead (a long closure must not stop the open and close events). */
  private nextEquityEdge(at: number, edge: 'open' | 'close'): number | undefined {
    for (let i = 0, date = this.localDate(at); i < 370; i++, date = shift(date, 1)) {
      const instant = this.tradingWindow(date)?.[edge];
      if (instant !== undefined && instant > at) return instant;
    }
    return undefined;
  }

  /**
   * Fetches the broker's market clock and calendar (the next `days` days), where the adapter offers
   * them. The clock decides the regular session while it is current; the calendar decides which
   * days trade and their hours within the range it covers. Outside them, the local rules apply.
   */
  async syncWithBroker(days = 30): Promise<MarketClock | undefined> {
    const broker = this.broker;
    if (broker?.getCalendar) {
      const from = this.localDate(this.clock.now());
      const to = shift(from, days);
      const list = await broker.getCalendar(from, to);
      this.brokerCalendar = { from, to, days: new Map(list.map((d) => [d.date, { open: d.open, close: d.close }])) };
    }
    if (broker?.getMarketClock) this.brokerClock = await broker.getMarketClock();
    this.cached = undefined;
    return this.brokerClock;
  }

  /** The broker's session on `date`: undefined when its calendar does not cover the date, null when closed. */
  private brokerDay(date: string): { open: string; close: string } | null | undefined {
    const calendar = this.brokerCalendar;
    if (!calendar || date < calendar.from || date > calendar.to) return undefined;
    return calendar.days.get(date) ?? null;
  }

  /** Emits `market:opened` / `market:closed` for equities and forex as they happen, on the clock. */
  start(): void {
    this.stop();
    for (const assetClass of ['equity', 'forex'] as const) this.scheduleTransition(assetClass);
  }

  stop(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers = [];
  }

  private scheduleTransition(assetClass: 'equity' | 'forex'): void {
    const now = this.clock.now();
    const open = this.isMarketOpen(`*${assetClass}`, assetClass, now);
    const next = open ? this.nextClose(assetClass, now) : this.nextOpen(assetClass, now);
    if (next === undefined) return;
    const timer = this.clock.setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== timer);
      const at = this.clock.now();
      // A timer that fired early (a host clock that cannot hold the delay) is not a transition.
      if (this.isMarketOpen(`*${assetClass}`, assetClass, at) !== open) this.tell({ type: open ? 'closed' : 'opened', assetClass, at });
      this.scheduleTransition(assetClass);
    }, Math.max(0, next - now));
    this.timers.push(timer);
  }

  private tell(change: MarketChange): void {
    for (const listener of [...this.listeners]) listener(change);
    if (this.events) announceMarketChange(this.events, change);
  }

  private sessionAt(assetClass: AssetClass, at: number): SessionName {
    if (assetClass === 'crypto') return 'continuous';
    if (assetClass === 'forex') return this.forexSession(at);
    const cached = this.cached;
    if (cached && at >= cached.from && at < cached.until) return cached.session;
    const computed = this.equitySession(at);
    this.cached = computed;
    return computed.session;
  }

  /** The equity session at `at`, with the interval it holds for (so repeated calls are cheap). */
  private equitySession(at: number): { from: number; until: number; session: SessionName } {
    const date = this.localDate(at);
    const day = this.dayTimes(date);
    const nextMidnight = fromZonedTime(`${shift(date, 1)}T00:00:00`, TZ).getTime();
    const midnight = fromZonedTime(`${date}T00:00:00`, TZ).getTime();
    let local: { from: number; until: number; session: SessionName };
    if (!day) local = { from: midnight, until: nextMidnight, session: 'closed' };
    else if (at < day.pre) local = { from: midnight, until: day.pre, session: 'closed' };
    else if (at < day.open) local = { from: day.pre, until: day.open, session: 'pre_market' };
    else if (at < day.close) local = { from: day.open, until: day.close, session: 'regular' };
    else if (at < day.afterEnd) local = { from: day.close, until: day.afterEnd, session: 'after_hours' };
    else local = { from: day.afterEnd, until: nextMidnight, session: 'closed' };

    const broker = this.currentBrokerClock(at);
    if (!broker) return local;
    // The broker decides the regular session while its clock is current; extended sessions stay local.
    const until = Math.min(broker.isOpen ? broker.nextClose : broker.nextOpen, local.until);
    if (broker.isOpen) return { from: at, until, session: 'regular' };
    return { from: at, until, session: local.session === 'regular' ? 'closed' : local.session };
  }

  private currentBrokerClock(at: number): MarketClock | undefined {
    const clock = this.brokerClock;
    if (!clock || at < clock.at) return undefined;
    return at < (clock.isOpen ? clock.nextClose : clock.nextOpen) ? clock : undefined;
  }

  /** The trading day's instants, or undefined when the market is closed all day. */
  private dayTimes(date: string): { pre: number; open: number; close: number; afterEnd: number } | undefined {
    if (!this.isTradingDay(date)) return undefined;
    const broker = this.brokerDay(date);
    const extra = this.extraEarlyCloses.get(date);
    const localEarly = extra?.close ?? (this.year(Number(date.slice(0, 4))).early.has(date) ? '13:00' : undefined);
    const early = broker ? (broker.close < '16:00' ? broker.close : undefined) : localEarly;
    const at = (time: string): number => fromZonedTime(`${date}T${time}:00`, TZ).getTime();
    const close = at(early ?? '16:00');
    // After-hours run four hours past a normal close, and until 17:00 on early-close days.
    const afterEnd = early ? at('17:00') : at('20:00');
    return { pre: at('04:00'), open: at(broker?.open ?? '09:30'), close, afterEnd };
  }

  /** When trading (with the enabled sessions) starts and ends on a day. */
  private tradingWindow(date: string): { open: number; close: number } | undefined {
    const day = this.dayTimes(date);
    if (!day) return undefined;
    return { open: this.preMarket ? day.pre : day.open, close: this.afterHours ? day.afterEnd : day.close };
  }

  private forexSession(at: number): SessionName {
    const [date, time] = formatInTimeZone(at, TZ, 'yyyy-MM-dd HH:mm').split(' ') as [string, string];
    const day = weekday(date);
    const afterFive = time >= '17:00';
    if (day === 6 || (day === 5 && afterFive) || (day === 0 && !afterFive)) return 'closed';
    return 'regular';
  }

  /** The next 17:00 New York on weekday `dow` (0 Sunday: the open; 5 Friday: the close) after `at`. */
  private nextWeekly(at: number, dow: number): number {
    for (let i = 0, date = this.localDate(at); i < 9; i++, date = shift(date, 1)) {
      if (weekday(date) !== dow) continue;
      const instant = fromZonedTime(`${date}T17:00:00`, TZ).getTime();
      if (instant > at) return instant;
    }
    return at + 7 * 24 * 60 * MINUTE;
  }

  private localDate(at: number): string {
    return formatInTimeZone(at, TZ, 'yyyy-MM-dd');
  }

  private year(year: number): { holidays: Map<string, string>; early: Map<string, string> } {
    let entry = this.years.get(year);
    if (!entry) {
      entry = {
        holidays: new Map(usEquityHolidays(year).map((h) => [h.date, h.name])),
        early: new Map(usEquityEarlyCloses(year).map((h) => [h.date, h.name])),
      };
      this.years.set(year, entry);
    }
    return entry;
  }
}

/** A time a calendar question takes: epoch ms, a `Date`, or an ISO-8601 string. */
export type MarketTime = number | Date | string;

/** Epoch ms of a {@link MarketTime}; anything unreadable is a ValidationError, never a silent `false`. */
function instant(at: MarketTime): number {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (!Number.isFinite(ms)) throw new ValidationError([{ field: 'at', message: `must be epoch milliseconds, a Date or an ISO-8601 string, got ${JSON.stringify(at)}` }], 'market time');
  return ms;
}

/** `yyyy-MM-dd` from `yyyy-M-d` too; anything else is a ValidationError (not a RangeError from deep inside). */
function marketDate(date: string): string {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(String(date));
  const padded = m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : undefined;
  if (!padded || Number.isNaN(Date.parse(`${padded}T00:00:00Z`)) || new Date(`${padded}T00:00:00Z`).toISOString().slice(0, 10) !== padded) {
    throw new ValidationError([{ field: 'date', message: `must be a calendar date yyyy-MM-dd, got ${JSON.stringify(date)}` }], 'market date');
  }
  return padded;
}
