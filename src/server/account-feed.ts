import type { Clock, ExecutionEngine, ExecutionRecord, Fill, Order, PnlSnapshot, TimerHandle } from 'tradewire';
import type { EventStream } from './event-stream.js';
import { addPnlPoint, PNL_SAMPLE_MS } from './pnl-curve.js';
import type { AccountSummary, AccountView, AlertView, BrokerHealthView, FillView, PnlPoint, Wire } from './protocol.js';
import type { EngineEventName } from './streamed-events.js';

/** One account the server shows: an engine, named. */
export interface AccountSeat {
  readonly id: string;
  readonly broker: string;
  readonly engine: ExecutionEngine;
}

export interface AccountFeedOptions {
  readonly events: readonly EngineEventName[];
  readonly clock: Clock;
  /** Recent fills kept for a snapshot (default 200). */
  readonly fillsKept?: number;
  /** The P&L curve keeps one point per this many ms (default 5 000): a day is at most 17 280 points. */
  readonly pnlSampleMs?: number;
  /** At most one `account:summary` per this many ms while the account changes (default 1 000). */
  readonly summaryMs?: number;
  /** Where this account's alerts go (shared by every account, bounded by the owner). */
  readonly onAlert: (alert: AlertView) => void;
}

interface RecentFill {
  readonly order: Order;
  readonly fill: Fill;
}

/**
 * Carries one engine's events into the stream, tagged with the account, and keeps what a snapshot
 * needs that the engine does not: recent fills with their slippage, the day's P&L curve, and the
 * broker connection as the stream last reported it. Every listener does a push or two — the
 * engine's path pays nothing more.
 */
export class AccountFeed {
  private readonly fills: RecentFill[] = [];
  /** Execution records of the fills still listed, for their expected price. */
  private readonly records = new Map<string, ExecutionRecord>();
  /** How many of the listed fills each order has: its record goes with its last one (no scan of the list per fill). */
  private readonly listed = new Map<string, number>();
  private readonly curve: PnlPoint[] = [];
  private curveDay: string | undefined;
  private connection: { state: string; reason: string; at?: number } = { state: 'connected', reason: 'no disconnect reported' };
  private readonly fillsKept: number;
  private readonly pnlSampleMs: number;
  private summaryTimer: TimerHandle | undefined;

  constructor(
    readonly seat: AccountSeat,
    private readonly stream: EventStream,
    private readonly options: AccountFeedOptions,
  ) {
    this.fillsKept = options.fillsKept ?? 200;
    this.pnlSampleMs = options.pnlSampleMs ?? PNL_SAMPLE_MS;
  }

  /** Subscribes to the engine; returns the unsubscribe. */
  attach(): () => void {
    const { engine, id } = this.seat;
    const offs: (() => void)[] = [];
    for (const name of this.options.events) {
      offs.push(engine.events.on(name, (payload: unknown) => this.stream.publish(id, name, payload)));
    }
    const changed = (): void => this.summarizeSoon();
    offs.push(
      engine.events.on('order:created', changed),
      engine.events.on('position:updated', changed),
      engine.events.on('pnl:updated', changed),
      engine.events.on('order:fill', ({ order, fill }) => this.addFill(order, fill)),
      engine.events.on('execution:recorded', ({ record }) => {
        if (record.fills > 0) this.records.set(record.clientOrderId, record);
      }),
      engine.events.on('pnl:updated', (pnl) => this.addPnl(pnl)),
      engine.events.on('broker:connection', (change) => {
        this.connection = { state: change.state === 'disconnected' ? 'disconnected' : 'connected', reason: change.reason ?? change.state, at: change.at };
      }),
      engine.events.on('alert', (alert) => this.options.onAlert({ severity: alert.severity, code: alert.code, message: alert.message, account: id, at: this.options.clock.now() })),
    );
    return () => {
      offs.forEach((off) => off());
      if (this.summaryTimer !== undefined) this.options.clock.clearTimeout(this.summaryTimer);
    };
  }

