import type { AccountEvent, BrokerAdapter, ConnectionChange, OrderUpdate, Unsubscribe } from '../broker/broker-adapter.js';
import type { Clock } from '../core/clock.js';
import { isBrokerError } from '../core/errors.js';

/** healthy: calls answer, the stream is up. degraded: slow, failing often, or the stream is down. down: the broker is not answering. */
export type BrokerHealthState = 'healthy' | 'degraded' | 'down';

/** One broker connection's health, as a desk sees it. */
export interface BrokerHealthReport {
  readonly broker: string;
  readonly account: string;
  readonly state: BrokerHealthState;
  readonly reason: string;
  /** Call latency over the recent window, ms. */
  readonly latencyMs: { readonly p50?: number; readonly p95?: number; readonly max?: number };
  /** Recent calls that failed for the network's or the broker's sake (not business refusals), 0–1. */
  readonly errorRate: number;
  /** Recent order submissions the broker refused (business rejections), 0–1. */
  readonly rejectionRate: number;
  readonly consecutiveFailures: number;
  readonly streamConnected: boolean;
  /** The last time the broker said anything (a call answered, a stream message). */
  readonly lastHeardAt?: number;
  readonly calls: number;
}

export interface HealthOptions {
  /** Calls kept for the rates and percentiles (default 100). */
  readonly window?: number;
  /** Consecutive failed calls that make a broker `down` (default 3). */
  readonly downAfterFailures?: number;
  /** p95 latency above this makes it `degraded` (default 2 000 ms). */
  readonly slowMs?: number;
  /** An error rate above this makes it `degraded` (default 0.2). */
  readonly errorRate?: number;
}

interface Call {
  readonly ms: number;
  readonly failed: boolean;
}

/**
 * A broker adapter with a stethoscope: every call's latency and outcome, the stream's state and the
 * last time the broker spoke — what a desk needs to tell healthy from degraded from down, and to
 * route new entries away from a broker that is down. Delegates everything; changes nothing.
 */
export class HealthTrackedAdapter implements BrokerAdapter {
  readonly name: string;
  readonly capabilities: BrokerAdapter['capabilities'];
  readonly rateLimit?: NonNullable<BrokerAdapter['rateLimit']>;
  getMarketClock?: NonNullable<BrokerAdapter['getMarketClock']>;
  getCalendar?: NonNullable<BrokerAdapter['getCalendar']>;
  submitOrderList?: NonNullable<BrokerAdapter['submitOrderList']>;
  onAccountEvent?: (listener: (event: AccountEvent) => void) => Unsubscribe;
  useRequestGate?: NonNullable<BrokerAdapter['useRequestGate']>;

  private readonly calls: Call[] = [];
  /** Of `calls`, how many failed and how many took longer than `slowMs`: the state is judged on every call from these, not by sorting the window. */
  private failedInWindow = 0;
  private slowInWindow = 0;
  private readonly submissions: boolean[] = [];
  private consecutiveFailures = 0;
  private streamConnected = true;
  private lastHeardAt: number | undefined;
  private state: BrokerHealthState = 'healthy';
  private readonly window: number;
  private readonly downAfter: number;
  private readonly slowMs: number;
  private readonly maxErrorRate: number;

  constructor(
    private readonly inner: BrokerAdapter,
    private readonly clock: Clock,
    readonly account: string,
    private readonly onChange: (report: BrokerHealthReport, previous: BrokerHealthState) => void,
    options: HealthOptions = {},
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    if (inner.rateLimit) this.rateLimit = inner.rateLimit;
    this.window = options.window ?? 100;
    this.downAfter = options.downAfterFailures ?? 3;
    this.slowMs = options.slowMs ?? 2_000;
    this.maxErrorRate = options.errorRate ?? 0.2;
    const clockCall = inner.getMarketClock?.bind(inner);
    if (clockCall) this.getMarketClock = () => this.timed(clockCall);
    const calendar = inner.getCalendar?.bind(inner);
    if (calendar) this.getCalendar = (from, to) => this.timed(() => calendar(from, to));
    const list = inner.submitOrderList?.bind(inner);
    if (list) this.submitOrderList = (orders) => this.timed(() => list(orders), true);
    const accountEvents = inner.onAccountEvent?.bind(inner);
    if (accountEvents) this.onAccountEvent = accountEvents;
    const gate = inner.useRequestGate?.bind(inner);
    if (gate) this.useRequestGate = gate;
    inner.onConnectionChange((change) => {
      this.streamConnected = change.state === 'connected';
      this.heard();
      this.evaluate();
    });
    inner.onOrderUpdate(() => this.heard());
  }

