import { BrokerError, type BrokerErrorCode } from 'tradewire';

/** Alpaca's error body: `{ "code": 40310000, "message": "insufficient buying power" }`. */
export interface AlpacaErrorBody {
  readonly code?: number;
  readonly message?: string;
  readonly [key: string]: unknown;
}

/**
 * The one place an Alpaca HTTP failure becomes a classified {@link BrokerError} (after stripe's
 * generateV1Error). The message is Alpaca's own; the body is kept for the audit trail. Neither
 * ever contains credentials: Alpaca does not echo them, and headers are never attached.
 */
export function alpacaErrorFromResponse(status: number, body: AlpacaErrorBody | undefined, retryAfterMs?: number, mayReach = false): BrokerError {
  const message = body?.message ?? `HTTP ${status}`;
  const code = classify(status, typeof body?.code === 'number' ? body.code : undefined, message.toLowerCase());
  return new BrokerError(code, `Alpaca: ${message}`, {
    status,
    body,
    ...(body?.code === undefined ? {} : { brokerCode: body.code }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    // A 5xx answer to a request that changes something (an order POST) says nothing about whether
    // Alpaca acted on it: the order may be live. The core looks it up before sending it again.
    mayHaveReachedBroker: status === 504 || (mayReach && status >= 500),
    ...(code === 'pattern_day_trader' && typeof body?.day_trade_count === 'number' ? { details: { dayTradeCount: body.day_trade_count } } : {}),
  });
}

/**
 * Alpaca's numeric codes (the Trading API's error body): 40010001 a malformed or invalid request,
 * 40110000 not authenticated, 40310000 forbidden (buying power, day trading, held shares — the
 * message says which), 40410000 not found, 42210000 an order Alpaca cannot process, 42910000 rate
 * limited, 50010000 an internal error. The status and the code decide; the message only tells apart
 * the refusals that share one code.
 */
const BY_CODE: Readonly<Record<number, BrokerErrorCode>> = {
  40110000: 'unauthorized',
  40410000: 'broker_not_found',
  42910000: 'rate_limited',
  50010000: 'server_error',
};

function classify(status: number, code: number | undefined, message: string): BrokerErrorCode {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'broker_not_found';
  const byCode = code === undefined ? undefined : BY_CODE[code];
  if (byCode) return byCode;
  if (message.includes('pattern day trad')) return 'pattern_day_trader';
  // Shares already held by other orders (a second exit for the same position): not a funding problem.
  if (message.includes('insufficient qty')) return 'invalid_order';
  if (message.includes('buying power') || message.includes('insufficient')) return 'insufficient_buying_power';
  if (message.includes('sub-penny') || message.includes('sub penny')) return 'sub_penny_price';
  if (message.includes('client_order_id must be unique')) return 'broker_duplicate_client_order_id';
  if (message.includes('not tradable') || message.includes('not active')) return 'not_tradable';
  if (message.includes('asset') && message.includes('not found')) return 'invalid_symbol';
  if (message.includes('cannot be sold short') || message.includes('not shortable')) return 'not_shortable';
  if (message.includes('market is closed') || message.includes('market closed')) return 'market_closed';
  if (message.includes('halt')) return 'trading_halted';
  if (status === 403 && (message.includes('forbidden') || message.includes('unauthorized') || message.includes('restricted'))) {
    return message.includes('restricted') ? 'account_restricted' : 'unauthorized';
  }
  if (status === 422 && message.includes('not cancelable')) return 'order_not_cancelable';
  if (code === 40010001 || code === 42210000 || status === 422 || status === 400 || status === 403) return 'invalid_order';
  return 'broker_unknown';
}
