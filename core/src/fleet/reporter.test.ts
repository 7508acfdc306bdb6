import { describe, expect, it } from 'vitest';
import { retryAfter } from './reporter.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-04T10:00:00Z');
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(retryAfter('120', now)).toBe(120_000);
    expect(retryAfter('Fri, 04 Dec 2026 10:10:00 GMT', now)).toBe(600_000);
    expect(retryAfter('Fri, 04 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfter(null, now)).toBe(0);
    expect(retryAfter('soon', now)).toBe(0);
    // Capped at a day, so a broken upstream cannot silence a school for good.
    expect(retryAfter('99999999', now)).toBe(86_400_000);
  });
});
