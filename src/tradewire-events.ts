import type { EngineStateEvents } from './execution/engine-events.js';
import type { OrderLifecycleEvents } from './execution/order-lifecycle-events.js';
import type { SignalEvents } from './execution/signal-events.js';
import type { MarketEvents } from './market/market-events.js';
import type { PositionEvents } from './positions/position-events.js';
import type { QualityEvents } from './quality/quality-events.js';
import type { ReconciliationEvents } from './recovery/reconciliation-report.js';
import type { ResilienceEvents } from './resilience/resilience-events.js';

/**
 * All events tradewire emits: each component declares its own events beside the code that emits
 * them, and the full map is assembled here.
 */
export type TradewireEvents = OrderLifecycleEvents & PositionEvents & SignalEvents & ResilienceEvents & EngineStateEvents & MarketEvents & ReconciliationEvents & QualityEvents;

export type { AlertEvents, AlertPayload } from './events/alert.js';
export type { EngineStateEvents } from './execution/engine-events.js';
export type { OrderChangedPayload, OrderFillPayload, OrderIgnoredPayload, OrderLifecycleEvents, OrderTimeoutPayload } from './execution/order-lifecycle-events.js';
export type { SignalEvents } from './execution/signal-events.js';
export type { MarketChange, MarketEvents, MarketSessionChange, SymbolTradingChange } from './market/market-events.js';
export type { QualityEvents } from './quality/quality-events.js';
export type { PnlSnapshot, PositionChangeReason, PositionEvents } from './positions/position-events.js';
export type { ChangedWhileDown, ReconciliationEvents, ReconciliationReport, RecoveryReport } from './recovery/reconciliation-report.js';
export type { ResilienceEvents } from './resilience/resilience-events.js';
