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
 * The default: a time-ordered, collision-resistant id (`tw-` + base36 time + 12 random hex
 * characters), short enough for every supported broker's client order id field.
 */
export function randomIds(now: () => number = Date.now): IdGenerator {
  return {
    next(prefix = 'tw') {
      return `${prefix}-${now().toString(36)}-${randomBytes(6).toString('hex')}`;
    },
  };
}

/** Deterministic ids (`prefix-1`, `prefix-2`, …) for tests, demos and replays. */
export function sequentialIds(start = 1): IdGenerator {
  let counter = start;
  return {
    next(prefix = 'id') {
      return `${prefix}-${counter++}`;
    },
  };
}
