/**
 * The dashboard page's script: connects the typed client, keeps a DashboardState from the snapshot
 * and the events after it, redraws at most once a frame, and asks before every control action.
 * Served by tradewire/server as one module (built at package build time; no build for the user).
 */
import { TradewireClient, TradewireClientError } from '../client/index.js';
import { DashboardState } from './dashboard-state.js';
import { h } from './dom.js';
import { ALL_SECTIONS, button, render, type RowAction, type Section, sectionsOf } from './render.js';

const TOKEN_KEY = 'tradewire.token';

/** The token from the URL's fragment (`#token=…`, which never reaches a server log), kept for this tab only. */
function takeToken(): string | undefined {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

const state = new DashboardState();
let selected = 'all';
let helloControl = false;
let frame = 0;
let lastDrawn = 0;
const dirty = new Set<Section>();
/** At most this often (ms): drawing every table on each of 100 events a second would keep the page's thread from the socket. */
const MIN_REDRAW_MS = 40;
/** When each sequence number reached the page, drawn: read by the browser test (event → screen latency). */
const renders: { seq: number; at: number }[] = [];

const token = takeToken();
const client = new TradewireClient({ url: location.origin, ...(token ? { token } : {}) });

function scheduleRender(sections: Iterable<Section> = ALL_SECTIONS): void {
  for (const section of sections) dirty.add(section);
  if (frame) return;
  const draw = (): void => {
    frame = 0;
    lastDrawn = Date.now();
    const sections = new Set(dirty);
    dirty.clear();
    render({ state, selected, canAct: helloControl && state.control, onRowAction: confirmRowAction, onSelect: (id) => ((selected = id), scheduleRender()) }, sections);
    if (sections.has('state')) renderControls();
    renders.push({ seq: state.seq, at: performance.timeOrigin + performance.now() });
    if (renders.length > 5_000) renders.splice(0, renders.length - 5_000);
    document.body.dataset.seq = String(state.seq);
  };
  const wait = lastDrawn + MIN_REDRAW_MS - Date.now();
  // Draw at the next frame, but not sooner than MIN_REDRAW_MS after the last drawing.
  frame = wait > 0 ? window.setTimeout(() => (frame = requestAnimationFrame(draw)), wait) : requestAnimationFrame(draw);
}

client.on('status', ({ status, reason }) => {
  const conn = document.getElementById('conn')!;
  conn.className = `conn ${status}`;
  conn.textContent = status === 'open' ? 'live' : status;
  conn.title = reason ?? '';
  document.body.dataset.connection = status;
});
client.on('hello', (hello) => {
  helloControl = hello.control;
  document.getElementById('user')!.textContent = hello.user ?? '';
});
client.on('snapshot', (snapshot) => {
  state.applySnapshot(snapshot);
  scheduleRender();
});
client.on('event', (message) => {
  if (state.apply(message)) scheduleRender(sectionsOf(message.event));
});

// ── control ─────────────────────────────────────────────────────────────────────────────────

type Confirmable = { readonly title: string; readonly body: string; readonly danger: boolean; readonly halt?: boolean; readonly run: (reason: string, options: { cancelOpen: boolean; flatten: boolean }) => Promise<unknown> };

/** Every action is confirmed first, with an optional reason that is journaled with the user's name. */
function confirmAction(action: Confirmable): void {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  document.getElementById('confirm-title')!.textContent = action.title;
  document.getElementById('confirm-body')!.textContent = action.body;
  (document.getElementById('confirm-halt-options') as HTMLElement).hidden = !action.halt;
  const reason = document.getElementById('confirm-reason') as HTMLInputElement;
  reason.value = '';
  const go = document.getElementById('confirm-go') as HTMLButtonElement;
  go.className = action.danger ? 'danger' : 'primary';
  const error = document.getElementById('confirm-error')!;
  error.textContent = '';
  go.onclick = (event) => {
    event.preventDefault();
    go.disabled = true;
    const cancelOpen = (document.getElementById('confirm-cancel-open') as HTMLInputElement).checked;
    const flatten = (document.getElementById('confirm-flatten') as HTMLInputElement).checked;
    action
      .run(reason.value.trim(), { cancelOpen, flatten })
      .then(() => dialog.close())
      .catch((e: unknown) => {
        error.textContent = e instanceof TradewireClientError ? `${e.code}: ${e.message}` : String(e);
      })
      .finally(() => (go.disabled = false));
  };
  dialog.showModal();
}

const scope = (): { account?: string } => (selected === 'all' ? {} : { account: selected });
const scopeName = (): string => (selected === 'all' ? (state.accounts.size > 1 ? 'every account' : 'the engine') : `account ${selected}`);
const withReason = (reason: string): { reason?: string } => (reason ? { reason } : {});

function renderControls(): void {
  const controls = document.getElementById('controls')!;
  if (!(helloControl && state.control)) {
    controls.replaceChildren(h('span', { class: 'muted' }, state.control ? 'watch only' : 'read-only server'));
    return;
  }
  controls.replaceChildren(
    button('Halt trading', 'danger', () => confirmAction({ title: `Halt ${scopeName()}?`, body: 'No new orders will be sent until someone resumes. Working orders are cancelled unless you untick below.', danger: true, halt: true, run: (reason, o) => client.halt({ ...withReason(reason), ...o, ...scope() }) })),
    button('Reduce only', 'warn', () => confirmAction({ title: `Reduce only on ${scopeName()}?`, body: 'Only orders that reduce exposure will pass until someone resumes.', danger: false, run: (reason) => client.reduceOnly({ ...withReason(reason), ...scope() }) })),
    button('Resume', 'primary', () => confirmAction({ title: `Resume ${scopeName()}?`, body: 'Trading goes back to ACTIVE: new entries will be sent again.', danger: false, run: () => client.resume(scope()) })),
  );
  controls.querySelector('.danger')?.setAttribute('data-action', 'halt');
  controls.querySelector('.warn')?.setAttribute('data-action', 'reduce-only');
  controls.querySelector('.primary')?.setAttribute('data-action', 'resume');
}

function confirmRowAction(action: RowAction): void {
  if (action.kind === 'flatten') {
    confirmAction({ title: `Flatten ${action.symbol} on ${action.account}?`, body: 'Cancels its working orders and closes the whole position at market, bypassing the checks.', danger: true, run: (reason) => client.flatten(action.symbol, { ...withReason(reason), account: action.account }) });
  } else {
    confirmAction({ title: `Cancel ${action.clientOrderId}?`, body: 'Asks the broker to cancel the order; a fill already on its way is still recorded.', danger: false, run: (reason) => client.cancelOrder(action.clientOrderId, { ...withReason(reason), account: action.account }) });
  }
}

// ── sign-in (when the server wants a token the page does not have) ───────────────────────────

async function start(): Promise<void> {
  try {
    state.applySnapshot(await client.snapshot());
    scheduleRender();
    client.connect();
  } catch (error) {
    if (error instanceof TradewireClientError && error.code === 'unauthorized') {
      const login = document.getElementById('login')!;
      login.hidden = false;
      document.getElementById('login-form')!.addEventListener('submit', (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, (document.getElementById('login-token') as HTMLInputElement).value.trim());
        location.reload();
      });
      return;
    }
    document.getElementById('conn')!.textContent = `error: ${String(error)}`;
  }
}

(window as unknown as { tradewireDashboard: unknown }).tradewireDashboard = { client, state, renders };
void start();
