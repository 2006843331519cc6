/**
 * The slice of node-postgres (`pg`) that tradewire/postgres uses, as structural types: the package's
 * declarations do not depend on `@types/pg`, and any compatible client (a `pg.Pool`, a `pg.Client`)
 * can be passed in.
 */
export interface PgResult<Row = Record<string, unknown>> {
  readonly rows: Row[];
  readonly rowCount: number | null;
}

export interface PgQueryable {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<Row>>;
}

/** A `pg.Pool`: queries on any of its connections, or one connection checked out (for a transaction). */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgQueryable & { release(): void }>;
  end(): Promise<void>;
}

/** One dedicated connection (a `pg.Client`): session advisory locks live and die with it. */
export interface PgClientLike extends PgQueryable {
  connect(): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
}

/** Where to connect: a connection string, or a pool/client factory you configure yourself. */
export interface PgConnection {
  /** e.g. `postgres://user@127.0.0.1:5432/trading`. Used when no `pool` / `client` is given. */
  readonly connectionString?: string;
}
