import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalRecordText, type JournalRecord, silentLogger } from 'tradewire';
import { MIGRATIONS, PostgresJournal } from 'tradewire/postgres';
import { ownDatabase, withClient } from './pg-test-kit.js';

/**
 * The schema's migrations on a database of their own (created and dropped here): one installed at
 * version 1 — records stored as jsonb — is brought to the current schema by the next `open()`,
 * keeping its records; the journal writes and reads them as json text from then on.
 */
const db = ownDatabase('tw_migrate');
const own = db.url();
beforeAll(db.create);
afterAll(db.drop);

describe('PostgreSQL schema migrations', () => {
  it('a store installed at version 1 (records as jsonb) migrates to the current schema on open, keeping every record', async () => {
    const note = { kind: 'note', at: 1_700_000_000_000, topic: 'test.note', data: { price: '101.50', text: 'kept' }, seq: 1 } as JournalRecord;
    // Version 1, as an earlier tradewire left it, with a record in it.
    await withClient(async (c) => {
      await c.query('CREATE SCHEMA tradewire');
      await c.query('CREATE TABLE tradewire.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      await c.query(MIGRATIONS[0]!.sql);
      await c.query('INSERT INTO tradewire.schema_migrations (version, name) VALUES (1, $1)', [MIGRATIONS[0]!.name]);
      await c.query("INSERT INTO tradewire.journal (account, seq, at, kind, topic, record) VALUES ('acct', 1, $1, 'note', 'test.note', $2::jsonb)", [note.at, journalRecordText(note)]);
    }, own);
    const journal = await PostgresJournal.open({ connectionString: own, account: 'acct', logger: silentLogger });
    expect(journal.query()).toEqual([note]);
    journal.append({ kind: 'note', at: note.at + 1, topic: 'test.note', data: { price: '1.10' } });
    await journal.end();
    const { versions, type } = await withClient(async (c) => ({
      versions: (await c.query<{ version: number }>('SELECT version FROM tradewire.schema_migrations ORDER BY version')).rows.map((r) => r.version),
      type: (await c.query<{ data_type: string }>("SELECT data_type FROM information_schema.columns WHERE table_schema = 'tradewire' AND table_name = 'journal' AND column_name = 'record'")).rows[0]?.data_type,
    }), own);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(type).toBe('json');
    // Read back as written: decimals as strings, the record as the journal's own text.
    const reopened = await PostgresJournal.open({ connectionString: own, account: 'acct', logger: silentLogger });
    expect(reopened.query().map((r) => (r.kind === 'note' ? r.data : undefined))).toEqual([{ price: '101.50', text: 'kept' }, { price: '1.10' }]);
    const page = await reopened.history({ topic: 'test.note' });
    expect(page.records.map((r) => r.seq)).toEqual([1, 2]);
    // The one key queried inside the record, answered by json as it was by jsonb.
    reopened.append({ kind: 'order.event', at: note.at + 2, clientOrderId: 'c-1', symbol: 'AAPL', from: 'submitted', status: 'accepted', outcome: 'applied', eventType: 'accepted', event: { type: 'accepted', at: note.at + 2, brokerOrderId: 'b-77' }, brokerOrderId: 'b-77' } as never);
    expect((await reopened.history({ brokerOrderId: 'b-77' })).records.map((r) => r.seq)).toEqual([3]);
    await reopened.end();
  });
});
