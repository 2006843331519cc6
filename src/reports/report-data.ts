import { ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, type ClosedPositionRecord, POSITION_CLOSED_TOPIC } from '../journal/history-notes.js';
import type { JournalRecord } from '../journal/journal.js';
import { decodeNotes } from '../journal/notes-summary.js';
import type { ExecutionConfirmation } from '../quality/execution-confirmation.js';
import { EXECUTION_CONFIRMED_TOPIC, EXECUTION_IMPACT_TOPIC, EXECUTION_TOPIC, type ExecutionRecord, type MarketImpact } from '../quality/execution-record.js';
import { ExecutionTally } from './execution-tally.js';
import { inTimeRange as inRange, type ReportSegment, type ReportStore, type TimeRange } from './report-store.js';
import { type GroupKey, groupId, REPORT_BUCKET_MS, REPORT_NOTE_TOPICS } from './segment-report.js';

/** Which records a report covers (all given conditions hold). */
export interface ReportFilters {
  readonly strategyId?: string;
  readonly symbol?: string;
  readonly broker?: string;
  readonly accountId?: string;
}

/** An account snapshot as journaled (`account.snapshot`). */
export interface AccountNote {
  readonly at: number;
  readonly equity: string;
  readonly cash?: string;
  readonly buyingPower?: string;
}

export interface AlertNote {
  readonly at: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly clientOrderId?: string;
}

/** What a report is built from: execution tallies by group, and the notes it lists. */
export interface ReportData {
  /** One tally per group of orders (strategy, symbol, broker, account) that passes the filters. */
  readonly groups: readonly { readonly key: GroupKey; readonly tally: ExecutionTally }[];
  /** Positions closed in the range, by closing time (`at`). */
  readonly closed: readonly { readonly position: ClosedPositionRecord; readonly at: number }[];
  readonly accounts: readonly AccountNote[];
  readonly alerts: readonly AlertNote[];
  /** Each look at the broker's books: when, and whether everything matched. */
  readonly confirmations: readonly { readonly at: number; readonly confirmed: boolean }[];
}

const EXECUTION_TOPICS = [EXECUTION_TOPIC, EXECUTION_IMPACT_TOPIC];
const ALL_TOPICS = [...EXECUTION_TOPICS, ...REPORT_NOTE_TOPICS];

/**
 * Reads what a report needs from `store` for `range`, keeping what passes `filters`. An archived
 * segment with a report summary is read as sums (its quarter-hour tallies inside the range); only
 * the quarter hours cut by the range's ends, segments without a summary and the current segment
 * are read record by record. An order recorded again later (a fill after it ended) counts once, in
 * its last revision. `onRecord` is called per record or summary read (a progress bar).
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export async function loadReportData(store: ReportStore, range: TimeRange, filters: ReportFilters = {}, onRecord?: () => void): Promise<ReportData> {
  const collector = new Collector(range, filters);
  const segments: ReportSegment[] = store.segments ? await store.segments(range) : [{ notes: (topics, r) => store.notes(topics, r) }];
  // Orders recorded again in some segment: a summarized segment that holds an earlier record of one is read record by record.
  const revised = new Set<string>(segments.flatMap((s) => (s.report ? s.report.revised : [])));
  const bySummary: ReportSegment[] = [];
  for (const segment of segments) {
    if (!segment.report) {
      for await (const record of segment.notes(ALL_TOPICS, range)) {
        onRecord?.();
        collector.record(record);
      }
      continue;
    }
    bySummary.push(segment);
  }
  for (const id of collector.revisedIds()) revised.add(id);
  for (const segment of bySummary) {
    const report = segment.report!;
    onRecord?.();
    const ids = revised.size > 0 && segment.ids ? await segment.ids() : [];
    const supersededHere = new Set(ids.filter((id) => revised.has(id) && !report.revised.includes(id)));
    if (supersededHere.size > 0) {
      // This segment holds an earlier record of an order recorded again later: read it record by record, without those.
      for await (const record of segment.notes(ALL_TOPICS, range)) if (!(record.kind === 'note' && record.topic === EXECUTION_TOPIC && supersededHere.has((record.data as ExecutionRecord).clientOrderId))) collector.record(record);
      continue;
    }
    const partial = new Map<number, TimeRange>();
    for (const [bucket, strategyId, symbol, broker, accountId, tally] of report.tallies) {
      const end = bucket + report.bucketMs - 1;
      if ((range.to !== undefined && bucket > range.to) || (range.from !== undefined && end < range.from)) continue;
      const whole = (range.from === undefined || bucket >= range.from) && (range.to === undefined || end <= range.to);
      if (!whole) {
        partial.set(bucket, { from: Math.max(bucket, range.from ?? bucket), to: Math.min(end, range.to ?? end) });
        continue;
      }
      collector.tally({ strategyId: strategyId ?? undefined, symbol, broker: broker ?? undefined, accountId: accountId ?? undefined }).merge(tally);
    }
    for (const window of partial.values()) for await (const record of segment.notes(EXECUTION_TOPICS, window)) collector.record(record);
    for (const note of decodeNotes(report.notes)) if (inRange(note.at, range)) collector.record(note);
    for (const [at, confirmed] of report.confirmations ?? []) if (inRange(at, range)) collector.confirmation(at, confirmed === 1);
  }
  return collector.data();
}

/** Gathers records and summaries into tallies and lists. */
class Collector {
  private readonly groups = new Map<string, { key: GroupKey; tally: ExecutionTally }>();
  /** Execution records read one by one: the last revision of each order wins, tallied at the end. */
  private readonly executions = new Map<string, { record: ExecutionRecord; at: number }>();
  private readonly impacts: MarketImpact[] = [];
  private readonly closed: { position: ClosedPositionRecord; at: number }[] = [];
  private readonly accounts: AccountNote[] = [];
  private readonly alerts: AlertNote[] = [];
  private readonly confirmations: { at: number; confirmed: boolean }[] = [];

