/** Types for wire.mjs (plain JS, so the child process runs without a transpiler). */
export function encode(value: unknown): string;
export function decode(text: string): unknown;
export function encodeError(error: unknown): Record<string, unknown>;
