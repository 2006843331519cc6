import { BoundedRing } from '../core/bounded-ring.js';

/** What {@link BrokerOrderIds.end} pushed out of memory: an order's client id and the broker ids it went by. */
export interface ForgottenOrder {
  readonly clientOrderId: string;
  readonly brokerOrderIds: readonly string[];
}

/**
 * An adapter's memory of which of our orders each broker order id is — for brokers that give an
 * order a new id at every replace (Alpaca, OANDA) or report it under ids of their own. Kept while
 * the order works; once it has ended, `retain` more orders ending forget it, so a look-up or a late
 * message soon after an end still finds it and a process running for months does not keep every
 * order it ever sent.
 */
export class BrokerOrderIds {
  /** Broker order id → our client order id. */
  private readonly ours = new Map<string, string>();
  /** Our client order id → every broker id named for it (what forgetting it removes). */
  private readonly idsOf = new Map<string, string[]>();
  /** Ended orders, newest last; one pushed out is forgotten unless it lived again since. */
  private readonly ended: BoundedRing<string>;
  /** The ended ones among them (an order heard of as working again leaves this set). */
  private readonly endedNow = new Set<string>();

  /** `retain`: how many ended orders are remembered (-1: all). */
  constructor(retain: number) {
    this.ended = new BoundedRing(retain === -1 ? Number.POSITIVE_INFINITY : retain);
  }

  /**
   * The broker's `brokerOrderId` is our `clientOrderId`. An id heard of for an order that has
   * ended (a late message, a look-up) comes with {@link end} again, or it is kept for good.
   */
  alias(brokerOrderId: string, clientOrderId: string): void {
    const known = this.ours.get(brokerOrderId);
    if (known === clientOrderId) return;
    if (known !== undefined) this.dropId(known, brokerOrderId);
    this.ours.set(brokerOrderId, clientOrderId);
    const ids = this.idsOf.get(clientOrderId);
    if (ids) ids.push(brokerOrderId);
    else this.idsOf.set(clientOrderId, [brokerOrderId]);
  }

  /** Our client order id for the broker's `brokerOrderId`, if known. */
  clientIdOf(brokerOrderId: string): string | undefined {
    return this.ours.get(brokerOrderId);
  }

  /** The broker ids named for `clientOrderId`, oldest first. */
  brokerIdsOf(clientOrderId: string): readonly string[] {
    return this.idsOf.get(clientOrderId) ?? [];
  }

  /** `clientOrderId` is working (again): not forgotten while it works. */
  living(clientOrderId: string): void {
    this.endedNow.delete(clientOrderId);
  }

  /**
   * `clientOrderId` has ended (filled, cancelled, rejected, expired — not replaced). Returns the
   * order this pushes out of memory, for the caller to forget what it keeps of it too — or undefined.
   */
  end(clientOrderId: string): ForgottenOrder | undefined {
    if (this.endedNow.has(clientOrderId)) return undefined;
    this.endedNow.add(clientOrderId);
    const oldest = this.ended.add(clientOrderId);
    // Pushed out but not ended now (it lived again since): nothing to forget.
    if (oldest === undefined || !this.endedNow.delete(oldest)) return undefined;
    const brokerOrderIds = this.idsOf.get(oldest) ?? [];
    for (const id of brokerOrderIds) this.ours.delete(id);
    this.idsOf.delete(oldest);
    this.forget(oldest);
    return { clientOrderId: oldest, brokerOrderIds };
  }

  /** How many of our orders and broker ids are remembered. */
  get size(): { readonly orders: number; readonly brokerOrderIds: number } {
    return { orders: this.idsOf.size, brokerOrderIds: this.ours.size };
  }

  /** For a subclass keeping more about an order: called as `clientOrderId` is forgotten. */
  protected forget(_clientOrderId: string): void {}

  private dropId(clientOrderId: string, brokerOrderId: string): void {
    const ids = this.idsOf.get(clientOrderId);
    if (!ids) return;
    const left = ids.filter((id) => id !== brokerOrderId);
    if (left.length > 0) this.idsOf.set(clientOrderId, left);
    else this.idsOf.delete(clientOrderId);
  }
}
