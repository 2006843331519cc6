/** A writable view of a type, for the one copy a pure update makes and fills in before returning it. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Every key of `T`, an absent optional one `undefined`: the type of an object built in one literal
 * with all its keys, so every such object shares one hidden class in V8 (see shapeOrder).
 */
export type EveryKey<T> = { [K in keyof T]-?: T[K] | undefined };
