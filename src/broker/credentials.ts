import { ConfigurationError, type ValidationIssue } from '../core/errors.js';

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
