import { ConfigurationError, type ValidationIssue } from '../core/errors.js';

/** What a `BrokerAdapter` must have: the engine calls each of these, most of them only once trading starts. */
const ADAPTER_METHODS = ['connect', 'disconnect', 'getAccount', 'getPositions', 'getOpenOrders', 'getOrder', 'getAsset', 'submitOrder', 'replaceOrder', 'cancelOrder', 'cancelAllOrders', 'onOrderUpdate', 'onConnectionChange', 'health'] as const;

/**
 * The parts an engine is built from — the adapter, and a clock, ids and journal when given — checked
 * when it is built: an adapter missing `submitOrder` (a plain-JavaScript adapter, an SDK object passed
 * by mistake) is a `ConfigurationError` naming what is missing, not a `TypeError` at the first order.
 */
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the instants a calendar date names. */
const FIRST_INSTANT = -62_135_596_800_000;
const LAST_INSTANT = 253_402_300_799_999;

export function checkEngineParts(options: { readonly adapter: unknown; readonly clock?: unknown; readonly ids?: unknown; readonly journal?: unknown; readonly market?: unknown; readonly policy?: unknown; readonly rules?: unknown }): void {
  const issues: ValidationIssue[] = [];
  const adapter = options.adapter as Partial<Record<string, unknown>> | undefined;
  if (typeof adapter !== 'object' || adapter === null) issues.push({ field: 'adapter', message: `must be a BrokerAdapter, got ${String(adapter)}` });
  else {
    if (typeof adapter.name !== 'string') issues.push({ field: 'adapter.name', message: 'must be a string' });
    if (typeof adapter.capabilities !== 'object' || adapter.capabilities === null) issues.push({ field: 'adapter.capabilities', message: 'must be the broker capabilities object' });
    const missing = ADAPTER_METHODS.filter((m) => typeof adapter[m] !== 'function');
    if (missing.length > 0) issues.push({ field: 'adapter', message: `must implement BrokerAdapter; missing ${missing.join(', ')}` });
  }
  const needs = (field: string, value: unknown, methods: readonly string[]): void => {
    if (value === undefined) return;
    const missing = typeof value === 'object' && value !== null ? methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function') : methods;
    if (missing.length > 0) issues.push({ field, message: `must have ${methods.join(', ')}; missing ${missing.join(', ')}` });
  };
  needs('clock', options.clock, ['now', 'setTimeout', 'clearTimeout']);
  if (!issues.some((i) => i.field === 'clock') && options.clock !== undefined) {
    // Calendars and reports name days as yyyy-MM-dd: a clock outside years 1–9999 (or not a number)
    // failed at the first market-hours check with a date library's RangeError.
    const now: unknown = (options.clock as { now(): unknown }).now();
    if (typeof now !== 'number' || !(now >= FIRST_INSTANT && now <= LAST_INSTANT)) issues.push({ field: 'clock', message: `must tell the time in epoch milliseconds within years 1–9999, now() gave ${String(now)}` });
  }
  needs('ids', options.ids, ['next']);
  needs('journal', options.journal, ['append', 'query']);
  // A market state, policy or rule that is not one failed at the first signal (a TypeError inside
  // the decision), or — a rule list given as one rule — was spread into nothing that checks.
  needs('market', options.market, ['isMarketOpen']);
  if (options.policy !== undefined && typeof options.policy !== 'function') issues.push({ field: 'policy', message: `must be a function (signal, context) => intent, got ${typeof options.policy}` });
  if (options.rules !== undefined) {
    if (!Array.isArray(options.rules)) issues.push({ field: 'rules', message: `must be a list of pre-trade rules ({ code, guardsExits, check }), got ${typeof options.rules}` });
    else
      options.rules.forEach((rule: Partial<Record<string, unknown>> | undefined, i) => {
        if (typeof rule !== 'object' || rule === null || typeof rule.check !== 'function' || typeof rule.code !== 'string' || rule.code === '' || typeof rule.guardsExits !== 'boolean') {
          issues.push({ field: `rules[${i}]`, message: 'must be a pre-trade rule: { code: a non-empty string, guardsExits: boolean, check(context) }' });
        }
      });
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
}

