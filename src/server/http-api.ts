import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, DEFAULT_REPORT_TIMEZONE, explainOrder, formatReport, isTradewireError, type Logger, type PeriodKind, reportPeriod, ServerRequestError, tradeReport } from 'tradewire';
import { type ControlParams, parseControlParams, runControl } from './control-actions.js';
import type { ControlAction, ControlResponse, ErrorResponse, HealthResponse, Snapshot } from './protocol.js';
import type { AuthRequest, Principal } from './server-auth.js';
import { requestToken } from './server-auth.js';
import type { ServerTarget } from './server-target.js';
import type { StaticAsset } from './static-assets.js';
import { toWireJson, wireError } from './wire-json.js';

const MAX_BODY_BYTES = 16 * 1024;

export interface HttpApiDeps {
  readonly target: ServerTarget;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly control: boolean;
  readonly reportTimeZone: string;
  readonly assets: ReadonlyMap<string, StaticAsset>;
  readonly authenticate: (request: AuthRequest) => Promise<Principal | undefined>;
  readonly snapshot: () => Snapshot;
  readonly health: () => HealthResponse;
  /** Told of every control action, done or failed (the server's `control:action` event). */
  readonly onControl: (entry: { readonly action: ControlAction; readonly by: string; readonly params: ControlParams; readonly response?: ControlResponse; readonly error?: unknown }) => void;
}

type Route = { readonly method: 'GET' | 'POST'; readonly pattern: RegExp; readonly handle: (match: RegExpMatchArray, url: URL, request: IncomingMessage, principal: Principal) => Promise<unknown> };

/**
 * The HTTP API: health (open), snapshot and reports (authenticated), control (authenticated, a
 * principal allowed to act, and a server started with `control: true`), and the dashboard's
 * static files. Every refusal is a JSON `{ error: { code, message } }` with the status its code
 * names.
 */
export function httpApi(deps: HttpApiDeps): (request: IncomingMessage, response: ServerResponse) => void {
  const control = (action: ControlAction, params: (match: RegExpMatchArray, body: ControlParams) => ControlParams) => async (match: RegExpMatchArray, _url: URL, request: IncomingMessage, principal: Principal) => {
    if (!deps.control) throw new ServerRequestError('read_only', 'this server is read-only: start it with control: true (and auth) to allow control actions');
    if (!principal.control) throw new ServerRequestError('forbidden', `${principal.user} may watch but not act`);
    const body = params(match, parseControlParams(await readJsonBody(request)));
    try {
      const response = await runControl(deps.target, action, body, principal, deps.clock);
      deps.onControl({ action, by: principal.user, params: body, response });
      return response;
    } catch (error) {
      deps.onControl({ action, by: principal.user, params: body, error });
      throw error;
    }
  };
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/api\/snapshot$/, handle: async () => deps.snapshot() },
    { method: 'GET', pattern: /^\/api\/reports\/trades$/, handle: async (_m, url) => tradesReport(deps, url) },
    { method: 'GET', pattern: /^\/api\/reports\/executions$/, handle: async (_m, url) => executions(deps, url) },
    { method: 'GET', pattern: /^\/api\/orders\/([^/]+)\/explain$/, handle: async (m) => explainOrder(deps.target.reportStore(), decodeURIComponent(m[1]!), deps.reportTimeZone) },
    { method: 'POST', pattern: /^\/api\/control\/halt$/, handle: control('halt', (_m, b) => b) },
    { method: 'POST', pattern: /^\/api\/control\/reduce-only$/, handle: control('reduce_only', (_m, b) => b) },
    { method: 'POST', pattern: /^\/api\/control\/resume$/, handle: control('resume', (_m, b) => b) },
    { method: 'POST', pattern: /^\/api\/orders\/([^/]+)\/cancel$/, handle: control('cancel_order', (m, b) => ({ ...b, clientOrderId: decodeURIComponent(m[1]!) })) },
    { method: 'POST', pattern: /^\/api\/positions\/([^/]+)\/flatten$/, handle: control('flatten', (m, b) => ({ ...b, symbol: decodeURIComponent(m[1]!) })) },
  ];

  return (request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = request.method ?? 'GET';
      if (url.pathname === '/api/health' && method === 'GET') return send(response, 200, deps.health());
      const asset = method === 'GET' ? deps.assets.get(url.pathname) : undefined;
      if (asset) return sendAsset(response, asset);
      if (!url.pathname.startsWith('/api/')) {
        throw new ServerRequestError('not_found', deps.assets.size === 0 ? 'the dashboard is not built here: run `npm run build` (the API under /api/ works without it)' : `no ${url.pathname}`);
      }
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      const route = matching.find((r) => r.method === method);
      if (!route) throw new ServerRequestError(matching.length > 0 ? 'method_not_allowed' : 'not_found', `${method} ${url.pathname} is not part of the API`);
      const principal = await deps.authenticate({ token: requestToken(request), kind: 'http', method, path: url.pathname, remoteAddress: request.socket.remoteAddress, headers: request.headers });
      if (!principal) throw new ServerRequestError('unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
      return send(response, 200, await route.handle(url.pathname.match(route.pattern)!, url, request, principal));
    })().catch((error: unknown) => fail(deps.logger, response, error));
  };
}

