import { once } from 'node:events';
import { ConfigurationError } from 'tradewire';
import { CONTROL_TOPIC, PROTOCOL_VERSION, TradewireServer, type TradewireServerOptions } from 'tradewire/server';
import { TradewireClientError } from 'tradewire/client';
import { ManualClock } from 'tradewire/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CONTROL_TOKEN, engineOnMock, http, recordingClient, serve, TOKENS, until, WATCH_TOKEN } from './server-fixture.js';

const open: { close(): unknown }[] = [];
const track = <T extends { close(): unknown }>(thing: T): T => (open.push(thing), thing);
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

describe('createServer: configuration', () => {
  it('refuses control without auth, a public address without auth, weak tokens, and engine + desk together', async () => {
    const { engine } = await engineOnMock();
    const issues = (options: TradewireServerOptions): string[] => {
      try {
        void new TradewireServer(options);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).issues.map((i) => i.field);
      }
      return [];
    };
    expect(issues({ engine, control: true })).toEqual(['control']);
    expect(issues({ engine, host: '0.0.0.0' })).toEqual(['host']);
    expect(issues({ engine, auth: { tokens: [{ token: 'short', user: 'x' }] } })).toEqual(['auth.tokens']);
    expect(issues({} as never)).toEqual(['engine']);
    expect(issues({ engine, port: 70_000, heartbeatMs: 0 })).toEqual(['port', 'heartbeatMs']);
    expect(issues({ engine, events: ['order:filled', 'nope' as never] })).toEqual(['events']);
  });

  it('binds to 127.0.0.1 by default and says where', async () => {
    const { engine } = await engineOnMock();
    const server = track(await serve({ engine }));
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });
});

describe('authentication', () => {
  it('refuses the API and the stream without a valid token; health stays open', async () => {
    const { engine } = await engineOnMock();
    const server = track(await serve({ engine, auth: TOKENS }));
    expect((await http(server, 'GET', '/api/health')).status).toBe(200);
    const anonymous = await http(server, 'GET', '/api/snapshot');
    expect(anonymous).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: expect.stringContaining('bearer token') } } });
    expect((await http(server, 'GET', '/api/snapshot', { token: 'wrong-token-0123456789abcdef' })).status).toBe(401);
    expect((await http(server, 'GET', '/api/snapshot', { token: WATCH_TOKEN })).status).toBe(200);

    const refused = new WebSocket(`${server.url.replace('http', 'ws')}ws`, ['tradewire.v1']);
    refused.on('error', () => undefined);
    const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(401);

    // The browser's way: the token as a second subprotocol.
    const { client, snapshots } = recordingClient(server, WATCH_TOKEN);
    track(client);
    client.connect();
    await until(() => snapshots.length === 1, 5_000, 'a snapshot');
  });

  it('accepts a user-supplied check instead of tokens', async () => {
    const { engine } = await engineOnMock();
    const server = track(await serve({ engine, auth: { verify: ({ headers }) => (headers['x-sso-user'] === 'bob' ? { user: 'bob', control: false } : undefined) } }));
    const ok = await fetch(new URL('/api/snapshot', server.url), { headers: { 'x-sso-user': 'bob' } });
    expect(ok.status).toBe(200);
    expect((await fetch(new URL('/api/snapshot', server.url))).status).toBe(401);
  });
});

