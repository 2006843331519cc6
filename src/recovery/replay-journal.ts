import { Decimal } from '../core/decimal.js';
import type { JournalRecord } from '../journal/journal.js';
import type { AssetClass } from '../model/trading-types.js';
import { applyOrderEvent } from '../model/apply-order-event.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';

/** What a journal says happened, rebuilt. */
export interface ReplayedJournal {
  /** Every order, as of its last applied event, in the order they were created. */
  readonly orders: readonly Order[];
  /** The timeout each order was given (journaled with it; orders from older journals are not listed). */
  readonly timeouts: ReadonlyMap<string, number | null>;
  /** Every applied fill, in journal order, with the order it belongs to (as of the end). */
  readonly fills: readonly { readonly clientOrderId: string; readonly fill: Fill }[];
  /** Records that could not be replayed (an event for an unknown order, a refused transition). */
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
  /**
   * Positions a reconciliation set to the broker's (`position.adopted` notes), in journal order, each
   * with how many of `fills` came before it: a restart applies them where they happened.
   */
  readonly adoptions: readonly PositionAdoption[];
}

/** A position a reconciliation set to the broker's: the symbol's signed quantity and average price. */
export interface PositionAdoption {
  readonly afterFills: number;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly quantity: Decimal;
  readonly averagePrice: Decimal;
}

/** The journal note of an adoption (see {@link ReplayedJournal.adoptions}). */
export const POSITION_ADOPTED_TOPIC = 'position.adopted';

/**
 * Rebuilds orders from the journal by replaying each order's events on its created snapshot,
 * through the same state machine, so the order rebuilt equals the live one. Applied and ignored
 * records are replayed — an ignored late acknowledgement may still have taught the order its broker
 * id — and duplicate fills are skipped, as they changed nothing the first time. Pure.
 */
export function replayJournal(records: Iterable<JournalRecord>): ReplayedJournal {
  const orders = new Map<string, Order>();
  const timeouts = new Map<string, number | null>();
  const fills: { clientOrderId: string; fill: Fill }[] = [];
  const skipped: { seq: number; reason: string }[] = [];
  const adoptions: PositionAdoption[] = [];
  for (const record of records) {
    if (record.kind === 'note' && record.topic === POSITION_ADOPTED_TOPIC) {
      const data = record.data as { symbol: string; assetClass: AssetClass; quantity: string; averagePrice: string };
      adoptions.push({ afterFills: fills.length, symbol: data.symbol, assetClass: data.assetClass, quantity: new Decimal(data.quantity), averagePrice: new Decimal(data.averagePrice) });
      continue;
    }
    if (record.kind === 'order.created') {
      if (!orders.has(record.clientOrderId)) orders.set(record.clientOrderId, record.order);
      if (record.timeoutMs !== undefined) timeouts.set(record.clientOrderId, record.timeoutMs);
      continue;
    }
    if (record.kind !== 'order.event' || record.outcome === 'duplicate') continue;
    const order = orders.get(record.clientOrderId);
    if (!order) {
      skipped.push({ seq: record.seq, reason: `no order.created record for ${record.clientOrderId}` });
      continue;
    }
    try {
      const next = applyOrderEvent(order, record.event);
      orders.set(record.clientOrderId, next.order);
      if (record.event.type === 'filled' && next.outcome === 'applied') fills.push({ clientOrderId: record.clientOrderId, fill: record.event.fill });
    } catch (error) {
      skipped.push({ seq: record.seq, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { orders: [...orders.values()], timeouts, fills, skipped, adoptions };
}
