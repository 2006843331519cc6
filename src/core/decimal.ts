import { Decimal } from 'decimal.js';
import { ValidationError, type ValidationIssue } from './errors.js';

export { Decimal };

/** Anything tradewire accepts where it wants a decimal: a Decimal, a finite number or a numeric string. */
export type DecimalInput = Decimal | number | string;

export const ZERO = new Decimal(0);
export const ONE = new Decimal(1);

/**
 * Parses `value` into a finite Decimal, or returns a {@link ValidationIssue} naming `field`.
 * Numbers are accepted for convenience at the API edge; strings are preferred for prices,
 * because a JS number may already have lost digits before it gets here.
 */
export function parseDecimal(value: unknown, field: string): Decimal | ValidationIssue {
  try {
    if (Decimal.isDecimal(value) || typeof value === 'number' || typeof value === 'string') {
      const parsed = new Decimal(value as Decimal.Value);
      if (parsed.isFinite()) return parsed;
    }
  } catch {
    // fall through to the issue below
  }
  return { field, message: `must be a finite decimal, got ${describe(value)}` };
}

/** Like {@link parseDecimal} but throws a {@link ValidationError}. */
export function toDecimal(value: unknown, field = 'value'): Decimal {
  const parsed = parseDecimal(value, field);
  if (parsed instanceof Decimal) return parsed;
  throw new ValidationError([parsed]);
}

export function isValidationIssue(value: unknown): value is ValidationIssue {
  return typeof value === 'object' && value !== null && 'field' in value && 'message' in value;
}

export function minDecimal(a: Decimal, b: Decimal): Decimal {
  return a.lessThan(b) ? a : b;
}

export function maxDecimal(a: Decimal, b: Decimal): Decimal {
  return a.greaterThan(b) ? a : b;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return String(value);
}
