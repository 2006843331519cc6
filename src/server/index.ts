/**
 * `tradewire/server`: the engine's (or a desk's) events over a WebSocket, a small HTTP API with
 * authenticated control, and the dashboard page. The core never imports it. See docs/dashboard.md.
 *
 * @module tradewire/server
 */
export { createServer, type ServerEvents, type ServerStats, TradewireServer, type TradewireServerOptions } from './tradewire-server.js';
export { type AuthRequest, type Principal, type ServerAuth, type TokenGrant } from './server-auth.js';
export { CONTROL_TOPIC, type ControlParams } from './control-actions.js';
export { DEFAULT_STREAMED_EVENTS, ENGINE_EVENT_NAMES, ENGINE_EVENT_STREAMING, type EngineEventName } from './streamed-events.js';
export { CLOSE_CODES } from './stream-connection.js';
export * from './protocol.js';
