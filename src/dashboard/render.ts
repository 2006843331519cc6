import type { AccountState, DashboardState } from './dashboard-state.js';
import { fill, formatMoney, formatNumber, formatTime, h, sign, table } from './dom.js';
import { pnlChart } from './pnl-chart.js';

/** What a row's button asks for; the app confirms, then calls the server. */
export type RowAction = { readonly kind: 'flatten'; readonly account: string; readonly symbol: string } | { readonly kind: 'cancel'; readonly account: string; readonly clientOrderId: string };

export interface RenderContext {
  readonly state: DashboardState;
  /** 'all' or one account id. */
  readonly selected: string;
  /** Whether this viewer may act (the server allows control and the token may). */
  readonly canAct: boolean;
  readonly onRowAction: (action: RowAction) => void;
  readonly onSelect: (account: string) => void;
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;

/** The page's panels; each redraws on its own, only when something it shows changed. */
export type Section = 'state' | 'kpis' | 'chart' | 'positions' | 'orders' | 'changes' | 'fills' | 'alerts' | 'brokers';
export const ALL_SECTIONS: ReadonlySet<Section> = new Set<Section>(['state', 'kpis', 'chart', 'positions', 'orders', 'changes', 'fills', 'alerts', 'brokers']);

/** Which panels an event can change (an event not listed changes none). */
export function sectionsOf(event: string): readonly Section[] {
  if (event === 'order:fill') return ['fills'];
  if (event.startsWith('order:')) return ['orders', 'changes', 'kpis'];
  if (event.startsWith('position:')) return ['positions', 'kpis'];
  switch (event) {
    case 'pnl:updated':
      return ['kpis', 'chart'];
    case 'account:summary':
      return ['kpis'];
    case 'execution:recorded':
      return ['fills'];
    case 'alert':
      return ['alerts'];
    case 'engine:trading_state':
    case 'desk:trading_state':
      return ['state', 'brokers'];
    case 'broker:connection':
    case 'broker:health':
    case 'breaker:tripped':
      return ['brokers'];
    default:
      return [];
  }
}

/** Redraws the panels in `sections` from the state (coalesced by the app to a few times a second at most). */
export function render(ctx: RenderContext, sections: ReadonlySet<Section> = ALL_SECTIONS): void {
  const { state } = ctx;
  const accounts = [...state.accounts.values()].filter((a) => ctx.selected === 'all' || a.id === ctx.selected);
  const shown = new Set(accounts.map((a) => a.id));
  const many = state.accounts.size > 1;
  const acct = (a: AccountState): HTMLTableCellElement[] => (many ? [h('td', {}, a.id)] : []);
  const acctHead = many ? ['Account'] : [];
  if (sections.has('state')) {
    renderState(state);
    renderTabs(ctx);
  }
  $('seq').textContent = `seq ${state.seq}`;
  if (sections.has('kpis')) renderKpis(accounts);
  if (sections.has('chart')) fill($('chart'), pnlChart(accounts.length === 1 ? accounts[0]!.pnlCurve : mergedCurve(accounts)));

  /** A row per item of every account shown: its account column when there are several, and its action when the viewer may act. */
  const accountRows = <T>(items: (a: AccountState) => Iterable<T>, row: (item: T, a: AccountState) => { attrs: Record<string, string>; cells: HTMLTableCellElement[]; action: HTMLButtonElement }): HTMLTableRowElement[] =>
    accounts.flatMap((a) =>
      [...items(a)].map((item) => {
        const r = row(item, a);
        return h('tr', { ...r.attrs, 'data-account': a.id }, ...acct(a), ...r.cells, ctx.canAct ? h('td', {}, r.action) : undefined);
      }),
    );
  const headers = (...names: string[]): string[] => [...acctHead, ...names, ...(ctx.canAct ? [''] : [])];

  if (sections.has('positions')) {
    const positions = accountRows(
      (a) => a.positions.values(),
      (p, a) => ({
        attrs: { 'data-symbol': p.symbol },
        cells: [
          h('td', { class: 'sym' }, p.symbol),
          h('td', { class: p.side }, p.side),
          h('td', { class: 'num' }, formatNumber(p.quantity)),
          h('td', { class: 'num' }, formatNumber(p.averageEntryPrice)),
          h('td', { class: 'num' }, formatNumber(p.currentPrice)),
          h('td', { class: `num ${sign(p.unrealizedPnl)}`, 'data-field': 'unrealized' }, formatMoney(p.unrealizedPnl)),
          h('td', { class: 'num' }, formatNumber(p.stopPrice)),
          h('td', { class: 'num' }, formatNumber(p.targetPrice)),
          h('td', { class: 'muted' }, p.state),
        ],
        action: button('Flatten', 'small danger', () => ctx.onRowAction({ kind: 'flatten', account: a.id, symbol: p.symbol })),
      }),
    );
    fill($('positions'), table(headers('Symbol', 'Side', 'Qty', 'Avg price', 'Last', 'Unrealized', 'Stop', 'Target', 'State'), positions, 'No open positions'));
  }

  if (sections.has('orders')) {
    const orders = accountRows(
      (a) => a.orders.values(),
      (o, a) => ({
        attrs: { 'data-order-id': o.clientOrderId },
        cells: [
          h('td', { class: 'mono' }, o.clientOrderId),
          h('td', { class: 'sym' }, o.symbol),
          h('td', { class: o.side }, o.side),
          h('td', {}, o.type),
          h('td', { class: 'num' }, formatNumber(o.quantity)),
          h('td', { class: 'num' }, formatNumber(o.filledQuantity)),
          h('td', { class: 'num' }, formatNumber(o.limitPrice ?? o.stopPrice)),
          h('td', {}, h('span', { class: `status ${o.status}`, 'data-field': 'status' }, o.status)),
        ],
        action: button('Cancel', 'small', () => ctx.onRowAction({ kind: 'cancel', account: a.id, clientOrderId: o.clientOrderId })),
      }),
    );
    fill($('orders'), table(headers('Order', 'Symbol', 'Side', 'Type', 'Qty', 'Filled', 'Price', 'Status'), orders, 'No working orders'));
  }

  if (sections.has('changes')) {
    const changes = state.changes
      .filter((c) => shown.has(c.account))
      .slice(-30)
      .reverse()
      .map((c) => h('tr', { 'data-seq': String(c.seq) }, h('td', { class: 'muted' }, formatTime(c.at)), h('td', { class: 'mono' }, c.clientOrderId), h('td', { class: 'sym' }, c.symbol), h('td', {}, c.from ? h('span', { class: `status ${c.from}` }, c.from) : '—', ' → ', h('span', { class: `status ${c.to}` }, c.to))));
    fill($('changes'), table(['Time', 'Order', 'Symbol', 'Change'], changes, 'No order activity yet'));
  }

  if (sections.has('fills')) {
    const fills = accounts
      .flatMap((a) => a.fills.map((f) => ({ a, f })))
      .sort((x, y) => y.f.at - x.f.at)
      .slice(0, 30)
      .map(({ a, f }) => h('tr', { 'data-fill-order': f.clientOrderId }, ...acct(a), h('td', { class: 'muted' }, formatTime(f.at)), h('td', { class: 'sym' }, f.symbol), h('td', { class: f.side }, f.side), h('td', { class: 'num' }, formatNumber(f.quantity)), h('td', { class: 'num' }, formatNumber(f.price)), h('td', { class: 'num' }, formatNumber(f.expectedPrice)), h('td', { class: `num ${f.slippageBps === undefined ? '' : Number(f.slippageBps) > 0 ? 'loss' : 'gain'}` }, f.slippageBps === undefined ? '—' : `${Number(f.slippageBps).toFixed(1)} bps`)));
    fill($('fills'), table([...acctHead, 'Time', 'Symbol', 'Side', 'Qty', 'Price', 'Expected', 'Slippage'], fills, 'No fills yet'));
  }

  if (sections.has('alerts')) {
    const alerts = state.alerts
      .filter((al) => shown.has(al.account))
      .slice(-20)
      .reverse()
      .map((al) => h('li', { class: `alert ${al.severity}` }, h('span', { class: 'muted' }, formatTime(al.at)), ' ', h('strong', {}, al.code), ' ', al.message));
    fill($('alerts'), alerts.length > 0 ? h('ul', { class: 'alerts' }, ...alerts) : h('p', { class: 'muted' }, 'No alerts'));
  }

  if (sections.has('brokers')) {
    const brokers = accounts.map((a) =>
      h(
        'tr',
        { 'data-broker-account': a.id },
        h('td', {}, a.id),
        h('td', {}, a.broker),
        h('td', {}, h('span', { class: `health ${a.health.state}` }, a.health.state)),
        h('td', { class: 'muted' }, a.health.reason),
        h('td', { class: 'num' }, a.health.latencyMs?.p95 === undefined ? '—' : `${a.health.latencyMs.p95} ms`),
        h('td', {}, h('span', { class: `badge small ${a.tradingState}` }, a.tradingState)),
        h('td', { class: 'muted' }, a.breakers.map((b) => b.id).join(', ') || '—'),
      ),
    );
    fill($('brokers'), table(['Account', 'Broker', 'Connection', 'Detail', 'p95', 'Trading', 'Breakers tripped'], brokers, 'No accounts'));
  }
}

function renderState(state: DashboardState): void {
  const badge = $('state');
  badge.className = `badge ${state.tradingState}`;
  badge.textContent = state.tradingState;
  $('state-reason').textContent = state.stateReason ?? '';
}

function renderTabs(ctx: RenderContext): void {
  const tabs = $('accounts');
  if (ctx.state.accounts.size < 2) return fill(tabs);
  const tab = (id: string, label: string): HTMLButtonElement => {
    const b = button(label, id === ctx.selected ? 'tab active' : 'tab', () => ctx.onSelect(id));
    b.setAttribute('data-account-tab', id);
    return b;
  };
  fill(tabs, tab('all', 'All accounts'), ...[...ctx.state.accounts.values()].map((a) => tab(a.id, `${a.id} · ${a.broker}`)));
}

function renderKpis(accounts: readonly AccountState[]): void {
  const sum = (pick: (a: AccountState) => string | undefined): string => String(accounts.reduce((total, a) => total + Number(pick(a) ?? 0), 0));
  const daily = sum((a) => a.pnl.daily);
  const kpi = (label: string, value: string, cls = '', field?: string): HTMLElement => h('div', { class: 'kpi' }, h('span', { class: 'label' }, label), h('span', { class: `value ${cls}`, ...(field ? { 'data-kpi': field } : {}) }, value));
  fill(
    $('kpis'),
    kpi('P&L today', formatMoney(daily), sign(daily), 'daily'),
    kpi('Realized today', formatMoney(sum((a) => a.pnl.realizedToday)), sign(sum((a) => a.pnl.realizedToday))),
    kpi('Unrealized', formatMoney(sum((a) => a.pnl.unrealized)), sign(sum((a) => a.pnl.unrealized)), 'unrealized'),
    kpi('Exposure', formatMoney(sum((a) => a.exposure))),
    kpi('Equity', accounts.every((a) => a.account) ? formatMoney(sum((a) => a.account?.equity)) : '—'),
    kpi('Positions', String(accounts.reduce((n, a) => n + a.positions.size, 0)), '', 'positions'),
    kpi('Working orders', String(accounts.reduce((n, a) => n + a.orders.size, 0)), '', 'orders'),
  );
}

/** Several accounts' curves as one: at each point in time, the sum of each account's latest value. */
function mergedCurve(accounts: readonly AccountState[]): AccountState['pnlCurve'] {
  const times = [...new Set(accounts.flatMap((a) => a.pnlCurve.map((p) => p.at)))].sort((a, b) => a - b);
  return times.map((at) => {
    const latest = accounts.map((a) => [...a.pnlCurve].reverse().find((p) => p.at <= at));
    const total = (pick: 'daily' | 'realized' | 'unrealized'): string => String(latest.reduce((s, p) => s + Number(p?.[pick] ?? 0), 0));
    return { at, daily: total('daily'), realized: total('realized'), unrealized: total('unrealized') };
  });
}

export function button(label: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls }, label);
  b.addEventListener('click', onClick);
  return b;
}
