import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, ConfigurationError, consoleLogger, EventBus, type EventSource, type ExecutionEngine, type IdGenerator, type ListenerErrorPayload, type Logger, randomIds, systemClock, type TradingDesk, type ValidationIssue } from 'tradewire';
import { type WebSocket, WebSocketServer } from 'ws';
import { AccountFeed, wire } from './account-feed.js';
import type { ControlParams } from './control-actions.js';
import { EventStream } from './event-stream.js';
import { httpApi } from './http-api.js';
import { type AlertView, type ClientMessage, type ControlAction, type ControlResponse, type DropReason, type HealthResponse, type HelloMessage, PROTOCOL_VERSION, type Snapshot, type SnapshotMessage, SUBPROTOCOL } from './protocol.js';
import { authenticator, requestToken, type ServerAuth } from './server-auth.js';
import { deskTarget, engineTarget, type ServerTarget } from './server-target.js';
import { defaultAssetsDir, loadAssets } from './static-assets.js';
import { StreamConnection } from './stream-connection.js';
import { DEFAULT_STREAMED_EVENTS, ENGINE_EVENT_NAMES, type EngineEventName } from './streamed-events.js';
import { toWireJson } from './wire-json.js';

export interface TradewireServerOptions {
  /** The engine to serve (or `desk`, not both). */
  readonly engine?: ExecutionEngine;
  /** A desk: every account, the desk's kill switch, its book and broker health. */
  readonly desk?: TradingDesk;
  /** The account name a lone engine is shown under (default: its adapter's name). */
  readonly account?: string;
  /** Default 127.0.0.1: only this machine. Anything else needs `auth`. */
  readonly host?: string;
  /** Default 8787; 0 picks a free port (see `server.port`). */
  readonly port?: number;
  /** Bearer tokens or your own check. Without it the server is open to this machine, and read-only. */
  readonly auth?: ServerAuth;
  /** Allow control actions (halt, reduce-only, resume, cancel, flatten) for principals allowed to act. Default false: read-only. */
  readonly control?: boolean;
  /** Heartbeat period, ms (default 15 000): a `heartbeat` message when idle, and a ping whose missing pong drops the client. */
  readonly heartbeatMs?: number;
  /** Events kept for resume after a reconnect (default 10 000). */
  readonly bufferSize?: number;
  /** How far behind (bytes) a client may fall before it is dropped as a slow consumer (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** The engine events to stream (default: every one but `order:transition`). */
  readonly events?: readonly EngineEventName[];
  /** Alerts kept for a snapshot (default 100). */
  readonly alertsKept?: number;
  /** Where the dashboard's files are (default: the package's own `dist/dashboard`); `false` serves the API only. */
  readonly assetsDir?: string | false;
  /** The time zone of report periods (default America/New_York). */
  readonly reportTimeZone?: string;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
}

/** What the server itself announces. */
export interface ServerEvents {
  'client:connected': { readonly id: string; readonly user: string; readonly resumed: boolean; readonly replayed: number };
  'client:dropped': { readonly id: string; readonly user: string; readonly reason: DropReason | 'client_closed'; readonly detail: string };
  'control:action': { readonly action: ControlAction; readonly by: string; readonly params: ControlParams; readonly response?: ControlResponse; readonly error?: unknown };
  error: ListenerErrorPayload;
}

export interface ServerStats {
  readonly clients: number;
  readonly seq: number;
  readonly connections: number;
  readonly dropped: Readonly<Partial<Record<DropReason | 'client_closed', number>>>;
}

/**
 * Starts the dashboard server: a WebSocket stream of the engine's (or desk's) events in the
 * versioned JSON protocol of docs/dashboard.md, a small HTTP API (health, snapshot, reports,
 * control) and the dashboard page. Resolves once it listens.
 *
 * @example
 * const server = await createServer({ engine, auth: { tokens: [{ token: process.env.DASHBOARD_TOKEN!, user: 'desk-lead', control: true }] }, control: true });
 * console.log(`dashboard at ${server.url}`);
 */
export async function createServer(options: TradewireServerOptions): Promise<TradewireServer> {
  const server = new TradewireServer(options);
  await server.listen();
  return server;
}

export class TradewireServer {
  /** Changes on every start: a client's sequence numbers from another session are not comparable. */
  readonly session: string;
  private readonly target: ServerTarget;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly stream: EventStream;
  private readonly feeds: AccountFeed[];
  private readonly alerts: AlertView[] = [];
  private readonly bus: EventBus<ServerEvents>;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<StreamConnection>();
  private readonly detach: (() => void)[] = [];
  private readonly dropped: Partial<Record<DropReason | 'client_closed', number>> = {};
  private readonly ids: IdGenerator;
  private connectionCount = 0;
  private address: AddressInfo | undefined;
  /** Whether the dashboard page's files were found (the API works either way). */
  readonly servesPage: boolean;

