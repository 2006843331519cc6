import type { Decimal } from '../core/decimal.js';
import type { Fill } from './fill.js';
import type { OrderStatus } from './order-status.js';
import type { AssetClass, OrderSide, OrderType, TimeInForce } from './trading-types.js';
import type { EveryKey } from '../core/mutable.js';

/** Links between contingent orders (brackets, OCO pairs, replacements). */
export interface OrderLinks {
  /** The entry order this one protects (for bracket legs and protective stops). */
  readonly parentId?: string;
  /** The other half of a one-cancels-other pair. */
  readonly ocoSiblingId?: string;
  readonly takeProfitId?: string;
  readonly stopLossId?: string;
  /** The order this one superseded, and the one that superseded it. */
  readonly replaces?: string;
  readonly replacedBy?: string;
}

/**
 * An order, owned by the order lifecycle manager and changed only by applying events
 * ({@link applyOrderEvent}). Immutable: every change produces a new object.
 * Every price, quantity and amount is a `Decimal`; every time is epoch milliseconds (UTC).
 * Orders made by tradewire carry every key, an absent one as `undefined` (see {@link shapeOrder}).
 */
export interface Order {
  /** Ours, generated once; the idempotency key sent to the broker and reused on every retry. */
  readonly clientOrderId: string;
  /** The broker's id; changes when a broker replaces an order with a new one (Alpaca). */
  readonly brokerOrderId?: string;
  /** Every broker id this logical order has had, oldest first. */
  readonly brokerOrderIds: readonly string[];
  readonly accountId?: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  /**
   * Units to trade. For a notional order it is zero until the broker reports how many units the
   * amount bought (see {@link Order.notional}).
   */
  readonly quantity: Decimal;
  /**
   * An amount of money to trade instead of a quantity (market orders, where the broker offers it:
   * Alpaca's fractional `notional`). The fills fix the quantity.
   */
  readonly notional?: Decimal;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly trailPercent?: Decimal;
  readonly trailAmount?: Decimal;
  /** A market order's worst acceptable price (OANDA's `priceBound`): it is refused rather than filled beyond. */
  readonly priceBound?: Decimal;
  /** For time in force `gtd`: when the order expires (epoch ms). */
  readonly expiresAt?: number;
  readonly extendedHours: boolean;
  /** Only reduces an existing position (exits, stops, take-profits). */
  readonly reduceOnly: boolean;
  readonly status: OrderStatus;
  readonly filledQuantity: Decimal;
  /** Volume-weighted average of the fills; undefined until the first fill. */
  readonly averageFillPrice?: Decimal;
  readonly fills: readonly Fill[];
  /** Sum of the fills' commissions. */
  readonly commission: Decimal;
  readonly createdAt: number;
  readonly submittedAt?: number;
  readonly acceptedAt?: number;
  readonly filledAt?: number;
  readonly cancelledAt?: number;
  /**
   * When its cancel was last asked (by the engine, or heard from the broker: one made in its app) —
   * kept once the order works again (the cancel refused) or ends. A cancel still pending long after
   * this is one the broker may have refused unheard.
   */
  readonly cancelRequestedAt?: number;
  /** When the last event was applied. */
  readonly updatedAt: number;
  /** Why the order was rejected, failed or cancelled, in words. */
  readonly errorMessage?: string;
  readonly signalId?: string;
  readonly strategyId?: string;
  readonly links: OrderLinks;
  /** Free labels a host attaches (never interpreted by tradewire). */
  readonly tags: Readonly<Record<string, string>>;
}

/** The quantity still to be filled. */
export function remainingQuantity(order: Order): Decimal {
  return order.quantity.minus(order.filledQuantity);
}

/** An order's fields, where an optional one may also be given as `undefined`. */
export type OrderFields = { readonly [K in keyof Order]: Order[K] | undefined } & Pick<Order, RequiredOrderKeys>;
type RequiredOrderKeys = { [K in keyof Order]-?: undefined extends Order[K] ? never : K }[keyof Order];

/**
 * The order with every key of {@link Order} present, in one order (absent ones `undefined`), as a
 * new object: how tradewire builds and copies every order. Why: all orders then share one V8
 * hidden class, and the code that handles them stays monomorphic. Orders of many shapes (or
 * copies made by spreading, which in V8 get a new hidden class per generation of copy) make
 * every property access and copy on the order path several times slower (measured).
 */
export function shapeOrder(o: OrderFields): Order {
  // Typed loosely on purpose: the optional keys are written even when undefined.
  const shaped: EveryKey<Order> = {
    clientOrderId: o.clientOrderId,
    brokerOrderId: o.brokerOrderId,
    brokerOrderIds: o.brokerOrderIds,
    accountId: o.accountId,
    symbol: o.symbol,
    assetClass: o.assetClass,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    quantity: o.quantity,
    notional: o.notional,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    trailPercent: o.trailPercent,
    trailAmount: o.trailAmount,
    priceBound: o.priceBound,
    expiresAt: o.expiresAt,
    extendedHours: o.extendedHours,
    reduceOnly: o.reduceOnly,
    status: o.status,
    filledQuantity: o.filledQuantity,
    averageFillPrice: o.averageFillPrice,
    fills: o.fills,
    commission: o.commission,
    createdAt: o.createdAt,
    submittedAt: o.submittedAt,
    acceptedAt: o.acceptedAt,
    filledAt: o.filledAt,
    cancelledAt: o.cancelledAt,
    cancelRequestedAt: o.cancelRequestedAt,
    updatedAt: o.updatedAt,
    errorMessage: o.errorMessage,
    signalId: o.signalId,
    strategyId: o.strategyId,
    links: o.links,
    tags: o.tags,
  };
  return shaped as Order;
}
