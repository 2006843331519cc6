import type { Decimal } from '../core/decimal.js';
import type { Position } from './position.js';

/** P&L in the account currency. `daily` = realized today + change in unrealized since the day began. */
export interface PnlSnapshot {
  /** The trading day (America/New_York by default), `yyyy-MM-dd`. */
  readonly tradingDay: string;
  readonly realizedToday: Decimal;
  readonly unrealized: Decimal;
  readonly daily: Decimal;
  readonly realizedTotal: Decimal;
  readonly startOfDayEquity?: Decimal;
}

/** Why a position changed. `reconciled`: the broker's view was adopted. */
export type PositionChangeReason = 'fill' | 'mark' | 'protection' | 'state' | 'reconciled';

export interface PositionEvents {
  /** The first entry fill: PENDING_ENTRY → OPEN. */
  'position:opened': { readonly position: Position };
  /** Any change: a fill, a mark to market, a stop/target change, a state change, an adoption of the broker's view. */
  'position:updated': { readonly position: Position; readonly reason: PositionChangeReason };
  /** Flat: realized P&L is final; the position is in the history. */
  'position:closed': { readonly position: Position };
  'pnl:updated': PnlSnapshot;
}
