import type { Decimal } from '../core/decimal.js';
import type { BrokerError } from '../core/errors.js';
import type { AlertEvents } from '../events/alert.js';
import type { Order } from '../model/order.js';

export interface ResilienceEvents extends AlertEvents {
  /** An attempt to send an order to the broker (the first is attempt 1). */
  'order:send_attempt': { readonly order: Order; readonly attempt: number };
  /** A retryable failure; the next attempt follows after `delayMs`, with the same client order id. */
  'order:retry': { readonly order: Order; readonly attempt: number; readonly delayMs: number; readonly error: BrokerError };
  /** Insufficient buying power: the order was shrunk to what the account affords and resent. */
  'order:resized': { readonly order: Order; readonly from: Decimal; readonly to: Decimal; readonly reason: string };
}
