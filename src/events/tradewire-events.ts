import type { OrderStatusReport } from '../broker/reports.js';
import type { AccountEvent, ConnectionChange } from '../broker/broker-adapter.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-event.js';
import type { OrderStatus } from '../model/order-status.js';
import type { TransitionOutcome } from '../model/apply-order-event.js';
import type { ListenerErrorPayload } from './event-bus.js';
import type { Decimal } from '../core/decimal.js';
import type { BrokerError } from '../core/errors.js';
import type { Position } from '../positions/position.js';
import type { SignalDecision } from '../execution/signal-decision.js';
import type { Signal } from '../signals/signal.js';
import type { BreakerTrip } from '../risk/circuit-breakers.js';

/** Every order event carries the order after the change, its status before, and the event applied. */
export interface OrderChangedPayload {
  readonly order: Order;
  readonly previousStatus: OrderStatus;
  readonly event: OrderEvent;
}

export interface OrderFillPayload extends OrderChangedPayload {
  readonly fill: Fill;
}

export interface OrderIgnoredPayload {
  readonly order: Order;
  readonly event: OrderEvent;
  readonly outcome: Exclude<TransitionOutcome, 'applied'>;
}

export interface OrderTimeoutPayload {
  readonly order: Order;
  readonly timeoutMs: number;
}

/**
 * The order lifecycle's events. `order:fill` fires for every execution applied (including one
 * reported after a cancel); `order:partially_filled` and `order:filled` fire on the status.
 * Documented one by one in docs/events.md.
 */
export interface OrderLifecycleEvents {
  'order:created': { readonly order: Order };
  'order:submitted': OrderChangedPayload;
  'order:accepted': OrderChangedPayload;
  'order:fill': OrderFillPayload;
  'order:partially_filled': OrderFillPayload;
  'order:filled': OrderFillPayload;
  'order:pending_cancel': OrderChangedPayload;
  'order:cancel_rejected': OrderChangedPayload;
  'order:cancelled': OrderChangedPayload;
  'order:expired': OrderChangedPayload;
  'order:rejected': OrderChangedPayload;
  'order:risk_rejected': OrderChangedPayload;
  'order:failed': OrderChangedPayload;
  'order:pending_replace': OrderChangedPayload;
  'order:replaced': OrderChangedPayload;
  'order:replace_rejected': OrderChangedPayload;
  'order:superseded': OrderChangedPayload;
  /** Every applied event, whatever its kind: one hook for logging or persistence. */
  'order:transition': OrderChangedPayload & { readonly to: OrderStatus };
  /** A duplicate or late event that changed nothing (kept in the audit trail too). */
  'order:ignored': OrderIgnoredPayload;
  'order:timeout': OrderTimeoutPayload;
  /** An update for an order this process does not know (placed elsewhere, or before a crash). */
  'order:unknown_update': { readonly clientOrderId: string; readonly brokerOrderId?: string; readonly event?: OrderEvent; readonly report?: OrderStatusReport };
  'broker:connection': ConnectionChange;
  /** An account-level event from the broker (margin call, financing, a trade opened or closed). */
  'broker:account_event': AccountEvent;
  error: ListenerErrorPayload;
}

/** P&L in the account currency. `daily` = realized today + change in unrealized since the day began. */
export interface PnlSnapshot {
  /** The trading day (America/New_York by default), `yyyy-MM-dd`. */
  readonly tradingDay: string;
  readonly realizedToday: Decimal;
  readonly unrealized: Decimal;
  readonly daily: Decimal;
  readonly realizedTotal: Decimal;
  readonly startOfDayEquity?: Decimal;
}

export interface PositionEvents {
  /** The first entry fill: PENDING_ENTRY → OPEN. */
  'position:opened': { readonly position: Position };
  /** Any change: a fill, a mark to market, a stop/target change, a state change. */
  'position:updated': { readonly position: Position; readonly reason: 'fill' | 'mark' | 'protection' | 'state' };
  /** Flat: realized P&L is final; the position is in the history. */
  'position:closed': { readonly position: Position };
  'pnl:updated': PnlSnapshot;
}

