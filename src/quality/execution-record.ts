import { Decimal, multiplyDecimals, subtractDecimals } from '../core/decimal.js';
import type { Order } from '../model/order.js';
import type { OrderStatus } from '../model/order-status.js';
import type { AssetClass, OrderSide, OrderType } from '../model/trading-types.js';
import type { EveryKey } from '../core/mutable.js';

/** The journal topic of every execution record (one per order that ended; again if a late fill changes it). */
export const EXECUTION_TOPIC = 'execution.recorded';
/** The journal topic of a market-impact measurement, some time after an order completed. */
export const EXECUTION_IMPACT_TOPIC = 'execution.impact';
/** The journal topic of a confirmation of positions and cash against the broker's own report. */
export const EXECUTION_CONFIRMED_TOPIC = 'execution.confirmed';

/** Where an execution record's expected price came from. */
export type ExpectedPriceSource = 'signal' | 'arrival' | 'order' | 'none';

/**
 * How one order executed: who asked, when each step happened, the price it was meant to get and
 * the price it got. Decimals are exact strings (as journaled and exported); times are epoch ms.
 * Slippage is signed against the trader: positive means worse than expected (paid more on a buy,
 * received less on a sell).
 */
export interface ExecutionRecord {
  readonly clientOrderId: string;
  readonly brokerOrderId?: string;
  readonly signalId?: string;
  readonly strategyId?: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly broker: string;
  readonly accountId?: string;
  /** The status it ended in (`filled`, `cancelled`, `expired`, `rejected`, `failed`, `risk_rejected`, `replaced`). */
  readonly status: OrderStatus;
  /** Why it was rejected, failed or cancelled, in the broker's or the engine's words. */
  readonly reason?: string;
  readonly requestedQuantity: string;
  readonly filledQuantity: string;
  /** filled ÷ requested, 0 to 1 (a notional order: 1 once anything filled). */
  readonly fillRate: string;
  /** The order's own limit (or stop) price, when it has one. */
  readonly requestedPrice?: string;
  /** The price the trade was meant to get: the signal's expected price, else the arrival price, else the order's limit/stop. */
  readonly expectedPrice?: string;
  readonly expectedPriceSource: ExpectedPriceSource;
  /** The last price seen when the signal came in (or when the order was created, for orders without a signal). */
  readonly arrivalPrice?: string;
  readonly averageFillPrice?: string;
  /** Per unit, against the trader. */
  readonly slippage?: string;
  /** Slippage in basis points of the expected price. */
  readonly slippageBps?: string;
  /** Slippage × filled quantity, in the account currency. */
  readonly slippageCost?: string;
  readonly commission: string;
  readonly fills: number;
  /** When the bot produced the signal (its own clock). */
  readonly signalTime?: number;
  /** When the engine received the signal. */
  readonly receivedAt?: number;
  readonly createdAt: number;
  readonly submittedAt?: number;
  /** The broker's acknowledgement (accepted). */
  readonly acknowledgedAt?: number;
  /** When the engine heard of the first fill. Every time here is the engine's clock, never the broker's (another clock). */
  readonly firstFillAt?: number;
  /** When the engine heard the order ended. */
  readonly completedAt: number;
  /** Received → submitted (the engine's own time). */
  readonly signalToSubmitMs?: number;
  readonly submitToAckMs?: number;
  readonly submitToFirstFillMs?: number;
  readonly submitToCompleteMs?: number;
  readonly signalToFirstFillMs?: number;
  /** 1 for the first record of an order; a late fill (after a cancel) records it again with the next revision. */
  readonly revision: number;
}

/** What the monitor knew before the order existed. */
export interface ExecutionContext {
  readonly broker: string;
  readonly accountId?: string | undefined;
  readonly signalTime?: number | undefined;
  readonly receivedAt?: number | undefined;
  readonly arrivalPrice?: Decimal | undefined;
  readonly signalExpectedPrice?: Decimal | undefined;
  /** When the engine sent it, heard the broker accept it, and heard of its first fill: the engine's clock (a broker's timestamps are another clock). */
  readonly submittedAt?: number | undefined;
  readonly acknowledgedAt?: number | undefined;
  readonly firstFillAt?: number | undefined;
  readonly revision: number;
}

const BPS = new Decimal(10_000);

/** Decimal to its exact string (a plain `toFixed()`: measured, caching it per instance costs more than it saves). */
function fixed(value: Decimal): string {
  return value.toFixed();
}

