import type { TradewireEvents } from 'tradewire';

/**
 * Which engine events the server streams. A table over every event name, so adding an event to
 * the engine without deciding here fails to compile. `order:transition` repeats what the named
 * order events already say, so it stays off the wire unless asked for.
 */
export const ENGINE_EVENT_STREAMING = {
  'order:created': true,
  'order:submitted': true,
  'order:accepted': true,
  'order:fill': true,
  'order:partially_filled': true,
  'order:filled': true,
  'order:pending_cancel': true,
  'order:cancel_rejected': true,
  'order:cancelled': true,
  'order:expired': true,
  'order:rejected': true,
  'order:risk_rejected': true,
  'order:failed': true,
  'order:pending_replace': true,
  'order:replaced': true,
  'order:replace_rejected': true,
  'order:superseded': true,
  'order:transition': false,
  'order:ignored': true,
  'order:timeout': true,
  'order:unknown_update': true,
  'broker:connection': true,
  'broker:account_event': true,
  'order:send_attempt': true,
  'order:retry': true,
  'order:resized': true,
  alert: true,
  'position:opened': true,
  'position:updated': true,
  'position:closed': true,
  'pnl:updated': true,
  'signal:received': true,
  'signal:rejected': true,
  'signal:executed': true,
  'signal:queued': true,
  'signal:dequeued': true,
  'engine:halted': true,
  'engine:trading_state': true,
  'engine:resumed': true,
  'breaker:tripped': true,
  'position:force_closed': true,
  'market:opened': true,
  'market:closed': true,
  'market:halted': true,
  'market:resumed': true,
  reconciliation: true,
  recovered: true,
  'execution:recorded': true,
  'execution:impact': true,
  'execution:confirmed': true,
} as const satisfies Record<Exclude<keyof TradewireEvents, 'error'>, boolean>;

export type EngineEventName = keyof typeof ENGINE_EVENT_STREAMING;

/** The engine events streamed by default. */
export const DEFAULT_STREAMED_EVENTS: readonly EngineEventName[] = (Object.keys(ENGINE_EVENT_STREAMING) as EngineEventName[]).filter((name) => ENGINE_EVENT_STREAMING[name]);

/** Every engine event name (for a server option that names its own selection). */
export const ENGINE_EVENT_NAMES: readonly EngineEventName[] = Object.keys(ENGINE_EVENT_STREAMING) as EngineEventName[];
