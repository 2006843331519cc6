import {
  AUTH_SUBPROTOCOL_PREFIX,
  type ByeMessage,
  type ControlResponse,
  type ErrorResponse,
  type EventMessage,
  type HealthResponse,
  type HelloMessage,
  type ServerMessage,
  type Snapshot,
  type StreamedEventName,
  SUBPROTOCOL,
  type WireEvents,
} from '../server/protocol.js';

/**
 * The part of the WebSocket API the client uses: the browser's, Node 22's global, or `ws`'s (its
 * `WebSocket` class is accepted as is). Listeners go through `addEventListener`, which all three have.
 */
export interface WebSocketLike {
  readonly readyState: number;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void;
  addEventListener(type: 'error', listener: () => void): void;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Timers, injectable so a test can drive reconnects without waiting. */
export interface ClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TradewireClientOptions {
  /** The server's address, `http://127.0.0.1:8787`. */
  readonly url: string;
  /** The bearer token, when the server has auth. */
  readonly token?: string;
  /** The WebSocket class (default: the global one; on Node 20 pass `WebSocket` from `ws`). */
  readonly WebSocket?: WebSocketConstructor;
  /** The fetch function (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Reconnect backoff: the first delay, doubled up to the maximum (defaults 250 ms and 5 s). */
  readonly reconnectDelayMs?: { readonly initial?: number; readonly max?: number };
  readonly timers?: ClientTimers;
  /** Where a listener's error goes (default `console.error`): a rendering bug must not stop the stream. */
  readonly onListenerError?: (error: unknown) => void;
}

export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the client announces. */
export interface ClientEvents {
  status: { readonly status: ClientStatus; readonly reason?: string };
  hello: HelloMessage;
  /** A fresh picture: replace everything you hold (it is consistent as of `seq`). */
  snapshot: Snapshot;
  /** Every streamed event, in sequence order, once (never a duplicate, never past a gap). */
  event: EventMessage;
  /** The server said why it is closing this connection. */
  bye: ByeMessage;
  /** Sequence numbers skipped (it should not happen: the client asks for a snapshot to recover). */
  gap: { readonly expected: number; readonly got: number };
}

/** An HTTP request the server refused: its error `code` and HTTP `status`. */
export class TradewireClientError extends Error {
  override readonly name = 'TradewireClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

type Listener<T> = (payload: T) => void;

/**
 * A typed client of `tradewire/server`, for browsers and Node: the live event stream with resume
 * after a reconnect (it sends its last sequence number; the server replays what it missed or sends
 * a snapshot), liveness from the server's heartbeats, and the HTTP API (snapshot, reports,
 * control). No dependencies, so it ships to a browser as is.
 *
 * @example
 * const client = new TradewireClient({ url: 'http://127.0.0.1:8787', token, WebSocket });
 * client.on('snapshot', (s) => render(s));
 * client.onEvent('order:filled', ({ order }) => console.log(order.clientOrderId, order.averageFillPrice));
 * client.connect();
 */
export class TradewireClient {
  private socket: WebSocketLike | undefined;
  private readonly listeners = new Map<string, Set<Listener<never>>>();
  private session: string | undefined;
  private seq = 0;
  private heartbeatMs = 15_000;
  private status: ClientStatus = 'closed';
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: unknown;
  private livenessTimer: unknown;
  private readonly timers: ClientTimers;
  private readonly base: string;
  private resyncing = false;

  constructor(private readonly options: TradewireClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timers = options.timers ?? { setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms), clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>) };
  }

  /** The last sequence number applied (what a reconnect resumes from). */
  get lastSeq(): number {
    return this.seq;
  }

  get connectionStatus(): ClientStatus {
    return this.status;
  }

  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** One streamed event by name, with its payload typed; the listener also gets the account. */
  onEvent<K extends StreamedEventName>(name: K, listener: (data: WireEvents[K], message: EventMessage<K>) => void): () => void {
    return this.on('event', (message) => {
      if (message.event === name) listener(message.data as WireEvents[K], message as EventMessage<K>);
    });
  }

  /** Opens the stream (and keeps it open: it reconnects until `close()`). */
  connect(): void {
    this.stopped = false;
    this.open('connecting');
  }

