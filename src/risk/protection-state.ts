import type { Decimal } from '../core/decimal.js';
import type { Position } from '../positions/position.js';
import type { TargetLeg } from './protection-levels.js';

/** The tag (`role`) of every order protection places. */
export const PROTECTION = 'protection';

/** The journal note that keeps where a position's protection stands. */
export const PROTECTION_STATE = 'protection.state';

/** A position's protection as journaled (decimals as strings). */
export interface SavedProtection {
  readonly positionId: string;
  readonly entry: string;
  readonly initialStop: string;
  readonly stop: string;
  readonly legs: readonly { readonly price: string; readonly fraction: string; readonly r: string }[];
  readonly stopOrderId?: string | undefined;
  readonly targetOrderIds: readonly string[];
  readonly legsFilled: number;
  readonly native: boolean;
  readonly widened: boolean;
  /** How many stops, targets and closes were lost or refused (absent in records written before them): the bounds hold across a restart. */
  readonly stopsLost?: number;
  readonly targetsLost?: number;
  readonly closesRefused?: number;
  /**
   * Its position closed while some of its orders still worked (a cancel that failed on the way): those
   * orders are left over, to be cancelled — a restart does not hand them to a later position of the
   * symbol, which gets protection of its own.
   */
  readonly closed?: true;
}

/** A position's protection as it stands: its levels, its orders, and what it has been through. */
export interface Protection {
  readonly positionId: string;
  readonly symbol: string;
  readonly side: Position['side'];
  readonly entry: Decimal;
  readonly initialStop: Decimal;
  stop: Decimal;
  stopOrderId?: string | undefined;
  readonly legs: readonly TargetLeg[];
  readonly targetOrderIds: string[];
  /** Every order placed for it (replaced stops and targets included): forgotten together once it is closed and they have ended. */
  readonly orderIds: string[];
  legsFilled: number;
  protectedAt?: number;
  /** Stop and target are one native OCO: the broker cancels and resizes the sibling itself. */
  native?: boolean;
  /** Settles when the protective orders' first sends have been answered. */
  placing?: Promise<unknown>;
  /**
   * The level the broker's trailing stop has reached, as the prices the engine heard say (its best
   * price since by the trail): a stop placed again starts from it (see RiskOrderManager.placeStop).
   */
  trailedTo?: Decimal | undefined;
  /** The stop is widened for high volatility. */
  widened?: boolean;
  readonly openedAt: number;
  /** Stops this position has lost without the engine asking (see `ProtectionOptions.onStopLost`). */
  stopsLost?: number;
  /** Take-profit orders lost the same way (placed again up to `stopAttempts` times). */
  targetsLost?: number;
  /** Cancels of its protective orders are being waited on to put the stop back (see putBackWhenEnded): one wait, however often asked. */
  puttingBack?: boolean;
  /** Over, and on the way to being forgotten (see retireIfDone). */
  retired?: boolean;
  /** Its stop is being cancelled to be placed again (a broker that cannot replace, see resend): one at a time. */
  resendingStop?: boolean;
  /** A change of the stop was asked while it was (a fill's resize, a look): looked at again if that resend leaves the stop working. */
  stopChangedMeanwhile?: boolean;
  /**
   * Target legs cancelled for having nothing of the position left (a sale in the broker's app shrank
   * it): once every other leg has filled with shares still held (the position grew again after), they
   * are placed again for them at their own prices — not left to the stop alone (see `lastLegAgain`).
   */
  emptiedLegs?: Set<string>;
  /**
   * Target legs cancelled to be placed again (a broker that cannot replace, see resend), each with
   * the size asked of it (its fills included): what it has not filled of that is placed again, and
   * that room is theirs until it is, so a leg working beside them does not grow into it (two legs
   * took turns growing into each other's room, without end).
   */
  resendingTargets?: Map<string, Decimal>;
  /**
   * Work waiting on cancels that outlasted `BLOCKED_EXIT_WAIT_MS` (risk-order-manager.ts): each runs
   * when the last of its orders ends — or, `orRefused`, once none of them is on its way out any more
   * (a refusal heard after the wait: the order works on).
   */
  afterCancels?: { readonly ids: readonly string[]; readonly resume: () => void; readonly orRefused: boolean }[];
  /** Closes of this position the broker refused after its stop was lost. */
  closesRefused?: number;
  /** Times protection gave up on this position (the broker took neither a stop nor a close); it tries again later. */
  giveUps?: number;
  /** A reconciliation's comparison brought a try forward (see positionsCompared): once between two of the backoff's own tries, so a broker that keeps refusing (a restricted account) is not asked at every reconciliation; a reconciliation that resizes the position clears it. */
  triedOnCompare?: boolean;
  /** When a refusal last made protection compare the position with the broker's (see `RiskOrderManager.brokerAgrees`). */
  checkedAt?: number;
}

/** What the protection did, for a host's dashboard. */
export interface ProtectionStats {
  readonly positions: number;
  /** Positions whose stop was placed at the moment their entry filled (target: all of them). */
  readonly protectedAtOnce: number;
  readonly protectedShare: number;
  /** Realized reward-to-risk of each closed trade, against its initial stop (the last 1 000). */
  readonly rewardRisk: readonly { readonly symbol: string; readonly r: Decimal }[];
}

/** A protection as its journal note stands (decimals as strings). */
export function savedProtection(p: Protection): SavedProtection {
  return {
    positionId: p.positionId,
    entry: p.entry.toString(),
    initialStop: p.initialStop.toString(),
    stop: p.stop.toString(),
    legs: p.legs.map((l) => ({ price: l.price.toString(), fraction: l.fraction.toString(), r: l.r.toString() })),
    stopOrderId: p.stopOrderId,
    targetOrderIds: [...p.targetOrderIds],
    legsFilled: p.legsFilled,
    native: p.native === true,
    widened: p.widened === true,
    ...(p.stopsLost ? { stopsLost: p.stopsLost } : {}),
    ...(p.targetsLost ? { targetsLost: p.targetsLost } : {}),
    ...(p.closesRefused ? { closesRefused: p.closesRefused } : {}),
  };
}

/** The side that closes a position (a protection's, or one of its own). */
export function exitSide(p: { readonly side: Protection['side'] }): 'buy' | 'sell' {
  return p.side === 'long' ? 'sell' : 'buy';
}
