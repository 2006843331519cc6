/**
 * `tradewire/postgres` — PostgreSQL as the store, for hosts that run several engine processes or
 * want the journal in a database: {@link PostgresJournal} (group-committed, queryable history) and
 * {@link AccountLease} (one process per account; a standby takes over when the holder dies), and
 * {@link readDeskBook} (the whole book of a desk spread over several processes, from the store).
 * Needs the optional peer `pg` (node-postgres).
 *
 * @example
 * const lease = await AccountLease.acquire({ connectionString, account: 'alpaca-live', wait: true });
 * const journal = await PostgresJournal.open({ connectionString, account: 'alpaca-live' });
 * const engine = new ExecutionEngine({ adapter, journal });
 * lease.onLost((reason) => void engine.halt(`account lease lost: ${reason}`));
 * await engine.start();
 * await engine.recover();
 *
 * @module tradewire/postgres
 */
export { AccountLease, AccountLeasedError, type AccountLeaseOptions } from './account-lease.js';
export { migrate, MIGRATIONS } from './migrations.js';
export type { PgClientLike, PgConnection, PgPoolLike, PgQueryable, PgResult } from './pg-types.js';
export { PostgresJournal, type PostgresJournalOptions } from './postgres-journal.js';
export { readDeskBook, type SharedBookOptions } from './desk-book.js';
