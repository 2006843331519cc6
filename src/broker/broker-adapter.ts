import type { Decimal } from '../core/decimal.js';
import type { Order } from '../model/order.js';
import type { OrderList } from '../model/order-list.js';
import type { OrderChanges, OrderEvent } from '../model/order-event.js';
import type { AccountSnapshot, AssetInfo, MarketCalendarDay, MarketClock, OrderStatusReport, PositionReport } from './reports.js';
import type { AssetClass, OrderType, TimeInForce } from '../model/trading-types.js';

/**
 * What a broker can do natively. The core reads this to decide what to emulate (OCO,
 * brackets, trailing stops), whether to poll (no stream), and what to refuse up front.
 */
export interface BrokerCapabilities {
  readonly orderTypes: readonly OrderType[];
  readonly timeInForce: readonly TimeInForce[];
  readonly assetClasses: readonly AssetClass[];
  readonly nativeOco: boolean;
  readonly nativeBracket: boolean;
  readonly nativeTrailingStop: boolean;
  readonly fractional: boolean;
  readonly shorting: boolean;
  readonly extendedHours: boolean;
  /** Modify price/quantity in place (Alpaca PATCH, OANDA replace); otherwise cancel and resend. */
  readonly replace: boolean;
  /** Pushes order updates; without it the lifecycle polls open orders. */
  readonly streaming: boolean;
  /** Offers the broker's market clock and calendar. */
  readonly marketClock: boolean;
  /** Takes market orders for an amount of money (`Order.notional`) instead of a quantity. */
  readonly notional?: boolean;
  /**
   * Open exit orders hold the quantity they would sell (Alpaca): a second exit for the same shares
   * is refused until the first is cancelled or shrunk. The engine then makes room before an exit.
   */
  readonly exitsHoldQuantity?: boolean;
}

/** Find an order at the broker by our id or theirs. */
export type OrderRef = { readonly clientOrderId: string; readonly brokerOrderId?: string } | { readonly brokerOrderId: string; readonly clientOrderId?: string };

/** A change in the order-update stream's connection. After `reconnected`, updates may have been missed. */
export interface ConnectionChange {
  readonly state: 'connected' | 'disconnected' | 'reconnected';
  readonly reason?: string;
  readonly at: number;
}

/**
 * An order update pushed by the broker: either one event, already mapped to the core's vocabulary,
 * or a snapshot of the order (after a reconnect the adapter fetches what changed), which the core
 * diffs against its own state so nothing is counted twice.
 */
export type OrderUpdate = OrderEventUpdate | OrderSnapshotUpdate;

export interface OrderEventUpdate {
  readonly clientOrderId: string;
  readonly brokerOrderId?: string;
  readonly event: OrderEvent;
  readonly report?: undefined;
}

export interface OrderSnapshotUpdate {
  readonly clientOrderId: string;
  readonly brokerOrderId?: string;
  readonly report: OrderStatusReport;
  readonly event?: undefined;
}

/**
 * Something that happened to the account rather than to one order: a margin call, financing
 * charged or paid, a trade opened or closed at the broker. The engine re-emits it as
 * `broker:account_event` and raises an alert for a margin call.
 */
export interface AccountEvent {
  /**
   * `closeout`: the broker closed positions by itself (a margin closeout, a forced liquidation) —
   * the engine raises a critical alert and reconciles at once.
   */
  readonly type: 'margin_call_enter' | 'margin_call_extend' | 'margin_call_exit' | 'financing' | 'trade_opened' | 'trade_reduced' | 'trade_closed' | 'closeout';
  readonly at: number;
  readonly symbol?: string;
  /** Money moved, in the account currency (financing, realized P&L of a closed trade). */
  readonly amount?: Decimal;
  readonly detail: string;
  readonly raw?: unknown;
}

export interface AdapterHealth {
  readonly connected: boolean;
  readonly streamConnected: boolean;
  /** Epoch ms of the last message from the broker, if any. */
  readonly lastMessageAt?: number;
  readonly detail?: string;
}

export type Unsubscribe = () => void;

/**
 * The one interface every broker implements. Adapters report; they never mutate an order:
 * every method takes the core's model and returns reports, and every failure is thrown as a
 * classified `BrokerError`. Quantities are unsigned with a side; an adapter for a broker that
 * signs units by side (OANDA) converts at its edge.
 */
export interface BrokerAdapter {
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  /**
   * The broker's published request limit. The engine puts a limiter with it in front of every
   * call unless told otherwise. In-process adapters (the mock) leave it out.
   */
  readonly rateLimit?: { readonly requests: number; readonly perMs: number; readonly maxConcurrent?: number };

  connect(): Promise<void>;
  disconnect(): Promise<void>;

  getAccount(): Promise<AccountSnapshot>;
  getPositions(): Promise<readonly PositionReport[]>;
  getOpenOrders(): Promise<readonly OrderStatusReport[]>;
  /** Undefined when the broker has no such order (never throws for "not found"). */
  getOrder(ref: OrderRef): Promise<OrderStatusReport | undefined>;
  getAsset(symbol: string): Promise<AssetInfo | undefined>;
  getMarketClock?(): Promise<MarketClock>;
  /** The broker's trading days between two dates (`yyyy-MM-dd`, inclusive); days not listed are closed. */
  getCalendar?(from: string, to: string): Promise<readonly MarketCalendarDay[]>;

  /**
   * Sends a new order, with `order.clientOrderId` as the broker's idempotency key, and returns
   * the broker's first report of it. Must not resend on its own: retries belong to the core.
   */
  submitOrder(order: Order): Promise<OrderStatusReport>;
  /**
   * Sends linked orders as one native list (bracket, OTO, OCO), where `capabilities.nativeBracket`
   * / `nativeOco` say the broker has them. Returns the report of the parent (`list.orders[0]`) with
   * its legs in `legs`; a leg's report may carry the broker's own client order id (Alpaca names
   * legs itself), so the core matches legs by their role. Must not resend on its own.
   */
  submitOrderList?(list: OrderList): Promise<OrderStatusReport>;
  /** Changes a working order's quantity or prices; returns the report of the resulting order. */
  replaceOrder(order: Order, changes: OrderChanges): Promise<OrderStatusReport>;
  /** Requests a cancel. Resolves when the broker accepted the request, not when it is done. */
  cancelOrder(ref: OrderRef): Promise<void>;
  /** Cancels every open order on the account (the kill switch). */
  cancelAllOrders(): Promise<void>;

  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe;
  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe;
  /** Account-level events, for brokers that report them (OANDA's transaction stream). */
  onAccountEvent?(listener: (event: AccountEvent) => void): Unsubscribe;
  /**
   * Where the adapter's own fan-outs go (a look-up per order after a reconnect, a cancel per order):
   * the engine's rate limiter passes its gate here, so those calls share the account's budget
   * instead of bursting past it. Without one, an adapter runs them as they come.
   */
  useRequestGate?(gate: RequestGate): void;
  health(): AdapterHealth;
}

/** Runs a broker call when the account's request budget allows; `kind` sets its priority. */
export type RequestGate = <T>(call: () => Promise<T>, kind: 'read' | 'cancel') => Promise<T>;

