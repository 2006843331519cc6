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
  journalRecordToJSON,
  type Logger,
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
  readonly json: string;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Rows per INSERT (9 parameters each, well under PostgreSQL's 65 535). */
const ROWS_PER_INSERT = 500;

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
  private closed = false;
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
    this.pending.push({ record, json: JSON.stringify(journalRecordToJSON(record)) });
    if (!this.flushScheduled && !this.flushing) {
      this.flushScheduled = true;
      // Rows appended in one synchronous run go out together, after it.
      queueMicrotask(this.flushLater);
    }
    return record;
  }

  /** Resolves once every record appended so far is committed; undefined when it already is. */
  sync(): Promise<void> | undefined {
    const target = this.index.lastSeq;
    if (this.committed >= target) return undefined;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, resolve, reject }));
    this.kick();
    return done;
  }

  query(filter?: JournalQuery): JournalRecord[] {
    return this.index.query(filter);
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
   * symbol, topic); unlike {@link query} it does not need the records in memory.
   */
  async history(filter: JournalQuery = {}): Promise<{ records: JournalRecord[]; nextAfterSeq?: number }> {
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

  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.kick();
  };

  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // Rows appended while the last INSERT ran, with someone waiting for them (or to write in the background).
      if (this.pending.length > 0) this.kick();
    });
  }

  /** Inserts every pending row, in sequence order, a batch per INSERT; settles the waiters they cover. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      // Everything pending goes in one transaction (an INSERT per 500 rows): a checkpoint, appended
      // in one synchronous call, is committed whole or not at all — never half a snapshot.
      const batch = this.pending.slice();
      try {
        await this.insertAll(batch);
      } catch (error) {
        // Nothing after a failed row may be committed first: reject everyone waiting; the rows stay
        // pending and go again with the next sync.
        this.logger.warn(`postgres journal ${this.account}: INSERT failed; ${this.pending.length} record(s) not yet committed`, { error: describeError(error) });
        const waiting = this.waiters;
        this.waiters = [];
        for (const waiter of waiting) waiter.reject(error);
        return;
      }
      this.pending = this.pending.slice(batch.length);
      this.committed = batch.at(-1)!.record.seq;
      const still: Waiter[] = [];
      for (const waiter of this.waiters) {
        if (waiter.seq <= this.committed) waiter.resolve();
        else still.push(waiter);
      }
      this.waiters = still;
    }
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

  private async insert(db: PgQueryable, batch: readonly PendingRow[]): Promise<void> {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const { record, json } of batch) {
      const base = values.length;
      values.push(
        this.account,
        record.seq,
        record.at,
        record.kind,
        'clientOrderId' in record ? (record.clientOrderId ?? null) : null,
        'symbol' in record ? (record.symbol ?? null) : null,
        'status' in record ? record.status : null,
        record.kind === 'note' ? record.topic : null,
        json,
      );
      tuples.push(`($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}, $${base + 9}::jsonb)`);
    }
    this.inserts++;
    await db.query(`INSERT INTO tradewire.journal (account, seq, at, kind, client_order_id, symbol, status, topic, record) VALUES ${tuples.join(', ')}`, values);
  }
}
