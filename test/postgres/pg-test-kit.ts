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