  /** Exposure, the account and quality counters: what changes without an event of its own. */
  summary(): AccountSummary {
    const { engine } = this.seat;
    const account = engine.account();
    const quality = engine.quality?.stats();
    return {
      exposure: engine.exposure().toString(),
      ...(account ? { account: wire(account) } : {}),
      ...(quality ? { quality: { recorded: quality.recorded, slippageAlerts: quality.slippageAlerts, slowFills: quality.slowFills, mismatches: quality.mismatches } } : {}),
    };
  }

  /** One summary per period at most, sent at its end (so it has the period's last word). */
  private summarizeSoon(): void {
    if (this.summaryTimer !== undefined) return;
    this.summaryTimer = this.options.clock.setTimeout(() => {
      this.summaryTimer = undefined;
      this.stream.publish(this.seat.id, 'account:summary', this.summary());
    }, this.options.summaryMs ?? 1_000);
  }

  /** The account as a snapshot shows it; `health` is the desk's view of the broker when there is one. */
  view(health?: BrokerHealthView): AccountView {
    const { engine, id, broker } = this.seat;
    const pnl = engine.pnl();
    const state = engine.tradingState;
    // The summary's fields are already wire values; the rest goes through one JSON round trip.
    const rest = wire({
      id,
      broker,
      tradingState: state,
      ...(engine.tradingStateReason === undefined ? {} : { stateReason: engine.tradingStateReason }),
      positions: engine.positions.openPositions(),
      workingOrders: engine.orders.workingOrders(),
      pnl,
      breakers: engine.breakers.trips(),
      health: health ?? this.streamHealth(),
      fills: this.fills.map((f) => fillView(f.order, f.fill, this.records.get(f.order.clientOrderId))),
      pnlCurve: [...this.curve, pnlPoint(this.options.clock.now(), pnl)],
    });
    return { ...this.summary(), ...rest };
  }

  /** Health from the stream alone, for an engine without a desk's health tracker. */
  streamHealth(): BrokerHealthView {
    const { id, broker } = this.seat;
    return { broker, account: id, state: this.connection.state, reason: this.connection.reason, streamConnected: this.connection.state === 'connected', ...(this.connection.at === undefined ? {} : { lastHeardAt: this.connection.at }) };
  }

  private addFill(order: Order, fill: Fill): void {
    this.fills.push({ order, fill });
    this.listed.set(order.clientOrderId, (this.listed.get(order.clientOrderId) ?? 0) + 1);
    if (this.fills.length > this.fillsKept) {
      const dropped = this.fills.shift()!.order.clientOrderId;
      const left = this.listed.get(dropped)! - 1;
      if (left > 0) this.listed.set(dropped, left);
      else {
        this.listed.delete(dropped);
        this.records.delete(dropped);
      }
    }
  }

  private addPnl(pnl: PnlSnapshot): void {
    if (pnl.tradingDay !== this.curveDay) {
      this.curve.length = 0;
      this.curveDay = pnl.tradingDay;
    }
    addPnlPoint(this.curve, pnlPoint(this.options.clock.now(), pnl), this.pnlSampleMs);
  }
}

function pnlPoint(at: number, pnl: PnlSnapshot): PnlPoint {
  return { at, daily: pnl.daily.toString(), realized: pnl.realizedToday.toString(), unrealized: pnl.unrealized.toString() };
}

/**
 * A fill with how its order executed: the order's expected price and slippage (basis points,
 * positive = against the trader) from its execution record, once the order ended.
 */
export function fillView(order: Order, fill: Fill, record: ExecutionRecord | undefined): FillView {
  return {
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    quantity: fill.quantity.toString(),
    price: fill.price.toString(),
    at: fill.time,
    ...(record?.expectedPrice === undefined ? {} : { expectedPrice: record.expectedPrice }),
    ...(record?.slippageBps === undefined ? {} : { slippageBps: record.slippageBps }),
  };
}

/** A value as the wire carries it (a JSON round trip: Decimals become strings). */
export function wire<T>(value: T): Wire<T> {
  return JSON.parse(JSON.stringify(value)) as Wire<T>;
}
