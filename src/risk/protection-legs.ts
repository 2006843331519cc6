import { Decimal, ZERO } from '../core/decimal.js';
import type { Order } from '../model/order.js';
import { isTerminalStatus } from '../model/order-status.js';
import type { TargetLeg } from './protection-levels.js';

/**
 * What each working target should hold of `covered`, as the legs were placed: its leg's fraction
 * among the legs still working (floored), the last the remainder.
 */
export function targetShares(p: { readonly legs: readonly TargetLeg[] }, targets: readonly Order[], covered: Decimal): Decimal[] {
  return legShares(p, targets.map(legOf), covered);
}

/** The leg (from 0) an emulated target was placed for: its tag `target-<n>`. */
export function legOf(target: Order): number {
  return Number(/^target-(\d+)$/.exec(String(target.tags.leg ?? ''))?.[1] ?? 0) - 1;
}

/** {@link targetShares} by leg: each of `legs` its fraction of `covered` among them (floored), the last the remainder. */
export function legShares(p: { readonly legs: readonly TargetLeg[] }, legs: readonly number[], covered: Decimal): Decimal[] {
  const fractions = legs.map((leg) => p.legs[leg]?.fraction ?? new Decimal(1));
  const total = fractions.reduce((sum, f) => sum.plus(f), ZERO);
  let left = covered;
  return fractions.map((f, i) => {
    const q = i === fractions.length - 1 ? left : covered.times(f).dividedBy(total).floor();
    left = left.minus(q);
    return q;
  });
}

/**
 * The protective orders whose size no longer fits `covered` (what they protect of the position:
 * all of it, or what the exits working leave where exits hold the shares), stop first, each with the
 * quantity it needs: the stop `covered`, a native pair's target the same (its legs carry one
 * quantity), emulated targets together no more than `covered`, the nearer legs first, each grown to
 * its share of it. After the stop, the legs left with nothing are listed first, then those that
 * shrink, then those that grow. `stop` and `targets` are the ones not on their way out; `reserved`
 * what legs on their way out to be placed again will take of `covered`; `held` what legs on their way
 * out for good still hold until they end — no leg grows into it (they may still fill, or their cancel
 * be refused; and a leg placed again is placed only within it, so a leg asked to grow into it was
 * cancelled and placed again at its old size, again and again).
 */
export function outOfStepSizes(p: { readonly native?: boolean; readonly legs: readonly TargetLeg[] }, stop: Order | undefined, targets: readonly Order[], covered: Decimal, reserved = ZERO, held = ZERO): [Order, Decimal][] {
  const out: [Order, Decimal][] = [];
  if (!covered.greaterThan(0)) return out;
  if (stop && !stop.quantity.minus(stop.filledQuantity).equals(covered)) out.push([stop, stop.filledQuantity.plus(covered)]);
  if (p.native) {
    for (const target of targets) if (!target.quantity.minus(target.filledQuantity).equals(covered)) out.push([target, target.filledQuantity.plus(covered)]);
    return out;
  }
  // After a partial exit of 3, legs of 5 and 5 under a position of 7 would sell 10 — 3 into the other
  // side. And they grow with it (an entry filling in parts after they were placed for its first fill).
  const shares = targetShares(p, targets, covered);
  let room = Decimal.max(covered.minus(reserved), ZERO);
  // The legs that shrink go before those that grow, and those left with nothing (cancelled) before
  // those that shrink: each change is made within what the others leave as they are then. A leg
  // grown first (legs of 1 and 4 under 5, to be 2 and 3) found no room — placed again at 1 on a
  // broker that cannot replace, then asked to grow again, for good; a leg shrunk first (5 and 5
  // under 4, to be 4 and none) found none beside the other's 5 — given up, then the other cancelled.
  const cancels: [Order, Decimal][] = [];
  const shrinks: [Order, Decimal][] = [];
  const grows: [Order, Decimal][] = [];
  targets.forEach((target, i) => {
    const left = target.quantity.minus(target.filledQuantity);
    let allowed = Decimal.min(Decimal.max(left, shares[i]!), room);
    if (allowed.greaterThan(left)) allowed = Decimal.max(left, Decimal.min(allowed, room.minus(held)));
    room = room.minus(allowed);
    if (!allowed.equals(left)) (allowed.greaterThan(left) ? grows : allowed.isZero() ? cancels : shrinks).push([target, target.filledQuantity.plus(allowed)]);
  });
  return [...out, ...cancels, ...shrinks, ...grows];
}

/**
 * What a leg cancelled to be placed again at `asked` (its fills included) is still to be placed for:
 * `asked` less what it has filled — also the room held for it meanwhile, so the two never differ.
 */
export function leftToPlace(asked: Decimal, leg: Order): Decimal {
  return Decimal.max(asked.minus(leg.filledQuantity), ZERO);
}

/** A request of the order (its send, a cancel, a replace) is on its way: neither working as it is nor ended. */
export function midRequest(status: Order['status']): boolean {
  return !isTerminalStatus(status) && status !== 'accepted' && status !== 'partially_filled';
}

/** A protective order that can be replaced now: working, and not mid-request. */
export function resizable(order: Order | undefined): order is Order {
  return order !== undefined && (order.status === 'accepted' || order.status === 'partially_filled');
}

/** Ended, or on its way out: not resized. */
export function leaving(order: Order): boolean {
  return isTerminalStatus(order.status) || order.status === 'pending_cancel';
}

/** How a protective order can end without filling: refused, or ended by the broker. */
export const REFUSED = new Set(['rejected', 'failed', 'risk_rejected']);
export const LOST = new Set(['cancelled', 'expired', ...REFUSED]);
