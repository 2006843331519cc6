import type { Decimal } from '../core/decimal.js';

/** One execution reported by the broker. `executionId` is unique per order; replays of it are ignored. */
export interface Fill {
  readonly executionId: string;
  readonly quantity: Decimal;
  readonly price: Decimal;
  /** Commission and fees charged for this execution, in the account currency. */
  readonly commission: Decimal;
  /** Epoch milliseconds. */
  readonly time: number;
}

/** Whether an execution id is already among `fills` (a replayed execution changes nothing). */
export function hasExecution(fills: readonly { readonly executionId: string }[], executionId: string): boolean {
  for (const fill of fills) if (fill.executionId === executionId) return true;
  return false;
}
