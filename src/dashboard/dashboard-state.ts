// The core's table of ended statuses and the server's P&L sampling: bundled into the page (neither imports anything).
import { TERMINAL_ORDER_STATUSES } from '../model/order-status.js';
import { addPnlPoint } from '../server/pnl-curve.js';
import type { AccountView, AlertView, BrokerHealthView, EventMessage, FillView, PnlPoint, Snapshot, TradingStateName, Wire, WireEvents } from '../server/protocol.js';

type WireOrder = AccountView['workingOrders'][number];
type WirePosition = AccountView['positions'][number];

/** One change of an order's state, for the dashboard's log. */
export interface OrderChange {
  readonly seq: number;
  readonly at: number;
  readonly account: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly from?: string;
  readonly to: string;
}

export interface AccountState {
  readonly id: string;
  broker: string;
  tradingState: TradingStateName;
  stateReason: string | undefined;
  readonly positions: Map<string, WirePosition>;
  readonly orders: Map<string, WireOrder>;
  fills: FillView[];
  pnl: AccountView['pnl'];
  pnlCurve: PnlPoint[];
  exposure: string;
  health: BrokerHealthView;
  breakers: AccountView['breakers'][number][];
  account: AccountView['account'];
}

const KEPT = { fills: 100, changes: 100, alerts: 100 } as const;

/**
 * What the dashboard shows, kept from a snapshot and the events after it (pure: no DOM, so it is
 * tested in Node). `apply` takes each event once, in sequence order — the client guarantees that.
 */
export class DashboardState {
  session = '';
  seq = 0;
  tradingState: TradingStateName = 'ACTIVE';
  stateReason: string | undefined;
  control = false;
  desk = false;
  book: Snapshot['book'];
  readonly accounts = new Map<string, AccountState>();
  alerts: AlertView[] = [];
  changes: OrderChange[] = [];
  /** When each sequence number was applied (the page's clock), for the latency test and the status bar. */
  lastAppliedAt = 0;
  private readonly records = new Map<string, { expectedPrice?: string; slippageBps?: string }>();

  applySnapshot(snapshot: Snapshot): void {
    this.session = snapshot.session;
    this.seq = snapshot.seq;
    this.tradingState = snapshot.tradingState;
    this.stateReason = snapshot.stateReason;
    this.control = snapshot.control;
    this.desk = snapshot.book !== undefined;
    this.book = snapshot.book;
    this.alerts = [...snapshot.alerts];
    this.accounts.clear();
    for (const a of snapshot.accounts) {
      this.accounts.set(a.id, {
        id: a.id,
        broker: a.broker,
        tradingState: a.tradingState,
        stateReason: a.stateReason,
        positions: new Map(a.positions.map((p) => [p.symbol, p])),
        orders: new Map(a.workingOrders.map((o) => [o.clientOrderId, o])),
        fills: [...a.fills],
        pnl: a.pnl,
        pnlCurve: [...a.pnlCurve],
        exposure: a.exposure,
        health: a.health,
        breakers: [...a.breakers],
        account: a.account,
      });
    }
  }