export interface SignalEvents {
  'signal:received': { readonly signal: Signal };
  /** The engine did nothing: invalid, too weak, or a pre-trade check failed. Nothing changed. */
  'signal:rejected': SignalDecision & { readonly kind: 'rejected' };
  /** An order was submitted for it. */
  'signal:executed': SignalDecision & { readonly kind: 'executed' };
  /** Held for the open, or for an operator: see `engine.queuedSignals()`. */
  'signal:queued': SignalDecision & { readonly kind: 'queued' };
  /** Taken off the queue: released at the open, approved or rejected by an operator. */
  'signal:dequeued': { readonly signal: Signal; readonly how: 'released' | 'approved' | 'rejected'; readonly at: number };
}

/** An operator-facing notice: something a human should know about, now or soon. */
export interface AlertPayload {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly code: string;
  readonly message: string;
  readonly clientOrderId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ResilienceEvents {
  /** An attempt to send an order to the broker (the first is attempt 1). */
  'order:send_attempt': { readonly order: Order; readonly attempt: number };
  /** A retryable failure; the next attempt follows after `delayMs`, with the same client order id. */
  'order:retry': { readonly order: Order; readonly attempt: number; readonly delayMs: number; readonly error: BrokerError };
  /** Insufficient buying power: the order was shrunk to what the account affords and resent. */
  'order:resized': { readonly order: Order; readonly from: Decimal; readonly to: Decimal; readonly reason: string };
  alert: AlertPayload;
}

/** What a reconciliation (after a restart, or periodic) found and did. */
export interface ReconciliationReport {
  readonly at: number;
  /** Orders rebuilt from the journal (0 for a periodic run). */
  readonly ordersRecovered: number;
  /** Local orders the broker knows, brought up to date (missed fills applied). */
  readonly ordersFoundAtBroker: readonly string[];
  /** Journaled orders the broker never received, sent now with their client order id. */
  readonly ordersResent: readonly string[];
  /** Journaled orders the broker never received, too old to send: marked failed. */
  readonly ordersMissing: readonly string[];
  /** Open orders at the broker that this engine does not know. */
  readonly unknownBrokerOrders: readonly string[];
  /** Signed quantities that disagree, local vs broker. */
  readonly positionMismatches: readonly { readonly symbol: string; readonly local: Decimal; readonly broker: Decimal }[];
  /** What was done about the mismatches. */
  readonly action: 'none' | 'adopted' | 'halted';
}

export interface MarketEvents {
  /** A market opened for trading (with the enabled sessions). */
  'market:opened': { readonly assetClass: 'equity' | 'forex'; readonly at: number };
  'market:closed': { readonly assetClass: 'equity' | 'forex'; readonly at: number };
  /** Trading in one symbol stopped (host or adapter). */
  'market:halted': { readonly symbol: string; readonly reason: string; readonly at: number };
  'market:resumed': { readonly symbol: string; readonly at: number };
}

export interface EngineStateEvents {
  reconciliation: ReconciliationReport;
  /** Trading stopped: the kill switch (`engine.halt`), or a reconciliation mismatch under the `halt` policy. */
  'engine:halted': { readonly reason: string; readonly at: number; readonly cancelOpen: boolean; readonly flatten: boolean };
  /** ACTIVE, REDUCING (only exposure-reducing orders pass) or HALTED. */
  'engine:trading_state': { readonly state: 'ACTIVE' | 'REDUCING' | 'HALTED'; readonly reason: string; readonly at: number };
  'engine:resumed': { readonly at: number };
  /** A circuit breaker tripped; its actions follow. */
  'breaker:tripped': BreakerTrip;
  /** An operator closed a position at market, bypassing the checks. */
  'position:force_closed': { readonly symbol: string; readonly reason: string; readonly order: Order | undefined; readonly at: number };
}

/** All events tradewire emits. */
export type TradewireEvents = OrderLifecycleEvents & PositionEvents & SignalEvents & ResilienceEvents & EngineStateEvents & MarketEvents;
