import { type AccountEvent, Decimal, type OrderEventUpdate } from 'tradewire';
import { cancelOutcome, fillFromOanda, type OandaTransactionJson } from './wire.js';

/** What one transaction means: order updates for the lifecycle, account events for the host. */
export interface TransactionMeaning {
  readonly updates: readonly OrderEventUpdate[];
  readonly account: readonly AccountEvent[];
  /** A replacement order took over `from` (ORDER_CANCEL with `replacedByOrderID`). */
  readonly replaced?: { readonly from: string; readonly by: string };
  /** Someone changed an order's client extensions id (ORDER_CLIENT_EXTENSIONS_MODIFY): `@<ours>` no longer finds it. */
  readonly renamed?: { readonly orderId: string; readonly to: string | undefined };
}

const ORDER_CREATED = /^(MARKET|LIMIT|STOP|MARKET_IF_TOUCHED|TAKE_PROFIT|STOP_LOSS|GUARANTEED_STOP_LOSS|TRAILING_STOP_LOSS|FIXED_PRICE)_ORDER$/;
const ORDER_REJECTED = /_ORDER_REJECT$/;
const CLOSEOUT_REASONS = new Set(['MARGIN_CLOSEOUT', 'POSITION_CLOSEOUT', 'TRADE_CLOSE', 'DELAYED_TRADE_CLOSE']);
const MARGIN: Readonly<Record<string, AccountEvent['type']>> = {
  MARGIN_CALL_ENTER: 'margin_call_enter',
  MARGIN_CALL_EXTEND: 'margin_call_extend',
  MARGIN_CALL_EXIT: 'margin_call_exit',
};

/**
 * One v20 transaction → the core's vocabulary. `clientIdOf(orderId)` names the logical order
 * (our client order id) for transactions that carry only OANDA's order id.
 *
 * | transaction | core |
 * |---|---|
 * | `*_ORDER` (created) | `accepted` |
 * | `ORDER_FILL` | `filled` (the transaction id is the fill id) + `trade_opened` / `trade_reduced` / `trade_closed` |
 * | `ORDER_CANCEL` | by its reason ({@link cancelOutcome}): `expired` (TIME_IN_FORCE_EXPIRED), `rejected` (margin, bounds, halted, FIFO, limits), else `cancelled` — unless a replacement took over |
 * | `*_ORDER_REJECT` | `rejected` with the reject reason — except `CLIENT_ORDER_ID_ALREADY_EXISTS`, which is the refused resend's, not the order's, and a refused replacement's (`intendedReplacesOrderID`): `replace_rejected` of the order it was to replace |
 * | `ORDER_CANCEL_REJECT` | `cancel_rejected` |
 * | `MARKET_ORDER` with reason `MARGIN_CLOSEOUT` / `POSITION_CLOSEOUT` / `TRADE_CLOSE` | also account event `closeout` (the engine alerts and reconciles at once) |
 * | `MARGIN_CALL_*` | account event (and an alert, from the engine) |
 * | `DAILY_FINANCING` | account event `financing` |
 */
