/**
 * How far past `capacity` a bounded window grows before it drops its oldest in one pass: a quarter of
 * it (a small window its own size, at most 64), so compacting stays amortized O(1) per append while a
 * large window never holds more than 1.25 × what it keeps, and none more than 2 × (2 × before for
 * every size: a window of 50 000 records held up to 100 000).
 */
export function slackOf(capacity: number): number {
  return Math.max(Math.ceil(capacity / 4), Math.min(capacity, 64));
}
