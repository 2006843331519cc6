import { BrokerError } from '../core/errors.js';

/**
 * The HTTP half every REST adapter needs, in the adapter kit: one request with a timeout, and a
 * failure before an answer turned into a classified `BrokerError` — `timeout` or `network_error`,
 * marked as possibly having reached the broker unless it was a GET (the core then looks the order
 * up before doing it again). `label` names the broker in messages (`OANDA`, `KIS`).
 */
export async function brokerRequest(label: string, url: string | URL, init: RequestInit & { readonly timeoutMs: number }, fetchImpl: typeof fetch = fetch): Promise<Response> {
  const { timeoutMs, ...rest } = init;
  const method = rest.method ?? 'GET';
  try {
    return await fetchImpl(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw transportError(label, error, `${method} ${pathOf(url)}`, method !== 'GET');
  }
}

/** The answer's JSON; a body that is not JSON (cut off, a proxy's page) is a `server_error` that may have done what was asked. */
export async function brokerJson<T>(label: string, response: Response, method: string, what: string): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new BrokerError('server_error', `${label}: ${method} ${what} answered ${response.status} with a body that is not JSON`, { status: response.status, cause: error, mayHaveReachedBroker: method !== 'GET' });
  }
}

/** A request that got no answer, classified. */
export function transportError(label: string, error: unknown, what: string, mayHaveReached: boolean): BrokerError {
  const name = error instanceof Error ? error.name : '';
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const message = error instanceof Error ? error.message : String(error);
  return new BrokerError(timedOut ? 'timeout' : 'network_error', `${label}: ${what}: ${message}`, { cause: error, mayHaveReachedBroker: mayHaveReached });
}

function pathOf(url: string | URL): string {
  try {
    return new URL(url).pathname;
  } catch {
    return String(url);
  }
}
