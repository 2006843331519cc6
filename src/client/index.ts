/**
 * `tradewire/client`: a typed client of `tradewire/server` for browsers and Node — the live stream
 * with resume, and the HTTP API. No runtime dependencies. See docs/dashboard.md.
 *
 * @module tradewire/client
 */
export { type ClientEvents, type ClientStatus, type ClientTimers, TradewireClient, TradewireClientError, type TradewireClientOptions, type WebSocketConstructor, type WebSocketLike } from './tradewire-client.js';
export * from '../server/protocol.js';
