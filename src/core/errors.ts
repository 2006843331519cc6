/**
 * Every error tradewire throws is a {@link TradewireError} with a literal `code`, so a host
 * can `switch (err.code)` without string matching. Type guards check `name` rather than
 * `instanceof`, so two loaded copies of the package (ESM and CJS) still agree.
 */
export type TradewireErrorCode =
  | 'validation_failed'
  | 'invalid_configuration'
  | 'invalid_order_transition'
  | 'overfill'
  | 'duplicate_client_order_id'
  | 'order_not_found'
  | 'adapter_not_connected'
  | 'unsupported_operation'
  | 'invalid_position_transition'
  | 'recovery_incomplete'
  | 'account_leased'
  | 'journal_locked'
  | 'journal_write_failed'
  | 'send_withdrawn'
  | 'position_not_closed'
  | ServerRequestErrorCode
  | BrokerErrorCode;

/** Why `tradewire/server` refused an HTTP or WebSocket request (see {@link ServerRequestError}). */
export type ServerRequestErrorCode = 'unauthorized' | 'forbidden' | 'read_only' | 'not_found' | 'invalid_request' | 'payload_too_large' | 'method_not_allowed';

export class TradewireError extends Error {
  override readonly name: string = 'TradewireError';
  readonly code: TradewireErrorCode;

