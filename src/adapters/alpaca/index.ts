/**
 * `tradewire/alpaca` — building blocks of the Alpaca adapter: its capabilities, its error
 * classification and its price increments. The `AlpacaAdapter` class (REST through
 * `@alpacahq/alpaca-trade-api` and the trade-updates stream) is not released yet; see the
 * CHANGELOG. This entry has no runtime dependency on the Alpaca SDK.
 */
export { ALPACA_CAPABILITIES } from './capabilities.js';
export { type AlpacaErrorBody, alpacaErrorFromResponse } from './errors.js';
export { limitRounding, roundAlpacaPrice } from './prices.js';
