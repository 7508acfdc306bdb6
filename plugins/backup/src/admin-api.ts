/**
 * The admin's view of the backups, under `/backup/v1/` (admin token needed):
 * laptops with their last backup, each laptop's snapshots, a snapshot's Journal
 * entries, one entry as a Journal Entry Bundle, a whole snapshot as tar.
 */
import type { PluginContext } from 'sugar-server';
import type { LaptopRegistry } from 'sugar-server-registry';
import type { BackupService } from './backup-service.js';
import { entryBundle, ENTRY_BUNDLE_TYPE } from './entry-bundle.js';
import { BackupErrors } from './errors.js';
import { isEntryUid, listEntries, readEntry } from './journal-entries.js';
import { isSnapshotName } from './laptop-folder.js';
import { isSerial } from 'sugar-server-registry';
import { snapshotArchive } from './snapshot-archive.js';
import type { VolumePruner } from './volume-pruner.js';

export interface AdminApiDeps {
  readonly router: PluginContext['router'];
  readonly requireAdmin: PluginContext['requireAdmin'];
  readonly log: PluginContext['log'];
  readonly service: BackupService;
  readonly volume: VolumePruner;
  /** The running registry, or null. */
  registry(): LaptopRegistry | null;
}

const MAX_PAGE = 1000;

function serialParam(value: string | undefined): string {
  if (!isSerial(value)) throw BackupErrors.BAD_SERIAL(String(value ?? ''));
  return value;
}

function snapshotParam(serial: string, value: string | undefined): string {
  if (value !== 'latest' && !isSnapshotName(value ?? '')) throw BackupErrors.NO_SNAPSHOT(serial, String(value ?? ''));
  return value!;
}

function pageParam(raw: unknown, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw BackupErrors.BAD_PARAMETER(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

/** A file name for Content-Disposition: the snapshot's colon is not welcome on every system. */
const fileName = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '-');

export function mountAdminApi({ router, requireAdmin, log, service, volume, registry }: AdminApiDeps): void {
  /** The backup volume against its quota, and the snapshots the quota removed last. */
  router.get('/backup/v1/volume', requireAdmin, (c) => {
    c.body = volume.report();
  });

  /** Registered laptops and laptops with backups, by serial. */
  router.get('/backup/v1/laptops', requireAdmin, async (c) => {
    const known = new Map((registry()?.list() ?? []).map((laptop) => [laptop.serial, laptop]));
    const serials = [...new Set([...known.keys(), ...(await service.serialsWithBackups())])].sort();
    c.body = { laptops: await Promise.all(serials.map((serial) => service.summary(serial, known.get(serial)))) };
  });

  router.get('/backup/v1/laptops/:serial', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    const laptop = registry()?.get(serial);
    const summary = await service.summary(serial, laptop);
    if (!laptop && summary.snapshots === 0 && summary.lastBackup === null) throw BackupErrors.UNKNOWN_LAPTOP(serial);
    c.body = summary;
  });

  router.get('/backup/v1/laptops/:serial/snapshots', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    c.body = { serial, snapshots: await service.snapshots(serial) };
  });

  router.get('/backup/v1/laptops/:serial/snapshots/:snapshot/entries', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    const { name, path } = await service.snapshotPath(serial, snapshotParam(serial, c.params.snapshot));
    const offset = pageParam(c.query.offset, 'offset', 0, 0, 1_000_000_000);
    const limit = pageParam(c.query.limit, 'limit', 100, 1, MAX_PAGE);
    const entries = await listEntries(path);
    c.body = { serial, snapshot: name, total: entries.length, offset, limit, entries: entries.slice(offset, offset + limit) };
  });

  /** One entry as a Journal Entry Bundle, ready to open on a laptop. */
  router.get('/backup/v1/laptops/:serial/snapshots/:snapshot/entries/:uid', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    const { name, path } = await service.snapshotPath(serial, snapshotParam(serial, c.params.snapshot));
    const uid = c.params.uid ?? '';
    const entry = isEntryUid(uid) ? await readEntry(path, uid) : null;
    if (!entry) throw BackupErrors.NO_ENTRY(name, uid);
    // attachment() sets a type from the extension, which .xoj has none of: set the type after it.
    c.attachment(`${uid}.xoj`);
    c.type = ENTRY_BUNDLE_TYPE;
    c.body = entryBundle(entry);
  });

  /** The whole snapshot as tar. */
  router.get('/backup/v1/laptops/:serial/snapshots/:snapshot/archive', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    const { name, path } = await service.snapshotPath(serial, snapshotParam(serial, c.params.snapshot));
    const archive = snapshotArchive(path, log);
    c.res.once('close', archive.stop);
    c.attachment(fileName(`${serial}-${name}.tar`));
    c.type = 'application/x-tar';
    c.body = archive.stream;
  });
}