  connect(): Promise<void> {
    return this.timed(() => this.inner.connect());
  }
  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }
  getAccount(): ReturnType<BrokerAdapter['getAccount']> {
    return this.timed(() => this.inner.getAccount());
  }
  getPositions(): ReturnType<BrokerAdapter['getPositions']> {
    return this.timed(() => this.inner.getPositions());
  }
  getOpenOrders(): ReturnType<BrokerAdapter['getOpenOrders']> {
    return this.timed(() => this.inner.getOpenOrders());
  }
  getOrder(ref: Parameters<BrokerAdapter['getOrder']>[0]): ReturnType<BrokerAdapter['getOrder']> {
    return this.timed(() => this.inner.getOrder(ref));
  }
  getAsset(symbol: string): ReturnType<BrokerAdapter['getAsset']> {
    return this.timed(() => this.inner.getAsset(symbol));
  }
  submitOrder(order: Parameters<BrokerAdapter['submitOrder']>[0]): ReturnType<BrokerAdapter['submitOrder']> {
    return this.timed(() => this.inner.submitOrder(order), true);
  }
  replaceOrder(...args: Parameters<BrokerAdapter['replaceOrder']>): ReturnType<BrokerAdapter['replaceOrder']> {
    return this.timed(() => this.inner.replaceOrder(...args));
  }
  cancelOrder(ref: Parameters<BrokerAdapter['cancelOrder']>[0]): Promise<void> {
    return this.timed(() => this.inner.cancelOrder(ref));
  }
  cancelAllOrders(): Promise<void> {
    return this.timed(() => this.inner.cancelAllOrders());
  }
  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe {
    return this.inner.onOrderUpdate(listener);
  }
  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    return this.inner.onConnectionChange(listener);
  }
  health(): ReturnType<BrokerAdapter['health']> {
    return this.inner.health();
  }

  /** The broker's health now. */
  report(): BrokerHealthReport {
    const durations = this.calls.map((c) => c.ms).sort((a, b) => a - b);
    const at = (p: number): number | undefined => (durations.length ? durations[Math.max(0, Math.ceil(p * durations.length) - 1)] : undefined);
    const errorRate = this.calls.length ? this.calls.filter((c) => c.failed).length / this.calls.length : 0;
    const rejectionRate = this.submissions.length ? this.submissions.filter(Boolean).length / this.submissions.length : 0;
    const [state, reason] = this.judge(errorRate, at(0.95));
    const latencyMs: { p50?: number; p95?: number; max?: number } = {};
    const p50 = at(0.5);
    const p95 = at(0.95);
    if (p50 !== undefined) latencyMs.p50 = p50;
    if (p95 !== undefined) latencyMs.p95 = p95;
    if (durations.length) latencyMs.max = durations[durations.length - 1]!;
    return {
      broker: this.name,
      account: this.account,
      state,
      reason,
      latencyMs,
      errorRate,
      rejectionRate,
      consecutiveFailures: this.consecutiveFailures,
      streamConnected: this.streamConnected,
      ...(this.lastHeardAt === undefined ? {} : { lastHeardAt: this.lastHeardAt }),
      calls: this.calls.length,
    };
  }

  get healthState(): BrokerHealthState {
    return this.state;
  }

  private judge(errorRate: number, p95: number | undefined): [BrokerHealthState, string] {
    if (this.consecutiveFailures >= this.downAfter) return ['down', `${this.consecutiveFailures} calls in a row failed`];
    if (!this.streamConnected) return ['degraded', 'the stream is disconnected'];
    if (errorRate > this.maxErrorRate) return ['degraded', `${Math.round(errorRate * 100)}% of recent calls failed`];
    if (p95 !== undefined && p95 > this.slowMs) return ['degraded', `p95 latency ${p95} ms`];
    return ['healthy', 'answering'];
  }

  private async timed<T>(call: () => Promise<T>, submission = false): Promise<T> {
    const started = this.clock.now();
    try {
      const result = await call();
      this.record(started, false);
      if (submission) this.recordSubmission(false);
      return result;
    } catch (error) {
      // A business refusal (the broker answered: invalid order, no buying power) is not ill health.
      const answered = isBrokerError(error) && (error.category === 'FATAL' || error.category === 'ADJUSTABLE');
      this.record(started, !answered);
      if (submission && answered) this.recordSubmission(true);
      throw error;
    }
  }

  private record(started: number, failed: boolean): void {
    const call = { ms: this.clock.now() - started, failed };
    this.calls.push(call);
    this.count(call, 1);
    if (this.calls.length > this.window) this.count(this.calls.shift()!, -1);
    this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0;
    if (!failed) this.heard();
    this.evaluate();
  }

  private recordSubmission(refused: boolean): void {
    this.submissions.push(refused);
    if (this.submissions.length > this.window) this.submissions.shift();
  }

  private heard(): void {
    this.lastHeardAt = this.clock.now();
  }

  private count(call: Call, by: 1 | -1): void {
    if (call.failed) this.failedInWindow += by;
    if (call.ms > this.slowMs) this.slowInWindow += by;
  }

  /**
   * The state {@link judge} gives, from the window's counts: a report on every call sorted the
   * window (≈ 20% of a desk's time per signal). The full report is built when the state changes.
   */
  private currentState(): BrokerHealthState {
    if (this.consecutiveFailures >= this.downAfter) return 'down';
    if (!this.streamConnected) return 'degraded';
    const n = this.calls.length;
    if (n === 0) return 'healthy';
    if (this.failedInWindow / n > this.maxErrorRate) return 'degraded';
    // p95 > slowMs: the ⌈0.95 n⌉-th fastest call (report's percentile) is slow, i.e. fewer calls than that are not.
    return n - this.slowInWindow < Math.ceil(0.95 * n) ? 'degraded' : 'healthy';
  }

  private evaluate(): void {
    const state = this.currentState();
    if (state === this.state) return;
    const report = this.report();
    const previous = this.state;
    this.state = report.state;
    this.onChange(report, previous);
  }
}
