import { BoundedRing } from '../../core/bounded-ring.js';

/**
 * Which of our orders each OANDA order id is, and the other way round — remembered for as long as
 * it can matter, and no longer. OANDA gives an order a new id at every replace, and an order whose
 * client extensions changed elsewhere is found only by OANDA's id; both names are kept while the
 * order lives. Once it has ended (filled, cancelled, rejected, expired), `retain` more orders
 * ending forget it: a look-up or a late transaction soon after the end still finds it, and a
 * process that runs for months does not keep every order it ever sent.
 */
export class OrderNames {
  /** OANDA order id → our client order id. */
  private readonly aliases = new Map<string, string>();
  /** Our client order id → every OANDA id named for it (what forgetting it removes). */
  private readonly idsOf = new Map<string, string[]>();
  /** Our client order ids whose client extensions someone changed: addressed by OANDA's order id since. */
  private readonly renamed = new Map<string, string>();
  /** Ended orders, newest last; one pushed out is forgotten unless it lived again since. */
  private readonly ended: BoundedRing<string>;
  /** The ended ones among them (an order that lives again after an end — a late fill — leaves this set). */
  private readonly endedNow = new Set<string>();

  /** `retain`: how many ended orders are remembered (-1: all, as before this class). */
  constructor(retain: number) {
    this.ended = new BoundedRing(retain === -1 ? Number.POSITIVE_INFINITY : retain);
  }

  /** OANDA's `orderId` is our `clientOrderId`. */
  alias(orderId: string, clientOrderId: string): void {
    const known = this.aliases.get(orderId);
    if (known === clientOrderId) return;
    if (known !== undefined) this.dropId(known, orderId);
    this.aliases.set(orderId, clientOrderId);
    const ids = this.idsOf.get(clientOrderId);
    if (ids) ids.push(orderId);
    else this.idsOf.set(clientOrderId, [orderId]);
  }

  /** Our client order id for OANDA's `orderId`, if we know it. */
  oursOf(orderId: string): string | undefined {
    return this.aliases.get(orderId);
  }

  /** From now on `clientOrderId` is addressed by OANDA's `orderId` (also its alias). */
  rename(clientOrderId: string, orderId: string): void {
    this.alias(orderId, clientOrderId);
    this.renamed.set(clientOrderId, orderId);
  }

  /** The OANDA id `clientOrderId` is addressed by, when `@<ours>` no longer finds it. */
  renamedOf(clientOrderId: string): string | undefined {
    return this.renamed.get(clientOrderId);
  }

  /** The OANDA ids named for `clientOrderId`, oldest first. */
  idsFor(clientOrderId: string): readonly string[] {
    return this.idsOf.get(clientOrderId) ?? [];
  }

  /** `clientOrderId` is working (again): it is not forgotten while it works. */
  living(clientOrderId: string): void {
    this.endedNow.delete(clientOrderId);
  }

  /**
   * `clientOrderId` has ended. Returns the order this pushes out of memory (our id and the OANDA ids
   * it went by, now forgotten here) for the caller to forget too — or undefined.
   */
  end(clientOrderId: string): { readonly clientOrderId: string; readonly orderIds: readonly string[] } | undefined {
    if (this.endedNow.has(clientOrderId)) return undefined;
    this.endedNow.add(clientOrderId);
    const oldest = this.ended.add(clientOrderId);
    // Pushed out but not ended now (it lived again since): nothing to forget.
    if (oldest === undefined || !this.endedNow.delete(oldest)) return undefined;
    const orderIds = this.idsOf.get(oldest) ?? [];
    for (const id of orderIds) this.aliases.delete(id);
    this.idsOf.delete(oldest);
    this.renamed.delete(oldest);
    return { clientOrderId: oldest, orderIds };
  }

  /** How many orders and OANDA ids are remembered (for {@link OandaAdapter.remembered}). */
  get size(): { readonly orders: number; readonly orderIds: number } {
    return { orders: this.idsOf.size, orderIds: this.aliases.size };
  }

  private dropId(clientOrderId: string, orderId: string): void {
    const ids = this.idsOf.get(clientOrderId);
    if (!ids) return;
    const left = ids.filter((id) => id !== orderId);
    if (left.length > 0) this.idsOf.set(clientOrderId, left);
    else this.idsOf.delete(clientOrderId);
  }
}
