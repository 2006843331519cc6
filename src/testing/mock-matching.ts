import { Decimal, maxDecimal, minDecimal, percentOf } from 'tradewire';
import type { OrderSide, OrderType } from 'tradewire';

/** The parts of a resting order the matcher looks at. */
export interface MatchableOrder {
  readonly side: OrderSide;
  type: OrderType;
  limitPrice?: Decimal | undefined;
  stopPrice?: Decimal | undefined;
  trailPercent?: Decimal | undefined;
  trailAmount?: Decimal | undefined;
  /** Set once a stop or stop-limit has been touched. */
  triggered: boolean;
  /** Best price seen since acceptance, for trailing stops. */
  watermark?: Decimal | undefined;
}

/**
 * Decides whether `order` executes at `price` and at what price, updating its trigger state and
 * trailing watermark. Market-like executions get `slippage` (a fraction, against the taker);
 * limits fill at the limit or better.
 */
export function executionPrice(order: MatchableOrder, price: Decimal, slippage: Decimal): Decimal | undefined {
  const buy = order.side === 'buy';
  const atMarket = (): Decimal => (slippage.isZero() ? price : buy ? price.times(slippage.plus(1)) : price.times(new Decimal(1).minus(slippage)));
  const limitFill = (limit: Decimal): Decimal | undefined => {
    if (buy) return price.lessThanOrEqualTo(limit) ? minDecimal(price, limit) : undefined;
    return price.greaterThanOrEqualTo(limit) ? maxDecimal(price, limit) : undefined;
  };
  const touched = (stop: Decimal): boolean => (buy ? price.greaterThanOrEqualTo(stop) : price.lessThanOrEqualTo(stop));

  switch (order.type) {
    case 'market':
      return atMarket();
    case 'limit':
      return limitFill(order.limitPrice as Decimal);
    case 'stop':
      if (!order.triggered && touched(order.stopPrice as Decimal)) order.triggered = true;
      return order.triggered ? atMarket() : undefined;
    case 'stop_limit':
      if (!order.triggered && touched(order.stopPrice as Decimal)) order.triggered = true;
      return order.triggered ? limitFill(order.limitPrice as Decimal) : undefined;
    case 'market_if_touched': {
      // Touched from the far side: a buy at or below the trigger, a sell at or above it.
      const trigger = order.stopPrice as Decimal;
      if (!order.triggered && (buy ? price.lessThanOrEqualTo(trigger) : price.greaterThanOrEqualTo(trigger))) order.triggered = true;
      return order.triggered ? atMarket() : undefined;
    }
    case 'trailing_stop': {
      const stop = trailingStopPrice(order, price);
      order.stopPrice = stop;
      if (!order.triggered && touched(stop)) order.triggered = true;
      return order.triggered ? atMarket() : undefined;
    }
  }
}

/** Moves the watermark with the price (up for a sell stop, down for a buy stop) and returns the stop. */
export function trailingStopPrice(order: MatchableOrder, price: Decimal): Decimal {
  const buy = order.side === 'buy';
  if (!order.watermark || (buy ? price.lessThan(order.watermark) : price.greaterThan(order.watermark))) order.watermark = price;
  const mark = order.watermark;
  if (order.trailPercent) {
    const offset = percentOf(mark, order.trailPercent);
    return buy ? mark.plus(offset) : mark.minus(offset);
  }
  const amount = order.trailAmount as Decimal;
  return buy ? mark.plus(amount) : mark.minus(amount);
}
