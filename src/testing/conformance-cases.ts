import type { BrokerCapabilities } from 'tradewire';

/** One behaviour every broker adapter must show, with a stable id a report or a skip list can name. */
export interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  /** Capabilities the case needs; an adapter without them skips it. */
  readonly requires?: (capabilities: BrokerCapabilities) => boolean;
}

/**
 * The broker-adapter conformance cases, in the order they run. Ids never change meaning; a new
 * behaviour gets a new id. `describeBrokerAdapterConformance` (`tradewire/testing/conformance`)
 * turns them into tests.
 */
export const CONFORMANCE_CASES = [
  { id: 'account.snapshot', title: 'reports the account with Decimal equity, cash and buying power' },
  { id: 'asset.lookup', title: 'describes a tradable asset and answers undefined for an unknown one' },
  { id: 'order.market.fill', title: 'fills a market order, streams the fill with an execution id and shows the position' },
  { id: 'order.limit.rest-cancel', title: 'rests a limit order away from the market, lists it as open, and cancels it' },
  { id: 'order.get.by-client-id', title: 'finds an order by our client order id' },
  { id: 'order.get.unknown', title: 'answers undefined (not an error) for an order it never had' },
  { id: 'order.duplicate-client-id', title: 'refuses a second order with the same client order id' },
  {
    id: 'order.duplicate-client-id.adopted',
    title: 'a resend refused as a duplicate is the order the broker holds: looked up and adopted, never a rejection (no reject streamed for it)',
  },
  { id: 'order.reject.unknown-symbol', title: 'refuses an order for an unknown symbol with a non-retryable BrokerError' },
  { id: 'order.cancel.unknown', title: 'refuses to cancel an order it never had with broker_not_found' },
  { id: 'order.replace', title: 'replaces a resting limit order’s price and reports the result', requires: (c) => c.replace },
  {
    id: 'order.replace.chain',
    title: 'a look-up by the id a replace left behind answers the live order at its new price (how a replace whose answer was lost is found)',
    requires: (c) => c.replace,
  },
  { id: 'order.cancel-all', title: 'cancels every open order in one call' },
  { id: 'order.trailing-stop', title: 'a trailing stop follows the price up and fills on the way down', requires: (c) => c.nativeTrailingStop && c.orderTypes.includes('trailing_stop') },
  { id: 'list.oco', title: 'an OCO exit: the take-profit fills and the stop is cancelled', requires: (c) => c.nativeOco },
  { id: 'list.bracket', title: 'a bracket: legs wait for the entry, then the take-profit fills and the stop is cancelled', requires: (c) => c.nativeBracket },
] as const satisfies readonly ConformanceCase[];

export type ConformanceCaseId = (typeof CONFORMANCE_CASES)[number]['id'];
