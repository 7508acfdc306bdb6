import { describe, expect, it } from 'vitest';
import { snapshotName } from './laptop-folder.js';
import { snapshotsToPrune } from './retention.js';

const DAY = 86_400_000;
const policy = { keepAllMs: 7 * DAY, weeks: 8, months: 12 };
const now = Date.UTC(2026, 5, 15, 12, 0); // a Monday
const at = (ms: number) => ({ name: snapshotName(ms), time: ms });

describe('snapshotsToPrune', () => {
  it('keeps every snapshot of the last 7 days', () => {
    const recent = Array.from({ length: 30 }, (_, i) => at(now - i * 5 * 3_600_000));
    expect(snapshotsToPrune(recent, now, policy, recent[0]!.name)).toEqual([]);
  });

  it('then keeps the newest of each of the last 8 weeks and of each of the last 12 months', () => {
    // One snapshot a day for 400 days, up to Monday 2026-06-15.
    const daily = Array.from({ length: 400 }, (_, i) => at(now - i * DAY));
    const pruned = new Set(snapshotsToPrune(daily, now, policy, daily[0]!.name));
    const keptAges = daily.filter((s) => !pruned.has(s.name)).map((s) => Math.round((now - s.time) / DAY));
    expect(keptAges.sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, // the last 7 days
      8, 15, 22, 29, 36, 43, // the Sundays ending the 6 weeks before (the 7th, Sunday the 14th, is within 7 days)
      46, 76, 107, 135, 166, 197, 227, 258, 288, 319, // last days of April 2026 back to July 2025 (May 31 is a Sunday above)
    ]);
  });

  it('never prunes the snapshot datastore-latest points to', () => {
    const old = at(now - 900 * DAY);
    expect(snapshotsToPrune([old], now, { keepAllMs: 0, weeks: 0, months: 0 }, old.name)).toEqual([]);
    expect(snapshotsToPrune([old], now, { keepAllMs: 0, weeks: 0, months: 0 }, null)).toEqual([old.name]);
  });

  it('lists what goes oldest first', () => {
    const snapshots = [at(now - 500 * DAY), at(now - 400 * DAY), at(now)];
    expect(snapshotsToPrune(snapshots, now, { keepAllMs: 0, weeks: 0, months: 1 }, snapshots[2]!.name)).toEqual([snapshots[0]!.name, snapshots[1]!.name]);
  });

  it('counts the weeks and months that hold snapshots: a laptop away for months keeps as much history', () => {
    // Daily for 20 weeks, then nothing for 30 weeks, then one backup today.
    const away = now - 30 * 7 * DAY;
    const before = Array.from({ length: 140 }, (_, i) => at(away - i * DAY));
    const snapshots = [at(now), ...before];
    const pruned = new Set(snapshotsToPrune(snapshots, now, { keepAllMs: 7 * DAY, weeks: 8, months: 0 }, snapshots[0]!.name));
    // Today's, and the newest of each of the 7 weeks before the holidays.
    expect(snapshots.filter((s) => !pruned.has(s.name))).toHaveLength(8);
  });

  it('keeps a laptop\'s weekly and monthly history when the clock is stepped a year forward, and a snapshot dated after now', () => {
    const daily = Array.from({ length: 400 }, (_, i) => at(now - i * DAY));
    const ahead = now + 365 * DAY;
    const snapshots = [at(ahead), ...daily];
    const pruned = new Set(snapshotsToPrune(snapshots, ahead, policy, snapshots[0]!.name));
    const kept = daily.filter((s) => !pruned.has(s.name)).map((s) => Math.round((now - s.time) / DAY));
    // The year-ahead snapshot takes one week's and one month's place; the 7 newest weeks and 11 newest months before it stay.
    expect(kept.sort((a, b) => a - b)).toEqual([0, 1, 8, 15, 22, 29, 36, 46, 76, 107, 135, 166, 197, 227, 258, 288]);
    // The clock set right again: the snapshot dated a year ahead is not young enough to lose, nor is anything else.
    expect(snapshotsToPrune(snapshots.filter((s) => !pruned.has(s.name)), now, policy, snapshots[1]!.name)).toEqual([]);
  });
});
