import { addDecimals, Decimal, multiplyDecimals, subtractDecimals, ZERO } from '../core/decimal.js';
import type { AccountSnapshot, PositionReport } from '../broker/reports.js';
import type { OrderSide } from '../model/trading-types.js';

/** One symbol's quantity as the engine holds it and as the broker reports it (signed: short negative). */
export interface PositionCheck {
  readonly symbol: string;
  readonly engineQuantity: string;
  readonly brokerQuantity: string;
  readonly match: boolean;
}

/** The account's cash: what the fills the engine saw should have left, and what the broker reports. */
export interface CashCheck {
  readonly expected: string;
  readonly broker: string;
  readonly difference: string;
  readonly match: boolean;
}

/** The result of one look at the broker's books after orders filled. */
export interface ExecutionConfirmation {
  readonly at: number;
  /** The orders whose fills this look covers. */
  readonly clientOrderIds: readonly string[];
  readonly positions: readonly PositionCheck[];
  /** Absent when cash is not checked (margin and forex accounts, or `confirm.cash: false`). */
  readonly cash?: CashCheck;
  /** True when every check matched. */
  readonly confirmed: boolean;
}

/**
 * Cash an account should hold, from a confirmed starting point and every cash-settled fill since:
 * a buy pays quantity × price plus commission, a sell receives it less commission. A mismatch is
 * only believed when it lasts over two looks (a fill the broker booked before the engine heard of
 * it, or the other way round, settles by the next look), and the starting point moves only when
 * the books agree — or after a lasting mismatch was reported, so it is reported once.
 */
export class CashExpectation {
  private base: Decimal | undefined;
  private sinceBase = ZERO;
  private suspect = false;

  /** `tolerance`: a difference up to this much is rounding, not a mismatch. */
  constructor(private readonly tolerance: Decimal) {}

  /** A fill the engine applied. */
  fill(side: OrderSide, quantity: Decimal, price: Decimal, commission: Decimal): void {
    const notional = multiplyDecimals(quantity, price);
    this.sinceBase = side === 'buy' ? subtractDecimals(subtractDecimals(this.sinceBase, notional), commission) : subtractDecimals(addDecimals(this.sinceBase, notional), commission);
  }

  /** Taken when the broker is asked: what the fills seen so far leave (undefined before the first look). */
  mark(): CashMark {
    return { expected: this.base?.plus(this.sinceBase), since: this.sinceBase };
  }

  /**
   * Compares the broker's cash with what the fills left when it was asked (`mark`): fills the engine
   * hears of while the answer travels are the next look's. Undefined on the first look, which only
   * sets the starting point.
   */
  check(account: AccountSnapshot, mark: CashMark): { check: CashCheck; lasting: boolean } | undefined {
    if (!mark.expected) {
      this.rebase(account.cash, mark);
      return undefined;
    }
    const difference = account.cash.minus(mark.expected);
    const match = difference.abs().lessThanOrEqualTo(this.tolerance);
    const check: CashCheck = { expected: mark.expected.toFixed(), broker: account.cash.toFixed(), difference: difference.toFixed(), match };
    const lasting = !match && this.suspect;
    if (match || lasting) this.rebase(account.cash, mark);
    else this.suspect = true;
    return { check, lasting };
  }

  /** The broker's cash becomes the starting point; fills heard of since it was asked stay on top of it. */
  private rebase(cash: Decimal, mark: CashMark): void {
    this.base = cash;
    this.sinceBase = this.sinceBase.minus(mark.since);
    this.suspect = false;
  }
}

/** The expectation at the moment the broker was asked. */
export interface CashMark {
  readonly expected: Decimal | undefined;
  readonly since: Decimal;
}

/** The broker's signed quantity of `symbol` (zero when it reports none). */
export function brokerQuantity(reports: readonly PositionReport[], symbol: string): Decimal {
  for (const report of reports) if (report.symbol === symbol) return report.quantity;
  return ZERO;
}