  /** Closes the stream for good. */
  close(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.reconnectTimer);
    this.timers.clearTimeout(this.livenessTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'client closed');
    this.setStatus('closed');
  }

  /** Drops the connection as a network failure would (it reconnects and resumes): for tests and a "reconnect" button. */
  reconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(4000, 'reconnect requested');
    this.scheduleReconnect('reconnect requested');
  }

  // ── HTTP API ────────────────────────────────────────────────────────────────────────────────

  health(): Promise<HealthResponse> {
    return this.request('GET', '/api/health');
  }

  snapshot(): Promise<Snapshot> {
    return this.request('GET', '/api/snapshot');
  }

  /** The trade report for a period (`daily`, `weekly`, `monthly`) as JSON, or as text with `format: 'text'`. */
  tradesReport(query: { readonly period?: 'daily' | 'weekly' | 'monthly'; readonly date?: string; readonly account?: string; readonly format?: 'json' | 'text' } = {}): Promise<unknown> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined) as [string, string][]);
    return this.request('GET', `/api/reports/trades${params.size > 0 ? `?${params}` : ''}`);
  }

  /** The kill switch: stops new orders, cancels working ones (unless `cancelOpen: false`), with `flatten` closes every position. */
  halt(params: { readonly reason?: string; readonly cancelOpen?: boolean; readonly flatten?: boolean; readonly account?: string } = {}): Promise<ControlResponse> {
    return this.request('POST', '/api/control/halt', params);
  }

  reduceOnly(params: { readonly reason?: string; readonly account?: string } = {}): Promise<ControlResponse> {
    return this.request('POST', '/api/control/reduce-only', params);
  }

  resume(params: { readonly account?: string } = {}): Promise<ControlResponse> {
    return this.request('POST', '/api/control/resume', params);
  }

  cancelOrder(clientOrderId: string, params: { readonly reason?: string; readonly account?: string } = {}): Promise<ControlResponse> {
    return this.request('POST', `/api/orders/${encodeURIComponent(clientOrderId)}/cancel`, params);
  }

  /** Closes a position at market (on the named account, or every account holding it). */
  flatten(symbol: string, params: { readonly reason?: string; readonly account?: string } = {}): Promise<ControlResponse> {
    return this.request('POST', `/api/positions/${encodeURIComponent(symbol)}/flatten`, params);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (method === 'POST') headers['content-type'] = 'application/json';
    const response = await doFetch(`${this.base}${path}`, { method, headers, ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}) });
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (json as ErrorResponse | undefined)?.error;
      throw new TradewireClientError(error?.code ?? 'http_error', error?.message ?? `${method} ${path} answered ${response.status}`, response.status);
    }
    return json as T;
  }

  // ── the stream ──────────────────────────────────────────────────────────────────────────────

  private open(status: ClientStatus): void {
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TradewireClientError('no_websocket', 'no WebSocket implementation: pass one (on Node 20, `import { WebSocket } from "ws"`)', 0);
    this.setStatus(status);
    const url = new URL(`${this.base}/ws`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.session !== undefined) {
      url.searchParams.set('session', this.session);
      url.searchParams.set('since', String(this.seq));
    }
    const protocols = [SUBPROTOCOL, ...(this.options.token ? [AUTH_SUBPROTOCOL_PREFIX + base64url(this.options.token)] : [])];
    const socket = new Ctor(url.toString(), protocols);
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setStatus('open');
      this.watchLiveness();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket !== socket) return;
      this.watchLiveness();
      // A frame is one message, or a batch of event messages as an array.
      const frame = JSON.parse(String(event.data)) as ServerMessage | ServerMessage[];
      if (Array.isArray(frame)) for (const message of frame) this.received(message);
      else this.received(frame);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.scheduleReconnect(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    });
    // An error is followed by a close, which reconnects; nothing to do here but not crash.
    socket.addEventListener('error', () => undefined);
  }

  private received(message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        // Another session (the server restarted): its numbers start afresh; a snapshot follows.
        if (message.session !== this.session) this.seq = 0;
        this.session = message.session;
        this.heartbeatMs = message.heartbeatMs;
        this.emit('hello', message);
        return;
      case 'snapshot':
        this.seq = message.seq;
        this.resyncing = false;
        this.emit('snapshot', message.data);
        return;
      case 'event':
        if (message.seq <= this.seq) return; // already applied (a replay overlapping a snapshot)
        if (message.seq !== this.seq + 1) {
          if (!this.resyncing) {
            this.resyncing = true;
            this.emit('gap', { expected: this.seq + 1, got: message.seq });
            this.socket?.send(JSON.stringify({ type: 'snapshot' }));
          }
          return;
        }
        this.seq = message.seq;
        this.emit('event', message);
        return;
      case 'heartbeat':
        return;
      case 'bye':
        this.emit('bye', message);
        return;
    }
  }

  /** No message for 2.5 heartbeats: the connection is dead even if no close arrived. */
  private watchLiveness(): void {
    this.timers.clearTimeout(this.livenessTimer);
    this.livenessTimer = this.timers.setTimeout(() => {
      if (this.socket) this.reconnect();
    }, this.heartbeatMs * 2.5);
  }

  private scheduleReconnect(reason: string): void {
    this.timers.clearTimeout(this.livenessTimer);
    this.timers.clearTimeout(this.reconnectTimer);
    if (this.stopped) return this.setStatus('closed', reason);
    this.setStatus('reconnecting', reason);
    const initial = this.options.reconnectDelayMs?.initial ?? 250;
    const max = this.options.reconnectDelayMs?.max ?? 5_000;
    const delay = Math.min(max, initial * 2 ** this.attempt++);
    this.reconnectTimer = this.timers.setTimeout(() => {
      if (!this.stopped) this.open('reconnecting');
    }, delay);
  }

  private setStatus(status: ClientStatus, reason?: string): void {
    this.status = status;
    this.emit('status', { status, ...(reason ? { reason } : {}) });
  }

  private emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<ClientEvents[K]>)(payload);
      } catch (error) {
        (this.options.onListenerError ?? ((e: unknown) => console.error('tradewire client listener failed', e)))(error);
      }
    }
  }
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
