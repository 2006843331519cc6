import { ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, POSITION_CLOSED_TOPIC } from '../journal/history-notes.js';
import type { JournalRecord } from '../journal/journal.js';
import { encodeNotes, type NotesSummary } from '../journal/notes-summary.js';
import { EXECUTION_CONFIRMED_TOPIC, EXECUTION_IMPACT_TOPIC, EXECUTION_TOPIC, type ExecutionRecord, type MarketImpact } from '../quality/execution-record.js';
import { ExecutionTally, type TallyJSON } from './execution-tally.js';

/** Reports are summed by quarter hour: every real timezone's midnight falls on one, so a day is whole buckets. */
export const REPORT_BUCKET_MS = 15 * 60_000;

/** Who an execution belongs to: what reports filter and group by. */
export interface GroupKey {
  readonly strategyId?: string | undefined;
  readonly symbol: string;
  readonly broker?: string | undefined;
  readonly accountId?: string | undefined;
}

/**
 * An archived segment summed for reports (`<archive>.report.json`): the execution tallies by group
 * and quarter hour (by completion), the notes reports list one by one (closed positions, account
 * snapshots, alerts, confirmations) in compact form, and which orders were recorded again here (a
 * late fill) — so a report over a day of archived segments reads sums, not every record.
 */
export interface SegmentReport {
  readonly version: 1;
  readonly bucketMs: number;
  /** The time span of the segment's notes. */
  readonly from: number;
  readonly to: number;
  readonly tallies: readonly (readonly [bucket: number, strategyId: string | null, symbol: string, broker: string | null, accountId: string | null, tally: TallyJSON])[];
  readonly notes: NotesSummary;
  /** Each look at the broker's books: `[at, 1 when everything matched, else 0]`. */
  readonly confirmations: readonly (readonly [at: number, confirmed: 0 | 1])[];
  /** Orders whose execution record here is a revision (a fill after the order ended). */
  readonly revised: readonly string[];
}

/** The notes a report lists one by one (a confirmation only as when and whether it matched). */
export const REPORT_NOTE_TOPICS = [POSITION_CLOSED_TOPIC, ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, EXECUTION_CONFIRMED_TOPIC] as const;

/** The report summary of a segment's records, and the orders it recorded (for revisions in later segments). */
export function summarizeForReports(records: Iterable<JournalRecord>): { report: SegmentReport; ids: string[] } {
  const executions = new Map<string, ExecutionRecord>();
  const impacts: MarketImpact[] = [];
  const listed: Extract<JournalRecord, { kind: 'note' }>[] = [];
  const revised: string[] = [];
  const confirmations: [number, 0 | 1][] = [];
  const listedTopics = new Set<string>([POSITION_CLOSED_TOPIC, ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC]);
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    if (record.kind !== 'note') continue;
    if (record.topic === EXECUTION_TOPIC) {
      const e = record.data as ExecutionRecord;
      executions.delete(e.clientOrderId);
      executions.set(e.clientOrderId, e);
      if (e.revision > 1) revised.push(e.clientOrderId);
    } else if (record.topic === EXECUTION_IMPACT_TOPIC) impacts.push(record.data as MarketImpact);
    else if (record.topic === EXECUTION_CONFIRMED_TOPIC) confirmations.push([record.at, (record.data as { confirmed?: unknown }).confirmed === true ? 1 : 0]);
    else if (listedTopics.has(record.topic)) listed.push(record);
    else continue;
    from = Math.min(from, record.at);
    to = Math.max(to, record.at);
  }
  const tallies = new Map<string, { bucket: number; key: GroupKey; tally: ExecutionTally }>();
  const tallyFor = (at: number, key: GroupKey): ExecutionTally => {
    const bucket = Math.floor(at / REPORT_BUCKET_MS) * REPORT_BUCKET_MS;
    const id = `${bucket}\u0000${groupId(key)}`;
    let entry = tallies.get(id);
    if (!entry) tallies.set(id, (entry = { bucket, key, tally: new ExecutionTally() }));
    return entry.tally;
  };
  for (const e of executions.values()) tallyFor(e.completedAt, e).add(e);
  for (const i of impacts) tallyFor(i.at, i).addImpact(i.impactBps);
  return {
    report: {
      version: 1,
      bucketMs: REPORT_BUCKET_MS,
      from: Number.isFinite(from) ? from : 0,
      to: Number.isFinite(to) ? to : 0,
      tallies: [...tallies.values()].map(({ bucket, key, tally }) => [bucket, key.strategyId ?? null, key.symbol, key.broker ?? null, key.accountId ?? null, tally.toJSON()] as const),
      notes: encodeNotes(listed),
      confirmations,
      revised: [...new Set(revised)],
    },
    ids: [...executions.keys()],
  };
}

/** One string per group (the map key of a group's tally). */
export function groupId(key: GroupKey): string {
  return `${key.strategyId ?? ''}\u0000${key.symbol}\u0000${key.broker ?? ''}\u0000${key.accountId ?? ''}`;
}
