import { randomBytes } from 'node:crypto';

/**
 * Makes identifiers. Client order ids come from here: they are the idempotency key sent to
 * the broker, so they must be unique per account and stable across retries (the caller keeps
 * the id it got; a retry never asks for a new one).
 */
export interface IdGenerator {
  /** A new id, beginning with `prefix` when one is given. At most 48 characters (Alpaca's limit). */
  next(prefix?: string): string;
}

/**
 * The default: time-ordered and unique without paying for randomness per id — `tw-` + base36 time
 * + a random prefix drawn once per generator (12 hex characters: two processes never share it in
 * practice) + a base36 counter. Short enough for every supported broker's client order id field.
 */
export function randomIds(now: () => number = Date.now): IdGenerator {
  const process = randomBytes(6).toString('hex');
  let counter = 0;
  return {
    next(prefix = 'tw') {
      return `${prefix}-${now().toString(36)}-${process}${(counter++).toString(36)}`;
    },
  };
}

/** Deterministic ids (`prefix-1`, `prefix-2`, …) for tests, demos and replays. */
export function sequentialIds(start = 1): IdGenerator {
  // One counter per prefix: orders read tw-1, tw-2, tw-3 even when positions (pos-1, …) take ids
  // in between, so no order looks missing.
  const counters = new Map<string, number>();
  return {
    next(prefix = 'id') {
      const n = counters.get(prefix) ?? start;
      counters.set(prefix, n + 1);
      return `${prefix}-${n}`;
    },
  };
}
