import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Decimal, type OrderUpdate, systemClock } from 'tradewire';
import { MockBroker, seededRandom } from 'tradewire/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION, dropAccount } from '../postgres/pg-test-kit.js';
import { decode, encode, encodeError } from './wire.mjs';

/**
 * Fault injection: the engine runs in a child process against a MockBroker that lives here, in the
 * parent, so the broker's state survives. The child is killed with SIGKILL at a chosen broker
 * request — sometimes before the broker sees it, sometimes after the broker acted but before the
 * child hears back — then restarted on the same journal, until a run gets through all its
 * signals. By default at least 80 kills on the file journal (a couple of minutes on a busy 2-core
 * machine is what `npm test` can afford); `TRADEWIRE_FAULT_KILLS=200 npm test` runs the full 200
 * (also on PostgreSQL: 40 → 100). Needs the build (`npm test` builds first).
 */
const root = resolve(__dirname, '../..');
const child = join(__dirname, 'engine-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'tw-sigkill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIN_KILLS = Number(process.env.TRADEWIRE_FAULT_KILLS ?? 80);
/** Fewer on PostgreSQL: each life connects and loads the account's rows (the store, not the kills, is what differs). */
const PG_KILLS = Math.max(20, Math.round(MIN_KILLS / 2));
const MAX_KILLS_PER_SEED = 6;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA'];

interface Summary {
  readonly orders: { clientOrderId: string; signalId?: string; status: string; filled: Decimal }[];
  readonly positions: { symbol: string; quantity: Decimal }[];
  /** Position disagreements any reconciliation found (there must be none). */
  readonly mismatches: string[];
  readonly halted: string | null;
}

type RunResult = { kind: 'killed'; at: number; processed: boolean } | { kind: 'done'; summary: Summary };

/** One life of the child: serves its broker calls until the kill point, or until it reports done. */
function runChild(broker: MockBroker, journal: string, signals: unknown[], killAt: number, processBeforeKill: boolean): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const proc: ChildProcess = fork(child, [journal, JSON.stringify(signals), JSON.stringify(broker.capabilities)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let calls = 0;
    let settled = false;
    const unsubscribe = broker.onOrderUpdate((update: OrderUpdate) => {
      if (proc.connected) proc.send({ type: 'update', update: encode(update) });
    });
    const finish = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      resolvePromise(result);
    };
    const kill = (processed: boolean): void => {
      finish({ kind: 'killed', at: calls, processed });
      proc.kill('SIGKILL');
    };
    proc.on('message', (message: { type: string; id?: number; method?: string; args?: string; summary?: string }) => {
      if (settled) return;
      if (message.type === 'done') {
        finish({ kind: 'done', summary: decode(message.summary!) as Summary });
        return;
      }
      calls++;
      const args = decode(message.args!) as unknown[];
      const perform = (): Promise<unknown> => (broker as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[message.method!]!(...args);
      if (calls === killAt && !processBeforeKill) return kill(false);
      void perform().then(
        (result) => {
          if (calls === killAt) return kill(true);
          if (proc.connected && !settled) proc.send({ type: 'reply', id: message.id, result: result === undefined ? undefined : encode(result) });
        },
        (error: unknown) => {
          if (calls === killAt) return kill(true);
          if (proc.connected && !settled) proc.send({ type: 'reply', id: message.id, error: encodeError(error) });
        },
      );
    });
    proc.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`engine child exited (${code ?? signal}) before finishing:\n${stderr}`));
    });
  });
}

/** A seed's script: signals that open and close positions on a few symbols. */
function signalsFor(random: () => number): unknown[] {
  const out: unknown[] = [];
  const open = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)]!;
    const side = open.has(symbol) ? 'sell' : 'buy';
    if (side === 'buy') open.add(symbol);
    else open.delete(symbol);
    out.push({ id: `sig-${i}`, symbol, side, strength: 90, strategyId: 'fault' });
  }
  return out;
}

