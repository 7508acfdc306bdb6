import { describe, expect, it } from 'vitest';
import { mapPaths } from './rsync-paths.js';
import type { RsyncRequest } from './rsync-request.js';

const SN = 'SHC0123456A';
const upload = (path: string): RsyncRequest => ({ mode: 'receive', options: [], paths: [path], dropped: [] });
const restore = (...paths: string[]): RsyncRequest => ({ mode: 'send', options: [], paths, dropped: [] });
const refused = expect.objectContaining({ code: 'BACKUP_ERR_PATH_REFUSED' });

describe('mapPaths', () => {
  it('maps the three ds-backup destinations into the laptop\'s folder', () => {
    expect(mapPaths(upload('datastore-current'), SN)).toEqual({ kind: 'upload', folder: 'datastore-current', paths: ['datastore-current'] });
    expect(mapPaths(upload('power-logs/'), SN)).toEqual({ kind: 'upload', folder: 'power-logs', paths: ['power-logs'] });
    expect(mapPaths(upload('documents'), SN)).toMatchObject({ kind: 'upload', folder: 'documents' });
  });

  it('maps the laptop\'s own completion file, and no other laptop\'s', () => {
    expect(mapPaths(upload(`/var/lib/ds-backup/completion/${SN}`), SN)).toEqual({ kind: 'completion', paths: ['.completion'] });
    expect(() => mapPaths(upload('/var/lib/ds-backup/completion/SHC99999999'), SN)).toThrow(refused);
    expect(() => mapPaths(upload(`/var/lib/ds-backup/completion/${SN}/../x`), SN)).toThrow(refused);
  });

  it.each([
    '../SHC99999999/datastore-current', '/etc/cron.d/x', '/library/users/SHC99999999', 'datastore-current/../..',
    'datastore-latest', 'datastore-2024-01-02_03:04', '.', '', '~', 'datastore-current/sub', '.completion',
  ])('refuses an upload to %j', (path) => {
    expect(() => mapPaths(upload(path), SN)).toThrow(refused);
  });

  it('lets a restore read datastore-latest, snapshots and plain names inside them', () => {
    expect(mapPaths(restore('datastore-latest/'), SN)).toEqual({ kind: 'restore', paths: ['datastore-latest/'] });
    expect(mapPaths(restore('datastore-2024-01-02_03:04', 'datastore-latest/ab/ab345678-1234-1234-1234-123456789012/'), SN).paths)
      .toEqual(['datastore-2024-01-02_03:04', 'datastore-latest/ab/ab345678-1234-1234-1234-123456789012/']);
  });

  it.each([
    'datastore-current', 'documents', '../SHC99999999/datastore-latest', '/etc/passwd', 'datastore-latest/../../x',
    'datastore-latest/./x', 'datastore-latest//x', 'datastore-2024-13-02_03:04', 'datastore-latest/*', '/',
  ])('refuses a restore from %j', (path) => {
    expect(() => mapPaths(restore(path), SN)).toThrow(refused);
  });
});
