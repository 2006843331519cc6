import { ValidationError, type ValidationIssue } from './errors.js';

/**
 * Options as a caller gave them: `undefined` or `null` is none (a JavaScript caller's "no options");
 * anything but a plain object — a number, a string, an array — is a `ValidationError` naming `what`,
 * not a `TypeError` from deep inside.
 */
export function optionsOf<T extends object>(options: T | null | undefined, what: string): T | Record<string, never> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new ValidationError([{ field: 'options', message: `must be an object, got ${Array.isArray(options) ? 'an array' : JSON.stringify(options) ?? String(options)}` }], what);
  return options;
}

/**
 * An optional whole-number option: nothing when absent (`undefined`), otherwise an issue added to
 * `issues` unless it is an integer of at least `min` — so a validator collects every problem at once.
 */
export function checkWholeNumber(value: unknown, field: string, min: number, issues: ValidationIssue[]): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) issues.push({ field, message: `must be a whole number of at least ${min}, got ${JSON.stringify(value) ?? String(value)}` });
}
