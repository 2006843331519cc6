import { type ChildProcess, fork } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Decimal } from 'tradewire';
import { AccountLease, AccountLeasedError, readDeskBook } from 'tradewire/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION, dropAccount, testAccount } from '../postgres/pg-test-kit.js';

const root = resolve(__dirname, '../..');
const accounts = [testAccount('desk-a'), testAccount('desk-b')];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const account of accounts) await dropAccount(account);
});

interface Report {
  readonly positions: { symbol: string; side: string; quantity: string; averageEntryPrice: string; strategyId?: string }[];
  readonly realized: string;
}

/** One account's process: it leases the account, trades, reports, and waits. */
function accountProcess(account: string, signals: unknown[], prices: Record<string, string>): Promise<{ child: ChildProcess; report: Report }> {
  const child = fork(join(__dirname, 'account-process.mjs'), [CONNECTION, account, JSON.stringify(signals), JSON.stringify(prices)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok, fail) => {
    child.once('message', (m: { type: string } & Report) => ok({ child, report: m }));
    child.once('exit', (code) => fail(new Error(`account process exited (${code}):\n${stderr}`)));
  });
}

describe('a desk over several processes, one PostgreSQL store', () => {
  it('each account is leased by its own process; the whole book is read from the shared store and agrees with every process', { timeout: 60_000 }, async () => {
    const sig = (id: string, symbol: string, side: 'buy' | 'sell', strategyId: string) => ({ id, symbol, side, strength: 90, strategyId });
    const [a, b] = await Promise.all([
      accountProcess(accounts[0]!, [sig('a1', 'AAPL', 'buy', 'trend'), sig('a2', 'MSFT', 'buy', 'trend'), sig('a3', 'MSFT', 'sell', 'trend')], { AAPL: '100', MSFT: '50' }),
      accountProcess(accounts[1]!, [sig('b1', 'AAPL', 'buy', 'revert'), sig('b2', 'NVDA', 'buy', 'revert')], { AAPL: '100', NVDA: '20' }),
    ]);
    // A second process cannot drive an account that is leased.
    await expect(AccountLease.acquire({ connectionString: CONNECTION, account: accounts[0]! })).rejects.toBeInstanceOf(AccountLeasedError);

    const prices: Record<string, string> = { AAPL: '101', MSFT: '50', NVDA: '21' };
    const book = await readDeskBook({ connectionString: CONNECTION, accounts, priceOf: (s) => (prices[s] ? new Decimal(prices[s]!) : undefined), brokerOf: (acc) => (acc === accounts[0] ? 'alpha' : 'beta') });
    // What each process holds, seen from outside.
    const fromStore = book.byAccount.map((l) => [l.key, l.positions]);
    expect(fromStore).toEqual([
      [accounts[0], a.report.positions.length],
      [accounts[1], b.report.positions.length],
    ]);
    expect(book.byAccount.map((l) => l.realizedPnl)).toEqual([a.report.realized, b.report.realized]);
    expect(book.positions).toBe(3); // AAPL on a, AAPL and NVDA on b
    expect(book.bySymbol.map((l) => [l.key, l.positions, l.exposure])).toEqual([
      ['AAPL', 2, '2020'],
      ['NVDA', 1, '210'],
    ]);
    expect(book.byStrategy.map((l) => [l.key, l.unrealizedPnl])).toEqual([
      ['revert', '20'], // AAPL +10, NVDA +10
      ['trend', '10'],
    ]);
    expect(book.byBroker.map((l) => l.key)).toEqual(['alpha', 'beta']);
    for (const child of [a.child, b.child]) child.send({ type: 'exit' });
    await Promise.all([a.child, b.child].map((c) => new Promise((ok) => c.once('exit', ok))));
    // The lease is free once its process is gone: a standby (or the next process) takes it.
    const taken = await AccountLease.acquire({ connectionString: CONNECTION, account: accounts[0]! });
    await taken.release();
  });
});
