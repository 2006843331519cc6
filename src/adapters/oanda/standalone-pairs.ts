/**
 * Protective pairs OANDA cannot hang on one trade. An OCO is native at OANDA only as a trade's own
 * take-profit and stop-loss, which cover that trade and nothing else; a position made of several
 * trades (an entry filled in parts, a trade added on OANDA's platform) is covered instead by two
 * standalone reduce-only orders that this adapter keeps one-cancels-other: the fill of one cancels
 * the other. A trade's dependent asked to change size (the position grew past its trade) is
 * re-created standalone the same way — to the core, a replace that issued a new order id.
 *
 * Each leg names its sibling in its `clientExtensions.comment` ({@link commentFor}), so a process
 * started after a restart links the pair again from OANDA's own list ({@link relink}); a leg whose
 * sibling is not named (placed by an earlier version) is still reduce-only — it cannot open a
 * position — and the engine's protection cancels what it no longer needs. A trade's own pair is
 * learnt again from the open trades ({@link tradeLegs}), so a leg re-created after a restart names its sibling.
 */
const SUFFIX = '~r';
const NAMED = /^(.+)~r\d+$/;
const PAIRED = 'tradewire oco ';

/** A pending order as {@link StandalonePairs.relink} reads it. */
export interface PendingLeg {
  readonly id: string;
  readonly tradeID?: string | undefined;
  readonly clientExtensions?: { readonly id?: string; readonly comment?: string } | undefined;
}

export class StandalonePairs {
  /** An OCO's two legs, by our client ids, each to the other. */
  private readonly siblings = new Map<string, string>();
  /** Standalone legs working as a pair, by OANDA id, each to the other. */
  private readonly linked = new Map<string, string>();
  /** A dependent re-created standalone: its OANDA id → the new order's. */
  private readonly recreated = new Map<string, string>();
  /** Every standalone order of a pair (OANDA ids): linked, or re-created from a dependent. */
  private readonly standalone = new Set<string>();
  /** Dependents being cancelled to be re-created: their cancel is not the order's end. */
  private readonly cancelling = new Set<string>();
  /** How many times each of our orders was re-created (its names run `~r1`, `~r2`, …). */
  private readonly times = new Map<string, number>();

  /**
   * A client id for `clientOrderId` re-created (`<ours>~r<n>`, OANDA giving a client id once): an
   * order with a name can be looked up when the answer to its send is lost — and after a restart,
   * which knows nothing of this memory, by the name alone (see {@link nameOf}).
   */
  nameFor(clientOrderId: string): string {
    const n = (this.times.get(clientOrderId) ?? 0) + 1;
    this.times.set(clientOrderId, n);
    return StandalonePairs.nameOf(clientOrderId, n);
  }

  /** Our client order id for a name {@link nameFor} gives (in this process or another), else the id itself. */
  ours(clientOrderId: string): string {
    return NAMED.exec(clientOrderId)?.[1] ?? clientOrderId;
  }

  /** The name `clientOrderId` goes by the `n`th time it is re-created. */
  static nameOf(clientOrderId: string, n: number): string {
    return `${clientOrderId}${SUFFIX}${n}`;
  }

  /** The comment a standalone leg carries: its sibling's client id (ours), read back by {@link relink}. */
  static commentFor(siblingClientOrderId: string): string {
    return `${PAIRED}${siblingClientOrderId}`;
  }

  /**
   * Links again the standalone pairs among OANDA's pending orders (after a restart, this memory
   * empty): two orders not on a trade, each named by the other's comment. Returns how many it linked.
   */
  relink(pending: readonly PendingLeg[]): number {
    const byOurs = new Map<string, PendingLeg>();
    for (const o of pending) if (!o.tradeID && o.clientExtensions?.id) byOurs.set(this.ours(o.clientExtensions.id), o);
    let linked = 0;
    for (const [ours, o] of byOurs) {
      const named = o.clientExtensions?.comment?.startsWith(PAIRED) ? o.clientExtensions.comment.slice(PAIRED.length) : undefined;
      const sibling = named === undefined ? undefined : byOurs.get(named);
      if (named === undefined || !sibling || this.linked.has(o.id) || this.linked.has(sibling.id) || sibling.clientExtensions?.comment !== StandalonePairs.commentFor(ours)) continue;
      this.legs(ours, named);
      this.link(o.id, sibling.id);
      linked++;
    }
    return linked;
  }