export function transactionMeaning(tx: OandaTransactionJson, clientIdOf: (orderId: string) => string | undefined): TransactionMeaning {
  const at = Date.parse(tx.time ?? '') || 0;
  const raw = tx;
  const name = (orderId: string | undefined, explicit?: string): string => explicit ?? (orderId ? (clientIdOf(orderId) ?? orderId) : tx.id);
  if (ORDER_CREATED.test(tx.type)) {
    const update = { clientOrderId: name(tx.id, tx.clientExtensions?.id), brokerOrderId: tx.id, event: { type: 'accepted' as const, brokerOrderId: tx.id, at, raw } };
    // OANDA's own market order closing positions (v20 MarketOrderReason MARGIN_CLOSEOUT,
    // POSITION_CLOSEOUT, TRADE_CLOSE, DELAYED_TRADE_CLOSE): an account event, so the engine hears of it at once.
    const closeout = tx.type === 'MARKET_ORDER' && tx.reason !== undefined && CLOSEOUT_REASONS.has(tx.reason);
    return { updates: [update], account: closeout ? [{ type: 'closeout', at, ...(tx.instrument ? { symbol: tx.instrument } : {}), detail: `OANDA ${tx.reason} of ${tx.units ?? '?'} ${tx.instrument ?? ''}`.trim(), raw }] : [] };
  }
  if (ORDER_REJECTED.test(tx.type)) {
    // A resend refused because the id is taken: the reject is the refused request's, not the order
    // that holds the id (the lifecycle looks that one up). Passing it on would reject a live order.
    if (tx.rejectReason === 'CLIENT_ORDER_ID_ALREADY_EXISTS') return { updates: [], account: [] };
    const reason = tx.rejectReason ?? 'rejected by OANDA';
    // A replacement refused: the order it was to replace (intendedReplacesOrderID) stays as it was.
    // As `rejected` it ended a live order at OANDA (or, mid-replace, was an illegal transition).
    if (tx.intendedReplacesOrderID) {
      return { updates: [{ clientOrderId: name(tx.intendedReplacesOrderID, tx.clientExtensions?.id), brokerOrderId: tx.intendedReplacesOrderID, event: { type: 'replace_rejected', reason, at, raw } }], account: [] };
    }
    return { updates: [{ clientOrderId: name(undefined, tx.clientExtensions?.id), event: { type: 'rejected', reason, at, raw } }], account: [] };
  }
  switch (tx.type) {
    case 'ORDER_FILL': {
      const fill = fillFromOanda(tx);
      const clientOrderId = name(tx.orderID, tx.clientOrderID);
      const trades = tradeEvents(tx, at);
      return { updates: [{ clientOrderId, ...(tx.orderID ? { brokerOrderId: tx.orderID } : {}), event: { type: 'filled', fill, ...(tx.orderID ? { brokerOrderId: tx.orderID } : {}), at, raw } }], account: trades };
    }
    case 'ORDER_CANCEL': {
      // Cancelled to be replaced: the replacement carries on the same logical order.
      if (tx.orderID && (tx.replacedByOrderID || tx.reason === 'CLIENT_REQUEST_REPLACED')) {
        return { updates: [], account: [], ...(tx.replacedByOrderID ? { replaced: { from: tx.orderID, by: tx.replacedByOrderID } } : {}) };
      }
      const clientOrderId = name(tx.orderID, tx.clientOrderID);
      const brokerOrderId = tx.orderID ? { brokerOrderId: tx.orderID } : {};
      const outcome = cancelOutcome(tx.reason);
      const event: OrderEventUpdate['event'] =
        outcome === 'expired'
          ? { type: 'expired', at, raw }
          : outcome === 'rejected'
            ? { type: 'rejected', reason: tx.reason!, ...brokerOrderId, at, raw }
            : { type: 'cancelled', ...(tx.reason ? { reason: tx.reason } : {}), at, raw };
      return { updates: [{ clientOrderId, ...brokerOrderId, event }], account: [] };
    }
    case 'ORDER_CANCEL_REJECT':
      return { updates: [{ clientOrderId: name(tx.orderID, tx.clientOrderID), event: { type: 'cancel_rejected', reason: tx.rejectReason ?? 'OANDA refused the cancel', at, raw } }], account: [] };
    case 'ORDER_CLIENT_EXTENSIONS_MODIFY':
      return tx.orderID ? { updates: [], account: [], renamed: { orderId: tx.orderID, to: tx.clientExtensionsModify?.id } } : { updates: [], account: [] };
    case 'DAILY_FINANCING':
      return { updates: [], account: [{ type: 'financing', at, ...(tx.financing ? { amount: new Decimal(tx.financing) } : {}), detail: `daily financing ${tx.financing ?? ''}`.trim(), raw }] };
    default: {
      const margin = MARGIN[tx.type];
      if (margin) return { updates: [], account: [{ type: margin, at, detail: tx.type, raw }] };
      return { updates: [], account: [] };
    }
  }
}

interface TradeChange {
  readonly tradeID: string;
  readonly units: string;
  readonly realizedPL?: string;
}

function tradeEvents(tx: OandaTransactionJson, at: number): AccountEvent[] {
  const body = tx as unknown as { tradeOpened?: TradeChange; tradeReduced?: TradeChange; tradesClosed?: TradeChange[] };
  const symbol = tx.instrument;
  const event = (type: AccountEvent['type'], trade: TradeChange): AccountEvent => ({
    type,
    at,
    ...(symbol ? { symbol } : {}),
    ...(trade.realizedPL ? { amount: new Decimal(trade.realizedPL) } : {}),
    detail: `trade ${trade.tradeID} ${type.replace('trade_', '')} (${trade.units} units)`,
    raw: trade,
  });
  return [
    ...(body.tradeOpened ? [event('trade_opened', body.tradeOpened)] : []),
    ...(body.tradeReduced ? [event('trade_reduced', body.tradeReduced)] : []),
    ...(body.tradesClosed ?? []).map((t) => event('trade_closed', t)),
  ];
}
