/**
 * The data folder read-only at start (a disk the admin mounted ro): the
 * daemon refuses to run, naming the folder and EROFS, with no stack trace.
 * A folder that goes read-only under a running daemon is in backup.test.ts:
 * Linux will not remount a file system ro while files on it are open for
 * writing (the store journals always are), so there a read-only bind mount is
 * laid over the folder instead.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../../harness/index.js';
import { onSmallVolume } from './data-volume.js';

const CONFIG = '[plugins]\nregistry = on\n[registry]\nport = 0\naddress = 127.0.0.1\n';

describe('a data folder read-only at start', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.dispose());

  it('stops start-up with SERVER_ERR_DATA_UNWRITABLE naming the folder and EROFS', async () => {
    const root = await makeRoot({ config: CONFIG });
    const error = await DaemonProcess.startIn(root, { wrap: onSmallVolume(root, '8m', 'ro') }).then((d) => ((daemon = d), null), (err: Error) => err);
    expect(error?.message).toContain('daemon exited with 1 before it was ready');
    expect(error?.message).toContain(`sugar-server: data folder ${join(root, 'var/lib/sugar-server')} cannot be written (EROFS: read-only file system`);
    expect(error?.message).not.toMatch(/\n\s+at /);
  });
});
