import { Decimal, ExecutionEngine, type JournalEntry, ManualClock, type Signal, silentLogger } from 'tradewire';
import { PostgresJournal } from 'tradewire/postgres';
import { MockBroker, sequentialIds } from 'tradewire/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fill, newOrder } from '../helpers.js';
import { CONNECTION, dropAccount, testAccount } from './pg-test-kit.js';

const accounts: string[] = [];
const open = async (account: string): Promise<PostgresJournal> => PostgresJournal.open({ connectionString: CONNECTION, account, logger: silentLogger });
const fresh = (label: string): string => {
  const account = testAccount(label);
  accounts.push(account);
  return account;
};
afterEach(async () => {
  for (const account of accounts.splice(0)) await dropAccount(account);
});

/** An engine on `journal` and a mock broker: 10 shares a signal, no periodic reconciliation. */
const engineOn = async (journal: PostgresJournal): Promise<{ engine: ExecutionEngine; broker: MockBroker; clock: ManualClock }> => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
  const broker = new MockBroker({ clock });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, maxPositions: 100, recovery: { reconcileIntervalMs: 0 } } });
  await engine.start();
  return { engine, broker, clock };
};

const entries = (): JournalEntry[] => {
  const order = newOrder({ type: 'limit', limitPrice: '10.05' });
  return [
    { kind: 'order.created', at: 1, clientOrderId: order.clientOrderId, symbol: 'AAPL', status: 'created', order },
    { kind: 'order.event', at: 2, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'accepted', status: 'partially_filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 2, fill: fill('e1', 40, '10.05') } },
    { kind: 'note', at: 3, topic: 'engine.trading_state', data: { state: 'HALTED' } },
  ];
};

describe('PostgresJournal (a real PostgreSQL server)', () => {
  it('commits every record, reads them back after a reopen with decimals intact, sequence continuing', async () => {
    const account = fresh('roundtrip');
    const journal = await open(account);
    for (const e of entries()) journal.append(e);
    await journal.sync();
    await journal.end();

    const reopened = await open(account);
    expect(reopened.size).toBe(3);
    const [created, filled] = reopened.query({ clientOrderId: 'c-1' });
    expect(created?.kind === 'order.created' && created.order.limitPrice).toBeInstanceOf(Decimal);
    expect(filled?.kind === 'order.event' && filled.event.type === 'filled' && filled.event.fill.price.toString()).toBe('10.05');
    expect(reopened.query({ topic: 'engine.trading_state' })).toHaveLength(1);
    expect(reopened.append({ kind: 'note', at: 4, topic: 'after' }).seq).toBe(4);
    await reopened.end();
  });

  it('group commit: 64 orders asking for durability at once share a handful of INSERTs; nothing is committed twice', async () => {
    const account = fresh('group');
    const journal = await open(account);
    const syncs: Promise<void>[] = [];
    for (let i = 0; i < 64; i++) {
      for (const e of entries()) journal.append({ ...e });
      syncs.push(journal.sync()!);
    }
    await Promise.all(syncs);
    expect(journal.inserts).toBe(1); // the first sync() waits for the others of the same run
    expect(journal.sync()).toBeUndefined();
    const client = new pg.Client({ connectionString: CONNECTION });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d FROM tradewire.journal WHERE account = $1', [account]);
    await client.end();
    expect(rows[0]).toEqual({ n: 192, d: 192 });
    await journal.end();
  });

  it('signals in flight together, through the engine: one INSERT per wave — its orders and the last wave\'s fills', async () => {
    const journal = await open(fresh('waves'));
    const { engine, broker, clock } = await engineOn(journal);
    const symbols = Array.from({ length: 16 }, (_, k) => `W${k}`);
    for (const symbol of symbols) {
      broker.setPrice(symbol, '50');
      engine.updatePrice(symbol, '50');
    }
    await journal.sync();
    const before = journal.inserts;
    for (let wave = 0; wave < 4; wave++) {
      const side = wave % 2 ? 'sell' : 'buy';
      const results = await Promise.all(symbols.map((symbol) => engine.executeSignal({ id: `w${wave}-${symbol}`, symbol, side, strength: 90, time: clock.now(), strategyId: 'pg' })));
      expect(results.map((r) => (r.kind === 'rejected' ? r.reasons.map((x) => x.code).join() : r.kind))).toEqual(symbols.map(() => 'executed'));
    }
    // It was 2.5 per wave: the first signal's INSERT left alone, then the other fifteen, then the fills.
    expect(journal.inserts - before).toBe(4);
    expect(broker.orderReports()).toHaveLength(64);
    await journal.sync();
    await engine.stop();
    await journal.end();
  });

  it('one signal at a time: one INSERT per order — the rows after a send ride with the next order', async () => {
    const account = fresh('one-at-a-time');
    const journal = await open(account);
    const { engine, broker, clock } = await engineOn(journal);
    broker.setPrice('AAPL', '100');
    engine.updatePrice('AAPL', '100');
    const before = journal.inserts;
    for (let i = 0; i < 20; i++) await engine.executeSignal({ id: `one-${i}`, symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: 'pg' });
    // Each order's sync carries the previous order's fill and notes (it was 2 per order: those rows went alone).
    expect(journal.inserts - before).toBeLessThanOrEqual(21);
    expect(broker.orderReports()).toHaveLength(20);

    // Rows nobody waits for are still committed, in the background, without a sync.
    const client = new pg.Client({ connectionString: CONNECTION });
    await client.connect();
    const count = async (): Promise<number> => (await client.query('SELECT count(*)::int AS n FROM tradewire.journal WHERE account = $1', [account])).rows[0].n;
    let committed = await count();
    for (let round = 0; round < 100 && committed < journal.size; round++) committed = await count();
    expect(committed).toBe(journal.size);
    await client.end();
    await engine.stop();
    await journal.end();
  });

  it('history(): the table answers by time range, symbol, order and topic, a page at a time', async () => {
    const account = fresh('history');
    const journal = await open(account);
    for (let i = 0; i < 25; i++) journal.append({ kind: 'note', at: 1_000 + i, topic: i % 5 === 0 ? 'five' : 'other', symbol: i % 2 ? 'AAPL' : 'MSFT', clientOrderId: `o-${i}`, data: { i } });
    await journal.sync();
    expect((await journal.history({ from: 1_010, to: 1_012 })).records.map((r) => r.at)).toEqual([1_010, 1_011, 1_012]);
    expect((await journal.history({ topic: 'five' })).records.map((r) => r.at)).toEqual([1_000, 1_005, 1_010, 1_015, 1_020]);
    expect((await journal.history({ clientOrderId: 'o-7' })).records.map((r) => r.seq)).toEqual([8]);
    const first = await journal.history({ symbol: 'AAPL', limit: 5 });
    expect(first.records).toHaveLength(5);
    const second = await journal.history({ symbol: 'AAPL', limit: 5, afterSeq: first.nextAfterSeq! });
    expect(second.records[0]!.seq).toBeGreaterThan(first.records[4]!.seq);
    expect([...first.records, ...second.records].every((r) => r.kind === 'note' && r.symbol === 'AAPL')).toBe(true);
    await journal.end();
  });

  it('a failed INSERT rejects the waiting sync (the order is not sent) and the rows go again with the next', async () => {
    const account = fresh('failure');
    const journal = await open(account);
    // Another writer took seq 1 for this account (what a lease prevents): the primary key refuses ours.
    const client = new pg.Client({ connectionString: CONNECTION });
    await client.connect();
    await client.query(`INSERT INTO tradewire.journal (account, seq, at, kind, record) VALUES ($1, 1, 0, 'note', '{}')`, [account]);
    journal.append({ kind: 'note', at: 1, topic: 'mine' });
    await expect(journal.sync()).rejects.toThrow(/duplicate key/);
    // No retry loop against the conflict: the rows wait for the next sync.
    const tried = journal.inserts;
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(journal.inserts).toBe(tried);
    await client.query('DELETE FROM tradewire.journal WHERE account = $1', [account]);
    await client.end();
    await journal.sync();
    expect((await journal.history()).records.map((r) => r.kind === 'note' && r.topic)).toEqual(['mine']);
    await journal.end();
  });

  it('a checkpoint larger than one INSERT is committed whole or not at all', async () => {
    const account = fresh('atomic');
    const journal = await open(account);
    journal.append({ kind: 'note', at: 1, topic: 'before' });
    await journal.sync();
    const client = new pg.Client({ connectionString: CONNECTION });
    await client.connect();
    // Another row already holds a sequence number deep inside the snapshot: its second INSERT fails.
    await client.query(`INSERT INTO tradewire.journal (account, seq, at, kind, record) VALUES ($1, 3700, 0, 'note', '{}')`, [account]);
    const snapshot = Array.from({ length: 4_200 }, (_, i) => ({ kind: 'note' as const, at: 2, topic: 'snap', data: { i } }));
    journal.checkpoint(snapshot, 2);
    await expect(journal.sync()).rejects.toThrow(/duplicate key/);
    const partial = await client.query('SELECT count(*)::int AS n FROM tradewire.journal WHERE account = $1 AND seq > 1 AND seq <> 3700', [account]);
    expect(partial.rows[0].n).toBe(0); // nothing of the checkpoint landed
    await client.query('DELETE FROM tradewire.journal WHERE account = $1 AND seq = 3700', [account]);
    await client.end();
    await journal.sync();
    await journal.end();
    const reopened = await open(account);
    expect(reopened.size).toBe(4_201); // the marker and the whole snapshot
    await reopened.end();
  });

  it('checkpoints: open() loads from the last checkpoint on; the table keeps all history; an engine recovers from it', async () => {
    const account = fresh('checkpoint');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const config = { sizing: { method: 'fixed_quantity' as const, quantity: 10 }, recovery: { reconcileIntervalMs: 0, checkpointEveryRecords: 0 } };
    const journal = await open(account);
    const first = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config });
    await first.start();
    first.updatePrice('AAPL', '100');
    for (let i = 0; i < 6; i++) await first.executeSignal({ id: `cp-${i}`, symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: 'pg' });
    await first.executeSignal({ id: 'cp-last', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'pg' });
    expect(first.checkpoint()).toBe(true);
    await journal.sync();
    const total = (await journal.history({ limit: 10_000 })).records.length;
    await first.stop();
    await journal.end();

    const reopened = await open(account);
    expect(reopened.size).toBeLessThan(total);
    expect(reopened.query()[0]).toMatchObject({ kind: 'note', topic: 'journal.checkpoint' });
    const second = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(1_000), logger: silentLogger, journal: reopened, config });
    await second.start();
    const report = await second.recover();
    expect(report.positionMismatches).toEqual([]);
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(second.decisionFor('cp-0')?.kind).toBe('executed');
    expect((await reopened.history({ limit: 10_000 })).records.length).toBeGreaterThan(total); // nothing was deleted
    await second.stop();
    await reopened.end();
  });

  it('an engine on it: orders journaled before they are sent, and a restarted engine recovers from the table', async () => {
    const account = fresh('engine');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const signal = (id: string, side: 'buy' | 'sell'): Signal => ({ id, symbol: 'AAPL', side, strength: 90, time: clock.now(), strategyId: 'pg' });
    const config = { sizing: { method: 'fixed_quantity' as const, quantity: 10 }, recovery: { reconcileIntervalMs: 0 } };
    const journal = await open(account);
    const first = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config });
    await first.start();
    first.updatePrice('AAPL', '100');
    const decision = await first.executeSignal(signal('s-1', 'buy'));
    expect(decision.kind).toBe('executed');
    await first.stop(); // the process dies; its records are in the table

    const reopened = await open(account);
    const second = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(1_000), logger: silentLogger, journal: reopened, config });
    await second.start();
    const report = await second.recover();
    expect(report.ordersFoundAtBroker).toHaveLength(0); // it ended (filled) before the restart
    expect(second.positions.get('AAPL')?.quantity.toString()).toBe('10');
    expect(second.decisionFor('s-1')?.kind).toBe('executed');
    expect(await second.executeSignal(signal('s-1', 'buy'))).toMatchObject({ kind: 'rejected', reasons: [{ code: 'duplicate_signal' }] });
    await journal.end();
    await reopened.end();
  });
});
