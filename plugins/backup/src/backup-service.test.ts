import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, Store } from 'sugar-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_BACKUPS, type BackupDocument } from './backup-records.js';
import { BackupService } from './backup-service.js';
import { LaptopFolders } from './laptop-folder.js';

const SN = 'SHC0123456A';
const DAY = 86_400_000;
const UID = 'ab345678-1234-1234-1234-123456789012';

function memoryStore(): Store<BackupDocument> {
  const data: BackupDocument = structuredClone(EMPTY_BACKUPS);
  return { data, update: async (change) => change(data), flush: async () => {} };
}

describe('BackupService', () => {
  let root: string;
  let now: number;
  let service: BackupService;
  const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log = Object.fromEntries(['info', 'warn', 'error', 'debug'].map((level) => [level, (fields: Record<string, unknown>, message: string) => void logged.push({ level, fields, message })])) as unknown as Logger;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'backup-service-'));
    now = Date.UTC(2026, 5, 15, 12, 0);
    logged.length = 0;
    service = new BackupService({ folders: new LaptopFolders(root), store: memoryStore(), policy: { keepAllMs: 7 * DAY, weeks: 0, months: 0 }, log, now: () => now });
    const entry = join(root, SN, 'datastore-current', 'ab', UID);
    await mkdir(entry, { recursive: true });
    await writeFile(join(entry, 'data'), 'x'.repeat(100));
    await writeFile(join(root, SN, '.completion'), '');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('on completion takes a snapshot, records its figures and the laptop\'s usage, and removes the completion file', async () => {
    await service.completed(SN);
    expect(service.record(SN)).toEqual({
      lastBackup: new Date(now).toISOString(),
      usage: 100,
      snapshots: { 'datastore-2026-06-15_12:00': { bytes: 100, files: 1, entries: 1, takenAt: new Date(now).toISOString() } },
    });
    expect(await readdir(join(root, SN))).not.toContain('.completion');
    expect(await service.snapshots(SN)).toEqual([
      { name: 'datastore-2026-06-15_12:00', time: '2026-06-15T12:00:00.000Z', latest: true, bytes: 100, files: 1, entries: 1 },
    ]);
  });

  it('prunes what the retention lets go, after each snapshot', async () => {
    await service.completed(SN);
    now += 8 * DAY;
    await service.completed(SN);
    expect((await service.snapshots(SN)).map((s) => s.name)).toEqual(['datastore-2026-06-23_12:00']);
    expect(Object.keys(service.record(SN).snapshots)).toEqual(['datastore-2026-06-23_12:00']);
  });

  it('runs one laptop\'s snapshots one after another', async () => {
    await Promise.all([service.completed(SN), service.completed(SN), service.completed(SN)]);
    expect(logged.filter((l) => l.message === 'backup complete: snapshot taken')).toHaveLength(3);
    expect((await readdir(join(root, SN))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('logs a snapshot that cannot be made, and never rejects', async () => {
    await rm(join(root, SN, 'datastore-current'), { recursive: true });
    await service.completed(SN);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ code: 'BACKUP_ERR_SNAPSHOT_FAILED' }) }));
    expect(service.record(SN).lastBackup).toBeNull();
  });

  it('names the snapshot folder of "latest" and refuses unknown names', async () => {
    await service.completed(SN);
    expect(await service.snapshotPath(SN, 'latest')).toEqual({ name: 'datastore-2026-06-15_12:00', path: join(root, SN, 'datastore-2026-06-15_12:00') });
    await expect(service.snapshotPath(SN, 'datastore-2020-01-01_00:00')).rejects.toMatchObject({ code: 'BACKUP_ERR_NO_SNAPSHOT' });
    await expect(service.snapshotPath('SHC99999999', 'latest')).rejects.toMatchObject({ code: 'BACKUP_ERR_NO_SNAPSHOT' });
  });

  it('summarises a laptop for the admin, and finds laptops with folders on disk', async () => {
    await service.completed(SN);
    expect(await service.summary(SN, { nick: 'ana' })).toEqual({
      serial: SN, nick: 'ana', registered: true, lastBackup: new Date(now).toISOString(), snapshots: 1,
      latest: 'datastore-2026-06-15_12:00', bytes: 100, entries: 1, usage: 100,
    });
    await mkdir(join(root, 'SHC00000002'));
    await mkdir(join(root, 'not-a-serial'));
    expect(await service.serialsWithBackups()).toEqual(['SHC00000002', SN]);
  });
});
