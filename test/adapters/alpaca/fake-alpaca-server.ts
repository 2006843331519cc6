import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { RequestHolds } from '../request-holds.js';
import { AlpacaHttpError, FakeAlpacaExchange, type TradeUpdate } from './fake-alpaca-exchange.js';

export const FAKE_KEY = 'PKFAKEKEY0000000001';
export const FAKE_SECRET = 'fake-secret-never-printed-0123456789';

interface ScriptedFailure {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  /** Process the request anyway, then fail the answer (the request reached Alpaca). */
  readonly afterProcessing?: boolean;
}

/**
 * A local Alpaca-compatible server on 127.0.0.1 (random port): the trading REST API v2 and the
 * trade-updates WebSocket with its authenticate / listen handshake, frames sent binary as the paper
 * endpoint does. Tests point the real SDK at it (`baseUrl` → its `fetchApi`, `streamUrl`).
 */
export class FakeAlpacaServer {
  readonly exchange: FakeAlpacaExchange;
  readonly requests: { method: string; path: string; at: number }[] = [];
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly listening = new Set<WebSocket>();
  private readonly failures: ScriptedFailure[] = [];
  /** Requests held back before processing (see {@link RequestHolds}). */
  readonly holds = new RequestHolds();
  /** A slow network: how long (real ms) to keep each request before processing it; 0 or undefined for none. */
  requestDelay: ((method: string, path: string) => number | undefined) | undefined;
  /** While true the stream is down: connections are refused and events are lost, as in an outage. */
  private blackout = false;
  lostEvents = 0;
  port = 0;

  constructor(options: { binaryFrames?: boolean } = {}) {
    const binary = options.binaryFrames ?? true;
    this.exchange = new FakeAlpacaExchange((update) => this.broadcast(update, binary));
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (this.blackout || !req.url?.startsWith('/stream')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, binary));
    });
  }

  static async start(options: { binaryFrames?: boolean } = {}): Promise<FakeAlpacaServer> {
    const server = new FakeAlpacaServer(options);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get streamUrl(): string {
    return `ws://127.0.0.1:${this.port}/stream`;
  }

  /** The next matching request fails with Alpaca's status and body. */
  failNext(failure: ScriptedFailure): void {
    this.failures.push(failure);
  }

  /** Forgets the scripted failures not yet used. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Drops every stream connection and refuses new ones; events meanwhile are lost. */
  dropStream(): void {
    this.blackout = true;
    for (const ws of this.sockets) ws.terminate();
  }

  restoreStream(): void {
    this.blackout = false;
  }

  get streamClients(): number {
    return this.listening.size;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private onSocket(ws: WebSocket, binary: boolean): void {
    this.sockets.add(ws);
    const send = (message: unknown): void => ws.send(binary ? Buffer.from(JSON.stringify(message)) : JSON.stringify(message), { binary });
    let authed = false;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { action?: string; data?: { key_id?: string; secret_key?: string; streams?: string[] } };
      if (message.action === 'authenticate' || message.action === 'auth') {
        authed = message.data?.key_id === FAKE_KEY && message.data?.secret_key === FAKE_SECRET;
        send({ stream: 'authorization', data: { action: 'authenticate', status: authed ? 'authorized' : 'unauthorized' } });
        if (!authed) ws.close();
      } else if (message.action === 'listen' && authed) {
        if (message.data?.streams?.includes('trade_updates')) this.listening.add(ws);
        send({ stream: 'listening', data: { streams: message.data?.streams ?? [] } });
      }
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.listening.delete(ws);
    });
  }

  private broadcast(update: TradeUpdate, binary: boolean): void {
    if (this.blackout || this.listening.size === 0) {
      this.lostEvents++;
      return;
    }
    const frame = JSON.stringify({ stream: 'trade_updates', data: update });
    for (const ws of this.listening) ws.send(binary ? Buffer.from(frame) : frame, { binary });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, at: Date.now() });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    if (req.headers['apca-api-key-id'] !== FAKE_KEY || req.headers['apca-api-secret-key'] !== FAKE_SECRET) {
      reply(401, { code: 40110000, message: 'request is not authorized' });
      return;
    }
    await this.holds.wait(method, url.pathname);
    const delayMs = this.requestDelay?.(method, url.pathname);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const index = this.failures.findIndex((f) => f.method === method && f.path.test(url.pathname));
    const failure = index >= 0 ? this.failures.splice(index, 1)[0] : undefined;
    if (failure && !failure.afterProcessing) {
      reply(failure.status, failure.body, failure.headers);
      return;
    }
    try {
      const [status, json] = this.route(method, url, body);
      if (failure) reply(failure.status, failure.body, failure.headers);
      else reply(status, json);
    } catch (error) {
      if (error instanceof AlpacaHttpError) reply(error.status, error.body);
      else reply(500, { code: 50010000, message: String(error) });
    }
  }

  private route(method: string, url: URL, body: Record<string, unknown>): [number, unknown] {
    const x = this.exchange;
    const path = url.pathname;
    const q = url.searchParams;
    const orderId = /^\/v2\/orders\/([^/]+)$/.exec(path)?.[1];
    if (method === 'GET' && path === '/v2/account') return [200, x.account()];
    if (method === 'GET' && path === '/v2/positions') return [200, x.positionList()];
    if (method === 'GET' && path.startsWith('/v2/assets/')) return [200, x.asset(decodeURIComponent(path.slice('/v2/assets/'.length)))];
    if (method === 'GET' && path === '/v2/clock') {
      return [200, { timestamp: '2026-11-23T10:00:00-05:00', is_open: true, next_open: '2026-11-24T09:30:00-05:00', next_close: '2026-11-23T16:00:00-05:00' }];
    }
    if (method === 'GET' && path === '/v2/calendar') {
      const start = (q.get('start') ?? '2026-11-23').slice(0, 10);
      const end = (q.get('end') ?? start).slice(0, 10);
      const days = [
        { date: '2026-11-24', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: '2026-11-25' },
        { date: '2026-11-25', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: '2026-11-27' },
        { date: '2026-11-27', open: '09:30', close: '13:00', session_open: '0400', session_close: '1700', settlement_date: '2026-11-30' },
      ];
      return [200, days.filter((day) => day.date >= start && day.date <= end)];
    }
    if (method === 'GET' && path === '/v2/orders') return [200, x.list(q.get('status') ?? 'open', q.get('nested') === 'true')];
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') return [200, x.byClientId(q.get('client_order_id') ?? '')];
    if (method === 'GET' && orderId) return [200, x.get(orderId, q.get('nested') === 'true')];
    if (method === 'POST' && path === '/v2/orders') return [200, x.submit(body)];
    if (method === 'PATCH' && orderId) return [200, x.replace(orderId, body)];
    if (method === 'DELETE' && orderId) {
      x.cancel(orderId);
      return [204, undefined];
    }
    if (method === 'DELETE' && path === '/v2/orders') return [207, x.cancelAll()];
    return [404, { code: 40410000, message: `no route ${method} ${path}` }];
  }
}