  constructor(
    private readonly range: TimeRange,
    private readonly filters: ReportFilters,
  ) {}

  tally(key: GroupKey): ExecutionTally {
    const id = groupId(key);
    let entry = this.groups.get(id);
    if (!entry) this.groups.set(id, (entry = { key, tally: new ExecutionTally() }));
    return entry.tally;
  }

  confirmation(at: number, confirmed: boolean): void {
    this.confirmations.push({ at, confirmed });
  }

  revisedIds(): string[] {
    return [...this.executions.values()].filter((e) => e.record.revision > 1).map((e) => e.record.clientOrderId);
  }

  record(record: JournalRecord): void {
    if (record.kind !== 'note' || !inRange(record.at, this.range)) return;
    const data = record.data as Record<string, unknown>;
    switch (record.topic) {
      case EXECUTION_TOPIC: {
        const e = data as unknown as ExecutionRecord;
        const prior = this.executions.get(e.clientOrderId);
        if (!prior || prior.record.revision <= e.revision) this.executions.set(e.clientOrderId, { record: e, at: record.at });
        break;
      }
      case EXECUTION_IMPACT_TOPIC:
        this.impacts.push(data as unknown as MarketImpact);
        break;
      case POSITION_CLOSED_TOPIC: {
        const trade = data as unknown as ClosedPositionRecord;
        if (this.passes(trade)) this.closed.push({ position: trade, at: trade.closedAt ?? record.at });
        break;
      }
      case ACCOUNT_SNAPSHOT_TOPIC:
        if (typeof data.equity === 'string') this.accounts.push({ at: record.at, equity: data.equity, ...(typeof data.cash === 'string' ? { cash: data.cash } : {}), ...(typeof data.buyingPower === 'string' ? { buyingPower: data.buyingPower } : {}) });
        break;
      case ALERT_TOPIC:
        this.alerts.push({ at: record.at, severity: String(data.severity), code: String(data.code), message: String(data.message), ...(record.clientOrderId ? { clientOrderId: record.clientOrderId } : {}) });
        break;
      case EXECUTION_CONFIRMED_TOPIC:
        this.confirmations.push({ at: record.at, confirmed: (data as unknown as ExecutionConfirmation).confirmed === true });
        break;
    }
  }

  data(): ReportData {
    for (const { record } of this.executions.values()) if (this.passes(record)) this.tally(record).add(record);
    for (const impact of this.impacts) if (this.passes(impact)) this.tally(impact).addImpact(impact.impactBps);
    const byTime = <T extends { at: number }>(list: T[]): T[] => list.sort((a, b) => a.at - b.at);
    return {
      groups: [...this.groups.values()].filter(({ key }) => this.passes(key)),
      closed: byTime(this.closed),
      accounts: byTime(this.accounts),
      alerts: byTime(this.alerts),
      confirmations: byTime(this.confirmations),
    };
  }

  private passes(key: GroupKey): boolean {
    const f = this.filters;
    return (f.symbol === undefined || key.symbol === f.symbol) && (f.strategyId === undefined || key.strategyId === f.strategyId) && (f.broker === undefined || key.broker === f.broker) && (f.accountId === undefined || key.accountId === f.accountId);
  }
}

/** Every execution record in `range` that passes `filters` (the last revision of each order), by completion: for exports. */
export async function* executionRecords(store: ReportStore, range: TimeRange, filters: ReportFilters = {}): AsyncIterable<ExecutionRecord> {
  const last = new Map<string, ExecutionRecord>();
  for await (const record of store.notes([EXECUTION_TOPIC], range)) {
    if (record.kind !== 'note') continue;
    const e = record.data as ExecutionRecord;
    const f = filters;
    if ((f.symbol !== undefined && e.symbol !== f.symbol) || (f.strategyId !== undefined && e.strategyId !== f.strategyId) || (f.broker !== undefined && e.broker !== f.broker) || (f.accountId !== undefined && e.accountId !== f.accountId)) continue;
    const prior = last.get(e.clientOrderId);
    if (!prior || prior.revision <= e.revision) last.set(e.clientOrderId, e);
  }
  yield* [...last.values()].sort((a, b) => a.completedAt - b.completedAt);
}

export { REPORT_BUCKET_MS };
