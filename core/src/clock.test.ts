import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('systemClock', () => {
  it('is the system time without the test variable', () => {
    const now = systemClock({}).now();
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
  });

  it('adds the offset in SUGAR_SERVER_TEST_CLOCK_FILE, read at every call, forward and back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clock-'));
    const file = join(dir, 'offset');
    const clock = systemClock({ SUGAR_SERVER_TEST_CLOCK_FILE: file });
    const year = 365 * 86_400_000;
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(60_000);
    await writeFile(file, String(year));
    expect(clock.now() - Date.now()).toBeGreaterThan(year - 60_000);
    await writeFile(file, String(-year));
    expect(Date.now() - clock.now()).toBeGreaterThan(year - 60_000);
    await writeFile(file, 'not a number');
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(60_000);
  });
});