describe('the event stream', () => {
  it('sends hello and a snapshot, then every event once, numbered without gaps, Decimals as strings', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine, auth: TOKENS }));
    const { client, events, snapshots } = recordingClient(server, WATCH_TOKEN);
    track(client);
    const hellos: unknown[] = [];
    client.on('hello', (h) => void hellos.push(h));
    client.connect();
    await until(() => snapshots.length === 1);
    expect(hellos).toEqual([expect.objectContaining({ type: 'hello', protocol: PROTOCOL_VERSION, session: server.session, control: false, user: 'viewer', resume: 'snapshot' })]);
    expect(snapshots[0]).toMatchObject({ protocol: 1, tradingState: 'ACTIVE', accounts: [{ id: 'mock', broker: 'mock', positions: [], workingOrders: [] }], control: false });

    await engine.executeSignal(signal());
    await until(() => events.some((e) => e.event === 'position:opened'));
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['signal:received', 'order:created', 'order:submitted', 'order:accepted', 'order:fill', 'order:filled', 'position:opened', 'signal:executed']));
    expect(names).not.toContain('order:transition');
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => snapshots[0]!.seq + i + 1));
    const filled = events.find((e) => e.event === 'order:filled')!;
    expect(filled).toMatchObject({ type: 'event', account: 'mock', data: { order: { symbol: 'AAPL', quantity: '10', status: 'filled' } } });
    expect(typeof (filled.data as { order: { averageFillPrice: unknown } }).order.averageFillPrice).toBe('string');
  });

  it('resumes after a dropped connection with exactly the missed events', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine }));
    const connected: { resumed: boolean; replayed: number }[] = [];
    server.on('client:connected', (c) => void connected.push(c));
    const { client, events } = recordingClient(server);
    track(client);
    client.connect();
    await until(() => connected.length === 1);
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    await until(() => events.some((e) => e.event === 'signal:executed'));

    client.reconnect(); // the connection drops
    await engine.executeSignal(signal({ symbol: 'MSFT' })); // missed while away
    await until(() => events.filter((e) => e.event === 'signal:executed').length === 2);
    expect(connected[1]).toMatchObject({ resumed: true });
    expect(connected[1]!.replayed).toBeGreaterThan(5);
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(seqs[seqs.length - 1]).toBe(server.stats().seq);
  });

  it('sends a snapshot instead when the missed events are no longer kept, or the server restarted', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine, bufferSize: 4 }));
    const { client, events, snapshots } = recordingClient(server);
    track(client);
    client.connect();
    await until(() => snapshots.length === 1);
    client.reconnect();
    await engine.executeSignal(signal()); // more than 4 events
    await until(() => snapshots.length === 2, 5_000, 'a second snapshot');
    expect(snapshots[1]!.accounts[0]!.positions).toMatchObject([{ symbol: 'AAPL', quantity: '10' }]);
    expect(events.every((e) => e.seq > snapshots[1]!.seq || e.seq <= snapshots[0]!.seq + 0)).toBe(true);

    // Another server (a restart): the client's numbers mean nothing there.
    await server.close();
    const again = track(await serve({ engine, port: server.port }));
    await until(() => snapshots.length === 3, 5_000, 'a snapshot from the new session');
    expect(snapshots[2]!.session).toBe(again.session);
    expect(client.lastSeq).toBe(again.stats().seq);
  });

  it('drops a client that stops reading, with a reason, and the engine never waits for it', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine, maxBufferedBytes: 64 * 1024 }));
    const dropped: { reason: string; detail: string }[] = [];
    server.on('client:dropped', (d) => void dropped.push(d));
    const stalled = new WebSocket(`${server.url.replace('http', 'ws')}ws`, ['tradewire.v1']);
    await once(stalled, 'open');
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing from now on
    const healthy = recordingClient(server);
    track(healthy.client);
    healthy.client.connect();
    await until(() => healthy.snapshots.length === 1);
    // Price marks on an open position stream position and P&L events; enough to fill the kernel's buffers.
    await engine.executeSignal(signal());
    for (let i = 0; i < 40_000 && dropped.length === 0; i++) {
      engine.updatePrice('AAPL', (100 + (i % 50) / 100).toFixed(2));
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => dropped.length === 1, 10_000, 'the slow client to be dropped');
    expect(dropped[0]).toMatchObject({ reason: 'slow_consumer', detail: expect.stringContaining('behind') });
    expect(server.stats().dropped.slow_consumer).toBe(1);
    // The healthy client keeps everything, in order.
    await until(() => healthy.client.lastSeq === server.stats().seq, 10_000, 'the healthy client to catch up');
    const seqs = healthy.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    stalled.terminate();
  });

  it('sends heartbeats when idle and drops a client whose pong never comes', async () => {
    const { engine } = await engineOnMock();
    const clock = new ManualClock();
    const server = track(await serve({ engine, clock, heartbeatMs: 1_000 }));
    const dropped: string[] = [];
    server.on('client:dropped', (d) => void dropped.push(d.reason));
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}ws`, ['tradewire.v1']);
    const messages: { type: string }[] = [];
    socket.on('message', (data) => void messages.push(JSON.parse(String(data))));
    await until(() => messages.length === 2); // hello, snapshot
    clock.advance(1_000); // a ping; no heartbeat message, since hello and snapshot went out in this period
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(1_000); // a quiet period: a heartbeat message
    await until(() => messages.length === 3);
    expect(messages[2]).toMatchObject({ type: 'heartbeat', seq: server.stats().seq });
    // It answers pings (ws does): still connected.
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(dropped).toEqual([]);
    // Now it goes silent: no pong, dropped at the next beat.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(1_000);
    await until(() => dropped.length === 1);
    expect(dropped).toEqual(['heartbeat_timeout']);
    socket.terminate();
  });

  it('answers a client’s request for a fresh snapshot, and drops one that speaks nonsense', async () => {
    const { engine } = await engineOnMock();
    const server = track(await serve({ engine }));
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}ws`, ['tradewire.v1']);
    const messages: { type: string; reason?: string }[] = [];
    socket.on('message', (data) => void messages.push(JSON.parse(String(data))));
    await until(() => messages.length === 2);
    socket.send(JSON.stringify({ type: 'snapshot' }));
    await until(() => messages.length === 3);
    expect(messages[2]!.type).toBe('snapshot');
    const closed = once(socket, 'close');
    socket.send('not json');
    await until(() => messages.length === 4);
    expect(messages[3]).toMatchObject({ type: 'bye', reason: 'bad_message' });
    const [code] = (await closed) as [number];
    expect(code).toBe(4003);
  });
});