  /** Remembers a trade's take-profit and stop-loss (or trailing stop) as a pair, by our client ids, unless either is known already. */
  tradeLegs(trade: { readonly takeProfitOrder?: PendingLeg | undefined; readonly stopLossOrder?: PendingLeg | undefined; readonly trailingStopLossOrder?: PendingLeg | undefined }): void {
    const target = trade.takeProfitOrder?.clientExtensions?.id;
    const stop = (trade.stopLossOrder ?? trade.trailingStopLossOrder)?.clientExtensions?.id;
    if (!target || !stop) return;
    const [first, second] = [this.ours(target), this.ours(stop)];
    if (this.siblings.has(first) || this.siblings.has(second)) return;
    this.legs(first, second);
  }

  /** Remembers an OCO's legs (our client ids). */
  legs(first: string, second: string): void {
    this.siblings.set(first, second);
    this.siblings.set(second, first);
  }

  /** An OCO refused whole (neither leg exists): forgets that its legs were a pair. */
  dropLegs(first: string, second: string): void {
    if (this.siblings.get(first) !== second) return;
    this.siblings.delete(first);
    this.siblings.delete(second);
  }

  siblingOf(clientOrderId: string): string | undefined {
    return this.siblings.get(clientOrderId);
  }

  /** Two standalone orders (OANDA ids) now cancel each other. */
  link(first: string, second: string): void {
    this.linked.set(first, second);
    this.linked.set(second, first);
    this.standalone.add(first).add(second);
  }

  /** The standalone order an order's fill must cancel (and forgets the pair), if any. */
  takeSibling(orderId: string): string | undefined {
    const sibling = this.linked.get(orderId);
    if (sibling !== undefined) this.unlink(orderId);
    return sibling;
  }

  /** A standalone order ended unfilled (or was forgotten): its sibling has no one to cancel. */
  unlink(orderId: string): void {
    const sibling = this.linked.get(orderId);
    if (sibling === undefined) return;
    this.linked.delete(orderId);
    if (this.linked.get(sibling) === orderId) this.linked.delete(sibling);
  }

  /** A standalone order was replaced (a stop moved: a new OANDA id): the replacement is in the pair now. */
  replaced(from: string, by: string): void {
    const sibling = this.linked.get(from);
    if (sibling === undefined) return;
    this.unlink(from);
    this.standalone.delete(from);
    this.link(by, sibling);
  }

  /**
   * Forgets all this kept of one of our orders, ended long enough ago that nothing will ask
   * (see `OrderNames`): its sibling, how often it was re-created, and what is kept by the OANDA
   * ids it went by.
   */
  forget(clientOrderId: string, orderIds: readonly string[]): void {
    const sibling = this.siblings.get(clientOrderId);
    this.siblings.delete(clientOrderId);
    if (sibling !== undefined && this.siblings.get(sibling) === clientOrderId) this.siblings.delete(sibling);
    this.times.delete(clientOrderId);
    for (const id of orderIds) {
      this.unlink(id);
      this.standalone.delete(id);
      this.cancelling.delete(id);
      this.recreated.delete(id);
    }
  }

  /** How many entries are kept, all maps and sets together (for the adapter's `remembered()`). */
  get size(): number {
    return this.siblings.size + this.linked.size + this.recreated.size + this.standalone.size + this.cancelling.size + this.times.size;
  }

  isStandalone(orderId: string): boolean {
    return this.standalone.has(orderId);
  }

  startRecreating(dependentId: string): void {
    this.cancelling.add(dependentId);
  }

  recreatedAs(dependentId: string, orderId: string): void {
    this.recreated.set(dependentId, orderId);
    this.standalone.add(orderId);
  }

  /** The re-creation failed: the dependent's cancel is its end after all. */
  notRecreated(dependentId: string): void {
    this.cancelling.delete(dependentId);
  }

  /** A dependent cancelled to be re-created: its ORDER_CANCEL says nothing about the logical order. */
  isBeingRecreated(orderId: string): boolean {
    return this.cancelling.has(orderId);
  }

  /** The order a dependent was re-created as (a look-up of the old id follows it). */
  successorOf(orderId: string): string | undefined {
    return this.recreated.get(orderId);
  }
}
