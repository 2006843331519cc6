import {
  CHECKPOINT_TOPIC,
  consoleLogger,
  describeError,
  InMemoryJournal,
  type Journal,
  type JournalEntry,
  type JournalQuery,
  type JournalRecord,
  journalRecordFromJSON,
  type JournalRecordJSON,
  journalRecordText,
  JournalWriteError,
  type Logger,
  WriteFailures,
} from 'tradewire';
import { migrate } from './migrations.js';
import { loadPg } from './pg-loader.js';
import type { PgConnection, PgPoolLike, PgQueryable } from './pg-types.js';

export interface PostgresJournalOptions extends PgConnection {
  /** Your own pool (closed by you); default a pool of 4 on `connectionString`. */
  readonly pool?: PgPoolLike;
  /** The account this journal records (several accounts share one database, one journal each). */
  readonly account: string;
  readonly logger?: Logger;
}

/** One row waiting to be inserted. */
interface PendingRow {
  readonly record: JournalRecord;
  /** The row as {@link INSERT_ROWS} takes it, serialized once when appended. */
  readonly row: string;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Rows per INSERT; a transaction of several INSERTs beyond (a bounded statement each). One wave of 64
 * signals in flight is ≈ 520 rows (the last wave's fills and this wave's orders), so it fits one.
 */
const ROWS_PER_INSERT = 2_000;

/**
 * The journal in PostgreSQL, for hosts that run several engine processes or want the history in a
 * database: one row per record in `tradewire.journal`, keyed by account and sequence number.
 *
 * - **Group commit.** `append` is synchronous (it stamps the record and keeps it for queries); rows
 *   are inserted in batches, one multi-row INSERT per batch, in sequence order. `sync()` resolves
 *   when every record appended so far is committed — the lifecycle awaits it before an order is
 *   sent, and every order waiting shares the same INSERT. A failed INSERT rejects the waiting
 *   syncs (their orders are not sent) and the rows are tried again with the next batch.
 * - **Reads.** `open()` loads the account's records into memory, so `query()` (what recovery uses)
 *   stays synchronous; {@link history} queries the table itself (time range, symbol, order, topic,
 *   kind, status), a page at a time.
 * - **One writer per account.** Hold an {@link AccountLease} before opening: two processes writing
 *   one account would collide on `(account, seq)` — the primary key refuses the second, so nothing
 *   is overwritten, but the lease is what keeps it from happening.
 */
export class PostgresJournal implements Journal {
  readonly account: string;
  private index = new InMemoryJournal();
  private readonly pool: PgPoolLike;
  private readonly ownsPool: boolean;
  private readonly logger: Logger;
  private pending: PendingRow[] = [];
  private waiters: Waiter[] = [];
  private committed: number;
  private flushing: Promise<void> | undefined;
  private flushScheduled = false;
  private syncScheduled = false;
  private closed = false;
  /** Why the last INSERT failed, until one commits again (see {@link onWriteError}). */
  private readonly failures = new WriteFailures();
  /** INSERT statements issued (group commit makes this far smaller than the records). */
  inserts = 0;

  private constructor(pool: PgPoolLike, ownsPool: boolean, account: string, logger: Logger, records: readonly JournalRecord[]) {
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.account = account;
    this.logger = logger;
    for (const record of records) this.index.restore(record);
    this.committed = this.index.lastSeq;
  }

  /** Connects, brings the schema up to date and loads the account's records. */
  static async open(options: PostgresJournalOptions): Promise<PostgresJournal> {
    const logger = options.logger ?? consoleLogger();
    let pool = options.pool;
    if (!pool) {
      const pg = await loadPg();
      pool = new pg.Pool({ ...(options.connectionString ? { connectionString: options.connectionString } : {}), max: 4 });
    }
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    // From the last checkpoint on (the whole history when there is none): what a restart needs.
    const { rows } = await pool.query<{ record: JournalRecordJSON }>(
      `SELECT record FROM tradewire.journal WHERE account = $1
         AND seq >= COALESCE((SELECT max(seq) FROM tradewire.journal WHERE account = $1 AND topic = $2), 0)
       ORDER BY seq`,
      [options.account, CHECKPOINT_TOPIC],
    );
    const records = rows.map((r) => journalRecordFromJSON(r.record));
    return new PostgresJournal(pool, options.pool === undefined, options.account, logger, records);
  }

