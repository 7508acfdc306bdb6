/**
 * sugar-server-backup: Journal backup as XO laptops' ds-backup expects it
 * (PROTOCOLS.md section 2). The availability check on the main HTTP port, an
 * SSH endpoint where registered laptops log in with their key and may only run
 * a confined rsync into their own folder, dated hard-link snapshots when a
 * backup completes, retention, restore over the same endpoint, and the admin's
 * view (laptops, snapshots, Journal entries, downloads).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type PluginContext } from 'sugar-server';
import { RegistryToken, type LaptopRegistry } from 'sugar-server-registry';
import { mountAdminApi } from './admin-api.js';
import { backupPage } from './admin-page.js';
import { Availability } from './availability.js';
import { BACKUP_DOCUMENT, EMPTY_BACKUPS, type BackupDocument } from './backup-records.js';
import { BackupService } from './backup-service.js';
import { restoreFromS3Command } from './commands/restore-from-s3.js';
import { statusCommand } from './commands/status.js';
import { backupOptions, type BackupConfig } from './config.js';
import { BackupErrors } from './errors.js';
import { loadHostKeys } from './host-keys.js';
import { LaptopFolders } from './laptop-folder.js';
import { mountAvailability } from './laptop-route.js';
import { RecentClients } from './recent-clients.js';
import { rsyncVersion } from './rsync-binary.js';
import { sshAlgorithms } from './ssh-algorithms.js';
import { registeredKeyVerdict } from './ssh-auth.js';
import type { SshCall } from './ssh-process/messages.js';
import { SshProcess, type SshProcessStatus } from './ssh-process/parent.js';
import { Transfers } from './transfers.js';
import { systemProbe, volumeSize } from './volume.js';
import { VolumePruner } from './volume-pruner.js';

/** Each running plugin's SSH process, so that its stop can wait for the process to end. */
const sshProcesses = new WeakMap<PluginContext<BackupConfig>, SshProcess>();

