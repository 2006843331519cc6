/** A tiny element builder: text goes in as text (never as HTML), so no value from the wire can inject markup. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: (Node | string | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== false) el.append(child);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Node | string | undefined | false)[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== undefined && c !== false));
}

/** A table with a header row, and a line for when there are no rows. */
export function table(headers: readonly string[], rows: readonly HTMLTableRowElement[], empty: string): HTMLTableElement {
  const head = h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', {}, t))));
  const body = h('tbody', {}, ...(rows.length > 0 ? rows : [h('tr', { class: 'empty' }, h('td', { colspan: String(headers.length) }, empty))]));
  return h('table', {}, head, body);
}

// Display only: amounts arrive as exact decimal strings; they are rounded here for the eye, never computed with.
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export function formatMoney(value: string | undefined): string {
  if (value === undefined) return '—';
  const n = Number(value);
  return `${n < 0 ? '−' : ''}$${money.format(Math.abs(n))}`;
}

export function formatNumber(value: string | undefined): string {
  return value === undefined ? '—' : plain.format(Number(value));
}

/** The CSS class of a signed amount: gain, loss or flat. */
export function sign(value: string | undefined): string {
  if (value === undefined) return '';
  const n = Number(value);
  return n > 0 ? 'gain' : n < 0 ? 'loss' : 'flat';
}

export function formatTime(at: number | undefined): string {
  return at === undefined ? '—' : new Date(at).toLocaleTimeString('en-GB', { hour12: false });
}