  append(entry: JournalEntry): JournalRecord {
    if (this.closed) throw new Error('journal is closed');
    const record = this.index.append(entry);
    this.pending.push({ record, row: rowJSON(record) });
    if (!this.flushScheduled && !this.flushing) this.flushInBackground();
    return record;
  }

  /** Resolves once every record appended so far is committed; undefined when it already is. */
  sync(): Promise<void> | undefined {
    const target = this.index.lastSeq;
    if (this.committed >= target) return undefined;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, resolve, reject }));
    if (!this.syncScheduled) {
      // Not at once: signals started together reach sync() one after another in the same run of
      // microtasks; the first one's INSERT would otherwise leave with its rows alone. Measured with 64
      // in flight: 2.5 INSERTs per wave (1 signal, the other 63, then the fills) before, 1 after.
      this.syncScheduled = true;
      queueMicrotask(this.syncNow);
    }
    return done;
  }

  query(filter?: JournalQuery): JournalRecord[] {
    return this.index.query(filter);
  }

  /** Why the journal cannot commit its records now (the last INSERT failed), or undefined. */
  get writeError(): JournalWriteError | undefined {
    return this.failures.current;
  }

  /**
   * See `Journal.onWriteError`: told when an INSERT fails (the server down, a lock timeout, …) with
   * a {@link JournalWriteError} whose cause is the driver's error — the rows wait in memory and go
   * with the next sync — and with undefined once one commits again.
   */
  onWriteError(listener: (failure: JournalWriteError | undefined) => void): () => void {
    return this.failures.subscribe(listener);
  }

  /** Records since the last checkpoint: what `open()` loads after a restart. */
  get sinceCheckpoint(): number {
    return this.index.size;
  }

  /**
   * A checkpoint (see `Journal.checkpoint`): a marker and `snapshot` appended like any records —
   * nothing is moved, the table keeps all history — and memory restarts from them; `open()` loads
   * from the last marker on, so a restart no longer reads the account's whole history.
   */
  checkpoint(snapshot: readonly JournalEntry[], at: number): void {
    if (this.closed) throw new Error('journal is closed');
    const records = [this.append({ kind: 'note', at, topic: CHECKPOINT_TOPIC, data: { records: snapshot.length } })];
    for (const entry of snapshot) records.push(this.append(entry));
    this.index = new InMemoryJournal();
    for (const record of records) this.index.restore(record);
  }

  get size(): number {
    return this.index.size;
  }

  /**
   * The history in the table, oldest first, `limit` records at a time (default 1 000): pass the
   * returned `nextAfterSeq` as `afterSeq` for the next page. Uses the table's indexes (by order, time,
   * symbol, topic); unlike {@link query} it does not need the records in memory. Records this journal
   * appended and has not committed yet are committed first, so a page reads every record appended
   * before the call (rejects, as {@link sync} does, when that INSERT fails).
   */
  async history(filter: JournalQuery = {}): Promise<{ records: JournalRecord[]; nextAfterSeq?: number }> {
    await this.sync();
    const where: string[] = ['account = $1'];
    const values: unknown[] = [this.account];
    const add = (sql: string, value: unknown): void => {
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq);
    if (filter.from !== undefined) add('at >= ?', filter.from);
    if (filter.to !== undefined) add('at <= ?', filter.to);
    if (filter.clientOrderId !== undefined) add('client_order_id = ?', filter.clientOrderId);
    if (filter.symbol !== undefined) add('symbol = ?', filter.symbol);
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.topic !== undefined) add('topic = ?', filter.topic);
    if (filter.kinds !== undefined) add('kind = ANY(?)', [...filter.kinds]);
    if (filter.brokerOrderId !== undefined) add("record->>'brokerOrderId' = ?", filter.brokerOrderId);
    const limit = filter.limit ?? 1_000;
    values.push(limit);
    const { rows } = await this.pool.query<{ record: JournalRecordJSON }>(`SELECT record FROM tradewire.journal WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${values.length}`, values);
    const records = rows.map((r) => journalRecordFromJSON(r.record));
    const last = records.at(-1);
    return records.length === limit && last ? { records, nextAfterSeq: last.seq } : { records };
  }

  /** Stops taking records; `end()` also waits for the last rows and closes the pool it opened. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.kick();
  }

  /** Commits what is pending, then closes the pool this journal opened (not one you passed in). */
  async end(): Promise<void> {
    this.closed = true;
    await this.sync();
    await this.flushing;
    if (this.ownsPool) await this.pool.end();
  }

  /**
   * Rows nobody waits for yet (an order's fill, its notes) go out once the promise chains running now
   * have settled (a macrotask later), not at once: by then the next order's rows and its `sync()`
   * have usually been appended too, and all share one INSERT. Measured with one signal at a time:
   * 2 INSERTs per signal before (the rows after a send, then the next order's), 1 after.
   */
  private flushInBackground(): void {
    this.flushScheduled = true;
    setImmediate(this.flushLater);
  }

  private readonly syncNow = (): void => {
    this.syncScheduled = false;
    this.kick();
  };

  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.kick();
  };

  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = this.flush().then((failed) => {
      this.flushing = undefined;
      // After a failed INSERT the rows wait for the next sync() or append, not a retry loop on a
      // server that is down (or a conflict that is still there).
      if (failed || this.pending.length === 0) return;
      // Rows appended while the last INSERT ran: at once if someone waits for them, else in the background.
      if (this.waiters.length > 0 || this.closed) this.kick();
      else if (!this.flushScheduled) this.flushInBackground();
    });
  }

  /**
   * Inserts every pending row, in sequence order, a batch per INSERT; settles the waiters they cover.
   * Resolves with true when an INSERT failed (the rows stay pending, the waiters are rejected).
   */
  private async flush(): Promise<boolean> {
    while (this.pending.length > 0) {
      // Everything pending goes in one transaction (an INSERT per ROWS_PER_INSERT rows): a checkpoint, appended
      // in one synchronous call, is committed whole or not at all — never half a snapshot.
      const batch = this.pending.slice();
      try {
        await this.insertAll(batch);
      } catch (error) {
        // Nothing after a failed row may be committed first: reject everyone waiting; the rows stay
        // pending and go again with the next sync.
        this.logger.warn(`postgres journal ${this.account}: INSERT failed; ${this.pending.length} record(s) not yet committed`, { error: describeError(error) });
        const failure = new JournalWriteError(`postgres:${this.account}`, 'write', this.pending.length, error);
        const waiting = this.waiters;
        this.waiters = [];
        for (const waiter of waiting) waiter.reject(failure);
        this.failures.fail(failure);
        return true;
      }
      this.pending = this.pending.slice(batch.length);
      this.committed = batch.at(-1)!.record.seq;
      this.failures.cleared();
      const still: Waiter[] = [];
      for (const waiter of this.waiters) {
        if (waiter.seq <= this.committed) waiter.resolve();
        else still.push(waiter);
      }
      this.waiters = still;
    }
    return false;
  }

  private async insertAll(batch: readonly PendingRow[]): Promise<void> {
    if (batch.length <= ROWS_PER_INSERT) return this.insert(this.pool, batch);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) await this.insert(client, batch.slice(i, i + ROWS_PER_INSERT));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * One INSERT of a batch, its rows as one JSON array expanded by `json_to_recordset`: a fixed
   * statement with two parameters, where a multi-row VALUES list took 9 parameters per row and a new
   * statement text for every batch size. Measured on 256 journal rows: ≈ 20% less time per INSERT,
   * ≈ 30% less client CPU; no worse on 8.
   */
  private async insert(db: PgQueryable, batch: readonly PendingRow[]): Promise<void> {
    this.inserts++;
    await db.query(INSERT_ROWS, [this.account, `[${batch.map((pending) => pending.row).join(',')}]`]);
  }
}

const INSERT_ROWS = `INSERT INTO tradewire.journal (account, seq, at, kind, client_order_id, symbol, status, topic, record)
  SELECT $1, seq, at, kind, client_order_id, symbol, status, topic, record
  FROM json_to_recordset($2::json) AS r(seq bigint, at bigint, kind text, client_order_id text, symbol text, status text, topic text, record json)`;

/** A record as one element of {@link INSERT_ROWS}'s array: its indexed columns and the record itself. */
function rowJSON(record: JournalRecord): string {
  const clientOrderId = 'clientOrderId' in record ? (record.clientOrderId ?? null) : null;
  const symbol = 'symbol' in record ? (record.symbol ?? null) : null;
  const status = 'status' in record ? record.status : null;
  const topic = record.kind === 'note' ? record.topic : null;
  return `{"seq":${record.seq},"at":${record.at},"kind":${JSON.stringify(record.kind)},"client_order_id":${JSON.stringify(clientOrderId)},"symbol":${JSON.stringify(symbol)},"status":${JSON.stringify(status)},"topic":${JSON.stringify(topic)},"record":${journalRecordText(record)}}`;
}
