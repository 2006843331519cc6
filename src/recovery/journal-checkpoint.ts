import type { Clock } from '../core/clock.js';
import type { OrderLifecycleManager } from '../execution/order-lifecycle-manager.js';
import type { JournalEntry } from '../journal/journal.js';
import { POSITIONS_CHECKPOINT_TOPIC, positionCheckpointToJSON } from '../positions/position-checkpoint.js';
import type { PositionManager } from '../positions/position-manager.js';

/** A component whose state a restart takes back from notes: it says what those notes are now. */
export interface CheckpointPart {
  checkpointNotes(at: number): JournalEntry[];
  /** Ended orders its notes still name (a restart takes them back with it, ended as they are). */
  checkpointOrderIds?(): Iterable<string>;
}

export interface CheckpointSources {
  readonly clock: Clock;
  readonly orders: OrderLifecycleManager;
  readonly positions: PositionManager;
  /** The trading gate, the protection, the breakers, the signal decisions: each writes its own. */
  readonly parts: readonly CheckpointPart[];
}

/**
 * The records a journal checkpoint opens with — everything a restart needs from before it:
 * every working order as it is now (its `order.created` carries its state and fills) and the ended
 * ones still watched for a late report (see OrderLifecycleManager.checkpointEntries), the
 * positions and P&L counters, and each part's own notes (the trading state, each protected
 * position's protection, the standing breaker trips, the remembered decisions and queued signals),
 * built from what those parts hold now, not re-read from the journal. Recovery replays these like
 * any other records.
 */
export function checkpointSnapshot({ clock, orders, positions, parts }: CheckpointSources): JournalEntry[] {
  const at = clock.now();
  const snapshot: JournalEntry[] = [];
  snapshot.push(...orders.checkpointEntries(at, parts.flatMap((part) => [...(part.checkpointOrderIds?.() ?? [])])));
  snapshot.push({ kind: 'note', at, topic: POSITIONS_CHECKPOINT_TOPIC, data: positionCheckpointToJSON(positions.checkpoint()) });
  for (const part of parts) snapshot.push(...part.checkpointNotes(at));
  return snapshot;
}
