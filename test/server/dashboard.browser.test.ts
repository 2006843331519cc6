import { existsSync } from 'node:fs';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Decimal, silentLogger, TradingDesk } from 'tradewire';
import type { TradewireServer } from 'tradewire/server';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_TOKEN, engineOnMock, serve, TOKENS, until, WATCH_TOKEN } from './server-fixture.js';

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against the server
 * on 127.0.0.1 fed by an engine on the mock broker. Needs the build (`npm test` builds first) and
 * /usr/bin/chromium (`.ci/run` installs it and sets TRADEWIRE_REQUIRE_BROWSER, so CI never skips).
 */
const CHROMIUM = '/usr/bin/chromium';
const ASSETS = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.TRADEWIRE_REQUIRE_BROWSER) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
if (!existsSync(`${ASSETS}index.html`)) throw new Error('dist/dashboard is missing: run `npm run build` first (npm test does)');

let browser: Browser;
beforeAll(async () => {
  if (!available) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 60_000);
afterAll(async () => browser?.close());

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** A TCP hop between the browser and the server, so a test can cut the network under a live WebSocket. */
async function proxyTo(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** `null`: open the page without a token. */
async function dashboard(token: string | null = CONTROL_TOKEN) {
  const fixture = await engineOnMock();
  const server: TradewireServer = await serve({ engine: fixture.engine, auth: TOKENS, control: true, assetsDir: ASSETS });
  open.push(server);
  const proxy = await proxyTo(server.port);
  open.push(proxy);
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  open.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`http://127.0.0.1:${proxy.port}/${token ? `#token=${token}` : ''}`);
  return { ...fixture, server, proxy, page, problems };
}

/** Records, in the page, every event the client applies (sequence, name, the server's time). */
async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as { seen: { seq: number; event: string; at: number }[]; tradewireDashboard: { client: { on(e: 'event', l: (m: { seq: number; event: string; at: number }) => void): void } } };
    w.seen = [];
    w.tradewireDashboard.client.on('event', (m) => void w.seen.push({ seq: m.seq, event: m.event, at: m.at }));
  });
}

