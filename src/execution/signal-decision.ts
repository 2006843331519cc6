import type { Decimal } from '../core/decimal.js';
import type { Order } from '../model/order.js';
import type { DecisionReason, TradeIntent } from '../signals/signal-policy.js';
import type { Signal } from '../signals/signal.js';
import type { SizingResult } from '../risk/position-sizing.js';
import type { QueueReason } from './signal-queue.js';

/**
 * What the engine did with a signal. `executed`: an order was submitted (its status may
 * already be filled, or rejected by the broker). `queued`: held until the market opens (or an
 * operator acts). `rejected`: nothing was sent and nothing changed; `reasons` lists every failed
 * check, each with a code and a sentence.
 */
export type SignalDecision =
  | {
      readonly kind: 'executed';
      readonly signal: Signal;
      readonly intent: Exclude<TradeIntent, { action: 'none' }>;
      readonly order: Order;
      readonly quantity: Decimal;
      readonly sizing?: SizingResult;
      readonly decidedAt: number;
    }
  | {
      /** Held for the open (or an operator): the market could not take it now. */
      readonly kind: 'queued';
      readonly signal: Signal;
      readonly reason: QueueReason;
      readonly detail: string;
      readonly decidedAt: number;
    }
  | {
      readonly kind: 'rejected';
      readonly signal: Signal;
      readonly reasons: readonly DecisionReason[];
      readonly decidedAt: number;
    };
