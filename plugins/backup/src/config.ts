/** The `[backup]` section. */
import { makeOption, option, type ConfigOf } from 'sugar-server';
import { replicationOptions } from './replication/options.js';

const DAY_MS = 86_400_000;

/** A non-negative decimal such as `5` or `2.5` (load averages are not whole numbers). */
function decimal(fallback: number) {
  return makeOption(
    (raw) => (/^\d+(?:\.\d+)?$/.test(raw)
      ? { ok: true, value: Number(raw) }
      : { ok: false, message: `expected a number such as 5 or 2.5, got "${raw}"` }),
    fallback,
  );
}

/** How much of the backup volume the laptops' backups may hold: a share of the partition, or bytes; 0 for no limit. */
export type VolumeQuota = { readonly percent: number } | { readonly bytes: number };

/** `70%` of the partition, or a size such as `500G`. */
function volumeQuota(fallback: VolumeQuota) {
  const size = option.size();
  return makeOption<VolumeQuota>((raw) => {
    const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(raw);
    if (percent) {
      const value = Number(percent[1]);
      return value <= 100 ? { ok: true, value: { percent: value } } : { ok: false, message: `a percentage of the volume is at most 100%, got "${raw}"` };
    }
    const bytes = size.safeParse(raw);
    return bytes.success
      ? { ok: true, value: { bytes: bytes.data } }
      : { ok: false, message: `expected a percentage of the backup volume such as 70%, or a size such as 500G, got "${raw}"` };
  }, fallback);
}

/** The options of `[backup]`, with their defaults (the old XS's knobs where it had them). */
export const backupOptions = {
  /** Where laptops' folders live (`<root>/<SN>/`); `<data dir>/backup/users` unless set. */
  root: option.path().optional(),
  /** The SSH port laptops run rsync over; ds-backup's ssh uses 22. */
  ssh_port: option.port(22),
  /** Where that port binds; the main HTTP address unless set. */
  ssh_address: option.address().optional(),
  /** Offer the key exchanges, ciphers and host key signature old XOs' OpenSSH needs. */
  legacy_algorithms: option.flag(true),
  /** The rsync run for each transfer. */
  rsync_path: option.path('/usr/bin/rsync'),
  /** Busy when the 1-minute load average is above this. */
  max_load: decimal(5),
  /** Busy when more than this percentage of the backup volume's space is used. */
  max_disk_use: option.integer({ min: 1, max: 100 }, 90),
  /** Busy when more than this percentage of the backup volume's inodes is used. */
  max_inode_use: option.integer({ min: 1, max: 100 }, 90),
  /** At most this many different laptops are told "go" within any `client_window`. */
  max_clients: option.integer({ min: 1, max: 100_000 }, 10),
  client_window: option.duration(5 * 60_000),
  /** Bytes a laptop's folder may hold (all snapshots counted once); 0 means no quota. */
  quota: option.size(0),
  /** An rsync that moves no data for this long is ended (the client's own --timeout applies when shorter). */
  io_timeout: option.duration(10 * 60_000),
  /** How long an SSH client has to authenticate, and a logged-in one to start a transfer. */
  login_timeout: option.duration(60_000),
  /** SSH connections held at once; more are closed at once. */
  max_connections: option.integer({ min: 1, max: 100_000 }, 64),
  /**
   * The CPU priority of the backups' bulk work (the SSH transport and rsync), as `nice` counts it;
   * 0 runs it as the daemon runs. A wave of backups then takes the CPU only when nothing answers laptops.
   */
  nice: option.integer({ min: 0, max: 19 }, 10),
  /** The laptops' backups together may hold this much of the volume; over it, the oldest snapshots of laptops over their fair share go. */
  volume_quota: volumeQuota({ percent: 70 }),
  /** How often the volume quota is checked, besides at start and after a snapshot that may have put the volume over it; 0 for never. */
  volume_check: option.duration(60 * 60_000),
  /** Retention: every snapshot younger than this is kept... */
  keep_all: option.duration(7 * DAY_MS, { max: 3650 * DAY_MS }),
  /** ...then the newest of each of this many weeks... */
  keep_weekly: option.integer({ min: 0, max: 1000 }, 8),
  /** ...then the newest of each of this many months. */
  keep_monthly: option.integer({ min: 0, max: 1000 }, 12),
  /** `sugar-server backup status` lists laptops not backed up for this long. */
  stale_after: option.duration(7 * DAY_MS, { max: 3650 * DAY_MS }),
  ...replicationOptions,
};

/** The checked `[backup]` section. */
export type BackupConfig = ConfigOf<typeof backupOptions>;
