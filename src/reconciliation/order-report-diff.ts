import { compareDecimal, Decimal, isAboveZero, ZERO } from '../core/decimal.js';
import type { Mutable } from '../core/mutable.js';
import type { OrderStatusReport } from '../broker/reports.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderChanges, OrderEvent } from '../model/order-event.js';
import { isTerminalStatus, isWorkingStatus } from '../model/order-status.js';

/**
 * The events that bring a local order up to a broker's report of it. Pure; used for the
 * reply to a submit, for polling adapters without a stream, and for reconciliation, so all
 * three go through one code path.
 *
 * When the report lists executions, each unseen one becomes a fill. When it only gives totals,
 * the missing quantity becomes one inferred fill at the price that makes the average come out
 * right, with an execution id derived from the cumulative quantity (`recon:<broker id>:<qty>`),
 * so seeing the same report twice never double-counts.
 */
export function eventsFromOrderReport(order: Order, report: OrderStatusReport, at: number): OrderEvent[] {
  const events: OrderEvent[] = [];
  const raw = report.raw;
  const brokerOrderId = report.brokerOrderId;
  const base = raw === undefined ? { at } : { at, raw };

  if ((order.status === 'created' || order.status === 'validated') && report.status !== 'rejected') {
    events.push({ type: 'submitted', ...base });
  }

  const acknowledged = report.status !== 'submitted' && report.status !== 'rejected';
  if (acknowledged && order.acceptedAt === undefined && !isTerminalStatus(order.status) && order.filledQuantity.isZero()) {
    events.push({ type: 'accepted', brokerOrderId, ...base });
  } else if (acknowledged && order.status === 'failed') {
    events.push({ type: 'accepted', brokerOrderId, ...base });
  }

  const changes = parameterChanges(order, report);
  // A notional order learns its quantity from the broker even in the report that says it is done.
  const learnsQuantity = order.notional !== undefined && changes?.quantity !== undefined && order.filledQuantity.isZero();
  // An order the broker ended with other parameters than ours (a replace whose answer was lost, then
  // filled at its new size) is brought to them first: filled at 4 while we held it at 6, it would
  // stay partially filled for good. Not a replaced leg's report: its parameters are the old ones.
  const endedChanged = isTerminalStatus(report.status) && report.status !== 'replaced' && !isTerminalStatus(order.status);
  // Filled here at a smaller size than the broker's (that replace landed unseen, and fills heard after
  // it completed the old size): the broker's size reopens the order, and its missing fills complete it.
  const grew = order.status === 'filled' && changes?.quantity !== undefined && changes.quantity.greaterThan(order.quantity) && report.filledQuantity.greaterThan(order.filledQuantity);
  if (changes && (!isTerminalStatus(report.status) || learnsQuantity || endedChanged || grew)) events.push({ type: 'modified', changes, brokerOrderId, ...base });
  // The order a replace issued, found with nothing else changed (a stop moved away and back in the
  // broker's app while the stream was down): it is the order from now on — its id is taken, or
  // every later resize or cancel would go to the replaced one.
  // (Not an id it had before: a late report of a link the order has since left.)
  else if (report.replacesBrokerOrderId !== undefined && brokerOrderId !== order.brokerOrderId && !order.brokerOrderIds.includes(brokerOrderId) && !isTerminalStatus(report.status) && isWorkingStatus(order.status)) events.push({ type: 'modified', changes: {}, brokerOrderId, ...base });

  for (const fill of missingFills(order, report)) events.push({ type: 'filled', fill, brokerOrderId, ...base });

  switch (report.status) {
    case 'cancelled':
      if (order.status !== 'cancelled') events.push({ type: 'cancelled', ...base, ...(report.reason ? { reason: report.reason } : {}) });
      break;
    case 'expired':
      if (order.status !== 'expired') events.push({ type: 'expired', ...base });
      break;
    case 'rejected':
      if (order.status !== 'rejected') events.push({ type: 'rejected', reason: report.reason ?? 'rejected by broker', brokerOrderId, ...base });
      break;
    case 'pending_cancel':
      if (order.status !== 'pending_cancel' && !isTerminalStatus(order.status)) events.push({ type: 'cancel_requested', ...base });
      break;
    default:
      break;
  }
  return events;
}

function missingFills(order: Order, report: OrderStatusReport): Fill[] {
  if (report.fills) {
    // Every order's send returns a report whose fills the stream has usually delivered already: a
    // handful each side, compared directly (a Set and a mapped array per report cost more).
    if (order.fills.length <= 8) return report.fills.filter((f) => !order.fills.some((known) => known.executionId === f.executionId));
    const seen = new Set(order.fills.map((f) => f.executionId));
    return report.fills.filter((f) => !seen.has(f.executionId));
  }
  const missing = report.filledQuantity.minus(order.filledQuantity);
  if (!missing.greaterThan(0)) return [];
  const reportAverage = report.averageFillPrice ?? order.averageFillPrice;
  if (!reportAverage) return [];
  const localNotional = (order.averageFillPrice ?? ZERO).times(order.filledQuantity);
  const price = reportAverage.times(report.filledQuantity).minus(localNotional).dividedBy(missing);
  return [
    {
      executionId: report.executionId ?? `recon:${report.brokerOrderId}:${report.filledQuantity.toString()}`,
      quantity: missing,
      price: isAboveZero(price) ? price : reportAverage,
      commission: ZERO,
      time: report.updatedAt,
    },
  ];
}

function parameterChanges(order: Order, report: OrderStatusReport): OrderChanges | undefined {
  const changes: Mutable<OrderChanges> = {};
  if (report.type !== order.type) changes.type = report.type;
  // No order is of size zero: a report that says so does not know the size (OANDA's stop-loss of a
  // closed trade: its units were the trade's, now none) — the size here stands.
  if (!report.quantity.isZero() && compareDecimal(report.quantity, order.quantity) !== 0) changes.quantity = report.quantity;
  if (report.limitPrice && !(order.limitPrice && report.limitPrice.equals(order.limitPrice))) changes.limitPrice = report.limitPrice;
  if (report.stopPrice && !(order.stopPrice && report.stopPrice.equals(order.stopPrice))) changes.stopPrice = report.stopPrice;
  return Object.keys(changes).length > 0 ? changes : undefined;
}
