/**
 * Retries with back-off around a whole transfer. The SDK retries each request,
 * but a streamed body is spent by a failed attempt: only the caller can open
 * the file again. A gateway restarting takes a second or two; the waits here
 * (0.5, 1, 2, 4, 8 s) outlast that.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { statusOf } from './bucket.js';

const ATTEMPTS = 6;

/** Whether trying again can help: the network, the server's 5xx, throttling; not a refusal. */
function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  return !(err instanceof Error && err.name === 'AbortError');
}

export async function withRetries<T>(work: () => Promise<T>, signal?: AbortSignal, onRetry?: (err: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= ATTEMPTS || signal?.aborted || !isTransient(err)) throw err;
      onRetry?.(err, attempt);
      await sleep(250 * 2 ** attempt, undefined, { signal });
    }
  }
}