  constructor(code: TradewireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  /** As JSON (an event streamed to a dashboard, a log line): class, code and message — never the stack, a cause or a broker's raw body. */
  toJSON(): { readonly name: string; readonly code: TradewireErrorCode; readonly message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** One problem with an input: which field and what is wrong with it. */
export interface ValidationIssue {
  readonly field: string;
  readonly message: string;
}

/** Bad input. Lists every problem found, not just the first; nothing was changed. */
export class ValidationError extends TradewireError {
  override readonly name: string = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], subject = 'input', code: TradewireErrorCode = 'validation_failed') {
    super(code, `Invalid ${subject}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** A configuration object failed validation at construction. */
export class ConfigurationError extends ValidationError {
  override readonly name = 'ConfigurationError';

  constructor(issues: readonly ValidationIssue[]) {
    super(issues, 'configuration', 'invalid_configuration');
  }
}

/** An order event that the state machine does not allow from the order's current status. */
export class InvalidOrderTransitionError extends TradewireError {
  override readonly name = 'InvalidOrderTransitionError';

  constructor(
    readonly clientOrderId: string,
    readonly from: string,
    readonly eventType: string,
  ) {
    super('invalid_order_transition', `Order ${clientOrderId}: event "${eventType}" is not allowed in status "${from}"`);
  }
}

/** A fill that would take an order's filled quantity above its quantity. */
export class OverfillError extends TradewireError {
  override readonly name = 'OverfillError';

  constructor(
    readonly clientOrderId: string,
    readonly executionId: string,
    message: string,
  ) {
    super('overfill', `Order ${clientOrderId}: fill ${executionId} ${message}`);
  }
}

export class DuplicateOrderError extends TradewireError {
  override readonly name = 'DuplicateOrderError';

  constructor(readonly clientOrderId: string) {
    super('duplicate_client_order_id', `An order with client order id ${clientOrderId} already exists`);
  }
}

export class OrderNotFoundError extends TradewireError {
  override readonly name = 'OrderNotFoundError';

  constructor(readonly clientOrderId: string) {
    super('order_not_found', `No order with client order id ${clientOrderId}`);
  }
}

/**
 * A signal arrived while `recover()` was still bringing the engine up to the broker (or after it
 * failed): deciding it against half-restored state could trade a signal twice. Nothing was
 * decided or recorded; send it again once `recover()` has resolved.
 */
export class RecoveryIncompleteError extends TradewireError {
  override readonly name = 'RecoveryIncompleteError';

  constructor(readonly state: 'recovering' | 'failed') {
    super('recovery_incomplete', state === 'recovering' ? 'The engine is still recovering: signals are refused until recover() resolves' : 'The last recover() failed: call recover() again before sending signals');
  }
}

/**
 * An order's send was being retried (a timeout, a 5xx, a rate limit on an earlier attempt) when a
 * cancel was asked for it (a kill switch, its position closed): the retry is not sent, and the order
 * ends cancelled — a market order that went out after the cancel would fill anyway.
 */
export class SendWithdrawnError extends TradewireError {
  override readonly name = 'SendWithdrawnError';

  constructor(readonly clientOrderId: string) {
    super('send_withdrawn', `${clientOrderId}: cancelled while its send was being retried; not sent again`);
  }
}

/**
 * A halt's `flatten` sent a position's close and the broker refused it, or its send failed: the
 * position is still open (with protection on, its stop and targets are back). `clientOrderId` is the
 * close's; `reason` the broker's word or the failure.
 */
export class PositionNotClosedError extends TradewireError {
  override readonly name = 'PositionNotClosedError';

  constructor(
    readonly symbol: string,
    readonly clientOrderId: string,
    readonly reason: string,
  ) {
    super('position_not_closed', `${symbol}: the close ${clientOrderId} did not go through (${reason}); the position is still open`);
  }
}

/**
 * A `FileJournal` was opened on a file another live process has open as its journal (its lock file
 * names that process). Two writers would interleave their records and one's recovery could cut off
 * the other's last line: one `FileJournal` per file — another process reads the history with
 * `journalFileStore`.
 */
export class JournalLockedError extends TradewireError {
  override readonly name = 'JournalLockedError';

  constructor(
    readonly path: string,
    readonly holder: { readonly pid: number; readonly host: string; readonly since?: number },
  ) {
    super('journal_locked', `journal ${path} is open in process ${holder.pid} on ${holder.host}${holder.since === undefined ? '' : ` since ${new Date(holder.since).toISOString()}`} (lock file ${path}.lock): one FileJournal per file; read it elsewhere with journalFileStore`);
  }
}

/**
 * A journal could not write its records (a full disk, a file-size limit, an I/O error). Nothing it
 * could not make durable is sent: an order waiting on it fails with this error, and the engine
 * halts new orders. `flush`: an `fdatasync` failed, so what was written may not be on disk — the
 * journal writes nothing more and must be opened again (after a restart) to be trusted. `write`:
 * the records are kept in memory and written when the disk takes them again.
 */
export class JournalWriteError extends TradewireError {
  override readonly name = 'JournalWriteError';

  constructor(
    readonly path: string,
    readonly operation: 'write' | 'flush',
    /** Records appended and not yet in the file. */
    readonly unwritten: number,
    cause: unknown,
  ) {
    const why = describeCause(cause);
    super('journal_write_failed', operation === 'flush' ? `journal ${path}: a flush failed (${why}); what was written may not be on disk, and nothing more is written until the journal is opened again` : `journal ${path}: cannot write (${why}); ${unwritten} record(s) kept in memory until they can be written`, { cause });
  }

  /** True once a flush failed: the journal will not write again until it is reopened. */
  get fatal(): boolean {
    return this.operation === 'flush';
  }
}

/** A system or database error in words: its message, led by its code when the message does not start with it (`55P03: canceling statement…`). */
function describeCause(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/**
 * How the error handler should react to a broker failure:
 * retry it, shrink it and resend, give up, or wait for the market.
 */
export type BrokerErrorCategory = 'RETRYABLE' | 'ADJUSTABLE' | 'FATAL' | 'WAITING';

export type BrokerErrorCode =
  | 'network_error'
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'insufficient_buying_power'
  | 'position_too_large'
  | 'sub_penny_price'
  | 'invalid_order'
  | 'invalid_symbol'
  | 'not_tradable'
  | 'not_shortable'
  | 'account_restricted'
  | 'unauthorized'
  | 'pattern_day_trader'
  | 'market_closed'
  | 'trading_halted'
  | 'order_not_cancelable'
  | 'broker_not_found'
  | 'broker_duplicate_client_order_id'
  | 'broker_unknown';

/** The default category of each broker error code. Data, so the mapping is reviewable in one place. */
export const BROKER_ERROR_CATEGORY = {
  network_error: 'RETRYABLE',
  timeout: 'RETRYABLE',
  rate_limited: 'RETRYABLE',
  server_error: 'RETRYABLE',
  insufficient_buying_power: 'ADJUSTABLE',
  position_too_large: 'ADJUSTABLE',
  sub_penny_price: 'ADJUSTABLE',
  invalid_order: 'FATAL',
  invalid_symbol: 'FATAL',
  not_tradable: 'FATAL',
  not_shortable: 'FATAL',
  account_restricted: 'FATAL',
  unauthorized: 'FATAL',
  // A PDT refusal will not clear by retrying today; it is reported with the day-trade count.
  pattern_day_trader: 'FATAL',
  market_closed: 'WAITING',
  trading_halted: 'WAITING',
  order_not_cancelable: 'FATAL',
  broker_not_found: 'FATAL',
  // Never a rejection: the broker already holds an order with this id (an earlier send that landed
  // late); the engine looks it up by client order id and adopts it.
  broker_duplicate_client_order_id: 'FATAL',
  broker_unknown: 'FATAL',
} as const satisfies Record<BrokerErrorCode, BrokerErrorCategory>;

export interface BrokerErrorOptions {
  readonly category?: BrokerErrorCategory;
  /** The HTTP status, when there was one. */
  readonly status?: number;
  /** The broker's own error code (Alpaca's `code`, OANDA's `errorCode` / reject reason). */
  readonly brokerCode?: string | number;
  /** The broker's response body, already stripped of credentials by the adapter. */
  readonly body?: unknown;
  /** For rate limits: how long the broker asked us to wait. */
  readonly retryAfterMs?: number;
  /**
   * Whether the request may have reached the broker (a timeout or a dropped connection after
   * sending). The error handler then looks the order up by client order id before resending.
   */
  readonly mayHaveReachedBroker?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** A failure reported by (or on the way to) a broker, already classified by the adapter. */
export class BrokerError extends TradewireError {
  override readonly name = 'BrokerError';
  override readonly code: BrokerErrorCode;
  readonly category: BrokerErrorCategory;
  readonly status: number | undefined;
  readonly brokerCode: string | number | undefined;
  readonly body: unknown;
  readonly retryAfterMs: number | undefined;
  readonly mayHaveReachedBroker: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: BrokerErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(code, message, { cause: options.cause });
    this.code = code;
    this.category = options.category ?? BROKER_ERROR_CATEGORY[code];
    this.status = options.status;
    this.brokerCode = options.brokerCode;
    this.body = options.body;
    this.retryAfterMs = options.retryAfterMs;
    // A duplicate-id refusal proves the first request arrived: the order is to be looked up, not given up.
    this.mayHaveReachedBroker = options.mayHaveReachedBroker ?? (code === 'timeout' || code === 'network_error' || code === 'broker_duplicate_client_order_id');
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return this.category === 'RETRYABLE';
  }
}

export function isTradewireError(error: unknown): error is TradewireError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    [
      'TradewireError',
      'ValidationError',
      'ConfigurationError',
      'InvalidOrderTransitionError',
      'OverfillError',
      'DuplicateOrderError',
      'OrderNotFoundError',
      'UnsupportedOperationError',
      'InvalidPositionTransitionError',
      'RecoveryIncompleteError',
      'SendWithdrawnError',
      'AccountLeasedError',
      'BrokerError',
      'ServerRequestError',
    ].includes(error.name)
  );
}

export function isBrokerError(error: unknown): error is BrokerError {
  return error instanceof Error && error.name === 'BrokerError' && typeof (error as BrokerError).category === 'string';
}

/** A short, credential-free description of any thrown value, for audit records and events. */
export function describeError(error: unknown): string {
  // Several failures at once (a flatten, a desk's accounts): each one said, not only how many.
  if (error instanceof AggregateError && Array.isArray(error.errors) && error.errors.length > 0) {
    const inner = error.errors.slice(0, AGGREGATE_SHOWN).map(describeError);
    const more = error.errors.length > AGGREGATE_SHOWN ? `; and ${error.errors.length - AGGREGATE_SHOWN} more` : '';
    return `${error.name}: ${error.message} (${inner.join('; ')}${more})`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** How many of an `AggregateError`'s failures {@link describeError} spells out. */
const AGGREGATE_SHOWN = 5;

/** The adapter (or the configuration) cannot do what was asked. */
export class UnsupportedOperationError extends TradewireError {
  override readonly name = 'UnsupportedOperationError';

  constructor(message: string) {
    super('unsupported_operation', message);
  }
}

const SERVER_REQUEST_STATUS: Record<ServerRequestErrorCode, number> = { unauthorized: 401, forbidden: 403, read_only: 403, not_found: 404, invalid_request: 400, payload_too_large: 413, method_not_allowed: 405 };

/** A request `tradewire/server` refused: its `code` and the HTTP `status` it is answered with. */
export class ServerRequestError extends TradewireError {
  override readonly name = 'ServerRequestError';
  readonly status: number;

  constructor(code: ServerRequestErrorCode, message: string) {
    super(code, message);
    this.status = SERVER_REQUEST_STATUS[code];
  }
}
