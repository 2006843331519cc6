import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertPayload, alwaysOpenMarket, ExecutionEngine, JournalWriteError, silentLogger } from 'tradewire';
import { PostgresJournal } from 'tradewire/postgres';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { ownDatabase } from './pg-test-kit.js';

/**
 * The PostgreSQL journal when the server refuses its INSERTs: another session holds the journal
 * table locked, and the journal's connections give up after 300 ms (`lock_timeout`) — a real
 * server error, on a database of its own (created and dropped here) so no other test waits on the lock.
 */
const db = ownDatabase('tw_refuse');
beforeAll(db.create);
afterAll(db.drop);

describe('PostgreSQL journal: the server refuses the records', () => {
  it('the order waiting on them fails unsent with a JournalWriteError, new orders halt; once the table is free the rows kept in memory commit and the engine hears it', async () => {
    const journal = await PostgresJournal.open({ connectionString: db.url('?options=-c%20lock_timeout%3D300'), account: 'acct', logger: silentLogger });
    const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
    const broker = new MockBroker({ clock, initialCash: 1_000_000 });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 10 } });
    const alerts: AlertPayload[] = [];
    const told: (JournalWriteError | undefined)[] = [];
    engine.on('alert', (a) => alerts.push(a));
    journal.onWriteError((failure) => told.push(failure));
    for (const s of ['AAPL', 'MSFT', 'NVDA']) {
      broker.setPrice(s, '100');
      engine.updatePrice(s, '100');
    }
    await engine.start();
    let n = 0;
    const buy = (symbol: string) => engine.executeSignal({ id: `s${++n}`, symbol, side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    expect((await buy('AAPL')).kind).toBe('executed');
    const sent = broker.requests.filter((r) => r.method === 'submitOrder').length;

    const locker = new pg.Client({ connectionString: db.url() });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE tradewire.journal IN ACCESS EXCLUSIVE MODE');
    const refused = await buy('MSFT');
    expect(refused.kind === 'executed' && refused.order.status).toBe('failed');
    expect(refused.kind === 'executed' && refused.order.errorMessage).toMatch(/journal postgres:acct: cannot write \(55P03: canceling statement due to lock timeout\)/);
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(sent);
    expect(journal.writeError).toBeInstanceOf(JournalWriteError);
    expect(journal.writeError).toMatchObject({ code: 'journal_write_failed', operation: 'write', fatal: false });
    expect(told).toEqual([journal.writeError]);
    expect(alerts.some((a) => a.code === 'journal_write_failed' && a.severity === 'critical')).toBe(true);
    expect(engine.tradingState).toBe('HALTED');
    expect((await buy('NVDA')).kind).toBe('rejected');

    await locker.query('COMMIT');
    await locker.end();
    await journal.sync();
    expect(told).toEqual([expect.any(JournalWriteError), undefined]);
    expect(alerts.at(-1)).toMatchObject({ severity: 'info', code: 'journal_write_recovered' });
    engine.resume();
    expect((await buy('NVDA')).kind).toBe('executed');
    await engine.stop();
    await journal.end();

    // Every record committed, the failed order's end among them, in sequence.
    const reopened = await PostgresJournal.open({ connectionString: db.url(), account: 'acct', logger: silentLogger });
    const records = reopened.query();
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const failedId = refused.kind === 'executed' ? refused.order.clientOrderId : '';
    expect(reopened.query({ clientOrderId: failedId, kinds: ['order.event'] }).at(-1)).toMatchObject({ status: 'failed' });
    await reopened.end();
  });
});
