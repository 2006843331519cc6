import { ZERO } from '../core/decimal.js';
import type { Position } from '../positions/position.js';
import type { JournalRecord } from './journal.js';

/** A position that closed: one note each, for the position history. */
export const POSITION_CLOSED_TOPIC = 'position.closed';
/** Every alert the engine raised. */
export const ALERT_TOPIC = 'alert';
/** The account (equity, cash, buying power), at most once per {@link ACCOUNT_NOTE_EVERY_MS}. */
export const ACCOUNT_SNAPSHOT_TOPIC = 'account.snapshot';
export const ACCOUNT_NOTE_EVERY_MS = 60_000;
/** Note topics summarized per segment, for `FileJournal.notes`. */
export const HISTORY_TOPICS: ReadonlySet<string> = new Set([POSITION_CLOSED_TOPIC, ALERT_TOPIC, ACCOUNT_SNAPSHOT_TOPIC, 'engine.halted', 'engine.trading_state', 'breaker.tripped', 'reconciliation', 'engine.recovered']);

/** What a closed position leaves in the history (decimals as strings). */
export interface ClosedPositionRecord {
  readonly positionId: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  /** The most it held. */
  readonly maxQuantity: string;
  readonly averageEntryPrice: string;
  readonly realizedPnl: string;
  readonly commission: string;
  readonly openedAt?: number;
  readonly closedAt?: number;
  readonly strategyId?: string;
  readonly signalId?: string;
  readonly orderIds: readonly string[];
}

export function closedPositionRecord(position: Position): ClosedPositionRecord {
  // The most it held: usually the first fill (one entry, then exits), so only later entries add work.
  const entry = position.side === 'long' ? 'buy' : 'sell';
  let held = ZERO;
  let most = ZERO;
  for (const fill of position.fills) {
    held = fill.side === entry ? held.plus(fill.quantity) : held.minus(fill.quantity);
    if (held.greaterThan(most)) most = held;
  }
  return {
    positionId: position.id,
    symbol: position.symbol,
    side: position.side,
    maxQuantity: most.toFixed(),
    averageEntryPrice: position.averageEntryPrice.toFixed(),
    realizedPnl: position.realizedPnl.toFixed(),
    commission: position.commission.toFixed(),
    ...(position.entryTime === undefined ? {} : { openedAt: position.entryTime }),
    ...(position.closedAt === undefined ? {} : { closedAt: position.closedAt }),
    ...(position.strategyId ? { strategyId: position.strategyId } : {}),
    ...(position.signalId ? { signalId: position.signalId } : {}),
    orderIds: position.orderIds,
  };
}

/** The notes of the history topics in `records`. */
export function historyNotes(records: Iterable<JournalRecord>): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const record of records) if (record.kind === 'note' && HISTORY_TOPICS.has(record.topic)) out.push(record);
  return out;
}
