import { BrokerError } from 'tradewire';

/** The broker calls a fault can hit. */
export type MockBrokerMethod =
  | 'submitOrder'
  | 'replaceOrder'
  | 'cancelOrder'
  | 'cancelAllOrders'
  | 'getOrder'
  | 'getOpenOrders'
  | 'getAccount'
  | 'getPositions'
  | 'getAsset';

/**
 * A scripted failure.
 * - `timeout`: no answer within `afterMs`; with `reached: true` the broker did process the request
 *   (the case that makes naive retries create duplicates). With `landsAfterMs` the request is
 *   processed that long after it was sent — after the caller gave up on it, and after a look-up
 *   that found nothing (the race where a resend meets "client order id must be unique").
 * - `slow`: answered (and processed) only after `ms` — a slow request that does succeed.
 * - `rate_limit`: an HTTP-429-like refusal, not processed.
 * - `server_error`: a 5xx, not processed.
 * - `network`: the connection reset before the request was sent.
 * - `error`: any BrokerError you build.
 */
export type MockFault =
  | { readonly kind: 'timeout'; readonly reached?: boolean; readonly afterMs?: number; readonly landsAfterMs?: number }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'rate_limit'; readonly retryAfterMs?: number }
  | { readonly kind: 'server_error'; readonly status?: number }
  | { readonly kind: 'network' }
  | { readonly kind: 'error'; readonly error: BrokerError };

/** Probabilities (0–1) per call kind, drawn from the broker's seeded random source. */
export type MockFaultRates = Partial<Record<MockBrokerMethod, { readonly rate: number; readonly faults: readonly MockFault[] }>>;

/** The error a fault raises, as a real adapter would classify it. */
export function faultError(fault: Exclude<MockFault, { kind: 'timeout' | 'slow' }>, method: MockBrokerMethod): BrokerError {
  switch (fault.kind) {
    case 'rate_limit':
      return new BrokerError('rate_limited', `mock broker: rate limit exceeded on ${method}`, {
        status: 429,
        retryAfterMs: fault.retryAfterMs ?? 1_000,
        mayHaveReachedBroker: false,
      });
    case 'server_error':
      return new BrokerError('server_error', `mock broker: internal error on ${method}`, { status: fault.status ?? 503, mayHaveReachedBroker: false });
    case 'network':
      return new BrokerError('network_error', `mock broker: connection reset before ${method} was sent`, { mayHaveReachedBroker: false });
    case 'error':
      return fault.error;
  }
}

export function timeoutError(method: MockBrokerMethod): BrokerError {
  return new BrokerError('timeout', `mock broker: ${method} timed out`, { mayHaveReachedBroker: true });
}
