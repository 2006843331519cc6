import { Decimal, ZERO } from '../core/decimal.js';
import type { ExecutionRecord } from '../quality/execution-record.js';

/** What a tally adds up to. Decimal sums are exact; the value lists keep every observation (exact strings for bps). */
export interface TallyFigures {
  readonly orders: number;
  readonly sent: number;
  readonly refused: number;
  readonly fills: number;
  readonly volume: Decimal;
  readonly notional: Decimal;
  readonly commissions: Decimal;
  readonly requested: Decimal;
  readonly filled: Decimal;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly rejections: readonly { readonly reason: string; readonly status: string; readonly count: number }[];
  readonly slippageBps: readonly string[];
  readonly slippageCost: Decimal;
  readonly impactBps: readonly string[];
  readonly latency: Readonly<Record<LatencyName, readonly number[]>>;
}

export const LATENCIES = ['signalToSubmit', 'submitToAck', 'submitToFirstFill', 'submitToComplete', 'signalToFirstFill'] as const;
export type LatencyName = (typeof LATENCIES)[number];

/** A tally as JSON (decimals as strings), for the per-segment report summaries. */
export interface TallyJSON {
  readonly orders: number;
  readonly sent: number;
  readonly refused: number;
  readonly fills: number;
  readonly volume: string;
  readonly notional: string;
  readonly commissions: string;
  readonly requested: string;
  readonly filled: string;
  readonly slippageCost: string;
  readonly byStatus: Record<string, number>;
  readonly rejections: [status: string, reason: string, count: number][];
  readonly slippageBps: string[];
  readonly impactBps: string[];
  readonly latency: number[][];
}

/**
 * Sums of execution records — volume, notional, commissions, fill and rejection counts, slippage,
 * latencies, market impact — for one group of orders. Tallies merge (a period's tally is the merge
 * of its buckets' tallies), and travel as JSON: an archived segment keeps its tallies by group and
 * quarter hour, so a report over it reads sums, not every record.
 */
export class ExecutionTally {
  private orders = 0;
  private sent = 0;
  private refused = 0;
  private fills = 0;
  private volume = ZERO;
  private notional = ZERO;
  private commissions = ZERO;
  private requested = ZERO;
  private filled = ZERO;
  private slippageCost = ZERO;
  private readonly byStatus: Record<string, number> = {};
  private readonly reasons = new Map<string, { reason: string; status: string; count: number }>();
  // Value lists as chunks (a merge adds another tally's lists whole; flattened once, in figures()).
  private readonly slippageBps: (readonly string[])[] = [[]];
  private readonly impactBps: (readonly string[])[] = [[]];
  private readonly latency: Record<LatencyName, (readonly number[])[]> = { signalToSubmit: [[]], submitToAck: [[]], submitToFirstFill: [[]], submitToComplete: [[]], signalToFirstFill: [[]] };

  add(e: ExecutionRecord): void {
    this.orders++;
    this.fills += e.fills;
    this.byStatus[e.status] = (this.byStatus[e.status] ?? 0) + 1;
    const filled = e.filledQuantity === '0' ? ZERO : new Decimal(e.filledQuantity);
    if (!filled.isZero()) {
      this.volume = this.volume.plus(filled);
      if (e.averageFillPrice) this.notional = this.notional.plus(filled.times(e.averageFillPrice));
    }
    if (e.commission !== '0') this.commissions = this.commissions.plus(e.commission);
    if (e.status !== 'risk_rejected') {
      this.sent++;
      this.requested = this.requested.plus(e.requestedQuantity);
      if (!filled.isZero()) this.filled = this.filled.plus(filled);
    }
    if (e.status === 'rejected' || e.status === 'failed' || e.status === 'risk_rejected') {
      if (e.status !== 'risk_rejected') this.refused++;
      this.addRejections(e.status, e.reason ?? '(no reason given)', 1);
    }
    if (e.slippageBps !== undefined) {
      own(this.slippageBps).push(e.slippageBps);
      if (e.slippageCost !== undefined && e.slippageCost !== '0') this.slippageCost = this.slippageCost.plus(e.slippageCost);
    }
    const l = this.latency;
    if (e.signalToSubmitMs !== undefined) own(l.signalToSubmit).push(e.signalToSubmitMs);
    if (e.submitToAckMs !== undefined) own(l.submitToAck).push(e.submitToAckMs);
    if (e.submitToFirstFillMs !== undefined) own(l.submitToFirstFill).push(e.submitToFirstFillMs);
    if (e.submitToCompleteMs !== undefined && e.fills > 0) own(l.submitToComplete).push(e.submitToCompleteMs);
    if (e.signalToFirstFillMs !== undefined) own(l.signalToFirstFill).push(e.signalToFirstFillMs);
  }

  /** A market-impact measurement (counted where it was measured). */
  addImpact(bps: string): void {
    own(this.impactBps).push(bps);
  }

