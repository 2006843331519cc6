/**
 * tradewire — a broker-agnostic trade execution engine.
 *
 * The core never imports an adapter: brokers plug in through {@link BrokerAdapter}
 * (`tradewire/alpaca`, `tradewire/oanda`), and `tradewire/testing` ships the mock broker.
 *
 * @module tradewire
 */
export { type Clock, ManualClock, settle, systemClock, type TimerHandle, type TimerOptions } from './core/clock.js';
export { type IdGenerator, randomIds, sequentialIds } from './core/ids.js';
export { addDecimals, addExactly, basisPointsOf, compareDecimal, Decimal, type DecimalInput, isAboveZero, maxDecimal, minDecimal, multiplyDecimals, parseDecimal, percentOf, roundedToPrecision, roundToStep, subtractDecimals, subtractExactly, toDecimal, ZERO, ONE } from './core/decimal.js';
export {
  BROKER_ERROR_CATEGORY,
  BrokerError,
  type BrokerErrorCategory,
  type BrokerErrorCode,
  type BrokerErrorOptions,
  ConfigurationError,
  describeError,
  DuplicateOrderError,
  InvalidOrderTransitionError,
  isBrokerError,
  isTradewireError,
  JournalLockedError,
  JournalWriteError,
  OrderNotFoundError,
  OverfillError,
  RecoveryIncompleteError,
  SendWithdrawnError,
  PositionNotClosedError,
  ServerRequestError,
  type ServerRequestErrorCode,
  TradewireError,
  type TradewireErrorCode,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
} from './core/errors.js';
export { consoleLogger, type Logger, silentLogger } from './core/logger.js';

export { EventBus, type EventBusOptions, type EventMap, type EventSink, type EventSource, type Listener, type ListenerErrorPayload } from './events/event-bus.js';
export type {
  OrderChangedPayload,
  OrderFillPayload,
  OrderIgnoredPayload,
  OrderLifecycleEvents,
  OrderTimeoutPayload,
  AlertPayload,
  EngineStateEvents,
  MarketEvents,
  PnlSnapshot,
  ReconciliationReport,
  PositionEvents,
  ResilienceEvents,
  SignalEvents,
  TradewireEvents,
  AlertEvents,
  MarketChange,
  MarketSessionChange,
  SymbolTradingChange,
  PositionChangeReason,
  ReconciliationEvents,
  RecoveryReport,
  ChangedWhileDown,
} from './tradewire-events.js';

export {
  ASSET_CLASSES,
  type AssetClass,
  ORDER_SIDES,
  ORDER_TYPES,
  type OrderSide,
  type OrderType,
  TIME_IN_FORCE,
  type TimeInForce,
} from './model/trading-types.js';
export type { Fill } from './model/fill.js';
export { type Order, type OrderFields, type OrderLinks } from './model/order.js';
export { isTerminalStatus, isWorkingStatus, ORDER_STATUSES, type OrderStatus, TERMINAL_ORDER_STATUSES } from './model/order-status.js';
export { ORDER_EVENT_TYPES, type OrderChanges, type OrderEvent, type OrderEventType } from './model/order-event.js';
export { lookupTransition, ORDER_STATE_TABLE, type TransitionTarget } from './model/order-state-table.js';
export {
  applyOrderEvent,
  type OrderTransition,
  type TransitionOutcome,
} from './model/apply-order-event.js';
export { createOrder, MAX_CLIENT_ORDER_ID_LENGTH, type OrderRequest } from './model/order-request.js';
export { ORDER_LIST_KINDS, type OrderList, type OrderListKind, orderListIssues } from './model/order-list.js';
export {
  type FillJSON,
  type OrderEventJSON,
  type OrderJSON,
} from './model/order-serialization.js';

export type {
  AccountEvent,
  AdapterHealth,
  BrokerAdapter,
  BrokerCapabilities,
  ConnectionChange,
  OrderEventUpdate,
  OrderRef,
  OrderSnapshotUpdate,
  OrderUpdate,
  RequestGate,
  Unsubscribe,
} from './broker/broker-adapter.js';
export { AdapterListeners } from './broker/adapter-listeners.js';
export { BrokerOrderIds, type ForgottenOrder } from './broker/broker-order-ids.js';
export { brokerJson, brokerRequest, transportError } from './broker/http-transport.js';
export { checkTimings, readCredentials, readEndpoint, redactBrokerError, redactSecrets } from './broker/credentials.js';
export type { AccountSnapshot, AssetInfo, MarketCalendarDay, MarketClock, OrderStatusReport, PositionReport } from './broker/reports.js';
export { eventsFromOrderReport } from './reconciliation/order-report-diff.js';

