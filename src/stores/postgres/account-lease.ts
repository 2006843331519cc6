import { type Clock, consoleLogger, describeError, type Logger, systemClock, TradewireError } from 'tradewire';
import { migrate } from './migrations.js';
import { loadPg } from './pg-loader.js';
import type { PgClientLike, PgConnection } from './pg-types.js';

export interface AccountLeaseOptions extends PgConnection {
  /** The account to drive (the same name the journal uses). */
  readonly account: string;
  /** Who holds it, for the error another process gets (default `host:pid`). */
  readonly holder?: string;
  /**
   * When another process holds the lease: `false` (default) — fail at once with
   * {@link AccountLeasedError}; `true` — wait as a standby, trying every `pollMs`, and take over
   * when the holder's connection ends (a crash, a kill, a lost network).
   */
  readonly wait?: boolean;
  /** How often a standby tries (default 500 ms). */
  readonly pollMs?: number;
  /** Give up waiting after this long (default: wait for ever). */
  readonly timeoutMs?: number;
  /** How often the holder checks its connection is alive (default 5 000 ms). */
  readonly heartbeatMs?: number;
  /** Makes the dedicated connection (default a `pg.Client` on `connectionString`). */
  readonly client?: () => PgClientLike;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Another process drives this account. */
export class AccountLeasedError extends TradewireError {
  override readonly name = 'AccountLeasedError';

  constructor(
    readonly account: string,
    readonly holder: string | undefined,
    readonly since: Date | undefined,
  ) {
    super('account_leased', `account ${account} is driven by ${holder ?? 'another process'}${since ? ` since ${since.toISOString()}` : ''}`);
  }
}

/** The advisory-lock namespace of account leases (the account's hash is the other key). */
const LEASE_NAMESPACE = 1_953_654_017;

/**
 * One process per account. The lease is a PostgreSQL **session** advisory lock held on a dedicated
 * connection: it is released the moment that connection ends — `release()`, a clean exit, or a
 * killed process whose socket the server sees close — so a standby waiting on the same account
 * takes over within its poll interval and recovers from the shared journal. The holder's identity
 * is kept in `tradewire.account_leases` for the error others get.
 *
 * The holder watches its connection (an error, its end, or a failed heartbeat): call
 * {@link onLost} to halt trading when the lease can no longer be vouched for.
 */
export class AccountLease {
  readonly account: string;
  readonly holder: string;
  private readonly client: PgClientLike;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lostListeners = new Set<(reason: string) => void>();
  private heartbeat: unknown;
  private released = false;
  private lost: string | undefined;

  private constructor(client: PgClientLike, account: string, holder: string, options: AccountLeaseOptions) {
    this.client = client;
    this.account = account;
    this.holder = holder;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    client.on('error', (error) => this.loseIt(`connection error: ${describeError(error)}`));
    client.on('end', () => this.loseIt('connection ended'));
    this.scheduleHeartbeat(options.heartbeatMs ?? 5_000);
  }

  /**
   * Takes the account's lease. Throws {@link AccountLeasedError} when another process holds it
   * (or, with `wait`, keeps trying until it is free or `timeoutMs` passes).
   */
  static async acquire(options: AccountLeaseOptions): Promise<AccountLease> {
    const clock = options.clock ?? systemClock();
    const holder = options.holder ?? `${(await import('node:os')).hostname()}:${process.pid}`;
    const client = options.client ? options.client() : new (await loadPg()).Client(options.connectionString ? { connectionString: options.connectionString } : {});
    await client.connect();
    try {
      await migrate(client);
      const started = clock.now();
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [LEASE_NAMESPACE, options.account]);
        if (rows[0]?.locked) break;
        if (!options.wait || (options.timeoutMs !== undefined && clock.now() - started >= options.timeoutMs)) {
          const info = await client.query<{ holder: string; acquired_at: Date }>('SELECT holder, acquired_at FROM tradewire.account_leases WHERE account = $1', [options.account]);
          throw new AccountLeasedError(options.account, info.rows[0]?.holder, info.rows[0]?.acquired_at);
        }
        await new Promise<void>((resolve) => clock.setTimeout(resolve, options.pollMs ?? 500, { keepAlive: true }));
      }
      await client.query(
        `INSERT INTO tradewire.account_leases (account, holder, backend_pid, acquired_at, renewed_at) VALUES ($1, $2, pg_backend_pid(), now(), now())
         ON CONFLICT (account) DO UPDATE SET holder = EXCLUDED.holder, backend_pid = EXCLUDED.backend_pid, acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at`,
        [options.account, holder],
      );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new AccountLease(client, options.account, holder, options);
  }

  /** True until released or lost. */
  get held(): boolean {
    return !this.released && this.lost === undefined;
  }

  /** Called once if the lease can no longer be vouched for (the connection failed): stop trading. */
  onLost(listener: (reason: string) => void): () => void {
    if (this.lost !== undefined) listener(this.lost);
    else this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Gives the account up (the lock goes with the connection). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.heartbeat !== undefined) this.clock.clearTimeout(this.heartbeat as never);
    await this.client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEASE_NAMESPACE, this.account]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }

  private scheduleHeartbeat(ms: number): void {
    if (ms <= 0) return;
    this.heartbeat = this.clock.setTimeout(() => {
      if (!this.held) return;
      this.client
        .query('UPDATE tradewire.account_leases SET renewed_at = now() WHERE account = $1 AND backend_pid = pg_backend_pid()', [this.account])
        .then(() => this.scheduleHeartbeat(ms))
        .catch((error: unknown) => this.loseIt(`heartbeat failed: ${describeError(error)}`));
    }, ms);
    // A lease's heartbeat alone must not keep a finished process alive.
    (this.heartbeat as { unref?: () => void } | undefined)?.unref?.();
  }

  private loseIt(reason: string): void {
    if (this.released || this.lost !== undefined) return;
    this.lost = reason;
    this.logger.error(`account lease for ${this.account} lost: ${reason}`);
    for (const listener of this.lostListeners) listener(reason);
    this.lostListeners.clear();
  }
}
