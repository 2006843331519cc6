import { BrokerError, ConfigurationError, type ValidationIssue } from '../core/errors.js';

/**
 * Reads an adapter's credentials: each from its option or, when absent, its environment variable.
 * A missing one is a {@link ConfigurationError} that names the field and the variable — never a
 * value. `{ keyId: [options.keyId, 'APCA_API_KEY_ID'] }` → `{ keyId: '…' }`.
 */
export function readCredentials<K extends string>(sources: Readonly<Record<K, readonly [string | undefined, string]>>): Record<K, string> {
  const issues: ValidationIssue[] = [];
  const values = {} as Record<K, string>;
  for (const field of Object.keys(sources) as K[]) {
    const [given, variable] = sources[field];
    const value = given || process.env[variable];
    if (value) values[field] = value;
    else issues.push({ field, message: `is required (or set ${variable})` });
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
  return values;
}

/**
 * An endpoint (a proxy, or a local test server): the option or, when absent, its environment
 * variable; `undefined` when neither is set (the adapter's own host). One whose host belongs to the
 * other environment (a live host for a paper adapter, or the reverse) is a {@link ConfigurationError}:
 * only `live: true` switches to real money.
 */
export function readEndpoint(field: string, given: string | undefined, variable: string, otherEnvironmentHosts: readonly string[]): string | undefined {
  if (given !== undefined && typeof given !== 'string') throw new ConfigurationError([{ field, message: `must be a URL, got ${typeof given}` }]);
  const value = (given || process.env[variable])?.replace(/\/$/, '');
  if (!value) return undefined;
  let host: string;
  try {
    host = new URL(value).host;
  } catch {
    throw new ConfigurationError([{ field, message: `is not a URL (${given ? 'the option' : variable})` }]);
  }
  if (otherEnvironmentHosts.includes(host)) throw new ConfigurationError([{ field, message: `points at ${host}, the other environment's host: set \`live\` to choose the environment` }]);
  return value;
}

/**
 * An adapter's timing options (`timeoutMs`, `reconnect.initialMs`, …): each absent, or a positive
 * number of milliseconds (counts: a whole number, -1 for "forever" where `forever` allows it). Checked
 * when the adapter is made — a `timeoutMs: '30s'` would otherwise fail every request, later.
 *
 * @internal Shared with tradewire's own adapters; not part of the supported API.
 */
export function checkTimings(values: Readonly<Record<string, unknown>>, counts: Readonly<Record<string, unknown>> = {}): void {
  const issues: ValidationIssue[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && value <= 2 ** 31 - 1)) issues.push({ field, message: `must be a positive number of milliseconds, got ${JSON.stringify(value) ?? String(value)}` });
  }
  for (const [field, value] of Object.entries(counts)) {
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && (value >= 0 || value === -1))) issues.push({ field, message: `must be a whole number (-1: no limit), got ${JSON.stringify(value) ?? String(value)}` });
  }
  if (issues.length > 0) throw new ConfigurationError(issues);
}

const REDACTED = '[redacted]';
/** Header and field names whose values are credentials, whatever their value. */
const SECRET_KEYS = /^(authorization|apca-api-key-id|apca-api-secret-key|x-api-key|api[-_]?key|secret|secret[-_]?key|token|access[-_]?token|password)$/i;

/**
 * A copy of `value` (a broker's error body, its details) with every credential removed: values under
 * secret-looking keys (`Authorization`, `APCA-API-SECRET-KEY`, `token`, …) and any occurrence of the
 * adapter's own `secrets` in any string — a server that echoes the request puts the key in its
 * error, and an error body travels into logs, events and the journal.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  const known = secrets.filter((s) => s.length >= 4);
  const scrub = (text: string): string => known.reduce((out, secret) => out.split(secret).join(REDACTED), text);
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return scrub(node);
    if (node === null || typeof node !== 'object' || depth > 8) return node;
    if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
    // Only plain data is copied: a Decimal, a Date or a class instance stays as it is.
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) out[key] = SECRET_KEYS.test(key) ? REDACTED : walk(item, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}

/**
 * The same broker error with its message, body and details stripped of `secrets` (see
 * {@link redactSecrets}); the original is not kept as its cause (it holds the unredacted body).
 */
export function redactBrokerError(error: BrokerError, secrets: readonly string[]): BrokerError {
  return new BrokerError(error.code, redactSecrets(error.message, secrets), {
    category: error.category,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.brokerCode === undefined ? {} : { brokerCode: error.brokerCode }),
    ...(error.body === undefined ? {} : { body: redactSecrets(error.body, secrets) }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    mayHaveReachedBroker: error.mayHaveReachedBroker,
    details: redactSecrets(error.details, secrets),
  });
}
