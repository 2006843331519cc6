import type { ExecutionConfirmation } from './execution-confirmation.js';
import type { ExecutionRecord, MarketImpact } from './execution-record.js';

/** What the execution monitor announces (its alerts go out as `alert`). */
export interface QualityEvents {
  /** An order ended (or a late fill changed how it ended): how it executed. */
  'execution:recorded': { readonly record: ExecutionRecord };
  /** The price some time after an order completed, against its arrival price. */
  'execution:impact': MarketImpact;
  /** Positions (and cash) checked against the broker's own report after orders filled. */
  'execution:confirmed': ExecutionConfirmation;
}
