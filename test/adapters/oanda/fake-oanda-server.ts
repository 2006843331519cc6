import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestHolds } from '../request-holds.js';
import { ACCOUNT_ID, FakeOandaExchange, OandaHttpError, type Tx } from './fake-oanda-exchange.js';

export const FAKE_TOKEN = 'fake-oanda-token-0123456789abcdef-never-printed';
export { ACCOUNT_ID };

interface ScriptedFailure {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  /** Sent instead of `body`, as is (a body cut short, a proxy's HTML page). */
  readonly raw?: string;
  /** Process the request anyway, then fail the answer (the request reached OANDA). */
  readonly afterProcessing?: boolean;
}

/**
 * A local OANDA v20-compatible server on 127.0.0.1 (random port): the REST endpoints the adapter
 * uses and the transaction stream as chunked JSON lines with a heartbeat every `heartbeatMs`.
 * `stallStream()` keeps the connection open but sends nothing — not even heartbeats — as a dying
 * stream does; transactions meanwhile are kept in the log (for `sinceid`) but not streamed.
 */
export class FakeOandaServer {
  readonly exchange: FakeOandaExchange;
  readonly requests: { method: string; path: string }[] = [];
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly failures: ScriptedFailure[] = [];
  /** Requests held back before processing (see {@link RequestHolds}). */
  readonly holds = new RequestHolds();
  private heartbeat: NodeJS.Timeout | undefined;
  private stalled = false;
  /** Transactions a stalled stream did not send. */
  missed = 0;
  streamConnections = 0;
  port = 0;

  constructor(private readonly heartbeatMs: number) {
    this.exchange = new FakeOandaExchange((tx) => this.broadcast(tx));
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: { heartbeatMs?: number } = {}): Promise<FakeOandaServer> {
    const server = new FakeOandaServer(options.heartbeatMs ?? 50);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.port = (server.server.address() as AddressInfo).port;
    server.heartbeat = setInterval(() => server.beat(), server.heartbeatMs);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  failNext(failure: ScriptedFailure): void {
    this.failures.push(failure);
  }

  /** Forgets the scripted failures not yet used. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** The stream goes silent (no heartbeats, no transactions) without closing. */
  stallStream(): void {
    this.stalled = true;
  }

  /** New connections work again (stalled ones stay dead). */
  resumeStream(): void {
    this.stalled = false;
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of this.streams) res.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private beat(): void {
    if (this.stalled) return;
    for (const res of this.streams) res.write(`${JSON.stringify({ type: 'HEARTBEAT', lastTransactionID: this.exchange.lastTransactionID, time: new Date().toISOString() })}\n`);
  }

  /** Loses the next `count` transactions on the stream (kept in the log), as a dropped packet would. */
  loseNext(count = 1): void {
    this.toLose += count;
  }

  private toLose = 0;

  private broadcast(tx: Tx): void {
    if (this.toLose > 0) {
      this.toLose--;
      this.missed++;
      return;
    }
    if (this.stalled || this.streams.size === 0) {
      this.missed++;
      return;
    }
    // Split mid-line on purpose: a client must only parse complete lines.
    const line = `${JSON.stringify(tx)}\n`;
    const cut = Math.floor(line.length / 2);
    for (const res of this.streams) {
      res.write(line.slice(0, cut));
      res.write(line.slice(cut));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: `${url.pathname}${url.search}` });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) {
      reply(401, { errorMessage: 'Insufficient authorization to perform request.' });
      return;
    }
    await this.holds.wait(method, url.pathname);
    const index = this.failures.findIndex((f) => f.method === method && f.path.test(url.pathname));
    if (index >= 0) {
      const failure = this.failures.splice(index, 1)[0]!;
      if (failure.afterProcessing) {
        try {
          this.route(method, url, body);
        } catch {
          // Refused anyway: the answer is lost all the same.
        }
      }
      if (failure.raw !== undefined) {
        res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers });
        res.end(failure.raw);
      } else reply(failure.status, failure.body, failure.headers);
      return;
    }
    if (method === 'GET' && url.pathname === `/v3/accounts/${ACCOUNT_ID}/transactions/stream`) {
      if (this.stalled) return; // accepted, then silence
      this.streamConnections++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    try {
      const [status, json] = this.route(method, url, body);
      reply(status, json);
    } catch (error) {
      if (error instanceof OandaHttpError) reply(error.status, error.body);
      else reply(500, { errorMessage: String(error) });
    }
  }

  private route(method: string, url: URL, body: Record<string, unknown>): [number, unknown] {
    const x = this.exchange;
    const prefix = `/v3/accounts/${ACCOUNT_ID}`;
    if (!url.pathname.startsWith(prefix)) return [404, { errorMessage: 'Account not found' }];
    const path = url.pathname.slice(prefix.length);
    const q = url.searchParams;
    const orderSpec = /^\/orders\/([^/]+)$/.exec(path)?.[1];
    const cancelSpec = /^\/orders\/([^/]+)\/cancel$/.exec(path)?.[1];
    const tradeOrders = /^\/trades\/([^/]+)\/orders$/.exec(path)?.[1];
    const tradeId = /^\/trades\/([^/]+)$/.exec(path)?.[1];
    const txId = /^\/transactions\/(\d+)$/.exec(path)?.[1];
    if (method === 'GET' && path === '/summary') return [200, { account: x.summary(), lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && path === '/instruments') return [200, { instruments: x.instrumentList(q.get('instruments') ?? '') }];
    if (method === 'GET' && path === '/pricing') return [200, { prices: x.pricing(q.get('instruments') ?? ''), time: new Date().toISOString() }];
    if (method === 'GET' && path === '/pendingOrders') return [200, { orders: x.pending(), lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && path === '/openTrades') return [200, { trades: x.openTrades().map((t) => x.tradeView(t)), lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && path === '/openPositions') return [200, { positions: x.positions(), lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && path === '/transactions/sinceid') return [200, { transactions: x.since(q.get('id') ?? '0'), lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && path === '/changes') return [200, { changes: { transactions: x.since(q.get('sinceTransactionID') ?? '0') }, state: {}, lastTransactionID: x.lastTransactionID }];
    if (method === 'GET' && txId) {
      const tx = x.transactions.find((t) => t.id === txId);
      return tx ? [200, { transaction: tx, lastTransactionID: x.lastTransactionID }] : [404, { errorMessage: 'Transaction not found' }];
    }
    if (method === 'GET' && tradeId) return [200, { trade: x.trade(tradeId), lastTransactionID: x.lastTransactionID }];
    if (method === 'PUT' && tradeOrders) return [200, x.setDependents(tradeOrders, body as Record<string, never>)];
    if (method === 'GET' && orderSpec) return [200, { order: x.order(orderSpec), lastTransactionID: x.lastTransactionID }];
    if (method === 'POST' && path === '/orders') return [201, x.createOrder(body.order as Record<string, unknown>)];
    if (method === 'PUT' && cancelSpec) return [200, x.cancelBySpecifier(cancelSpec)];
    if (method === 'PUT' && orderSpec) return [201, x.replace(orderSpec, body.order as Record<string, unknown>)];
    return [404, { errorMessage: `no route ${method} ${path}` }];
  }
}
