/**
 * `tradewire/adapter-kit` — everything needed to write a broker adapter, and nothing else: the
 * `BrokerAdapter` contract and its report types, the listener set, the HTTP transport with error
 * classification, `BrokerError`, credentials and redaction, the order-report diff, and the
 * decimals, clock and ids an adapter takes. The worked example (`examples/krx/`) and
 * docs/adapters/writing-an-adapter.md use it; `tradewire/testing/conformance` holds the suite
 * every adapter must pass. Everything here is also exported from `tradewire`.
 *
 * @module tradewire/adapter-kit
 */
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
  AccountSnapshot,
  AssetInfo,
  MarketCalendarDay,
  MarketClock,
  OrderStatusReport,
  PositionReport,
  Order,
  OrderEvent,
  OrderChanges,
  OrderList,
  OrderListKind,
  Fill,
  AssetClass,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  Clock,
  TimerHandle,
  TimerOptions,
  MarketState,
  IdGenerator,
  DecimalInput,
  Logger,
  BrokerErrorCode,
  BrokerErrorCategory,
  BrokerErrorOptions,
  ForgottenOrder,
} from 'tradewire';
export {
  AdapterListeners,
  BrokerOrderIds,
  brokerJson,
  brokerRequest,
  transportError,
  BrokerError,
  isBrokerError,
  BROKER_ERROR_CATEGORY,
  readCredentials,
  readEndpoint,
  redactBrokerError,
  redactSecrets,
  eventsFromOrderReport,
  Decimal,
  ZERO,
  toDecimal,
  roundToStep,
  systemClock,
  randomIds,
  consoleLogger,
  silentLogger,
} from 'tradewire';
