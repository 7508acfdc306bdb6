import { describe, expect, it } from 'vitest';
import type { LaptopSummary } from '../backup-service.js';
import type { VolumeReport } from '../volume-pruner.js';
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

  it('shows the backup volume against its quota and the snapshots the quota removed last', () => {
    const volume: VolumeReport = {
      setting: '70%', checkedAt: '2026-06-15T11:00:00.000Z', quota: 700 * 1024 * 1024, used: 650 * 1024 * 1024, laptops: 4,
      fairShare: 175 * 1024 * 1024, overQuota: false, removedSinceStart: 2,
      lastRemoval: { at: '2026-06-15T11:00:00.000Z', removed: [{ serial: 'SHC00000002', snapshot: 'datastore-2026-05-01_12:00', round: 1 }] },
    };
    const text = formatStatus(laptops, staleLaptops(laptops, 7, now), 7, now, volume);
    expect(text).toContain('backup volume: 650.0 MB held of a 700.0 MB quota (70% of the volume), 4 laptop(s), fair share 175.0 MB each; checked 2026-06-15 11:00 UTC');
    expect(text).toContain('removed for the quota 2026-06-15 11:00 UTC: 1 snapshot(s)');
    expect(text).toMatch(/SHC00000002\s+datastore-2026-05-01_12:00\s+\(round 1\)/);
    expect(formatStatus(laptops, [], 7, now, { ...volume, overQuota: true })).toContain('still over the quota');
    expect(formatStatus(laptops, [], 7, now, { ...volume, setting: null })).toContain('no quota');
  });

  it('shows replication to S3: its backlog, last pass and last error', () => {
    const text = formatStatus(laptops, [], 7, now, undefined, {
      target: 's3://school-backups/school-42/', encrypted: true, state: 'failed',
      backlog: { snapshots: 2, files: 40, bytes: 3 * 1024 * 1024 },
      lastPass: { startedAt: '2026-06-15T11:00:00.000Z', seconds: 10, snapshots: 1, sentObjects: 2, sentFiles: 40, sentBytes: 2 * 1024 * 1024, skippedFiles: 7, throughput: 1024 * 1024, prunedManifests: 0, sweptObjects: 0 },
      lastSuccess: null,
      lastError: { at: '2026-06-15T11:00:10.000Z', code: 'BACKUP_ERR_REPLICATION_FAILED', message: 'replication to s3://school-backups/school-42/ failed: connect ECONNREFUSED' },
      totals: { sentObjects: 2, sentFiles: 40, sentBytes: 2 * 1024 * 1024, skippedFiles: 7, snapshots: 1, sweptObjects: 0 },
      laptops: { SHC00000001: 'datastore-2026-06-15_10:00' },
    });
    expect(text).toContain('replication to s3://school-backups/school-42/ (encrypted): failed; last success never; 1 laptop(s) in the bucket');
    expect(text).toContain('backlog: 2 snapshot(s), 40 file(s), 3.0 MB');
    expect(text).toContain('40 file(s) sent in 2 object(s) (2.0 MB, 1.0 MB/s), 7 file(s) already there');
    expect(text).toContain('last error 2026-06-15 11:00 UTC: BACKUP_ERR_REPLICATION_FAILED');
    expect(formatStatus(laptops, [], 7, now, undefined, null)).toContain('replication: off');
  });
});
