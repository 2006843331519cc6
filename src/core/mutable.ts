/** A writable view of a type, for the one copy a pure update makes and fills in before returning it. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
