import type { Order } from '../model/order.js';
import type { BreakerTrip } from '../risk/circuit-breakers.js';
import type { TradingState } from './trading-state.js';

export interface EngineStateEvents {
  /** Trading stopped: the kill switch (`engine.halt`), an internal failure, or a reconciliation mismatch under the `halt` policy. */
  'engine:halted': { readonly reason: string; readonly at: number; readonly cancelOpen: boolean; readonly flatten: boolean };
  /** ACTIVE, REDUCING (only exposure-reducing orders pass) or HALTED. */
  'engine:trading_state': { readonly state: TradingState; readonly reason: string; readonly at: number };
  'engine:resumed': { readonly at: number };
  /** A circuit breaker tripped; its actions follow. */
  'breaker:tripped': BreakerTrip;
  /** An operator closed a position at market, bypassing the checks. */
  'position:force_closed': { readonly symbol: string; readonly reason: string; readonly order: Order | undefined; readonly at: number };
}
