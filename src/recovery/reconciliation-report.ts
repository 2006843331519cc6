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

/** An order that moved while the process was down, as recovery found it. */
export interface ChangedWhileDown {
  readonly clientOrderId: string;
  readonly symbol: string;
  /** The status the journal left it in, and the broker's. */
  readonly from: string;
  readonly to: string;
  /** How much more of it filled while nobody was listening. */
  readonly filledWhileDown: Decimal;
}

/**
 * What `recover()` did, in one report (also emitted once as `recovered`): the reconciliation, plus
 * what was taken back from the journal and what changed at the broker while the process was down.
 */
export interface RecoveryReport extends ReconciliationReport {
  /** Signals that produced an order, restored from the journal. */
  readonly signalIds: readonly string[];
  /** Signal decisions (executed, rejected, queued) restored from the journal. */
  readonly decisionsRestored: number;
  /** Signals still waiting for the market, queued again. */
  readonly signalsRequeued: readonly string[];
  /** Orders that filled, ended or were acknowledged while the process was down. */
  readonly changedWhileDown: readonly ChangedWhileDown[];
  /** How many attempts the network half took (more than 1 when the broker failed and it retried). */
  readonly attempts: number;
}

export interface ReconciliationEvents {
  reconciliation: ReconciliationReport;
  /** Once per successful `recover()`: a summary of the restart, instead of replaying history as news. */
  recovered: RecoveryReport;
}
