import { describe, expect, it } from 'vitest';
import { SugaroidErrors } from './errors.js';
import { describeSwarm, percentile, swarm } from './swarm.js';

describe('swarm', () => {
  it('runs every action, never more than the concurrency at once, and counts errors by code', async () => {
    let inFlight = 0;
    let most = 0;
    const report = await swarm(
      50,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        if (i % 10 === 0) throw SugaroidErrors.HTTP('GET', 'http://x/', 503);
        return i * 2;
      },
      { concurrency: 8 },
    );
    expect(most).toBe(8);
    expect(report).toMatchObject({ count: 50, ok: 45, errors: 5, errorsByCode: { SUGAROID_ERR_HTTP: 5 } });
    expect(report.results[7]).toBe(14);
    expect(report.results[10]).toBeUndefined();
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(describeSwarm(report)).toMatch(/^45 ok, 5 errors in \d+ ms; p50 [\d.]+ ms/);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBe(0);
  });
});