async function tradesReport(deps: HttpApiDeps, url: URL): Promise<unknown> {
  const kind = (url.searchParams.get('period') ?? 'daily') as PeriodKind;
  if (!['daily', 'weekly', 'monthly'].includes(kind)) throw new ServerRequestError('invalid_request', `period must be daily, weekly or monthly, got ${kind}`);
  const date = url.searchParams.get('date');
  if (date !== null && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ServerRequestError('invalid_request', `date must be yyyy-MM-dd, got ${date}`);
  const account = url.searchParams.get('account');
  const report = await tradeReport(deps.target.reportStore(), { period: reportPeriod(kind, date ?? deps.clock.now(), deps.reportTimeZone), now: deps.clock.now(), ...(account ? { filters: { accountId: account } } : {}) });
  return url.searchParams.get('format') === 'text' ? { text: formatReport(report) } : report;
}

function executions(deps: HttpApiDeps, url: URL): unknown {
  const account = url.searchParams.get('account');
  const seats = deps.target.seats.filter((s) => !account || s.id === account);
  if (account && seats.length === 0) throw new ServerRequestError('not_found', `no account ${account}`);
  return { records: seats.flatMap((s) => (s.engine.quality?.recent() ?? []).map((record) => ({ account: s.id, ...record }))), stats: Object.fromEntries(seats.map((s) => [s.id, s.engine.quality?.stats()])) };
}

/** Reads a JSON body of at most 16 KiB; control requests must say `application/json` (a browser cannot send that cross-site without a preflight this server never answers). */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ServerRequestError('payload_too_large', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (!type.toLowerCase().startsWith('application/json')) throw new ServerRequestError('invalid_request', 'control requests must be sent as application/json');
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ServerRequestError('invalid_request', 'the body is not valid JSON');
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = toWireJson(body);
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendAsset(response: ServerResponse, asset: StaticAsset): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    // The page runs only its own scripts and talks only to this server.
    'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
  });
  response.end(asset.body);
}

function fail(logger: Logger, response: ServerResponse, error: unknown): void {
  let status = 500;
  let body: ErrorResponse = { error: { code: 'internal_error', message: 'the server failed to answer; see its log' } };
  if (isTradewireError(error) && error.name === 'ServerRequestError') {
    status = (error as ServerRequestError).status;
    body = { error: { code: error.code, message: error.message } };
  } else if (isTradewireError(error)) {
    // The engine refused (an invalid transition, bad input): the request conflicts with the state.
    status = error.code === 'validation_failed' ? 400 : 409;
    const { code, message } = wireError(error);
    body = { error: { code: code ?? error.code, message } };
  } else {
    logger.error('dashboard API request failed', { error: error instanceof Error ? error.message : String(error) });
  }
  if (response.headersSent) return void response.destroy();
  send(response, status, body);
}
