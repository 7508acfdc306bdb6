import { describe, expect, it } from 'vitest';
import { expToIso, expToMs, isExp, msToExp, parseExpiry } from './expiry.js';

const NOW = Date.parse('2025-03-10T12:00:00Z');

describe('lease expiry times', () => {
  it('reads and writes YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(expToMs('20250310T120000Z')).toBe(NOW);
    expect(msToExp(NOW + 999)).toBe('20250310T120000Z');
    expect(expToIso('20261231T235959Z')).toBe('2026-12-31T23:59:59.000Z');
  });

  it.each(['20250230T000000Z', '20251301T000000Z', '20250101T250000Z', '2025-01-01', '20250101T000000', ''])('refuses %j', (value) => {
    expect(isExp(value)).toBe(false);
  });
});

describe('parseExpiry', () => {
  it('takes a day (its end, UTC), an ISO time, +Nd, or the lease form', () => {
    expect(parseExpiry('2025-06-30', NOW)).toBe('20250630T235959Z');
    expect(parseExpiry('2025-06-30T08:15:00+02:00', NOW)).toBe('20250630T061500Z');
    expect(parseExpiry('+30d', NOW)).toBe('20250409T120000Z');
    expect(parseExpiry('20300101T000000Z', NOW)).toBe('20300101T000000Z');
  });

  it.each([
    ['yesterday', /expected YYYY-MM-DD/],
    ['2025-02-30', /expected YYYY-MM-DD/],
    ['2025-03-01', /lies in the past/],
    ['+0d', /lies in the past/],
  ])('refuses %j with LEASES_ERR_BAD_EXPIRY', (value, message) => {
    expect(() => parseExpiry(value, NOW)).toThrow(message);
    expect(() => parseExpiry(value, NOW)).toThrow(expect.objectContaining({ code: 'LEASES_ERR_BAD_EXPIRY' }));
  });
});
