import { appended } from '../core/appended.js';
import { addDecimals, Decimal, ZERO, minDecimal, multiplyDecimals, subtractDecimals } from '../core/decimal.js';
import type { Mutable } from '../core/mutable.js';
import { hasExecution } from '../model/fill.js';
import type { Position, PositionFill } from './position.js';
import { entrySide, shapePosition } from './position.js';

export interface PositionFillResult {
  readonly position: Position;
  /** Quantity of this fill that reduced the position. */
  readonly closedQuantity: Decimal;
  /** Quantity beyond what was open (for a new, opposite position); zero normally. */
  readonly excess: Decimal;
  /** Realized P&L booked by this fill, net of commissions. */
  readonly realized: Decimal;
  readonly duplicate: boolean;
}

/**
 * Applies one execution at average cost. Pure. An entry-side fill raises the quantity and
 * re-averages the cost; an exit-side fill books realized P&L on the closed part:
 * (price − average) × closed, signed by side, less this fill's commission and the closed share of
 * the entry commission. A replayed execution id changes nothing. Does not change `state`.
 */
export function applyPositionFill(position: Position, fill: PositionFill): PositionFillResult {
  if (hasExecution(position.fills, fill.executionId)) {
    return { position, closedQuantity: ZERO, excess: ZERO, realized: ZERO, duplicate: true };
  }
  // One copy, then the changed keys written into it (one hidden class for every position; see shapePosition).
  const next = shapePosition(position) as Mutable<Position>;
  next.fills = appended(position.fills, fill);
  if (!position.orderIds.includes(fill.clientOrderId)) next.orderIds = appended(position.orderIds, fill.clientOrderId);
  next.updatedAt = fill.time;

  if (fill.side === entrySide(position.side)) {
    const quantity = addDecimals(position.quantity, fill.quantity);
    next.averageEntryPrice = position.quantity.isZero() ? fill.price : addDecimals(multiplyDecimals(position.averageEntryPrice, position.quantity), multiplyDecimals(fill.price, fill.quantity)).dividedBy(quantity);
    next.quantity = quantity;
    next.commission = addDecimals(position.commission, fill.commission);
    next.openEntryCommission = addDecimals(position.openEntryCommission, fill.commission);
    // A fill is a trade print: until a price update arrives, it is the best mark there is.
    next.currentPrice = position.currentPrice ?? fill.price;
    next.entryTime = position.entryTime ?? fill.time;
    next.unrealizedPnl = unrealizedOf(next);
    return { position: next, closedQuantity: ZERO, excess: ZERO, realized: ZERO, duplicate: false };
  }

  const closed = minDecimal(position.quantity, fill.quantity);
  const excess = subtractDecimals(fill.quantity, closed);
  const perUnit = position.side === 'long' ? subtractDecimals(fill.price, position.averageEntryPrice) : subtractDecimals(position.averageEntryPrice, fill.price);
  const gross = multiplyDecimals(perUnit, closed);
  // Only the part of this fill's commission that closed quantity belongs here; the rest goes with the excess.
  const exitCommission = excess.isZero() ? fill.commission : fill.commission.times(closed).dividedBy(fill.quantity);
  const entryShare = position.quantity.isZero() ? ZERO : closed.equals(position.quantity) ? position.openEntryCommission : position.openEntryCommission.times(closed).dividedBy(position.quantity);
  const realized = subtractDecimals(subtractDecimals(gross, exitCommission), entryShare);
  next.commission = addDecimals(position.commission, exitCommission);
  next.quantity = subtractDecimals(position.quantity, closed);
  next.openEntryCommission = subtractDecimals(position.openEntryCommission, entryShare);
  next.realizedPnl = addDecimals(position.realizedPnl, realized);
  next.unrealizedPnl = unrealizedOf(next);
  return { position: next, closedQuantity: closed, excess, realized, duplicate: false };
}

/** Recomputes unrealized P&L at `price` (or the last known price). Pure. */
export function markPosition(position: Position, price: Decimal, at: number): Position {
  const next = shapePosition(position) as Mutable<Position>;
  next.currentPrice = price;
  next.updatedAt = Math.max(position.updatedAt, at);
  next.unrealizedPnl = unrealizedOf(next);
  return next;
}

function unrealizedOf(position: Position): Decimal {
  if (!position.currentPrice || position.quantity.isZero()) return ZERO;
  const perUnit = position.side === 'long' ? subtractDecimals(position.currentPrice, position.averageEntryPrice) : subtractDecimals(position.averageEntryPrice, position.currentPrice);
  return perUnit.isZero() ? ZERO : multiplyDecimals(perUnit, position.quantity);
}