export default definePlugin({
  config: backupOptions,

  async start(ctx) {
    const { config, log } = ctx;
    const rsync = await rsyncVersion(config.rsync_path);
    const folders = new LaptopFolders(config.root ?? join(ctx.dataDir, 'users'));
    await mkdir(folders.root, { recursive: true, mode: 0o750 });
    const rsyncHome = join(ctx.dataDir, 'rsync-home');
    await mkdir(rsyncHome, { recursive: true, mode: 0o750 });
    const now = () => ctx.clock.now();

    // The volume quota is checked after each snapshot; the pruner needs the service, so it is made just after.
    let afterSnapshot = () => {};
    let replicate = () => {};
    const store = await ctx.openStore<BackupDocument>(EMPTY_BACKUPS, BACKUP_DOCUMENT);
    const service = new BackupService({
      folders,
      store,
      policy: { keepAllMs: config.keep_all, weeks: config.keep_weekly, months: config.keep_monthly },
      log,
      now,
      onSnapshot: () => {
        afterSnapshot();
        replicate();
      },
    });
    await service.recoverAll();
    // The S3 client takes a fifth of a second to load, on every start: only for a school that replicates.
    const replicator = config.replicate_to
      ? await (await import('./replication/start.js')).startReplication({ ctx, folders, store, serials: () => service.serialsOnDisk() }, config.replicate_to)
      : null;
    if (replicator) replicate = () => void replicator.run();
    else {
      ctx.router.get('/backup/v1/replication', ctx.requireAdmin, () => {
        throw BackupErrors.NOT_REPLICATED('no replication');
      });
    }
    const volume = new VolumePruner({ service, folders, quota: config.volume_quota, recordedUsage: () => service.totalUsage(), volumeSize, log, now });
    afterSnapshot = () => void volume.afterSnapshot();
    void volume.check();
    const periodic = config.volume_check > 0 ? setInterval(() => void volume.check(), config.volume_check) : undefined;
    periodic?.unref();
    let sshStatus = (): SshProcessStatus | null => null;
    // Figures only: /status is public, serials are not.
    ctx.reportStatus(() => {
      const { setting, checkedAt, quota, used, laptops, fairShare, overQuota, removedSinceStart } = volume.report();
      const replication = replicator?.status();
      return {
        volumeQuota: setting, checkedAt, quota, used, laptops, fairShare, overQuota, removedSinceStart, overdue: service.overdue(config.stale_after, now()),
        sshProcess: sshStatus(),
        // Figures only: which laptops were replicated stays behind the admin token.
        ...(replication && { replication: { state: replication.state, encrypted: replication.encrypted, backlog: replication.backlog, lastSuccess: replication.lastSuccess, throughput: replication.lastPass?.throughput ?? 0, lastError: replication.lastError?.code ?? null } }),
      };
    });

    const registry = () => registryOf(ctx);
    const availability = new Availability({
      limits: { maxLoad: config.max_load, maxDiskUse: config.max_disk_use / 100, maxInodeUse: config.max_inode_use / 100, quota: config.quota },
      probe: systemProbe,
      root: folders.root,
      recent: new RecentClients(config.client_window, config.max_clients),
      isRegistered: (serial) => {
        const view = registry();
        return view ? view.get(serial) !== undefined : null;
      },
      usage: (serial) => service.usage(serial),
      now,
    });
    mountAvailability(ctx.router, availability, log);
    mountAdminApi({ router: ctx.router, requireAdmin: ctx.requireAdmin, log, service, volume, registry });
    ctx.admin.page(backupPage({ service, volume, registry, staleMs: config.stale_after, quota: config.quota, now, log }));

    const transfers = new Transfers({
      folders,
      availability,
      service,
      log,
      rsyncPath: config.rsync_path,
      rsyncHome,
      ioTimeoutSeconds: Math.max(1, Math.round(config.io_timeout / 1000)),
      keepAccessTimes: process.getuid?.() === 0,
    });
    const hostKeys = await loadHostKeys(ctx.etcDir, log);
    // The SSH transport (ciphers, key exchanges, every backup's bytes) runs in a process of its own; the daemon answers its questions.
    const answerSsh = (call: SshCall): Promise<unknown> => {
      switch (call.what) {
        case 'key': return Promise.resolve(registeredKeyVerdict(registry(), { username: call.username, key: { algo: call.algo, data: call.data } }));
        case 'plan': return transfers.plan(call.serial, call.command);
        case 'ended': return Promise.resolve(transfers.ended(call.transfer, call.outcome));
      }
    };
    const ssh = new SshProcess({
      init: {
        hostKeys: hostKeys.map((key) => key.privateKey),
        algorithms: sshAlgorithms(config.legacy_algorithms),
        loginTimeoutMs: config.login_timeout,
        maxConnections: config.max_connections,
      },
      nice: config.nice,
      log,
      answer: answerSsh,
      lost: (why) => transfers.lostAll(why),
    });
    sshStatus = () => ssh.status();
    sshProcesses.set(ctx, ssh);
    // Also when the start fails or is given up on, where no stop follows.
    ctx.signal.addEventListener('abort', () => {
      clearInterval(periodic);
      void ssh.stop();
    });
    await ssh.start();
    const bound = await ctx.listenTcp({ name: 'ssh', port: config.ssh_port, address: config.ssh_address, pauseOnConnect: true }, ssh.accept);
    log.info(
      { address: bound.address, port: bound.port, root: folders.root, rsync, legacyAlgorithms: config.legacy_algorithms, hostKeys: hostKeys.map((k) => k.fingerprint) },
      'backup SSH endpoint listening',
    );
  },

  /** The SSH process ends (its connections closed, rsync ended) before the plugin counts as stopped. */
  async stop(ctx) {
    await sshProcesses.get(ctx)?.stop();
  },

  commands: {
    status: statusCommand,
    'restore-from-s3': restoreFromS3Command,
  },
});

export { BackupErrors } from './errors.js';
export { BACKUP_DOCUMENT } from './backup-records.js';
export type { BackupConfig };
export type { LaptopSummary, SnapshotInfo } from './backup-service.js';
export type { VolumeRemoval, VolumeReport } from './volume-pruner.js';
export type { JournalEntry } from './journal-entries.js';

/** The registry while it runs; null when it does not (the container throws then). */
function registryOf(ctx: PluginContext<BackupConfig>): LaptopRegistry | null {
  try {
    return ctx.container.resolve(RegistryToken);
  } catch {
    return null;
  }
}