describe('control', () => {
  it('is refused on a read-only server, and to a token that may only watch', async () => {
    const { engine } = await engineOnMock();
    const readOnly = track(await serve({ engine, auth: TOKENS }));
    expect(await http(readOnly, 'POST', '/api/control/halt', { token: CONTROL_TOKEN, body: { reason: 'x' } })).toMatchObject({ status: 403, body: { error: { code: 'read_only' } } });
    const server = track(await serve({ engine, auth: TOKENS, control: true }));
    expect(await http(server, 'POST', '/api/control/halt', { token: WATCH_TOKEN })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await http(server, 'POST', '/api/control/halt')).toMatchObject({ status: 401 });
    expect(engine.tradingState).toBe('ACTIVE');
  });

  it('halts, reduces and resumes — journaled with who did it, answered with the resulting state', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine, auth: TOKENS, control: true }));
    const { client } = recordingClient(server, CONTROL_TOKEN);
    await engine.executeSignal(signal());
    const resting = await engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });

    expect((await client.reduceOnly({ reason: 'easing back' })).tradingState).toBe('REDUCING');
    const halted = await client.halt({ reason: 'risk desk drill' });
    expect(halted).toMatchObject({ action: 'halt', by: 'alice', tradingState: 'HALTED', accounts: [{ id: 'mock', tradingState: 'HALTED' }] });
    expect(engine.halted).toBe('risk desk drill (by alice)');
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');
    expect((await client.resume()).tradingState).toBe('ACTIVE');

    const notes = engine.journal.query({ kinds: ['note'], topic: CONTROL_TOPIC }) as unknown as { data: { action: string; by: string; outcome: string } }[];
    expect(notes.map((n) => [n.data.action, n.data.by, n.data.outcome])).toEqual([
      ['reduce_only', 'alice', 'done'],
      ['halt', 'alice', 'done'],
      ['resume', 'alice', 'done'],
    ]);
  });

  it('cancels an order and flattens a position; unknown ones are 404s, bad bodies 400s', async () => {
    const { engine, signal } = await engineOnMock();
    const server = track(await serve({ engine, auth: TOKENS, control: true }));
    const { client } = recordingClient(server, CONTROL_TOKEN);
    const resting = await engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    const cancelled = await client.cancelOrder(resting.clientOrderId);
    expect(cancelled.orders).toMatchObject([{ clientOrderId: resting.clientOrderId }]);
    expect(engine.orders.get(resting.clientOrderId)?.status).toBe('cancelled');

    await engine.executeSignal(signal({ symbol: 'MSFT' }));
    const flattened = await client.flatten('MSFT', { reason: 'news' });
    expect(flattened.orders).toMatchObject([{ symbol: 'MSFT', side: 'sell', quantity: '10' }]);
    expect(engine.positions.get('MSFT')?.quantity.toString() ?? '0').toBe('0');

    await expect(client.flatten('TSLA')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(client.cancelOrder('nope')).rejects.toBeInstanceOf(TradewireClientError);
    expect(await http(server, 'POST', '/api/control/halt', { token: CONTROL_TOKEN, body: { reason: 7, extra: true } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringContaining('unknown field extra') } } });
    expect(await http(server, 'POST', '/api/control/halt', { token: CONTROL_TOKEN, body: 'reason=x', contentType: 'application/x-www-form-urlencoded' })).toMatchObject({ status: 400 });
    expect(await http(server, 'POST', '/api/control/halt', { token: CONTROL_TOKEN, body: { account: 'elsewhere' } })).toMatchObject({ status: 404 });
    expect(engine.tradingState).toBe('ACTIVE');
  });
});