/** The execution record of an order that ended: a pure function of the order and its context. */
export function buildExecutionRecord(order: Order, context: ExecutionContext, completedAt: number): ExecutionRecord {
  const requested = order.limitPrice ?? order.stopPrice;
  const [expected, source]: [Decimal | undefined, ExpectedPriceSource] = context.signalExpectedPrice
    ? [context.signalExpectedPrice, 'signal']
    : context.arrivalPrice
      ? [context.arrivalPrice, 'arrival']
      : requested
        ? [requested, 'order']
        : [undefined, 'none'];
  const average = order.averageFillPrice;
  let slippage: string | undefined;
  let slippageBps: string | undefined;
  let slippageCost: string | undefined;
  if (average && expected) {
    const perUnit = order.side === 'buy' ? subtractDecimals(average, expected) : subtractDecimals(expected, average);
    if (perUnit.isZero()) slippage = slippageBps = slippageCost = '0';
    else {
      slippage = perUnit.toFixed();
      slippageBps = perUnit.dividedBy(expected).times(BPS).toDecimalPlaces(4).toFixed();
      slippageCost = multiplyDecimals(perUnit, order.filledQuantity).toFixed();
    }
  }
  const submitted = context.submittedAt;
  const acknowledged = context.acknowledgedAt;
  const firstFill = context.firstFillAt;
  const received = context.receivedAt;
  const spans = executionDurations(received, submitted, acknowledged, firstFill, completedAt);
  // Every key in one literal, absent ones undefined (JSON leaves them out): one hidden class for
  // every record — built key by key, an object this wide falls into V8's slow dictionary mode.
  const record: EveryKey<ExecutionRecord> = {
    clientOrderId: order.clientOrderId,
    brokerOrderId: order.brokerOrderId || undefined,
    signalId: order.signalId || undefined,
    strategyId: order.strategyId || undefined,
    symbol: order.symbol,
    assetClass: order.assetClass,
    side: order.side,
    type: order.type,
    broker: context.broker,
    accountId: context.accountId ?? (order.accountId || undefined),
    status: order.status,
    reason: order.errorMessage || undefined,
    requestedQuantity: fixed(order.quantity),
    filledQuantity: fixed(order.filledQuantity),
    fillRate: fillRate(order),
    requestedPrice: requested ? fixed(requested) : undefined,
    expectedPrice: expected ? fixed(expected) : undefined,
    expectedPriceSource: source,
    arrivalPrice: context.arrivalPrice ? fixed(context.arrivalPrice) : undefined,
    averageFillPrice: average ? fixed(average) : undefined,
    slippage,
    slippageBps,
    slippageCost,
    commission: fixed(order.commission),
    fills: order.fills.length,
    signalTime: context.signalTime,
    receivedAt: received,
    createdAt: order.createdAt,
    submittedAt: submitted,
    acknowledgedAt: acknowledged,
    firstFillAt: firstFill,
    completedAt,
    signalToSubmitMs: spans.signalToSubmitMs,
    submitToAckMs: spans.submitToAckMs,
    submitToFirstFillMs: spans.submitToFirstFillMs,
    submitToCompleteMs: spans.submitToCompleteMs,
    signalToFirstFillMs: spans.signalToFirstFillMs,
    revision: context.revision,
  };
  return record as ExecutionRecord;
}

/** The durations an execution record gives, from its times (each undefined when either end is). */
export function executionDurations(
  received: number | undefined,
  submitted: number | undefined,
  acknowledged: number | undefined,
  firstFill: number | undefined,
  completed: number | undefined,
): Pick<ExecutionRecord, 'signalToSubmitMs' | 'submitToAckMs' | 'submitToFirstFillMs' | 'submitToCompleteMs' | 'signalToFirstFillMs'> {
  return {
    signalToSubmitMs: elapsed(received, submitted),
    submitToAckMs: elapsed(submitted, acknowledged),
    submitToFirstFillMs: elapsed(submitted, firstFill),
    submitToCompleteMs: elapsed(submitted, completed),
    signalToFirstFillMs: elapsed(received, firstFill),
  } as ReturnType<typeof executionDurations>;
}

function elapsed(from: number | undefined, to: number | undefined): number | undefined {
  return from !== undefined && to !== undefined ? to - from : undefined;
}

/** Every key of an execution record, in the order {@link buildExecutionRecord} writes them. */
export const EXECUTION_RECORD_KEYS = [
  'clientOrderId', 'brokerOrderId', 'signalId', 'strategyId', 'symbol', 'assetClass', 'side', 'type', 'broker', 'accountId', 'status', 'reason',
  'requestedQuantity', 'filledQuantity', 'fillRate', 'requestedPrice', 'expectedPrice', 'expectedPriceSource', 'arrivalPrice', 'averageFillPrice',
  'slippage', 'slippageBps', 'slippageCost', 'commission', 'fills', 'signalTime', 'receivedAt', 'createdAt', 'submittedAt', 'acknowledgedAt',
  'firstFillAt', 'completedAt', 'signalToSubmitMs', 'submitToAckMs', 'submitToFirstFillMs', 'submitToCompleteMs', 'signalToFirstFillMs', 'revision',
] as const satisfies readonly (keyof ExecutionRecord)[];

function fillRate(order: Order): string {
  const { quantity, filledQuantity } = order;
  if (filledQuantity.isZero()) return '0';
  // A notional order's quantity is what the fills bought: all of it filled.
  if (quantity.isZero() || filledQuantity.equals(quantity)) return '1';
  return filledQuantity.dividedBy(quantity).toDecimalPlaces(6).toFixed();
}

/** The price move from arrival to some time after completion, against the trade's direction (a buy that lifted the price: positive). */
export interface MarketImpact {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly strategyId?: string;
  readonly broker?: string;
  readonly accountId?: string;
  readonly horizonMs: number;
  readonly arrivalPrice: string;
  readonly priceAfter: string;
  readonly impactBps: string;
  readonly at: number;
}

/** What a market-impact measurement needs of an execution record. */
export interface ImpactSubject {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly arrivalPrice?: string | undefined;
  readonly strategyId?: string | undefined;
  readonly broker?: string | undefined;
  readonly accountId?: string | undefined;
}

export function marketImpact(record: ImpactSubject, priceAfter: Decimal, horizonMs: number, at: number): MarketImpact | undefined {
  if (!record.arrivalPrice) return undefined;
  const arrival = new Decimal(record.arrivalPrice);
  const move = record.side === 'buy' ? priceAfter.minus(arrival) : arrival.minus(priceAfter);
  return {
    clientOrderId: record.clientOrderId,
    symbol: record.symbol,
    ...(record.strategyId ? { strategyId: record.strategyId } : {}),
    ...(record.broker ? { broker: record.broker } : {}),
    ...(record.accountId ? { accountId: record.accountId } : {}),
    horizonMs,
    arrivalPrice: record.arrivalPrice,
    priceAfter: priceAfter.toFixed(),
    impactBps: move.dividedBy(arrival).times(BPS).toDecimalPlaces(4).toFixed(),
    at,
  };
}
