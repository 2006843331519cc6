/**
 * The wait before try `attempt` (1-based) of something asked again on the clock: `firstMs`, then
 * doubling, never more than `maxMs` apart — 1 s, 2 s, 4 s … 30 s by default.
 */
export function doublingDelayMs(attempt: number, firstMs = 1_000, maxMs = 30_000): number {
  return Math.min(firstMs * 2 ** (attempt - 1), maxMs);
}
