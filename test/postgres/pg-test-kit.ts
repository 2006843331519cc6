import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The CI machine's PostgreSQL (trust auth, database `test`); `.ci/run` starts it if it is down. */
export const CONNECTION = process.env.TRADEWIRE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh account name per test, so tests never see each other's rows. */
export function testAccount(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes a test account's rows. */
export async function dropAccount(account: string): Promise<void> {
  const client = new pg.Client({ connectionString: CONNECTION });
  await client.connect();
  try {
    await client.query('DELETE FROM tradewire.journal WHERE account = $1', [account]);
    await client.query('DELETE FROM tradewire.account_leases WHERE account = $1', [account]);
  } catch {
    /* the schema may not exist yet */
  } finally {
    await client.end();
  }
}

/** Runs `work` on a client of its own, connected to `connectionString` (the shared test database by default), then closes it. */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>, connectionString = CONNECTION): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of the test's own, for what must not touch the shared `tradewire` schema (a schema at
 * an older version, a table held locked): `create()` in `beforeAll`, `drop()` in `afterAll`;
 * `url(params)` connects to it (`params`: a query string such as `?options=…`).
 */
export function ownDatabase(prefix: string): { readonly url: (params?: string) => string; readonly create: () => Promise<unknown>; readonly drop: () => Promise<unknown> } {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  const url = (params = ''): string => {
    const u = new URL(CONNECTION);
    u.pathname = `/${name}`;
    u.search = params;
    return u.toString();
  };
  return { url, create: () => withClient((c) => c.query(`CREATE DATABASE ${name}`)), drop: () => withClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}
