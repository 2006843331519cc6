import { type Decimal, multiplyDecimals, ZERO } from '../core/decimal.js';
import type { AssetClass, OrderSide } from '../model/trading-types.js';
import type { EveryKey } from '../core/mutable.js';

export const POSITION_STATES = ['PENDING_ENTRY', 'OPEN', 'PENDING_EXIT', 'CLOSED'] as const;
/** PENDING_ENTRY: entry sent, nothing filled; OPEN; PENDING_EXIT: an exit is working; CLOSED. */
export type PositionState = (typeof POSITION_STATES)[number];
export type PositionSide = 'long' | 'short';

/** One execution as the position saw it. */
export interface PositionFill {
  readonly executionId: string;
  readonly clientOrderId: string;
  readonly side: OrderSide;
  readonly quantity: Decimal;
  readonly price: Decimal;
  readonly commission: Decimal;
  readonly time: number;
}

/**
 * A position in one symbol on one account, long or short, at average cost. Immutable; the
 * position manager replaces it on every change. All amounts are decimals in the account currency.
 * Positions made by tradewire carry every key, an absent one as `undefined` (see {@link shapePosition}).
 */
export interface Position {
  readonly id: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly side: PositionSide;
  readonly state: PositionState;
  /** Open quantity, unsigned (see `side`). */
  readonly quantity: Decimal;
  /** Average cost of the open quantity; zero before the first fill. */
  readonly averageEntryPrice: Decimal;
  /** Time of the first entry fill. */
  readonly entryTime?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly closedAt?: number;
  readonly signalId?: string;
  readonly signalStrength?: number;
  readonly strategyId?: string;
  readonly currentPrice?: Decimal;
  /** (current − average) × quantity, signed by side; zero until a price is known. */
  readonly unrealizedPnl: Decimal;
  /** Realized on exits, net of the exit commissions and the entry commissions of the closed part. */
  readonly realizedPnl: Decimal;
  /** Every commission paid on this position. */
  readonly commission: Decimal;
  /** Entry commission on the quantity still open, charged to realized P&L as it closes. */
  readonly openEntryCommission: Decimal;
  readonly stopPrice?: Decimal;
  readonly targetPrice?: Decimal;
  readonly fills: readonly PositionFill[];
  /** Client order ids of the orders that built or reduced it. */
  readonly orderIds: readonly string[];
}

/** A position's fields, where an optional one may also be given as `undefined`. */
export type PositionFields = { readonly [K in keyof Position]: Position[K] | undefined } & Pick<Position, RequiredPositionKeys>;
type RequiredPositionKeys = { [K in keyof Position]-?: undefined extends Position[K] ? never : K }[keyof Position];

/**
 * The position with every key of {@link Position} present, in one order (absent ones `undefined`),
 * as a new object: how tradewire builds and copies every position, so that all share one V8
 * hidden class (the same reason as `shapeOrder`).
 */
export function shapePosition(p: PositionFields): Position {
  const shaped: EveryKey<Position> = {
    id: p.id,
    accountId: p.accountId,
    symbol: p.symbol,
    assetClass: p.assetClass,
    side: p.side,
    state: p.state,
    quantity: p.quantity,
    averageEntryPrice: p.averageEntryPrice,
    entryTime: p.entryTime,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    closedAt: p.closedAt,
    signalId: p.signalId,
    signalStrength: p.signalStrength,
    strategyId: p.strategyId,
    currentPrice: p.currentPrice,
    unrealizedPnl: p.unrealizedPnl,
    realizedPnl: p.realizedPnl,
    commission: p.commission,
    openEntryCommission: p.openEntryCommission,
    stopPrice: p.stopPrice,
    targetPrice: p.targetPrice,
    fills: p.fills,
    orderIds: p.orderIds,
  };
  return shaped as Position;
}

/** How long the position has been open at `now`, ms (0 before the first fill). */
/** What a position counts toward exposure: its quantity × its current price (else its average cost). */
export function positionValue(p: Position): Decimal {
  return p.quantity.isZero() ? ZERO : multiplyDecimals(p.quantity, p.currentPrice ?? p.averageEntryPrice);
}

export function positionAge(position: Position, now: number): number {
  return position.entryTime === undefined ? 0 : Math.max(0, (position.closedAt ?? now) - position.entryTime);
}

/** The order side that adds to a position of this side. */
export function entrySide(side: PositionSide): OrderSide {
  return side === 'long' ? 'buy' : 'sell';
}
