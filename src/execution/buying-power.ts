import type { AccountSnapshot } from '../broker/reports.js';
import type { ResolvedEngineConfig } from '../config/engine-config.js';
import { addExactly, type Decimal, maxDecimal, multiplyDecimals, roundedToPrecision, subtractDecimals, subtractExactly, ZERO } from '../core/decimal.js';
import type { OrderTransition } from '../model/apply-order-event.js';
import { isTerminalStatus } from '../model/order-status.js';
import { sizingLimits } from '../risk/position-sizing.js';
import type { OrderHook } from './order-lifecycle-manager.js';

/**
 * What the account can still spend: the broker's last snapshot, less the notional held for working
 * entry orders (reserved when sent, used up as they fill, released when they end) and less what
 * filled since the snapshot (the broker's figure does not know it yet). An internal order hook keeps
 * it current.
 */
export class BuyingPower implements OrderHook {
  readonly name = 'buying-power';
  private account: AccountSnapshot | undefined;
  /** The percentage limits as amounts, recomputed when the account snapshot changes. */
  private amounts = { maxPositionNotional: ZERO, maxExposureNotional: ZERO };
  private filledSinceSnapshot = ZERO;
  private readonly reservations = new Map<string, Decimal>();
  /** Σ reservations, kept as they change: asked for every signal, it must not cost a pass over every working order. */
  private reservedTotal: Decimal = ZERO;

  constructor(private readonly config: ResolvedEngineConfig) {}

  /** A fresh account snapshot from the broker. */
  setAccount(account: AccountSnapshot): void {
    this.account = account;
    this.amounts = sizingLimits(this.config, account.equity);
    this.filledSinceSnapshot = ZERO;
  }

  get snapshot(): AccountSnapshot | undefined {
    return this.account;
  }

  get equity(): Decimal {
    return this.account?.equity ?? ZERO;
  }

  get limits(): { readonly maxPositionNotional: Decimal; readonly maxExposureNotional: Decimal } {
    return this.amounts;
  }

  /** Holds `notional` for an entry order about to be sent. */
  reserve(clientOrderId: string, notional: Decimal): void {
    this.setReservation(clientOrderId, notional);
  }

  available(): Decimal {
    return maxDecimal(roundedToPrecision(subtractExactly(subtractExactly(this.account?.buyingPower ?? ZERO, this.reservedTotal), this.filledSinceSnapshot)), ZERO);
  }

  /** Notional held for working entry orders. */
  reserved(): Decimal {
    return roundedToPrecision(this.reservedTotal);
  }

  private setReservation(clientOrderId: string, amount: Decimal | undefined): void {
    const previous = this.reservations.get(clientOrderId);
    if (previous) this.reservedTotal = subtractExactly(this.reservedTotal, previous);
    if (amount === undefined) this.reservations.delete(clientOrderId);
    else {
      this.reservations.set(clientOrderId, amount);
      this.reservedTotal = addExactly(this.reservedTotal, amount);
    }
  }

  /** An entry's fill uses up its reservation (an exit has none: no arithmetic); an ended order frees what is left. */
  orderChanged({ order, event }: OrderTransition): void {
    if (event.type === 'filled') {
      const reservation = this.reservations.get(order.clientOrderId);
      if (reservation) {
        const notional = multiplyDecimals(event.fill.quantity, event.fill.price);
        this.setReservation(order.clientOrderId, maxDecimal(subtractDecimals(reservation, notional), ZERO));
        this.filledSinceSnapshot = addExactly(this.filledSinceSnapshot, notional);
      }
    }
    if (isTerminalStatus(order.status)) this.setReservation(order.clientOrderId, undefined);
  }
}
