import { BrokerError, brokerJson, brokerRequest, redactBrokerError, transportError } from 'tradewire';
import { type OandaErrorBody, oandaErrorFromResponse } from './errors.js';

export const OANDA_HOSTS = {
  practice: { rest: 'https://api-fxpractice.oanda.com', stream: 'https://stream-fxpractice.oanda.com' },
  live: { rest: 'https://api-fxtrade.oanda.com', stream: 'https://stream-fxtrade.oanda.com' },
} as const;

export interface OandaClientOptions {
  readonly token: string;
  readonly restUrl: string;
  readonly streamUrl: string;
  readonly fetch?: typeof fetch;
  /** Per REST request, ms. */
  readonly timeoutMs: number;
}

/**
 * A small typed client for OANDA's v20 REST API and its JSON-lines streams, on Node's built-in fetch
 * (one keep-alive connection pool; no dependency). Every failure is a classified `BrokerError`;
 * the bearer token lives in the request headers only and is never part of a message or a body.
 */
export class OandaClient {
  private readonly fetch: typeof fetch;
  // Private (#): it holds the token.
  readonly #options: OandaClientOptions;

  constructor(options: OandaClientOptions) {
    this.#options = options;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  toJSON(): Record<string, unknown> {
    return { restUrl: this.#options.restUrl, streamUrl: this.#options.streamUrl };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `OandaClient ${JSON.stringify(this.toJSON())}`;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  /**
   * Opens a JSON-lines stream, calls `onOpen` once the server answered, and hands every complete
   * line, parsed, to `onLine`. Resolves when the server ends the stream or `signal` aborts it (the
   * heartbeat watchdog does); rejects on a failure.
   */
  async stream(path: string, handlers: { readonly onOpen: () => void; readonly onLine: (message: Record<string, unknown>) => void }, signal: AbortSignal): Promise<void> {
    const { onOpen, onLine } = handlers;
    let response: Response;
    try {
      response = await this.fetch(`${this.#options.streamUrl}${path}`, { headers: this.headers(), signal });
    } catch (error) {
      if (signal.aborted) return;
      throw transportError('OANDA', error, `stream ${path}`, false);
    }
    if (!response.ok || !response.body) throw redactBrokerError(await httpError(response), [this.#options.token]);
    onOpen();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        // A chunk may end mid-line: only complete lines are parsed, the rest waits for the next chunk.
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) onLine(JSON.parse(line) as Record<string, unknown>);
          newline = buffer.indexOf('\n');
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw transportError('OANDA', error, `stream ${path}`, false);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await brokerRequest(
      'OANDA',
      `${this.#options.restUrl}${path}`,
      { method, headers: { ...this.headers(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), timeoutMs: this.#options.timeoutMs },
      this.fetch,
    );
    if (!response.ok) throw redactBrokerError(await httpError(response, method !== 'GET'), [this.#options.token]);
    // A 200 whose body does not parse (cut off, a proxy's page) may have done what was asked: the caller looks before doing it again.
    return brokerJson<T>('OANDA', response, method, path);
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.#options.token}`, 'Accept-Datetime-Format': 'RFC3339' };
  }
}

async function httpError(response: Response, mayReach = false): Promise<BrokerError> {
  let body: OandaErrorBody | undefined;
  try {
    body = (await response.json()) as OandaErrorBody;
  } catch {
    body = undefined;
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return oandaErrorFromResponse(response.status, body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1_000 : undefined, mayReach);
}


