import { BrokerOrderIds } from 'tradewire';

/**
 * Which of our orders each OANDA order id is (see `BrokerOrderIds`: ended ones forgotten after
 * `retainEndedOrders`), and the OANDA id an order is addressed by once `@<ours>` no longer finds it:
 * its client extensions were changed elsewhere, or a replace left `@<ours>` naming two orders.
 */
export class OrderNames extends BrokerOrderIds {
  private readonly renamed = new Map<string, string>();

  /** From now on `clientOrderId` is addressed by OANDA's `orderId` (also its alias). */
  rename(clientOrderId: string, orderId: string): void {
    this.alias(orderId, clientOrderId);
    this.renamed.set(clientOrderId, orderId);
  }

  /** The OANDA id `clientOrderId` is addressed by, when `@<ours>` no longer finds it. */
  renamedOf(clientOrderId: string): string | undefined {
    return this.renamed.get(clientOrderId);
  }

  protected override forget(clientOrderId: string): void {
    this.renamed.delete(clientOrderId);
  }
}
