import { ManualClock } from '../core/clock.js';
import { sequentialIds } from '../core/ids.js';
import type { JournalRecord } from '../journal/journal.js';
import { lastNote } from '../journal/journal.js';
import { replayJournal } from '../recovery/replay-journal.js';
import { isTerminalStatus } from '../model/order-status.js';
import { positionCheckpointFromJSON, POSITIONS_CHECKPOINT_TOPIC, type PositionCheckpoint } from './position-checkpoint.js';
import type { Position } from './position.js';
import { PositionManager } from './position-manager.js';

/** The positions a journal adds up to, and its P&L counters. */
export interface JournalPositions {
  /** Positions not closed (open, pending entry or exit), as the journal's fills leave them. */
  readonly positions: readonly Position[];
  readonly realizedTotal: string;
}

/**
 * The positions an engine's journal (since its last checkpoint: what a restart reads) adds up to —
 * the checkpoint's positions, then every fill after it — without a broker: how another process
 * (a desk reading the shared store) sees an account it does not drive. The broker's view, adopted by
 * a reconciliation, reaches the journal at the next checkpoint.
 */
export function positionsFromJournal(records: readonly JournalRecord[]): JournalPositions {
  const manager = new PositionManager({ clock: new ManualClock(records.at(-1)?.at ?? 0), ids: sequentialIds(), events: { emit: () => undefined, listenerCount: () => 0 } });
  const replayed = replayJournal(records);
  const byId = new Map(replayed.orders.map((o) => [o.clientOrderId, o]));
  const checkpoint = lastPositionsCheckpoint(records);
  manager.restoring(() => {
    if (checkpoint) manager.restoreCheckpoint(checkpoint);
    for (const { clientOrderId, fill } of replayed.fills) {
      const order = byId.get(clientOrderId);
      if (order) manager.applyFill(order, fill);
    }
    for (const order of replayed.orders) if (!isTerminalStatus(order.status) && !order.reduceOnly) manager.trackEntry(order, { ...(order.strategyId ? { strategyId: order.strategyId } : {}) });
  });
  return { positions: manager.list(), realizedTotal: manager.pnl().realizedTotal.toFixed() };
}

/** The last positions checkpoint in `records`, if any. */
export function lastPositionsCheckpoint(records: readonly JournalRecord[]): PositionCheckpoint | undefined {
  const note = lastNote(records, POSITIONS_CHECKPOINT_TOPIC);
  return note ? positionCheckpointFromJSON(note.data as Record<string, unknown>) : undefined;
}