describe('SIGKILL at random points, then recovery', () => {
  it(`never loses or doubles an order, across at least ${MIN_KILLS} kills (file journal)`, { timeout: 540_000 }, async () => {
    await killAndCheck(MIN_KILLS, (seed) => join(dir, `journal-${seed}.jsonl`));
    // The children checkpoint their journals every 25 records: kills landed around checkpoints too.
    const archives = readdirSync(dir).filter((name) => /\.jsonl\.\d{6}$/.test(name));
    expect(archives.length).toBeGreaterThan(10);
  });

  it(`never loses or doubles an order on the PostgreSQL journal, across at least ${PG_KILLS} kills`, { timeout: 300_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const accounts: string[] = [];
    try {
      await killAndCheck(PG_KILLS, (seed) => {
        const account = `sigkill-${run}-${seed}`;
        accounts.push(account);
        return `postgres:${CONNECTION}#${account}`;
      });
    } finally {
      for (const account of accounts) await dropAccount(account);
    }
  });
});

async function killAndCheck(minKills: number, journalFor: (seed: number) => string): Promise<void> {
  expect(existsSync(join(root, 'dist', 'index.js'))).toBe(true);
  let kills = 0;
  let processedKills = 0;
  let seeds = 0;
  for (let seed = 1; kills < minKills && seed <= 200; seed++) {
    seeds++;
    const random = seededRandom(seed);
    const broker = new MockBroker({ clock: systemClock(), initialCash: 10_000_000 });
    for (const symbol of SYMBOLS) broker.setPrice(symbol, '100');
    const journal = journalFor(seed);
    const signals = signalsFor(random);
    let summary: Summary | undefined;
    for (let life = 0; !summary; life++) {
      const killAt = life < MAX_KILLS_PER_SEED ? 1 + Math.floor(random() * 12) : Number.POSITIVE_INFINITY;
      const result = await runChild(broker, journal, signals, killAt, random() < 0.5);
      if (result.kind === 'done') summary = result.summary;
      else {
        kills++;
        if (result.processed) processedKills++;
      }
    }

    const context = `seed ${seed}`;
    expect(summary.mismatches, context).toEqual([]);
    expect(summary.halted, context).toBeNull();
    // Every signal has at most one order locally …
    const bySignal = new Map<string, number>();
    for (const o of summary.orders) if (o.signalId) bySignal.set(o.signalId, (bySignal.get(o.signalId) ?? 0) + 1);
    for (const [signalId, count] of bySignal) expect(count, `${context}: ${signalId}`).toBe(1);
    // … every local order that reached the broker is there exactly once, and failed ones are not there …
    const brokerOrders = new Map(broker.orderReports().map((r) => [r.clientOrderId, r]));
    for (const o of summary.orders) {
      const atBroker = broker.countByClientOrderId(o.clientOrderId);
      expect(atBroker, `${context}: ${o.clientOrderId} (${o.status})`).toBe(o.status === 'failed' ? 0 : 1);
      // … in the same state, with the same quantity filled.
      const theirs = brokerOrders.get(o.clientOrderId);
      if (theirs) expect([o.status, o.filled.toString()], `${context}: ${o.clientOrderId}`).toEqual([theirs.status, theirs.filledQuantity.toString()]);
    }
    // … the broker holds no order we do not know …
    const local = new Set(summary.orders.map((o) => o.clientOrderId));
    for (const r of broker.orderReports()) expect(local.has(r.clientOrderId), `${context}: broker order ${r.clientOrderId}`).toBe(true);
    // … and positions match the broker.
    const mine = Object.fromEntries(summary.positions.map((p) => [p.symbol, p.quantity.toString()]));
    const theirs = Object.fromEntries(broker.positionReports().map((p) => [p.symbol, p.quantity.toString()]));
    expect(mine, context).toEqual(theirs);
  }
  expect(kills).toBeGreaterThanOrEqual(minKills);
  // Both kinds of crash were exercised: before the broker saw the request, and after it acted.
  expect(processedKills).toBeGreaterThan(kills / 4);
  expect(kills - processedKills).toBeGreaterThan(kills / 4);
  console.log(`fault injection: ${kills} SIGKILLs over ${seeds} seeds (${processedKills} after the broker acted)`);
}
