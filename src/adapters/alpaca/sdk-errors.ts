import { BrokerError, isBrokerError } from 'tradewire';
import { type AlpacaErrorBody, alpacaErrorFromResponse } from './errors.js';

/** The parts of the SDK's `ApiError` (a failed HTTP response) the adapter reads. */
interface SdkApiError {
  readonly status: number;
  readonly code?: number | string;
  readonly message: string;
  readonly retryAfterMs?: number;
  readonly response?: { json(): Promise<unknown> };
}

function isSdkApiError(error: unknown): error is SdkApiError {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/**
 * Any failure out of the SDK → a classified {@link BrokerError}. An HTTP error is read from Alpaca's
 * own body (its `code`, `message`, and fields such as `day_trade_count`); a request that changes
 * something (`mayReach`) and never got an answer (timeout, reset) may have reached Alpaca, which the
 * core checks before resending.
 * Neither the message nor the body can carry credentials: they are request headers, never echoed.
 */
export async function brokerErrorFromSdk(error: unknown, what: string, mayReach: boolean): Promise<BrokerError> {
  if (isBrokerError(error)) return error;
  if (isSdkApiError(error)) {
    let body: AlpacaErrorBody | undefined;
    try {
      body = (await error.response?.json()) as AlpacaErrorBody | undefined;
    } catch {
      body = undefined;
    }
    const fallback: AlpacaErrorBody = { ...(typeof error.code === 'number' ? { code: error.code } : {}), message: error.message };
    return alpacaErrorFromResponse(error.status, body && typeof body === 'object' ? body : fallback, error.retryAfterMs, mayReach);
  }
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const name = cause instanceof Error || (typeof cause === 'object' && cause !== null) ? String((cause as { name?: unknown }).name) : '';
  const timedOut = name === 'TimeoutError' || (error instanceof Error && error.name === 'TimeoutError');
  const message = error instanceof Error ? error.message : String(error);
  return new BrokerError(timedOut ? 'timeout' : 'network_error', `Alpaca: ${what}: ${message}`, { cause: error, mayHaveReachedBroker: mayReach });
}
