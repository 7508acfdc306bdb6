import { describe, expect, it } from 'vitest';
import { backupOptions } from './config.js';

const volumeQuota = (raw: string | undefined) => backupOptions.volume_quota.safeParse(raw);

describe('[backup] volume_quota', () => {
  it('is 70 % of the backup volume unless set', () => {
    expect(volumeQuota(undefined)).toMatchObject({ success: true, data: { percent: 70 } });
  });

  it('takes a percentage of the volume or a size', () => {
    expect(volumeQuota('80%')).toMatchObject({ success: true, data: { percent: 80 } });
    expect(volumeQuota('62.5 %')).toMatchObject({ success: true, data: { percent: 62.5 } });
    expect(volumeQuota('500G')).toMatchObject({ success: true, data: { bytes: 500 * 1024 ** 3 } });
    expect(volumeQuota('0')).toMatchObject({ success: true, data: { bytes: 0 } });
  });

  it.each([['150%', /at most 100%/], ['lots', /percentage of the backup volume such as 70%, or a size such as 500G, got "lots"/], ['-5%', /got "-5%"/]])(
    'refuses %s, saying why',
    (raw, message) => {
      const parsed = volumeQuota(raw);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(message);
    },
  );
});

describe('[backup] replication options', () => {
  it('are off unless replicate_to is set, with the documented defaults', () => {
    expect(backupOptions.replicate_to.safeParse(undefined)).toMatchObject({ success: true, data: undefined });
    expect(backupOptions.replicate_concurrency.safeParse(undefined)).toMatchObject({ success: true, data: 16 });
    expect(backupOptions.replicate_encryption.safeParse(undefined)).toMatchObject({ success: true, data: false });
    expect(backupOptions.replicate_windows.safeParse(undefined)).toMatchObject({ success: true, data: [] });
  });

  it('say what is wrong with a target or a window', () => {
    expect(backupOptions.replicate_to.safeParse('s3://Backups/x').error?.issues[0]?.message).toMatch(/"Backups" is not a bucket name/);
    expect(backupOptions.replicate_windows.safeParse('nights 01:00-05:00').error?.issues[0]?.message).toMatch(/"nights" is not a day list/);
    expect(backupOptions.replicate_rate.safeParse('2M')).toMatchObject({ success: true, data: 2 * 1024 * 1024 });
  });
});
