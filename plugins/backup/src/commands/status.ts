/** `sugar-server backup status`: which laptops have not backed up lately. */
import { parseArgs } from 'node:util';
import { isSugarError, ServerErrors, type PluginCommand } from 'sugar-server';
import type { LaptopSummary } from '../backup-service.js';
import type { BackupConfig } from '../config.js';
import type { ReplicationStatus } from '../replication/replicator.js';
import { formatReplication } from '../replication/status-lines.js';
import type { VolumeReport } from '../volume-pruner.js';

const DAY_MS = 86_400_000;

/** Laptops whose last backup is older than `days` (or that never backed up), longest first. */
export function staleLaptops(laptops: readonly LaptopSummary[], days: number, now: number): LaptopSummary[] {
  const last = (l: LaptopSummary) => (l.lastBackup === null ? -Infinity : Date.parse(l.lastBackup));
  return laptops.filter((l) => now - last(l) >= days * DAY_MS).sort((a, b) => last(a) - last(b) || a.serial.localeCompare(b.serial));
}

/** The backup volume against its quota, and what the quota removed last. */
export function formatVolume(volume: VolumeReport): string[] {
  if (volume.setting === null) return ['backup volume: no quota (volume_quota = 0)'];
  if (volume.checkedAt === null) return [`backup volume: quota ${volume.setting}, not checked yet`];
  const share = volume.setting.endsWith('%') ? ` (${volume.setting} of the volume)` : '';
  const lines = [
    `backup volume: ${megabytes(volume.used)} held of a ${megabytes(volume.quota)} quota${share}, ${volume.laptops} laptop(s), fair share ${megabytes(volume.fairShare)} each; checked ${when(volume.checkedAt)}`,
  ];
  if (volume.overQuota) lines.push('still over the quota: every laptop over its fair share is down to its newest snapshot');
  if (volume.lastRemoval) {
    const { at, removed } = volume.lastRemoval;
    lines.push(`removed for the quota ${when(at)}: ${removed.length} snapshot(s)`);
    for (const r of removed) lines.push(`  ${r.serial}  ${r.snapshot}  (round ${r.round})`);
  }
  return lines;
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The report for people. */
export function formatStatus(
  laptops: readonly LaptopSummary[],
  stale: readonly LaptopSummary[],
  days: number,
  now: number,
  volume?: VolumeReport,
  replication?: ReplicationStatus | null,
): string {
  const backedUp = laptops.filter((l) => l.lastBackup !== null).length;
  const lines = [`${laptops.length} laptop(s), ${backedUp} with a backup; not backed up for ${days} day(s) or more: ${stale.length}`];
  if (volume) lines.push(...formatVolume(volume));
  if (replication !== undefined) lines.push(...formatReplication(replication));
  if (stale.length) {
    lines.push('');
    const rows = [['SERIAL', 'NICK', 'LAST BACKUP', 'SNAPSHOTS', 'USAGE']];
    for (const l of stale) {
      const last = l.lastBackup === null ? 'never' : `${l.lastBackup.slice(0, 16).replace('T', ' ')} UTC (${Math.floor((now - Date.parse(l.lastBackup)) / DAY_MS)} days ago)`;
      rows.push([l.serial, l.nick ?? (l.registered ? '' : '(not registered)'), last, String(l.snapshots), megabytes(l.usage)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) lines.push(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  }
  return lines.join('\n');
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** `sugar-server backup status`. */
export const statusCommand: PluginCommand<BackupConfig> = {
  summary: 'list laptops not backed up for N days (default [backup] stale_after)',
  usage: `sugar-server backup status [--days N] [--json]

Lists registered laptops (and laptops with backups) whose last completed backup
is N days old or older, or that never backed up, oldest first; and the backup
volume against [backup] volume_quota, with the snapshots the quota removed last;
and replication to S3 ([backup] replicate_to): backlog, last pass, last error.
  --days N   look back N days (default [backup] stale_after)
  --json     print the laptops as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { days: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    if (values.days !== undefined && !/^\d{1,4}$/.test(values.days)) throw ServerErrors.USAGE(`--days takes whole days, not "${values.days}"`);
    const days = values.days === undefined ? Math.round(ctx.config.stale_after / DAY_MS) : Number(values.days);
    const { laptops } = await ctx.adminJson<{ laptops: LaptopSummary[] }>('/backup/v1/laptops');
    const volume = await ctx.adminJson<VolumeReport>('/backup/v1/volume');
    const replication = await ctx.adminJson<ReplicationStatus>('/backup/v1/replication').catch((err: unknown) => {
      if (isSugarError(err) && err.code === 'BACKUP_ERR_NOT_REPLICATED') return null;
      throw err;
    });
    const now = Date.now();
    const stale = staleLaptops(laptops, days, now);
    ctx.out(values.json ? JSON.stringify({ days, laptops: stale, volume, replication }, null, 2) : formatStatus(laptops, stale, days, now, volume, replication));
    return 0;
  },
};
