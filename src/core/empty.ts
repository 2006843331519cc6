/**
 * Shared, frozen empties for the lists and records a new order or position starts with. Those are
 * replaced as the object changes, never pushed to, so one instance serves all of them instead of a
 * new empty object on every order (fewer objects kept in history; see docs/benchmarks.md).
 */
export const EMPTY_LIST: readonly never[] = Object.freeze([]);
export const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze({});
