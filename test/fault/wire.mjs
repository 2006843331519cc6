// The IPC wire format between the fault-injection test (which hosts the broker) and the engine
// child process: JSON with decimals tagged, so Decimal values survive the trip exactly.
import { Decimal } from 'decimal.js';

export function encode(value) {
  return JSON.stringify(value, function replacer(key, v) {
    const raw = this[key];
    return Decimal.isDecimal(raw) ? { $d: raw.toString() } : v;
  });
}

export function decode(text) {
  return JSON.parse(text, (_key, v) => (v && typeof v === 'object' && typeof v.$d === 'string' && Object.keys(v).length === 1 ? new Decimal(v.$d) : v));
}

/** A thrown value as plain data (a BrokerError keeps its classification). */
export function encodeError(error) {
  return {
    name: error?.name,
    code: error?.code,
    message: error?.message ?? String(error),
    status: error?.status,
    category: error?.category,
    retryAfterMs: error?.retryAfterMs,
    mayHaveReachedBroker: error?.mayHaveReachedBroker,
    details: error?.details,
  };
}