describe('the HTTP API', () => {
  it('serves the snapshot, the day’s trade report (JSON or text) and execution records', async () => {
    const { engine, signal, clock } = await engineOnMock();
    // The engine's clock: report periods are the engine's days.
    const server = track(await serve({ engine, auth: TOKENS, clock }));
    await engine.executeSignal(signal());
    await engine.executeSignal(signal({ side: 'sell' }));
    const snapshot = await http(server, 'GET', '/api/snapshot', { token: WATCH_TOKEN });
    expect(snapshot.body.accounts[0].fills).toHaveLength(2);
    expect(snapshot.body.accounts[0].fills[0]).toMatchObject({ symbol: 'AAPL', side: 'buy', quantity: '10', expectedPrice: '100' });
    const report = await http(server, 'GET', '/api/reports/trades?period=daily', { token: WATCH_TOKEN });
    expect(report.status).toBe(200);
    expect(report.body.trades).toHaveLength(1);
    const text = await http(server, 'GET', '/api/reports/trades?format=text', { token: WATCH_TOKEN });
    expect(text.body.text).toContain('AAPL');
    expect(await http(server, 'GET', '/api/reports/trades?period=yearly', { token: WATCH_TOKEN })).toMatchObject({ status: 400 });
    const executions = await http(server, 'GET', '/api/reports/executions', { token: WATCH_TOKEN });
    expect(executions.body.records).toHaveLength(2);
    expect(executions.body.records[0]).toMatchObject({ account: 'mock', symbol: 'AAPL', status: 'filled' });
    expect(await http(server, 'GET', '/api/nothing', { token: WATCH_TOKEN })).toMatchObject({ status: 404 });
    expect(await http(server, 'POST', '/api/snapshot', { token: WATCH_TOKEN })).toMatchObject({ status: 405 });
  });

  it('answers health with the trading state and the broker connection', async () => {
    const { engine } = await engineOnMock();
    const server = track(await serve({ engine }));
    expect((await http(server, 'GET', '/api/health')).body).toMatchObject({ status: 'ok', tradingState: 'ACTIVE', brokers: [{ account: 'mock', state: 'connected' }], clients: 0 });
    await engine.halt('drill');
    expect((await http(server, 'GET', '/api/health')).body).toMatchObject({ status: 'halted', tradingState: 'HALTED' });
  });
});

