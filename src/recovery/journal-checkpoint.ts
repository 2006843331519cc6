import type { Clock } from '../core/clock.js';
import type { OrderLifecycleManager } from '../execution/order-lifecycle-manager.js';
import type { SignalPipeline } from '../execution/signal-pipeline.js';
import { TRADING_STATE_TOPIC } from '../execution/trading-gate.js';
import type { Journal, JournalEntry } from '../journal/journal.js';
import { POSITIONS_CHECKPOINT_TOPIC, positionCheckpointToJSON } from '../positions/position-checkpoint.js';
import type { PositionManager } from '../positions/position-manager.js';

export interface CheckpointSources {
  readonly clock: Clock;
  readonly journal: Journal;
  readonly orders: OrderLifecycleManager;
  readonly positions: PositionManager;
  readonly pipeline: SignalPipeline;
}

/** Notes whose last record per symbol (or overall) a restart reads: carried into the new segment. */
const CARRIED_TOPICS = ['protection.state'] as const;

/**
 * The records a journal checkpoint opens with — everything a restart needs from before it:
 * every working order as it is now (its `order.created` carries its state and fills), the
 * positions and P&L counters, the last trading-state note, each open position's last protection
 * note, and every remembered signal decision (with the signals still queued). Recovery replays
 * these like any other records.
 */
export function checkpointSnapshot(sources: CheckpointSources): JournalEntry[] {
  const { clock, journal, orders, positions, pipeline } = sources;
  const at = clock.now();
  const snapshot: JournalEntry[] = [];
  for (const order of orders.workingOrders()) snapshot.push({ kind: 'order.created', at, clientOrderId: order.clientOrderId, symbol: order.symbol, status: order.status, order });
  snapshot.push({ kind: 'note', at, topic: POSITIONS_CHECKPOINT_TOPIC, data: positionCheckpointToJSON(positions.checkpoint()) });
  const tradingState = journal.query({ topic: TRADING_STATE_TOPIC }).at(-1);
  if (tradingState?.kind === 'note') snapshot.push({ kind: 'note', at, topic: TRADING_STATE_TOPIC, data: tradingState.data });
  const open = new Set(positions.openPositions().map((p) => p.symbol));
  for (const topic of CARRIED_TOPICS) {
    const last = new Map<string, unknown>();
    for (const record of journal.query({ topic })) if (record.kind === 'note' && record.symbol && open.has(record.symbol)) last.set(record.symbol, record.data);
    for (const [symbol, data] of last) snapshot.push({ kind: 'note', at, topic, symbol, data });
  }
  snapshot.push(...pipeline.checkpointNotes(at));
  return snapshot;
}
