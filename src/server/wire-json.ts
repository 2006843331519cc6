import type { WireError } from './protocol.js';

/**
 * JSON for the wire. Decimals already serialize as strings (decimal.js's `toJSON`); errors become
 * `{ name, code, message }` (never a stack, a cause or a broker's raw body); sets become arrays and
 * maps objects.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, wireReplacer);
}

function wireReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return wireError(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}

export function wireError(error: Error): WireError {
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
}
