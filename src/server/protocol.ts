/**
 * The dashboard protocol, version 1: what `tradewire/server` sends over its WebSocket and answers
 * over HTTP, and what `tradewire/client` reads. Types only (plus two constants), so the browser
 * client shares them without loading the core. Documented message by message in docs/dashboard.md.
 *
 * Every value that is a `Decimal` in the engine travels as a string (`"190.25"`), never a JS
 * number; times are epoch milliseconds.
 */
import type { AccountSnapshot, BreakerTrip, DeskBook, Order, PnlSnapshot, Position, TradewireEvents } from 'tradewire';

/** Bumped on any change a version-1 client could misread. */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol the server speaks; a browser may offer a token beside it (see {@link AUTH_SUBPROTOCOL_PREFIX}). */
export const SUBPROTOCOL = 'tradewire.v1';
/** A browser cannot set an Authorization header on a WebSocket: it offers `tradewire.auth.<base64url token>` as a second subprotocol instead. */
export const AUTH_SUBPROTOCOL_PREFIX = 'tradewire.auth.';

/** A value as it travels: every Decimal (anything with `toJSON(): string` and `toFixed`) becomes a string. */
export type Wire<T> = T extends { toFixed(dp?: number): string; toJSON(): string }
  ? string
  : T extends (...args: never[]) => unknown
    ? never
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends Error
        ? WireError
        : T extends object
          ? { [K in keyof T]: Wire<T[K]> }
          : T;

/** An error as it travels: its class name, code and message (never its stack or raw body). */
export interface WireError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

/** The engine events the server streams, by name. */
export type StreamedEventName = Exclude<keyof TradewireEvents, 'error'> | DeskEventName;
/** Events of a desk, streamed when one is attached, and the server's own `account:summary`. */
export type DeskEventName = 'desk:trading_state' | 'broker:health' | 'account:summary';

/**
 * What the engine has no event for — exposure (with working entries' reservations), the account's
 * equity and cash, execution-quality counters — sent by the server at most once per
 * `summaryMs` while the account is changing.
 */
export interface AccountSummary {
  readonly exposure: string;
  readonly account?: Wire<AccountSnapshot>;
  readonly quality?: QualityCounts;
}

/** The execution monitor's counters for an account. */
export interface QualityCounts {
  readonly recorded: number;
  readonly slippageAlerts: number;
  readonly slowFills: number;
  readonly mismatches: number;
}

/** Every streamed event's payload, as it travels. */
export type WireEvents = { [K in Exclude<keyof TradewireEvents, 'error'>]: Wire<TradewireEvents[K]> } & {
  'desk:trading_state': { readonly state: TradingStateName; readonly reason: string; readonly at: number };
  'broker:health': BrokerHealthView & { readonly previous: string; readonly at: number };
  'account:summary': AccountSummary;
};

export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** The first message on every connection. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocol: typeof PROTOCOL_VERSION;
  /** Changes when the server restarts: sequence numbers of another session are not comparable. */
  readonly session: string;
  /** The last sequence number assigned so far. */
  readonly seq: number;
  readonly heartbeatMs: number;
  /** Whether control actions are enabled for this connection's principal. */
  readonly control: boolean;
  readonly user?: string;
  /** What follows: a replay of missed events (`resume`) or a fresh snapshot (`snapshot`). */
  readonly resume: 'replay' | 'snapshot';
}

/** Everything the dashboard shows, consistent as of `seq`: apply events with a higher sequence after it. */
export interface SnapshotMessage {
  readonly type: 'snapshot';
  readonly seq: number;
  readonly data: Snapshot;
}

/** One engine (or desk) event. Sequence numbers have no gaps within a session. */
export interface EventMessage<K extends StreamedEventName = StreamedEventName> {
  readonly type: 'event';
  readonly seq: number;
  /** When the server saw it (server clock, epoch ms). */
  readonly at: number;
  /** The account it came from (the engine's own id when no desk is attached). */
  readonly account: string;
  readonly event: K;
  readonly data: WireEvents[K];
}

/** Sent every `heartbeatMs` when nothing else was: the connection is alive, and `seq` is the last assigned. */
export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly seq: number;
  readonly at: number;
}

