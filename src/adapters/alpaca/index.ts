/**
 * `tradewire/alpaca` — the Alpaca adapter ({@link AlpacaAdapter}) and its building blocks: the
 * wire mapping, Alpaca's order rules, the trade-updates mapping, error classification and price
 * increments. The SDK (`@alpacahq/alpaca-trade-api`, an optional peer) is loaded only when an
 * adapter connects, so importing this entry never requires it.
 *
 * @module tradewire/alpaca
 */
export { ALPACA_CAPABILITIES } from './capabilities.js';
export { type AlpacaErrorBody, alpacaErrorFromResponse } from './errors.js';
export { limitRounding, roundAlpacaPrice } from './prices.js';
export { AlpacaAdapter, type AlpacaAdapterOptions } from './alpaca-adapter.js';
export { alpacaListBody, alpacaListIssues, type AlpacaOrderBody, alpacaOrderBody, alpacaOrderIssues, alpacaReplaceBody, type AlpacaReplaceBody } from './order-request.js';
export { type TradeUpdateMeaning, tradeUpdateMeaning } from './trade-updates.js';
export * from './wire.js';
