/** A value, or a promise of it: what a plugin callback may return. */
export type Awaitable<T> = T | Promise<T>;