  /** A tally from its JSON (its decimals parsed once, whatever it is merged into). */
  static fromJSON(json: TallyJSON): ExecutionTally {
    const tally = new ExecutionTally();
    tally.orders = json.orders;
    tally.sent = json.sent;
    tally.refused = json.refused;
    tally.fills = json.fills;
    tally.volume = parse(json.volume);
    tally.notional = parse(json.notional);
    tally.commissions = parse(json.commissions);
    tally.requested = parse(json.requested);
    tally.filled = parse(json.filled);
    tally.slippageCost = parse(json.slippageCost);
    Object.assign(tally.byStatus, json.byStatus);
    for (const [status, reason, count] of json.rejections) tally.addRejections(status, reason, count);
    tally.slippageBps.push(json.slippageBps);
    tally.impactBps.push(json.impactBps);
    LATENCIES.forEach((name, i) => tally.latency[name].push(json.latency[i] ?? []));
    return tally;
  }

  merge(other: ExecutionTally | TallyJSON): this {
    const o = other instanceof ExecutionTally ? other : ExecutionTally.fromJSON(other);
    this.orders += o.orders;
    this.sent += o.sent;
    this.refused += o.refused;
    this.fills += o.fills;
    this.volume = addIfAny(this.volume, o.volume);
    this.notional = addIfAny(this.notional, o.notional);
    this.commissions = addIfAny(this.commissions, o.commissions);
    this.requested = addIfAny(this.requested, o.requested);
    this.filled = addIfAny(this.filled, o.filled);
    this.slippageCost = addIfAny(this.slippageCost, o.slippageCost);
    for (const status in o.byStatus) this.byStatus[status] = (this.byStatus[status] ?? 0) + o.byStatus[status]!;
    for (const r of o.reasons.values()) this.addRejections(r.status, r.reason, r.count);
    // Chunks are shared, never copied: a chunk is only appended to by the tally that made it (own()).
    for (const chunk of o.slippageBps) if (chunk.length) this.slippageBps.push(chunk);
    for (const chunk of o.impactBps) if (chunk.length) this.impactBps.push(chunk);
    for (const name of LATENCIES) for (const chunk of o.latency[name]) if (chunk.length) this.latency[name].push(chunk);
    return this;
  }

  toJSON(): TallyJSON {
    return {
      orders: this.orders,
      sent: this.sent,
      refused: this.refused,
      fills: this.fills,
      volume: this.volume.toFixed(),
      notional: this.notional.toFixed(),
      commissions: this.commissions.toFixed(),
      requested: this.requested.toFixed(),
      filled: this.filled.toFixed(),
      slippageCost: this.slippageCost.toFixed(),
      byStatus: { ...this.byStatus },
      rejections: [...this.reasons.values()].map((r) => [r.status, r.reason, r.count]),
      slippageBps: flat(this.slippageBps),
      impactBps: flat(this.impactBps),
      latency: LATENCIES.map((name) => flat(this.latency[name])),
    };
  }

  /** The sums, and — unless `values` is false (totals only) — every observation, flattened. */
  figures(values = true): TallyFigures {
    const sums = {
      orders: this.orders,
      sent: this.sent,
      refused: this.refused,
      fills: this.fills,
      volume: this.volume,
      notional: this.notional,
      commissions: this.commissions,
      requested: this.requested,
      filled: this.filled,
      byStatus: { ...this.byStatus },
      slippageCost: this.slippageCost,
    };
    if (!values) {
      const none: readonly never[] = [];
      return { ...sums, rejections: [], slippageBps: none, impactBps: none, latency: { signalToSubmit: none, submitToAck: none, submitToFirstFill: none, submitToComplete: none, signalToFirstFill: none } };
    }
    const l = this.latency;
    return {
      ...sums,
      rejections: [...this.reasons.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
      slippageBps: flat(this.slippageBps),
      impactBps: flat(this.impactBps),
      latency: { signalToSubmit: flat(l.signalToSubmit), submitToAck: flat(l.submitToAck), submitToFirstFill: flat(l.submitToFirstFill), submitToComplete: flat(l.submitToComplete), signalToFirstFill: flat(l.signalToFirstFill) },
    };
  }

  private addRejections(status: string, reason: string, count: number): void {
    const key = `${status}\u0000${reason}`;
    const entry = this.reasons.get(key) ?? { reason, status, count: 0 };
    entry.count += count;
    this.reasons.set(key, entry);
  }
}

/**
 * The list this tally appends to: its first chunk, which is its own (merged chunks come after it
 * and belong to the tally they were merged from).
 */
function own<T>(chunks: (readonly T[])[]): T[] {
  return chunks[0] as T[];
}

function flat<T>(chunks: readonly (readonly T[])[]): T[] {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Array<T>(length);
  let i = 0;
  for (const chunk of chunks) for (let j = 0; j < chunk.length; j++) out[i++] = chunk[j]!;
  return out;
}

function parse(text: string): Decimal {
  return text === '0' ? ZERO : new Decimal(text);
}

function addIfAny(total: Decimal, more: Decimal): Decimal {
  return more.isZero() ? total : total.plus(more);
}
