/**
 * `npm run bench:dashboard` (also part of `npm run bench`) — what tradewire/server costs and how
 * fast it is. A benchmark, not a test: it prints figures and asserts nothing (docs/benchmarks.md).
 *
 * 1. The signal path with the server attached, as ratios against the same engine without it, in
 *    the same process, rounds interleaved: an idle server, a reading client, a stalled client
 *    (clients in their own processes, so their reading costs this one nothing).
 * 2. Event → client latency at 100 events/s on loopback: a Node client in its own process, and
 *    Chromium (when /usr/bin/chromium is there) — received by the page's client, and drawn.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ExecutionEngine, InMemoryJournal, InMemoryPositionRepository, type Signal, silentLogger, systemClock } from 'tradewire';
import { createServer, type TradewireServer } from 'tradewire/server';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { arg } from './stats.js';

const SIGNALS = arg('signals', 20_000);
const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 10);
const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMZN'];
const clientScript = fileURLToPath(new URL('./dashboard-client.mjs', import.meta.url));
/** The server's clock in fractional milliseconds, so a message's `at` measures sub-millisecond latency. */
const preciseClock = { ...systemClock(), now: () => performance.timeOrigin + performance.now() };

async function engineOnMock() {
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
  const broker = new MockBroker({ clock, initialCash: 1e12, retainEndedOrders: 10_000 });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal: new InMemoryJournal(50_000), positionRepository: new InMemoryPositionRepository(10_000), config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  for (const s of symbols) {
    broker.setPrice(s, '100.00');
    engine.updatePrice(s, '100.00');
  }
  return { clock, broker, engine };
}