export { InMemoryJournal } from './journal/in-memory-journal.js';
export { type CompactOrderEventJSON, type CompactOrderJSON, journalRecordFromJSON, type JournalRecordJSON, journalRecordToJSON } from './journal/journal-json.js';
export { journalRecordText } from './journal/journal-text.js';
export { FileJournal, type FileJournalOptions, type FileJournalRecovery } from './journal/file-journal.js';
export type { FillHistoryQuery, FillSummary, OrderHistoryQuery, OrderSummary } from './journal/order-history.js';
export { ACCOUNT_SNAPSHOT_TOPIC, ALERT_TOPIC, type ClosedPositionRecord, POSITION_CLOSED_TOPIC } from './journal/history-notes.js';
export { CHECKPOINT_TOPIC, type Journal, type JournalEntry, type JournalQuery, type JournalRecord, lastNote, UNSTAMPED } from './journal/journal.js';
export { WriteFailures } from './journal/write-failures.js';

export {
  type CancelOptions,
  type InterruptedRequest,
  type ModifyRequest,
  type OrderHook,
  OrderLifecycleManager,
  type OrderLifecycleOptions,
  type OrdersView,
  type SubmitOptions,
} from './execution/order-lifecycle-manager.js';
export { orderStateDiagram } from './model/order-state-diagram.js';

