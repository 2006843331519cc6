import type { PgQueryable } from './pg-types.js';

/**
 * The schema, as ordered migrations: each runs once, in a transaction, recorded in
 * `tradewire.schema_migrations`. Never edit a shipped migration; add the next one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'journal and account leases',
    sql: `
      CREATE TABLE tradewire.journal (
        account          text   NOT NULL,
        seq              bigint NOT NULL,
        at               bigint NOT NULL,
        kind             text   NOT NULL,
        client_order_id  text,
        symbol           text,
        status           text,
        topic            text,
        record           jsonb  NOT NULL,
        PRIMARY KEY (account, seq)
      );
      CREATE INDEX journal_by_order  ON tradewire.journal (account, client_order_id) WHERE client_order_id IS NOT NULL;
      CREATE INDEX journal_by_time   ON tradewire.journal (account, at);
      CREATE INDEX journal_by_symbol ON tradewire.journal (account, symbol, at);
      CREATE INDEX journal_by_topic  ON tradewire.journal (account, topic) WHERE topic IS NOT NULL;
      CREATE TABLE tradewire.account_leases (
        account      text        PRIMARY KEY,
        holder       text        NOT NULL,
        backend_pid  integer     NOT NULL,
        acquired_at  timestamptz NOT NULL,
        renewed_at   timestamptz NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'journal records as json text',
    // The record as the text the journal wrote, not jsonb: nothing queries inside it but one key
    // (`record->>'brokerOrderId'`, which json answers too), and converting each record to jsonb was
    // most of an INSERT's time (bench: a 512-row INSERT 18.4 → 12.5 ms). Reads get the text back
    // as written, without jsonb's conversion to text. Rewrites the table once.
    sql: `ALTER TABLE tradewire.journal ALTER COLUMN record TYPE json USING record::json;`,
  },
];

/** Any fixed number: the transaction-scoped advisory lock that keeps two migrators from racing. */
const MIGRATION_LOCK = 7_214_771;

/**
 * Brings the `tradewire` schema up to date, on one connection (a `pg.Client`, or a client checked out
 * of a pool). Safe to call from several processes at once (they take turns on an advisory lock);
 * returns the versions it applied.
 */
export async function migrate(db: PgQueryable): Promise<number[]> {
  const applied: number[] = [];
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await db.query('CREATE SCHEMA IF NOT EXISTS tradewire');
    await db.query('CREATE TABLE IF NOT EXISTS tradewire.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await db.query<{ version: number }>('SELECT version FROM tradewire.schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await db.query(migration.sql);
      await db.query('INSERT INTO tradewire.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return applied;
}