function client(url: string, mode: 'count' | 'latency' | 'stall'): Promise<{ child: ChildProcess; result: () => Promise<{ messages: number; latencies: number[] }> }> {
  const child = spawn(process.execPath, [clientScript, url, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  return new Promise((resolve) => {
    const ready = (): void => {
      if (!out.includes('ready\n')) return;
      child.stdout!.off('data', ready);
      resolve({
        child,
        result: () =>
          new Promise((done) => {
            child.once('exit', () => done(JSON.parse(out.split('\n').filter(Boolean).pop()!)));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', ready);
  });
}

type Mode = 'no server' | 'idle server' | 'reading client' | 'stalled client';

/** Signals per second through one engine, with the server (and a client) in the given mode. */
async function throughput(mode: Mode): Promise<{ perSecond: number; cpuUs: number; dropped: number }> {
  const { clock, engine } = await engineOnMock();
  let server: TradewireServer | undefined;
  let peer: Awaited<ReturnType<typeof client>> | undefined;
  if (mode !== 'no server') {
    server = await createServer({ engine, port: 0, logger: silentLogger, assetsDir: false });
    if (mode !== 'idle server') peer = await client(`${server.url.replace('http', 'ws')}ws`, mode === 'reading client' ? 'count' : 'stall');
  }
  const signal = (i: number): Signal => ({ id: `s${i}`, symbol: symbols[i % symbols.length]!, side: Math.floor(i / symbols.length) % 2 === 0 ? 'buy' : 'sell', strength: 80, time: clock.now(), strategyId: 'bench' });
  const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 2_000; i++) {
    await engine.executeSignal(signal(i));
    if (i % 100 === 0) await yieldToIo();
  }
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (let i = 2_000; i < 2_000 + SIGNALS; i++) {
    await engine.executeSignal(signal(i));
    // A live process returns to its event loop between signals; the stream's flushes and writes happen there.
    if (i % 100 === 0) await yieldToIo();
  }
  await yieldToIo();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const dropped = server?.stats().dropped.slow_consumer ?? 0;
  await peer?.result();
  await server?.close();
  await engine.stop();
  return { perSecond: SIGNALS / seconds, cpuUs: (cpu.user + cpu.system) / SIGNALS, dropped };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

const cores = os.cpus();
console.log(`tradewire dashboard bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cores[0]?.model.trim() ?? 'cpu'} × ${cores.length}, ${os.platform()} ${os.arch()}`);

// ── 1. the signal path with the server attached ─────────────────────────────────────────────
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) as Mode | undefined;
const modes: Mode[] = only ? [only] : ['no server', 'idle server', 'reading client', 'stalled client'];
const runs = new Map<Mode, number[]>(modes.map((m) => [m, []]));
const cpus = new Map<Mode, number[]>(modes.map((m) => [m, []]));
let drops = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of modes) {
    const r = await throughput(mode);
    runs.get(mode)!.push(r.perSecond);
    cpus.get(mode)!.push(r.cpuUs);
    drops += r.dropped;
  }
}
const base = runs.get('no server')?.length ? median(runs.get('no server')!) : Number.NaN;
console.log(`signal path, ${SIGNALS} signals × ${ROUNDS} rounds (median signals/s, ratio to no server; this process's CPU per signal):`);
for (const mode of modes) console.log(`  ${mode.padEnd(15)} ${Math.round(median(runs.get(mode)!)).toLocaleString('en-US').padStart(8)}/s  ×${(median(runs.get(mode)!) / base).toFixed(2)}   ${median(cpus.get(mode)!).toFixed(1)} µs CPU`);
if (modes.includes('stalled client') && modes.includes('reading client')) console.log(`  stalled ÷ reading: ×${(median(runs.get('stalled client')!) / median(runs.get('reading client')!)).toFixed(2)}; stalled clients dropped as slow consumers: ${drops} of ${ROUNDS}`);

// ── 2. event → client latency at 100 events/s ─────────────────────────────────────────────
{
  const { broker, engine, clock } = await engineOnMock();
  await engine.executeSignal({ id: 'hold', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'bench' });
  const server = await createServer({ engine, port: 0, logger: silentLogger, clock: preciseClock });
  const node = await client(`${server.url.replace('http', 'ws')}ws`, 'latency');
  const chromium = existsSync('/usr/bin/chromium') ? await import('playwright-core').then((p) => p.chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })) : undefined;
  const page = await chromium?.newPage();
  if (page) {
    await page.goto(server.url);
    await page.waitForSelector('body[data-connection="open"]');
    await page.evaluate(() => {
      const w = globalThis as unknown as { lat: { seq: number; at: number; received: number }[]; tradewireDashboard: { client: { on(e: 'event', l: (m: { seq: number; at: number }) => void): void } } };
      w.lat = [];
      w.tradewireDashboard.client.on('event', (m) => void w.lat.push({ seq: m.seq, at: m.at, received: performance.timeOrigin + performance.now() }));
    });
  }
  // 100 events/s: each price mark of the held position streams position:updated and pnl:updated.
  let tick = 0;
  const timer = setInterval(() => {
    const price = (100 + Math.sin(tick++ / 10)).toFixed(2);
    broker.setPrice('AAPL', price);
    engine.updatePrice('AAPL', price);
  }, 20);
  await new Promise((r) => setTimeout(r, SECONDS * 1_000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 200));
  const nodeResult = await node.result();
  const events = server.stats().seq;
  console.log(`event → client on loopback, ~100 events/s for ${SECONDS} s (${events} events):`);
  console.log(`  Node client (own process): p50 ${ms(pct(nodeResult.latencies, 50))}, p99 ${ms(pct(nodeResult.latencies, 99))}, max ${ms(Math.max(...nodeResult.latencies))} (${nodeResult.latencies.length} events)`);
  if (page) {
    const { lat, renders } = await page.evaluate(() => {
      const w = globalThis as unknown as { lat: { seq: number; at: number; received: number }[]; tradewireDashboard: { renders: { seq: number; at: number }[] } };
      return { lat: w.lat, renders: w.tradewireDashboard.renders };
    });
    const received = lat.map((e) => e.received - e.at);
    // Drawn: the dashboard's first redraw that included the event (it redraws at most every 40 ms).
    const drawn = lat.flatMap((e) => {
      const r = renders.find((x) => x.seq >= e.seq);
      return r ? [r.at - e.at] : [];
    });
    console.log(`  Chromium, received:        p50 ${ms(pct(received, 50))}, p99 ${ms(pct(received, 99))}, max ${ms(Math.max(...received))} (${received.length} events)`);
    console.log(`  Chromium, drawn:           p50 ${ms(pct(drawn, 50))}, p99 ${ms(pct(drawn, 99))} (the page redraws at most every 40 ms)`);
  } else console.log('  Chromium: /usr/bin/chromium not found, browser figures skipped');
  await chromium?.close();
  await server.close();
  await engine.stop();
}
