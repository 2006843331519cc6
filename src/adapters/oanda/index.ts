/**
 * `tradewire/oanda` — the OANDA v20 adapter ({@link OandaAdapter}) and its parts: a small typed
 * client on Node's fetch, the transaction feed (stream with heartbeat watchdog and `sinceid`
 * replay, or `/changes` polling), the wire mapping, order requests and error classification.
 * No dependency beyond the core.
 *
 * @module tradewire/oanda
 */
export { OANDA_CAPABILITIES } from './capabilities.js';
export { type OandaErrorBody, oandaErrorFromResponse } from './errors.js';
export { fromOandaUnits, toOandaInstrument, toOandaUnits } from './instruments.js';
export { OandaAdapter, type OandaAdapterOptions } from './oanda-adapter.js';
export { OANDA_HOSTS, OandaClient, type OandaClientOptions } from './client.js';
export { TransactionFeed, type TransactionFeedOptions } from './transaction-feed.js';
export { type TransactionMeaning, transactionMeaning } from './transactions.js';
export { type DependentOrder, dependentOrder, oandaListRequest, oandaOrderRequest, type OandaOrderRequest, oandaPrice, oandaUnits } from './order-request.js';
export * from './wire.js';
