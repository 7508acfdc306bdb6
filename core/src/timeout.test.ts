import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setLongTimeout, withTimeout, withTimeoutExcept } from './timeout.js';

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

describe('withTimeoutExcept', () => {
  afterEach(() => vi.useRealTimers());

  it('times out as withTimeout does when nothing is excused', async () => {
    vi.useFakeTimers();
    const outcome = withTimeoutExcept(new Promise(() => {}), 1000, () => new Error('late'), () => undefined).catch((err: Error) => err.message);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toBe('late');
  });

  it('lets an excused wait finish, then gives the work its full time again', async () => {
    vi.useFakeTimers();
    let opened!: () => void;
    const opening = new Promise<void>((resolve) => (opened = resolve));
    let excused: Promise<void> | undefined = opening;
    void opening.then(() => (excused = undefined));
    let outcome: string | undefined;
    void withTimeoutExcept(new Promise(() => {}), 1000, () => new Error('late'), () => excused).catch((err: Error) => (outcome = err.message));
    await vi.advanceTimersByTimeAsync(5000);
    expect(outcome).toBeUndefined();
    opened();
    await vi.advanceTimersByTimeAsync(999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe('late');
  });

  it('settles with the work when it finishes during an excused wait', async () => {
    vi.useFakeTimers();
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const outcome = withTimeoutExcept(work, 1000, () => new Error('late'), () => new Promise(() => {}));
    await vi.advanceTimersByTimeAsync(3000);
    finish('done');
    expect(await outcome).toBe('done');
  });
});
