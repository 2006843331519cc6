import type { Decimal } from '../core/decimal.js';

/** What a reconciliation (after a restart, or periodic) found and did. */
export interface ReconciliationReport {
  readonly at: number;
  /** Orders rebuilt from the journal (0 for a periodic run). */
  readonly ordersRecovered: number;
  /** Local orders the broker knows, brought up to date (missed fills applied). */
  readonly ordersFoundAtBroker: readonly string[];
  /** Journaled orders the broker never received, sent now with their client order id. */
  readonly ordersResent: readonly string[];
  /** Journaled orders the broker never received, too old to send: marked failed. */
  readonly ordersMissing: readonly string[];
  /** Open orders at the broker that this engine does not know. */
  readonly unknownBrokerOrders: readonly string[];
  /** Signed quantities that disagree, local vs broker. */
  readonly positionMismatches: readonly { readonly symbol: string; readonly local: Decimal; readonly broker: Decimal }[];
  /**
   * Symbols not compared this time because the broker's picture of them could be stale: an order
   * of theirs was in flight or changed while the positions were read. The next run compares them.
   */
  readonly positionsDeferred: readonly string[];
  /** What was done about the mismatches. */
  readonly action: 'none' | 'adopted' | 'halted';
}

export interface ReconciliationEvents {
  reconciliation: ReconciliationReport;
}