describe.skipIf(!available)('the dashboard in Chromium', () => {
  // How soon it draws is a figure of `npm run bench:dashboard` (docs/benchmarks.md), not a bound here:
  // a timed assertion fails on a loaded machine and proves nothing about the code.
  it('shows a signal as an order, then a position, drawing each after the event it shows', async () => {
    const { page, engine, signal, problems } = await dashboard();
    await page.waitForSelector('body[data-connection="open"]');
    await recordEvents(page);
    const decision = await engine.executeSignal(signal({ symbol: 'AAPL' }));
    const id = decision.kind === 'executed' ? decision.order.clientOrderId : '';
    await page.waitForSelector(`#changes tr >> text=${id}`);
    await page.waitForSelector('#positions tr[data-symbol="AAPL"]');
    await page.waitForSelector('#fills tr[data-fill-order]');
    const drawn = await page.evaluate(() => {
      const w = globalThis as unknown as { seen: { seq: number; event: string; at: number }[]; tradewireDashboard: { renders: { seq: number; at: number }[] } };
      const after = (name: string) => {
        const e = w.seen.find((s) => s.event === name);
        const r = e && w.tradewireDashboard.renders.find((x) => x.seq >= e.seq);
        return { event: e?.seq ?? null, render: r?.seq ?? null };
      };
      return { order: after('order:created'), position: after('position:opened') };
    });
    // Each event was applied and a render covering it followed (never a render before its event).
    for (const d of [drawn.order, drawn.position]) {
      expect(d.event).not.toBeNull();
      expect(d.render).toBeGreaterThanOrEqual(d.event!);
    }
    expect(drawn.position.event).toBeGreaterThan(drawn.order.event!);
    expect(await page.textContent('#positions tr[data-symbol="AAPL"]')).toContain('10');
    expect(await page.textContent('[data-kpi="positions"]')).toBe('1');
    expect(problems).toEqual([]);
  });

  it('halts the engine from the kill switch, only after confirming, and shows it', async () => {
    const { page, engine, signal } = await dashboard();
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    await page.waitForSelector('[data-action="halt"]');
    // Asked, then cancelled: nothing happens.
    await page.click('[data-action="halt"]');
    await page.click('#confirm button[value="cancel"]');
    expect(engine.tradingState).toBe('ACTIVE');
    await page.click('[data-action="halt"]');
    await page.fill('#confirm-reason', 'browser drill');
    await page.check('#confirm-flatten');
    await page.click('#confirm-go');
    await until(() => engine.tradingState === 'HALTED', 5_000, 'the engine to halt');
    expect(engine.halted).toBe('browser drill (by alice)');
    await page.waitForSelector('#state.HALTED');
    expect(await page.textContent('#state-reason')).toBe('browser drill (by alice)');
    await until(() => engine.positions.openPositions().length === 0, 5_000, 'the flatten');
    await page.waitForSelector('#positions tr.empty');
  });

  it('reconnects after the network drops and resumes without a gap or a duplicate', async () => {
    const { page, engine, signal, proxy, server } = await dashboard();
    const connected: boolean[] = [];
    server.on('client:connected', (c) => void connected.push(c.resumed));
    await page.waitForSelector('body[data-connection="open"]');
    await recordEvents(page);
    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    proxy.cut(); // the network drops under the live WebSocket
    await page.waitForSelector('body[data-connection="reconnecting"]');
    await engine.executeSignal(signal({ symbol: 'MSFT' })); // while the page is away
    await engine.executeSignal(signal({ symbol: 'NVDA' }));
    await page.waitForSelector('body[data-connection="open"]');
    await page.waitForSelector('#positions tr[data-symbol="NVDA"]');
    const seqs = await page.evaluate(() => (globalThis as unknown as { seen: { seq: number }[] }).seen.map((s) => s.seq));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(seqs[seqs.length - 1]).toBe(server.stats().seq);
    // The reconnect was a replay of what it missed, not a fresh snapshot (the first connection may predate the listener).
    expect(connected.at(-1)).toBe(true);
    expect(connected.filter((resumed) => resumed)).toHaveLength(1);
  });

  it('refuses a request without the token, and asks the page for one', async () => {
    const { page, server } = await dashboard(null);
    const response = await page.request.get(`${server.url}api/snapshot`);
    expect(response.status()).toBe(401);
    await page.waitForSelector('#login:not([hidden])');
    const ws = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url, ['tradewire.v1']);
          socket.onopen = () => resolve('open');
          socket.onclose = () => resolve('refused');
        }),
      `${server.url.replace('http', 'ws')}ws`,
    );
    expect(ws).toBe('refused');
  });

  it('shows a desk account by account, and halts only the account in view', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
    const stocks = new MockBroker({ clock, name: 'equity-broker' });
    const fx = new MockBroker({ clock, name: 'fx-broker', assets: [{ symbol: 'EUR_USD', assetClass: 'forex', quantityIncrement: new Decimal(1) }] });
    const config = (quantity: number) => ({ sizing: { method: 'fixed_quantity', quantity }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 }) as const;
    const desk = new TradingDesk({ clock, logger: silentLogger, accounts: [{ id: 'stocks', adapter: stocks, ids: sequentialIds(1_000), scope: { assetClasses: ['equity'] }, config: config(10) }, { id: 'fx', adapter: fx, ids: sequentialIds(2_000), scope: { assetClasses: ['forex'] }, config: config(10_000) }] });
    await desk.start();
    for (const [symbol, price] of [['AAPL', '190'], ['EUR_USD', '1.08']] as const) {
      stocks.setPrice(symbol, price);
      fx.setPrice(symbol, price);
      desk.updatePrice(symbol, price);
    }
    await desk.executeSignal({ id: 'a', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'k' });
    const b = await desk.executeSignal({ id: 'b', symbol: 'EUR_USD', side: 'buy', strength: 90, time: clock.now(), strategyId: 'k', assetClass: 'forex' });
    expect(b.outcomes.map((o) => o.decision?.kind)).toEqual(['executed']);
    const server = await serve({ desk, auth: TOKENS, control: true, assetsDir: ASSETS });
    open.push(server);
    const context = await browser.newContext();
    open.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}#token=${CONTROL_TOKEN}`);
    await page.waitForSelector('#positions tr[data-symbol="EUR_USD"]');
    expect(await page.$$eval('#positions tr[data-symbol]', (rows) => rows.map((r) => r.getAttribute('data-account')))).toEqual(['stocks', 'fx']);
    await page.click('[data-account-tab="fx"]');
    await page.waitForSelector('#positions tr[data-symbol="AAPL"]', { state: 'detached' });
    expect(await page.$$eval('#positions tr[data-symbol]', (rows) => rows.map((r) => r.getAttribute('data-symbol')))).toEqual(['EUR_USD']);
    await page.click('[data-action="halt"]');
    expect(await page.textContent('#confirm-title')).toBe('Halt account fx?');
    await page.click('#confirm-go');
    await until(() => desk.engine('fx').tradingState === 'HALTED', 5_000, 'the fx account to halt');
    expect([desk.tradingState, desk.engine('stocks').tradingState]).toEqual(['ACTIVE', 'ACTIVE']);
    await page.waitForSelector('#brokers tr[data-broker-account="fx"] .badge.HALTED');
    await desk.stop();
  });

  it('shows a watch-only viewer no controls', async () => {
    const { page } = await dashboard(WATCH_TOKEN);
    await page.waitForSelector('body[data-connection="open"]');
    expect(await page.textContent('#controls')).toBe('watch only');
    expect(await page.$('[data-action="halt"]')).toBeNull();
  });
});
