import { ValidationError } from './errors.js';

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
