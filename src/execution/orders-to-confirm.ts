import type { Clock } from '../core/clock.js';
import { KeptIds } from '../core/kept-ids.js';

/** How long an order is kept to confirm (a day: past it, reconciliation's position check is what is left). */
const KEPT_MS = 86_400_000;
/** Orders kept to confirm at most (each is a look-up per reconciliation), the oldest dropped first. */
const KEPT = 1_000;

/**
 * Orders whose fills the engine may have missed: they were working when the broker's stream dropped,
 * so a fill — or a fill and then their end — may have come unheard. An end heard later on the stream
 * (a cancel) need not say what filled before it. Also orders ended here that the broker works (its
 * cancel there may be refused, and what they fill unheard is theirs): a report that they still work
 * does not confirm them. Each stays here, ended or not, until the broker's
 * full report of it has been applied (a look-up on reconnect or by a reconciliation, a snapshot on
 * the stream); for a day at most.
 */
export class OrdersToConfirm {
  private readonly kept: KeptIds;

  constructor(clock: Clock) {
    this.kept = new KeptIds(clock, KEPT_MS, KEPT);
  }

  /** The stream dropped with these orders working (or they were placed during the gap); `at` when, for a restart's restore. Returns the ids not already kept. */
  addAll(clientOrderIds: Iterable<string>, at?: number): string[] {
    const added: string[] = [];
    for (const id of clientOrderIds) {
      if (this.kept.has(id)) continue;
      this.kept.add(id, at);
      added.push(id);
    }
    return added;
  }

  /** The broker's full report of the order was applied: it is up to date. True when it was kept to confirm. */
  confirmed(clientOrderId: string): boolean {
    return this.kept.delete(clientOrderId);
  }

  /** When it was kept, while it is. */
  keptAt(clientOrderId: string): number | undefined {
    return this.kept.keptAt(clientOrderId);
  }

  /** The ids still to confirm, oldest first (forgetting those past a day). */
  ids(): string[] {
    return this.kept.ids();
  }
}
