import type { Decimal } from '../core/decimal.js';
import type { TradewireErrorCode } from '../core/errors.js';
import type { Fill } from './fill.js';
import type { OrderType } from './trading-types.js';

/**
 * A fact about an order, in the past tense. Adapters report these; the lifecycle applies them.
 * `at` is epoch milliseconds; `raw` keeps the broker's payload for the audit trail.
 *
 * A `rejected`, `submit_failed`, `cancel_rejected` or `replace_rejected` the engine records because
 * its own request failed carries the error's `code`, so a host tells the cases apart without reading
 * the `reason`'s text: a refusal for good (`insufficient_buying_power`, `order_not_cancelable`,
 * `invalid_order`) from a request lost on the way (`network_error`, `timeout`, `rate_limited`). One
 * the broker's stream reported has no `code`.
 */
export type OrderEvent =
  | OrderEventBase<'validated'>
  | (OrderEventBase<'risk_rejected'> & { readonly reason: string })
  | OrderEventBase<'submitted'>
  | (OrderEventBase<'accepted'> & { readonly brokerOrderId?: string })
  | (OrderEventBase<'rejected'> & { readonly reason: string; readonly code?: TradewireErrorCode; readonly brokerOrderId?: string })
  | (OrderEventBase<'submit_failed'> & { readonly reason: string; readonly code?: TradewireErrorCode })
  | (OrderEventBase<'filled'> & { readonly fill: Fill; readonly brokerOrderId?: string })
  | OrderEventBase<'cancel_requested'>
  | (OrderEventBase<'cancel_rejected'> & { readonly reason: string; readonly code?: TradewireErrorCode })
  | (OrderEventBase<'cancelled'> & { readonly reason?: string })
  | OrderEventBase<'expired'>
  | (OrderEventBase<'replace_requested'> & { readonly changes: OrderChanges })
  | (OrderEventBase<'modified'> & { readonly changes: OrderChanges; readonly brokerOrderId?: string })
  | (OrderEventBase<'replace_rejected'> & { readonly reason: string; readonly code?: TradewireErrorCode })
  | (OrderEventBase<'superseded'> & { readonly replacedBy: string });

export type OrderEventType = OrderEvent['type'];

interface OrderEventBase<T extends string> {
  readonly type: T;
  readonly at: number;
  readonly raw?: unknown;
}

/** What a replace may change. */
export interface OrderChanges {
  /** A broker-side change of type (a market order resent as a marketable limit). */
  readonly type?: OrderType;
  readonly quantity?: Decimal;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly trailPercent?: Decimal;
  readonly trailAmount?: Decimal;
}

/** The decimal fields a replace may change (every list of them in the code is this one). */
export const ORDER_CHANGE_DECIMALS = ['quantity', 'limitPrice', 'stopPrice', 'trailPercent', 'trailAmount'] as const satisfies readonly (keyof OrderChanges)[];

export const ORDER_EVENT_TYPES = [
  'validated',
  'risk_rejected',
  'submitted',
  'accepted',
  'rejected',
  'submit_failed',
  'filled',
  'cancel_requested',
  'cancel_rejected',
  'cancelled',
  'expired',
  'replace_requested',
  'modified',
  'replace_rejected',
  'superseded',
] as const satisfies readonly OrderEventType[];