  constructor(private readonly options: TradewireServerOptions) {
    validate(options);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    this.ids = options.ids ?? randomIds(() => this.clock.now());
    this.session = this.ids.next('session');
    this.bus = new EventBus<ServerEvents>((p) => this.logger.error('a server event listener failed', { source: p.source }));
    this.target = options.desk ? deskTarget(options.desk) : engineTarget(options.engine!, options.account ?? options.engine!.adapter.name);
    this.stream = new EventStream({ clock: this.clock, ...(options.bufferSize === undefined ? {} : { bufferSize: options.bufferSize }) });
    const alertsKept = options.alertsKept ?? 100;
    const onAlert = (alert: AlertView): void => {
      this.alerts.push(alert);
      if (this.alerts.length > alertsKept) this.alerts.shift();
    };
    const events = options.events ?? DEFAULT_STREAMED_EVENTS;
    this.feeds = this.target.seats.map((seat) => new AccountFeed(seat, this.stream, { events, clock: this.clock, onAlert }));
    for (const feed of this.feeds) this.detach.push(feed.attach());
    if (options.desk) {
      const desk = options.desk;
      this.detach.push(
        desk.events.on('desk:trading_state', (p) => this.stream.publish('desk', 'desk:trading_state', p)),
        desk.events.on('broker:health', (p) => this.stream.publish(p.account, 'broker:health', p)),
      );
    }
    const authenticate = authenticator(options.auth);
    const assets = loadAssets(options.assetsDir === false ? undefined : (options.assetsDir ?? defaultAssetsDir()));
    this.servesPage = assets.has('/');
    this.http = createHttpServer(
      httpApi({
        target: this.target,
        clock: this.clock,
        logger: this.logger,
        control: options.control === true,
        reportTimeZone: options.reportTimeZone ?? 'America/New_York',
        assets,
        authenticate,
        snapshot: () => this.snapshot(),
        health: () => this.health(),
        onControl: (entry) => this.bus.emit('control:action', entry),
      }),
    );
    this.wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false), maxPayload: 64 * 1024 });
    this.http.on('upgrade', (request, socket, head) => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://localhost');
        if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
        const principal = await authenticate({ token: requestToken(request), kind: 'websocket', method: 'GET', path: url.pathname, remoteAddress: request.socket.remoteAddress, headers: request.headers });
        if (!principal) return refuseUpgrade(socket, 401, 'Unauthorized');
        this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url, principal.user, principal.control));
      })().catch((error: unknown) => {
        this.logger.error('a WebSocket upgrade failed', { error: error instanceof Error ? error.message : String(error) });
        refuseUpgrade(socket, 500, 'Internal Server Error');
      });
    });
  }

  /** Server events: clients connecting and dropped (with the reason), control actions. */
  get events(): EventSource<ServerEvents> {
    return this.bus;
  }

  on<K extends keyof ServerEvents & string>(event: K, listener: (payload: ServerEvents[K]) => void): () => void {
    return this.bus.on(event, listener);
  }

  /** The port it listens on (the one chosen when `port` was 0). */
  get port(): number {
    return this.address?.port ?? this.options.port ?? 8787;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** The dashboard's address (`http://127.0.0.1:8787/`). */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/`;
  }

  /** Starts listening (`createServer` calls it). */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 8787, this.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.address = this.http.address() as AddressInfo;
  }

  /** Everything the dashboard shows, as of the current sequence number. */
  snapshot(): Snapshot {
    const state = this.target.tradingState();
    const book = this.target.book();
    return {
      protocol: PROTOCOL_VERSION,
      session: this.session,
      seq: this.stream.seq,
      at: this.clock.now(),
      tradingState: state.state,
      ...(state.reason === undefined ? {} : { stateReason: state.reason }),
      accounts: this.feeds.map((feed) => feed.view(this.target.health(feed.seat.id))),
      alerts: [...this.alerts],
      ...(book ? { book: wire(book) } : {}),
      control: this.options.control === true,
    };
  }

  health(): HealthResponse {
    const state = this.target.tradingState().state;
    const brokers = this.feeds.map((feed) => {
      // Only the health: not the whole account view (positions, orders) a snapshot builds.
      const h = this.target.health(feed.seat.id) ?? feed.streamHealth();
      return { account: feed.seat.id, state: h.state };
    });
    const degraded = brokers.some((b) => b.state !== 'healthy' && b.state !== 'connected');
    return { status: state === 'HALTED' ? 'halted' : degraded ? 'degraded' : 'ok', protocol: PROTOCOL_VERSION, session: this.session, tradingState: state, brokers, clients: this.connections.size, seq: this.stream.seq };
  }

  stats(): ServerStats {
    return { clients: this.connections.size, seq: this.stream.seq, connections: this.connectionCount, dropped: { ...this.dropped } };
  }

  /** Stops streaming: says goodbye to every client, stops listening, and leaves the engine alone. */
  async close(): Promise<void> {
    for (const off of this.detach.splice(0)) off();
    for (const c of [...this.connections]) c.drop('server_closing', 'the server is shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** A new client: hello, then the events it missed (same session, still kept) or a snapshot, then the live stream. */
  private accept(ws: WebSocket, url: URL, user: string, control: boolean): void {
    const since = url.searchParams.get('since');
    const replay = since !== null && url.searchParams.get('session') === this.session ? this.stream.since(Number(since)) : undefined;
    let unsubscribe: () => void = () => undefined;
    const connection = new StreamConnection(this.ids.next('client'), user, ws, {
      clock: this.clock,
      heartbeatMs: this.options.heartbeatMs ?? 15_000,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 4 * 1024 * 1024,
      seq: () => this.stream.seq,
      onMessage: (c, text) => this.received(c, text),
      onClosed: (c, reason, detail) => {
        this.connections.delete(c);
        unsubscribe();
        this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
        this.bus.emit('client:dropped', { id: c.id, user: c.user, reason, detail });
      },
    });
    this.connections.add(connection);
    this.connectionCount++;
    const hello: HelloMessage = { type: 'hello', protocol: PROTOCOL_VERSION, session: this.session, seq: this.stream.seq, heartbeatMs: this.options.heartbeatMs ?? 15_000, control: control && this.options.control === true, user, resume: replay ? 'replay' : 'snapshot' };
    connection.send([JSON.stringify(hello), replay ?? this.snapshotMessage()]);
    unsubscribe = this.stream.subscribe((frame) => connection.send([frame]));
    this.bus.emit('client:connected', { id: connection.id, user, resumed: replay !== undefined, replayed: replay?.length ?? 0 });
  }

  private snapshotMessage(): string {
    const snapshot = this.snapshot();
    return toWireJson({ type: 'snapshot', seq: snapshot.seq, data: snapshot } satisfies SnapshotMessage);
  }

  private received(connection: StreamConnection, text: string): void {
    let message: ClientMessage;
    try {
      message = JSON.parse(text) as ClientMessage;
    } catch {
      return connection.drop('bad_message', 'a message was not valid JSON');
    }
    if (message?.type === 'snapshot') {
      this.stream.flush();
      connection.send([this.snapshotMessage()]);
    } else if (message?.type === 'ping') connection.send([JSON.stringify({ type: 'heartbeat', seq: this.stream.seq, at: this.clock.now() })]);
    else connection.drop('bad_message', `unknown message type ${String((message as { type?: unknown })?.type)}`);
  }
}

function refuseUpgrade(socket: import('node:stream').Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function validate(options: TradewireServerOptions): void {
  const issues: ValidationIssue[] = [];
  if (!options.engine === !options.desk) issues.push({ field: 'engine', message: 'give exactly one of engine or desk' });
  if (options.control === true && !options.auth) issues.push({ field: 'control', message: 'control actions need auth (tokens or a verify function): no control without authentication' });
  if (options.host !== undefined && !LOOPBACK.has(options.host) && !options.auth) issues.push({ field: 'host', message: `binding to ${options.host} exposes positions to the network: give auth, or keep 127.0.0.1` });
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)) issues.push({ field: 'port', message: `must be an integer from 0 to 65535, got ${String(options.port)}` });
  for (const [field, min] of [['heartbeatMs', 10], ['bufferSize', 1], ['maxBufferedBytes', 1024], ['alertsKept', 1]] as const) {
    const value = options[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) issues.push({ field, message: `must be an integer of at least ${min}, got ${String(value)}` });
  }
  if (options.events) for (const name of options.events) if (!ENGINE_EVENT_NAMES.includes(name)) issues.push({ field: 'events', message: `unknown event ${String(name)}` });
  if (options.auth && 'tokens' in options.auth) {
    if (options.auth.tokens.length === 0) issues.push({ field: 'auth.tokens', message: 'give at least one token' });
    for (const g of options.auth.tokens) if (typeof g.token !== 'string' || g.token.length < 16) issues.push({ field: 'auth.tokens', message: `the token of ${g.user} is shorter than 16 characters: use a long random one` });
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
}
