import type { Decimal } from '../core/decimal.js';
import type { Fill } from '../model/fill.js';
import type { OrderStatus } from '../model/order-status.js';
import type { AssetClass, OrderSide, OrderType, TimeInForce } from '../model/trading-types.js';

/** The broker's view of the account, in the account currency. */
export interface AccountSnapshot {
  readonly accountId: string;
  readonly currency: string;
  readonly equity: Decimal;
  readonly cash: Decimal;
  readonly buyingPower: Decimal;
  readonly marginUsed?: Decimal;
  readonly marginAvailable?: Decimal;
  readonly unrealizedPnl?: Decimal;
  readonly dayTradeCount?: number;
  readonly patternDayTrader?: boolean;
  readonly tradingBlocked?: boolean;
  readonly at: number;
}

/** The broker's view of one position. `quantity` is signed: negative for a short. */
export interface PositionReport {
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly quantity: Decimal;
  readonly averageEntryPrice: Decimal;
  readonly marketPrice?: Decimal;
  readonly unrealizedPnl?: Decimal;
}

/** The broker's view of one order, already mapped to the core's statuses. */
export interface OrderStatusReport {
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce?: TimeInForce;
  readonly status: OrderStatus;
  readonly quantity: Decimal;
  readonly filledQuantity: Decimal;
  readonly averageFillPrice?: Decimal;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  /** The executions, when the broker lists them; otherwise the core infers them from the totals. */
  readonly fills?: readonly Fill[];
  /**
   * The broker's id of the execution that brought the order to these totals (a fill event carrying
   * the order's new state): the fill the core infers from the totals takes this id.
   */
  readonly executionId?: string;
  readonly reason?: string;
  readonly updatedAt: number;
  /** For brokers that replace by creating a new order: the order this one replaced. */
  readonly replacesBrokerOrderId?: string;
  /** The legs of a native bracket / OTO / OCO, when this is its parent. */
  readonly legs?: readonly OrderStatusReport[];
  readonly raw?: unknown;
}

/** What the engine needs to know about an instrument before trading it. */
export interface AssetInfo {
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly tradable: boolean;
  readonly fractionable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow?: boolean;
  /** Smallest quantity step (1 for whole shares, 0.000001 for fractional, 1 unit in forex). */
  readonly quantityIncrement: Decimal;
  readonly minQuantity?: Decimal;
  /** Smallest price step, where the broker publishes one. */
  readonly priceIncrement?: Decimal;
  readonly minNotional?: Decimal;
  /** Margin rate (e.g. 0.02 for 50:1), for leveraged products. */
  readonly marginRate?: Decimal;
  /**
   * The currency the instrument's prices are in (`JPY` for USD_JPY, `BTC` for ETH/BTC), where the
   * broker says. The engine counts money in one currency, the account's: an entry in an instrument
   * priced in another is refused (the `account_currency` check) rather than sized and limited in
   * the wrong currency. Undefined: taken to be the account's.
   */
  readonly quoteCurrency?: string;
}

/** The broker's market clock (Alpaca's `GET /v2/clock`). Times are epoch ms. */
export interface MarketClock {
  readonly isOpen: boolean;
  readonly nextOpen: number;
  readonly nextClose: number;
  readonly at: number;
}

/** One trading day from the broker's calendar (Alpaca's `GET /v2/calendar`), New York times. */
export interface MarketCalendarDay {
  /** `yyyy-MM-dd` */
  readonly date: string;
  /** `HH:mm`, the regular session. */
  readonly open: string;
  readonly close: string;
}
