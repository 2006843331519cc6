import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alwaysOpenMarket, ExecutionEngine, isTradewireError, silentLogger, systemClock } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { AccountLease, AccountLeasedError, PostgresJournal } from 'tradewire/postgres';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_KEY, FAKE_SECRET } from '../adapters/alpaca/fake-alpaca-server.js';
import { CONNECTION, dropAccount, testAccount } from './pg-test-kit.js';

const root = resolve(__dirname, '../..');
const accounts: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
const fresh = (label: string): string => {
  const account = testAccount(label);
  accounts.push(account);
  return account;
};
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const account of accounts.splice(0)) await dropAccount(account);
});
const lease = async (account: string, extra: Partial<Parameters<typeof AccountLease.acquire>[0]> = {}): Promise<AccountLease> => {
  const held = await AccountLease.acquire({ connectionString: CONNECTION, account, logger: silentLogger, ...extra });
  cleanups.push(() => held.release());
  return held;
};

describe('AccountLease (a real PostgreSQL server)', () => {
  it('one holder per account: a second process gets a clear error naming the holder; another account is free', async () => {
    const account = fresh('one');
    const first = await lease(account, { holder: 'engine-a' });
    expect(first.held).toBe(true);
    const error = await lease(account, { holder: 'engine-b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountLeasedError);
    expect(isTradewireError(error) && error.code).toBe('account_leased');
    expect(String((error as Error).message)).toMatch(/driven by engine-a since/);
    const other = await lease(fresh('two'), { holder: 'engine-b' });
    expect(other.held).toBe(true);
  });

  it('a standby waits and takes over when the holder releases', async () => {
    const account = fresh('standby');
    const first = await lease(account, { holder: 'primary' });
    let standby: AccountLease | undefined;
    const waiting = lease(account, { holder: 'standby', wait: true, pollMs: 50 }).then((l) => (standby = l));
    await new Promise((r) => setTimeout(r, 200));
    expect(standby).toBeUndefined();
    await first.release();
    await waiting;
    expect(standby?.held).toBe(true);
    await expect(lease(account, { holder: 'third', wait: true, pollMs: 20, timeoutMs: 100 })).rejects.toThrow(/driven by standby/);
  });

  it('the holder hears when its connection is cut (onLost), so it can halt', async () => {
    const account = fresh('lost');
    const held = await lease(account, { holder: 'victim', heartbeatMs: 100 });
    const lost = new Promise<string>((r) => held.onLost(r));
    const admin = new pg.Client({ connectionString: CONNECTION });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(backend_pid) FROM tradewire.account_leases WHERE account = $1', [account]);
    await admin.end();
    expect(await lost).toMatch(/connection|heartbeat/);
    expect(held.held).toBe(false);
    // Its lock went with the connection: the account is free.
    expect((await lease(account, { holder: 'next' })).held).toBe(true);
  });

  it('SIGKILL of the lease holder: the standby takes over within seconds and recovers from the shared store', { timeout: 60_000 }, async () => {
    expect(existsSync(join(root, 'dist', 'postgres.js'))).toBe(true);
    const account = fresh('takeover');
    // The broker outlives both engines: the local Alpaca-compatible server in its own process.
    const brokerProc = fork(join(root, 'test', 'fault', 'alpaca-broker-process.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    cleanups.push(() => new Promise<void>((r) => (brokerProc.connected ? (brokerProc.once('exit', () => r()), brokerProc.send({ type: 'close' })) : r())));
    const urls = await new Promise<{ baseUrl: string; streamUrl: string }>((ok) => brokerProc.once('message', ok as never));
    for (const [symbol, price] of [['AAPL', '99.90'], ['MSFT', '100.10']] as const) brokerProc.send({ type: 'price', symbol, price });
    const signals = [
      { id: 'k-1', symbol: 'AAPL', side: 'buy', strength: 90, strategyId: 'lease' }, // fills (limit 100 ≥ 99.90)
      { id: 'k-2', symbol: 'MSFT', side: 'buy', strength: 90, strategyId: 'lease' }, // rests (limit 100 < 100.10)
    ];
    const child: ChildProcess = fork(join(root, 'test', 'postgres', 'lease-holder-child.mjs'), [CONNECTION, account, JSON.stringify(signals), JSON.stringify({ ...urls, keyId: FAKE_KEY, secret: FAKE_SECRET })], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    cleanups.push(() => void child.kill('SIGKILL'));
    const traded = await new Promise<{ decisions: string[] }>((ok, fail) => {
      child.once('message', ok as never);
      child.once('exit', (code) => fail(new Error(`lease holder exited (${code}):\n${stderr}`)));
    });
    expect(traded.decisions).toEqual(['executed', 'executed']);
    await expect(lease(account, { holder: 'impatient' })).rejects.toThrow(/driven by child:/);

    // The standby waits; the holder is killed.
    let acquiredAt = 0;
    const standby = lease(account, { holder: 'standby', wait: true, pollMs: 100 }).then((l) => ((acquiredAt = Date.now()), l));
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await standby;
    expect(acquiredAt - killedAt).toBeLessThan(5_000);

    // While nobody drives the account, the resting order fills at the broker.
    brokerProc.send({ type: 'price', symbol: 'MSFT', price: '99.80' });
    const journal = await PostgresJournal.open({ connectionString: CONNECTION, account, logger: silentLogger });
    cleanups.push(() => journal.end());
    const adapter = new AlpacaAdapter({ keyId: FAKE_KEY, secret: FAKE_SECRET, baseUrl: urls.baseUrl, streamUrl: urls.streamUrl, logger: silentLogger, reconnect: { initialMs: 20, maxMs: 50 } });
    const engine = new ExecutionEngine({ adapter, clock: systemClock(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, orderManagement: { orderTimeoutMs: null }, recovery: { reconcileIntervalMs: 0, onMismatch: 'halt' }, accountRefreshMs: 86_400_000 } });
    cleanups.push(() => engine.stop());
    await engine.start();
    const report = await engine.recover();
    expect(report.positionMismatches).toEqual([]);
    expect(report.changedWhileDown.map((c) => [c.to, c.filledWhileDown.toString()])).toEqual([['filled', '10']]);
    expect(['AAPL', 'MSFT'].map((s) => engine.positions.get(s)?.quantity.toString())).toEqual(['10', '10']);
    expect(engine.tradingState).toBe('ACTIVE');
    // The signals the dead process traded are remembered: replaying them trades nothing.
    for (const s of signals) expect((await engine.executeSignal({ ...s, side: 'buy', time: Date.now() })).kind).toBe('rejected');
  });
});
