import type { WireError } from './protocol.js';

/**
 * JSON for the wire: plain `JSON.stringify`, no replacer (a replacer makes every event half again
 * as slow to serialize). Decimals serialize as strings (decimal.js's `toJSON`), and tradewire's
 * errors as `{ name, code, message }` (TradewireError's `toJSON`) — never a stack or a raw body.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value);
}

export function wireError(error: Error): WireError {
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
}