/** Sent before the server closes a connection on purpose (a slow client, a shutdown). */
export interface ByeMessage {
  readonly type: 'bye';
  readonly reason: DropReason;
  readonly message: string;
}

export type DropReason = 'slow_consumer' | 'heartbeat_timeout' | 'server_closing' | 'unauthorized' | 'bad_message';

export type ServerMessage = HelloMessage | SnapshotMessage | EventMessage | HeartbeatMessage | ByeMessage;

/**
 * One WebSocket frame: a message, or — for events — an array of event messages in sequence order
 * (a batch: everything that happened since the last write, serialized once for every client).
 */
export type ServerFrame = ServerMessage | readonly EventMessage[];

/** What a client may send: a request for a fresh snapshot, or a ping of its own. */
export type ClientMessage = { readonly type: 'snapshot' } | { readonly type: 'ping'; readonly id?: string };

/** One account's broker connection, as the dashboard shows it. */
export interface BrokerHealthView {
  readonly broker: string;
  readonly account: string;
  /** `healthy`, `degraded` or `down` (a desk's health tracker), or `connected`/`disconnected` from the stream alone. */
  readonly state: string;
  readonly reason: string;
  readonly streamConnected: boolean;
  readonly latencyMs?: { readonly p50?: number; readonly p95?: number; readonly max?: number };
  readonly errorRate?: number;
  readonly lastHeardAt?: number;
}

/** A fill the dashboard lists, with how it executed against the expected price. */
export interface FillView {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: string;
  readonly price: string;
  readonly at: number;
  readonly expectedPrice?: string;
  /** Against the trader, in basis points of the expected price (positive = worse). */
  readonly slippageBps?: string;
}

export interface AlertView {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly code: string;
  readonly message: string;
  readonly account: string;
  readonly at: number;
}

/** A point of the day's P&L curve. */
export interface PnlPoint {
  readonly at: number;
  readonly daily: string;
  readonly realized: string;
  readonly unrealized: string;
}

/** One account (an engine) as the dashboard sees it. */
export interface AccountView {
  readonly id: string;
  readonly broker: string;
  readonly tradingState: TradingStateName;
  readonly stateReason?: string;
  readonly positions: readonly Wire<Position>[];
  readonly workingOrders: readonly Wire<Order>[];
  readonly pnl: Wire<PnlSnapshot>;
  readonly account?: Wire<AccountSnapshot>;
  readonly exposure: string;
  readonly breakers: readonly Wire<BreakerTrip>[];
  readonly health: BrokerHealthView;
  readonly fills: readonly FillView[];
  readonly pnlCurve: readonly PnlPoint[];
  readonly quality?: QualityCounts;
}

export interface Snapshot {
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly session: string;
  readonly seq: number;
  readonly at: number;
  /** The desk's trading state, or the engine's. */
  readonly tradingState: TradingStateName;
  readonly stateReason?: string;
  readonly accounts: readonly AccountView[];
  readonly alerts: readonly AlertView[];
  /** The desk's aggregated book, when a desk is attached. */
  readonly book?: Wire<DeskBook>;
  /** Whether this server accepts control actions at all (read-only by default). */
  readonly control: boolean;
}

/** What `/api/health` answers (no authentication needed: it says nothing about positions). */
export interface HealthResponse {
  readonly status: 'ok' | 'degraded' | 'halted';
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly session: string;
  readonly tradingState: TradingStateName;
  readonly brokers: readonly { readonly account: string; readonly state: string }[];
  readonly clients: number;
  readonly seq: number;
}

/** The control actions, named as the HTTP API names them. */
export type ControlAction = 'halt' | 'reduce_only' | 'resume' | 'cancel_order' | 'flatten';

/** Every control answer: what was done, by whom, and the resulting state. */
export interface ControlResponse {
  readonly action: ControlAction;
  readonly by: string;
  readonly at: number;
  readonly tradingState: TradingStateName;
  readonly accounts: readonly { readonly id: string; readonly tradingState: TradingStateName }[];
  /** The order cancelled, or the closing orders sent by a flatten. */
  readonly orders?: readonly Wire<Order>[];
}

/** Every refused HTTP request is answered with this body. */
export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string };
}
