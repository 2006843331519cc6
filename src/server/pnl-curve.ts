import type { PnlPoint } from './protocol.js';

/** One P&L point per this many ms by default: a trading day is at most 17 280 points. */
export const PNL_SAMPLE_MS = 5_000;
/** The most points a curve keeps (a little more than a day at the default sample). */
export const PNL_POINTS_KEPT = 20_000;

/**
 * Adds a point to the day's P&L curve, one per sample period: the latest value within a period
 * stands for it. The server keeps the curve for snapshots and the page extends it from events,
 * both with this, so the two draw the same line.
 */
export function addPnlPoint(curve: PnlPoint[], point: PnlPoint, sampleMs = PNL_SAMPLE_MS): void {
  const last = curve[curve.length - 1];
  if (last && Math.floor(last.at / sampleMs) === Math.floor(point.at / sampleMs)) curve[curve.length - 1] = point;
  else curve.push(point);
  if (curve.length > PNL_POINTS_KEPT) curve.splice(0, curve.length - PNL_POINTS_KEPT);
}
