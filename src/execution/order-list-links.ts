import type { OrderStatusReport } from '../broker/reports.js';
import type { Order } from '../model/order.js';
import { listRoles, type OrderListKind } from '../model/order-list.js';
import type { OrderRequest } from '../model/order-request.js';

/** A native list as its orders' links describe it: kind and client order ids, parent first. */
export interface ListMembership {
  readonly kind: OrderListKind;
  readonly ids: readonly string[];
}

/** How the orders of a list point at each other. */
export function listLinks(kind: OrderListKind, ids: readonly string[], index: number, requests: readonly OrderRequest[]): Order['links'] {
  const roles = listRoles(kind);
  const idOf = (role: string): string | undefined => ids[roles.indexOf(role as never)];
  const role = roles[index];
  const parent = kind === 'oco' ? undefined : ids[0];
  // An OTO's one exit is named by what it is: a limit takes profit, anything else stops the loss.
  const otoExit = kind === 'oto' ? (requests[1]?.type === 'limit' ? 'takeProfit' : 'stopLoss') : undefined;
  const takeProfitId = idOf('takeProfit') ?? (otoExit === 'takeProfit' ? ids[1] : undefined);
  const stopLossId = idOf('stopLoss') ?? (otoExit === 'stopLoss' ? ids[1] : undefined);
  if (role === 'entry') return { ...(takeProfitId ? { takeProfitId } : {}), ...(stopLossId ? { stopLossId } : {}) };
  const sibling = role === 'takeProfit' ? stopLossId : role === 'stopLoss' ? takeProfitId : undefined;
  return { ...(parent ? { parentId: parent } : {}), ...(sibling ? { ocoSiblingId: sibling } : {}) };
}

/** The list `order` belongs to, rebuilt from its links (`get` finds the others); undefined for a lone order. */
export function listMembership(order: Order, get: (clientOrderId: string) => Order | undefined): ListMembership | undefined {
  const { parentId, ocoSiblingId, takeProfitId, stopLossId } = order.links;
  const parent = parentId ? get(parentId) : takeProfitId || stopLossId ? order : undefined;
  if (parent) {
    const tp = parent.links.takeProfitId;
    const sl = parent.links.stopLossId;
    // A leg no longer known has ended and been forgotten (past the ended-orders window, or before a
    // checkpoint, which carries what works): what is left stands alone — an ended order is not asked after.
    if ((tp && !get(tp)) || (sl && !get(sl))) return undefined;
    if (tp && sl) return { kind: 'bracket', ids: [parent.clientOrderId, tp, sl] };
    const exit = tp ?? sl;
    return exit ? { kind: 'oto', ids: [parent.clientOrderId, exit] } : undefined;
  }
  const sibling = ocoSiblingId ? get(ocoSiblingId) : undefined;
  if (!sibling) return undefined;
  const [takeProfit, stopLoss] = order.type === 'limit' ? [order, sibling] : [sibling, order];
  return { kind: 'oco', ids: [takeProfit.clientOrderId, stopLoss.clientOrderId] };
}

/**
 * Pairs a list report's legs with our leg ids. A broker that names legs itself (Alpaca) reports them
 * under its own client order ids: such a leg is matched by role (limit → take-profit, stop kinds →
 * stop-loss).
 */
export function matchLegs(kind: OrderListKind, ids: readonly string[], legs: readonly OrderStatusReport[]): { id: string; leg: OrderStatusReport }[] {
  const roles = listRoles(kind);
  const open = new Set(ids.slice(1));
  const out: { id: string; leg: OrderStatusReport }[] = [];
  for (const leg of legs) {
    const id = open.has(leg.clientOrderId)
      ? leg.clientOrderId
      : [...open].find((candidate) => {
          const role = roles[ids.indexOf(candidate)];
          return role === 'exit' || (role === 'takeProfit') === (leg.type === 'limit');
        });
    if (id === undefined) continue;
    open.delete(id);
    out.push({ id, leg });
  }
  return out;
}
