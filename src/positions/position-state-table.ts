import { TradewireError } from '../core/errors.js';
import type { PositionState } from './position.js';

export const POSITION_EVENTS = ['entry_submitted', 'entry_filled', 'entry_ended', 'exit_submitted', 'exit_filled', 'exit_ended', 'reconciled'] as const;
/**
 * What happens to a position: its entry or exit orders are sent, fill, or end; or reconciliation
 * adopts the broker's quantity for it (`reconciled`).
 */
export type PositionEventType = (typeof POSITION_EVENTS)[number];

/**
 * `$flat`: CLOSED if nothing is left open, else the status named after the colon.
 * `$ignore`: a late event that changes nothing. Missing: illegal.
 */
export type PositionTarget = PositionState | '$flat:OPEN' | '$flat:PENDING_EXIT' | '$ignore';

/** The position state machine, as data. */
export const POSITION_STATE_TABLE = {
  PENDING_ENTRY: {
    entry_submitted: 'PENDING_ENTRY',
    entry_filled: 'OPEN',
    // An entry that ends unfilled leaves nothing to hold.
    entry_ended: '$flat:OPEN',
    // The broker holds it although no fill reached us (adopted by reconciliation).
    reconciled: '$flat:OPEN',
  },
  OPEN: {
    // Scaling in: another entry order works while the position is open.
    entry_submitted: 'OPEN',
    entry_filled: 'OPEN',
    entry_ended: 'OPEN',
    exit_submitted: 'PENDING_EXIT',
    // An exit filled without us sending it (a protective stop at the broker, a manual close).
    exit_filled: '$flat:OPEN',
    exit_ended: 'OPEN',
    reconciled: '$flat:OPEN',
  },
  PENDING_EXIT: {
    exit_submitted: 'PENDING_EXIT',
    exit_filled: '$flat:PENDING_EXIT',
    // The exit was cancelled or expired with quantity left: back to open.
    exit_ended: '$flat:OPEN',
    // A scale-in order can still fill while an exit works.
    entry_filled: 'PENDING_EXIT',
    entry_ended: 'PENDING_EXIT',
    reconciled: '$flat:PENDING_EXIT',
  },
  CLOSED: {
    // Orders that end after the position closed (a cancelled stop, an unfilled scale-in) change nothing.
    exit_ended: '$ignore',
    entry_ended: '$ignore',
  },
} as const satisfies Record<PositionState, Partial<Record<PositionEventType, PositionTarget>>>;

export class InvalidPositionTransitionError extends TradewireError {
  override readonly name = 'InvalidPositionTransitionError';

  constructor(
    readonly positionId: string,
    readonly from: PositionState,
    readonly eventType: PositionEventType,
  ) {
    super('invalid_position_transition', `Position ${positionId}: event "${eventType}" is not allowed in state "${from}"`);
  }
}

/** The next state for `event` given whether anything is still open; throws when illegal. */
export function nextPositionState(positionId: string, from: PositionState, event: PositionEventType, flat: boolean): PositionState {
  const row: Partial<Record<PositionEventType, PositionTarget>> = POSITION_STATE_TABLE[from];
  const target = row[event];
  if (target === undefined) throw new InvalidPositionTransitionError(positionId, from, event);
  if (target === '$ignore') return from;
  if (target.startsWith('$flat:')) return flat ? 'CLOSED' : (target.slice(6) as PositionState);
  return target as PositionState;
}
