import type { Signal } from '../signals/signal.js';
import type { SignalDecision } from './signal-decision.js';

export interface SignalEvents {
  'signal:received': { readonly signal: Signal };
  /** The engine did nothing: invalid, too weak, or a pre-trade check failed. Nothing changed. */
  'signal:rejected': SignalDecision & { readonly kind: 'rejected' };
  /** An order was submitted for it. */
  'signal:executed': SignalDecision & { readonly kind: 'executed' };
  /** Held for the open, or for an operator: see `engine.queuedSignals()`. */
  'signal:queued': SignalDecision & { readonly kind: 'queued' };
  /** Taken off the queue: released at the open, approved or rejected by an operator. */
  'signal:dequeued': { readonly signal: Signal; readonly how: 'released' | 'approved' | 'rejected'; readonly at: number };
}
