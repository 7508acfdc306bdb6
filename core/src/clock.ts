/**
 * The daemon's wall clock (`Tokens.Clock`, `ctx.clock`). For the fault suites
 * only, `SUGAR_SERVER_TEST_CLOCK_FILE` names a file holding milliseconds to
 * add to the system time, read at every call (a missing or unreadable file
 * adds nothing): a test jumps a running daemon's clock forward and back, as
 * an NTP step or a dead RTC battery would, without touching the machine's.
 * Timers are not moved: Node's run on the monotonic clock, as they do under
 * a real jump.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from './tokens.js';

export function systemClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const file = env.SUGAR_SERVER_TEST_CLOCK_FILE;
  if (!file) return { now: () => Date.now() };
  return { now: () => Date.now() + offsetIn(file) };
}

function offsetIn(file: string): number {
  try {
    const offset = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(offset) ? offset : 0;
  } catch {
    return 0;
  }
}
