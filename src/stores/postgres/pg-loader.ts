import { ConfigurationError, describeError } from 'tradewire';
import type { PgClientLike, PgPoolLike } from './pg-types.js';

interface PgModule {
  Pool: new (options: { connectionString?: string; max?: number }) => PgPoolLike;
  Client: new (options: { connectionString?: string }) => PgClientLike;
}

/** Loads the optional peer `pg` on first use, with a clear error when it is not installed. */
export async function loadPg(): Promise<PgModule> {
  try {
    const module = (await import('pg')) as unknown as { default?: PgModule } & PgModule;
    return module.default ?? module;
  } catch (error) {
    throw new ConfigurationError([{ field: 'pg', message: `must be installed to use tradewire/postgres (npm install pg): ${describeError(error)}` }]);
  }
}
