import type { Order, OrderLifecycleManager, OrderRequest, OrderStatus } from 'tradewire';
import { expect } from 'vitest';
import type { RequestHolds } from './request-holds.js';

/** What the race needs from an adapter harness (see alpacaHarness / oandaHarness). */
export interface RaceHarness {
  readonly orders: OrderLifecycleManager;
  readonly server: { readonly holds: RequestHolds; readonly requests: readonly { method: string; path: string }[] };
  readonly until: (check: () => void | Promise<void>, timeout?: number) => Promise<void>;
  readonly emitted: readonly { name: string; payload: unknown }[];
}

/**
 * The field's race, step by step on a real adapter and a local server: the first POST is held past
 * the adapter's timeout; the look-up before the resend finds nothing; the held POST then lands and
 * the stream reports it; the resend is refused as a duplicate. The order must end as the broker has
 * it (adopted by look-up), never `rejected`. Needs the adapter's `timeoutMs` short (a few hundred ms).
 */
export async function runDuplicateIdRace(h: RaceHarness, paths: { submit: RegExp; lookup: RegExp }, request: OrderRequest & { clientOrderId: string }): Promise<Order> {
  const first = h.server.holds.hold('POST', paths.submit);
  const resend = h.server.holds.hold('POST', paths.submit);
  let resendArrived = false;
  void resend.arrived.then(() => (resendArrived = true));
  const lookups = (): number => h.server.requests.filter((r) => r.method === 'GET' && paths.lookup.test(r.path)).length;

  let done: Order | undefined;
  const pending = h.orders.submit(request).then((o) => (done = o));
  await first.arrived;
  // The client gives up on the first POST, backs off, looks the order up (404) and resends.
  await h.until(() => expect(resendArrived).toBe(true));
  expect(lookups()).toBe(1);
  expect(h.orders.get(request.clientOrderId)?.status).toBe('submitted');
  // Now the first POST reaches the broker, and the stream reports the order.
  first.release();
  await h.until(() => expect(['accepted', 'filled']).toContain(h.orders.get(request.clientOrderId)?.status));
  // The resend reaches the broker second: "client order id must be unique".
  resend.release();
  await h.until(() => expect(done).toBeDefined());
  await pending;
  const statuses = h.emitted.filter((e) => e.name === 'order:transition').map((e) => (e.payload as { to: OrderStatus }).to);
  expect(statuses).not.toContain('rejected');
  expect(statuses).not.toContain('failed');
  const errors = h.emitted.filter((e) => e.name === 'error');
  expect(errors).toEqual([]);
  return h.orders.get(request.clientOrderId)!;
}
