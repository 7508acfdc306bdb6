/** `sugar-server backup restore-from-s3`: rebuild the laptops' backup folders from the bucket. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isSerial } from 'sugar-server-registry';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BackupConfig } from '../config.js';
import { BackupErrors } from '../errors.js';
import { isSnapshotName } from '../laptop-folder.js';
import { snapshotOfTimestamp } from '../replication/layout.js';
import type { BucketTarget } from '../replication/options.js';

export const restoreFromS3Command: PluginCommand<BackupConfig> = {
  summary: 'rebuild laptops\' backups from the S3 bucket ([backup] replicate_to) onto this server',
  usage: `sugar-server backup restore-from-s3 [--laptop SN] [--snapshot TIME]

Rebuilds every laptop's snapshots (or one laptop's, or one snapshot) from the
bucket into [backup] root, checking every file against its sha256. Snapshots
already on disk are left as they are. Missing or corrupt objects are listed and
their files left out; the command then exits with BACKUP_ERR_RESTORE_INCOMPLETE.
With replicate_encryption = on, the school's key (replicate_key) must be in place.
  --laptop SN      only this laptop
  --snapshot TIME  only this snapshot: datastore-YYYY-MM-DD_HH:MM, YYYYMMDDTHHMMZ, or latest`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { laptop: { type: 'string' }, snapshot: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    if (values.laptop !== undefined && !isSerial(values.laptop)) throw BackupErrors.BAD_SERIAL(values.laptop);
    let snapshot = values.snapshot;
    if (snapshot !== undefined && snapshot !== 'latest' && !isSnapshotName(snapshot)) {
      const named = snapshotOfTimestamp(snapshot);
      if (!named) throw ServerErrors.USAGE(`--snapshot takes datastore-YYYY-MM-DD_HH:MM, YYYYMMDDTHHMMZ or latest, not "${snapshot}"`);
      snapshot = named;
    }
    const { config } = ctx;
    if (!config.replicate_to) throw BackupErrors.NOT_REPLICATED('restore-from-s3');
    // The S3 client takes a fifth of a second to load: only when it is used.
    const [{ restoreFromBucket }, { keyFile, replicationParts }] = await Promise.all([import('../replication/restore.js'), import('../replication/setup.js')]);
    const parts = await replicationParts(config as BackupConfig & { replicate_to: BucketTarget }, ctx.etcDir, false);
    const root = config.root ?? join(ctx.dataDir, 'users');
    try {
      const report = await restoreFromBucket({
        bucket: parts.bucket,
        sealing: parts.sealing,
        keyFile: keyFile(config, ctx.etcDir),
        root,
        concurrency: config.replicate_concurrency,
        serial: values.laptop,
        snapshot,
        progress: (line) => ctx.out(line),
      });
      for (const p of report.problems) ctx.err(`${p.problem}: ${p.serial} ${p.snapshot} ${p.path}: ${p.detail}`);
      ctx.out(`restored from ${parts.bucket.url} into ${root}: ${report.laptops} laptop(s), ${report.snapshots} snapshot(s) (${report.present} already here), ${report.files} file(s), ${(report.bytes / 1024 / 1024).toFixed(1)} MB`);
      if (report.laptops === 0) ctx.err(values.laptop ? `the bucket holds no snapshot of ${values.laptop}${snapshot ? ` named ${snapshot}` : ''}` : 'the bucket holds no snapshots');
      if (report.problems.length) throw BackupErrors.RESTORE_INCOMPLETE(String(report.problems.length), parts.bucket.url);
      return report.laptops === 0 ? 1 : 0;
    } finally {
      parts.bucket.client.destroy();
    }
  },
};
