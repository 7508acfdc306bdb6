import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLongTimeout, withTimeout } from './timeout.js';

const DAY_MS = 86_400_000;

describe('setLongTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the whole of a wait longer than one Node timer holds (30 days), then fires once', () => {
    let fired = 0;
    setLongTimeout(() => fired++, 30 * DAY_MS);
    vi.advanceTimersByTime(5_000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(30 * DAY_MS - 5_001);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(60 * DAY_MS);
    expect(fired).toBe(1);
  });

  it('fires short waits on time and can be cancelled at any step', () => {
    let fired = 0;
    setLongTimeout(() => fired++, 10);
    vi.advanceTimersByTime(10);
    expect(fired).toBe(1);
    const long = setLongTimeout(() => fired++, 50 * DAY_MS);
    vi.advanceTimersByTime(26 * DAY_MS);
    long.cancel();
    vi.advanceTimersByTime(50 * DAY_MS);
    expect(fired).toBe(1);
  });

  it('lets withTimeout give up only after a long timeout has really passed', async () => {
    const never = new Promise<never>(() => {});
    const outcome = withTimeout(never, 30 * DAY_MS, () => new Error('too slow')).catch((err: Error) => err.message);
    let settled: string | undefined;
    void outcome.then((message) => (settled = message));
    await vi.advanceTimersByTimeAsync(DAY_MS);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    expect(settled).toBe('too slow');
  });
});
