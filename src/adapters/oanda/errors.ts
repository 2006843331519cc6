import { BrokerError, type BrokerErrorCode } from 'tradewire';

/** OANDA's error body; order endpoints add the reject transaction with its reason. */
export interface OandaErrorBody {
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly orderRejectTransaction?: { readonly rejectReason?: string; readonly [key: string]: unknown };
  readonly orderCancelRejectTransaction?: { readonly rejectReason?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** OANDA reject reasons and error codes that mean something specific to the core. */
const REASONS: Readonly<Record<string, BrokerErrorCode>> = {
  INSUFFICIENT_MARGIN: 'insufficient_buying_power',
  INSUFFICIENT_LIQUIDITY: 'insufficient_buying_power',
  UNITS_LIMIT_EXCEEDED: 'position_too_large',
  POSITION_SIZE_EXCEEDED: 'position_too_large',
  PRICE_PRECISION_EXCEEDED: 'sub_penny_price',
  UNITS_PRECISION_EXCEEDED: 'invalid_order',
  INSTRUMENT_UNKNOWN: 'invalid_symbol',
  INSTRUMENT_MISSING: 'invalid_symbol',
  INSTRUMENT_NOT_TRADEABLE: 'not_tradable',
  MARKET_HALTED: 'market_closed',
  ACCOUNT_NOT_ACTIVE: 'account_restricted',
  ACCOUNT_LOCKED: 'account_restricted',
  ACCOUNT_ORDER_CREATION_LOCKED: 'account_restricted',
  CLIENT_ORDER_ID_ALREADY_EXISTS: 'broker_duplicate_client_order_id',
  ORDER_DOESNT_EXIST: 'broker_not_found',
  NO_SUCH_ORDER: 'broker_not_found',
  INTERNAL_SERVER_ERROR: 'server_error',
};

/**
 * The one place an OANDA HTTP failure becomes a classified {@link BrokerError}. `mayReach`: the
 * request changes something (POST, PUT, PATCH) — a 5xx answer to it says nothing about whether OANDA
 * acted on it (an order may be live, a market order filled), so the core looks before sending again.
 */
export function oandaErrorFromResponse(status: number, body: OandaErrorBody | undefined, retryAfterMs?: number, mayReach = false): BrokerError {
  const reason = body?.orderRejectTransaction?.rejectReason ?? body?.orderCancelRejectTransaction?.rejectReason ?? body?.errorCode;
  const message = body?.errorMessage ?? reason ?? `HTTP ${status}`;
  const code: BrokerErrorCode =
    status === 429
      ? 'rate_limited'
      : status >= 500
        ? 'server_error'
        : status === 401
          ? 'unauthorized'
          : ((reason ? REASONS[reason] : undefined) ?? (status === 404 ? 'broker_not_found' : status === 403 ? 'account_restricted' : 'invalid_order'));
  return new BrokerError(code, `OANDA: ${message}`, {
    status,
    body,
    ...(reason ? { brokerCode: reason } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    mayHaveReachedBroker: status === 504 || (mayReach && status >= 500),
  });
}