  /** Applies one streamed event; answers whether anything shown changed. */
  apply(message: EventMessage): boolean {
    this.seq = message.seq;
    const account = this.accounts.get(message.account);
    const data = message.data as WireEvents[keyof WireEvents];
    if (message.event === 'desk:trading_state') {
      const d = data as WireEvents['desk:trading_state'];
      this.tradingState = d.state;
      this.stateReason = d.state === 'ACTIVE' ? undefined : d.reason;
      return true;
    }
    if (message.event === 'alert') {
      const d = data as WireEvents['alert'];
      this.alerts = [...this.alerts, { severity: d.severity, code: d.code, message: d.message, account: message.account, at: message.at }].slice(-KEPT.alerts);
      return true;
    }
    if (!account) return false;
    if (message.event.startsWith('order:') && 'order' in (data as object)) return this.orderChanged(account, message, data as WireEvents['order:submitted']);
    switch (message.event) {
      case 'position:opened':
      case 'position:updated':
      case 'position:closed': {
        const { position } = data as WireEvents['position:updated'];
        if (message.event === 'position:closed' || position.state === 'CLOSED' || Number(position.quantity) === 0) account.positions.delete(position.symbol);
        else account.positions.set(position.symbol, position);
        return true;
      }
      case 'pnl:updated': {
        const pnl = data as WireEvents['pnl:updated'];
        if (pnl.tradingDay !== account.pnl.tradingDay) account.pnlCurve = [];
        account.pnl = pnl;
        addPnlPoint(account.pnlCurve, { at: message.at, daily: pnl.daily, realized: pnl.realizedToday, unrealized: pnl.unrealized });
        return true;
      }
      case 'execution:recorded': {
        const { record } = data as WireEvents['execution:recorded'];
        const how = { ...(record.expectedPrice === undefined ? {} : { expectedPrice: record.expectedPrice }), ...(record.slippageBps === undefined ? {} : { slippageBps: record.slippageBps }) };
        this.records.set(record.clientOrderId, how);
        account.fills = account.fills.map((f) => (f.clientOrderId === record.clientOrderId ? { ...f, ...how } : f));
        return true;
      }
      case 'engine:trading_state': {
        const d = data as WireEvents['engine:trading_state'];
        account.tradingState = d.state;
        account.stateReason = d.state === 'ACTIVE' ? undefined : d.reason;
        // A lone engine's state is the page's state.
        if (!this.desk) {
          this.tradingState = d.state;
          this.stateReason = account.stateReason;
        }
        return true;
      }
      case 'broker:connection': {
        const d = data as WireEvents['broker:connection'];
        account.health = { ...account.health, state: d.state === 'disconnected' ? 'disconnected' : account.health.state === 'disconnected' ? 'connected' : account.health.state, streamConnected: d.state !== 'disconnected', reason: d.reason ?? d.state, lastHeardAt: d.at };
        return true;
      }
      case 'broker:health': {
        const d = data as WireEvents['broker:health'];
        account.health = { broker: d.broker, account: d.account, state: d.state, reason: d.reason, streamConnected: d.streamConnected, ...(d.latencyMs ? { latencyMs: d.latencyMs } : {}), ...(d.errorRate === undefined ? {} : { errorRate: d.errorRate }) };
        return true;
      }
      case 'account:summary': {
        const d = data as WireEvents['account:summary'];
        account.exposure = d.exposure;
        if (d.account) account.account = d.account;
        return true;
      }
      case 'breaker:tripped':
        account.breakers = [...account.breakers, data as WireEvents['breaker:tripped']];
        return true;
      default:
        return false;
    }
  }

  private orderChanged(account: AccountState, message: EventMessage, data: { readonly order: WireOrder; readonly previousStatus?: string; readonly fill?: Wire<{ quantity: string; price: string; time: number }> }): boolean {
    const order = data.order;
    // `order:fill` and `order:filled`/`partially_filled` carry the same execution: list it once.
    if (message.event === 'order:fill' && data.fill) {
      const how = this.records.get(order.clientOrderId) ?? {};
      account.fills = [...account.fills, { clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, quantity: data.fill.quantity, price: data.fill.price, at: data.fill.time, ...how }].slice(-KEPT.fills);
      return true;
    }
    const before = account.orders.get(order.clientOrderId)?.status ?? data.previousStatus;
    if (TERMINAL_ORDER_STATUSES.has(order.status)) account.orders.delete(order.clientOrderId);
    else account.orders.set(order.clientOrderId, order);
    if (before !== order.status) {
      this.changes = [...this.changes, { seq: message.seq, at: message.at, account: account.id, clientOrderId: order.clientOrderId, symbol: order.symbol, ...(before === undefined ? {} : { from: before }), to: order.status }].slice(-KEPT.changes);
    }
    return true;
  }
}
