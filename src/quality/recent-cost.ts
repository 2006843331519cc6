import type { ExecutionRecord } from './execution-record.js';

/** An account's measured execution cost over its recent filled orders (execution records). */
export interface MeasuredCost {
  /** Filled orders measured. */
  readonly orders: number;
  /** Mean slippage against the expected price, bps (positive: cost). */
  readonly slippageBps: number;
  /** Mean commission as bps of the filled notional. */
  readonly commissionBps: number;
  /** Median submit → first fill, ms. */
  readonly latencyMs: number;
}

/** What one filled record adds to the sums (read from its strings once, when it enters). */
interface Contribution {
  readonly slippageBps: number | undefined;
  readonly commissionBps: number;
  readonly latencyMs: number | undefined;
}

/** A filled record's share of the cost, or undefined for a record with no fill (it counts toward nothing). */
function contributionOf(r: ExecutionRecord): Contribution | undefined {
  if (!(r.fills > 0 && r.averageFillPrice !== undefined)) return undefined;
  const notional = Number(r.averageFillPrice) * Number(r.filledQuantity);
  return {
    slippageBps: r.slippageBps === undefined ? undefined : Number(r.slippageBps),
    commissionBps: notional !== 0 ? (Number(r.commission) / notional) * 10_000 : 0,
    latencyMs: r.submitToFirstFillMs,
  };
}

/**
 * The measured cost of `records` (the filled ones): mean slippage, mean commission as bps of
 * notional, median submit → first fill. Statistics for ranking brokers, not money: plain numbers
 * are exact enough to order them by. Undefined when none filled.
 */
export function measureCost(records: readonly ExecutionRecord[]): MeasuredCost | undefined {
  const window = new RecentCost(records.length);
  for (const r of records) window.push(r);
  return window.value();
}

/**
 * {@link measureCost} of the newest `capacity` records, kept as records arrive instead of measured
 * again from all of them: each record's share is read once, the sums move by what enters and what
 * leaves, and the latencies stay sorted (a binary search and a splice). A desk routing by measured
 * cost asks for every signal; measuring the monitor's 1 000 recent records each time made a routed
 * signal ≈ 3× an engine's (bench/desk.bench.ts).
 */
export class RecentCost {
  /** Each record's share in arrival order (undefined: no fill), as a ring of `capacity`. */
  private readonly ring: (Contribution | undefined)[] = [];
  private next = 0;
  private orders = 0;
  private slippage = 0;
  private slipped = 0;
  private commission = 0;
  private readonly latencies: number[] = [];
  /** Evictions since the sums were last added up from the ring: they are, every `capacity` (float error does not build up). */
  private sinceResum = 0;
  private cached: MeasuredCost | undefined;
  private stale = true;

  constructor(private readonly capacity: number) {}

  /** A new record; past `capacity`, the oldest one's share leaves the sums. */
  push(record: ExecutionRecord): void {
    if (this.capacity <= 0) return;
    const entering = contributionOf(record);
    let leaving: Contribution | undefined;
    if (this.ring.length < this.capacity) this.ring.push(entering);
    else {
      leaving = this.ring[this.next];
      this.ring[this.next] = entering;
      this.next = (this.next + 1) % this.capacity;
      if (leaving) this.remove(leaving);
    }
    if (entering) this.add(entering);
    if (leaving !== undefined && ++this.sinceResum >= this.capacity) this.resum();
    if (entering || leaving) this.stale = true;
  }

  /** The cost now (the same object until a record changes it), or undefined when no record in the window filled. */
  value(): MeasuredCost | undefined {
    if (!this.stale) return this.cached;
    this.stale = false;
    const n = this.orders;
    const latencies = this.latencies;
    this.cached = n === 0 ? undefined : { orders: n, slippageBps: this.slipped ? this.slippage / this.slipped : 0, commissionBps: this.commission / n, latencyMs: latencies.length ? latencies[(latencies.length - 1) >> 1]! : 0 };
    return this.cached;
  }

  private add(c: Contribution): void {
    this.orders++;
    this.commission += c.commissionBps;
    if (c.slippageBps !== undefined) {
      this.slippage += c.slippageBps;
      this.slipped++;
    }
    if (c.latencyMs !== undefined) this.latencies.splice(lowerBound(this.latencies, c.latencyMs), 0, c.latencyMs);
  }

  private remove(c: Contribution): void {
    this.orders--;
    this.commission -= c.commissionBps;
    if (c.slippageBps !== undefined) {
      this.slippage -= c.slippageBps;
      this.slipped--;
    }
    if (c.latencyMs !== undefined) this.latencies.splice(lowerBound(this.latencies, c.latencyMs), 1);
  }

  private resum(): void {
    this.sinceResum = 0;
    this.slippage = this.commission = 0;
    for (const c of this.ring) {
      if (!c) continue;
      this.commission += c.commissionBps;
      if (c.slippageBps !== undefined) this.slippage += c.slippageBps;
    }
  }
}

/** The first index of `sorted` whose value is not below `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
