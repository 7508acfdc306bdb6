import { describe, expect, it } from 'vitest';
import type { LaptopSummary } from '../backup-service.js';
import { formatStatus, staleLaptops } from './status.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 5, 15, 12, 0);
const laptop = (serial: string, daysAgo: number | null, registered = true): LaptopSummary => ({
  serial, nick: registered ? `nick-${serial}` : null, registered,
  lastBackup: daysAgo === null ? null : new Date(now - daysAgo * DAY).toISOString(),
  snapshots: daysAgo === null ? 0 : 3, latest: null, bytes: null, entries: null, usage: 5 * 1024 * 1024,
});

describe('backup status', () => {
  const laptops = [laptop('SHC00000001', 1), laptop('SHC00000002', 9), laptop('SHC00000003', null), laptop('SHC00000004', 30, false)];

  it('lists laptops not backed up for N days, never-backed-up first, then the oldest', () => {
    expect(staleLaptops(laptops, 7, now).map((l) => l.serial)).toEqual(['SHC00000003', 'SHC00000004', 'SHC00000002']);
    expect(staleLaptops(laptops, 0, now)).toHaveLength(4);
  });

  it('prints a table for people', () => {
    const text = formatStatus(laptops, staleLaptops(laptops, 7, now), 7, now);
    expect(text).toContain('4 laptop(s), 3 with a backup; not backed up for 7 day(s) or more: 3');
    expect(text).toMatch(/SHC00000003\s+nick-SHC00000003\s+never\s+0\s+5\.0 MB/);
    expect(text).toMatch(/SHC00000004\s+\(not registered\)\s+2026-05-16 12:00 UTC \(30 days ago\)/);
  });
});
