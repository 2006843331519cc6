import { addDecimals, compareDecimal, type Decimal, multiplyDecimals, subtractDecimals, ZERO } from '../core/decimal.js';
import type { Position } from '../positions/position.js';
import type { JournalRecord } from './journal.js';
import type { EveryKey } from '../core/mutable.js';

/** A position that closed: one note each, for the position history. */
export const POSITION_CLOSED_TOPIC = 'position.closed';
/** Every alert the engine raised. */
export const ALERT_TOPIC = 'alert';
/** The account (equity, cash, buying power), at most once per {@link ACCOUNT_NOTE_EVERY_MS}. */
export const ACCOUNT_SNAPSHOT_TOPIC = 'account.snapshot';
export const ACCOUNT_NOTE_EVERY_MS = 60_000;
/**
 * Note topics summarized per segment, for `FileJournal.notes` (and reports): the history, and the
 * execution monitor's records (`execution.recorded`, `execution.impact`, `execution.confirmed`).
 */
export const HISTORY_TOPICS: ReadonlySet<string> = new Set([
  POSITION_CLOSED_TOPIC,
  ALERT_TOPIC,
  ACCOUNT_SNAPSHOT_TOPIC,
  'engine.halted',
  'engine.trading_state',
  'breaker.tripped',
  'reconciliation',
  'engine.recovered',
  'execution.recorded',
  'execution.impact',
  'execution.confirmed',
]);

/** What a closed position leaves in the history (decimals as strings). */
export interface ClosedPositionRecord {
  readonly positionId: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  /** The most it held. */
  readonly maxQuantity: string;
  readonly averageEntryPrice: string;
  /** The volume-weighted price of the exits (absent for a position adopted flat, without exit fills). */
  readonly exitAveragePrice?: string;
  /** Net of every commission, entry and exit. */
  readonly realizedPnl: string;
  readonly commission: string;
  readonly openedAt?: number;
  readonly closedAt?: number;
  readonly strategyId?: string;
  readonly signalId?: string;
  readonly accountId?: string;
  /** The broker (adapter name) it was traded at. */
  readonly broker?: string;
  readonly orderIds: readonly string[];
}

export function closedPositionRecord(position: Position, broker?: string): ClosedPositionRecord {
  // The most it held: usually the first fill (one entry, then exits), so only later entries add work.
  const entry = position.side === 'long' ? 'buy' : 'sell';
  let held = ZERO;
  let most = ZERO;
  let exited = ZERO;
  let exitNotional = ZERO;
  let lastExit: Decimal | undefined;
  let exits = 0;
  for (const fill of position.fills) {
    if (fill.side === entry) {
      held = addDecimals(held, fill.quantity);
      if (compareDecimal(held, most) > 0) most = held;
    } else {
      held = subtractDecimals(held, fill.quantity);
      exited = addDecimals(exited, fill.quantity);
      exitNotional = addDecimals(exitNotional, multiplyDecimals(fill.quantity, fill.price));
      lastExit = fill.price;
      exits++;
    }
  }
  // Every key in one literal, absent ones undefined (JSON leaves them out): keys added afterwards
  // went to a separate property store (≈ 88 B a closed position, kept with the journal's window).
  const record: EveryKey<ClosedPositionRecord> = {
    positionId: position.id,
    symbol: position.symbol,
    side: position.side,
    maxQuantity: most.toFixed(),
    averageEntryPrice: position.averageEntryPrice.toFixed(),
    // One exit (the usual close) is its own average: no long division.
    exitAveragePrice: exits === 1 ? lastExit!.toFixed() : exits > 1 ? exitNotional.dividedBy(exited).toFixed() : undefined,
    realizedPnl: position.realizedPnl.toFixed(),
    commission: position.commission.toFixed(),
    openedAt: position.entryTime,
    closedAt: position.closedAt,
    strategyId: position.strategyId || undefined,
    signalId: position.signalId || undefined,
    accountId: position.accountId || undefined,
    broker: broker || undefined,
    orderIds: position.orderIds,
  };
  return record as ClosedPositionRecord;
}

/** The notes of the history topics in `records`. */
export function historyNotes(records: Iterable<JournalRecord>): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const record of records) if (record.kind === 'note' && HISTORY_TOPICS.has(record.topic)) out.push(record);
  return out;
}