export { type ParsedSignal, parseSignal, type Signal } from './signals/signal.js';
export { DECISION_CODES, type DecisionCode, type DecisionReason, defaultSignalPolicy, type KnownDecisionCode, type PolicyContext, type SignalPolicy, type TradeIntent } from './signals/signal-policy.js';
export {
  DEFAULT_ENGINE_CONFIG,
  type EngineConfig,
  PRE_TRADE_CHECKS,
  type PreTradeCheckCode,
  resolveEngineConfig,
  type ResolvedEngineConfig,
  SIZING_METHODS,
  type SizingMethod,
  STOP_LOSS_METHODS,
  type StopLossMethod,
  TAKE_PROFIT_METHODS,
  type TakeProfitMethod,
} from './config/engine-config.js';
export { type SizingCap, type SizingInput, type SizingResult, sizePosition } from './risk/position-sizing.js';
export { groupLimitRule, PRE_TRADE_RULES, type PreTradeContext, type PreTradeRule, runPreTradeChecks, strategyLimitRule } from './risk/pre-trade-checks.js';
export { alwaysOpenMarket, type MarketState } from './market/market-state.js';
export {
  type Position,
  type PositionFields,
  type PositionFill,
  type PositionSide,
  type PositionState,
  POSITION_STATES,
} from './positions/position.js';
export {
  InvalidPositionTransitionError,
  nextPositionState,
  POSITION_EVENTS,
  POSITION_STATE_TABLE,
  type PositionEventType,
  type PositionTarget,
} from './positions/position-state-table.js';
export { type PositionFillResult } from './positions/apply-position-fill.js';
export { type PositionChange, type PositionEntryContext, type PositionHook, PositionManager, type PositionManagerOptions, type PositionsView } from './positions/position-manager.js';
export { every, type Repeating } from './core/every.js';
export { type InternalFailure, type InternalFailureHandler } from './core/internal-hooks.js';
export { AnnounceInOrder, type AnnouncementTurn } from './core/announce-in-order.js';
export { TRADING_STATE_TOPIC, TradingGate } from './execution/trading-gate.js';
export { BuyingPower } from './execution/buying-power.js';
export { InMemoryPositionRepository, type PositionHistoryQuery, type PositionRepository } from './positions/position-repository.js';
export { TradingDay } from './positions/trading-day.js';
export type { SignalDecision } from './execution/signal-decision.js';
export { ExecutionEngine, type ExecutionEngineOptions } from './execution/execution-engine.js';
export { DECISION_TOPIC, type RecordedDecision } from './execution/decision-log.js';
export { RATE_LIMITS, type RateLimit, RateLimitedAdapter, type RateLimitedAdapterOptions, type RateLimiterStats } from './resilience/rate-limited-adapter.js';
export { type ErrorHandlerStats, OrderErrorHandler, type OrderErrorHandlerOptions, type RetryPolicy } from './resilience/order-error-handler.js';
export { type PositionAdoption, type ReplayedJournal, replayJournal } from './recovery/replay-journal.js';
export { Reconciler, type ReconcilerDeps, type RecoveryPolicy } from './recovery/reconciler.js';
export { type QueuedSignal, type QueueReason } from './execution/signal-queue.js';
export { MarketStateManager, type MarketStateManagerOptions, type MarketTime, type SessionName } from './market/market-state-manager.js';
export { type MarketDate } from './market/us-equity-calendar.js';
export { type HaltOptions, TRADING_STATES, type TradingState } from './execution/trading-state.js';
export { type BreakerAction, type BreakerKind, type BreakerReadings, type BreakerSpec, type BreakerTrip } from './risk/circuit-breakers.js';
export {
  averageTrueRange,
  type Bar,
  DEFAULT_PARTIAL_EXITS,
  stopPrice,
  type StopRule,
  type TargetLeg,
  type TargetRule,
} from './risk/protection-levels.js';
export { type ProtectionOptions, type ProtectionStats, RiskOrderManager } from './risk/risk-order-manager.js';
export {
  EXECUTION_CONFIRMED_TOPIC,
  EXECUTION_IMPACT_TOPIC,
  EXECUTION_TOPIC,
  type ExecutionContext,
  type ExecutionRecord,
  type ExpectedPriceSource,
  type MarketImpact,
} from './quality/execution-record.js';
export { ExecutionMonitor, type ExecutionMonitorDeps, type ExecutionMonitorOptions } from './quality/execution-monitor.js';
export { measureCost } from './quality/recent-cost.js';
export { type CashCheck, type ExecutionConfirmation, type PositionCheck } from './quality/execution-confirmation.js';
export { combinedStore, journalStore, recordsStore, type ReportSegment, type ReportStore, type TimeRange } from './reports/report-store.js';
export { type AccountNote, type AlertNote, executionRecords, loadReportData, type ReportData, type ReportFilters } from './reports/report-data.js';
export { type LatencyName, type TallyFigures, type TallyJSON } from './reports/execution-tally.js';
export { type GroupKey, REPORT_NOTE_TOPICS, type SegmentReport } from './reports/segment-report.js';
export { type NotesSummary } from './journal/notes-summary.js';
export { customPeriod, DEFAULT_REPORT_TIMEZONE, type PeriodKind, type ReportPeriod, reportPeriod } from './reports/report-period.js';
export { type Distribution, distribution, maxDrawdown, sharpeRatio } from './reports/statistics.js';
export {
  type BrokerComparisonRow,
  buildTradeReport,
  type DailyPnl,
  type ExecutionQuality,
  type Performance,
  type ReportTotals,
  type RoundTrip,
  type SymbolTotals,
  type TradeReport,
  type TradeReportOptions,
  tradeReport,
} from './reports/trade-report.js';
export { COLUMNS, EXPORT_FORMATS, type ExportFormat, REPORT_SECTIONS, type ReportSection, reportRows, type RowSink, rowsToString, writeRows } from './reports/export.js';
export { type AuditQuery, type AuditRow, explainOrder, type OrderExplanation, regulatoryReport, searchAudit } from './reports/audit.js';
export { formatReport } from './reports/report-text.js';
export { journalFileStore, type JournalFileStoreOptions } from './reports/journal-file-store.js';
export { type CashMark } from './quality/execution-confirmation.js';
export { type BrokerHealthReport, type BrokerHealthState, type HealthOptions, HealthTrackedAdapter } from './desk/adapter-health.js';
export { type AccountScope, type MeasuredCost, type MeasuredCostOptions, type RoutableAccount, routeByBuyingPower, routeByMeasuredCost, routeByScope, type RoutingChoice, type RoutingPolicy } from './desk/desk-routing.js';
export {
  type AccountEvents,
  type DeskAccountSpec,
  type DeskDecision,
  type DeskEvents,
  type DeskLimits,
  type DeskOutcome,
  type DeskSignal,
  TradingDesk,
  type TradingDeskOptions,
} from './desk/trading-desk.js';
export { aggregateBook, type BookAccount, type BookLine, type DeskBook } from './desk/desk-book.js';
export { type JournalPositions, positionsFromJournal } from './positions/positions-from-journal.js';
export { type BatchOptions, type BatchResult } from './execution/signal-batch.js';
export { type Notification, type NotificationRoute, type NotificationSeverity, type NotificationTransport, Notifier, type NotifierOptions, type NotifierStats } from './notify/notifier.js';
export { EmailTransport, SlackWebhookTransport, slackMessage, WebhookTransport } from './notify/transports.js';
export { rebalance, type RebalanceDeps, type RebalanceLine, type RebalanceOptions, type RebalanceResult } from './execution/rebalance.js';
