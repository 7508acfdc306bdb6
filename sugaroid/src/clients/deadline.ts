/**
 * A deadline that is judged after the I/O already waiting has been read.
 *
 * A timer fires in the event loop's timers phase, before the poll phase reads
 * sockets. A client whose own loop ran late (a swarm of thousands of laptops
 * in one process) would then blame the server for answers that had arrived in
 * time and only waited to be read. Deferring the abort to the check phase lets
 * that poll run first, so only a server that really did not answer times out.
 */
// The timers module's own functions: a test faking the global timers fakes its own waits, not the network's.
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';

export interface Deadline {
  readonly signal: AbortSignal;
  /** Stop the clock (the exchange ended); the timer no longer holds the process. */
  clear(): void;
}

export function deadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
  }, timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
