import { type Clock, describeError, type Order, ServerRequestError } from 'tradewire';
import { wire } from './account-feed.js';
import type { ControlAction, ControlResponse } from './protocol.js';
import type { Principal } from './server-auth.js';
import type { ServerTarget } from './server-target.js';

/** The journal topic of every control action (who, what, the outcome). */
export const CONTROL_TOPIC = 'control.action';

/** A control request's body, checked. */
export interface ControlParams {
  readonly reason?: string;
  readonly account?: string;
  readonly cancelOpen?: boolean;
  readonly flatten?: boolean;
  readonly clientOrderId?: string;
  readonly symbol?: string;
}

/**
 * Runs one operator action against the target and answers with the resulting state. Every
 * action — done or failed — is journaled in each affected account's journal with who asked
 * (`control.action`), and the reason the engine records names the user too.
 */
export async function runControl(target: ServerTarget, action: ControlAction, params: ControlParams, by: Principal, clock: Clock): Promise<ControlResponse> {
  const accounts = affectedAccounts(target, params.account);
  const reason = `${params.reason?.trim() || defaultReason(action)} (by ${by.user})`;
  let orders: Order[] = [];
  const at = clock.now();
  try {
    switch (action) {
      case 'halt':
        await target.halt(reason, { ...(params.cancelOpen === undefined ? {} : { cancelOpen: params.cancelOpen }), ...(params.flatten === undefined ? {} : { flatten: params.flatten }) }, params.account);
        break;
      case 'reduce_only':
        target.reduceOnly(reason, params.account);
        break;
      case 'resume':
        target.resume(params.account);
        break;
      case 'cancel_order':
        orders = [await cancelOrder(target, params, reason)];
        break;
      case 'flatten':
        orders = await flatten(target, params, reason);
        break;
    }
  } catch (error) {
    journal(target, accounts, at, { action, by: by.user, params, outcome: 'failed', error: describeError(error) });
    throw error;
  }
  journal(target, accounts, at, { action, by: by.user, params, outcome: 'done', orders: orders.map((o) => o.clientOrderId) });
  const state = target.tradingState();
  return {
    action,
    by: by.user,
    at,
    tradingState: state.state,
    accounts: target.seats.map((s) => ({ id: s.id, tradingState: s.engine.tradingState })),
    ...(orders.length > 0 ? { orders: wire(orders) } : {}),
  };
}

async function cancelOrder(target: ServerTarget, params: ControlParams, reason: string): Promise<Order> {
  const id = params.clientOrderId;
  if (!id) throw new ServerRequestError('invalid_request', 'cancel needs the order’s clientOrderId');
  const seat = target.seats.find((s) => (!params.account || s.id === params.account) && s.engine.orders.get(id) !== undefined);
  if (!seat) throw new ServerRequestError('not_found', `no order ${id}${params.account ? ` on account ${params.account}` : ''}`);
  return seat.engine.orders.cancel(id, reason);
}

/** Closes the symbol's position at market on the named account, or on every account that holds it. */
async function flatten(target: ServerTarget, params: ControlParams, reason: string): Promise<Order[]> {
  const symbol = params.symbol;
  if (!symbol) throw new ServerRequestError('invalid_request', 'flatten needs a symbol');
  const holders = target.seats.filter((s) => (!params.account || s.id === params.account) && (s.engine.positions.get(symbol)?.quantity.greaterThan(0) ?? false));
  if (holders.length === 0) throw new ServerRequestError('not_found', `no open position in ${symbol}${params.account ? ` on account ${params.account}` : ''}`);
  const orders: Order[] = [];
  for (const seat of holders) {
    const order = await seat.engine.forceClose(symbol, reason);
    if (order) orders.push(order);
  }
  return orders;
}

function affectedAccounts(target: ServerTarget, account: string | undefined): readonly string[] {
  if (account === undefined) return target.seats.map((s) => s.id);
  if (!target.seats.some((s) => s.id === account)) throw new ServerRequestError('not_found', `no account ${account}; accounts: ${target.seats.map((s) => s.id).join(', ')}`);
  return [account];
}

function journal(target: ServerTarget, accounts: readonly string[], at: number, data: Record<string, unknown>): void {
  for (const seat of target.seats) if (accounts.includes(seat.id)) seat.engine.journal.append({ kind: 'note', at, topic: CONTROL_TOPIC, data });
}

function defaultReason(action: ControlAction): string {
  return { halt: 'kill switch from the dashboard', reduce_only: 'reduce-only from the dashboard', resume: 'resumed from the dashboard', cancel_order: 'cancelled from the dashboard', flatten: 'flattened from the dashboard' }[action];
}

/** Checks a control body: only known fields, of the right types. */
export function parseControlParams(body: unknown): ControlParams {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ServerRequestError('invalid_request', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(b)) {
    if (['reason', 'account', 'clientOrderId', 'symbol'].includes(key)) {
      if (typeof value !== 'string' || value.length === 0 || value.length > 500) problems.push(`${key} must be a non-empty string (at most 500 characters)`);
      else out[key] = value;
    } else if (['cancelOpen', 'flatten'].includes(key)) {
      if (typeof value !== 'boolean') problems.push(`${key} must be true or false`);
      else out[key] = value;
    } else problems.push(`unknown field ${key}`);
  }
  if (problems.length > 0) throw new ServerRequestError('invalid_request', problems.join('; '));
  return out as ControlParams;
}
