import { ManualClock } from '../core/clock.js';
import { sequentialIds } from '../core/ids.js';
import type { JournalRecord } from '../journal/journal.js';
import { lastNote } from '../journal/journal.js';
import { replayJournal, type ReplayedJournal } from '../recovery/replay-journal.js';
import type { Order } from '../model/order.js';
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
 * (a desk reading the shared store) sees an account it does not drive. A position a reconciliation
 * set to the broker's is set where its `position.adopted` note stands among the fills.
 */
export function positionsFromJournal(records: readonly JournalRecord[]): JournalPositions {
  const manager = new PositionManager({ clock: new ManualClock(records.at(-1)?.at ?? 0), ids: sequentialIds(), events: { emit: () => undefined, listenerCount: () => 0 } });
  const replayed = replayJournal(records);
  const byId = new Map(replayed.orders.map((o) => [o.clientOrderId, o]));
  const checkpoint = lastPositionsCheckpoint(records);
  manager.restoring(() => {
    if (checkpoint) manager.restoreCheckpoint(checkpoint);
    applyReplayed(manager, replayed, byId);
    for (const order of replayed.orders) if (!isTerminalStatus(order.status) && !order.reduceOnly) manager.trackEntry(order, { ...(order.strategyId ? { strategyId: order.strategyId } : {}) });
  });
  return { positions: manager.list(), realizedTotal: manager.pnl().realizedTotal.toFixed() };
}

/** The last positions checkpoint in `records`, if any. */
export function lastPositionsCheckpoint(records: readonly JournalRecord[]): PositionCheckpoint | undefined {
  const note = lastNote(records, POSITIONS_CHECKPOINT_TOPIC);
  return note ? positionCheckpointFromJSON(note.data as Record<string, unknown>) : undefined;
}

/**
 * The journal's fills (of the orders in `orders`) and the positions reconciliations adopted, applied
 * in the order they happened: a fill after an adoption moves the adopted position, not the one before.
 */
export function applyReplayed(positions: Pick<PositionManager, 'applyFill' | 'adopt'>, replayed: ReplayedJournal, orders: ReadonlyMap<string, Order>): void {
  let adopted = 0;
  const adoptUpTo = (fills: number): void => {
    for (; adopted < replayed.adoptions.length && replayed.adoptions[adopted]!.afterFills <= fills; adopted++) {
      const a = replayed.adoptions[adopted]!;
      positions.adopt(a.symbol, a.assetClass, a.quantity, a.averagePrice);
    }
  };
  replayed.fills.forEach(({ clientOrderId, fill }, i) => {
    adoptUpTo(i);
    const order = orders.get(clientOrderId);
    if (order) positions.applyFill(order, fill);
  });
  adoptUpTo(replayed.fills.length);
}
