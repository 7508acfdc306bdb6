/**
 * Timers for waits of any length. Node holds at most 2^31-1 ms (about 24.8 days)
 * in one timer and fires a longer one after 1 ms, so longer waits are chained.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

/**
 * Call `fn` once after `ms` (any length), like an unref'd `setTimeout`: a pending
 * wait does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number) => {
    const step = Math.min(Math.max(left, 0), MAX_TIMER_MS);
    timer = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()), step);
    timer.unref();
  };
  arm(ms);
  return { cancel: () => clearTimeout(timer) };
}

/** Settle with `work`, or reject with `onTimeout()` after `ms`. The work itself is not cancelled. */
export function withTimeout<T>(work: Promise<T> | T, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: LongTimer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setLongTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => timer?.cancel());
}

/**
 * Like {@link withTimeout}, but a wait that `excused()` names (a pending
 * promise) does not count: when `ms` runs out during one, the wait is let
 * finish and `ms` starts over.
 */
export function withTimeoutExcept<T>(work: Promise<T> | T, ms: number, onTimeout: () => Error, excused: () => Promise<unknown> | undefined): Promise<T> {
  let timer: LongTimer | undefined;
  let settled = false;
  const timeout = new Promise<never>((_, reject) => {
    const arm = () => {
      timer = setLongTimeout(() => {
        const waiting = excused();
        if (!waiting) reject(onTimeout());
        else void waiting.then(() => settled || arm());
      }, ms);
    };
    arm();
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => {
    settled = true;
    timer?.cancel();
  });
}
